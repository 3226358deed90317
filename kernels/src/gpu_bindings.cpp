// CUDA build: JS bindings of the sv::gpu entry points. Device pointers are JS numbers (exact below 2^53).
#include <stdexcept>
#include <cstring>
#include <vector>

#include "entry_points.h"
#include "gpu.h"
#include "napi_util.h"

using namespace sv::napi;
namespace g = sv::gpu;

namespace sv::bind {

Napi::Value Info(const Napi::CallbackInfo& info) {
  g::Info r = g::info();
  auto o = Napi::Object::New(info.Env());
  o.Set("built", "cuda");
  o.Set("available", r.available);
  o.Set("count", r.count);
  if (r.available) {
    o.Set("name", r.name);
    o.Set("totalBytes", double(r.totalBytes));
    o.Set("freeBytes", double(r.freeBytes));
    o.Set("cc", std::to_string(r.ccMajor) + "." + std::to_string(r.ccMinor));
  } else {
    o.Set("error", r.error);
  }
  return o;
}

#define FN(name) Napi::Value name(const Napi::CallbackInfo& info) { const char* fn = #name; (void)fn; return guard(info, [&]() -> Napi::Value {
#define END return info.Env().Undefined(); }); }

FN(Alloc)
  double bytes = num(info, 0, fn);
  uint64_t p = g::alloc(size_t(bytes));
  if (p >= (uint64_t(1) << 53)) throw std::runtime_error("device pointer does not fit a JS number");
  return Napi::Number::New(info.Env(), double(p));
END
FN(Free) g::release(ptr(info, 0, fn)); END
// upload(ptr, typedArray)
FN(Upload)
  if (!info[1].IsTypedArray()) throw typeError(info.Env(), fn, "argument 1 must be a typed array");
  auto a = info[1].As<Napi::TypedArray>();
  auto* src = static_cast<const uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset();
  g::upload(ptr(info, 0, fn), src, a.ByteLength());
END
// download(ptr, typedArray target)
FN(Download)
  if (!info[1].IsTypedArray()) throw typeError(info.Env(), fn, "argument 1 must be a typed array");
  auto a = info[1].As<Napi::TypedArray>();
  auto* dst = static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset();
  g::download(dst, ptr(info, 0, fn), a.ByteLength());
END
FN(Copy) g::copyD2D(ptr(info, 0, fn), ptr(info, 1, fn), size_t(num(info, 2, fn))); END
FN(Sync) g::sync(); END
FN(Fill) g::fill(ptr(info, 0, fn), i32(info, 1, fn), size_t(num(info, 2, fn)), float(num(info, 3, fn))); END
FN(RandomFill)
  g::randomFill(ptr(info, 0, fn), i32(info, 1, fn), size_t(num(info, 2, fn)), uint64_t(num(info, 3, fn)),
                float(num(info, 4, fn)));
END
FN(Cast) g::cast(ptr(info, 0, fn), i32(info, 1, fn), ptr(info, 2, fn), i32(info, 3, fn), size_t(num(info, 4, fn))); END
// linear(out, x, M, K, w, wdt, N, b|0, bdt)
FN(Linear)
  g::linear(ptr(info, 0, fn), ptr(info, 1, fn), i32(info, 2, fn), i32(info, 3, fn), ptr(info, 4, fn), i32(info, 5, fn),
            i32(info, 6, fn), ptr(info, 7, fn), i32(info, 8, fn));
END
// embed(out, table, tdt, D, ids, vocab)
FN(Embed)
  auto ids = i32s(info, 4, fn);
  g::embed(ptr(info, 0, fn), ptr(info, 1, fn), i32(info, 2, fn), i32(info, 3, fn), ids.first, int(ids.second),
           i32(info, 5, fn));
END
FN(RmsNorm)
  g::rmsNorm(ptr(info, 0, fn), ptr(info, 1, fn), i32(info, 2, fn), i32(info, 3, fn), ptr(info, 4, fn), i32(info, 5, fn),
             float(num(info, 6, fn)));
END
FN(LayerNorm)
  g::layerNorm(ptr(info, 0, fn), ptr(info, 1, fn), i32(info, 2, fn), i32(info, 3, fn), ptr(info, 4, fn),
               i32(info, 5, fn), ptr(info, 6, fn), i32(info, 7, fn), float(num(info, 8, fn)));
END
FN(Add)
  g::add(ptr(info, 0, fn), ptr(info, 1, fn), i32(info, 2, fn), size_t(num(info, 3, fn)), ptr(info, 4, fn),
         i32(info, 5, fn), size_t(num(info, 6, fn)));
END
FN(Gelu) g::gelu(ptr(info, 0, fn), ptr(info, 1, fn), size_t(num(info, 2, fn)), flag(info, 3)); END
FN(SiluMul) g::siluMul(ptr(info, 0, fn), ptr(info, 1, fn), ptr(info, 2, fn), size_t(num(info, 3, fn))); END
// rope(out, x, T, H, d, positions | null, invFreq | null, angles): angles 0 -> positions and invFreq are required
FN(Rope)
  int T = i32(info, 2, fn), d = i32(info, 4, fn);
  auto pos = i32s(info, 5, fn, true);
  auto inv = f32(info, 6, fn, true);
  uint64_t angles = ptr(info, 7, fn);
  if (!angles && pos.second < size_t(T)) throw typeError(info.Env(), fn, "positions shorter than T");
  if (!angles && inv.second < size_t(d / 2)) throw typeError(info.Env(), fn, "invFreq shorter than d/2");
  g::rope(ptr(info, 0, fn), ptr(info, 1, fn), T, i32(info, 3, fn), d, pos.first, inv.first, angles);
END
// gatherRows(out, x, dt, cols, idx, rows)
FN(GatherRows)
  auto idx = i32s(info, 4, fn);
  g::gatherRows(ptr(info, 0, fn), ptr(info, 1, fn), i32(info, 2, fn), i32(info, 3, fn), idx.first, int(idx.second),
                i32(info, 5, fn));
END
FN(Bilinear)
  g::bilinear(ptr(info, 0, fn), ptr(info, 1, fn), i32(info, 2, fn), i32(info, 3, fn), i32(info, 4, fn),
              i32(info, 5, fn), i32(info, 6, fn), i32(info, 7, fn));
END
// attention(out, q, Tq, Hq, Hkv, d, k, v, kvdt, ldkv, Tk, scale, causalBase, slots|null)
FN(Attention)
  auto slots = i32s(info, 13, fn, true);
  g::attention(ptr(info, 0, fn), ptr(info, 1, fn), i32(info, 2, fn), i32(info, 3, fn), i32(info, 4, fn),
               i32(info, 5, fn), ptr(info, 6, fn), ptr(info, 7, fn), i32(info, 8, fn), i32(info, 9, fn),
               i32(info, 10, fn), float(num(info, 11, fn)), i32(info, 12, fn), slots.first, int(slots.second));
END
// attentionDev(out, q, Tq, Hq, Hkv, d, k, v, kvdt, ldkv, Tk, scale, causalBase, slotsPtr, nSlots)
FN(AttentionDev)
  g::attentionDeviceSlots(ptr(info, 0, fn), ptr(info, 1, fn), i32(info, 2, fn), i32(info, 3, fn), i32(info, 4, fn),
                          i32(info, 5, fn), ptr(info, 6, fn), ptr(info, 7, fn), i32(info, 8, fn), i32(info, 9, fn),
                          i32(info, 10, fn), float(num(info, 11, fn)), i32(info, 12, fn), ptr(info, 13, fn), i32(info, 14, fn));
END
// pageBounds(out, k, kdt, ldk, first, pages, pageSize, kvw)
FN(PageBounds)
  g::pageBounds(ptr(info, 0, fn), ptr(info, 1, fn), i32(info, 2, fn), i32(info, 3, fn), i32(info, 4, fn), i32(info, 5, fn),
                i32(info, 6, fn), i32(info, 7, fn));
END
// pageSelect(outSlots, outPages, q, bounds, pages, Hq, Hkv, d, scale, topPages, first, pageSize, kvLen)
FN(PageSelect)
  g::pageSelect(ptr(info, 0, fn), ptr(info, 1, fn), ptr(info, 2, fn), ptr(info, 3, fn), i32(info, 4, fn), i32(info, 5, fn),
                i32(info, 6, fn), i32(info, 7, fn), float(num(info, 8, fn)), i32(info, 9, fn), i32(info, 10, fn),
                i32(info, 11, fn), i32(info, 12, fn));
END
// layerNormTo(out, odt, x, rows, cols, w, wdt, b, bdt, eps)
FN(LayerNormTo)
  g::layerNormTo(ptr(info, 0, fn), i32(info, 1, fn), ptr(info, 2, fn), i32(info, 3, fn), i32(info, 4, fn), ptr(info, 5, fn),
                 i32(info, 6, fn), ptr(info, 7, fn), i32(info, 8, fn), float(num(info, 9, fn)));
END
// geluTo(out, odt, x, n, tanh)
FN(GeluTo) g::geluTo(ptr(info, 0, fn), i32(info, 1, fn), ptr(info, 2, fn), size_t(num(info, 3, fn)), flag(info, 4)); END
// linearLowp(out, x, xdt, M, K, w, wdt, N, b|0, bdt)
FN(LinearLowp)
  g::linearLowp(ptr(info, 0, fn), ptr(info, 1, fn), i32(info, 2, fn), i32(info, 3, fn), i32(info, 4, fn), ptr(info, 5, fn),
                i32(info, 6, fn), i32(info, 7, fn), ptr(info, 8, fn), i32(info, 9, fn));
END
// linearAct(out, odt, x, xdt, M, K, w, wdt, N, b|0, bdt, act)
FN(LinearAct)
  g::linearAct(ptr(info, 0, fn), i32(info, 1, fn), ptr(info, 2, fn), i32(info, 3, fn), i32(info, 4, fn), i32(info, 5, fn),
               ptr(info, 6, fn), i32(info, 7, fn), i32(info, 8, fn), ptr(info, 9, fn), i32(info, 10, fn), i32(info, 11, fn));
END
// linearResidual(out, x, xdt, M, K, w, wdt, N, b|0, bdt, res)
FN(LinearResidual)
  g::linearResidual(ptr(info, 0, fn), ptr(info, 1, fn), i32(info, 2, fn), i32(info, 3, fn), i32(info, 4, fn), ptr(info, 5, fn),
                    i32(info, 6, fn), i32(info, 7, fn), ptr(info, 8, fn), i32(info, 9, fn), ptr(info, 10, fn));
END
// patchify(out, px, frames, C, S, p)
FN(Patchify)
  g::patchify(ptr(info, 0, fn), ptr(info, 1, fn), i32(info, 2, fn), i32(info, 3, fn), i32(info, 4, fn), i32(info, 5, fn));
END
// blockAttention(out, q, k, v, frames, T, H, d, cdt, scale)
FN(BlockAttention)
  g::blockAttention(ptr(info, 0, fn), ptr(info, 1, fn), ptr(info, 2, fn), ptr(info, 3, fn), i32(info, 4, fn),
                    i32(info, 5, fn), i32(info, 6, fn), i32(info, 7, fn), i32(info, 8, fn), float(num(info, 9, fn)));
END
// linearTo16(out, x, xdt, M, K, w, wdt, N) / siluMul16(out, g, u, dt, n): the 16-bit prefill MLP (gpu_prefill.cu)
FN(LinearTo16)
  g::linearTo16(ptr(info, 0, fn), ptr(info, 1, fn), i32(info, 2, fn), i32(info, 3, fn), i32(info, 4, fn), ptr(info, 5, fn),
                i32(info, 6, fn), i32(info, 7, fn));
END
FN(SiluMul16) g::siluMul16(ptr(info, 0, fn), ptr(info, 1, fn), ptr(info, 2, fn), i32(info, 3, fn), size_t(num(info, 4, fn))); END
// rmsNormTo16(out, odt, x, rows, cols, w, wdt, eps)
FN(RmsNormTo16)
  g::rmsNormTo16(ptr(info, 0, fn), i32(info, 1, fn), ptr(info, 2, fn), i32(info, 3, fn), i32(info, 4, fn), ptr(info, 5, fn),
                 i32(info, 6, fn), float(num(info, 7, fn)));
END
// qkvRopeKv(qOut, x, xdt, T, K, w, wdt, b, bdt, Hq, Hkv, d, positions | null, invFreq | null, kCache, vCache, cdt, at,
//           angles) (gpu_prefill.cu): angles 0 -> positions and invFreq are required
FN(QkvRopeKv)
  int T = i32(info, 3, fn), d = i32(info, 11, fn);
  auto pos = i32s(info, 12, fn, true);
  auto inv = f32(info, 13, fn, true);
  uint64_t angles = ptr(info, 18, fn);
  if (!angles && pos.second < size_t(T)) throw typeError(info.Env(), fn, "positions shorter than T");
  if (!angles && inv.second < size_t(d / 2)) throw typeError(info.Env(), fn, "invFreq shorter than d/2");
  g::qkvRopeKv(ptr(info, 0, fn), ptr(info, 1, fn), i32(info, 2, fn), T, i32(info, 4, fn), ptr(info, 5, fn), i32(info, 6, fn),
               ptr(info, 7, fn), i32(info, 8, fn), i32(info, 9, fn), i32(info, 10, fn), d, pos.first, inv.first,
               ptr(info, 14, fn), ptr(info, 15, fn), i32(info, 16, fn), i32(info, 17, fn), angles);
END
// linearResidualNorm16(out, nout, x, xdt, M, K, w, wdt, N, b, bdt, res, nw, nwdt, eps) (gpu_prefill.cu)
FN(LinearResidualNorm16)
  g::linearResidualNorm16(ptr(info, 0, fn), ptr(info, 1, fn), ptr(info, 2, fn), i32(info, 3, fn), i32(info, 4, fn),
                          i32(info, 5, fn), ptr(info, 6, fn), i32(info, 7, fn), i32(info, 8, fn), ptr(info, 9, fn),
                          i32(info, 10, fn), ptr(info, 11, fn), ptr(info, 12, fn), i32(info, 13, fn), float(num(info, 14, fn)));
END
// flashBlockAttention(out, q, k, v, frames, T, H, d, cdt, scale): same arguments as blockAttention
FN(FlashBlockAttention)
  g::flashBlockAttention(ptr(info, 0, fn), ptr(info, 1, fn), ptr(info, 2, fn), ptr(info, 3, fn), i32(info, 4, fn),
                         i32(info, 5, fn), i32(info, 6, fn), i32(info, 7, fn), i32(info, 8, fn), float(num(info, 9, fn)));
END
// colMeanSoftmax(out, q, k, kdt, ldk, frames, Tq, Tk, Hq, Hkv, d, scale, causalBase)
FN(ColMeanSoftmax)
  g::colMeanSoftmax(ptr(info, 0, fn), ptr(info, 1, fn), ptr(info, 2, fn), i32(info, 3, fn), i32(info, 4, fn),
                    i32(info, 5, fn), i32(info, 6, fn), i32(info, 7, fn), i32(info, 8, fn), i32(info, 9, fn),
                    i32(info, 10, fn), float(num(info, 11, fn)), i32(info, 12, fn));
END
// compactRows(base, dt, layers, capacity, rowElems, keep)
FN(CompactRows)
  auto keep = i32s(info, 5, fn);
  g::compactRows(ptr(info, 0, fn), i32(info, 1, fn), i32(info, 2, fn), i32(info, 3, fn), i32(info, 4, fn), keep.first,
                 int(keep.second));
END
// topkRows(outIdx, outMass|0, rows: Float64Array of device pointers, n, cand: Int32Array|null, k)
FN(TopkRows)
  auto rows = typed<double, napi_float64_array>(info, 2, fn, "Float64Array");
  auto cand = i32s(info, 4, fn, true);
  const int n = i32(info, 3, fn);
  if (cand.first && cand.second != size_t(n)) throw std::runtime_error("topkRows: cand must hold n entries");
  std::vector<uint64_t> p(rows.second);
  for (size_t r = 0; r < rows.second; ++r) {
    if (!(rows.first[r] > 0 && rows.first[r] < 9007199254740992.0)) throw std::runtime_error("topkRows: bad row pointer");
    p[r] = uint64_t(rows.first[r]);
  }
  g::topkRows(ptr(info, 0, fn), ptr(info, 1, fn), p.data(), int(p.size()), n, cand.first, i32(info, 5, fn));
END
// writeRows(dst, dt, rowElems, at, src, T)
FN(WriteRows)
  g::writeRows(ptr(info, 0, fn), i32(info, 1, fn), i32(info, 2, fn), i32(info, 3, fn), ptr(info, 4, fn), i32(info, 5, fn));
END

}  // namespace sv::bind

void registerGpu(Napi::Env env, Napi::Object exports) {
#define SV_REGISTER(js, fn) exports.Set(#js, Napi::Function::New(env, sv::bind::fn, #js));
  SV_GPU_ENTRY_POINTS(SV_REGISTER)
#undef SV_REGISTER
}
