// Dense LLM prefill at Qwen2-7B geometry (synthetic bf16 weights made on the device): wall time of Qwen2.forward
// over T rows (28 layers, KV written, flash attention by default), then a per-op breakdown (each Backend and LayerOps call
// synced and timed through a proxy, so the sum is a little above the wall time). Optional A/B of the prefill
// attention and of the 16-bit prefill MLP (--modes auto:1,auto:0,off:0 = flash:fused) to show what each is worth in
// the model; an optional third field adds the A3 fusions: q = q/k/v as one GEMM + bias + RoPE + KV write
// (KernelConfig.prefillQkv; Q is accepted as q, the v1 kernel is gone: kernels/dev/HISTORY.md), n = the RMSNorm after the o / down projections in their epilogue (KernelConfig.prefillResNorm),
// e.g. auto:1:qn. Accuracy: at --ref-tokens rows every mode's final hidden states are compared with an f32-mode forward of
// the same weights (rounded to bf16 as the bf16 model holds them): the fused MLP must be as close as the plain path.
// Usage: npx tsx scripts/gpu/prefill_bench.ts [--tokens 12559] [--modes auto:1:qn,auto:1:q,auto:1:n,auto:1,auto:0,off:0] [--reps 3]
//        [--ref-tokens 2048] [--out F.json]
import { writeFileSync } from 'node:fs';
import { CudaBackend } from '../../engine/core/backend/cuda/cuda-backend.ts';
import { DT, loadAddon } from '../../engine/core/backend/cuda/addon.ts';
import { kernelConfigFromEnv } from '../../engine/core/backend/cuda/kernel-config-env.ts';
import type { Backend } from '../../engine/core/backend/backend.ts';
import { parseConfig } from '../../engine/core/models/llava-onevision-config.ts';
import { presetConfig } from '../../engine/core/models/presets.ts';
import { Qwen2 } from '../../engine/core/models/qwen2.ts';
import { DeviceSyntheticWeights } from '../../engine/core/models/synthetic.ts';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const TOKENS = arg('tokens', '12559').split(',').map(Number);
const MODES = arg('modes', 'auto:1:qn,auto:1:q,auto:1:n,auto:1,auto:0,off:0').split(',').map((m) => {
  const [flash, fused, extra = ''] = m.split(':');
  return { flash, fused: fused === '1', qkv: /q/i.test(extra), resNorm: extra.includes('n') };
});
type Mode = (typeof MODES)[number];
const label = (m: Mode) =>
  `fused MLP ${m.fused ? 'on' : 'off'}${m.qkv ? ', fused q/k/v on' : ''}${m.resNorm ? ', norm in o/down epilogue on' : ''}`;
const modeKey = (m: Mode) =>
  `${m.flash}:${m.fused ? 1 : 0}${m.qkv || m.resNorm ? `:${m.qkv ? 'q' : ''}${m.resNorm ? 'n' : ''}` : ''}`;
const setMode = (m: Mode) => {
  // The flash spelling is SPARSEVILA_FLASH's (auto | mma | off).
  const { prefillAttention } = kernelConfigFromEnv({ SPARSEVILA_FLASH: m.flash });
  be.configure({ prefillAttention, prefillFused: m.fused, prefillQkv: m.qkv, prefillResNorm: m.resNorm });
};
const REPS = Number(arg('reps', '3'));
const OUT = arg('out', '');

const be = new CudaBackend({ dtype: 'bf16' });
const defaults = { ...be.config };
// The q/k/v weights are fused at load when the switch is on then; per mode the switch picks the path (the plain
// path reads the same weights through views).
if (MODES.some((m) => m.qkv)) be.configure({ prefillQkv: true });
const addon = loadAddon().addon!;
const cfg = parseConfig(presetConfig('7b'));
const t = cfg.text;
const llm = Qwen2.load(be, new DeviceSyntheticWeights(cfg, 7), t);
be.sync();
console.log(`${be.device}; Qwen2-7B synthetic bf16, ${t.layers} layers`);

// Per-op timing: every method call on the backend (and on the prefill ops object it hands out) is synced before
// and after.
const perOp = new Map<string, { ms: number; n: number }>();
function timedCall(target: { sync(): void }, key: string, f: () => unknown): unknown {
  target.sync();
  const a = performance.now();
  const r = f();
  target.sync();
  const e = perOp.get(key) ?? { ms: 0, n: 0 };
  e.ms += performance.now() - a;
  e.n++;
  perOp.set(key, e);
  return r;
}
function timedObject<T extends object>(obj: T, sync: { sync(): void }, prefix: string): T {
  return new Proxy(obj, {
    get(target, prop, recv) {
      const v = Reflect.get(target, prop, recv);
      // The layer ops (FusedLayerOps) are timed per composite op: the kernels inside them run on the real backend.
      if (prop === 'layerOps') return timedObject(v as object, sync, 'layerOps.');
      if (typeof v !== 'function' || prop === 'sync' || prop === 'dispose') return typeof v === 'function' ? v.bind(target) : v;
      return (...args: unknown[]) => {
        // linear is keyed by its weight shape (q/k/v/o/gate/up/down differ).
        const w = prop === 'linear' ? (args[1] as { shape?: number[] }).shape : undefined;
        const key = prefix + (w ? `${String(prop)} ${w.join('x')}` : String(prop));
        return timedCall(sync, key, () => v.apply(target, args));
      };
    },
  });
}
const timed = timedObject(be, be, '') as Backend;

const rows: Record<string, unknown>[] = [];
for (const T of TOKENS) {
  const cache = llm.createCache(T + 8);
  const xs = new Float32Array(T * t.hiddenSize);
  let seed = 12345;
  for (let i = 0; i < xs.length; i++) { seed = (seed * 1664525 + 1013904223) >>> 0; xs[i] = (seed / 4294967296 - 0.5) * 0.1; }
  const input = be.fromHost(xs, [T, t.hiddenSize]);
  const positions = Int32Array.from({ length: T }, (_, i) => i);
  for (const m of MODES) {
    const { flash: mode, fused, qkv, resNorm } = m;
    setMode(m);
    const run = () => { const h = llm.forward(input, cache, { positions, at: 0 }); be.sync(); be.dispose(h); };
    run();  // warm-up
    const ts: number[] = [];
    for (let r = 0; r < REPS; r++) { const a = performance.now(); run(); ts.push(performance.now() - a); }
    ts.sort((a, b) => a - b);
    const ms = ts[Math.floor(ts.length / 2)];
    // Breakdown through the synced proxy (same weights, same cache).
    perOp.clear();
    // The same model object with its (private) backend swapped for the timing proxy.
    const probe = Object.assign(Object.create(Object.getPrototypeOf(llm) as object) as object, llm, { be: timed }) as Qwen2;
    const slow = probe.forward(input, cache, { positions, at: 0 });
    be.sync(); be.dispose(slow);
    const ops = Object.fromEntries([...perOp.entries()].sort((a, b) => b[1].ms - a[1].ms).map(([k, v]) => [k, +v.ms.toFixed(2)]));
    console.log(`prefill ${T} tokens, flash ${mode}, ${label(m)}: ${ms.toFixed(1)} ms (min ${ts[0].toFixed(1)}) | per op (synced): ${JSON.stringify(ops)}`);
    rows.push({ tokens: T, flash: mode, fused, qkv, resNorm, ms, min: ts[0], perOpMs: ops });
  }
  be.configure(defaults);
  be.dispose(input);
  be.disposeKvCache(cache);
}
// Reference: f32 compute (cuBLAS f32 GEMMs, f32 K/V, the chunked attention path) over the bf16-rounded weights.
const REF_T = Number(arg('ref-tokens', '2048'));
const accuracy: Record<string, unknown>[] = [];
if (REF_T > 0) {
  const be32 = new CudaBackend({ dtype: 'f32' });
  const llm32 = Qwen2.load(be32, new DeviceSyntheticWeights(cfg, 7), t);
  type DevT = { ptr: number; size: number; shape: readonly number[] };
  const layers = (llm32 as unknown as { layers: Record<string, DevT>[] }).layers;
  const tmp = addon.alloc(2 * t.intermediateSize * t.hiddenSize);
  for (const L of layers)
    for (const w of Object.values(L))
      if (w.shape.length >= 2) { addon.cast(tmp, DT.bf16, w.ptr, DT.f32, w.size); addon.cast(w.ptr, DT.f32, tmp, DT.bf16, w.size); }
  addon.free(tmp);
  const xs = new Float32Array(REF_T * t.hiddenSize);
  let seed = 777;
  for (let i = 0; i < xs.length; i++) { seed = (seed * 1664525 + 1013904223) >>> 0; xs[i] = (seed / 4294967296 - 0.5) * 0.1; }
  const positions = Int32Array.from({ length: REF_T }, (_, i) => i);
  const forward = (b: CudaBackend, m: Qwen2) => {
    const x = b.fromHost(xs, [REF_T, t.hiddenSize]), cache = m.createCache(REF_T);
    const h = m.forward(x, cache, { positions, at: 0 });
    const out = b.toHost(h);
    b.dispose(h); b.dispose(x); b.disposeKvCache(cache);
    return out;
  };
  const ref = forward(be32, llm32);
  const errs = new Map<string, number>();
  for (const m of MODES) {
    setMode(m);
    const got = forward(be, llm);
    let num = 0, den = 0;
    for (let i = 0; i < ref.length; i++) { const d = Math.abs(got[i] - ref[i]); num = Math.max(num, Number.isNaN(d) ? Infinity : d); den = Math.max(den, Math.abs(ref[i])); }
    const err = num / (den || 1);
    errs.set(modeKey(m), err);
    console.log(`INFO prefill ${REF_T} tokens vs the f32 forward: flash ${m.flash}, ${label(m)}: max|d|/max|ref| = ${err.toExponential(2)}`);
    accuracy.push({ tokens: REF_T, flash: m.flash, fused: m.fused, qkv: m.qkv, resNorm: m.resNorm, err });
  }
  for (const m of MODES) {
    // The 16-bit path is held to the plain path; the A3 fusions (q / n) to the 16-bit path they modify.
    const a3 = m.qkv || m.resNorm;
    const baseKey = a3 ? `${m.flash}:1` : `${m.flash}:0`;
    const plain = errs.get(baseKey), mine = errs.get(modeKey(m));
    if (!m.fused || plain === undefined || mine === undefined) continue;
    const ok = mine <= 1.25 * plain + 1e-3;
    const base = a3 ? 'the 16-bit path without them' : 'the plain path';
    console.log(`${ok ? 'PASS' : 'FAIL'} prefill ${REF_T} tokens, flash ${m.flash}: ${label(m)} as close to the f32 forward as ${base} (${mine.toExponential(2)} vs ${plain.toExponential(2)}, allowed 1.25x + 1e-3)`);
  }
  be.configure(defaults);
}
if (OUT) writeFileSync(OUT, JSON.stringify({ device: be.device, rows, accuracy }, null, 1));
