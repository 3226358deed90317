// Node-API entry: CPU references (always) and the GPU functions (CUDA build) or their explanation (CPU build).
#include <napi.h>

#include "cpu_ref.h"
#include "entry_points.h"
#include "napi_util.h"

using namespace sv::napi;

namespace {

void requireLen(const Napi::CallbackInfo& info, const char* fn, size_t have, size_t want, const char* name) {
  if (have < want)
    throw typeError(info.Env(), fn, std::string(name) + " has " + std::to_string(have) + " elements, needs " +
                                        std::to_string(want));
}

}  // namespace

namespace sv::bind {

// cpuColMeanSoftmax(q, k, Tq, Tk, Hq, Hkv, d, scale, causalBase) -> Float32Array [Tk]
Napi::Value CpuColMeanSoftmax(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const char* fn = "cpuColMeanSoftmax";
    auto q = f32(info, 0, fn), k = f32(info, 1, fn);
    int Tq = i32(info, 2, fn), Tk = i32(info, 3, fn), Hq = i32(info, 4, fn), Hkv = i32(info, 5, fn), d = i32(info, 6, fn);
    requireLen(info, fn, q.second, size_t(Tq) * Hq * d, "q");
    requireLen(info, fn, k.second, size_t(Tk) * Hkv * d, "k");
    return toJs(info.Env(), sv::cpu::colMeanSoftmax(q.first, k.first, Tq, Tk, Hq, Hkv, d, float(num(info, 7, fn)),
                                                    i32(info, 8, fn)));
  });
}

// cpuSlotAttention(q, k, v, Tq, Tk, Hq, Hkv, d, scale, causalBase, slots|null) -> Float32Array [Tq, Hq*d]
Napi::Value CpuSlotAttention(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const char* fn = "cpuSlotAttention";
    auto q = f32(info, 0, fn), k = f32(info, 1, fn), v = f32(info, 2, fn);
    int Tq = i32(info, 3, fn), Tk = i32(info, 4, fn), Hq = i32(info, 5, fn), Hkv = i32(info, 6, fn), d = i32(info, 7, fn);
    requireLen(info, fn, q.second, size_t(Tq) * Hq * d, "q");
    requireLen(info, fn, k.second, size_t(Tk) * Hkv * d, "k");
    requireLen(info, fn, v.second, size_t(Tk) * Hkv * d, "v");
    auto slots = i32s(info, 10, fn, true);
    return toJs(info.Env(), sv::cpu::slotAttention(q.first, k.first, v.first, Tq, Tk, Hq, Hkv, d, float(num(info, 8, fn)),
                                                   i32(info, 9, fn), slots.first, int(slots.second)));
  });
}

// cpuTopk(scores, k) -> Int32Array (ascending indices of the k largest, ties to the lower index)
Napi::Value CpuTopk(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    auto s = f32(info, 0, "cpuTopk");
    return toJs(info.Env(), sv::cpu::topk(s.first, int(s.second), i32(info, 1, "cpuTopk")));
  });
}

// cpuCompactRows(base Float32Array (in place), layers, capacity, rowElems, keep)
Napi::Value CpuCompactRows(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const char* fn = "cpuCompactRows";
    auto b = f32(info, 0, fn);
    int layers = i32(info, 1, fn), cap = i32(info, 2, fn), row = i32(info, 3, fn);
    requireLen(info, fn, b.second, size_t(layers) * cap * row, "base");
    auto keep = i32s(info, 4, fn);
    sv::cpu::compactRows(b.first, layers, cap, row, keep.first, int(keep.second));
    return info.Env().Undefined();
  });
}

// cpuW4Linear(x, M, K, qweight Int32Array, qzeros Int32Array, scales Uint16Array (fp16 bits), N, G) -> Float32Array [M, N]
Napi::Value CpuW4Linear(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const char* fn = "cpuW4Linear";
    auto x = f32(info, 0, fn);
    int M = i32(info, 1, fn), K = i32(info, 2, fn), N = i32(info, 6, fn), G = i32(info, 7, fn);
    auto qw = i32s(info, 3, fn), qz = i32s(info, 4, fn);
    auto sc = typed<uint16_t, napi_uint16_array>(info, 5, fn, "Uint16Array");
    if (M < 1 || K < 1 || N < 1 || G < 1 || N % 8 || K % G) throw typeError(info.Env(), fn, "bad shape (N % 8, K % G)");
    requireLen(info, fn, x.second, size_t(M) * K, "x");
    requireLen(info, fn, qw.second, size_t(K) * N / 8, "qweight");
    requireLen(info, fn, qz.second, size_t(K / G) * N / 8, "qzeros");
    requireLen(info, fn, sc.second, size_t(K / G) * N, "scales");
    return toJs(info.Env(), sv::cpu::w4Linear(x.first, M, K, qw.first, qz.first, sc.first, N, G));
  });
}

}  // namespace sv::bind

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
#define SV_REGISTER(js, fn) exports.Set(#js, Napi::Function::New(env, sv::bind::fn, #js));
  SV_CPU_ENTRY_POINTS(SV_REGISTER)
#undef SV_REGISTER
  registerGpu(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(sparsevila_kernels, Init)
