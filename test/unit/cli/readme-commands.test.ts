// The README's command table lists exactly the commands `sparsevila` registers.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { commands } from '../../../engine/cli/main.ts';
import { packageRoot } from '../../../engine/service/paths.ts';

describe('README command table', () => {
  it("lists every registered command, and only those", () => {
    const readme = readFileSync(path.join(packageRoot(), 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Command line'));
    const table = section.slice(0, section.indexOf('\n## '));
    const listed = [...table.matchAll(/^\| `([\w-]+)[^`]*` \|/gm)].map((m) => m[1]);
    expect(listed.length).toBeGreaterThan(0);
    expect([...listed].sort()).toEqual(Object.keys(commands).sort());
  });
});
