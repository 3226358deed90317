// 16-bit activations for the LLM prefill: RMSNorm writing bf16 (the q/k/v and gate/up GEMMs read it without a cast);
// and 16-bit MLP intermediates: the gate / up GEMMs write the weight dtype (bf16) instead of f32,
// and SiLU(gate)·up runs bf16 -> bf16, so the down projection reads them without a cast. At 12.5k rows x 18944 this
// moves ~2.4 GB per layer instead of ~6.2 GB (f32 GEMM outputs, f32 SiLU·mul, cast before the down GEMM).
#include <algorithm>

#include "gpu.h"
#include "gpu_internal.cuh"

namespace sv::gpu {
namespace {

template <typename T>
__device__ __forceinline__ T toT(float v);
template <>
__device__ __forceinline__ __nv_bfloat16 toT<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }
template <>
__device__ __forceinline__ __half toT<__half>(float v) { return __float2half_rn(v); }

template <typename T>
__global__ void castFromF32Kernel(T* dst, const float* src, size_t n) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x)
    dst[i] = toT<T>(src[i]);
}

// 8 elements per thread with 16-byte loads (n a multiple of 8 and 16-byte aligned pointers), else one by one.
template <typename T>
__global__ void siluMulKernel(T* out, const T* g, const T* u, size_t n, bool vec) {
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  if (vec) {
    for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n / 8; i += stride) {
      uint4 gv = reinterpret_cast<const uint4*>(g)[i], uv = reinterpret_cast<const uint4*>(u)[i], ov;
      const T* gp = reinterpret_cast<const T*>(&gv);
      const T* up = reinterpret_cast<const T*>(&uv);
      T* op = reinterpret_cast<T*>(&ov);
#pragma unroll
      for (int e = 0; e < 8; ++e) {
        const float x = toF(gp[e]);
        op[e] = toT<T>(x / (1.f + __expf(-x)) * toF(up[e]));
      }
      reinterpret_cast<uint4*>(out)[i] = ov;
    }
    return;
  }
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += stride) {
    const float x = toF(g[i]);
    out[i] = toT<T>(x / (1.f + __expf(-x)) * toF(u[i]));
  }
}

// One block per row: out = w * (x * rsqrt(mean(x²) + eps)) in 16 bits (same math as the f32 rmsNorm).
template <typename T>
__global__ void rmsNormKernel(T* out, const float* x, int cols, const void* w, int wdt, float eps) {
  __shared__ float red[32];
  const float* xr = x + size_t(blockIdx.x) * cols;
  float s = 0.f;
  for (int c = threadIdx.x; c < cols; c += blockDim.x) s += xr[c] * xr[c];
  s = warpSum(s);
  if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = s;
  __syncthreads();
  s = 0.f;
  for (int i = 0; i < int(blockDim.x >> 5); ++i) s += red[i];
  const float r = rsqrtf(s / cols + eps);
  T* o = out + size_t(blockIdx.x) * cols;
  for (int c = threadIdx.x; c < cols; c += blockDim.x) o[c] = toT<T>(ld(w, wdt, c) * (xr[c] * r));
}

unsigned blocks(size_t n) { return unsigned(std::min<size_t>((n + 255) / 256, 65535u * 8)); }

}  // namespace

void linearTo16(uint64_t out, uint64_t x, int xdt, int M, int K, uint64_t w, int wdt, int N) {
  if (M <= 0 || N <= 0 || K <= 0) fail("linearTo16: empty shape");
  if (wdt != BF16 && wdt != F16) fail("linearTo16: weights must be bf16 or f16");
  if (xdt != F32 && xdt != wdt) fail("linearTo16: activations must be f32 or have the weight dtype");
  const void* xin = reinterpret_cast<const void*>(x);
  if (xdt == F32) {
    void* xs = scratch(size_t(M) * K * 2);
    const size_t n = size_t(M) * K;
    if (wdt == BF16) castFromF32Kernel<<<blocks(n), 256, 0, stream()>>>(static_cast<__nv_bfloat16*>(xs), reinterpret_cast<const float*>(x), n);
    else castFromF32Kernel<<<blocks(n), 256, 0, stream()>>>(static_cast<__half*>(xs), reinterpret_cast<const float*>(x), n);
    SV_LAUNCH("linearTo16 cast");
    xin = xs;
  }
  // Row-major out[M,N] = x[M,K] · w[N,K]ᵀ is column-major outᵀ = w · xᵀ; C in the weight dtype.
  gemmEx(kOpT, kOpN, N, M, K, reinterpret_cast<const void*>(w), wdt, K, xin, wdt, K, reinterpret_cast<void*>(out), wdt, N);
}

void siluMul16(uint64_t out, uint64_t g, uint64_t u, int dt, size_t n) {
  if (dt != BF16 && dt != F16) fail("siluMul16: dtype must be bf16 or f16");
  if (!n) return;
  const bool vec = n % 8 == 0 && ((out | g | u) & 15) == 0;
  const unsigned nb = blocks(vec ? n / 8 : n);
  if (dt == BF16)
    siluMulKernel<<<nb, 256, 0, stream()>>>(reinterpret_cast<__nv_bfloat16*>(out), reinterpret_cast<const __nv_bfloat16*>(g),
                                            reinterpret_cast<const __nv_bfloat16*>(u), n, vec);
  else
    siluMulKernel<<<nb, 256, 0, stream()>>>(reinterpret_cast<__half*>(out), reinterpret_cast<const __half*>(g),
                                            reinterpret_cast<const __half*>(u), n, vec);
  SV_LAUNCH("siluMul16");
}

void rmsNormTo16(uint64_t out, int odt, uint64_t x, int rows, int cols, uint64_t w, int wdt, float eps) {
  if (odt != BF16 && odt != F16) fail("rmsNormTo16: output dtype must be bf16 or f16");
  if (rows <= 0 || cols <= 0) return;
  if (odt == BF16)
    rmsNormKernel<<<rows, 256, 0, stream()>>>(reinterpret_cast<__nv_bfloat16*>(out), reinterpret_cast<const float*>(x), cols,
                                              reinterpret_cast<const void*>(w), wdt, eps);
  else
    rmsNormKernel<<<rows, 256, 0, stream()>>>(reinterpret_cast<__half*>(out), reinterpret_cast<const float*>(x), cols,
                                              reinterpret_cast<const void*>(w), wdt, eps);
  SV_LAUNCH("rmsNormTo16");
}

}  // namespace sv::gpu
