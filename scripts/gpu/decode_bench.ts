// Decode step at Qwen2-7B geometry (synthetic bf16 weights made on the device), A/B of the decode GEMM paths:
// off = cuBLAS per op, on = our GEMV in linear(), fused = GEMV + fused decode ops (engine/core/backend/fused-layer-ops.ts),
// fused-nopdl = fused without programmatic dependent launch.
// Per config: ms/token (embed -> 28 layers -> lm_head, sync; and with the sampling ChatSession pays per greedy token:
// logits download + host argmax, or the device argmax in fused mode), the
// bandwidth floor (bf16 weights + K/V of the slots read, at the measured device copy rate), and the logits of one
// step vs the cuBLAS path (model-level agreement at real geometry).
// Usage: npx tsx scripts/gpu/decode_bench.ts [--slots 12559,50191] [--steps 24] [--modes off,on,fused,fused-nopdl] [--out F.json]
import { writeFileSync } from 'node:fs';
import { CudaBackend } from '../../engine/core/backend/cuda/cuda-backend.ts';
import type { CudaKvCache } from '../../engine/core/backend/cuda/cuda-tensor.ts';
import { DT, loadAddon } from '../../engine/core/backend/cuda/addon.ts';
import type { GemvMode } from '../../engine/core/backend/cuda/kernel-config.ts';
import { parseConfig } from '../../engine/core/models/llava-onevision-config.ts';
import { presetConfig } from '../../engine/core/models/presets.ts';
import { Qwen2 } from '../../engine/core/models/qwen2.ts';
import { DeviceSyntheticWeights } from '../../engine/core/models/synthetic.ts';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const SLOTS = arg('slots', '12559,50191').split(',').map(Number);
const STEPS = Number(arg('steps', '24'));
const MODES = arg('modes', 'off,on,fused,fused-nopdl').split(',');
const PREFIX = 14, SPARSE_KEEP = 0.1;  // sparse set: the text prefix + 10% of the visual slots + the answer so far

const be = new CudaBackend({ dtype: 'bf16', gemv: 'off' });
const addon = loadAddon().addon!;
const cfg = parseConfig(presetConfig('7b'));
const t = cfg.text;
const llm = Qwen2.load(be, new DeviceSyntheticWeights(cfg, 7), t);
be.sync();
// 'fused-nopdl': fused without programmatic dependent launch of the GEMV kernels.
const setMode = (m: string) => {
  const g = m.replace('-nopdl', '') as GemvMode;
  be.configure({ gemv: g, gemvPdl: !m.endsWith('-nopdl') });
};

// Copy bandwidth for the floor (bytes read + written).
const bytes = 2 ** 31, s0 = addon.alloc(bytes), s1 = addon.alloc(bytes);
addon.randomFill(s0, DT.f32, bytes / 4, 1, 1);
addon.copy(s1, s0, bytes); be.sync();
const cts: number[] = [];
for (let i = 0; i < 7; i++) { const a = performance.now(); addon.copy(s1, s0, bytes); be.sync(); cts.push(performance.now() - a); }
cts.sort((a, b) => a - b);
const copyGBps = (2 * bytes) / cts[3] / 1e6;
addon.free(s0); addon.free(s1);
const H = t.hiddenSize, I = t.intermediateSize, qd = t.heads * t.headDim, kd = t.kvHeads * t.headDim;
const weightBytes = 2 * (t.layers * (H * qd + 2 * H * kd + qd * H + 3 * H * I) + t.vocabSize * H) + 4 * t.layers * (qd + 2 * kd + 2 * H);
const kvRow = 2 * kd * 2;
console.log(`${be.device}; copy ${copyGBps.toFixed(0)} GB/s; weights ${(weightBytes / 1e9).toFixed(2)} GB -> ${(weightBytes / copyGBps / 1e6).toFixed(2)} ms`);

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const rows: Record<string, unknown>[] = [];
for (const N of SLOTS) {
  const cap = N + STEPS + 16;
  const cache = llm.createCache(cap) as CudaKvCache;
  const n = t.layers * cap * kd;
  addon.randomFill(cache.k, DT.bf16, n, 11, 1.5); addon.randomFill(cache.v, DT.bf16, n, 12, 1);
  const every = Math.round(1 / SPARSE_KEEP);
  const visualOf = (phase: number) => Array.from({ length: N - PREFIX }, (_, i) => PREFIX + i).filter((_, i) => i % every === phase);
  const visual = visualOf(0);
  // 'sparse per layer': every layer its own slot list, rebuilt per call like the retrieval controller does (so the
  // attention uploads a new list per layer, as in a real SparseVILA turn).
  const perLayer = Array.from({ length: t.layers }, (_, l) => visualOf(l % every));
  for (const set of ['dense', 'sparse', 'sparse per layer']) {
    const sparse = set !== 'dense';
    const ref: Record<string, Float32Array> = {};
    for (const mode of MODES) {
      if (set === 'sparse per layer' && !mode.startsWith('fused')) continue;
      setMode(mode);
      const step = (s: number, download: boolean | 'device') => {
        const at = N + s;
        const slots = sparse ? Int32Array.from([...Array.from({ length: PREFIX }, (_, i) => i), ...visual, ...Array.from({ length: s + 1 }, (_, i) => N + i)]) : undefined;
        const t0 = performance.now();
        const e = llm.embed(Int32Array.of(1000 + s));
        const tail = Array.from({ length: s + 1 }, (_, i) => N + i), head = Array.from({ length: PREFIX }, (_, i) => i);
        const hooks = set === 'dense' ? undefined : set === 'sparse' ? { slots: () => slots! }
          : { slots: (l: number) => Int32Array.from([...head, ...perLayer[l], ...tail]) };
        const h = llm.forward(e, cache, { positions: Int32Array.of(at), at, lastOnly: true, hooks });
        be.dispose(e);
        const lg = llm.logits(h);
        be.dispose(h);
        const hostMs = performance.now() - t0;  // enqueue time: the GPU is busy behind it unless this exceeds ms/token
        let out: Float32Array | null = null;
        if (download === 'device') be.deviceSampler!.argmaxRows(lg);  // what ChatSession does for greedy decoding
        else if (download) {
          out = be.toHost(lg);
          let best = 0;
          for (let v = 1; v < out.length; v++) if (out[v] > out[best]) best = v;
        } else be.sync();
        be.dispose(lg);
        return { out, slotsRead: slots ? slots.length : at + 1, hostMs };
      };
      for (let s = 0; s < 3; s++) step(s, false);
      const gpuMs: number[] = [], fullMs: number[] = [], hostMs: number[] = [];
      let slotsRead = 0;
      for (let s = 0; s < STEPS; s++) {
        const a = performance.now();
        const r = step(s, s % 2 === 1 ? (mode.startsWith('fused') ? 'device' : true) : false);
        (s % 2 === 1 ? fullMs : gpuMs).push(performance.now() - a);
        slotsRead += r.slotsRead;
        hostMs.push(r.hostMs);
      }
      ref[mode] = step(0, true).out!;  // same input, same cache slot -> comparable logits across modes
      let num = 0, den = 0;
      const base = Object.values(ref)[0];  // the first mode run for this set
      for (let v = 0; v < base.length; v++) { num = Math.max(num, Math.abs(ref[mode][v] - base[v])); den = Math.max(den, Math.abs(base[v])); }
      const floorMs = (weightBytes + (slotsRead / STEPS) * t.layers * kvRow) / (copyGBps * 1e6);
      const row = { slots: N, set, mode, msPerToken: median(gpuMs), msPerTokenWithDownload: median(fullMs), hostEnqueueMs: median(hostMs),
        floorMs, ratio: median(gpuMs) / floorMs, meanSlotsRead: slotsRead / STEPS, logitsVsFirstMode: num / (den || 1) };
      rows.push(row);
      console.log(`RESULT ${JSON.stringify(row)}`);
    }
  }
  be.disposeKvCache(cache);
}
writeFileSync(arg('out', 'decode_bench.json'), JSON.stringify({ device: be.device, copyGBps, weightBytes, rows }, null, 1));
console.log('\n| cache slots | set | mode | slots read | ms/token | + sampling (session path) | host enqueue ms | floor ms | ratio | logits vs first mode of the set |');
for (const r of rows as any[]) console.log(`| ${r.slots} | ${r.set} | ${r.mode} | ${r.meanSlotsRead.toFixed(0)} | ${r.msPerToken.toFixed(2)} | ${r.msPerTokenWithDownload.toFixed(2)} | ${r.hostEnqueueMs.toFixed(2)} | ${r.floorMs.toFixed(2)} | ${r.ratio.toFixed(2)}x | ${r.logitsVsFirstMode.toExponential(1)} |`);
