// BENCHMARKS.md's tables, generated from the JSON files the benchmarks write, so the text cannot drift from the
// numbers (test/unit/bench/benchmarks-md.test.ts checks the committed file). Each generated block names its generator
// and its input files (paths from the repository root) in its opening marker:
//   <!-- benchmarks-md cuda-7b assets/benchmarks/cuda-7b.bench.json assets/benchmarks/cuda-7b.hf.json -->
//   ...generated, do not edit...
//   <!-- /benchmarks-md -->
// Generators:
//   cuda-7b BENCH [HF]  BENCH = `sparsevila bench --out` (scripts/gpu/kernels_check.sh clibench writes
//                       $OUT/cuda-7b.bench.json), HF = `scripts/gpu/bench_hf.py --out` ($OUT/cuda-7b.hf.json):
//                       the machine line, our table per frames x config, HF on the same shapes and ours vs HF.
//   cuda-7b-w4 BENCH4 BENCH16
//                       `sparsevila bench --weights awq4` and the 16-bit bench of the same call (kernels_check.sh
//                       clibench4 writes $OUT/cuda-7b-awq4.bench.json and $OUT/cuda-7b-bf16.bench.json): 4-bit vs
//                       16-bit per frames x config, the device memory after each frame count, and issue 13's goals.
//   eval EVAL           EVAL = `sparsevila eval --out`: accuracy per turn and mean timings per config.
//   quantize-eval E16 EAWQ ERTN QAWQ QRTN
//                       E* = `sparsevila eval --out` on the 16-bit model and its AWQ / RTN copies, Q* = `sparsevila
//                       quantize --report` of those copies: accuracy side by side, and the output error per linear.
//   vision8 JSON E16 E8 JSON = scripts/vision8-measure.ts --out, E* = `sparsevila eval --vision-bits 16|8 --out` of the
//                       toy model: 8-bit vs 16-bit vision features, kept sets, accuracy, int8 GEMMs and tower time.
//   eval-v2 EVAL        EVAL = `sparsevila eval --world v2 --out`: items named in order / exact per config and turn,
//                       per question type and per answer length.
//   retrieval-v1 EVAL [CONFIRM]
//                       `sparsevila eval --describe --retrieval ... --out` (v1 world): per config the describe turn
//                       (exact / items in order) beside the one-word turns, decode reads and ms/token, then per type;
//                       CONFIRM: a larger run of the same command, summarised the same way.
// Usage: npx tsx scripts/benchmarks-md.ts          rewrite the blocks of BENCHMARKS.md from the files they name
//        npx tsx scripts/benchmarks-md.ts --check  exit 1, naming the block, when BENCHMARKS.md is not what they give
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchSummaryTable, type BenchRun } from '../engine/cli/bench.ts';
import { pct, resultsTable, type EvalResults } from '../engine/cli/eval.ts';
import { LINEARS } from '../engine/core/quantize/qwen2-groups.ts';
import type { QuantizeReport } from '../engine/core/quantize/quantize-model.ts';
import { resultsTableV2, type EvalV2Results } from '../engine/cli/eval-v2.ts';
import { retrievalBlock } from './benchmarks-md-retrieval.ts';

export interface BenchJson {
  model: string;
  machine: { device: string; node: string };
  date: string;
  copyGBps: number;
  weightBytesPerToken: number;
  runs: BenchRun[];
}

export interface HfJson {
  device: string;
  torch: string;
  results: Record<string, number | string>[];
}

/** HF transformers on the bench's shapes, and our dense run's speedup over it per phase. */
export function hfTable(ours: BenchJson, hf: HfJson): string {
  const turns = ours.runs[0]?.workload.turns ?? 3, tokens = ours.runs[0]?.workload.newTokens ?? 128;
  const rows = [
    `HF transformers (${hf.device}, torch ${hf.torch}), E2E derived = vision + prefill + ${turns} x ${tokens} decode steps:`,
    '',
    '| frames | tokens | HF vision ms | HF LLM prefill ms | HF decode ms/tok | HF E2E ms (derived) | ours dense speedup over HF: vision / prefill / decode / E2E |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const h of hf.results) {
    if ('error' in h) { rows.push(`| ${h.frames} | — | error | error | error | — | — |`); continue; }
    const v = Number(h.vision_ms), p = Number(h.prefill_ms), d = Number(h.decode_ms_per_token);
    const e2e = v + p + turns * tokens * d;
    const dense = ours.runs.find((r) => r.workload.frames === Number(h.frames))?.results.find((r) => r.config.policy === 'dense');
    const x = (hfv: number, o?: number) => (o && o > 0 ? `${(hfv / o).toFixed(2)}x` : '—');
    const cmp = dense ? `${x(v, dense.visionMs)} / ${x(p, dense.prefixPrefillMs)} / ${x(d, dense.floor.decodeMs)} / ${x(e2e, dense.endToEndMs)}` : '—';
    rows.push(`| ${h.frames} | ${h.tokens_in} | ${v.toFixed(0)} | ${p.toFixed(0)} | ${d.toFixed(2)} | ${e2e.toFixed(0)} | ${cmp} |`);
  }
  return rows.join('\n');
}

export function cudaBlock(ours: BenchJson, hf: HfJson | null): string {
  const head = `${ours.model} on ${ours.machine.device}, ${ours.date} (node ${ours.machine.node}); device copy rate `
    + `${(ours.copyGBps / 1000).toFixed(2)} TB/s (read + write); decode reads ${(ours.weightBytesPerToken / 1e9).toFixed(2)} GB of weights per token.`;
  return [head, '', benchSummaryTable(ours.runs), ...(hf ? ['', hfTable(ours, hf)] : [])].join('\n');
}

/** The 4-bit bench beside the 16-bit one of the same call, and issue 13's goals computed from it. */
export function w4Block(q4: BenchJson, b16: BenchJson | null): string {
  const gb = (n: number) => (n / 1e9).toFixed(2);
  const head = `${q4.model} on ${q4.machine.device}, ${q4.date} (node ${q4.machine.node}); device copy rate `
    + `${(q4.copyGBps / 1000).toFixed(2)} TB/s (read + write); decode reads ${gb(q4.weightBytesPerToken)} GB of weights per token at 4 bits`
    + (b16 ? ` (${gb(b16.weightBytesPerToken)} GB at 16 bits)` : '') + '.';
  const rows = [
    '| frames | config | 4-bit LLM prefill ms | 4-bit decode ms/tok | floor ms/tok | decode / floor | decode speedup | 4-bit E2E ms | E2E speedup | 16-bit decode ms/tok | 16-bit E2E ms | 4-bit vs 16-bit E2E |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const x = (a: number, b: number | undefined) => (b && a > 0 ? `${(b / a).toFixed(2)}x` : '—');
  const goals: string[] = [];
  for (const run of q4.runs) {
    const F = run.workload.frames;
    const dense = run.results.find((r) => r.config.policy === 'dense');
    const other = b16?.runs.find((r) => r.workload.frames === F);
    for (const r of run.results) {
      const o = other?.results.find((c) => c.config.label === r.config.label);
      rows.push(`| ${F} | ${r.config.label} | ${r.prefixPrefillMs.toFixed(0)} | ${r.floor.decodeMs.toFixed(2)} | ${r.floor.floorMs.toFixed(2)} | `
        + `${(r.floor.decodeMs / r.floor.floorMs).toFixed(2)}x | ${x(r.floor.decodeMs, dense?.floor.decodeMs)} | ${r.endToEndMs.toFixed(0)} | `
        + `${x(r.endToEndMs, dense?.endToEndMs)} | ${o ? o.floor.decodeMs.toFixed(2) : '—'} | ${o ? o.endToEndMs.toFixed(0) : '—'} | ${x(r.endToEndMs, o?.endToEndMs)} |`);
    }
    const best = run.results.filter((r) => r.config.policy !== 'dense').sort((a, b) => a.endToEndMs - b.endToEndMs)[0];
    if (dense && best) {
      const e2e = dense.endToEndMs / best.endToEndMs, dec = dense.floor.decodeMs / best.floor.decodeMs;
      const need = F >= 256 ? 2.6 : 1.4;
      goals.push(`${F} frames: E2E ${best.config.label} vs dense ${e2e.toFixed(2)}x (goal >= ${need}x: ${e2e >= need ? 'met' : 'missed'})`
        + (F >= 256 ? `; decode ${dec.toFixed(2)}x (goal >= 1.55x: ${dec >= 1.55 ? 'met' : 'missed'})` : '')
        + `; 4-bit decode / floor ${(best.floor.decodeMs / best.floor.floorMs).toFixed(2)}x (goal <= 1.2x: ${best.floor.decodeMs / best.floor.floorMs <= 1.2 ? 'met' : 'missed'})`);
    }
    const mem = (j: BenchJson | null | undefined) => j?.runs.find((r) => r.workload.frames === F)?.gpuMemoryBytes;
    const m4 = mem(q4), m16 = mem(b16);
    if (m4 !== undefined) {
      goals.push(`${F} frames: device memory in use after the runs (the CUDA pool's high-water mark + context) ${(m4 / 2 ** 30).toFixed(2)} GiB at 4 bits`
        + (m16 !== undefined ? `, ${(m16 / 2 ** 30).toFixed(2)} GiB at 16 bits` : '') + (F === 64 ? ` (goal <= 8 GiB at 4 bits: ${m4 <= 8 * 2 ** 30 ? 'met' : 'missed'})` : ''));
    }
  }
  return [head, '', ...rows, '', ...goals.map((g) => `- ${g}`)].join('\n');
}

/** A JSON file named in a marker, or null when it does not exist. */
type Read = (file: string) => unknown;

const need = (file: string, v: unknown) => {
  if (v === null) throw new Error(`${file} is missing (the comment at the top of scripts/benchmarks-md.ts says what writes it)`);
  return v;
};

/** Accuracy of several evals of one set side by side: per config, dense single-turn and each conversation turn. */
export function evalAccuracyRows(evals: [string, EvalResults][], what: string): string[] {
  const turns = Math.max(...evals.flatMap(([, e]) => e.configs.map((c) => c.turns.length)));
  const head = [what, 'config', 'dense single-turn', ...Array.from({ length: turns }, (_, i) => `turn ${i + 1}`)];
  const rows = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const [label, e] of evals) {
    for (const c of e.configs) {
      rows.push(`| ${label} | ${c.label} | ${c.policy === 'dense' ? `${pct(e.single)} (${e.single.correct}/${e.single.total})` : ''} | ${Array.from({ length: turns }, (_, i) => pct(c.turns[i])).join(' | ')} |`);
    }
  }
  return rows;
}

/** 16-bit vs AWQ vs RTN copies on the same eval: accuracy per config and turn, then each linear's output error. */
export function quantizeEvalBlock(evals: [string, EvalResults][], reports: QuantizeReport[]): string {
  const rows = evalAccuracyRows(evals, 'weights');
  const r0 = reports[0];
  const err = [
    '',
    `Relative output error per linear (||X·Ŵᵀ − X·Wᵀ|| / ||X·Wᵀ|| on ${r0.calibration.rowsKept} calibration rows per group; `
      + `${reports.map((r) => `${r.method}${r.clip ? ' + clip' : ''}`).join(' / ')}, group size ${r0.groupSize}; AWQ's α in brackets):`,
    '',
    `| layer | ${LINEARS.join(' | ')} |`, `|---|${LINEARS.map(() => '---').join('|')}|`,
  ];
  const cell = (r: QuantizeReport, layer: number, n: string) => r.layers[layer].linears.find((x) => x.linear === n)!;
  for (let l = 0; l < r0.layers.length; l++) {
    err.push(`| ${l} | ${LINEARS.map((n) => reports.map((r) => {
      const x = cell(r, l, n);
      return `${(100 * x.outputError).toFixed(2)}${x.alpha === null ? '' : ` (${x.alpha.toFixed(2)})`}`;
    }).join(' / ')).join(' | ')} |`);
  }
  const mean = (r: QuantizeReport, n: string, f: 'outputError' | 'weightError') =>
    (100 * r.layers.reduce((a, l) => a + l.linears.find((x) => x.linear === n)![f], 0)) / r.layers.length;
  err.push(`| mean | ${LINEARS.map((n) => reports.map((r) => mean(r, n, 'outputError').toFixed(2)).join(' / ')).join(' | ')} |`);
  err.push(`| weight error | ${LINEARS.map((n) => reports.map((r) => mean(r, n, 'weightError').toFixed(2)).join(' / ')).join(' | ')} |`);
  return [...rows, ...err].join('\n');
}

/** scripts/vision8-measure.ts's JSON (issue 13 part 4). */
export interface Vision8Json {
  date: string;
  device: string;
  node: string;
  calibration: { seeds: number[]; framesPerScene: number };
  features?: {
    geometry: string; model: string; vision: { layers: number; hidden: number; intermediate: number; imageSize: number };
    scenes: number[]; framesPerVideo: number; tokens: number; prefillSparsity: number; nearCutoff: number;
    variants: { label: string; loadMs: number; maxRelErr: number; meanRelErr: number; saliencyRelErr: number; overlap: { meanVideo: number; meanFrame: number; worstFrame: number } }[];
  }[];
  kernels?: { rows: number; threads: string; loadavg1?: number; shapes: { n: number; k: number; linear: string; ms: Record<string, number> }[] };
  timing?: { model: string; frames: number; loadavg1?: number[]; f32Ms: number[]; i8Ms: number[]; f32Median: number; i8Median: number; calibrationLoadMs: number; loadMs16: number };
}

/** 8-bit vs 16-bit vision on the CPU: features and kept-set overlap per geometry, the toy model's eval side by side,
 *  the int8 GEMM variants, and the tower's time. */
export function vision8Block(v: Vision8Json, e16: EvalResults | null, e8: EvalResults | null): string {
  const p = (x: number) => `${(100 * x).toFixed(2)} %`;
  const out = [`CPU backend on ${v.device}, node ${v.node}, ${v.date}. Calibration: ${v.calibration.framesPerScene} frames of each of the synthetic-world scenes ${v.calibration.seeds.join(', ')}.`, ''];
  if (v.features) {
    out.push('| geometry | vision tower | tower | tokens compared | max rel. error | mean rel. error | saliency rel. error | kept-set overlap at p=0.75: video / mean frame / worst frame | 16-bit tokens within 1 % of the cut | load s |',
      '|---|---|---|---|---|---|---|---|---|---|');
    for (const f of v.features) {
      for (const x of f.variants) {
        out.push(`| ${f.geometry} (${f.model}) | ${f.vision.layers} layers, ${f.vision.hidden} / ${f.vision.intermediate}, ${f.vision.imageSize} px | ${x.label} | ${f.tokens} (${f.scenes.length} x ${f.framesPerVideo} frames) | `
          + `${p(x.maxRelErr)} | ${p(x.meanRelErr)} | ${p(x.saliencyRelErr)} | ${p(x.overlap.meanVideo)} / ${p(x.overlap.meanFrame)} / ${p(x.overlap.worstFrame)} | ${p(f.nearCutoff)} | ${(x.loadMs / 1000).toFixed(1)} |`);
      }
    }
    out.push('', 'Relative error: per video token (projector output after the 2x2 pooling), ||8-bit − 16-bit|| / ||16-bit||; saliency: '
      + 'the same over each video\'s token saliency vector (worst video). Overlap: |kept(8-bit) ∩ kept(16-bit)| / max of the two sizes, over the video '
      + 'and per frame. Tokens within 1 % of the cut: the share of the 16-bit tokens whose saliency is that close to the lowest kept one (worst video).');
  }
  if (e16 && e8) {
    out.push('', ...evalAccuracyRows([['16-bit', e16], ['8-bit', e8]], 'vision'));
    const diffs = e16.configs.flatMap((c, i) => c.turns.map((t, j) => Math.abs(100 * (e8.configs[i].turns[j].correct / e8.configs[i].turns[j].total - t.correct / t.total))));
    diffs.push(Math.abs(100 * (e8.single.correct / e8.single.total - e16.single.correct / e16.single.total)));
    const worst = Math.round(Math.max(...diffs) * 1e6) / 1e6;  // 99 % vs 100 % is 1 point, not 1.0000000000000009
    out.push('', `Largest difference 8-bit vs 16-bit over the cells above: ${worst.toFixed(1)} points (goal: within 1 point: ${worst <= 1 ? 'met' : 'NOT met'}); `
      + `${e16.videos} videos, seeds ${e16.seeds[0]}-${e16.seeds.at(-1)}.`);
  }
  if (v.kernels) {
    const names = Object.keys(v.kernels.shapes[0].ms);
    out.push('', `int8 GEMM variants (cpu-i8.ts) vs the f32 GEMM, ${v.kernels.rows} rows (4 frames of 729 patches), median of 5 interleaved rounds, ms (${v.kernels.threads}${v.kernels.loadavg1 === undefined ? '' : `; 1-minute load average ${v.kernels.loadavg1.toFixed(1)} at the end`}):`, '',
      `| linear | K -> N | ${names.join(' | ')} |`, `|---|---|${names.map(() => '---').join('|')}|`);
    for (const sh of v.kernels.shapes) out.push(`| ${sh.linear} | ${sh.k} -> ${sh.n} | ${names.map((n) => sh.ms[n].toFixed(1)).join(' | ')} |`);
  }
  if (v.timing) {
    const t = v.timing;
    out.push('', `Vision (encodeVideo: tower + projector + pooling) of ${t.frames} frames at the ${t.model} geometry, runs interleaved`
      + `${t.loadavg1 ? ` (1-minute load average before each pair: ${t.loadavg1.map((x) => x.toFixed(1)).join(' / ')})` : ''}: `
      + `f32 ${t.f32Ms.map((x) => x.toFixed(0)).join(' / ')} ms (median ${t.f32Median.toFixed(0)}), 8-bit ${t.i8Ms.map((x) => x.toFixed(0)).join(' / ')} ms `
      + `(median ${t.i8Median.toFixed(0)}): **${(t.f32Median / t.i8Median).toFixed(2)}x**. Model load: 16-bit ${(t.loadMs16 / 1000).toFixed(1)} s, 8-bit `
      + `${(t.calibrationLoadMs / 1000).toFixed(1)} s (calibration pass and quantization included).`);
  }
  return out.join('\n');
}

const GENERATORS: Record<string, (files: string[], read: Read) => string> = {
  'cuda-7b': ([bench, hf], read) => {
    const ours = read(bench) as BenchJson | null;
    if (!ours) {
      return `Not measured through this path yet: run \`bash scripts/gpu/kernels_check.sh clibench\` on the GPU machine, copy `
        + `its \`$OUT/cuda-7b.bench.json\` and \`$OUT/cuda-7b.hf.json\` to ${bench} and ${hf}, then \`npx tsx scripts/benchmarks-md.ts\`.`;
    }
    return cudaBlock(ours, hf ? read(hf) as HfJson | null : null);
  },
  'cuda-7b-w4': ([q4, b16], read) => {
    const ours = read(q4) as BenchJson | null;
    if (!ours) {
      return `Not measured yet: run \`bash scripts/gpu/kernels_check.sh clibench4\` on the GPU machine, copy its `
        + `\`$OUT/cuda-7b-awq4.bench.json\` and \`$OUT/cuda-7b-bf16.bench.json\` to ${q4} and ${b16}, then \`npx tsx scripts/benchmarks-md.ts\`.`;
    }
    return w4Block(ours, b16 ? read(b16) as BenchJson | null : null);
  },
  eval: ([results], read) => resultsTable(need(results, read(results)) as EvalResults),
  'quantize-eval': ([e16, eAwq, eRtn, qAwq, qRtn], read) => quantizeEvalBlock(
    [['16-bit', need(e16, read(e16)) as EvalResults], ['4-bit AWQ', need(eAwq, read(eAwq)) as EvalResults], ['4-bit RTN', need(eRtn, read(eRtn)) as EvalResults]],
    [need(qAwq, read(qAwq)) as QuantizeReport, need(qRtn, read(qRtn)) as QuantizeReport],
  ),
  'eval-v2': ([results], read) => resultsTableV2(need(results, read(results)) as EvalV2Results),
  'retrieval-v1': ([main, confirm], read) => retrievalBlock(need(main, read(main)) as EvalResults, confirm ? need(confirm, read(confirm)) as EvalResults : null),
  vision8: ([json, e16, e8], read) => vision8Block(need(json, read(json)) as Vision8Json, read(e16) as EvalResults | null, read(e8) as EvalResults | null),
};

const BLOCK = /<!-- benchmarks-md ([\w-]+)((?: [^\s>]+)*) -->\n[\s\S]*?<!-- \/benchmarks-md -->/g;

/** BENCHMARKS.md with every block regenerated; `read` loads a JSON file named in a marker. */
export function regenerate(md: string, read: Read): string {
  return md.replace(BLOCK, (_all, name: string, args: string) => {
    const gen = GENERATORS[name];
    if (!gen) throw new Error(`BENCHMARKS.md: unknown generator "${name}" (known: ${Object.keys(GENERATORS).join(', ')})`);
    const files = args.trim().split(' ').filter(Boolean);
    return `<!-- benchmarks-md ${name}${args} -->\n${gen(files, read).trimEnd()}\n<!-- /benchmarks-md -->`;
  });
}

/** Reads JSON files relative to the repository root (null: no such file). */
export function jsonReader(root: string): Read {
  return (file) => {
    const p = path.join(root, file);
    return existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) : null;
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const file = path.join(root, 'BENCHMARKS.md');
  const md = readFileSync(file, 'utf8');
  const next = regenerate(md, jsonReader(root));
  if (process.argv.includes('--check')) {
    if (next !== md) {
      const changed = [...md.matchAll(BLOCK)].filter((m) => !next.includes(m[0])).map((m) => m[1]);
      console.error(`BENCHMARKS.md differs from its JSON in block(s): ${changed.join(', ')}; run npx tsx scripts/benchmarks-md.ts`);
      process.exitCode = 1;
    }
  } else if (next !== md) {
    writeFileSync(file, next);
    console.log('BENCHMARKS.md regenerated');
  } else {
    console.log('BENCHMARKS.md is up to date');
  }
}
