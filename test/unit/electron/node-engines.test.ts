// package.json's `engines` must be a Node range every tool of the toolchain accepts (their own `engines` fields), so
// the README's "Needs Node.js …" is true: a tool upgrade that raises its floor fails here.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { packageRoot } from '../../../engine/service/paths.ts';

const require = createRequire(import.meta.url);
const semver = require('semver') as { subset(sub: string, dom: string): boolean; validRange(r: string): string | null };
const root = packageRoot();
const enginesOf = (pkg: string) => (JSON.parse(readFileSync(path.join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { engines?: { node?: string } }).engines?.node;
const ours = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;

describe('Node version', () => {
  it.each(['vite', 'vitest', '@vitejs/plugin-react', 'electron', '@electron-forge/cli', '@electron-forge/maker-deb', 'cmake-js', '@huggingface/hub'])(
    "package.json engines lies within %s's",
    (tool) => {
      const theirs = enginesOf(tool);
      expect(semver.validRange(ours)).not.toBeNull();
      if (theirs) expect(semver.subset(ours, theirs), `ours ${ours} vs ${tool} ${theirs}`).toBe(true);
    },
  );

  it('the README states the same floor', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const floor = /^\^?(\d+\.\d+)/.exec(ours)![1];
    expect(readme).toContain(`Node.js ${floor} or newer`);
  });
});
