// Next-token choice.
import { describe, expect, it } from 'vitest';
import { argmax, createRng, sampleToken } from '../../../engine/core/session/sampling.ts';

const logits = Float32Array.from([1, 5, 2, 4.9, -3]);

describe('sampling', () => {
  it('greedy picks the argmax (temperature 0)', () => {
    expect(argmax(logits)).toBe(1);
    expect(sampleToken(logits, { temperature: 0, topP: 1, rng: createRng(1) })).toBe(1);
  });

  it('is deterministic for a seed and varies across seeds', () => {
    const run = (seed: number) => {
      const rng = createRng(seed);
      return Array.from({ length: 40 }, () => sampleToken(logits, { temperature: 1, topP: 1, rng }));
    };
    expect(run(3)).toEqual(run(3));
    expect(run(3)).not.toEqual(run(4));
  });

  it('top-p keeps only the nucleus', () => {
    const rng = createRng(9);
    const seen = new Set<number>();
    for (let i = 0; i < 300; i++) seen.add(sampleToken(logits, { temperature: 1, topP: 0.6, rng }));
    expect([...seen].sort()).toEqual([1, 3]);
  });

  it('temperature sampling follows the softmax', () => {
    const rng = createRng(5);
    const counts = new Array(5).fill(0);
    const N = 4000;
    for (let i = 0; i < N; i++) counts[sampleToken(logits, { temperature: 1, topP: 1, rng })]++;
    const z = [...logits].reduce((a, x) => a + Math.exp(x), 0);
    for (let i = 0; i < 5; i++) expect(counts[i] / N).toBeCloseTo(Math.exp(logits[i]) / z, 1);
  });

  it('rejects a bad top_p', () => {
    expect(() => sampleToken(logits, { temperature: 1, topP: 0, rng: createRng(1) })).toThrow(/top_p/);
  });
});
