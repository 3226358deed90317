// Decode-sized GEMV (M <= kGemvMaxM rows) on bf16/f16 weights, with fused input transforms and epilogue, several
// weight matrices ("segments") sharing one input in one launch. See gpu_gemv.cu.
#pragma once
#include <cstdint>

namespace sv::gpu {

constexpr int kGemvMaxM = 4;
constexpr int kGemvMaxSegs = 4;

// Input transform applied to x [M, K] (f32) while it is read:
//   kGemvPlain:   x
//   kGemvRmsNorm: x * rsqrt(mean(x^2) + eps) * aux   (aux = RMSNorm weight, f32 [K]; the row scale is factored out
//                                                      of the dot product, so the norm costs no extra pass)
//   kGemvSiluMul: silu(x) * aux                        (aux = up projection, f32 [M, K]; x = gate)
enum GemvIn : int { kGemvPlain = 0, kGemvRmsNorm = 1, kGemvSiluMul = 2 };
// Flag or-ed into the mode: two outputs (gate, up; same N) -> out0[M, N] = silu(gate) * up (out1 unused). Plain or
// RMSNorm input only.
constexpr int kGemvGlu = 4;

// One output: out[M, N] (f32) = in(x) · w[N, K]ᵀ (+ bias[N], dtype biasDt) (+ res[M, N] f32; res may equal out).
struct GemvSeg {
  uint64_t w = 0, bias = 0, res = 0, out = 0;
  int N = 0, biasDt = 0;
};

// Whether gemv() takes this shape (else use the cuBLAS path): M in [1, kGemvMaxM], K % 8 == 0, bf16/f16 weights,
// 16-byte aligned pointers.
bool gemvFits(int M, int K, int wdt, uint64_t x, uint64_t w);
// linear() routes decode-sized bf16/f16 GEMMs here when KernelConfig::gemvLinear is set. With KernelConfig::gemvPdl
// (programmatic dependent launch, sm_90+) each GEMV may start streaming its weights while the previous kernel drains
// (it waits for that kernel before reading x / res or writing out), so the kernel right before a gemv() must not be
// the one writing its weights (weights are made at load time, long before).
void gemv(int M, int K, int wdt, uint64_t x, int mode, uint64_t aux, int auxDt, float eps, const GemvSeg* segs,
          int nSegs);

}  // namespace sv::gpu

namespace sv::gpu {
// Decode-step RoPE + KV write (gpu_decode.cu): q [T, Hq*d] f32 -> qOut rotated; k [T, Hkv*d] rotated and v written
// to cache rows [at, at+T) of kCache / vCache (dtype cdt, Hkv*d elements per row). pos: T (<= kGemvMaxM) host
// positions; invFreq: device f32 [d/2]; or, when `angles` (device f32 [T, d/2]) is set, the angles themselves (pos and
// invFreq unused).
void ropeKvWrite(uint64_t qOut, uint64_t q, uint64_t k, uint64_t v, int T, int Hq, int Hkv, int d, const int32_t* pos,
                 uint64_t invFreq, uint64_t kCache, uint64_t vCache, int cdt, int at, uint64_t angles);
// Greedy sampling on the device: index of the largest value of each row of x [rows, cols] (f32; ties -> lowest
// index), written to hostOut[rows]; waits for the stream.
void argmaxRows(int32_t* hostOut, uint64_t x, int rows, int cols);
}  // namespace sv::gpu
