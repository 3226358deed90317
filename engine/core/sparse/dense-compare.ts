// The dense run that a turn's speedup is measured against must do the same work as the sparse answer: the same
// question, video and text history, and the same number of decode steps. Greedy dense and sparse answers can differ
// in length (a one-word sparse answer against a ten-word dense one would flatter sparse), so the dense run is capped
// at the sparse answer's length and, if it stopped earlier, its decode time is scaled to the sparse step count.
import type { Timings } from './stats.ts';

/** Decode steps of an answer: every generated token after the first, plus the step that produced EOS. */
export function decodeSteps(tokens: number, stopReason: string): number {
  return Math.max(0, tokens - 1 + (stopReason === 'eos' ? 1 : 0));
}

/** maxNewTokens for the dense run: the sparse answer's tokens plus room for its EOS step. */
export function denseTokenBudget(sparseTokens: number): number {
  return Math.max(1, sparseTokens + 1);
}

/** Dense timings with the decode time scaled to `sparseSteps` steps (unchanged when the counts match or dense had none). */
export function alignDenseTimings(dense: Timings, denseSteps: number, sparseSteps: number): Timings {
  if (denseSteps === sparseSteps || denseSteps <= 0) return dense;
  const decodeMs = (dense.decodeMs / denseSteps) * sparseSteps;
  return { ...dense, decodeMs, totalMs: dense.totalMs - dense.decodeMs + decodeMs };
}
