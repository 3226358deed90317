import type { PolicyName } from '../core/sparse/policy.ts';
import { retrievalFromFlags, RETRIEVAL_FLAGS, parseRetrievalSpecs, retrievalLabel, type RetrievalSettings } from '../core/sparse/retrieval-settings.ts';
import { str, UsageError, type ParsedArgs } from './args.ts';

export interface EvalConfig {
  policy: PolicyName;
  prefillSparsity: number;
  decodeSparsity: number;
  /** Decode retrieval (sparsevila's mode; query-prune's budget floor minRetrieved). */
  retrieval?: RetrievalSettings;
  /** prefill-only at the decode-time visual count of this sparsevila pair (prefill:decode). */
  matches?: [number, number];
}

export function parseSparsities(spec: string): [number, number][] {
  return spec.split(',').filter(Boolean).map((pair) => {
    const [p, r] = pair.split(':').map(Number);
    if (!(p >= 0 && p < 1) || !(r >= 0 && r < 1)) throw new UsageError(`--sparsities: "${pair}" is not P:R with 0 <= P, R < 1`);
    return [p, r];
  });
}

/** dense once; prefill-only once per prefill sparsity; query-prune and sparsevila per pair; with sparsevila, prefill-only
 *  at each pair's decode-time visual count too (prefill sparsity 1 - (1 - p)(1 - r)). */
export function evalConfigs(policies: readonly PolicyName[], pairs: readonly [number, number][]): EvalConfig[] {
  const out: EvalConfig[] = [];
  const seen = new Set<string>();
  const add = (c: EvalConfig) => {
    const k = `${c.policy}@${c.prefillSparsity}:${c.decodeSparsity}`;
    if (!seen.has(k)) { seen.add(k); out.push(c); }
  };
  for (const policy of policies) {
    if (policy === 'dense') add({ policy, prefillSparsity: 0, decodeSparsity: 0 });
    else for (const [p, r] of pairs) add({ policy, prefillSparsity: p, decodeSparsity: policy === 'prefill-only' ? 0 : r });
  }
  if (policies.includes('sparsevila')) {
    for (const [p, r] of pairs) add({ policy: 'prefill-only', prefillSparsity: Math.round((1 - (1 - p) * (1 - r)) * 10000) / 10000, decodeSparsity: 0, matches: [p, r] });
  }
  return out;
}

export function configLabel(c: EvalConfig): string {
  if (c.policy === 'dense') return 'dense';
  if (c.policy === 'prefill-only') return `prefill-only p=${c.prefillSparsity}${c.matches ? ` (sparsevila p=${c.matches[0]} r=${c.matches[1]}'s decode count)` : ''}`;
  const base = `${c.policy} p=${c.prefillSparsity} r=${c.decodeSparsity}`;
  return c.policy === 'sparsevila' && c.retrieval ? `${base} ${retrievalLabel(c.retrieval)}` : base;
}

/** eval's retrieval: the flags other than --retrieval (--min-retrieved, --retrieval-mass, ...) set the base, which
 *  --retrieval's comma list of specs ("per-layer,shared,top-p=0.9") varies; without --retrieval, the base alone. */
export function evalRetrievals(a: ParsedArgs): { base: RetrievalSettings; list: RetrievalSettings[] } {
  const flags: Record<string, string | undefined> = {};
  for (const flag of Object.values(RETRIEVAL_FLAGS)) if (flag !== RETRIEVAL_FLAGS.mode) flags[flag] = str(a, flag);
  try {
    const base = retrievalFromFlags(flags);
    return { base, list: parseRetrievalSpecs(str(a, RETRIEVAL_FLAGS.mode), base) };
  } catch (e) {
    throw new UsageError((e as Error).message, a.usage);
  }
}

/** Every sparsevila config once per retrieval in `list` (a labelled config's label gains the retrieval's); the other
 *  policies once, with `base` (query-prune's budget has the same floor). */
export function withEvalRetrievals<C extends EvalConfig & { label?: string }>(configs: readonly C[], base: RetrievalSettings, list: readonly RetrievalSettings[]): C[] {
  return configs.flatMap((c): C[] => c.policy !== 'sparsevila' ? [{ ...c, retrieval: base }]
    : list.map((retrieval) => ({ ...c, retrieval, ...(c.label === undefined ? {} : { label: `${c.label} ${retrievalLabel(retrieval)}` }) })));
}

/** The configs' shared budget floor (eval gives every config the same base). */
export function minRetrievedOf(configs: readonly EvalConfig[]): number {
  const m = new Set(configs.map((c) => c.retrieval?.minRetrieved ?? 1));
  if (m.size > 1) throw new Error(`eval: configs disagree on minRetrieved (${[...m].join(', ')})`);
  return m.size ? [...m][0] : 1;
}

/** The output's statement of the decode budget's floor (none for results saved before it was recorded). */
export function budgetNote(minRetrieved: number | undefined): string {
  return minRetrieved === undefined ? '' : ` Decode retrieval budget: round((1 - r) x retained visual tokens), at least ${minRetrieved} (--min-retrieved).`;
}
