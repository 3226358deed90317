// How sparsevila's decode retrieval picks the visual tokens decode reads (issue 15). Every mode scores only retained
// visual tokens, deletes nothing (the next turn can reach every retained token again) and keeps every non-visual token.
//   per-layer  the paper's: once per turn, each layer's top-k by the question's attention
//   shared     once per turn, one top-k by the question's attention averaged over layers, read by every layer but
//              the first `fullLayers`, which read every retained visual token
//   top-p      once per turn, per layer the smallest set holding `mass` of the question's attention over the retained
//              visual tokens (at least minRetrieved, at most the top-k's count)
//   refresh    per-layer top-k from the question, then every `refreshEvery` generated tokens again from the last
//              `refreshEvery` tokens' queries
//   pages      Quest-style: per decode step and layer, the top pages of `pageSize` retained visual tokens by an upper
//              bound of their attention logits from per-page key bounds (min/max per channel, computed once per prefix)
//   fastv      FastV-style baseline: layers <= fastvLayer read everything; the question's attention at fastvLayer picks
//              the top-k that the layers after it read in the question's prefill and in decode
// The budget of every mode is round((1 - decode sparsity) * retained), never below minRetrieved (nor above retained).

export type RetrievalMode = 'per-layer' | 'shared' | 'top-p' | 'refresh' | 'pages' | 'fastv';
export const RETRIEVAL_MODES: readonly RetrievalMode[] = ['per-layer', 'shared', 'top-p', 'refresh', 'pages', 'fastv'];

export interface RetrievalSettings {
  mode: RetrievalMode;
  /** Fewest visual tokens a retrieved set holds (budgets never round to zero); at most the retained count. */
  minRetrieved: number;
  /** top-p: share of each layer's question attention over the retained visual tokens its set must hold, (0, 1]. */
  mass: number;
  /** refresh: generated tokens between re-retrievals (and the window of queries each one scores with). */
  refreshEvery: number;
  /** pages: retained visual tokens per page. */
  pageSize: number;
  /** fastv: the layer whose question attention prunes for the layers after it. */
  fastvLayer: number;
  /** shared: how many first layers read every retained visual token instead of the shared set (0: none). */
  fullLayers: number;
}

/** 'shared': at the same tokens per layer and one selection per turn, it held the toy model's long answers far better
 *  than the paper's per-layer top-k on every prefill sparsity measured (BENCHMARKS.md, "Decode retrieval side by
 *  side"); the per-step modes (refresh every token, pages) held them better still but score every retained key per
 *  token, not yet timed at the 7B geometry. */
export const DEFAULT_RETRIEVAL: RetrievalSettings = {
  mode: 'shared', minRetrieved: 1, mass: 0.9, refreshEvery: 16, pageSize: 16, fastvLayer: 2, fullLayers: 0,
};

/** Throws a message naming the bad field; returns the settings with defaults filled in. */
export function resolveRetrieval(r: Partial<RetrievalSettings> | undefined): RetrievalSettings {
  const s = { ...DEFAULT_RETRIEVAL, ...r };
  if (!RETRIEVAL_MODES.includes(s.mode)) throw new Error(`retrieval must be one of ${RETRIEVAL_MODES.join(', ')}, got "${s.mode}"`);
  const int = (name: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new Error(`retrieval ${name} must be an integer >= ${min}, got ${v}`);
  };
  int('minRetrieved', s.minRetrieved, 1);
  int('refreshEvery', s.refreshEvery, 1);
  int('pageSize', s.pageSize, 1);
  int('fastvLayer', s.fastvLayer, 0);
  int('fullLayers', s.fullLayers, 0);
  if (!(Number.isFinite(s.mass) && s.mass > 0 && s.mass <= 1)) throw new Error(`retrieval mass must be in (0, 1], got ${s.mass}`);
  return s;
}

/** CLI flag names of each field (values as given on the command line). */
export const RETRIEVAL_FLAGS = {
  mode: 'retrieval', minRetrieved: 'min-retrieved', mass: 'retrieval-mass', refreshEvery: 'refresh-every',
  pageSize: 'page-size', fastvLayer: 'fastv-layer', fullLayers: 'full-layers',
} as const satisfies Record<keyof RetrievalSettings, string>;

export const RETRIEVAL_USAGE = `[--retrieval ${RETRIEVAL_MODES.join('|')}] [--min-retrieved N] [--retrieval-mass P] [--refresh-every N] [--page-size N] [--fastv-layer L] [--full-layers K]`;

/** The retrieval flags (values already split out) over `base`; throws naming the flag on a bad value. */
export function retrievalFromFlags(flags: Record<string, string | undefined>, base: RetrievalSettings = DEFAULT_RETRIEVAL): RetrievalSettings {
  const out: Record<string, unknown> = { ...base };
  for (const [key, flag] of Object.entries(RETRIEVAL_FLAGS)) {
    const v = flags[flag];
    if (v === undefined) continue;
    if (key === 'mode') { out.mode = v; continue; }
    const x = Number(v);
    if (v.trim() === '' || !Number.isFinite(x)) throw new Error(`--${flag} expects a number, got "${v}"`);
    out[key] = x;
  }
  try {
    return resolveRetrieval(out as Partial<RetrievalSettings>);
  } catch (e) {
    throw new Error(`${(e as Error).message} (flags ${Object.values(RETRIEVAL_FLAGS).map((f) => `--${f}`).join(', ')})`);
  }
}

/** Short label for tables: "shared", "shared+1 full", "top-p 0.9", "refresh/16", "pages 16", "fastv@2". */
export function retrievalLabel(r: RetrievalSettings): string {
  switch (r.mode) {
    case 'shared': return r.fullLayers ? `shared+${r.fullLayers} full` : 'shared';
    case 'top-p': return `top-p ${r.mass}`;
    case 'refresh': return `refresh/${r.refreshEvery}`;
    case 'pages': return `pages ${r.pageSize}`;
    case 'fastv': return `fastv@${r.fastvLayer}`;
    default: return r.mode;
  }
}

/** Each mode's one parameter (a spec's "=value", the app's setting); per-layer has none. */
export const MODE_PARAM: Partial<Record<RetrievalMode, keyof RetrievalSettings>> = {
  shared: 'fullLayers', 'top-p': 'mass', refresh: 'refreshEvery', pages: 'pageSize', fastv: 'fastvLayer',
};

/** `mode` with its one parameter set to `value` (null: base's) over `base`; throws naming the bad value. */
export function retrievalWithParam(mode: RetrievalMode, value: number | null, base: RetrievalSettings = DEFAULT_RETRIEVAL): RetrievalSettings {
  const out: Partial<RetrievalSettings> = resolveRetrieval({ ...base, mode });
  if (value !== null) {
    const key = MODE_PARAM[mode];
    if (!key) throw new Error(`retrieval ${mode} takes no parameter, got ${value}`);
    (out as Record<string, unknown>)[key] = value;
  }
  return resolveRetrieval(out);
}

/** "shared", "shared=1", "top-p=0.8", "refresh=16", "pages=16", "fastv=2" (mode[=its main parameter]) over `base`. */
export function parseRetrievalSpec(spec: string, base: RetrievalSettings = DEFAULT_RETRIEVAL): RetrievalSettings {
  const [mode, value, extra] = spec.trim().split('=');
  if (extra !== undefined) throw new Error(`retrieval "${spec}": expected MODE or MODE=VALUE`);
  if (value === undefined) return resolveRetrieval({ ...base, mode: mode as RetrievalMode });
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x)) throw new Error(`retrieval "${spec}": "${value}" is not a number`);
  return retrievalWithParam(mode as RetrievalMode, x, base);
}

/** A comma list of specs ("per-layer,shared,top-p=0.9") over `base`; undefined or blank: [base]. */
export function parseRetrievalSpecs(specs: string | undefined, base: RetrievalSettings = DEFAULT_RETRIEVAL): RetrievalSettings[] {
  if (specs === undefined) return [base];
  const list = specs.split(',').map((x) => x.trim()).filter(Boolean).map((x) => parseRetrievalSpec(x, base));
  if (!list.length) throw new Error('--retrieval is empty');
  return list;
}

/** The spec parseRetrievalSpec reads back (mode=its main parameter). */
export function retrievalSpec(r: RetrievalSettings): string {
  const key = MODE_PARAM[r.mode];
  return key ? `${r.mode}=${r[key]}` : r.mode;
}
