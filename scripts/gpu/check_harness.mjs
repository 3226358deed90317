// The harness the GPU check scripts share (kernels_check.mjs, flash_wgmma_check.mjs): the addon, a seeded generator,
// device buffers that are freed after each case, the max|d|/max|ref| check and sync-bracketed median timings.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const DT = { f32: 0, f16: 1, bf16: 2 };

export function loadAddon() {
  return require(process.env.SPARSEVILA_ADDON ?? '../../kernels/build/Release/sparsevila_kernels.node');
}

export const bf16Round = (a) => { const u = new Uint32Array(a.buffer.slice(0)); for (let i = 0; i < u.length; i++) u[i] = ((u[i] + 0x7fff + ((u[i] >> 16) & 1)) >>> 16) << 16; return new Float32Array(u.buffer); };
export const f16Round = (a) => { const o = new Float32Array(a.length); for (let i = 0; i < a.length; i++) { const x = a[i]; const e = Math.max(Math.floor(Math.log2(Math.abs(x) || 1e-30)), -14); const u = 2 ** (e - 10); o[i] = Math.round(x / u) * u; } return o; };

export function relErr(got, ref) {
  let num = 0, den = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(got[i] - ref[i]);
    num = Number.isNaN(d) ? Infinity : Math.max(num, d);
    den = Math.max(den, Math.abs(ref[i]));
  }
  return num / (den || 1);
}

/** stopOnCudaError: after a CUDA error the context is gone, so later guarded cases are skipped instead of each
 *  printing a FAIL. warm / reps: the timing defaults. */
export function createHarness(A, results, { stopOnCudaError = false, warm: warmDefault = 2, reps: repsDefault = 10 } = {}) {
  const seed0 = Date.now() >>> 0;
  let seed = seed0;
  const rand = () => { seed = (seed * 1664525 + 1013904223) >>> 0; return seed / 4294967296; };
  const randn = (n, s = 1) => { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = (rand() * 2 - 1) * s; return a; };

  const live = [];
  function dev(host, dt = 'f32') {
    const n = host.length, p = A.alloc(n * (dt === 'f32' ? 4 : 2));
    live.push(p);
    if (dt === 'f32') A.upload(p, host);
    else { const t = A.alloc(n * 4); A.upload(t, host); A.cast(p, DT[dt], t, DT.f32, n); A.free(t); }
    return p;
  }
  function empty(n, dt = 'f32') {
    const p = A.alloc(n * (dt === 'f32' ? 4 : 2));
    live.push(p);
    A.fill(p, DT[dt], n, NaN);  // poison: every element must be written
    return p;
  }
  function host(p, n) { const o = new Float32Array(n); A.download(p, o); return o; }
  function freeAll() { for (const p of live.splice(0)) A.free(p); }
  function check(name, got, ref, tol) {
    const err = relErr(got, ref);
    const ok = err < tol;
    results.checks.push({ name, err, tol, ok });
    console.log(`${ok ? 'PASS' : 'FAIL'} ${name}: max|d|/max|ref| = ${err.toExponential(2)} (tol ${tol})`);
  }
  let dead = false;
  // KERNELS_CHECK_ONLY=<regex>: only the guarded cases whose name matches (a short device run for one kernel family).
  const only = process.env.KERNELS_CHECK_ONLY ? new RegExp(process.env.KERNELS_CHECK_ONLY) : null;
  function guarded(name, fn) {
    if (dead || (only && !only.test(name))) return;
    try { fn(); } catch (e) {
      results.checks.push({ name, ok: false, error: String(e.stack ?? e) });
      console.log(`FAIL ${name}: ${e.stack ?? e}`);
      if (stopOnCudaError) dead = /cuda|illegal|launch|misaligned/i.test(String(e.message ?? e));
    }
    if (!stopOnCudaError) { freeAll(); return; }
    try { freeAll(); } catch { dead = true; }
  }
  function time(name, fn, { warm = warmDefault, reps = repsDefault, extra = {} } = {}) {
    for (let i = 0; i < warm; i++) fn();
    A.sync();
    const ts = [];
    for (let i = 0; i < reps; i++) {
      const t0 = process.hrtime.bigint();
      fn();
      A.sync();
      ts.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    ts.sort((a, b) => a - b);
    const ms = ts[Math.floor(ts.length / 2)];
    const row = { name, ms, min: ts[0], max: ts[ts.length - 1], ...(typeof extra === 'function' ? extra(ms) : extra) };
    results.timings.push(row);
    console.log(`TIME ${name}: median ${ms.toFixed(3)} ms (min ${ts[0].toFixed(3)}, max ${ts[ts.length - 1].toFixed(3)}) ${JSON.stringify(row)}`);
    return ms;
  }
  /** Median over 7 batches of n back-to-back calls, one sync per batch (what a decode step looks like): ms per call,
   *  and `bytes` per call as GB/s. */
  function batch(name, fn, bytes, n = 40) {
    for (let i = 0; i < 3; i++) fn();
    A.sync();
    const ts = [];
    for (let r = 0; r < 7; r++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) fn();
      A.sync();
      ts.push(Number(process.hrtime.bigint() - t0) / 1e6 / n);
    }
    ts.sort((a, b) => a - b);
    const ms = ts[3];
    const row = { name, ms, min: ts[0], max: ts[6], GBps: bytes / ms / 1e6, us: ms * 1e3 };
    results.timings.push(row);
    console.log(`TIME ${name}: ${(ms * 1e3).toFixed(1)} us/call, ${(bytes / ms / 1e6).toFixed(0)} GB/s ${JSON.stringify(row)}`);
    return ms;
  }
  return { seed0, rand, randn, live, dev, empty, host, freeAll, check, guarded, time, batch };
}
