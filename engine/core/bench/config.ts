// `sparsevila bench` options: which policies/sparsities to time, on what workload.
import { checkSparsity } from '../sparse/select.ts';
import { POLICY_NAMES, type PolicyName } from '../sparse/policy.ts';
import { parseRetrievalSpecs, retrievalLabel, type RetrievalSettings } from '../sparse/retrieval-settings.ts';

export interface BenchConfig {
  label: string;
  policy: PolicyName;
  prefillSparsity: number;
  decodeSparsity: number;
  /** sparsevila's retrieval (default: per-layer). */
  retrieval?: RetrievalSettings;
}

/** Every sparsevila config once per retrieval spec ("per-layer,shared,top-p=0.9,refresh=16,pages=16,fastv=2"); the
 *  other policies once. Labels gain the retrieval ("sparsevila(0.75,0.9) shared"). Bench and eval configs. */
export function withRetrievals<C extends { label: string; policy: PolicyName; retrieval?: RetrievalSettings }>(configs: C[], specs: string | undefined): C[] {
  if (!specs) return configs;
  const list = parseRetrievalSpecs(specs);
  return configs.flatMap((c) => c.policy !== 'sparsevila' ? [c]
    : list.map((retrieval) => ({ ...c, label: `${c.label} ${retrievalLabel(retrieval)}`, retrieval })));
}

/** "dense,0.75:0.9,prefill-only@0.75,query-prune@0.75:0.9" -> configs. A bare "p:r" means policy sparsevila. */
export function parseBenchConfigs(spec: string): BenchConfig[] {
  const out: BenchConfig[] = [];
  for (const raw of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    let policy: PolicyName = 'sparsevila';
    let rest = raw;
    const at = raw.indexOf('@');
    if (at >= 0) {
      policy = raw.slice(0, at) as PolicyName;
      rest = raw.slice(at + 1);
    } else if ((POLICY_NAMES as readonly string[]).includes(raw)) {
      policy = raw as PolicyName;
      rest = '';
    }
    if (!POLICY_NAMES.includes(policy)) throw new Error(`--configs: unknown policy "${policy}" in "${raw}"`);
    let p = 0, r = 0;
    if (rest) {
      const parts = rest.split(':');
      if (parts.length > 2 || parts.some((x) => x.trim() === '' || !Number.isFinite(Number(x)))) {
        throw new Error(`--configs: "${raw}" is not POLICY, P:R or POLICY@P[:R]`);
      }
      p = Number(parts[0]);
      r = parts.length > 1 ? Number(parts[1]) : 0;
    }
    checkSparsity(`--configs "${raw}" prefill sparsity`, p);
    checkSparsity(`--configs "${raw}" decode sparsity`, r);
    if (policy === 'dense' && (p !== 0 || r !== 0)) throw new Error(`--configs: dense takes no sparsities ("${raw}")`);
    const label = policy === 'dense' ? 'dense' : `${policy}(${p},${r})`;
    out.push({ label, policy, prefillSparsity: p, decodeSparsity: r });
  }
  if (!out.length) throw new Error('--configs is empty');
  return out;
}
