// `sparsevila logits` inputs (issue 16 item 11): token ids that do not fit, an empty input_ids, and ids outside the
// model's vocabulary are refused with the index and value, instead of wrapping (2^40 became 0) or failing deep inside.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSafetensors } from '../../../engine/core/checkpoint/safetensors.ts';
import { makeCheckpoint } from '../../../engine/core/checkpoint/make-checkpoint.ts';
import { logitsCommand, readLogitsInputs } from '../../../engine/cli/logits.ts';

const tmp = mkdtempSync(join(tmpdir(), 'logits-in-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const inputs = (name: string, ids: BigInt64Array | Int32Array) => {
  const p = join(tmp, name);
  writeSafetensors(p, { input_ids: { dtype: ids instanceof BigInt64Array ? 'I64' : 'I32', shape: [1, ids.length], data: ids } });
  return p;
};

describe('logits inputs', () => {
  it('int64 ids beyond int32 are refused, not wrapped', () => {
    const p = inputs('big.safetensors', BigInt64Array.of(5n, 2n ** 40n, 7n));
    expect(() => readLogitsInputs(p)).toThrow(/big\.safetensors: input_ids\[1\] = 1099511627776 is not a token id/);
    const q = inputs('neg.safetensors', Int32Array.of(3, -1));
    expect(() => readLogitsInputs(q)).toThrow(/input_ids\[1\] = -1 is not a token id/);
  });

  it('an empty input_ids is refused in plain words', () => {
    const p = inputs('empty.safetensors', new BigInt64Array(0));
    expect(() => readLogitsInputs(p)).toThrow(/empty\.safetensors: input_ids is empty \(shape \[1,0\]\); give at least one token/);
  });

  it('ids outside the model\'s vocabulary are refused before the forward pass', async () => {
    const model = join(tmp, 'model');
    makeCheckpoint(model, { preset: 'tiny' });
    const p = inputs('oov.safetensors', BigInt64Array.of(1n, 2n, 100000n));
    await expect(logitsCommand(['--model', model, '--inputs', p, '--out', join(tmp, 'out.safetensors'), '--backend', 'cpu']))
      .rejects.toThrow(/input_ids\[2\] = 100000 is outside the model's vocabulary \(\d+ tokens\)/);
  });
});
