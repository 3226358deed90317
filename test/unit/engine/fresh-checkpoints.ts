// A temporary folder of generated checkpoints for one test file, removed after it: fresh(opts) writes the next one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { makeCheckpoint } from '../../../engine/core/checkpoint/make-checkpoint.ts';

export function freshCheckpoints(prefix: string) {
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  let n = 0;
  const fresh = (opts: Parameters<typeof makeCheckpoint>[1] = {}) => {
    const d = join(tmp, `m${n++}`);
    makeCheckpoint(d, opts);
    return d;
  };
  return { tmp, fresh };
}
