// A random 4-bit layer (codes, zeros, scales) for the AWQ layout and backend tests, from a seeded LCG.
import type { AwqUnpacked } from '../../../engine/core/checkpoint/awq-layout.ts';

export function randomLayer(out: number, inF: number, groupSize: number, seed: number): AwqUnpacked {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const g = inF / groupSize;
  return {
    out, in: inF, groupSize,
    codes: Uint8Array.from({ length: out * inF }, () => Math.floor(rnd() * 16)),
    zeros: Uint8Array.from({ length: g * out }, () => Math.floor(rnd() * 16)),
    scales: Float32Array.from({ length: g * out }, () => Math.fround(0.001 + rnd() * 0.01)),
  };
}
