// The decode-retrieval setting in words: what each mode does, its one parameter, and the check a typed value must pass
// (the engine's own rule, retrievalWithParam, plus the contract's cap) before it is sent.
import type { RetrievalChoice } from '../../../electron/contract.ts';
import { SETTINGS_LIMITS } from '../../../electron/settings-limits.ts';
import { DEFAULT_RETRIEVAL, MODE_PARAM, retrievalWithParam, type RetrievalMode } from '../../../engine/core/sparse/retrieval-settings.ts';
import type { Checked } from './frame-sampling.ts';

export const RETRIEVAL_OPTIONS: { id: RetrievalMode; label: string; hint: string }[] = [
  { id: 'per-layer', label: 'Per layer (the paper’s)', hint: 'Once per question, each layer reads its own top tokens by the question’s attention.' },
  { id: 'shared', label: 'Shared by all layers', hint: 'Once per question, one set of top tokens (the layers’ attention averaged) that every layer reads, but the first N layers, which read every token.' },
  { id: 'top-p', label: 'Attention mass (top-p)', hint: 'Once per question, each layer reads the fewest tokens holding this share of its attention (at most the budget).' },
  { id: 'refresh', label: 'Re-retrieve during the answer', hint: 'Per layer, chosen again every N generated tokens from the latest tokens’ attention (N = 1: every token).' },
  { id: 'pages', label: 'Pages per token (Quest-style)', hint: 'Every generated token, each layer reads the pages of tokens whose keys can score highest.' },
  { id: 'fastv', label: 'FastV-style (baseline)', hint: 'The first layers read everything; the chosen layer’s question attention picks what the later ones read.' },
];

const PARAM_LABEL: Record<string, string> = {
  fullLayers: 'First layers that read every token', mass: 'Attention share to hold (0–1)', refreshEvery: 'Generated tokens between re-retrievals', pageSize: 'Tokens per page', fastvLayer: 'Layer that picks',
};

/** The parameter field of a mode: its label and the value shown (the choice's, else the engine default); null: none. */
export function retrievalParam(c: RetrievalChoice): { label: string; value: number; step: number } | null {
  const key = MODE_PARAM[c.mode];
  if (!key) return null;
  return { label: PARAM_LABEL[key], value: c.value ?? (DEFAULT_RETRIEVAL[key] as number), step: key === 'mass' ? 0.05 : 1 };
}

/** A typed parameter: accepted when the engine accepts it for `mode` and it is within the contract's cap. */
export function checkRetrievalParam(mode: RetrievalMode, raw: string): Checked {
  const v = Number(raw.trim()), max = SETTINGS_LIMITS.retrievalParam.max;
  if (raw.trim() === '' || !Number.isFinite(v)) return { ok: false, error: 'Retrieval: type a number.' };
  if (v > max) return { ok: false, error: `Retrieval: ${v} is above ${max}.` };
  try {
    retrievalWithParam(mode, v);
  } catch (e) {
    return { ok: false, error: `Retrieval: ${(e as Error).message.replace(/^retrieval /, '')}.` };
  }
  return { ok: true, value: v };
}
