import type { PolicyName } from '../core/sparse/policy.ts';
import { UsageError } from './args.ts';

export interface EvalConfig {
  policy: PolicyName;
  prefillSparsity: number;
  decodeSparsity: number;
}

export function parseSparsities(spec: string): [number, number][] {
  return spec.split(',').filter(Boolean).map((pair) => {
    const [p, r] = pair.split(':').map(Number);
    if (!(p >= 0 && p < 1) || !(r >= 0 && r < 1)) throw new UsageError(`--sparsities: "${pair}" is not P:R with 0 <= P, R < 1`);
    return [p, r];
  });
}

/** dense once; prefill-only once per prefill sparsity; query-prune and sparsevila per pair. */
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
  return out;
}

export function configLabel(c: EvalConfig): string {
  if (c.policy === 'dense') return 'dense';
  if (c.policy === 'prefill-only') return `prefill-only p=${c.prefillSparsity}`;
  return `${c.policy} p=${c.prefillSparsity} r=${c.decodeSparsity}`;
}
