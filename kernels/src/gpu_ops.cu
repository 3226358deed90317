// Dense ops: fills, casts, GEMM (cuBLAS), norms, activations, RoPE, row gathers, bilinear pooling.
#include <cmath>

#include "gpu.h"
#include "gpu_gemv.h"
#include "gpu_internal.cuh"
#include "kernel_config.h"

namespace sv::gpu {
namespace {

constexpr unsigned kThreads = 256;
unsigned gridFor(size_t n) {
  size_t b = (n + kThreads - 1) / kThreads;
  return unsigned(b < 1 ? 1 : b > 65535u * 8 ? 65535u * 8 : b);
}
#define GRID_STRIDE(i, n) for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < (n); i += size_t(gridDim.x) * blockDim.x)

__global__ void fillKernel(void* p, int dt, size_t n, float v) { GRID_STRIDE(i, n) st(p, dt, i, v); }

__device__ __forceinline__ uint32_t hash32(uint64_t x) {
  x ^= x >> 33; x *= 0xff51afd7ed558ccdULL; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ULL; x ^= x >> 33;
  return uint32_t(x);
}
__global__ void randomKernel(void* p, int dt, size_t n, uint64_t seed, float scale) {
  GRID_STRIDE(i, n) {
    float u = (hash32(seed * 0x9E3779B97F4A7C15ULL + i) >> 8) * (1.0f / 16777216.0f);  // [0, 1)
    st(p, dt, i, (2.f * u - 1.f) * scale);
  }
}
__global__ void castKernel(void* dst, int ddt, const void* src, int sdt, size_t n) {
  GRID_STRIDE(i, n) st(dst, ddt, i, ld(src, sdt, i));
}
__global__ void addKernel(float* out, const void* a, int adt, size_t na, const void* b, int bdt, size_t nb) {
  GRID_STRIDE(i, na) out[i] = ld(a, adt, i) + ld(b, bdt, i % nb);
}
__global__ void geluKernel(float* out, const float* x, size_t n, bool tanhApprox) {
  GRID_STRIDE(i, n) {
    float v = x[i];
    if (tanhApprox) {
      const float k0 = 0.7978845608028654f;  // sqrt(2/pi)
      out[i] = 0.5f * v * (1.f + tanhf(k0 * (v + 0.044715f * v * v * v)));
    } else {
      out[i] = 0.5f * v * (1.f + erff(v * 0.7071067811865476f));
    }
  }
}
__global__ void siluMulKernel(float* out, const float* g, const float* u, size_t n) {
  GRID_STRIDE(i, n) {
    float v = g[i];
    out[i] = v / (1.f + expf(-v)) * u[i];
  }
}

// Block-wide sum of one float per thread (blockDim.x a multiple of 32, at most 1024).
__device__ float blockSum(float v) {
  __shared__ float part[32];
  v = warpSum(v);
  int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
  __syncthreads();
  if (lane == 0) part[w] = v;
  __syncthreads();
  int nw = blockDim.x >> 5;
  v = threadIdx.x < nw ? part[threadIdx.x] : 0.f;
  if (w == 0) v = warpSum(v);
  if (threadIdx.x == 0) part[0] = v;
  __syncthreads();
  return part[0];
}

__global__ void rmsNormKernel(float* out, const float* x, int cols, const void* w, int wdt, float eps) {
  const float* xr = x + size_t(blockIdx.x) * cols;
  float s = 0;
  for (int c = threadIdx.x; c < cols; c += blockDim.x) s += xr[c] * xr[c];
  s = blockSum(s);
  float r = rsqrtf(s / cols + eps);
  float* o = out + size_t(blockIdx.x) * cols;
  for (int c = threadIdx.x; c < cols; c += blockDim.x) o[c] = ld(w, wdt, c) * (xr[c] * r);
}
__global__ void layerNormKernel(float* out, const float* x, int cols, const void* w, int wdt, const void* b, int bdt,
                                float eps) {
  const float* xr = x + size_t(blockIdx.x) * cols;
  float s = 0;
  for (int c = threadIdx.x; c < cols; c += blockDim.x) s += xr[c];
  float mean = blockSum(s) / cols;
  float v = 0;
  for (int c = threadIdx.x; c < cols; c += blockDim.x) { float t = xr[c] - mean; v += t * t; }
  float r = rsqrtf(blockSum(v) / cols + eps);
  float* o = out + size_t(blockIdx.x) * cols;
  for (int c = threadIdx.x; c < cols; c += blockDim.x) o[c] = (xr[c] - mean) * r * ld(w, wdt, c) + ld(b, bdt, c);
}
__global__ void ropeKernel(float* out, const float* x, int T, int H, int d, const int* pos, const float* invFreq,
                           const float* angles) {
  int half = d / 2;
  size_t n = size_t(T) * H * half;
  GRID_STRIDE(i, n) {
    int c = int(i % half);
    size_t th = i / half;
    int t = int(th / H);
    size_t base = th * d;
    float s, co;
    sincosf(ropeAngle(angles, pos, invFreq, t, half, c), &s, &co);
    float x1 = x[base + c], x2 = x[base + c + half];
    out[base + c] = x1 * co - x2 * s;
    out[base + c + half] = x2 * co + x1 * s;
  }
}
__global__ void gatherKernel(void* out, const void* x, int dt, int cols, const int* idx, int n) {
  size_t total = size_t(n) * cols;
  GRID_STRIDE(i, total) {
    size_t r = i / cols, c = i % cols;
    size_t src = size_t(idx[r]) * cols + c;
    if (dt == F32) static_cast<float*>(out)[i] = static_cast<const float*>(x)[src];
    else static_cast<uint16_t*>(out)[i] = static_cast<const uint16_t*>(x)[src];
  }
}
__global__ void embedKernel(float* out, const void* table, int tdt, int D, const int* ids, int n) {
  size_t total = size_t(n) * D;
  GRID_STRIDE(i, total) out[i] = ld(table, tdt, size_t(ids[i / D]) * D + i % D);
}
// PyTorch bilinear, align_corners=False, size given: src = (dst + 0.5) * in/out - 0.5, clamped at 0.
__device__ __forceinline__ void bilinearCoord(int o, int in, int out, int& i0, int& i1, float& l1) {
  float scale = float(in) / float(out);
  float s = fmaxf((o + 0.5f) * scale - 0.5f, 0.f);
  i0 = min(int(s), in - 1);
  i1 = min(i0 + 1, in - 1);
  l1 = s - i0;
}
__global__ void bilinearKernel(float* out, const float* x, int frames, int h, int w, int oh, int ow, int C) {
  size_t total = size_t(frames) * oh * ow * C;
  GRID_STRIDE(i, total) {
    int c = int(i % C);
    size_t p = i / C;
    int ox = int(p % ow), oy = int((p / ow) % oh), f = int(p / (size_t(ow) * oh));
    int y0, y1, x0, x1;
    float ly, lx;
    bilinearCoord(oy, h, oh, y0, y1, ly);
    bilinearCoord(ox, w, ow, x0, x1, lx);
    const float* fr = x + size_t(f) * h * w * C;
    auto at = [&](int yy, int xx) { return fr[(size_t(yy) * w + xx) * C + c]; };
    out[i] = (1.f - ly) * ((1.f - lx) * at(y0, x0) + lx * at(y0, x1)) + ly * ((1.f - lx) * at(y1, x0) + lx * at(y1, x1));
  }
}
__global__ void compactGatherKernel(void* dst, const void* src, int dt, int capacity, int rowElems, const int* keep,
                                    int nKeep, size_t total) {
  GRID_STRIDE(i, total) {
    size_t c = i % rowElems, r = (i / rowElems) % nKeep, l = i / (size_t(rowElems) * nKeep);
    size_t s = (l * capacity + keep[r]) * rowElems + c;
    if (dt == F32) static_cast<float*>(dst)[i] = static_cast<const float*>(src)[s];
    else static_cast<uint16_t*>(dst)[i] = static_cast<const uint16_t*>(src)[s];
  }
}
__global__ void compactScatterKernel(void* base, const void* packed, int dt, int capacity, int rowElems, int nKeep,
                                     size_t total) {
  GRID_STRIDE(i, total) {
    size_t c = i % rowElems, r = (i / rowElems) % nKeep, l = i / (size_t(rowElems) * nKeep);
    size_t d = (l * capacity + r) * rowElems + c;
    if (dt == F32) static_cast<float*>(base)[d] = static_cast<const float*>(packed)[i];
    else static_cast<uint16_t*>(base)[d] = static_cast<const uint16_t*>(packed)[i];
  }
}

template <typename T>
T* P(uint64_t p) { return reinterpret_cast<T*>(p); }

}  // namespace

void fill(uint64_t p, int dt, size_t n, float value) {
  fillKernel<<<gridFor(n), kThreads, 0, stream()>>>(P<void>(p), dt, n, value);
  SV_LAUNCH("fill");
}
void randomFill(uint64_t p, int dt, size_t n, uint64_t seed, float scale) {
  randomKernel<<<gridFor(n), kThreads, 0, stream()>>>(P<void>(p), dt, n, seed, scale);
  SV_LAUNCH("randomFill");
}
void cast(uint64_t dst, int dstDt, uint64_t src, int srcDt, size_t n) {
  castKernel<<<gridFor(n), kThreads, 0, stream()>>>(P<void>(dst), dstDt, P<const void>(src), srcDt, n);
  SV_LAUNCH("cast");
}

void linear(uint64_t out, uint64_t x, int M, int K, uint64_t w, int wdt, int N, uint64_t b, int bdt) {
  if (M <= 0 || N <= 0 || K <= 0) fail("linear: empty shape");
  if (kernelConfig().gemvLinear && gemvFits(M, K, wdt, x, w)) {  // decode-sized: one weight-streaming launch, bias fused
    GemvSeg s;
    s.w = w; s.bias = b; s.biasDt = bdt; s.out = out; s.N = N;
    gemv(M, K, wdt, x, kGemvPlain, 0, F32, 0.f, &s, 1);
    return;
  }
  const void* xin = P<const void>(x);
  if (wdt != F32) {  // bf16/f16 weights: run the GEMM on the tensor cores with the activations cast to match
    void* xs = scratch(size_t(M) * K * 2);
    castKernel<<<gridFor(size_t(M) * K), kThreads, 0, stream()>>>(xs, wdt, xin, F32, size_t(M) * K);
    SV_LAUNCH("linear cast");
    xin = xs;
  }
  // Row-major out[M,N] = x[M,K] · w[N,K]ᵀ is column-major outᵀ = w · xᵀ.
  gemmEx(kOpT, kOpN, N, M, K, P<const void>(w), wdt, K, xin, wdt, K, P<void>(out), F32, N);
  if (b) {
    addKernel<<<gridFor(size_t(M) * N), kThreads, 0, stream()>>>(P<float>(out), P<const void>(out), F32,
                                                                  size_t(M) * N, P<const void>(b), bdt, size_t(N));
    SV_LAUNCH("linear bias");
  }
}
void embed(uint64_t out, uint64_t table, int tdt, int D, const int32_t* ids, int n, int vocab) {
  for (int i = 0; i < n; ++i)
    if (ids[i] < 0 || ids[i] >= vocab) fail("embed: token id " + std::to_string(ids[i]) + " outside the vocabulary");
  const int* dids = uploadArgs(ids, n);
  embedKernel<<<gridFor(size_t(n) * D), kThreads, 0, stream()>>>(P<float>(out), P<const void>(table), tdt, D, dids, n);
  SV_LAUNCH("embed");
}
void rmsNorm(uint64_t out, uint64_t x, int rows, int cols, uint64_t w, int wdt, float eps) {
  rmsNormKernel<<<rows, 256, 0, stream()>>>(P<float>(out), P<const float>(x), cols, P<const void>(w), wdt, eps);
  SV_LAUNCH("rmsNorm");
}
void layerNorm(uint64_t out, uint64_t x, int rows, int cols, uint64_t w, int wdt, uint64_t b, int bdt, float eps) {
  layerNormKernel<<<rows, 256, 0, stream()>>>(P<float>(out), P<const float>(x), cols, P<const void>(w), wdt,
                                              P<const void>(b), bdt, eps);
  SV_LAUNCH("layerNorm");
}
void add(uint64_t out, uint64_t a, int adt, size_t na, uint64_t b, int bdt, size_t nb) {
  if (nb == 0 || na % nb != 0) fail("add: the second operand must have as many elements as the first or divide it");
  addKernel<<<gridFor(na), kThreads, 0, stream()>>>(P<float>(out), P<const void>(a), adt, na, P<const void>(b), bdt, nb);
  SV_LAUNCH("add");
}
void gelu(uint64_t out, uint64_t x, size_t n, bool tanhApprox) {
  geluKernel<<<gridFor(n), kThreads, 0, stream()>>>(P<float>(out), P<const float>(x), n, tanhApprox);
  SV_LAUNCH("gelu");
}
void siluMul(uint64_t out, uint64_t gate, uint64_t up, size_t n) {
  siluMulKernel<<<gridFor(n), kThreads, 0, stream()>>>(P<float>(out), P<const float>(gate), P<const float>(up), n);
  SV_LAUNCH("siluMul");
}
void rope(uint64_t out, uint64_t x, int T, int H, int d, const int32_t* positions, const float* invFreq, uint64_t angles) {
  if (d % 2) fail("rope: head dim must be even");
  if (angles) {
    ropeKernel<<<gridFor(size_t(T) * H * (d / 2)), kThreads, 0, stream()>>>(
        P<float>(out), P<const float>(x), T, H, d, nullptr, nullptr, P<const float>(angles));
    SV_LAUNCH("rope (angles)");
    return;
  }
  // One args buffer for both arrays (positions first, then the frequencies, 16-byte aligned).
  size_t posBytes = ((size_t(T) * 4 + 15) / 16) * 16;
  char* a = static_cast<char*>(argsBuffer(posBytes + size_t(d / 2) * 4));
  check(cudaMemcpyAsync(a, positions, size_t(T) * 4, cudaMemcpyHostToDevice, stream()), "rope positions");
  check(cudaMemcpyAsync(a + posBytes, invFreq, size_t(d / 2) * 4, cudaMemcpyHostToDevice, stream()), "rope freq");
  ropeKernel<<<gridFor(size_t(T) * H * (d / 2)), kThreads, 0, stream()>>>(
      P<float>(out), P<const float>(x), T, H, d, reinterpret_cast<const int*>(a), reinterpret_cast<const float*>(a + posBytes),
      nullptr);
  SV_LAUNCH("rope");
}
void gatherRows(uint64_t out, uint64_t x, int dt, int cols, const int32_t* idx, int n, int rows) {
  for (int i = 0; i < n; ++i)
    if (idx[i] < 0 || idx[i] >= rows) fail("gatherRows: row index " + std::to_string(idx[i]) + " out of range");
  const int* didx = uploadArgs(idx, n);
  gatherKernel<<<gridFor(size_t(n) * cols), kThreads, 0, stream()>>>(P<void>(out), P<const void>(x), dt, cols, didx, n);
  SV_LAUNCH("gatherRows");
}
void bilinear(uint64_t out, uint64_t x, int frames, int h, int w, int oh, int ow, int C) {
  bilinearKernel<<<gridFor(size_t(frames) * oh * ow * C), kThreads, 0, stream()>>>(P<float>(out), P<const float>(x),
                                                                                    frames, h, w, oh, ow, C);
  SV_LAUNCH("bilinear");
}
void compactRows(uint64_t base, int dt, int layers, int capacity, int rowElems, const int32_t* keep, int nKeep) {
  for (int n = 0; n < nKeep; ++n)
    if (keep[n] < 0 || keep[n] >= capacity || (n > 0 && keep[n] <= keep[n - 1]))
      fail("compactRows: keep must be ascending, unique and inside the capacity");
  if (nKeep == 0) return;
  const int* dkeep = uploadArgs(keep, nKeep);
  size_t total = size_t(layers) * nKeep * rowElems;
  void* packed = scratch(total * dtypeSize(dt));
  compactGatherKernel<<<gridFor(total), kThreads, 0, stream()>>>(packed, P<const void>(base), dt, capacity, rowElems,
                                                                 dkeep, nKeep, total);
  SV_LAUNCH("compact gather");
  compactScatterKernel<<<gridFor(total), kThreads, 0, stream()>>>(P<void>(base), packed, dt, capacity, rowElems, nKeep,
                                                                  total);
  SV_LAUNCH("compact scatter");
}
void writeRows(uint64_t dst, int dstDt, int rowElems, int at, uint64_t src, int T) {
  size_t n = size_t(T) * rowElems;
  void* d = reinterpret_cast<char*>(dst) + size_t(at) * rowElems * dtypeSize(dstDt);
  castKernel<<<gridFor(n), kThreads, 0, stream()>>>(d, dstDt, P<const void>(src), F32, n);
  SV_LAUNCH("writeRows");
}

}  // namespace sv::gpu
