// Attention. Few query rows (decode, retrieval-restricted decode): a split-K kernel that reads each selected K/V
// row once per kv head for all the group's query heads (GQA-aware), straight from the index list (gather-free),
// then a combine kernel. Many query rows (prefill): tensor-core GEMMs through cuBLAS over query chunks, with a
// masked softmax between them, so memory stays bounded by the chunk.
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <vector>

#include "gpu.h"
#include "gpu_flash.h"
#include "gpu_internal.cuh"
#include "kernel_config.h"

namespace sv::gpu {
namespace {

constexpr int kMaxD = 256;
constexpr int kMaxG = 16;  // query heads per kv head handled by the decode kernel

// Eight consecutive elements as floats (16-byte loads when the row is 16-byte aligned and has them all).
__device__ __forceinline__ void loadRow8(const float* p, float* o, int left) {
  if (left >= 8 && (reinterpret_cast<uintptr_t>(p) & 15) == 0) {
    float4 x = reinterpret_cast<const float4*>(p)[0], y = reinterpret_cast<const float4*>(p)[1];
    o[0] = x.x; o[1] = x.y; o[2] = x.z; o[3] = x.w; o[4] = y.x; o[5] = y.y; o[6] = y.z; o[7] = y.w;
  } else {
    for (int e = 0; e < 8; ++e) o[e] = e < left ? p[e] : 0.f;
  }
}
template <typename H>
__device__ __forceinline__ void loadRow8(const H* p, float* o, int left) {
  if (left >= 8 && (reinterpret_cast<uintptr_t>(p) & 15) == 0) {
    uint4 x = *reinterpret_cast<const uint4*>(p);
    const H* h = reinterpret_cast<const H*>(&x);
#pragma unroll
    for (int e = 0; e < 8; ++e) o[e] = toF(h[e]);
  } else {
    for (int e = 0; e < 8; ++e) o[e] = e < left ? toF(p[e]) : 0.f;
  }
}
constexpr int kSplitThreads = 128;

struct SplitArgs {
  const float* q;
  const void* k;
  const void* v;
  int ldkv, Hq, Hkv, d, nSlots, chunk, nChunks, causalBase;
  float scale;
  const int* slots;  // nullptr: slots 0..nSlots-1
  float *pm, *pl, *pacc;
};

template <typename KT>
__global__ void __launch_bounds__(kSplitThreads) splitKernel(SplitArgs a) {
  const int ci = blockIdx.x, g = blockIdx.y, t = blockIdx.z;
  const int G = a.Hq / a.Hkv, d = a.d, chunk = a.chunk;
  extern __shared__ float sm[];
  const int dq = (d + 7) / 8 * 8;       // q pitch, zero-padded so 8-wide steps never read past a head
  float* qs = sm;                       // [G][dq]
  float* ss = qs + G * dq;              // [G][chunk]
  int* sl = reinterpret_cast<int*>(ss + G * chunk);  // [chunk]
  const int begin = ci * chunk, n = min(chunk, a.nSlots - begin);
  const long limit = a.causalBase >= 0 ? long(a.causalBase) + t : LONG_MAX;
  const KT* K = static_cast<const KT*>(a.k);
  const KT* V = static_cast<const KT*>(a.v);

  const float* qrow = a.q + size_t(t) * a.Hq * d + size_t(g) * G * d;
  for (int i = threadIdx.x; i < G * dq; i += blockDim.x) {
    const int j = i / dq, c = i % dq;
    qs[i] = c < d ? qrow[j * d + c] * a.scale : 0.f;
  }
  for (int i = threadIdx.x; i < n; i += blockDim.x) sl[i] = a.slots ? a.slots[begin + i] : begin + i;
  __syncthreads();

  // Scores: one thread per slot, all G query heads of the group at once (K row read once, no shuffles).
  const int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
  for (int kk = threadIdx.x; kk < n; kk += blockDim.x) {
    const int s = sl[kk];
    const KT* kr = K + size_t(s) * a.ldkv + size_t(g) * d;
    float acc[kMaxG];
#pragma unroll
    for (int j = 0; j < kMaxG; ++j) acc[j] = 0.f;
#pragma unroll 4
    for (int c = 0; c < d; c += 8) {
      float kf[8];
      loadRow8(kr + c, kf, d - c);
#pragma unroll
      for (int j = 0; j < kMaxG; ++j) {
        if (j < G) {
          const float* qj = qs + j * dq + c;
#pragma unroll
          for (int e = 0; e < 8; ++e) acc[j] = fmaf(qj[e], kf[e], acc[j]);
        }
      }
    }
#pragma unroll
    for (int j = 0; j < kMaxG; ++j)
      if (j < G) ss[j * chunk + kk] = s <= limit ? acc[j] : -INFINITY;
  }
  __syncthreads();

  for (int j = w; j < G; j += nw) {
    float m = -INFINITY;
    for (int kk = lane; kk < n; kk += 32) m = fmaxf(m, ss[j * chunk + kk]);
    m = warpMax(m);
    float l = 0.f;
    for (int kk = lane; kk < n; kk += 32) {
      float p = m == -INFINITY ? 0.f : expf(ss[j * chunk + kk] - m);
      ss[j * chunk + kk] = p;
      l += p;
    }
    l = warpSum(l);
    if (lane == 0) {
      size_t row = (size_t(t) * a.Hq + size_t(g) * G + j) * a.nChunks + ci;
      a.pm[row] = m;
      a.pl[row] = l;
    }
  }
  __syncthreads();

  // Values. Common shapes (G <= 8, d <= 128): warps split the slots, lanes take columns (coalesced V rows), and
  // the warps' partial sums meet in shared memory. Otherwise one thread per column.
  float* red = reinterpret_cast<float*>(sl + chunk);  // [nw][G][d] when used
  if (G <= 8 && d <= 128) {
    float acc[8][4];
#pragma unroll
    for (int j = 0; j < 8; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[j][e] = 0.f;
#pragma unroll 2
    for (int kk = w; kk < n; kk += nw) {
      const KT* vr = V + size_t(sl[kk]) * a.ldkv + size_t(g) * d;
      float vv[4];
#pragma unroll
      for (int e = 0; e < 4; ++e) vv[e] = lane + 32 * e < d ? toF(vr[lane + 32 * e]) : 0.f;
#pragma unroll
      for (int j = 0; j < 8; ++j) {
        if (j < G) {
          const float p = ss[j * chunk + kk];
#pragma unroll
          for (int e = 0; e < 4; ++e) acc[j][e] = fmaf(p, vv[e], acc[j][e]);
        }
      }
    }
#pragma unroll
    for (int j = 0; j < 8; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e)
        if (j < G && lane + 32 * e < d) red[(w * G + j) * d + lane + 32 * e] = acc[j][e];
    __syncthreads();
    for (int o = threadIdx.x; o < G * d; o += blockDim.x) {
      float sum = 0.f;
      for (int ww = 0; ww < nw; ++ww) sum += red[ww * G * d + o];
      const int j = o / d, cc = o % d;
      a.pacc[((size_t(t) * a.Hq + size_t(g) * G + j) * a.nChunks + ci) * d + cc] = sum;
    }
    return;
  }
  for (int cc = threadIdx.x; cc < d; cc += blockDim.x) {
    float acc[kMaxG];
#pragma unroll
    for (int j = 0; j < kMaxG; ++j) acc[j] = 0.f;
#pragma unroll 4
    for (int kk = 0; kk < n; ++kk) {
      const float vv = toF(V[size_t(sl[kk]) * a.ldkv + size_t(g) * d + cc]);
#pragma unroll
      for (int j = 0; j < kMaxG; ++j)
        if (j < G) acc[j] = fmaf(ss[j * chunk + kk], vv, acc[j]);
    }
#pragma unroll
    for (int j = 0; j < kMaxG; ++j)
      if (j < G) a.pacc[((size_t(t) * a.Hq + size_t(g) * G + j) * a.nChunks + ci) * d + cc] = acc[j];
  }
}

// One block per (query row, head): chunk weights exp(m_c - M) / L in shared memory, then each thread sums its
// column over the chunks with independent loads in flight.
__global__ void combineKernel(float* out, const float* pm, const float* pl, const float* pacc, int nChunks, int d) {
  extern __shared__ float wgt[];  // [nChunks]
  __shared__ float red[32];
  const size_t row = blockIdx.x;  // t * Hq + h
  const float* m = pm + row * nChunks;
  const float* l = pl + row * nChunks;
  float M = -INFINITY;
  for (int c = threadIdx.x; c < nChunks; c += blockDim.x) M = fmaxf(M, m[c]);
  M = warpMax(M);
  if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = M;
  __syncthreads();
  M = -INFINITY;
  for (int i = 0; i < int(blockDim.x + 31) / 32; ++i) M = fmaxf(M, red[i]);
  __syncthreads();
  float L = 0.f;
  for (int c = threadIdx.x; c < nChunks; c += blockDim.x) {
    const float e = m[c] == -INFINITY ? 0.f : expf(m[c] - M);
    wgt[c] = e;
    L += e * l[c];
  }
  L = warpSum(L);
  if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = L;
  __syncthreads();
  L = 0.f;
  for (int i = 0; i < int(blockDim.x + 31) / 32; ++i) L += red[i];
  const float inv = L > 0.f ? 1.f / L : 0.f;
  for (int cc = threadIdx.x; cc < d; cc += blockDim.x) {
    float acc = 0.f;
    const float* p = pacc + row * nChunks * d + cc;
#pragma unroll 8
    for (int c = 0; c < nChunks; ++c) acc = fmaf(wgt[c], p[size_t(c) * d], acc);
    out[row * d + cc] = acc * inv;
  }
}

// ---- v4 decode: few large blocks (about two per SM), each streaming a long slot range in 256-slot tiles with an
// online softmax. Scores: a thread per slot, the K row read with 16-byte loads for all G heads of the group.
// Values: D/4 lanes per V row (8-byte loads, coalesced rows), G x 4 accumulators per lane, rescaled when a head's
// running max moves. One partial (m, l, acc[D]) per block and head goes to combineKernel.
constexpr int kDecThreads = 256;
constexpr int kDecUnroll = 8;  // V rows in flight per lane
constexpr int kKBatch = 4;     // 16-byte K loads in flight per thread (more spills registers at G = 8)

struct DecArgs {
  const float* q;
  const void* k;
  const void* v;
  int ldkv, Hq, Hkv, G, nSlots, per, nb, causalBase;
  float scale;
  const int* slots;  // nullptr: slots 0..nSlots-1
  float *pm, *pl, *pacc;
};

template <typename KT>
__device__ __forceinline__ void unpack8(const uint4& x, float* o) {
  const KT* h = reinterpret_cast<const KT*>(&x);
#pragma unroll
  for (int e = 0; e < 8; ++e) o[e] = toF(h[e]);
}

template <typename KT, int D, int GM>
__global__ void __launch_bounds__(kDecThreads, 2) decodeKernelV4(DecArgs a) {
  constexpr int LPR = D / 4, RPW = 32 / LPR, NW = kDecThreads / 32, RPS = NW * RPW;
  constexpr int KB = kKBatch, VU = kDecUnroll;
  __shared__ __align__(16) float qs[GM][D];
  __shared__ float ps[GM][kDecThreads];
  __shared__ int sl[kDecThreads];
  __shared__ float redm[NW][GM];
  __shared__ float red[NW][GM][D];
  const int b = blockIdx.x, g = blockIdx.y, t = blockIdx.z, G = a.G;
  const int tid = threadIdx.x, lane = tid & 31, w = tid >> 5;
  const int begin = b * a.per, end = min(a.nSlots, begin + a.per);
  const long limit = a.causalBase >= 0 ? long(a.causalBase) + t : LONG_MAX;
  const KT* K = static_cast<const KT*>(a.k);
  const KT* V = static_cast<const KT*>(a.v);
  for (int i = tid; i < GM * D; i += kDecThreads) {
    const int j = i / D, c = i % D;
    qs[j][c] = j < G ? a.q[size_t(t) * a.Hq * D + size_t(g * G + j) * D + c] * a.scale : 0.f;
  }
  float M[GM], L[GM], acc[GM][4];
#pragma unroll
  for (int j = 0; j < GM; ++j) {
    M[j] = -INFINITY;
    L[j] = 0.f;
#pragma unroll
    for (int e = 0; e < 4; ++e) acc[j][e] = 0.f;
  }
  const int sub = lane / LPR, cl = lane % LPR;
  for (int s0 = begin; s0 < end; s0 += kDecThreads) {
    const int n = min(kDecThreads, end - s0);
    __syncthreads();  // q staged / the previous tile's p and slots consumed
    float sc[GM];
#pragma unroll
    for (int j = 0; j < GM; ++j) sc[j] = -INFINITY;
    if (tid < n) {
      const int slot = a.slots ? a.slots[s0 + tid] : s0 + tid;
      sl[tid] = slot;
      if (slot <= limit) {
#pragma unroll
        for (int j = 0; j < GM; ++j) sc[j] = 0.f;
        const uint4* kr = reinterpret_cast<const uint4*>(K + size_t(slot) * a.ldkv + size_t(g) * D);
#pragma unroll
        for (int c0 = 0; c0 < D / 8; c0 += KB) {
          uint4 x[KB];
#pragma unroll
          for (int u = 0; u < KB; ++u) x[u] = __ldg(kr + c0 + u);
#pragma unroll
          for (int u = 0; u < KB; ++u) {
            float kf[8];
            unpack8<KT>(x[u], kf);
#pragma unroll
            for (int j = 0; j < GM; ++j) {
              const float4 qa = *reinterpret_cast<const float4*>(&qs[j][(c0 + u) * 8]);
              const float4 qb = *reinterpret_cast<const float4*>(&qs[j][(c0 + u) * 8 + 4]);
              sc[j] = fmaf(qa.x, kf[0], fmaf(qa.y, kf[1], fmaf(qa.z, kf[2], fmaf(qa.w, kf[3], sc[j]))));
              sc[j] = fmaf(qb.x, kf[4], fmaf(qb.y, kf[5], fmaf(qb.z, kf[6], fmaf(qb.w, kf[7], sc[j]))));
            }
          }
        }
      }
    }
#pragma unroll
    for (int j = 0; j < GM; ++j) {
      const float m = warpMax(sc[j]);
      if (lane == 0) redm[w][j] = m;
    }
    __syncthreads();
#pragma unroll
    for (int j = 0; j < GM; ++j) {
      float tm = redm[0][j];
#pragma unroll
      for (int x = 1; x < NW; ++x) tm = fmaxf(tm, redm[x][j]);
      const float nm = fmaxf(M[j], tm);
      const float alpha = M[j] == -INFINITY ? 0.f : __expf(M[j] - nm);
      const float p = nm == -INFINITY ? 0.f : __expf(sc[j] - nm);
      ps[j][tid] = p;
      L[j] = L[j] * alpha + p;
      M[j] = nm;
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[j][e] *= alpha;
    }
    __syncthreads();
    for (int r = w * RPW + sub; r < n; r += VU * RPS) {
      uint2 x[VU];
#pragma unroll
      for (int u = 0; u < VU; ++u) {
        const int rr = r + u * RPS;
        x[u] = rr < n ? __ldg(reinterpret_cast<const uint2*>(V + size_t(sl[rr]) * a.ldkv + size_t(g) * D) + cl)
                      : make_uint2(0u, 0u);
      }
#pragma unroll
      for (int u = 0; u < VU; ++u) {
        const int rr = r + u * RPS;
        if (rr >= n) break;
        const KT* h = reinterpret_cast<const KT*>(&x[u]);
        const float vf[4] = {toF(h[0]), toF(h[1]), toF(h[2]), toF(h[3])};
#pragma unroll
        for (int j = 0; j < GM; ++j) {
          const float p = ps[j][rr];
#pragma unroll
          for (int e = 0; e < 4; ++e) acc[j][e] = fmaf(p, vf[e], acc[j][e]);
        }
      }
    }
  }
  // Block totals: l over all threads; acc over the RPW rows of a warp step (shuffles), then over the warps.
#pragma unroll
  for (int j = 0; j < GM; ++j) {
    const float l = warpSum(L[j]);
    if (lane == 0) redm[w][j] = l;
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      float v = acc[j][e];
#pragma unroll
      for (int o = LPR; o < 32; o <<= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
      if (sub == 0) red[w][j][cl * 4 + e] = v;
    }
  }
  __syncthreads();
  const size_t row0 = size_t(t) * a.Hq + size_t(g) * G;
  for (int o = tid; o < G * D; o += kDecThreads) {
    const int j = o / D, c = o % D;
    float sum = 0.f;
#pragma unroll
    for (int x = 0; x < NW; ++x) sum += red[x][j][c];
    a.pacc[((row0 + j) * a.nb + b) * D + c] = sum;
  }
#pragma unroll
  for (int j = 0; j < GM; ++j) {
    if (tid == j && j < G) {  // M is block-uniform
      float l = 0.f;
#pragma unroll
      for (int x = 0; x < NW; ++x) l += redm[x][j];
      a.pm[(row0 + j) * a.nb + b] = M[j];
      a.pl[(row0 + j) * a.nb + b] = l;
    }
  }
}

template <typename KT, int D>
void launchDecodeV4(const DecArgs& a, int Tq) {
  const dim3 grid(a.nb, a.Hkv, Tq);
  if (a.G <= 4) decodeKernelV4<KT, D, 4><<<grid, kDecThreads, 0, stream()>>>(a);
  else decodeKernelV4<KT, D, 8><<<grid, kDecThreads, 0, stream()>>>(a);
  SV_LAUNCH("attention decode v4");
}

int smCount() {
  static int n = 0;
  if (!n) {
    int dev = 0;
    check(cudaGetDevice(&dev), "cudaGetDevice");
    check(cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, dev), "SM count");
  }
  return n;
}

// Shapes the v4 kernel takes: 16-bit K/V, d 64 or 128, at most 8 query heads per kv head, 16-byte aligned rows.
bool decodeV4Fits(int Hq, int Hkv, int d, int kvdt, int ldkv, uint64_t k, uint64_t v) {
  return kvdt != F32 && (d == 64 || d == 128) && Hq / Hkv <= 8 && ldkv % 8 == 0 && k % 16 == 0 && v % 16 == 0;
}

void decodeV4(uint64_t out, uint64_t q, int Tq, int Hq, int Hkv, int d, uint64_t k, uint64_t v, int kvdt, int ldkv,
              float scale, int causalBase, const int* dSlots, int nSlots) {
  DecArgs a{};
  a.q = reinterpret_cast<const float*>(q);
  a.k = reinterpret_cast<const void*>(k);
  a.v = reinterpret_cast<const void*>(v);
  a.ldkv = ldkv; a.Hq = Hq; a.Hkv = Hkv; a.G = Hq / Hkv; a.nSlots = nSlots; a.causalBase = causalBase;
  a.scale = scale;
  a.slots = dSlots;
  // About two resident blocks per SM in all; no block shorter than 64 slots.
  const long want = std::max<long>(1, (2L * smCount() + long(Tq) * Hkv - 1) / (long(Tq) * Hkv));
  int nb = int(std::min<long>(want, (nSlots + 63) / 64));
  a.per = (nSlots + nb - 1) / nb;
  a.nb = nb = (nSlots + a.per - 1) / a.per;
  const size_t rows = size_t(Tq) * Hq * nb;
  float* buf = static_cast<float*>(scratch(rows * (2 + size_t(d)) * 4));
  a.pm = buf;
  a.pl = buf + rows;
  a.pacc = buf + 2 * rows;
  if (d == 64) {
    if (kvdt == F16) launchDecodeV4<__half, 64>(a, Tq); else launchDecodeV4<__nv_bfloat16, 64>(a, Tq);
  } else {
    if (kvdt == F16) launchDecodeV4<__half, 128>(a, Tq); else launchDecodeV4<__nv_bfloat16, 128>(a, Tq);
  }
  const int cthreads = std::max(32, std::min(256, (d + 31) / 32 * 32));
  combineKernel<<<unsigned(size_t(Tq) * Hq), cthreads, size_t(nb) * 4, stream()>>>(reinterpret_cast<float*>(out), a.pm,
                                                                                 a.pl, a.pacc, nb, d);
  SV_LAUNCH("attention combine (v4)");
}

// ---- v9 decode: one launch. Each group of D/8 lanes owns whole slots: it loads a slot's K row and V row together
// (16-byte loads, R slots in flight per lane), reduces the G scores with shuffles and keeps its own online softmax,
// so K and V reads overlap and no block-wide barrier sits between them. Blocks are sized from the slot count (a small
// set gets few blocks of one pass each; a large one about two blocks per SM). Split-K partials are combined by the
// last block of each (row, kv head) to finish, found with a device counter that the same block resets to zero.
constexpr int kV9Threads = 256;
constexpr int kV9MaxBlocks = 128;  // partials per (row, kv head); bounds the combine's shared memory
constexpr int kV9Counters = 4096;

__device__ __forceinline__ float4 lds4(const float* p) {
  float4 v;
  const unsigned a = static_cast<unsigned>(__cvta_generic_to_shared(p));
  asm volatile("ld.shared.v4.f32 {%0, %1, %2, %3}, [%4];" : "=f"(v.x), "=f"(v.y), "=f"(v.z), "=f"(v.w) : "r"(a));
  return v;
}
// R: slots in flight per lane group (a K and a V row each); MINB: resident blocks per SM the registers allow.
// v9 = R 4, MINB 1 (v8, R 2 with 2 blocks per SM, measured slower: kernels/dev/HISTORY.md).
constexpr int kV9Slots = 4, kV9BlocksPerSm = 1;
template <typename KT, int D, int GM, int R, int MINB>
__global__ void __launch_bounds__(kV9Threads, MINB) decodeKernelV9(DecArgs a, float* out, int* counters) {
  constexpr int LPR = D / 8, GPW = 32 / LPR, NW = kV9Threads / 32, NG = NW * GPW;
  __shared__ __align__(16) float qs[GM][D];
  __shared__ float gm[NG][GM];
  __shared__ __align__(16) float red[NW][GM][D];
  __shared__ float redl[NW][GM];
  __shared__ float wgt[GM][kV9MaxBlocks];
  __shared__ float tot[GM];
  __shared__ int last;
  const int b = blockIdx.x, g = blockIdx.y, t = blockIdx.z, G = a.G, nb = a.nb;
  const int tid = threadIdx.x, lane = tid & 31, w = tid >> 5;
  const int grp = w * GPW + lane / LPR, cl = lane % LPR;
  const int begin = b * a.per, end = min(a.nSlots, begin + a.per);
  const long limit = a.causalBase >= 0 ? long(a.causalBase) + t : LONG_MAX;
  const KT* K = static_cast<const KT*>(a.k) + size_t(g) * D;
  const KT* V = static_cast<const KT*>(a.v) + size_t(g) * D;
  for (int i = tid; i < GM * D; i += kV9Threads) {
    const int j = i / D, c = i % D;
    qs[j][c] = j < G ? a.q[size_t(t) * a.Hq * D + size_t(g * G + j) * D + c] * a.scale : 0.f;
  }
  __syncthreads();
  float M[GM], L[GM], acc[GM][8];
#pragma unroll
  for (int j = 0; j < GM; ++j) {
    M[j] = -INFINITY;
    L[j] = 0.f;
#pragma unroll
    for (int e = 0; e < 8; ++e) acc[j][e] = 0.f;
  }
  // The loop bound is warp-uniform (the score shuffles need every lane of the warp); groups past the end load nothing.
  // The slot numbers of the next pass are loaded during this one (one dependent round trip fewer per pass).
  const int gs = (lane / LPR) * R;
  int nx[R];
#pragma unroll
  for (int r = 0; r < R; ++r) {
    const int si = begin + w * GPW * R + gs + r;
    nx[r] = si < end ? (a.slots ? __ldg(a.slots + si) : si) : 0;
  }
  for (int s0 = begin + w * GPW * R; s0 < end; s0 += NG * R) {
    const int s = s0 + gs;
    uint4 kx[R], vx[R];
    bool ok[R];
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const int slot = nx[r];
      ok[r] = s + r < end && slot <= limit;
      const size_t off = size_t(slot) * a.ldkv;
      kx[r] = ok[r] ? __ldg(reinterpret_cast<const uint4*>(K + off) + cl) : make_uint4(0u, 0u, 0u, 0u);
      vx[r] = ok[r] ? __ldg(reinterpret_cast<const uint4*>(V + off) + cl) : make_uint4(0u, 0u, 0u, 0u);
    }
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const int si = s + NG * R + r;
      nx[r] = si < end ? (a.slots ? __ldg(a.slots + si) : si) : 0;
    }
    float sc[R][GM], kf[R][8];
#pragma unroll
    for (int r = 0; r < R; ++r) unpack8<KT>(kx[r], kf[r]);
#pragma unroll
    for (int j = 0; j < GM; ++j) {
      const float4 qa = lds4(&qs[j][cl * 8]), qb = lds4(&qs[j][cl * 8 + 4]);  // not hoisted out of the loop
#pragma unroll
      for (int r = 0; r < R; ++r) {
        float x = qa.x * kf[r][0];
        x = fmaf(qa.y, kf[r][1], fmaf(qa.z, kf[r][2], fmaf(qa.w, kf[r][3], x)));
        x = fmaf(qb.x, kf[r][4], fmaf(qb.y, kf[r][5], fmaf(qb.z, kf[r][6], fmaf(qb.w, kf[r][7], x))));
#pragma unroll
        for (int o = LPR / 2; o > 0; o >>= 1) x += __shfl_xor_sync(0xffffffffu, x, o);
        sc[r][j] = ok[r] ? x : -INFINITY;
      }
    }
#pragma unroll
    for (int j = 0; j < GM; ++j) {
      float tm = sc[0][j];
#pragma unroll
      for (int r = 1; r < R; ++r) tm = fmaxf(tm, sc[r][j]);
      const float nm = fmaxf(M[j], tm);
      if (nm == -INFINITY) continue;  // nothing valid yet for this group
      const float alpha = __expf(M[j] - nm);  // M = -inf -> 0
      float p[R];
      float ps = 0.f;
#pragma unroll
      for (int r = 0; r < R; ++r) { p[r] = __expf(sc[r][j] - nm); ps += p[r]; }
      L[j] = L[j] * alpha + ps;
      M[j] = nm;
#pragma unroll
      for (int e = 0; e < 8; ++e) {
        float x = acc[j][e] * alpha;
#pragma unroll
        for (int r = 0; r < R; ++r) x = fmaf(p[r], toF(reinterpret_cast<const KT*>(&vx[r])[e]), x);
        acc[j][e] = x;
      }
    }
  }
  // Block partial: rescale every group to the block max, sum the groups of a warp with shuffles, then the warps.
  if (cl == 0) {
#pragma unroll
    for (int j = 0; j < GM; ++j) gm[grp][j] = M[j];
  }
  __syncthreads();
#pragma unroll
  for (int j = 0; j < GM; ++j) {
    float mb = gm[0][j];
#pragma unroll
    for (int x = 1; x < NG; ++x) mb = fmaxf(mb, gm[x][j]);
    const float f = M[j] == -INFINITY ? 0.f : __expf(M[j] - mb);
    float l = L[j] * f;
#pragma unroll
    for (int o = LPR; o < 32; o <<= 1) l += __shfl_xor_sync(0xffffffffu, l, o);
#pragma unroll
    for (int e = 0; e < 8; ++e) {
      float v = acc[j][e] * f;
#pragma unroll
      for (int o = LPR; o < 32; o <<= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
      acc[j][e] = v;
    }
    if (lane < LPR) {
      *reinterpret_cast<float4*>(&red[w][j][cl * 8]) = make_float4(acc[j][0], acc[j][1], acc[j][2], acc[j][3]);
      *reinterpret_cast<float4*>(&red[w][j][cl * 8 + 4]) = make_float4(acc[j][4], acc[j][5], acc[j][6], acc[j][7]);
      if (lane == 0) redl[w][j] = l;
    }
    if (tid == 0) tot[j] = mb;  // block max (uniform); read back below
  }
  __syncthreads();
  const size_t row0 = size_t(t) * a.Hq + size_t(g) * G;
  if (nb == 1) {
    for (int o = tid; o < G * D; o += kV9Threads) {
      const int j = o / D, c = o % D;
      float sum = 0.f, l = 0.f;
#pragma unroll
      for (int x = 0; x < NW; ++x) { sum += red[x][j][c]; l += redl[x][j]; }
      out[(row0 + j) * D + c] = l > 0.f ? sum / l : 0.f;
    }
    return;
  }
  for (int o = tid; o < G * D; o += kV9Threads) {
    const int j = o / D, c = o % D;
    float sum = 0.f;
#pragma unroll
    for (int x = 0; x < NW; ++x) sum += red[x][j][c];
    a.pacc[((row0 + j) * nb + b) * D + c] = sum;
  }
  if (tid < G) {
    float l = 0.f;
#pragma unroll
    for (int x = 0; x < NW; ++x) l += redl[x][tid];
    a.pm[(row0 + tid) * nb + b] = tot[tid];
    a.pl[(row0 + tid) * nb + b] = l;
  }
  __threadfence();
  __syncthreads();
  int* cnt = counters + size_t(t) * gridDim.y + g;
  if (tid == 0) {
    const int ticket = atomicAdd(cnt, 1);
    last = ticket == nb - 1;
    if (last) *cnt = 0;  // ready for the next launch (stream order)
  }
  __syncthreads();
  if (!last) return;
  __threadfence();
  // Last block: weights per partial and head, then every column summed over the partials (L2 reads, bypassing L1).
  for (int j = w; j < G; j += NW) {
    const float* pm = a.pm + (row0 + j) * nb;
    const float* pl = a.pl + (row0 + j) * nb;
    float mx = -INFINITY;
    for (int x = lane; x < nb; x += 32) mx = fmaxf(mx, __ldcg(pm + x));
    mx = warpMax(mx);
    float l = 0.f;
    for (int x = lane; x < nb; x += 32) {
      const float m = __ldcg(pm + x);
      const float f = m == -INFINITY ? 0.f : __expf(m - mx);
      wgt[j][x] = f;
      l += f * __ldcg(pl + x);
    }
    l = warpSum(l);
    if (lane == 0) tot[j] = l;
  }
  __syncthreads();
  constexpr int D4 = D / 4;
  for (int o = tid; o < G * D4; o += kV9Threads) {
    const int j = o / D4, c4 = o % D4;
    const float4* p = reinterpret_cast<const float4*>(a.pacc + (row0 + j) * nb * D) + c4;
    float4 s = make_float4(0.f, 0.f, 0.f, 0.f);
#pragma unroll 16
    for (int x = 0; x < nb; ++x) {  // up to 16 partials in flight: this loop is the launch's serial tail
      const float4 v = __ldcg(p + size_t(x) * D4);
      const float f = wgt[j][x];
      s.x = fmaf(f, v.x, s.x); s.y = fmaf(f, v.y, s.y); s.z = fmaf(f, v.z, s.z); s.w = fmaf(f, v.w, s.w);
    }
    const float inv = tot[j] > 0.f ? 1.f / tot[j] : 0.f;
    *reinterpret_cast<float4*>(out + (row0 + j) * D + c4 * 4) = make_float4(s.x * inv, s.y * inv, s.z * inv, s.w * inv);
  }
}

template <typename KT, int D>
void launchDecodeV9(const DecArgs& a, int Tq, float* out, int* counters) {
  constexpr int R = kV9Slots, MINB = kV9BlocksPerSm;
  const dim3 grid(a.nb, a.Hkv, Tq);
  if (a.G <= 4) decodeKernelV9<KT, D, 4, R, MINB><<<grid, kV9Threads, 0, stream()>>>(a, out, counters);
  else if (a.G == 7) decodeKernelV9<KT, D, 7, R, MINB><<<grid, kV9Threads, 0, stream()>>>(a, out, counters);  // Qwen2-7B
  else decodeKernelV9<KT, D, 8, R, MINB><<<grid, kV9Threads, 0, stream()>>>(a, out, counters);
  SV_LAUNCH("attention decode v9");
}

int* v9Counters() {
  static int* c = nullptr;
  if (!c) {
    check(cudaMalloc(reinterpret_cast<void**>(&c), kV9Counters * 4), "decode v9 counters");
    check(cudaMemsetAsync(c, 0, kV9Counters * 4, stream()), "decode v9 counters");  // the stream is non-blocking
  }
  return c;
}

void decodeV9(uint64_t out, uint64_t q, int Tq, int Hq, int Hkv, int d, uint64_t k, uint64_t v, int kvdt, int ldkv,
              float scale, int causalBase, const int* dSlots, int nSlots) {
  if (size_t(Tq) * Hkv > size_t(kV9Counters)) fail("attention decode v9: too many rows x kv heads");
  DecArgs a{};
  a.q = reinterpret_cast<const float*>(q);
  a.k = reinterpret_cast<const void*>(k);
  a.v = reinterpret_cast<const void*>(v);
  a.ldkv = ldkv; a.Hq = Hq; a.Hkv = Hkv; a.G = Hq / Hkv; a.nSlots = nSlots; a.causalBase = causalBase;
  a.scale = scale;
  a.slots = dSlots;
  // One pass of the block's lane groups (R slots each) is the smallest block; about two blocks per SM at most.
  const int R = kV9Slots, perSm = kV9BlocksPerSm;
  const long pass = long(kV9Threads / 32) * (32 / (d / 8)) * R;
  const long want = std::max<long>(1, (long(perSm) * smCount() + long(Tq) * Hkv - 1) / (long(Tq) * Hkv));
  long per = std::max<long>(pass, (nSlots + want - 1) / want);
  per = std::max<long>(per, (nSlots + kV9MaxBlocks - 1) / kV9MaxBlocks);
  per = (per + pass - 1) / pass * pass;
  a.per = int(per);
  a.nb = int((nSlots + per - 1) / per);
  const size_t rows = size_t(Tq) * Hq * a.nb;
  float* buf = static_cast<float*>(scratch(rows * (2 + size_t(d)) * 4));
  a.pacc = buf;  // first: the combine reads it with 16-byte loads
  a.pm = buf + rows * d;
  a.pl = a.pm + rows;
  float* o = reinterpret_cast<float*>(out);
  int* cnt = v9Counters();
  if (d == 64) {
    if (kvdt == F16) launchDecodeV9<__half, 64>(a, Tq, o, cnt); else launchDecodeV9<__nv_bfloat16, 64>(a, Tq, o, cnt);
  } else {
    if (kvdt == F16) launchDecodeV9<__half, 128>(a, Tq, o, cnt); else launchDecodeV9<__nv_bfloat16, 128>(a, Tq, o, cnt);
  }
}


// q rows [t0, t0+tc) -> qp [Hq][tc][d] in the K/V dtype (head-major, so each kv group is one [G*tc, d] matrix).
__global__ void permuteQKernel(void* qp, int dt, const float* q, int t0, int tc, int Hq, int d) {
  size_t n = size_t(Hq) * tc * d;
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    int c = int(i % d);
    size_t hr = i / d;
    int r = int(hr % tc), h = int(hr / tc);
    st(qp, dt, i, q[(size_t(t0) + r) * Hq * d + size_t(h) * d + c]);
  }
}
__global__ void unpermuteKernel(float* out, const float* op, int t0, int tc, int Hq, int d) {
  size_t n = size_t(Hq) * tc * d;
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    int c = int(i % d);
    size_t hr = i / d;
    int r = int(hr % tc), h = int(hr / tc);
    out[(size_t(t0) + r) * Hq * d + size_t(h) * d + c] = op[i];
  }
}
// Row rr of S [Hq*tc, tk] (query t0 + rr % tc): masked, scaled softmax written to P (dtype pdt, same layout).
// One pass keeps a running max and sum per thread, a second writes the probabilities.
__global__ void softmaxRowsKernel(void* P, int pdt, const float* S, int tc, int tk, int t0, float scale, int causalBase,
                                  const int* colPos) {
  const size_t rr = blockIdx.x;
  const int t = t0 + int(rr % tc);
  const long limit = causalBase >= 0 ? long(causalBase) + t : LONG_MAX;
  const float* s = S + rr * tk;
  float m = -INFINITY, l = 0.f;
  for (int j = threadIdx.x; j < tk; j += blockDim.x) {
    long pos = colPos ? colPos[j] : j;
    if (pos > limit) continue;
    float x = s[j] * scale;
    if (x > m) { l = l * expf(m - x) + 1.f; m = x; } else { l += expf(x - m); }
  }
  __shared__ float sm[32], sl[32];
  const int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
  float wm = warpMax(m);
  float wl = warpSum(m == -INFINITY ? 0.f : l * expf(m - wm));
  if (lane == 0) { sm[w] = wm; sl[w] = wl; }
  __syncthreads();
  float M = -INFINITY;
  for (int i = 0; i < nw; ++i) M = fmaxf(M, sm[i]);
  float L = 0.f;
  for (int i = 0; i < nw; ++i) L += sm[i] == -INFINITY ? 0.f : sl[i] * expf(sm[i] - M);
  const float inv = L > 0.f ? 1.f / L : 0.f;
  for (int j = threadIdx.x; j < tk; j += blockDim.x) {
    long pos = colPos ? colPos[j] : j;
    float p = pos > limit ? 0.f : expf(s[j] * scale - M) * inv;
    st(P, pdt, rr * tk + j, p);
  }
}
__global__ void gatherRowsKernel(void* dst, const void* src, int dt, int ld, const int* idx, int n) {
  size_t total = size_t(n) * ld;
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < total; i += size_t(gridDim.x) * blockDim.x) {
    size_t r = i / ld, c = i % ld;
    size_t s = size_t(idx[r]) * ld + c;
    if (dt == F32) static_cast<float*>(dst)[i] = static_cast<const float*>(src)[s];
    else static_cast<uint16_t*>(dst)[i] = static_cast<const uint16_t*>(src)[s];
  }
}

unsigned grid(size_t n) { return unsigned(std::min<size_t>((n + 255) / 256, 65535u * 8)); }

void splitPath(uint64_t out, uint64_t q, int Tq, int Hq, int Hkv, int d, uint64_t k, uint64_t v, int kvdt, int ldkv,
               float scale, int causalBase, const int* dSlots, int nSlots) {
  const int G = Hq / Hkv;
  int chunk = 128;
  while (chunk > 32 && size_t(Tq) * Hkv * ((nSlots + chunk - 1) / chunk) < 264) chunk /= 2;
  const int nw = kSplitThreads / 32;
  auto smemFor = [&](int ch) {
    return (size_t(G) * ((d + 7) / 8 * 8) + size_t(G) * ch) * 4 + size_t(ch) * 4 +
           (G <= 8 && d <= 128 ? size_t(nw) * G * d * 4 : 0);
  };
  while (chunk > 8 && smemFor(chunk) > 48 * 1024) chunk /= 2;
  if (smemFor(chunk) > 48 * 1024) fail("attention: too many query heads per kv head for the decode kernel");
  const int nChunks = (nSlots + chunk - 1) / chunk;
  const size_t rows = size_t(Tq) * Hq * nChunks;
  float* buf = static_cast<float*>(scratch(rows * (2 + size_t(d)) * 4));
  SplitArgs a{reinterpret_cast<const float*>(q), reinterpret_cast<const void*>(k), reinterpret_cast<const void*>(v),
              ldkv, Hq, Hkv, d, nSlots, chunk, nChunks, causalBase, scale, dSlots, buf, buf + rows, buf + 2 * rows};
  dim3 g(nChunks, Hkv, Tq);
  size_t smem = smemFor(chunk);
  if (kvdt == F32) splitKernel<float><<<g, kSplitThreads, smem, stream()>>>(a);
  else if (kvdt == F16) splitKernel<__half><<<g, kSplitThreads, smem, stream()>>>(a);
  else splitKernel<__nv_bfloat16><<<g, kSplitThreads, smem, stream()>>>(a);
  SV_LAUNCH("attention split");
  const int cthreads = std::max(32, std::min(256, (d + 31) / 32 * 32));
  combineKernel<<<unsigned(size_t(Tq) * Hq), cthreads, size_t(nChunks) * 4, stream()>>>(reinterpret_cast<float*>(out),
                                                                                       a.pm, a.pl, a.pacc, nChunks, d);
  SV_LAUNCH("attention combine");
}

struct GemmPlan {
  int Tc;
  size_t qpB, sB, pB, oB;
  size_t total() const { return qpB + sB + pB + oB; }
};
size_t align256(size_t b) { return (b + 255) / 256 * 256; }
GemmPlan planGemm(int Tq, int Hq, int d, int Tk, int kvdt) {
  const size_t es = dtypeSize(kvdt);
  const bool separateP = kvdt != F32;
  const size_t budget = size_t(1) << 30;  // S (and P) for one query chunk
  const size_t perRow = size_t(Hq) * Tk * (4 + (separateP ? es : 0)) + size_t(Hq) * d * (es + 4);
  GemmPlan p;
  p.Tc = int(std::max<size_t>(1, std::min<size_t>(Tq, budget / perRow)));
  p.qpB = align256(size_t(Hq) * p.Tc * d * es);
  p.sB = align256(size_t(Hq) * p.Tc * Tk * 4);
  p.pB = separateP ? align256(size_t(Hq) * p.Tc * Tk * es) : 0;
  p.oB = align256(size_t(Hq) * p.Tc * d * 4);
  return p;
}

// `base` holds plan.total() bytes of device scratch.
void gemmPath(uint64_t out, uint64_t q, int Tq, int Hq, int Hkv, int d, const void* K, const void* V, int kvdt,
              int ldkv, int Tk, float scale, int causalBase, const int* colPos, const GemmPlan& plan, char* base) {
  const int G = Hq / Hkv;
  const int Tc = plan.Tc;
  void* Qp = base;
  float* S = reinterpret_cast<float*>(base + plan.qpB);
  void* Pm = plan.pB ? static_cast<void*>(base + plan.qpB + plan.sB) : static_cast<void*>(S);
  float* Op = reinterpret_cast<float*>(base + plan.qpB + plan.sB + plan.pB);
  for (int t0 = 0; t0 < Tq; t0 += Tc) {
    const int tc = std::min(Tc, Tq - t0);
    int tk = Tk;
    if (causalBase >= 0 && !colPos) tk = int(std::min<long>(Tk, long(causalBase) + t0 + tc));
    if (tk <= 0) fail("attention: a query row sees no key");
    permuteQKernel<<<grid(size_t(Hq) * tc * d), 256, 0, stream()>>>(Qp, kvdt, reinterpret_cast<const float*>(q), t0,
                                                                    tc, Hq, d);
    SV_LAUNCH("attention permute");
    gemmStridedBatched(kOpT, kOpN, tk, G * tc, d, K, kvdt, ldkv, d, Qp, kvdt, d, (long long)G * tc * d, S, F32, tk,
                       (long long)G * tc * tk, Hkv);
    softmaxRowsKernel<<<unsigned(size_t(Hq) * tc), 256, 0, stream()>>>(Pm, kvdt, S, tc, tk, t0, scale, causalBase,
                                                                       colPos);
    SV_LAUNCH("attention softmax");
    gemmStridedBatched(kOpN, kOpN, d, G * tc, tk, V, kvdt, ldkv, d, Pm, kvdt, tk, (long long)G * tc * tk, Op, F32, d,
                       (long long)G * tc * d, Hkv);
    unpermuteKernel<<<grid(size_t(Hq) * tc * d), 256, 0, stream()>>>(reinterpret_cast<float*>(out), Op, t0, tc, Hq, d);
    SV_LAUNCH("attention unpermute");
  }
}

}  // namespace

// The 28 layers of a decode step pass the same slot list: the last list stays on the device (stream-ordered
// reuse), so a repeat costs a memcmp instead of validation + a pageable host-to-device copy.
struct SlotCache {
  int* dev = nullptr;
  size_t cap = 0;
  std::vector<int32_t> host;
};
SlotCache gSlotCache;

const int* deviceSlots(const int32_t* slots, int n, int Tk) {
  SlotCache& c = gSlotCache;
  if (size_t(n) == c.host.size() && n > 0 && std::memcmp(c.host.data(), slots, size_t(n) * 4) == 0) {
    if (c.host.back() >= Tk) fail("attention: slots must be ascending, unique and below the cache length");
    return c.dev;
  }
  for (int i = 0; i < n; ++i)
    if (slots[i] < 0 || slots[i] >= Tk || (i && slots[i] <= slots[i - 1]))
      fail("attention: slots must be ascending, unique and below the cache length");
  if (c.cap < size_t(n)) {
    if (c.dev) check(cudaFreeAsync(c.dev, stream()), "slot cache free");
    c.dev = nullptr;
    c.cap = 0;
    c.host.clear();
    const size_t cap = std::max<size_t>(size_t(n), 4096);
    check(cudaMallocAsync(reinterpret_cast<void**>(&c.dev), cap * 4, stream()), "slot cache alloc");
    c.cap = cap;
  }
  c.host.assign(slots, slots + n);
  check(cudaMemcpyAsync(c.dev, c.host.data(), size_t(n) * 4, cudaMemcpyHostToDevice, stream()), "slot upload");
  return c.dev;
}


void attention(uint64_t out, uint64_t q, int Tq, int Hq, int Hkv, int d, uint64_t k, uint64_t v, int kvdt, int ldkv,
               int Tk, float scale, int causalBase, const int32_t* slots, int nSlots) {
  if (Tq <= 0) return;
  if (slots && nSlots <= 0) fail("attention: no key slots");
  attentionDeviceSlots(out, q, Tq, Hq, Hkv, d, k, v, kvdt, ldkv, Tk, scale, causalBase,
                       slots ? uint64_t(deviceSlots(slots, nSlots, Tk)) : 0, slots ? nSlots : 0);
}

void attentionDeviceSlots(uint64_t out, uint64_t q, int Tq, int Hq, int Hkv, int d, uint64_t k, uint64_t v, int kvdt,
                          int ldkv, int Tk, float scale, int causalBase, uint64_t slotsDev, int nSlots) {
  if (Hq <= 0 || Hkv <= 0 || Hq % Hkv) fail("attention: heads must be a multiple of kvHeads");
  if (d <= 0 || d > kMaxD) fail("attention: head dim must be in 1..256");
  if (Tq <= 0) return;
  const int* dSlots = reinterpret_cast<const int*>(slotsDev);
  const bool slots = dSlots != nullptr;
  const int n = slots ? nSlots : Tk;
  if (n <= 0) fail("attention: no key slots");
  const KernelConfig& cfg = kernelConfig();
  // Automatic (round 5, H200, 40 calls back to back): v9 11.2 / 18.1 / 24.3 / 73.4 us vs v4 13.4 / 21.8 / 28.1 / 68.1
  // at 1258 / 5018 / 12545 / 50177 slots.
  const DecodeAttention ver = cfg.decodeAttention != DecodeAttention::kAuto ? cfg.decodeAttention
                              : n < kDecodeAutoV9Slots                     ? DecodeAttention::kV9
                                                                           : DecodeAttention::kV4;
  const bool fits = Tq <= 16 && decodeV4Fits(Hq, Hkv, d, kvdt, ldkv, k, v);
  if (fits && ver == DecodeAttention::kV9 && out % 16 == 0) {
    decodeV9(out, q, Tq, Hq, Hkv, d, k, v, kvdt, ldkv, scale, causalBase, dSlots, n);
    return;
  }
  if (fits && ver != DecodeAttention::kSplit) {
    decodeV4(out, q, Tq, Hq, Hkv, d, k, v, kvdt, ldkv, scale, causalBase, dSlots, n);
    return;
  }
  if (Tq <= 16 && Hq / Hkv <= kMaxG) {
    splitPath(out, q, Tq, Hq, Hkv, d, k, v, kvdt, ldkv, scale, causalBase, dSlots, n);
    return;
  }
  const bool flash = cfg.prefillAttention != PrefillAttention::kCublas && flashSupported(d, kvdt);
  if (flash && !slots) {
    flashAttention(FlashArgs{reinterpret_cast<const float*>(q), reinterpret_cast<const void*>(k),
                             reinterpret_cast<const void*>(v), reinterpret_cast<float*>(out), Tq, Tk, Hq, Hkv, d, ldkv,
                             causalBase, scale, nullptr}, kvdt);
    return;
  }
  const GemmPlan plan = planGemm(Tq, Hq, d, n, kvdt);
  if (!slots) {
    char* base = static_cast<char*>(scratch(plan.total()));
    gemmPath(out, q, Tq, Hq, Hkv, d, reinterpret_cast<const void*>(k), reinterpret_cast<const void*>(v), kvdt, ldkv, Tk,
             scale, causalBase, nullptr, plan, base);
    return;
  }
  // Many query rows over a selected set: compact the selected rows first (the GEMMs need dense operands).
  const size_t kvB = align256(size_t(nSlots) * ldkv * dtypeSize(kvdt));
  char* work = static_cast<char*>(scratch(2 * kvB + (flash ? 0 : plan.total())));
  gatherRowsKernel<<<grid(size_t(nSlots) * ldkv), 256, 0, stream()>>>(work, reinterpret_cast<const void*>(k), kvdt, ldkv,
                                                                      dSlots, nSlots);
  gatherRowsKernel<<<grid(size_t(nSlots) * ldkv), 256, 0, stream()>>>(work + kvB, reinterpret_cast<const void*>(v), kvdt,
                                                                      ldkv, dSlots, nSlots);
  SV_LAUNCH("attention gather");
  if (flash) {
    flashAttention(FlashArgs{reinterpret_cast<const float*>(q), work, work + kvB, reinterpret_cast<float*>(out), Tq, nSlots,
                             Hq, Hkv, d, ldkv, causalBase, scale, dSlots}, kvdt);
    return;
  }
  gemmPath(out, q, Tq, Hq, Hkv, d, work, work + kvB, kvdt, ldkv, nSlots, scale, causalBase, dSlots, plan, work + 2 * kvB);
}

}  // namespace sv::gpu
