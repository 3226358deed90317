// Internals shared by the .cu files: the stream, scratch arenas, the lazily loaded cuBLAS, dtype load/store.
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "common.h"

namespace sv::gpu {

[[noreturn]] void fail(const std::string& what);
inline void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) fail(std::string(what) + ": " + cudaGetErrorString(e));
}
#define SV_CHECK(call) ::sv::gpu::check((call), #call)
#define SV_LAUNCH(what) ::sv::gpu::check(cudaGetLastError(), what)

cudaStream_t stream();

// Grow-only device buffers reused by one op at a time (ops are ordered on the one stream).
void* scratch(size_t bytes);       // op-internal temporaries
void* argsBuffer(size_t bytes);    // host arguments (indices, positions) copied for one op
template <typename T>
T* uploadArgs(const T* host, size_t n) {
  T* d = static_cast<T*>(argsBuffer(n * sizeof(T)));
  if (n) check(cudaMemcpyAsync(d, host, n * sizeof(T), cudaMemcpyHostToDevice, stream()), "upload args");
  return d;
}

// cuBLAS, resolved with dlopen at first use so the addon loads where cuBLAS is absent.
enum BlasOp { kOpN = 0, kOpT = 1 };
int blasDataType(int dt);  // sv dtype -> cudaDataType
void gemmEx(BlasOp ta, BlasOp tb, int m, int n, int k, const void* A, int adt, int lda, const void* B, int bdt,
            int ldb, void* C, int cdt, int ldc);
void gemmStridedBatched(BlasOp ta, BlasOp tb, int m, int n, int k, const void* A, int adt, int lda, long long sA,
                        const void* B, int bdt, int ldb, long long sB, void* C, int cdt, int ldc, long long sC,
                        int batch);

__device__ __forceinline__ float ld(const void* p, int dt, size_t i) {
  if (dt == F32) return static_cast<const float*>(p)[i];
  if (dt == F16) return __half2float(static_cast<const __half*>(p)[i]);
  return __bfloat162float(static_cast<const __nv_bfloat16*>(p)[i]);
}
__device__ __forceinline__ void st(void* p, int dt, size_t i, float v) {
  if (dt == F32) static_cast<float*>(p)[i] = v;
  else if (dt == F16) static_cast<__half*>(p)[i] = __float2half_rn(v);
  else static_cast<__nv_bfloat16*>(p)[i] = __float2bfloat16_rn(v);
}
// RoPE angle of row t, frequency c: from an explicit f32 table [T, half] when `angles` is set (M-RoPE's three position
// streams, the vision tower's 2-D rotary), else position · inverse frequency (one stream). pos is read only without a table.
__device__ __forceinline__ float ropeAngle(const float* angles, const int* pos, const float* invFreq, int t, int half, int c) {
  return angles ? angles[size_t(t) * half + c] : float(pos[t]) * invFreq[c];
}
__device__ __forceinline__ float toF(float v) { return v; }
__device__ __forceinline__ float toF(__half v) { return __half2float(v); }
__device__ __forceinline__ float toF(__nv_bfloat16 v) { return __bfloat162float(v); }

inline unsigned blocksFor(size_t n, unsigned threads) {
  size_t b = (n + threads - 1) / threads;
  return unsigned(b > 1u << 30 ? 1u << 30 : b);
}

__device__ __forceinline__ float warpMax(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
__device__ __forceinline__ float warpSum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

}  // namespace sv::gpu
