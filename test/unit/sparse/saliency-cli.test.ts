// `sparsevila saliency` end to end on a random checkpoint: shapes, per-frame normalisation, pooling consistency.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeCheckpoint } from '../../../engine/core/checkpoint/make-checkpoint.ts';
import { SafetensorsFile, writeSafetensors } from '../../../engine/core/checkpoint/safetensors.ts';
import { saliencyCommand } from '../../../engine/cli/saliency.ts';
import { tokenSaliencyFromPatches } from '../../../engine/core/sparse/tokenSaliency.ts';
import { randomFloats } from './naive.ts';

const dir = mkdtempSync(join(tmpdir(), 'sv-sal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function readF32(f: SafetensorsFile, name: string): { shape: number[]; data: Float32Array } {
  const info = f.tensors.get(name)!;
  const b = f.readBytes(name);
  return { shape: info.shape, data: new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)) };
}

describe('sparsevila saliency', () => {
  it('writes patch_saliency [F, patches] and token_saliency [F*pooled^2]', async () => {
    const ck = join(dir, 'ck');
    makeCheckpoint(ck, { preset: 'small', seed: 2, std: 0.2 });
    const F = 2, S = 64; // small preset: 64 px, 8 px patches -> 8x8 grid, 4x4 pooled
    const ids = new BigInt64Array(F * 16 + 1 + 3).fill(5n);
    writeSafetensors(join(dir, 'in.safetensors'), {
      input_ids: { dtype: 'I64', shape: [1, ids.length], data: ids },
      pixel_values_videos: { dtype: 'F32', shape: [1, F, 3, S, S], data: randomFloats(F * 3 * S * S, 12) },
    });
    const out = join(dir, 'out.safetensors');
    expect(await saliencyCommand(['--model', ck, '--inputs', join(dir, 'in.safetensors'), '--out', out, '--backend', 'cpu'])).toBe(0);
    const f = new SafetensorsFile(out);
    const patch = readF32(f, 'patch_saliency');
    const token = readF32(f, 'token_saliency');
    f.close();
    expect(patch.shape).toEqual([F, 64]);
    expect(token.shape).toEqual([F * 16]);
    for (let fr = 0; fr < F; fr++) {
      const sum = patch.data.subarray(fr * 64, (fr + 1) * 64).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 4); // each query row's softmax sums to 1
    }
    const pooled = tokenSaliencyFromPatches(patch.data, F, 8, 8);
    for (let i = 0; i < pooled.length; i++) expect(token.data[i]).toBeCloseTo(pooled[i], 7);
    expect(Math.max(...patch.data) / Math.min(...patch.data)).toBeGreaterThan(1.01); // not a flat map
  });

  it('refuses inputs without a video', async () => {
    writeSafetensors(join(dir, 'noimg.safetensors'), { input_ids: { dtype: 'I64', shape: [1, 2], data: new BigInt64Array(2) } });
    await expect(saliencyCommand(['--model', join(dir, 'ck'), '--inputs', join(dir, 'noimg.safetensors'), '--out', join(dir, 'x')]))
      .rejects.toThrow(/pixel_values_videos/);
  });
});
