// The comparison policies (project definitions) resolved to what the engine does at each stage.
import { checkSparsity } from './select.ts';
import { resolveRetrieval, retrievalFromFlags, type RetrievalSettings } from './retrieval-settings.ts';

export type PolicyName = 'dense' | 'prefill-only' | 'query-prune' | 'sparsevila';
/** What the model sees of earlier turns: nothing, or their text re-prefilled each turn. */
export type HistoryMode = 'none' | 'text';

export const POLICY_NAMES: readonly PolicyName[] = ['dense', 'prefill-only', 'query-prune', 'sparsevila'];

export interface SparseSettings {
  policy: PolicyName;
  prefillSparsity: number;
  decodeSparsity: number;
  perFrameFloor: number;
  history: HistoryMode;
  /** How sparsevila's decode retrieval picks tokens (default: DEFAULT_RETRIEVAL, one set shared by all layers). */
  retrieval?: Partial<RetrievalSettings>;
}

export const DEFAULT_SPARSE: SparseSettings = {
  policy: 'sparsevila',
  prefillSparsity: 0.75,
  decodeSparsity: 0.9,
  perFrameFloor: 0,
  history: 'none',
};

/** No pruning, no retrieval: every visual token in the prefix and in every decode step. */
export const DENSE_SETTINGS: SparseSettings = { policy: 'dense', prefillSparsity: 0, decodeSparsity: 0, perFrameFloor: 0, history: 'none' };

export interface PolicyPlan {
  policy: PolicyName;
  /** Compute patch/token saliency from the vision tower (needed for pruning; also shown in the inspector). */
  saliency: boolean;
  /** Prefill sparsity actually applied (0 = keep every visual token). */
  prefillSparsity: number;
  perFrameFloor: number;
  /** 'per-turn': SparseVILA retrieval before every turn's decode, nothing deleted; 'permanent': FastV-like, at turn 1
   *  keep the top visual tokens by the question's attention (mean over layers) and delete the rest for good. */
  decode: 'dense' | 'per-turn' | 'permanent';
  decodeSparsity: number;
  history: HistoryMode;
  /** Under 'per-turn' decode: how the retrieved set is picked (engine/core/sparse/retrieval-settings.ts). */
  retrieval: RetrievalSettings;
}

export function resolvePolicy(s: SparseSettings): PolicyPlan {
  if (!POLICY_NAMES.includes(s.policy)) throw new Error(`unknown policy "${s.policy}" (expected one of ${POLICY_NAMES.join(', ')})`);
  checkSparsity('prefill sparsity', s.prefillSparsity);
  checkSparsity('decode sparsity', s.decodeSparsity);
  if (!Number.isInteger(s.perFrameFloor) || s.perFrameFloor < 0) throw new Error(`per-frame floor must be a non-negative integer, got ${s.perFrameFloor}`);
  if (s.history !== 'none' && s.history !== 'text') throw new Error(`history must be "none" or "text", got "${s.history}"`);
  const retrieval = resolveRetrieval(s.retrieval);
  switch (s.policy) {
    case 'dense':
      return { policy: 'dense', saliency: false, prefillSparsity: 0, perFrameFloor: 0, decode: 'dense', decodeSparsity: 0, history: s.history, retrieval };
    case 'prefill-only':
      return { policy: 'prefill-only', saliency: true, prefillSparsity: s.prefillSparsity, perFrameFloor: s.perFrameFloor, decode: 'dense', decodeSparsity: 0, history: s.history, retrieval };
    case 'query-prune':
      return { policy: 'query-prune', saliency: true, prefillSparsity: s.prefillSparsity, perFrameFloor: s.perFrameFloor, decode: 'permanent', decodeSparsity: s.decodeSparsity, history: s.history, retrieval };
    case 'sparsevila':
      return { policy: 'sparsevila', saliency: true, prefillSparsity: s.prefillSparsity, perFrameFloor: s.perFrameFloor, decode: 'per-turn', decodeSparsity: s.decodeSparsity, history: s.history, retrieval };
  }
}

/** Parse `--policy --prefill-sparsity --decode-sparsity --per-frame-floor --history` and the retrieval flags
 *  (RETRIEVAL_FLAGS; values already split out). */
export function sparseSettingsFromFlags(flags: Record<string, string | undefined>, base: SparseSettings = DEFAULT_SPARSE): SparseSettings {
  const num = (name: string, v: string | undefined, fallback: number) => {
    if (v === undefined) return fallback;
    const x = Number(v);
    if (v.trim() === '' || !Number.isFinite(x)) throw new Error(`--${name} expects a number, got "${v}"`);
    return x;
  };
  const policy = (flags['policy'] ?? base.policy) as PolicyName;
  if (!POLICY_NAMES.includes(policy)) throw new Error(`--policy must be one of ${POLICY_NAMES.join(', ')}, got "${policy}"`);
  const history = (flags['history'] ?? base.history) as HistoryMode;
  if (history !== 'none' && history !== 'text') throw new Error(`--history must be "none" or "text", got "${history}"`);
  const out: SparseSettings = {
    policy,
    prefillSparsity: num('prefill-sparsity', flags['prefill-sparsity'], base.prefillSparsity),
    decodeSparsity: num('decode-sparsity', flags['decode-sparsity'], base.decodeSparsity),
    perFrameFloor: num('per-frame-floor', flags['per-frame-floor'], base.perFrameFloor),
    history,
    retrieval: retrievalFromFlags(flags, resolveRetrieval(base.retrieval)),
  };
  resolvePolicy(out);
  return out;
}
