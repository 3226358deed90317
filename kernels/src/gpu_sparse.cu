// Streaming column mean of softmax(q·kᵀ·scale) (patch saliency; retrieval scores) in two passes over K without
// the attention matrix: pass 1 an online log-sum-exp per (head, query row), pass 2 re-streams the query tiles per
// key tile and adds exp(s - lse) into its columns. 64x64 score tiles, 16x16 threads, each thread 4x4 scores;
// rows i = ty + 16r and columns j = tx + 16c so the shared-memory reads are conflict-free with odd row pitch.
#include <algorithm>
#include <climits>
#include <cmath>

#include "gpu.h"
#include "gpu_internal.cuh"

namespace sv::gpu {
namespace {

constexpr int kTile = 64;

struct ColArgs {
  const float* q;
  const void* k;
  int ldk, frames, Tq, Tk, Hq, Hkv, d, pitch, causalBase;
  float scale, norm;
  float* lse;  // [frames][Hq][Tq]
  float* out;  // [frames][Tk]
  int nSplit;  // pass 1 splits the keys into this many ranges (few query rows: more blocks)
  float* part; // [frames][Hq][Tq][nSplit][2] partial (max, sum) when nSplit > 1
};

template <typename KT>
__device__ void loadTile(float* dst, const ColArgs& a, const KT* K, int f, int j0, int g) {
  for (int i = threadIdx.x; i < kTile * a.d; i += blockDim.x) {
    int r = i / a.d, c = i % a.d, j = j0 + r;
    dst[r * a.pitch + c] = j < a.Tk ? toF(K[(size_t(f) * a.Tk + j) * a.ldk + size_t(g) * a.d + c]) : 0.f;
  }
}
__device__ void loadQ(float* dst, const ColArgs& a, int f, int i0, int h) {
  for (int i = threadIdx.x; i < kTile * a.d; i += blockDim.x) {
    int r = i / a.d, c = i % a.d, t = i0 + r;
    dst[r * a.pitch + c] = t < a.Tq ? a.q[(size_t(f) * a.Tq + t) * a.Hq * a.d + size_t(h) * a.d + c] * a.scale : 0.f;
  }
}
__device__ __forceinline__ void tileScores(const float* Qs, const float* Ks, int pitch, int d, int tx, int ty,
                                           float s[4][4]) {
#pragma unroll
  for (int r = 0; r < 4; ++r)
#pragma unroll
    for (int c = 0; c < 4; ++c) s[r][c] = 0.f;
  for (int e = 0; e < d; ++e) {
    float qa[4], kb[4];
#pragma unroll
    for (int r = 0; r < 4; ++r) qa[r] = Qs[(ty + 16 * r) * pitch + e];
#pragma unroll
    for (int c = 0; c < 4; ++c) kb[c] = Ks[(tx + 16 * c) * pitch + e];
#pragma unroll
    for (int r = 0; r < 4; ++r)
#pragma unroll
      for (int c = 0; c < 4; ++c) s[r][c] = fmaf(qa[r], kb[c], s[r][c]);
  }
}
__device__ __forceinline__ bool visible(const ColArgs& a, int i, int j) {
  return i < a.Tq && j < a.Tk && (a.causalBase < 0 || long(j) <= long(a.causalBase) + i);
}
__device__ __forceinline__ float rowMax16(float v) {
  for (int o = 8; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
__device__ __forceinline__ float rowSum16(float v) {
  for (int o = 8; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

template <typename KT>
__global__ void __launch_bounds__(256) lsePass(ColArgs a) {
  extern __shared__ float sm[];
  float* Qs = sm;
  float* Ks = sm + kTile * a.pitch;
  const int i0 = blockIdx.x * kTile, h = blockIdx.y, f = blockIdx.z / a.nSplit, split = blockIdx.z % a.nSplit;
  const int g = h / (a.Hq / a.Hkv);
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  const KT* K = static_cast<const KT*>(a.k);
  loadQ(Qs, a, f, i0, h);
  float m[4], l[4];
#pragma unroll
  for (int r = 0; r < 4; ++r) { m[r] = -INFINITY; l[r] = 0.f; }
  int jEnd = a.Tk;
  if (a.causalBase >= 0) jEnd = int(std::min<long>(a.Tk, long(a.causalBase) + std::min(i0 + kTile, a.Tq)));
  // This block's share of the key tiles.
  const int tiles = (a.Tk + kTile - 1) / kTile, per = (tiles + a.nSplit - 1) / a.nSplit;
  const int jBegin = split * per * kTile;
  jEnd = std::min(jEnd, (split + 1) * per * kTile);
  for (int j0 = jBegin; j0 < jEnd; j0 += kTile) {
    __syncthreads();
    loadTile(Ks, a, K, f, j0, g);
    __syncthreads();
    float s[4][4];
    tileScores(Qs, Ks, a.pitch, a.d, tx, ty, s);
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      const int i = i0 + ty + 16 * r;
      float tm = -INFINITY;
#pragma unroll
      for (int c = 0; c < 4; ++c) if (visible(a, i, j0 + tx + 16 * c)) tm = fmaxf(tm, s[r][c]);
      tm = rowMax16(tm);
      const float mn = fmaxf(m[r], tm);
      float ts = 0.f;
      if (mn != -INFINITY) {
#pragma unroll
        for (int c = 0; c < 4; ++c) if (visible(a, i, j0 + tx + 16 * c)) ts += expf(s[r][c] - mn);
      }
      ts = rowSum16(ts);
      if (mn != -INFINITY) {
        l[r] = (m[r] == -INFINITY ? 0.f : l[r] * expf(m[r] - mn)) + ts;
        m[r] = mn;
      }
    }
  }
  if (tx == 0) {
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      const int i = i0 + ty + 16 * r;
      if (i >= a.Tq) continue;
      const size_t row = (size_t(f) * a.Hq + h) * a.Tq + i;
      if (a.nSplit == 1) {
        a.lse[row] = m[r] + logf(l[r]);
      } else {
        a.part[(row * a.nSplit + split) * 2] = m[r];
        a.part[(row * a.nSplit + split) * 2 + 1] = l[r];
      }
    }
  }
}

__global__ void lseCombine(ColArgs a, size_t rows) {
  for (size_t row = blockIdx.x * size_t(blockDim.x) + threadIdx.x; row < rows; row += size_t(gridDim.x) * blockDim.x) {
    const float* p = a.part + row * a.nSplit * 2;
    float M = -INFINITY;
    for (int s = 0; s < a.nSplit; ++s) M = fmaxf(M, p[2 * s]);
    float L = 0.f;
    for (int s = 0; s < a.nSplit; ++s) if (p[2 * s] != -INFINITY) L += p[2 * s + 1] * expf(p[2 * s] - M);
    a.lse[row] = M + logf(L);
  }
}

template <typename KT>
__global__ void __launch_bounds__(256) colPass(ColArgs a) {
  extern __shared__ float sm[];
  float* Qs = sm;
  float* Ks = sm + kTile * a.pitch;
  float* Ls = Ks + kTile * a.pitch;  // [kTile]
  float* red = Ls + kTile;           // [16][kTile]
  const int j0 = blockIdx.x * kTile, h = blockIdx.y, f = blockIdx.z, g = h / (a.Hq / a.Hkv);
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  const KT* K = static_cast<const KT*>(a.k);
  loadTile(Ks, a, K, f, j0, g);
  float acc[4] = {0.f, 0.f, 0.f, 0.f};
  int iStart = 0;
  if (a.causalBase >= 0) iStart = std::max(0, j0 - a.causalBase) / kTile * kTile;
  for (int i0 = iStart; i0 < a.Tq; i0 += kTile) {
    __syncthreads();
    loadQ(Qs, a, f, i0, h);
    for (int r = threadIdx.x; r < kTile; r += blockDim.x)
      Ls[r] = i0 + r < a.Tq ? a.lse[(size_t(f) * a.Hq + h) * a.Tq + i0 + r] : 0.f;
    __syncthreads();
    float s[4][4];
    tileScores(Qs, Ks, a.pitch, a.d, tx, ty, s);
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      const int i = i0 + ty + 16 * r;
      const float lse = Ls[ty + 16 * r];
#pragma unroll
      for (int c = 0; c < 4; ++c)
        if (visible(a, i, j0 + tx + 16 * c)) acc[c] += expf(s[r][c] - lse);
    }
  }
#pragma unroll
  for (int c = 0; c < 4; ++c) red[ty * kTile + tx + 16 * c] = acc[c];
  __syncthreads();
  if (threadIdx.x < kTile && j0 + threadIdx.x < a.Tk) {
    float t = 0.f;
    for (int y = 0; y < 16; ++y) t += red[y * kTile + threadIdx.x];
    atomicAdd(&a.out[size_t(f) * a.Tk + j0 + threadIdx.x], t * a.norm);
  }
}

template <typename KT>
void launchColMean(ColArgs a) {
  const size_t tiles = size_t(2) * kTile * a.pitch * 4;
  const size_t smem1 = tiles, smem2 = tiles + kTile * 4 + 16 * kTile * 4;
  check(cudaFuncSetAttribute(lsePass<KT>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem1)), "smem lse");
  check(cudaFuncSetAttribute(colPass<KT>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem2)), "smem col");
  lsePass<KT><<<dim3((a.Tq + kTile - 1) / kTile, a.Hq, a.frames * a.nSplit), 256, smem1, stream()>>>(a);
  SV_LAUNCH("colMean lse pass");
  if (a.nSplit > 1) {
    const size_t rows = size_t(a.frames) * a.Hq * a.Tq;
    lseCombine<<<unsigned(std::min<size_t>((rows + 255) / 256, 4096)), 256, 0, stream()>>>(a, rows);
    SV_LAUNCH("colMean lse combine");
  }
  colPass<KT><<<dim3((a.Tk + kTile - 1) / kTile, a.Hq, a.frames), 256, smem2, stream()>>>(a);
  SV_LAUNCH("colMean column pass");
}

// Materialized baseline pieces.
__global__ void softmaxInPlace(float* S, int n, float scale) {
  float* s = S + size_t(blockIdx.x) * n;
  float m = -INFINITY;
  for (int j = threadIdx.x; j < n; j += blockDim.x) m = fmaxf(m, s[j]);
  __shared__ float part[32];
  m = warpMax(m);
  if ((threadIdx.x & 31) == 0) part[threadIdx.x >> 5] = m;
  __syncthreads();
  float M = -INFINITY;
  for (int i = 0; i < int(blockDim.x >> 5); ++i) M = fmaxf(M, part[i]);
  __syncthreads();
  float l = 0.f;
  for (int j = threadIdx.x; j < n; j += blockDim.x) l += expf((s[j] - M) * scale);
  l = warpSum(l);
  if ((threadIdx.x & 31) == 0) part[threadIdx.x >> 5] = l;
  __syncthreads();
  float L = 0.f;
  for (int i = 0; i < int(blockDim.x >> 5); ++i) L += part[i];
  for (int j = threadIdx.x; j < n; j += blockDim.x) s[j] = expf((s[j] - M) * scale) / L;
}
__global__ void columnSum(float* out, const float* P, int rows, int n, float norm) {
  for (int j = blockIdx.x * blockDim.x + threadIdx.x; j < n; j += gridDim.x * blockDim.x) {
    float t = 0.f;
    for (int r = 0; r < rows; ++r) t += P[size_t(r) * n + j];
    out[j] = t * norm;
  }
}
__global__ void headMajor(float* dst, const float* q, int T, int H, int d) {
  size_t n = size_t(T) * H * d;
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    int c = int(i % d);
    size_t ht = i / d;
    int t = int(ht % T), h = int(ht / T);
    dst[i] = q[(size_t(t) * H + h) * d + c];
  }
}

}  // namespace

void colMeanSoftmax(uint64_t out, uint64_t q, uint64_t k, int kdt, int ldk, int frames, int Tq, int Tk, int Hq,
                    int Hkv, int d, float scale, int causalBase) {
  if (Hq <= 0 || Hkv <= 0 || Hq % Hkv) fail("colMeanSoftmax: heads must be a multiple of kvHeads");
  if (d <= 0 || d > 256) fail("colMeanSoftmax: head dim must be in 1..256");
  if (Tq <= 0 || Tk <= 0 || frames <= 0) fail("colMeanSoftmax: empty input");
  ColArgs a{};
  a.q = reinterpret_cast<const float*>(q);
  a.k = reinterpret_cast<const void*>(k);
  a.ldk = ldk; a.frames = frames; a.Tq = Tq; a.Tk = Tk; a.Hq = Hq; a.Hkv = Hkv; a.d = d;
  a.pitch = d % 2 ? d : d + 1;
  a.causalBase = causalBase;
  a.scale = scale;
  a.norm = 1.f / (float(Hq) * Tq);
  // Enough pass-1 blocks to fill the GPU when there are few query rows (retrieval scoring over a long cache).
  const long blocks1 = long((Tq + kTile - 1) / kTile) * Hq * frames;
  const int tiles = (Tk + kTile - 1) / kTile;
  a.nSplit = int(std::max<long>(1, std::min<long>(tiles / 4, (528 + blocks1 - 1) / blocks1)));
  if (long(frames) * a.nSplit > 65535) a.nSplit = std::max(1, 65535 / frames);
  const size_t rows = size_t(frames) * Hq * Tq;
  float* buf = static_cast<float*>(scratch(rows * 4 + (a.nSplit > 1 ? rows * a.nSplit * 2 * 4 : 0)));
  a.lse = buf;
  a.part = buf + rows;
  a.out = reinterpret_cast<float*>(out);
  check(cudaMemsetAsync(a.out, 0, size_t(frames) * Tk * 4, stream()), "colMean zero");
  if (kdt == F32) launchColMean<float>(a);
  else if (kdt == F16) launchColMean<__half>(a);
  else launchColMean<__nv_bfloat16>(a);
}

void colMeanMaterialized(uint64_t out, uint64_t q, uint64_t k, int frames, int T, int H, int d, float scale) {
  const size_t qk = size_t(T) * H * d;
  char* base = static_cast<char*>(scratch(2 * qk * 4 + size_t(H) * T * T * 4));
  float* qh = reinterpret_cast<float*>(base);
  float* kh = qh + qk;
  float* S = kh + qk;
  for (int f = 0; f < frames; ++f) {
    const float* qf = reinterpret_cast<const float*>(q) + f * qk;
    const float* kf = reinterpret_cast<const float*>(k) + f * qk;
    headMajor<<<unsigned(std::min<size_t>((qk + 255) / 256, 65535)), 256, 0, stream()>>>(qh, qf, T, H, d);
    headMajor<<<unsigned(std::min<size_t>((qk + 255) / 256, 65535)), 256, 0, stream()>>>(kh, kf, T, H, d);
    SV_LAUNCH("materialized permute");
    // S_h [T, T] = Q_h · K_hᵀ for every head.
    gemmStridedBatched(kOpT, kOpN, T, T, d, kh, F32, d, (long long)T * d, qh, F32, d, (long long)T * d, S, F32, T,
                       (long long)T * T, H);
    softmaxInPlace<<<unsigned(H * T), 256, 0, stream()>>>(S, T, scale);
    SV_LAUNCH("materialized softmax");
    columnSum<<<unsigned((T + 255) / 256), 256, 0, stream()>>>(reinterpret_cast<float*>(out) + size_t(f) * T, S, H * T, T,
                                                               1.f / (float(H) * T));
    SV_LAUNCH("materialized column sum");
  }
}

}  // namespace sv::gpu
