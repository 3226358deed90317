// Markdown tables for BENCHMARKS.md from one device call's `sparsevila bench --out clibench.json` and
// `scripts/gpu/bench_hf.py --out bench_hf.json`: ours per frames x config, HF on the same shapes, and ours vs HF.
// Usage: npx tsx scripts/gpu/bench_table.ts clibench.json [bench_hf.json]
import { readFileSync } from 'node:fs';
import { benchSummaryTable, type BenchRun } from '../../engine/cli/bench.ts';

const [oursPath, hfPath] = process.argv.slice(2);
if (!oursPath) throw new Error('usage: bench_table.ts clibench.json [bench_hf.json]');
const ours = JSON.parse(readFileSync(oursPath, 'utf8')) as { machine: { device: string }; copyGBps: number; weightBytesPerToken: number; runs: BenchRun[]; date: string };
console.log(`ours: ${ours.machine.device}, ${ours.date}; copy ${ours.copyGBps.toFixed(0)} GB/s; decode weights ${(ours.weightBytesPerToken / 1e9).toFixed(2)} GB/token\n`);
console.log(benchSummaryTable(ours.runs));
if (hfPath) {
  const hf = JSON.parse(readFileSync(hfPath, 'utf8')) as { device: string; torch: string; results: Record<string, number | string>[] };
  const turns = ours.runs[0]?.workload.turns ?? 3, tokens = ours.runs[0]?.workload.newTokens ?? 128;
  console.log(`\nHF transformers (${hf.device}, torch ${hf.torch}), E2E derived = vision + prefill + ${turns} x ${tokens} decode steps\n`);
  console.log('| frames | tokens | HF vision ms | HF LLM prefill ms | HF decode ms/tok | HF E2E ms (derived) | ours dense speedup over HF: vision / prefill / decode / E2E |');
  console.log('|---|---|---|---|---|---|---|');
  for (const h of hf.results) {
    if ('error' in h) { console.log(`| ${h.frames} | — | error | error | error | — | — |`); continue; }
    const v = Number(h.vision_ms), p = Number(h.prefill_ms), d = Number(h.decode_ms_per_token);
    const e2e = v + p + turns * tokens * d;
    const run = ours.runs.find((r) => r.workload.frames === Number(h.frames));
    const dense = run?.results.find((r) => r.config.policy === 'dense');
    const x = (hfv: number, o?: number) => (o && o > 0 ? `${(hfv / o).toFixed(2)}x` : '—');
    const cmp = dense ? `${x(v, dense.visionMs)} / ${x(p, dense.prefixPrefillMs)} / ${x(d, dense.floor.decodeMs)} / ${x(e2e, dense.endToEndMs)}` : '—';
    console.log(`| ${h.frames} | ${h.tokens_in} | ${v.toFixed(0)} | ${p.toFixed(0)} | ${d.toFixed(2)} | ${e2e.toFixed(0)} | ${cmp} |`);
  }
}
