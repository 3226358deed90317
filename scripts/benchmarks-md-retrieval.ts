// BENCHMARKS.md's retrieval side-by-side (issue 15): from `sparsevila eval --describe --retrieval ... --out` on the v1
// toy model, per config the long answer ("describe the video .": exact / items named in order) beside the one-word
// turns, the tokens decode read and the decode time per token; then every question type; then, for a larger run of
// the same command, the same summary (the confirmation set).
import type { ConfigResult, EvalResults } from '../engine/cli/eval.ts';

const pct = (x: number, n: number) => (n ? `${((100 * x) / n).toFixed(1)}%` : '-');

/** One-word turns (every type but describe): correct / asked. */
function oneWord(c: ConfigResult): { correct: number; total: number } {
  let correct = 0, total = 0;
  for (const [type, t] of Object.entries(c.byType)) if (type !== 'describe') { correct += t.correct; total += t.total; }
  return { correct, total };
}

function summary(r: EvalResults): string {
  const dense = r.configs.find((c) => c.policy === 'dense');
  const head = ['config', 'describe: exact', 'describe: items in order', 'one-word turns', 'worst one-word type', 'decode reads (union over the answer, mean over layers)', 'decode ms/token', 'retrieval ms/turn'];
  const rows = r.configs.map((c) => {
    const d = c.byType.describe, w = oneWord(c);
    const types = Object.entries(c.byType).filter(([t]) => t !== 'describe' && dense?.byType[t]);
    const worst = types.map(([t, x]) => [t, x.correct / x.total - dense!.byType[t].correct / dense!.byType[t].total] as const).sort((a, b) => a[1] - b[1])[0];
    return [c.label, pct(d?.correct ?? 0, d?.total ?? 0), pct(d?.partial ?? 0, d?.total ?? 0), pct(w.correct, w.total),
      worst && worst[1] < 0 ? `${worst[0]} ${(100 * worst[1]).toFixed(1)} pts vs dense` : 'none below dense',
      String(c.visualTokensRead), String(c.decodeMsPerToken), String(c.meanMs.retrieval)];
  });
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((x) => `| ${x.join(' | ')} |`)].join('\n');
}

function perType(r: EvalResults): string {
  const types = [...new Set(r.configs.flatMap((c) => Object.keys(c.byType)))].sort();
  const n = r.configs[0]?.byType ?? {};
  const head = ['config', ...types.map((t) => `${t} (${n[t]?.total ?? 0})`)];
  const rows = r.configs.map((c) => [c.label, ...types.map((t) => pct(c.byType[t]?.correct ?? 0, c.byType[t]?.total ?? 0))]);
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((x) => `| ${x.join(' | ')} |`)].join('\n');
}

const setLine = (r: EvalResults) => `${r.videos} videos (seeds ${r.seeds[0]}-${r.seeds.at(-1)}), ${r.frames} frames, model ${r.model} (${r.backend}); `
  + `decode budget round((1 - r) x retained), at least ${r.minRetrieved}.`;

export function retrievalBlock(main: EvalResults, confirm: EvalResults | null): string {
  const out = [setLine(main), '', summary(main), '', 'Exact answers per question type of the conversation turns (asked in this set):', '', perType(main)];
  if (confirm) out.push('', `Confirmation: ${setLine(confirm)}`, '', summary(confirm));
  return out.join('\n');
}
