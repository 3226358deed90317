// JS bindings of the decode GEMV and decode-step helpers (gpu_gemv.h); listed in entry_points.h.
#include "entry_points.h"
#include "gpu_gemv.h"
#include "gpu_w4.h"
#include "napi_util.h"

using namespace sv::napi;
namespace g = sv::gpu;

namespace sv::bind {

// gemv(M, K, wdt, x, mode, aux, auxDt, eps, segs) with segs a Float64Array of
// [w, bias|0, biasDt, res|0, out, N] per output (1 to 4 outputs).
Napi::Value Gemv(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const char* fn = "gemv";
    if (info.Length() < 9 || !info[8].IsTypedArray() ||
        info[8].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
      throw typeError(info.Env(), fn, "argument 8 must be a Float64Array of [w, bias, biasDt, res, out, N] per output");
    auto a = info[8].As<Napi::Float64Array>();
    size_t n = a.ElementLength() / 6;
    if (n < 1 || n > size_t(g::kGemvMaxSegs) || a.ElementLength() % 6)
      throw typeError(info.Env(), fn, "segs must hold 1 to 4 groups of 6 numbers");
    g::GemvSeg segs[g::kGemvMaxSegs];
    for (size_t s = 0; s < n; ++s) {
      const double* v = a.Data() + 6 * s;
      for (int j : {0, 1, 3, 4})
        if (v[j] < 0) throw typeError(info.Env(), fn, "segs holds a negative pointer");
      segs[s] = g::GemvSeg{uint64_t(v[0]), uint64_t(v[1]), uint64_t(v[3]), uint64_t(v[4]), int(v[5]), int(v[2])};
    }
    g::gemv(i32(info, 0, fn), i32(info, 1, fn), i32(info, 2, fn), ptr(info, 3, fn), i32(info, 4, fn), ptr(info, 5, fn),
            i32(info, 6, fn), float(num(info, 7, fn)), segs, int(n));
    return info.Env().Undefined();
  });
}
// ropeKvWrite(qOut, q, k, v, T, Hq, Hkv, d, positions: Int32Array | null, invFreq, kCache, vCache, cdt, at, angles)
Napi::Value RopeKvWrite(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const char* fn = "ropeKvWrite";
    int T = i32(info, 4, fn);
    auto pos = i32s(info, 8, fn, true);
    uint64_t angles = ptr(info, 14, fn);
    if (!angles && pos.second < size_t(T < 0 ? 0 : T)) throw typeError(info.Env(), fn, "positions shorter than T");
    g::ropeKvWrite(ptr(info, 0, fn), ptr(info, 1, fn), ptr(info, 2, fn), ptr(info, 3, fn), T, i32(info, 5, fn),
                   i32(info, 6, fn), i32(info, 7, fn), pos.first, ptr(info, 9, fn), ptr(info, 10, fn), ptr(info, 11, fn),
                   i32(info, 12, fn), i32(info, 13, fn), angles);
    return info.Env().Undefined();
  });
}
// argmaxRows(x, rows, cols) -> Int32Array [rows]
Napi::Value ArgmaxRows(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const char* fn = "argmaxRows";
    int rows = i32(info, 1, fn), cols = i32(info, 2, fn);
    if (rows < 1 || cols < 1) throw typeError(info.Env(), fn, "rows and cols must be positive");
    auto out = Napi::Int32Array::New(info.Env(), size_t(rows));
    g::argmaxRows(out.Data(), ptr(info, 0, fn), rows, cols);
    return out;
  });
}
// w4Repack(w, sz, qweight, qzeros, scales, N, K, G): AutoAWQ gemm layout (device) -> the GEMV's tiles (gpu_w4.h).
Napi::Value W4Repack(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const char* fn = "w4Repack";
    g::w4Repack(ptr(info, 0, fn), ptr(info, 1, fn), ptr(info, 2, fn), ptr(info, 3, fn), ptr(info, 4, fn), i32(info, 5, fn),
                i32(info, 6, fn), i32(info, 7, fn));
    return info.Env().Undefined();
  });
}
// w4Dequant(out, odt, w, sz, N, K, G): the repacked weight as a 16-bit (or f32) [N, K] matrix.
Napi::Value W4Dequant(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const char* fn = "w4Dequant";
    g::w4Dequant(ptr(info, 0, fn), i32(info, 1, fn), ptr(info, 2, fn), ptr(info, 3, fn), i32(info, 4, fn), i32(info, 5, fn),
                 i32(info, 6, fn));
    return info.Env().Undefined();
  });
}
// gemvW4(M, K, G, actDt, x, mode, aux, eps, segs[, variant]) with segs a Float64Array of
// [w, sz, bias|0, biasDt, res|0, out, N] per output (1 to 4 outputs).
Napi::Value GemvW4(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const char* fn = "gemvW4";
    if (info.Length() < 9 || !info[8].IsTypedArray() ||
        info[8].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
      throw typeError(info.Env(), fn, "argument 8 must be a Float64Array of [w, sz, bias, biasDt, res, out, N] per output");
    auto a = info[8].As<Napi::Float64Array>();
    size_t n = a.ElementLength() / 7;
    if (n < 1 || n > size_t(g::kGemvMaxSegs) || a.ElementLength() % 7)
      throw typeError(info.Env(), fn, "segs must hold 1 to 4 groups of 7 numbers");
    g::W4Seg segs[g::kGemvMaxSegs];
    for (size_t s = 0; s < n; ++s) {
      const double* v = a.Data() + 7 * s;
      for (int j : {0, 1, 2, 4, 5})
        if (v[j] < 0) throw typeError(info.Env(), fn, "segs holds a negative pointer");
      segs[s] = g::W4Seg{uint64_t(v[0]), uint64_t(v[1]), uint64_t(v[2]), uint64_t(v[4]), uint64_t(v[5]), int(v[6]), int(v[3])};
    }
    const int variant = info.Length() > 9 && info[9].IsNumber() ? i32(info, 9, fn) : 0;
    g::gemvW4(i32(info, 0, fn), i32(info, 1, fn), i32(info, 2, fn), i32(info, 3, fn), ptr(info, 4, fn), i32(info, 5, fn),
              ptr(info, 6, fn), float(num(info, 7, fn)), segs, int(n), variant);
    return info.Env().Undefined();
  });
}
}  // namespace sv::bind
