// The quantizer's pieces on fresh random inputs: group rounding, AWQ's scale and clip searches, the calibration
// row sampler and recorder, and the group-size check.
import { beforeAll, describe, expect, it } from 'vitest';
import { createBackend } from '../../../../engine/core/backend/create-backend.ts';
import type { Backend } from '../../../../engine/core/backend/backend.ts';
import { dequantizeAwq, packAwq, unpackAwq } from '../../../../engine/core/checkpoint/awq-layout.ts';
import { f16ToF32, f32ToF16 } from '../../../../engine/core/backend/dtype.ts';
import { parseConfig } from '../../../../engine/core/models/llava-onevision-config.ts';
import { presetConfig } from '../../../../engine/core/models/presets.ts';
import { checkGroupSize } from '../../../../engine/core/quantize/awq-config.ts';
import { RowSampler, recordLinearInputs } from '../../../../engine/core/quantize/activation-recorder.ts';
import { searchClip } from '../../../../engine/core/quantize/clip-search.ts';
import { fakeQuantize, quantizeGroups, type Matrix } from '../../../../engine/core/quantize/group-quant.ts';
import { HostMatmul, sqDiff } from '../../../../engine/core/quantize/matmul.ts';
import { valueChannelOf } from '../../../../engine/core/quantize/qwen2-groups.ts';
import { scalesForAlpha, searchScales } from '../../../../engine/core/quantize/scale-search.ts';
import { Rng } from '../../../../engine/core/synthetic/prng.ts';

let be: Backend;
beforeAll(async () => { be = await createBackend('cpu', { threads: 1 }); });

const normal = (rng: Rng) => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
function randomMatrix(out: number, inF: number, seed: number): Matrix {
  const rng = new Rng(seed);
  return { out, in: inF, data: Float32Array.from({ length: out * inF }, () => normal(rng)) };
}

describe('group rounding', () => {
  it('codes in 0..15, fp16 scales, every value within half a step of its group, zero exact, and the AWQ layout round-trips', () => {
    const w = randomMatrix(16, 96, 1);
    w.data.fill(0.25, 0, 32); // a constant group (all positive)
    const u = quantizeGroups(w, 32);
    expect(Math.max(...u.codes)).toBeLessThanOrEqual(15);
    expect(f16ToF32(f32ToF16(u.scales))).toEqual(u.scales);
    const d = dequantizeAwq(u);
    for (let o = 0; o < 16; o++) {
      for (let i = 0; i < 96; i++) {
        const s = u.scales[Math.floor(i / 32) * 16 + o];
        expect(Math.abs(d[o * 96 + i] - w.data[o * 96 + i])).toBeLessThanOrEqual(s / 2 + 1e-6);
      }
    }
    expect(d[0]).toBeCloseTo(0.25, 2);
    expect(dequantizeAwq(unpackAwq(packAwq(u)))).toEqual(d);
    // A zero weight stays exactly zero (the range always includes 0).
    const z = randomMatrix(8, 32, 2);
    z.data[5] = 0;
    expect(fakeQuantize(z, 32)[5]).toBe(0);
  });

  it('a clip bound narrows the group range (values beyond it saturate)', () => {
    const w = randomMatrix(8, 32, 3);
    const clip = new Float32Array(8).fill(0.5);
    const d = fakeQuantize(w, 32, clip);
    // Within half a step (the zero point is rounded): step = 1 / 15.
    for (const v of d) expect(Math.abs(v)).toBeLessThanOrEqual(0.5 + 0.5 / 15 + 1e-3);
  });
});

describe('AWQ searches', () => {
  /** Inputs with a few large channels (the outliers AWQ protects). */
  function activations(rows: number, inF: number, seed: number) {
    const rng = new Rng(seed);
    const big = new Set([3, 17, 40]);
    return { rows, in: inF, data: Float32Array.from({ length: rows * inF }, (_, k) => normal(rng) * (big.has(k % inF) ? 20 : 1)) };
  }

  it('α = 0 is plain rounding; the chosen α beats it on inputs with outlier channels', () => {
    expect([...scalesForAlpha(Float64Array.from([1, 5, 0.01]), 0)]).toEqual([1, 1, 1]);
    const mm = new HostMatmul(be, activations(128, 64, 4));
    const r = searchScales({ matmul: mm, linears: [randomMatrix(32, 64, 5), randomMatrix(16, 64, 6)], groupSize: 32 });
    mm.dispose();
    expect(r.alpha).toBeGreaterThan(0);
    expect(r.err).toBeLessThan(0.8 * r.errRtn);
    const s = r.scales;
    expect(s[3]).toBeGreaterThan(s[4]);
    expect(Math.max(...s) * Math.min(...s)).toBeCloseTo(1, 4);
  });

  it('the clip search never does worse than no clipping on its inputs', () => {
    const x = activations(96, 64, 7), w = randomMatrix(24, 64, 8);
    const { bounds, narrowed } = searchClip(w, x, 32);
    expect(narrowed).toBeGreaterThan(0);
    const mm = new HostMatmul(be, x);
    const ref = mm.times(w);
    const errClip = sqDiff(mm.times({ ...w, data: fakeQuantize(w, 32, bounds) }), ref);
    const errPlain = sqDiff(mm.times({ ...w, data: fakeQuantize(w, 32) }), ref);
    mm.dispose();
    expect(errClip).toBeLessThanOrEqual(errPlain);
  });

  it('o_proj heads share their value head\'s scale channel (grouped-query attention)', () => {
    const text = parseConfig(presetConfig('tiny')).text; // 4 heads, 2 value heads, head dim 8
    const ch = valueChannelOf(text);
    expect([ch[0], ch[8], ch[16], ch[24], ch[31]]).toEqual([0, 0, 8, 8, 15]);
  });
});

describe('calibration rows', () => {
  it('the sampler keeps every row under its cap and a uniform sample over it', () => {
    const s = new RowSampler(2, 4);
    s.add(Float32Array.from([1, 1, 2, 2, 3, 3]), 3);
    expect([...s.result().data]).toEqual([1, 1, 2, 2, 3, 3]);
    const big = new RowSampler(1, 100, 7);
    for (let b = 0; b < 100; b++) big.add(Float32Array.from({ length: 100 }, (_, i) => b * 100 + i), 100);
    const kept = big.result();
    expect(kept.rows).toBe(100);
    const mean = kept.data.reduce((a, v) => a + v, 0) / 100;
    expect(Math.abs(mean - 5000)).toBeLessThan(1000); // a prefix-only sample would average 50
  });

  it('the recorder sees the inputs of the named weights only, and the model computes as before', () => {
    const seen: [string, number][] = [];
    const rec = recordLinearInputs(be, new Map([['a.weight', 'A']]), (key, x, rows) => seen.push([key, rows * 1000 + x[0]]));
    const src = {
      has: () => true, close() {},
      get: (n: string) => ({ dtype: 'f32' as const, shape: [2, 2], bytes: new Uint8Array(Float32Array.from(n === 'a.weight' ? [1, 0, 0, 1] : [2, 0, 0, 2]).buffer) }),
    };
    const s = rec.source(src);
    const a = rec.backend.weight(s.get('a.weight')), b = rec.backend.weight(s.get('b.weight'));
    const x = rec.backend.fromHost(Float32Array.from([5, 6, 7, 8]), [2, 2]);
    expect([...rec.backend.toHost(rec.backend.linear(x, a))]).toEqual([5, 6, 7, 8]);
    expect([...rec.backend.toHost(rec.backend.linear(x, b))]).toEqual([10, 12, 14, 16]);
    expect(seen).toEqual([['A', 2005]]);
  });
});

describe('group size', () => {
  it('names the sizes it does not divide and suggests one that does', () => {
    const toyLike = parseConfig({ ...presetConfig('tiny'), text_config: { ...(presetConfig('tiny').text_config as object), hidden_size: 192, intermediate_size: 512, num_attention_heads: 4, num_key_value_heads: 2 } }).text;
    expect(() => checkGroupSize(toyLike, 128)).toThrow(/group size 128 does not divide the language model's hidden size \(q\/k\/v\/gate\/up inputs\) 192.*e\.g\. --group-size 64/);
    expect(() => checkGroupSize(toyLike, 64)).not.toThrow();
    expect(() => checkGroupSize(toyLike, 0)).toThrow(/positive integer/);
  });
});
