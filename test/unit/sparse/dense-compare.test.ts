// The dense run behind "speedup vs dense" does the sparse answer's amount of decoding: capped at its length, and its
// decode time scaled to the sparse step count when it stopped earlier.
import { describe, expect, it } from 'vitest';
import { alignDenseTimings, decodeSteps, denseTokenBudget } from '../../../engine/core/sparse/dense-compare.ts';

const t = { visionMs: 100, prefillMs: 50, retrievalMs: 0, decodeMs: 40, ttftMs: 160, totalMs: 190, tokensPerSec: 100 };

describe('dense comparison of the same length', () => {
  it('counts decode steps like the session does (EOS costs a step, the first token does not)', () => {
    expect(decodeSteps(1, 'eos')).toBe(1);
    expect(decodeSteps(5, 'max_tokens')).toBe(4);
    expect(decodeSteps(0, 'eos')).toBe(0);
  });

  it('caps the dense run at the sparse answer plus its EOS step', () => {
    expect(denseTokenBudget(1)).toBe(2);
    expect(denseTokenBudget(0)).toBe(1);
  });

  it('scales the dense decode to the sparse step count', () => {
    const a = alignDenseTimings(t, 4, 8); // dense stopped after 4 steps, sparse took 8
    expect(a.decodeMs).toBe(80);
    expect(a.totalMs).toBe(230);
    expect(a.visionMs).toBe(100);
    expect(alignDenseTimings(t, 8, 8)).toBe(t);
    expect(alignDenseTimings(t, 0, 3)).toBe(t);
  });
});
