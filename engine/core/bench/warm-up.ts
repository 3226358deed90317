// Before two policies are timed against each other (`chat --measure-dense`, the app's "measure dense"), each runs
// once on a one-frame random video: the backend builds its graphs/kernels and touches its buffers here, so neither
// timed run pays those one-time costs. Without it the first timed run (the sparse one) paid them and the dense run
// after it did not, which under-reported turn 1's speedup.
import type { LoadedVlm } from '../models/load-model.ts';
import { ChatSession, type SessionVideo } from '../session/chat-session.ts';
import { DENSE_SETTINGS } from '../sparse/policy.ts';
import type { PolicyName } from '../sparse/policy.ts';
import { resolveRetrieval, type RetrievalSettings } from '../sparse/retrieval-settings.ts';
import { benchVideo, runBenchConfig, type BenchWorkload } from './run.ts';

export interface WarmUpPolicy {
  policy: PolicyName;
  prefillSparsity: number;
  decodeSparsity: number;
  retrieval?: Partial<RetrievalSettings>;
}

/** One line for the user: how the speedup vs dense is measured. */
export const DENSE_MEASUREMENT_NOTE = 'speedup vs dense: both policies are warmed up first on a one-frame video, '
  + 'then each turn is run sparse and then dense on the same video, question and text history, with the dense decode '
  + 'time taken over as many steps as the sparse answer had; speedup = dense total / sparse total '
  + '(turn 1 includes vision and the prefix prefill)';

/** Runs each distinct policy (and retrieval mode) once: two 2-token turns on one frame (Qwen-VL: one temporal group
 *  of small frames), through ChatSession like the timed runs; returns the time it took in ms. */
export async function warmUpPolicies(model: LoadedVlm, policies: readonly WarmUpPolicy[],
  text: Pick<BenchWorkload, 'headTokens' | 'instructionTokens' | 'questionTokens'> = {}): Promise<number> {
  const t0 = performance.now();
  const seen = new Set<string>();
  // A Qwen-VL tower takes any frame size; LLaVA's frames have the tower's.
  const frames = model.kind === 'qwen-vl' ? model.config.vision.temporalPatchSize : 1;
  const video = benchVideo(model, frames, { frame: { width: 112, height: 112 } });
  for (const p of policies) {
    const key = `${p.policy} ${p.policy === 'sparsevila' ? p.retrieval?.mode ?? 'per-layer' : ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const dense = p.policy === 'dense';
    await runBenchConfig(model, {
      label: `warm-up ${key}`, policy: p.policy,
      prefillSparsity: dense ? 0 : p.prefillSparsity, decodeSparsity: dense ? 0 : p.decodeSparsity,
      retrieval: p.retrieval ? resolveRetrieval(p.retrieval) : undefined,
    }, { ...text, frames, turns: 2, newTokens: 3 }, video);
  }
  return performance.now() - t0;
}

/** Before a frame count's timed runs: one untimed dense prefix (vision + prefill, no turn) on that video, so the first
 *  timed config does not pay the device memory pool's growth to that shape (it did: 239 vs 191 ms of Qwen2.5-VL-7B
 *  vision at 64 frames on the H200, 2026-12-05). */
export async function warmUpShape(model: LoadedVlm, video: SessionVideo): Promise<number> {
  const t0 = performance.now();
  const s = await ChatSession.create(model, video, { sparse: { ...DENSE_SETTINGS }, turnCapacity: 1 });
  s.dispose();
  return performance.now() - t0;
}
