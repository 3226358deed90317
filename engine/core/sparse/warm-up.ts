// Before two policies are timed against each other (`chat --measure-dense`, the app's "measure dense"), each runs
// once on a one-frame random video: the backend builds its graphs/kernels and touches its buffers here, so neither
// timed run pays those one-time costs. Without it the first timed run (the sparse one) paid them and the dense run
// after it did not, which under-reported turn 1's speedup.
import type { PolicyName } from '../../../electron/contract.ts';
import type { LlavaOnevision } from '../models/llava-onevision.ts';
import { benchPixels, runBenchConfig } from './benchRun.ts';

export interface WarmUpPolicy {
  policy: PolicyName;
  prefillSparsity: number;
  decodeSparsity: number;
}

/** One line for the user: how the speedup vs dense is measured. */
export const DENSE_MEASUREMENT_NOTE = 'speedup vs dense: both policies are warmed up first on a one-frame video, '
  + 'then each turn is run sparse and then dense on the same video, question and text history, with the dense decode '
  + 'time taken over as many steps as the sparse answer had; speedup = dense total / sparse total '
  + '(turn 1 includes vision and the prefix prefill)';

/** Runs each distinct policy once (two 2-token turns on one frame); returns the time it took in ms. */
export function warmUpPolicies(model: LlavaOnevision, policies: readonly WarmUpPolicy[]): number {
  const t0 = performance.now();
  const seen = new Set<PolicyName>();
  const pixels = benchPixels(model, 1);
  for (const p of policies) {
    if (seen.has(p.policy)) continue;
    seen.add(p.policy);
    const dense = p.policy === 'dense';
    runBenchConfig(model, {
      label: `warm-up ${p.policy}`, policy: p.policy,
      prefillSparsity: dense ? 0 : p.prefillSparsity, decodeSparsity: dense ? 0 : p.decodeSparsity,
    }, { frames: 1, turns: 2, newTokens: 2 }, pixels);
  }
  return performance.now() - t0;
}
