// CUDA benchmark at LLaVA-Video-7B geometry (SigLIP-so400m + Qwen2-7B, synthetic weights made on the device):
// vision ms, LLM prefill ms, retrieval ms, decode ms/token and end-to-end for 3 turns x 128 tokens, dense vs
// SparseVILA (prefill sparsity p by vision saliency, per-turn decode retrieval r), plus the decode bandwidth floor.
// Usage: npx tsx scripts/gpu/bench_cuda.ts [--frames 64,256] [--configs dense,0.75/0.9,0.5/0.75] [--tokens 128]
//        [--turns 3] [--out FILE.json]
import { writeFileSync } from 'node:fs';
import type { HostTensorData, KvCache, Tensor } from '../../engine/core/backend/backend.ts';
import { CudaBackend } from '../../engine/core/backend/cuda/cuda-backend.ts';
import type { DeviceRandomData } from '../../engine/core/backend/cuda/cuda-tensor.ts';
import { loadAddon } from '../../engine/core/backend/cuda/addon.ts';
import { parseConfig, videoGeometry } from '../../engine/core/models/llava-onevision-config.ts';
import type { WeightSource } from '../../engine/core/checkpoint/weights.ts';
import { tensorLayout } from '../../engine/core/models/llava-onevision.ts';
import type { TensorSpec } from '../../engine/core/models/tensor-spec.ts';
import { LlavaOnevision } from '../../engine/core/models/llava-onevision.ts';
import { presetConfig } from '../../engine/core/models/presets.ts';
import { tokenSaliencyFromPatches } from '../../engine/core/sparse/tokenSaliency.ts';
import { selectPrefillTokens, selectRetrieved } from '../../engine/core/sparse/select.ts';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const FRAMES = arg('frames', '64,256').split(',').map(Number);
const CONFIGS = arg('configs', 'dense,0.75/0.9,0.5/0.75').split(',').map((c) => {
  if (c === 'dense') return { name: 'dense', p: 0, r: 0, sparse: false };
  const [p, r] = c.split('/').map(Number);
  return { name: `sparsevila p=${p} r=${r}`, p, r, sparse: true };
});
const TOKENS = Number(arg('tokens', '128')), TURNS = Number(arg('turns', '3'));
const PREFIX = 14, QUESTION = 20;

class DeviceSynthetic implements WeightSource {
  private specs = new Map<string, TensorSpec>();
  constructor(cfg: ReturnType<typeof parseConfig>) { for (const s of tensorLayout(cfg, { allVisionLayers: true })) this.specs.set(s.name, s); }
  has(name: string) { return this.specs.has(name); }
  get(name: string): HostTensorData {
    const s = this.specs.get(name);
    if (!s) throw new Error(`no tensor ${name}`);
    let h = 2166136261;
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
    const deviceRandom = s.init === 'ones' ? { fill: 1 } : s.init === 'zeros' ? { fill: 0 } : { seed: h, std: s.init === 'small' ? 0.01 : 0.02 };
    const d: DeviceRandomData = { dtype: 'f32', shape: s.shape, bytes: new Uint8Array(0), deviceRandom };
    return d;
  }
  close() {}
}

const be = new CudaBackend({ dtype: 'bf16' });
const addon = loadAddon().addon!;
const cfg = parseConfig(presetConfig('7b'));
const t = cfg.text;
let t0 = performance.now();
const model = LlavaOnevision.load(be, new DeviceSynthetic(cfg), cfg);
be.sync();
console.log(`weights on device in ${(performance.now() - t0).toFixed(0)} ms (${be.device})`);
const llm = (model as unknown as { llm: { forward: Function; embed(ids: Int32Array): Tensor; logits(h: Tensor): Tensor; createCache(n: number): KvCache } }).llm;

const now = () => { be.sync(); return performance.now(); };
let seed = 12345;
const rnd = () => { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; return seed / 4294967296; };
const textIds = (n: number) => Int32Array.from({ length: n }, () => 1000 + Math.floor(rnd() * 100000));

// Copy bandwidth for the floor.
const bytes = 2 ** 31, s0 = addon.alloc(bytes), s1 = addon.alloc(bytes);
addon.randomFill(s0, 0, bytes / 4, 1, 1);
addon.copy(s1, s0, bytes); be.sync();
const cts: number[] = [];
for (let i = 0; i < 7; i++) { const a = now(); addon.copy(s1, s0, bytes); cts.push(now() - a); }
cts.sort((a, b) => a - b);
const copyGBps = (2 * bytes) / cts[3] / 1e6;
addon.free(s0); addon.free(s1);
console.log(`copy bandwidth ${copyGBps.toFixed(0)} GB/s (read + write)`);

// Weight bytes read per decode token: every LLM matrix once (embedding: one row) + norms.
const H = t.hiddenSize, I = t.intermediateSize, qd = t.heads * t.headDim, kd = t.kvHeads * t.headDim;
const layerParams = H * qd + qd + 2 * (H * kd + kd) + qd * H + 3 * H * I + 2 * H;
const weightBytes = 2 * (t.layers * layerParams + t.vocabSize * H);
const kvRow = 2 * t.kvHeads * t.headDim * 2;  // K and V, bf16, per layer per slot

const results: Record<string, unknown>[] = [];
for (const F of FRAMES) {
  const geo = videoGeometry(cfg);
  const S = cfg.vision.imageSize, frameSize = 3 * S * S;
  const pixels = new Float32Array(F * frameSize);
  for (let i = 0; i < pixels.length; i++) pixels[i] = rnd() * 2 - 1;
  const nVis = F * geo.tokensPerFrame;  // pooled tokens; + 1 image_newline, always kept
  // Vision (with saliency, as SparseVILA needs it; the dense run reuses the same features).
  const grid = geo.grid;
  const patchSal = new Float32Array(F * grid * grid);
  const vh = cfg.vision.heads, vscale = 1 / Math.sqrt(cfg.vision.headDim);
  let tv = now();
  const encDense = model.encodeVideo(pixels, F);
  const visionMs = now() - tv;
  be.dispose(encDense.tokens);
  let salMs = 0;
  tv = now();
  const enc = model.encodeVideo(pixels, F, {
    onFrameQK: (f, _l, q, k) => { const a = performance.now(); patchSal.set(be.attentionColumnMeanFrames(q, k, q.shape[0] / (grid * grid), vh, vscale), f * grid * grid); salMs += performance.now() - a; },
  });
  const visionSalMs = now() - tv;
  const tokenSal = tokenSaliencyFromPatches(patchSal, F, grid, grid);
  console.log(`F=${F}: vision ${visionMs.toFixed(0)} ms, with saliency ${visionSalMs.toFixed(0)} ms (saliency calls ${salMs.toFixed(0)} ms)`);

  for (const c of CONFIGS) {
    const keptVis = c.sparse && c.p > 0 ? selectPrefillTokens(tokenSal, { sparsity: c.p, frames: F, tokensPerFrame: geo.tokensPerFrame })
      : Int32Array.from({ length: nVis }, (_, i) => i);
    // Prefill rows: prefix text, kept visual tokens (+ newline), with original positions.
    const visRows = Int32Array.from([...keptVis, nVis]);
    const vis = be.gatherRows(enc.tokens, visRows);
    const pre = llm.embed(textIds(PREFIX));
    const x = be.concatRows([pre, vis]);
    be.dispose(pre); be.dispose(vis);
    const T = PREFIX + visRows.length;
    const positions = Int32Array.from({ length: T }, (_, i) => (i < PREFIX ? i : PREFIX + visRows[i - PREFIX]));
    const cap = T + QUESTION + TOKENS + 8;
    const cache = llm.createCache(cap);
    let tp = now();
    const h = llm.forward(x, cache, { positions, at: 0, lastOnly: true });
    const prefillMs = now() - tp;
    be.dispose(h); be.dispose(x);
    cache.length = T;
    const nextPos0 = PREFIX + nVis + 1;
    const visualSlots = Int32Array.from({ length: visRows.length - 1 }, (_, i) => PREFIX + i);
    const turns: Record<string, number>[] = [];
    for (let turn = 0; turn < TURNS; turn++) {
      // Question prefill (dense attention), retrieval scoring per layer from its queries.
      const qx = llm.embed(textIds(QUESTION));
      const qpos = Int32Array.from({ length: QUESTION }, (_, i) => nextPos0 + i);
      const selected: Int32Array[] = [];
      let retrMs = 0;
      const tq = now();
      const hq = llm.forward(qx, cache, {
        positions: qpos, at: T, lastOnly: true,
        hooks: c.sparse && c.r > 0 ? {
          onQuery: (layer: number, q: Tensor, kvLen: number) => {
            const a = performance.now();
            const sc = be.kvScores(cache, layer, q, t.heads, kvLen, visualSlots, { scale: 1 / Math.sqrt(t.headDim), causalBase: T });
            selected[layer] = selectRetrieved(visualSlots, sc, c.r).selected;
            retrMs += performance.now() - a;
          },
        } : undefined,
      });
      const questionMs = now() - tq;
      be.dispose(qx);
      let len = T + QUESTION;
      let pos = nextPos0 + QUESTION;
      let logits = llm.logits(hq); be.dispose(hq);
      const stepMs: number[] = [];
      let slotsRead = 0;
      const td = now();
      for (let s = 0; s < TOKENS; s++) {
        const lh = be.toHost(logits); be.dispose(logits);
        let best = 0;
        for (let v = 1; v < lh.length; v++) if (lh[v] > lh[best]) best = v;
        const a = performance.now();
        const e = llm.embed(Int32Array.of(best));
        const slotsFor = c.sparse && c.r > 0 ? (layer: number) => {
          const sel = selected[layer];
          const out = new Int32Array(PREFIX + sel.length + (len + 1 - T));
          for (let i = 0; i < PREFIX; i++) out[i] = i;
          out.set(sel, PREFIX);
          for (let j = T, o = PREFIX + sel.length; j <= len; j++, o++) out[o] = j;
          return out;
        } : undefined;
        const hd = llm.forward(e, cache, { positions: Int32Array.of(pos), at: len, lastOnly: true, hooks: slotsFor ? { slots: slotsFor } : undefined });
        be.dispose(e);
        logits = llm.logits(hd); be.dispose(hd);
        be.sync();
        stepMs.push(performance.now() - a);
        slotsRead += slotsFor ? slotsFor(0).length : len + 1;
        len++; pos++;
      }
      be.dispose(logits);
      const decodeTotal = now() - td;
      stepMs.sort((x1, x2) => x1 - x2);
      const meanSlots = slotsRead / TOKENS;
      const floorMs = (weightBytes + meanSlots * t.layers * kvRow) / (copyGBps * 1e6);
      turns.push({ questionMs, retrievalMs: retrMs, decodeMsPerToken: stepMs[Math.floor(stepMs.length / 2)], decodeTotalMs: decodeTotal, meanSlots, floorMs });
      cache.length = T;  // turn end: the question and answer KV are evicted
    }
    be.disposeKvCache(cache);
    const vMs = c.sparse ? visionSalMs : visionMs;
    const e2e = vMs + prefillMs + turns.reduce((a, x) => a + x.questionMs + x.retrievalMs + x.decodeTotalMs, 0);
    const row = {
      frames: F, config: c.name, visualTokens: nVis + 1, prefillTokens: T, visionMs: vMs, prefillMs,
      decodeMsPerToken: turns[0].decodeMsPerToken, decodeFloorMs: turns[0].floorMs, retrievalMs: turns[0].retrievalMs,
      questionMs: turns[0].questionMs, e2eMs: e2e, turns,
    };
    results.push(row);
    console.log(`RESULT ${JSON.stringify(row)}`);
  }
  be.dispose(enc.tokens);
}

const out = { device: be.device, copyGBps, weightBytes, results };
writeFileSync(arg('out', 'bench_cuda.json'), JSON.stringify(out, null, 1));
console.log('\n| frames | config | prefill tokens | vision ms | LLM prefill ms | retrieval ms | decode ms/tok | floor ms/tok | E2E 3x128 ms |');
for (const r of results as any[]) console.log(`| ${r.frames} | ${r.config} | ${r.prefillTokens} | ${r.visionMs.toFixed(0)} | ${r.prefillMs.toFixed(0)} | ${r.retrievalMs.toFixed(1)} | ${r.decodeMsPerToken.toFixed(2)} | ${r.decodeFloorMs.toFixed(2)} | ${r.e2eMs.toFixed(0)} |`);
