// BENCHMARKS.md's tables are what scripts/benchmarks-md.ts generates from the committed JSON (text and numbers cannot
// drift), and the CUDA block renders a `sparsevila bench --out` + bench_hf.py pair when they are committed.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBenchConfigs } from '../../../engine/core/bench/config.ts';
import { decodeFloor } from '../../../engine/core/bench/floor.ts';
import { benchVideo, runBenchConfig } from '../../../engine/core/bench/run.ts';
import { jsonReader, regenerate, vision8Block, type BenchJson, type Vision8Json } from '../../../scripts/benchmarks-md.ts';
import type { EvalResults } from '../../../engine/cli/eval.ts';
import { asLoaded, smallModel } from '../sparse/tinyModel.ts';

const root = path.resolve(__dirname, '../../..');

describe('BENCHMARKS.md', () => {
  it('equals what scripts/benchmarks-md.ts generates from the committed JSON', () => {
    const md = readFileSync(path.join(root, 'BENCHMARKS.md'), 'utf8');
    expect(md).toContain('<!-- benchmarks-md eval assets/benchmarks/toy-eval-0-60.json -->');
    expect(regenerate(md, jsonReader(root))).toBe(md);
  });

  it('a block whose numbers were edited by hand is regenerated from its JSON', () => {
    const md = readFileSync(path.join(root, 'BENCHMARKS.md'), 'utf8');
    const edited = md.replace('| dense | 100.0% | 100.0% |', '| dense | 99.0% | 100.0% |');
    expect(edited).not.toBe(md);
    expect(regenerate(edited, jsonReader(root))).toBe(md);
  });

  it('renders the CUDA block from a bench JSON and an HF JSON', async () => {
    const model = asLoaded(smallModel(2));
    const w = { frames: 2, turns: 1, newTokens: 3 };
    const results = [];
    for (const c of parseBenchConfigs('dense,0.5:0.5')) {
      const r = await runBenchConfig(model, c, w, benchVideo(model, 2));
      results.push({ ...r, floor: decodeFloor(model.config, model.backend, r, w, 10) });
    }
    const bench: BenchJson = { model: 'tiny', machine: { device: 'TestGPU', node: 'v0' }, date: '2026-12-04', copyGBps: 4000, weightBytesPerToken: 2e9, runs: [{ workload: w, results }] };
    const hf = { device: 'TestGPU', torch: '9', results: [{ frames: 2, tokens_in: 40, vision_ms: 2 * results[0].visionMs, prefill_ms: 10, decode_ms_per_token: 1 }] };
    const files: Record<string, unknown> = { 'b.json': bench, 'h.json': hf };
    const md = 'x\n<!-- benchmarks-md cuda-7b b.json h.json -->\nold\n<!-- /benchmarks-md -->\ny\n';
    const out = regenerate(md, (f) => files[f] ?? null);
    expect(out).toMatch(/^x\n<!-- benchmarks-md cuda-7b b.json h.json -->\ntiny on TestGPU, 2026-12-04 \(node v0\); device copy rate 4.00 TB\/s/);
    expect(out).toContain(`| 2 | dense | ${results[0].prefixTokens} |`);
    expect(out).toContain('| 2 | sparsevila(0.5,0.5) |');
    expect(out).toContain('| 2 | 40 | ');
    expect(out).toContain('| 2.00x / ');  // HF vision was set to twice ours
    expect(out).not.toContain('old');
    expect(regenerate('<!-- benchmarks-md cuda-7b b.json h.json -->\n<!-- /benchmarks-md -->', () => null)).toMatch(/Not measured through this path yet/);
  });

  it('renders the 4-bit block beside the 16-bit bench, with the goals and the device memory', async () => {
    const model = asLoaded(smallModel(2));
    const w = { frames: 2, turns: 1, newTokens: 3 };
    const bench = async (scale: number, mem: number): Promise<BenchJson> => {
      const results = [];
      for (const c of parseBenchConfigs('dense,0.5:0.5')) {
        const r = await runBenchConfig(model, c, w, benchVideo(model, 2));
        results.push({ ...r, endToEndMs: r.endToEndMs * scale, floor: decodeFloor(model.config, model.backend, r, w, 10) });
      }
      return { model: 'tiny', machine: { device: 'TestGPU', node: 'v0' }, date: '2026-12-04', copyGBps: 4000, weightBytesPerToken: 1e9 * scale, runs: [{ workload: w, results, gpuMemoryBytes: mem }] };
    };
    const files: Record<string, unknown> = { 'q.json': await bench(1, 7 * 2 ** 30), 'b.json': await bench(2, 20 * 2 ** 30) };
    const out = regenerate('<!-- benchmarks-md cuda-7b-w4 q.json b.json -->\n<!-- /benchmarks-md -->', (f) => files[f] ?? null);
    expect(out).toContain('decode reads 1.00 GB of weights per token at 4 bits (2.00 GB at 16 bits)');
    expect(out).toMatch(/\| 2 \| sparsevila\(0\.5,0\.5\) \|( [^|]+ \|){8} [\d.]+ \| [\d.]+x \|\n/);  // ... 16-bit E2E ms | 4-bit vs 16-bit
    expect(out).toContain('2 frames: device memory in use after the runs (the CUDA pool\'s high-water mark + context) 7.00 GiB at 4 bits, 20.00 GiB at 16 bits');
    expect(out).toMatch(/2 frames: E2E sparsevila\(0\.5,0\.5\) vs dense [\d.]+x \(goal >= 1\.4x: (met|missed)\)/);
    expect(regenerate('<!-- benchmarks-md cuda-7b-w4 q.json b.json -->\n<!-- /benchmarks-md -->', () => null)).toMatch(/clibench4/);
  });

  it('names an unknown generator and a missing input', () => {
    expect(() => regenerate('<!-- benchmarks-md nope a.json -->\n<!-- /benchmarks-md -->', () => null)).toThrow(/unknown generator "nope"/);
    expect(() => regenerate('<!-- benchmarks-md eval a.json -->\n<!-- /benchmarks-md -->', () => null)).toThrow(/a.json is missing/);
  });

  it('renders the 8-bit vision block: features per geometry, eval side by side with the 1-point goal, GEMMs and time', () => {
    const variant = { label: '8-bit', loadMs: 1500, maxRelErr: 0.0123, meanRelErr: 0.004, saliencyRelErr: 0.01, overlap: { meanVideo: 0.95, meanFrame: 0.9, worstFrame: 0.5 } };
    const v: Vision8Json = {
      date: '2026-12-05', device: 'CPU', node: 'v0', calibration: { seeds: [7], framesPerScene: 2 },
      features: [{ geometry: 'toy', model: 't', vision: { layers: 4, hidden: 8, intermediate: 16, imageSize: 64 }, scenes: [1], framesPerVideo: 2, tokens: 32, prefillSparsity: 0.75, nearCutoff: 0.02, variants: [variant] }],
      kernels: { rows: 10, threads: '2 threads', shapes: [{ n: 4, k: 8, linear: 'fc1', ms: { f32: 2, 'integer-to-float': 1 } }] },
      timing: { model: 'm', frames: 16, f32Ms: [300, 200, 100], i8Ms: [100, 150, 50], f32Median: 200, i8Median: 100, calibrationLoadMs: 5000, loadMs16: 1000 },
    };
    const evalOf = (single: number, turn1: number) => ({ model: 't', backend: 'cpu', frames: 16, videos: 30, seeds: [1000, 1029],
      single: { correct: single, total: 100, byType: {} },
      configs: [{ label: 'dense', policy: 'dense', prefillSparsity: 0, decodeSparsity: 0, turns: [{ correct: turn1, total: 100 }], meanMs: { vision: 0, prefill: 0, retrieval: 0, decode: 0, ttft: 0, total: 0 }, visualTokensRetained: 0 }] }) as unknown as EvalResults;
    const out = vision8Block(v, evalOf(98, 100), evalOf(98, 99));
    expect(out).toContain('| toy (t) | 4 layers, 8 / 16, 64 px | 8-bit | 32 (1 x 2 frames) | 1.23 % | 0.40 % | 1.00 % | 95.00 % / 90.00 % / 50.00 % | 2.00 % | 1.5 |');
    expect(out).toContain('| 8-bit | dense | 98.0% (98/100) | 99.0% |');
    expect(out).toContain('1.0 points (goal: within 1 point: met)');
    expect(vision8Block(v, evalOf(98, 100), evalOf(96, 100))).toContain('2.0 points (goal: within 1 point: NOT met)');
    expect(out).toContain('| fc1 | 8 -> 4 | 2.0 | 1.0 |');
    expect(out).toContain('(median 200), 8-bit 100 / 150 / 50 ms (median 100): **2.00x**');
  });
});
