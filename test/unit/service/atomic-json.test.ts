import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { cleanTempFiles, readJsonOr, writeJsonAtomic } from '../../../engine/service/store/atomic-json.ts';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'sv-atomic-'));

describe('atomic JSON files', () => {
  it('round-trips and validates', async () => {
    const file = path.join(tmp(), 'a.json');
    await writeJsonAtomic(file, { n: 1 });
    expect(await readJsonOr(file, z.object({ n: z.number() }), { n: 0 })).toEqual({ n: 1 });
    expect(await readJsonOr(path.join(tmp(), 'missing.json'), z.object({ n: z.number() }), { n: 7 })).toEqual({ n: 7 });
  });

  it('moves a corrupt file aside and falls back', async () => {
    const dir = tmp();
    const file = path.join(dir, 'a.json');
    writeFileSync(file, '{"n": 1');
    expect(await readJsonOr(file, z.object({ n: z.number() }), { n: 0 })).toEqual({ n: 0 });
    expect(readdirSync(dir).some((n) => n.startsWith('a.json.corrupt-'))).toBe(true);
    writeFileSync(file, '{"n": "x"}');
    expect(await readJsonOr(file, z.object({ n: z.number() }), { n: 3 })).toEqual({ n: 3 });
  });

  it('a writer killed at any moment leaves the old or the new file, never a torn one', async () => {
    const dir = tmp();
    const file = path.join(dir, 'c.json');
    await writeJsonAtomic(file, { i: -1, pad: 'x'.repeat(200_000) });
    const modUrl = pathToFileURL(path.resolve('engine/service/store/atomic-json.ts')).href;
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const script = `const { writeJsonAtomic } = await import(${JSON.stringify(modUrl)});
      for (let i = 0; ; i++) await writeJsonAtomic(${JSON.stringify(file)}, { i, pad: 'x'.repeat(200000 + (i % 7) * 1000) });`;
    let last = -1;
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], { stdio: 'ignore' });
      // Wait until this writer has replaced the file at least once (startup is slow on a loaded machine), then kill
      // it at an arbitrary point of its write loop.
      const deadline = Date.now() + 20_000;
      for (;;) {
        const seen = (JSON.parse(readFileSync(file, 'utf8')) as { i: number }).i;
        if (seen !== last && seen >= 0) break;
        if (Date.now() > deadline) throw new Error('the writer never wrote');
        await new Promise((r) => setTimeout(r, 5));
      }
      await new Promise((r) => setTimeout(r, 20 + round * 37));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const data = JSON.parse(readFileSync(file, 'utf8')) as { i: number; pad: string };
      expect(data.pad.length).toBe(200_000 + (data.i % 7) * 1000);
      last = data.i;
    }
    await cleanTempFiles(dir);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  }, 30_000);
});
