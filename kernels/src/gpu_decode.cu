// Decode-step fusion: RoPE of q and k plus the K/V cache write in one launch (the unfused path is two rope
// launches with two argument uploads each, then two cache-write launches). Positions travel by value.
#include <string>

#include "gpu.h"
#include "gpu_gemv.h"
#include "gpu_internal.cuh"

namespace sv::gpu {
namespace {

struct RopeKvParams {
  float* qOut;
  const float *q, *k, *v, *invFreq, *angles;
  void *kCache, *vCache;
  int T, Hq, Hkv, d, cdt, at;
  int pos[kGemvMaxM];
};

// Block (t, head): heads [0, Hq) rotate q, [Hq, Hq+Hkv) rotate k into the cache, the rest copy v into the cache.
__global__ void ropeKvKernel(RopeKvParams p) {
  const int t = blockIdx.y, h = blockIdx.x, half = p.d / 2;
  const size_t kvRow = size_t(p.Hkv) * p.d, cacheRow = size_t(p.at + t) * kvRow;
  for (int c = threadIdx.x; c < half; c += blockDim.x) {
    if (h < p.Hq + p.Hkv) {
      float s, co;
      sincosf(p.angles ? p.angles[size_t(t) * half + c] : float(p.pos[t]) * p.invFreq[c], &s, &co);
      const bool isQ = h < p.Hq;
      const float* x = isQ ? p.q + (size_t(t) * p.Hq + h) * p.d : p.k + t * kvRow + size_t(h - p.Hq) * p.d;
      const float x1 = x[c], x2 = x[c + half];
      const float o1 = x1 * co - x2 * s, o2 = x2 * co + x1 * s;
      if (isQ) {
        float* o = p.qOut + (size_t(t) * p.Hq + h) * p.d;
        o[c] = o1;
        o[c + half] = o2;
      } else {
        const size_t base = cacheRow + size_t(h - p.Hq) * p.d;
        st(p.kCache, p.cdt, base + c, o1);
        st(p.kCache, p.cdt, base + c + half, o2);
      }
    } else {
      const size_t off = size_t(h - p.Hq - p.Hkv) * p.d;
      st(p.vCache, p.cdt, cacheRow + off + c, p.v[t * kvRow + off + c]);
      st(p.vCache, p.cdt, cacheRow + off + c + half, p.v[t * kvRow + off + c + half]);
    }
  }
}

// One block per row: each thread scans a strided slice, then a block reduction keeps the largest value and, among
// equal values, the lowest index (what a host loop with `>` returns). NaNs never win.
__global__ void argmaxKernel(int* out, const float* x, int cols) {
  const float* r = x + size_t(blockIdx.x) * cols;
  float best = -INFINITY;
  int bi = 0x7fffffff;
  for (int c = threadIdx.x; c < cols; c += blockDim.x) {
    float v = r[c];
    if (v > best) { best = v; bi = c; }
  }
  __shared__ float sv[32];
  __shared__ int si[32];
  for (int o = 16; o > 0; o >>= 1) {
    float ov = __shfl_xor_sync(0xffffffffu, best, o);
    int oi = __shfl_xor_sync(0xffffffffu, bi, o);
    if (ov > best || (ov == best && oi < bi)) { best = ov; bi = oi; }
  }
  const int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
  if (lane == 0) { sv[w] = best; si[w] = bi; }
  __syncthreads();
  if (w == 0) {
    const int nw = blockDim.x >> 5;
    best = lane < nw ? sv[lane] : -INFINITY;
    bi = lane < nw ? si[lane] : 0x7fffffff;
    for (int o = 16; o > 0; o >>= 1) {
      float ov = __shfl_xor_sync(0xffffffffu, best, o);
      int oi = __shfl_xor_sync(0xffffffffu, bi, o);
      if (ov > best || (ov == best && oi < bi)) { best = ov; bi = oi; }
    }
    if (lane == 0) out[blockIdx.x] = bi == 0x7fffffff ? 0 : bi;
  }
}

}  // namespace

void argmaxRows(int32_t* hostOut, uint64_t x, int rows, int cols) {
  if (rows < 1 || cols < 1) fail("argmaxRows: empty input");
  int* d = static_cast<int*>(argsBuffer(size_t(rows) * 4));
  argmaxKernel<<<rows, 1024, 0, stream()>>>(d, reinterpret_cast<const float*>(x), cols);
  SV_LAUNCH("argmaxRows");
  check(cudaMemcpyAsync(hostOut, d, size_t(rows) * 4, cudaMemcpyDeviceToHost, stream()), "argmaxRows download");
  check(cudaStreamSynchronize(stream()), "argmaxRows sync");
}

void ropeKvWrite(uint64_t qOut, uint64_t q, uint64_t k, uint64_t v, int T, int Hq, int Hkv, int d, const int32_t* pos,
                 uint64_t invFreq, uint64_t kCache, uint64_t vCache, int cdt, int at, uint64_t angles) {
  if (T < 1 || T > kGemvMaxM) fail("ropeKvWrite: 1 to " + std::to_string(kGemvMaxM) + " rows");
  if (d % 2 || Hq < 1 || Hkv < 1 || at < 0) fail("ropeKvWrite: bad head geometry");
  RopeKvParams p{};
  p.qOut = reinterpret_cast<float*>(qOut);
  p.q = reinterpret_cast<const float*>(q);
  p.k = reinterpret_cast<const float*>(k);
  p.v = reinterpret_cast<const float*>(v);
  p.invFreq = reinterpret_cast<const float*>(invFreq);
  p.angles = reinterpret_cast<const float*>(angles);
  p.kCache = reinterpret_cast<void*>(kCache);
  p.vCache = reinterpret_cast<void*>(vCache);
  p.T = T; p.Hq = Hq; p.Hkv = Hkv; p.d = d; p.cdt = cdt; p.at = at;
  if (!angles) for (int t = 0; t < T; ++t) p.pos[t] = pos[t];
  int threads = d / 2 < 32 ? 32 : d / 2 > 256 ? 256 : d / 2;
  ropeKvKernel<<<dim3(Hq + 2 * Hkv, T), threads, 0, stream()>>>(p);
  SV_LAUNCH("ropeKvWrite");
}

}  // namespace sv::gpu
