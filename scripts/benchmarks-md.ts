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
//   eval EVAL           EVAL = `sparsevila eval --out`: accuracy per turn and mean timings per config.
// Usage: npx tsx scripts/benchmarks-md.ts          rewrite the blocks of BENCHMARKS.md from the files they name
//        npx tsx scripts/benchmarks-md.ts --check  exit 1, naming the block, when BENCHMARKS.md is not what they give
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchSummaryTable, type BenchRun } from '../engine/cli/bench.ts';
import { resultsTable, type EvalResults } from '../engine/cli/eval.ts';

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

/** A JSON file named in a marker, or null when it does not exist. */
type Read = (file: string) => unknown;

const need = (file: string, v: unknown) => {
  if (v === null) throw new Error(`${file} is missing (the comment at the top of scripts/benchmarks-md.ts says what writes it)`);
  return v;
};

const GENERATORS: Record<string, (files: string[], read: Read) => string> = {
  'cuda-7b': ([bench, hf], read) => {
    const ours = read(bench) as BenchJson | null;
    if (!ours) {
      return `Not measured through this path yet: run \`bash scripts/gpu/kernels_check.sh clibench\` on the GPU machine, copy `
        + `its \`$OUT/cuda-7b.bench.json\` and \`$OUT/cuda-7b.hf.json\` to ${bench} and ${hf}, then \`npx tsx scripts/benchmarks-md.ts\`.`;
    }
    return cudaBlock(ours, hf ? read(hf) as HfJson | null : null);
  },
  eval: ([results], read) => resultsTable(need(results, read(results)) as EvalResults),
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
