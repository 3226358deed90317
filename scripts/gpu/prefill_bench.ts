// Dense LLM prefill at Qwen2-7B geometry (synthetic bf16 weights made on the device): wall time of Qwen2.forward
// over T rows (28 layers, KV written, flash attention by default), then a per-op breakdown (each Backend call
// synced and timed through a proxy, so the sum is a little above the wall time). Optional A/B of the prefill
// attention and of the 16-bit prefill MLP (--modes auto:1,auto:0,off:0 = flash:fused) to show what each is worth in
// the model; every mode's final hidden states are compared with the first mode's (model-level agreement).
// Usage: npx tsx scripts/gpu/prefill_bench.ts [--tokens 12559] [--modes auto:1,auto:0,off:0] [--reps 3] [--out F.json]
import { writeFileSync } from 'node:fs';
import { CudaBackend } from '../../engine/backend/cuda/cuda-backend.ts';
import { loadAddon } from '../../engine/backend/cuda/addon.ts';
import { applyFlashEnv } from '../../engine/backend/cuda/flash-env.ts';
import type { Backend } from '../../engine/backend/backend.ts';
import { parseConfig } from '../../engine/checkpoint/config.ts';
import { presetConfig } from '../../engine/models/presets.ts';
import { Qwen2 } from '../../engine/models/qwen2.ts';
import { DeviceSyntheticWeights } from '../../engine/models/synthetic.ts';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const TOKENS = arg('tokens', '12559').split(',').map(Number);
const MODES = arg('modes', 'auto:1,auto:0,off:0').split(',').map((m) => { const [flash, fused] = m.split(':'); return { flash, fused: fused === '1' }; });
const REPS = Number(arg('reps', '3'));
const OUT = arg('out', '');

const be = new CudaBackend({ dtype: 'bf16' });
const addon = loadAddon().addon!;
const cfg = parseConfig(presetConfig('7b'));
const t = cfg.text;
const llm = Qwen2.load(be, new DeviceSyntheticWeights(cfg, 7), t);
be.sync();
console.log(`${be.device}; Qwen2-7B synthetic bf16, ${t.layers} layers`);

// Per-op timing: every method call on the backend is synced before and after.
const perOp = new Map<string, { ms: number; n: number }>();
const timed = new Proxy(be, {
  get(target, prop, recv) {
    const v = Reflect.get(target, prop, recv);
    if (typeof v !== 'function' || prop === 'sync' || prop === 'dispose') return typeof v === 'function' ? v.bind(target) : v;
    return (...args: unknown[]) => {
      target.sync();
      const a = performance.now();
      const r = v.apply(target, args);
      target.sync();
      // linear is keyed by its weight shape (q/k/v/o/gate/up/down differ).
      const w = prop === 'linear' ? (args[1] as { shape?: number[] }).shape : undefined;
      const key = w ? `linear ${w.join('x')}` : String(prop);
      const e = perOp.get(key) ?? { ms: 0, n: 0 };
      e.ms += performance.now() - a;
      e.n++;
      perOp.set(key, e);
      return r;
    };
  },
}) as Backend;

const rows: Record<string, unknown>[] = [];
for (const T of TOKENS) {
  const cache = llm.createCache(T + 8);
  const xs = new Float32Array(T * t.hiddenSize);
  let seed = 12345;
  for (let i = 0; i < xs.length; i++) { seed = (seed * 1664525 + 1013904223) >>> 0; xs[i] = (seed / 4294967296 - 0.5) * 0.1; }
  const input = be.fromHost(xs, [T, t.hiddenSize]);
  const positions = Int32Array.from({ length: T }, (_, i) => i);
  let ref: Float32Array | null = null;
  for (const { flash: mode, fused } of MODES) {
    applyFlashEnv(addon, mode);
    be.prefillFused = fused;
    const run = () => { const h = llm.forward(input, cache, { positions, at: 0 }); be.sync(); be.dispose(h); };
    {  // warm-up + agreement with the first mode
      const h = llm.forward(input, cache, { positions, at: 0 });
      const got = be.toHost(h);
      be.dispose(h);
      if (!ref) ref = got;
      else {
        let num = 0, den = 0;
        for (let i = 0; i < ref.length; i++) { num = Math.max(num, Math.abs(got[i] - ref[i]) || (Number.isNaN(got[i]) ? Infinity : 0)); den = Math.max(den, Math.abs(ref[i])); }
        const err = num / (den || 1);
        console.log(`${err < 3e-2 ? 'PASS' : 'FAIL'} prefill ${T} tokens, flash ${mode} fused ${fused ? 1 : 0} vs ${MODES[0].flash}:${MODES[0].fused ? 1 : 0}: max|d|/max|ref| = ${err.toExponential(2)} (tol 3e-2)`);
      }
    }
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
    console.log(`prefill ${T} tokens, flash ${mode}, fused MLP ${fused ? 'on' : 'off'}: ${ms.toFixed(1)} ms (min ${ts[0].toFixed(1)}) | per op (synced): ${JSON.stringify(ops)}`);
    rows.push({ tokens: T, flash: mode, fused, ms, min: ts[0], perOpMs: ops });
  }
  applyFlashEnv(addon, 'auto');
  be.prefillFused = false;
  be.dispose(input);
  be.disposeKvCache(cache);
}
if (OUT) writeFileSync(OUT, JSON.stringify({ device: be.device, rows }, null, 1));
