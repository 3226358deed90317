// 8-bit (W8A8) vs 16-bit vision tower on the CPU backend (issue 13 part 4), through loadModel's visionPrecision and
// LlavaOnevision.encodeVideo as the app runs them:
//   features  per geometry (the trained toy model; the 0.5b preset's synthetic weights): the relative error of every
//             video token (projector output after pooling) against the 16-bit tower, and the overlap of the tokens
//             prefill pruning keeps at p = 0.75 (SparsePolicy with the app's default sparsevila settings)
//   kernels   the onnxruntime int8 GEMM variants of cpu-i8.ts against the f32 GEMM at the 0.5b tower's shapes (median
//             of 5 rounds, variants interleaved)
//   timing    encodeVideo of 16 frames at the 0.5b geometry, f32 vs 8-bit, runs interleaved, median of 3
// Usage: npx tsx scripts/vision8-measure.ts --out assets/benchmarks/vision8-cpu.json [--threads N] [--parts features,kernels,timing]
import { writeFileSync, existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseCommandArgs, int, str } from '../engine/cli/args.ts';
import { CpuBackend } from '../engine/core/backend/cpu/cpu-backend.ts';
import { I8_KERNELS, type I8Kernel } from '../engine/core/backend/cpu/cpu-i8.ts';
import { loadModel, type LoadedModel, type LoadModelOptions } from '../engine/core/models/load-model.ts';
import { videoGeometry } from '../engine/core/models/llava-onevision-config.ts';
import { quantizeWeightI8 } from '../engine/core/quantize/int8.ts';
import { syntheticVideo } from '../engine/core/quantize/synthetic-frames.ts';
import { CALIBRATION_FRAMES_PER_SCENE, CALIBRATION_SEEDS, DEFAULT_SMOOTH_ALPHA } from '../engine/core/models/siglip-w8.ts';
import { DEFAULT_SPARSE } from '../engine/core/sparse/policy.ts';
import { SparsePolicy } from '../engine/core/sparse/session-policy.ts';
import { LLAVA_ONEVISION_PREPROCESS, loadPreprocessConfig } from '../engine/core/video/preprocess-config.ts';

const USAGE = 'npx tsx scripts/vision8-measure.ts --out FILE.json [--threads N] [--parts features,kernels,timing] [--geometries toy,0.5b]';
const a = parseCommandArgs(process.argv.slice(2), { strings: ['out', 'threads', 'parts', 'geometries'] }, USAGE);
const geometries = (str(a, 'geometries') ?? 'toy,0.5b').split(',') as Geometry[];
const out = str(a, 'out', true)!;
const threads = int(a, 'threads');
const parts = (str(a, 'parts') ?? 'features,kernels,timing').split(',');
const TOY = 'assets/models/sparsevila-toy-shapes';
/** Held-out scenes of the evaluation's seed range (calibration uses CALIBRATION_SEEDS, 1000001+). */
const FEATURE_SCENES = { toy: [1000, 1001, 1002, 1003], '0.5b': [1000] };
const FEATURE_FRAMES = { toy: 16, '0.5b': 4 };
const VARIANTS: { label: string; alpha: number | null }[] = [
  { label: `8-bit, SmoothQuant α=${DEFAULT_SMOOTH_ALPHA} (default)`, alpha: DEFAULT_SMOOTH_ALPHA },
  { label: '8-bit, no smoothing', alpha: null },
];

const log = (s: string) => process.stderr.write(`${s} (loadavg ${loadavg()[0].toFixed(1)})\n`);
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

type Geometry = 'toy' | '0.5b';
const loadOpts = (g: Geometry, o: LoadModelOptions): [string, LoadModelOptions] =>
  [g === 'toy' ? TOY : '', { backend: 'cpu', threads, ...(g === '0.5b' ? { synthetic: '0.5b' as const } : {}), ...o }];
const load = (g: Geometry, o: LoadModelOptions) => loadModel(...loadOpts(g, o));

function pixelsOf(g: Geometry, m: LoadedModel, seed: number, frames: number): Float32Array {
  const S = m.config.vision.imageSize;
  const pre = g === 'toy' ? loadPreprocessConfig(TOY) : { ...LLAVA_ONEVISION_PREPROCESS, width: S, height: S };
  return syntheticVideo(seed, frames, pre).pixelValues;
}

/** Video tokens (without the newline row), their saliency and the visual tokens prefill pruning keeps at the default
 *  settings. */
function encode(m: LoadedModel, pixels: Float32Array, frames: number): { tokens: Float32Array; kept: Int32Array; saliency: Float32Array } {
  const policy = new SparsePolicy(m.model, DEFAULT_SPARSE);
  const enc = m.model.encodeVideo(pixels, frames, { onFrameQK: policy.frameQK() });
  const all = m.backend.toHost(enc.tokens);
  const tokens = all.slice(0, frames * enc.tokensPerFrame * m.config.text.hiddenSize);
  m.backend.dispose(enc.tokens);
  const kept = policy.selectVisualTokens(frames, enc.tokensPerFrame) ?? Int32Array.from({ length: frames * enc.tokensPerFrame }, (_, i) => i);
  return { tokens, kept, saliency: policy.tokenSaliency! };
}

/** Per-row ||a - b|| / ||b||. */
function rowErrors(a: Float32Array, b: Float32Array, width: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < b.length / width; r++) {
    let num = 0, den = 0;
    for (let c = r * width; c < (r + 1) * width; c++) { num += (a[c] - b[c]) ** 2; den += b[c] ** 2; }
    out.push(Math.sqrt(num / Math.max(den, 1e-30)));
  }
  return out;
}

/** Share of the tokens whose saliency is within 1 % of the lowest kept one's: how fragile the ranking is. */
function nearCutoff(saliency: Float32Array, kept: Int32Array): number {
  const cut = Math.min(...Array.from(kept, (i) => saliency[i]));
  return saliency.filter((x) => Math.abs(x - cut) <= 0.01 * cut).length / saliency.length;
}

/** Overlap of two kept sets, per frame |A∩B| / max(|A|, |B|) (1 when both keep nothing there) and over the video. */
function overlap(a: Int32Array, b: Int32Array, frames: number, perFrame: number): { video: number; frames: number[] } {
  const sa = new Set(a);
  const both = b.filter((i) => sa.has(i));
  const count = (xs: Int32Array, f: number) => xs.filter((i) => Math.floor(i / perFrame) === f).length;
  return {
    video: both.length / Math.max(a.length, b.length),
    frames: Array.from({ length: frames }, (_, f) => {
      const m = Math.max(count(a, f), count(b, f));
      return m === 0 ? 1 : count(both, f) / m;
    }),
  };
}

async function features(g: Geometry) {
  let ref: LoadedModel | null = await load(g, {});
  const frames = FEATURE_FRAMES[g], seeds = FEATURE_SCENES[g];
  const D = ref.config.text.hiddenSize, { tokensPerFrame } = videoGeometry(ref.config), c = ref.config.vision;
  const inputs = seeds.map((s) => pixelsOf(g, ref!, s, frames));
  const want = inputs.map((px) => encode(ref!, px, frames));
  const name = ref.name;
  ref = null; // the 16-bit model's memory goes before the 8-bit ones load
  log(`${g}: 16-bit encoded ${seeds.length} x ${frames} frames`);
  const variants = [];
  for (const v of VARIANTS) {
    const m = await load(g, { visionPrecision: '8bit', visionSmoothAlpha: v.alpha });
    log(`${g}: ${v.label} loaded in ${(m.loadMs / 1000).toFixed(1)} s`);
    const errs: number[] = [], frameOverlaps: number[] = [], videoOverlaps: number[] = [], salErrs: number[] = [];
    inputs.forEach((px, i) => {
      const got = encode(m, px, frames);
      errs.push(...rowErrors(got.tokens, want[i].tokens, D));
      salErrs.push(...rowErrors(got.saliency, want[i].saliency, want[i].saliency.length));
      const o = overlap(got.kept, want[i].kept, frames, tokensPerFrame);
      videoOverlaps.push(o.video);
      frameOverlaps.push(...o.frames);
    });
    variants.push({
      label: v.label, alpha: v.alpha, loadMs: m.loadMs,
      maxRelErr: Math.max(...errs), meanRelErr: errs.reduce((x, y) => x + y, 0) / errs.length,
      saliencyRelErr: Math.max(...salErrs),
      overlap: {
        meanVideo: videoOverlaps.reduce((x, y) => x + y, 0) / videoOverlaps.length,
        meanFrame: frameOverlaps.reduce((x, y) => x + y, 0) / frameOverlaps.length, worstFrame: Math.min(...frameOverlaps),
      },
    });
    log(`${g}: ${v.label}: ${JSON.stringify(variants.at(-1))}`);
  }
  return {
    geometry: g, model: name, vision: { layers: c.layers, hidden: c.hiddenSize, intermediate: c.intermediateSize, imageSize: c.imageSize },
    scenes: seeds, framesPerVideo: frames, tokens: seeds.length * frames * tokensPerFrame, width: D,
    prefillSparsity: DEFAULT_SPARSE.prefillSparsity,
    nearCutoff: Math.max(...want.map((w) => nearCutoff(w.saliency, w.kept))), variants,
  };
}

/** The int8 GEMM variants vs f32 on one thread count, at the so400m tower's linear shapes. */
function kernels() {
  const rows = 4 * 729, shapes = [[1152, 1152, 'q/k/v/out_proj'], [4304, 1152, 'fc1'], [1152, 4304, 'fc2']] as const;
  let seed = 7;
  const rand = (n: number, s: number) => Float32Array.from({ length: n }, () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 * 2 - 1) * s);
  const results = [];
  for (const [N, K, what] of shapes) {
    const wf = rand(N * K, 0.03), x = rand(rows * K, 1), b = rand(N, 0.1);
    const runs = ['f32', ...I8_KERNELS].map((k) => {
      const be = new CpuBackend({ threads, i8Kernel: k === 'f32' ? undefined : k as I8Kernel });
      const w = k === 'f32' ? be.weight({ dtype: 'f32', shape: [N, K], bytes: new Uint8Array(wf.buffer) }) : be.weightI8(quantizeWeightI8(wf, N, K));
      const xt = be.fromHost(x, [rows, K]), bt = be.fromHost(b, [N]);
      be.linear(xt, w, bt);
      return { k, ts: [] as number[], run: () => { const t0 = performance.now(); be.linear(xt, w, bt); return performance.now() - t0; } };
    });
    // Variants interleaved within each round, so a load change on the shared machine hits them alike.
    for (let i = 0; i < 5; i++) for (const r of runs) r.ts.push(r.run());
    const ms = Object.fromEntries(runs.map((r) => [r.k, median(r.ts)]));
    results.push({ n: N, k: K, linear: what, ms });
    log(`kernels ${rows} x ${K} -> ${N}: ${JSON.stringify(ms)}`);
  }
  return { rows, threads: new CpuBackend({ threads }).device, shapes: results, loadavg1: loadavg()[0] };
}

async function timing() {
  const frames = 16;
  const m16 = await load('0.5b', {}), m8 = await load('0.5b', { visionPrecision: '8bit' });
  const px = pixelsOf('0.5b', m16, 1000, frames);
  const run = (m: LoadedModel, n: number) => {
    const t0 = performance.now();
    const enc = m.model.encodeVideo(px.subarray(0, n * px.length / frames), n);
    const dt = performance.now() - t0;
    m.backend.dispose(enc.tokens);
    return dt;
  };
  run(m16, 1); run(m8, 1); // graph builds
  const f32: number[] = [], i8: number[] = [], loads: number[] = [];
  for (let i = 0; i < 3; i++) {
    loads.push(loadavg()[0]);
    f32.push(run(m16, frames)); log(`timing f32 run ${i}: ${f32.at(-1)!.toFixed(0)} ms`);
    i8.push(run(m8, frames)); log(`timing 8-bit run ${i}: ${i8.at(-1)!.toFixed(0)} ms`);
  }
  return { model: m16.name, frames, loadavg1: loads, f32Ms: f32, i8Ms: i8, f32Median: median(f32), i8Median: median(i8), calibrationLoadMs: m8.loadMs, loadMs16: m16.loadMs };
}

const prev = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : {};
const result: Record<string, unknown> = {
  ...prev, date: new Date().toISOString().slice(0, 10), device: new CpuBackend({ threads }).device, node: process.version,
  commands: { ...prev.commands, [parts.join(',')]: `npx tsx scripts/vision8-measure.ts ${process.argv.slice(2).join(' ')}` },
  calibration: { seeds: CALIBRATION_SEEDS, framesPerScene: CALIBRATION_FRAMES_PER_SCENE },
};
const save = () => writeFileSync(out, JSON.stringify(result, null, 1) + '\n');
if (parts.includes('features')) {
  const done = ((prev.features ?? []) as { geometry: Geometry }[]).filter((f) => !geometries.includes(f.geometry));
  result.features = done;
  for (const g of geometries) { done.push(await features(g)); save(); }
}
if (parts.includes('kernels')) { result.kernels = kernels(); save(); }
if (parts.includes('timing')) { result.timing = await timing(); save(); }
save();
