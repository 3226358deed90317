import { describe, expect, it } from 'vitest';
import { AWQ_PACK_ORDER, checkAwqShapes, dequantizeAwq, packAwq, unpackAwq } from '../../../engine/core/checkpoint/awq-layout.ts';
import { randomLayer } from './awq-random-layer.ts';

describe('AutoAWQ gemm layout', () => {
  it('puts channel 8c + ORDER[k] in nibble k of column c', () => {
    const u = randomLayer(8, 4, 4, 1);
    u.codes.fill(0);
    for (let o = 0; o < 8; o++) u.codes[o * 4 + 0] = o + 1; // input row 0: channel o holds o + 1
    const p = packAwq(u);
    const w = p.qweight[0] >>> 0;
    for (let k = 0; k < 8; k++) expect((w >>> (4 * k)) & 15).toBe(AWQ_PACK_ORDER[k] + 1);
  });

  it('round-trips codes, zeros and fp16 scales, and dequantizes (q - z) * s', () => {
    const u = randomLayer(24, 256, 128, 7);
    const back = unpackAwq(packAwq(u));
    expect(Array.from(back.codes)).toEqual(Array.from(u.codes));
    expect(Array.from(back.zeros)).toEqual(Array.from(u.zeros));
    for (let i = 0; i < u.scales.length; i++) expect(Math.abs(back.scales[i] - u.scales[i])).toBeLessThan(u.scales[i] * 1e-3);
    const w = dequantizeAwq(back);
    const o = 5, i = 200, g = 1;
    expect(w[o * 256 + i]).toBe(Math.fround((back.codes[o * 256 + i] - back.zeros[g * 24 + o]) * back.scales[g * 24 + o]));
  });

  it('names the tensor on a bad shape, a group size that does not divide, or a missing part', () => {
    const s = { out: 16, in: 256, groupSize: 128 };
    const ok = { qweight: [256, 2], qzeros: [2, 2], scales: [2, 16] };
    expect(() => checkAwqShapes('l.q_proj', s, ok)).not.toThrow();
    expect(() => checkAwqShapes('l.q_proj', s, { ...ok, qzeros: [2, 3] })).toThrow(/l\.q_proj\.qzeros: shape \[2,3\]/);
    expect(() => checkAwqShapes('l.q_proj', s, { ...ok, scales: undefined })).toThrow(/l\.q_proj\.scales: missing/);
    expect(() => checkAwqShapes('l.q_proj', { ...s, groupSize: 96 }, ok)).toThrow(/group size 96 does not divide/);
  });
});
