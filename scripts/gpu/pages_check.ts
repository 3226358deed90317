// Page selection on the GPU (kernels/src/gpu_pages.cu) vs its host reference (engine/core/sparse/pages-ref.ts) on
// fresh random inputs, attention over the device slot list (attentionDev) vs the CPU slot-attention reference, and the
// per-call time of one layer's selection at Qwen2-7B geometry. Prints PASS/FAIL/TIME lines; exit 1 on a failure.
//   node node_modules/tsx/dist/cli.mjs scripts/gpu/pages_check.ts
import { DT, loadAddon } from '../../engine/core/backend/cuda/addon.ts';
import { pageBoundsHost, pageScoresHost, pageSlotsHost, selectPagesHost } from '../../engine/core/sparse/pages-ref.ts';

const st = loadAddon();
if (!st.addon || !st.gpu) throw new Error(`no GPU: ${st.message}`);
const a = st.addon;
let failed = 0;
let seed = (Date.now() & 0xffff) + 1;
const rand = (n: number) => Float32Array.from({ length: n }, () => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed / 2 ** 32) * 2 - 1; });
const up = (x: ArrayBufferView & { byteLength: number }) => { const p = a.alloc(Math.max(4, x.byteLength)); a.upload(p, x); return p; };

function check(name: string, ok: boolean, detail: string): void {
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${ok ? '' : `: ${detail}`}`);
  if (!ok) failed++;
}

for (const c of [
  { name: '7B geometry 28/4 heads d128, 3136 tokens, pages of 16, top 20', Hq: 28, Hkv: 4, d: 128, first: 14, count: 3136, P: 16, top: 20, extra: 40 },
  { name: 'small 4/2 heads d8, 53 tokens, pages of 5, top 3', Hq: 4, Hkv: 2, d: 8, first: 3, count: 53, P: 5, top: 3, extra: 7 },
  { name: '7B geometry, 12544 tokens, pages of 32, top 39', Hq: 28, Hkv: 4, d: 128, first: 14, count: 12544, P: 32, top: 39, extra: 60 },
]) {
  const kvw = c.Hkv * c.d, Tk = c.first + c.count + c.extra, g = { first: c.first, count: c.count, pageSize: c.P };
  const pages = Math.floor(c.count / c.P);
  const keys = rand(Tk * kvw), vals = rand(Tk * kvw), q = rand(c.Hq * c.d);
  const kP = up(keys), vP = up(vals), qP = up(q), bP = a.alloc(pages * 2 * kvw * 4), sP = a.alloc(Tk * 4), pP = a.alloc(c.top * 4);
  a.pageBounds(bP, kP, DT.f32, kvw, c.first, pages, c.P, kvw);
  const bounds = new Float32Array(pages * 2 * kvw);
  a.download(bP, bounds);
  const refBounds = pageBoundsHost(keys, kvw, g);
  check(`pageBounds: ${c.name}`, bounds.every((x, i) => x === refBounds[i]), 'bounds differ');
  const scale = 1 / Math.sqrt(c.d);
  a.pageSelect(sP, pP, qP, bP, pages, c.Hq, c.Hkv, c.d, scale, c.top, c.first, c.P, Tk);
  const got = new Int32Array(c.top);
  a.download(pP, got);
  const scores = pageScoresHost(q, refBounds, pages, c.Hq, c.Hkv, c.d, scale);
  const want = selectPagesHost(scores, c.top);
  // f32 sums in another order: a page may swap with one whose score is within rounding of the k-th best.
  const kth = [...scores].sort((x, y) => y - x)[c.top - 1];
  const swapsOk = Array.from(got).every((p) => want.includes(p) || Math.abs(scores[p] - kth) < 1e-4);
  check(`pageSelect pages: ${c.name}`, swapsOk && got.every((p, i) => i === 0 || p > got[i - 1]), `got ${got.slice(0, 8)} want ${want.slice(0, 8)}`);
  const n = c.first + c.top * c.P + (Tk - (c.first + pages * c.P));
  const slots = new Int32Array(n);
  a.download(sP, slots);
  const refSlots = pageSlotsHost(g, got, Tk);
  check(`pageSelect slots: ${c.name}`, slots.every((s, i) => s === refSlots[i]), 'slot list differs');
  const oP = a.alloc(c.Hq * c.d * 4);
  a.attentionDev(oP, qP, 1, c.Hq, c.Hkv, c.d, kP, vP, DT.f32, kvw, Tk, scale, Tk - 1, sP, n);
  const out = new Float32Array(c.Hq * c.d);
  a.download(oP, out);
  const ref = a.cpuSlotAttention(q, keys, vals, 1, Tk, c.Hq, c.Hkv, c.d, scale, Tk - 1, refSlots);
  const err = Math.max(...Array.from(out, (x, i) => Math.abs(x - ref[i])));
  check(`attentionDev over the chosen slots: ${c.name}`, err < 1e-4, `max abs error ${err}`);
  if (c.Hq === 28) {
    for (let i = 0; i < 20; i++) a.pageSelect(sP, pP, qP, bP, pages, c.Hq, c.Hkv, c.d, scale, c.top, c.first, c.P, Tk);
    a.sync();
    const t0 = performance.now(), N = 200;
    for (let i = 0; i < N; i++) a.pageSelect(sP, pP, qP, bP, pages, c.Hq, c.Hkv, c.d, scale, c.top, c.first, c.P, Tk);
    a.sync();
    console.log(`TIME pageSelect ${c.name}: ${((1000 * (performance.now() - t0)) / N).toFixed(1)} us per layer-step`);
  }
  for (const p of [kP, vP, qP, bP, sP, pP, oP]) a.free(p);
}
console.log(failed ? `${failed} FAILED` : 'all page checks passed');
process.exit(failed ? 1 : 0);
