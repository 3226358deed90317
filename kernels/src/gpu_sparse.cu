// Streaming column mean of softmax(q·kᵀ·scale) (patch saliency; retrieval scores) in two passes over K without
// the attention matrix: pass 1 an online log-sum-exp per (head, query row), pass 2 re-streams the query tiles per
// key tile and adds exp(s - lse) into its columns. 64x64 score tiles, 16x16 threads, each thread 4x4 scores;
// rows i = ty + 16r and columns j = tx + 16c so the shared-memory reads are conflict-free with odd row pitch.
#include <algorithm>
#include <climits>
#include <cmath>
#include <type_traits>

#include "gpu.h"
#include "gpu_internal.cuh"
#include "kernel_config.h"

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

// ---- v2 / v3: the q·k tiles on the tensor cores (mma.sync m16n8k16, bf16 operands, f32 accumulation) ----------
// Rows are "virtual": the G query heads of one kv head stacked, r = (h - g*G)*Tq + t, so a kv head's K tile is
// loaded once for all of them (retrieval: 7 heads x 32 rows share one 64-row tile pass). The head dim is padded
// to a multiple of 16 with zeros. Scores are scaled after the MMA (s * scale * log2 e, exp2 domain), so the
// operands are exactly bf16(q) and bf16(k) (v2), or a hi + lo bf16 pair each (v3: hi·hi + hi·lo + lo·hi, about
// 16 significant bits per operand, f32-grade scores). The exp and the sums stay f32 on the SIMT cores.
// Each warp computes a 16-row x 64-key score tile; a block stacks WR warps along the rows and WC along the keys.
// Pass 1 (row log-sum-exp) owns 128 rows and streams 64-key tiles (WR 8, WC 1); pass 2 (column sums) owns 256 keys
// and streams 32-row tiles (WR 2, WC 4): the streamed operand is re-read from L2 4x less than with 64x64 tiles.
constexpr int kLseWR = 8, kLseWC = 1, kColWR = 2, kColWC = 4;
constexpr float kLog2e = 1.4426950408889634f;
constexpr float kMasked = -1e30f;  // finite "minus infinity": exp2(kMasked - m) = 0, and kMasked - kMasked = 0

struct TcArgs {
  const float* q;
  const void* k;
  int ldk, frames, Tq, Tk, Hq, Hkv, G, R, d, ksteps, pw, causalBase;
  bool pairs;  // d, ldk even and rows 8-byte aligned: load element pairs  // R = G*Tq rows per kv head; pw: smem pitch (words)
  float scale2, norm;                                                  // scale2 = scale * log2 e
  int nSplit;
  float* lse;   // [frames][Hq][Tq] log2-sum-exp2 of the scaled scores
  float* part;  // [rows][nSplit][2] partial (max, sum) when nSplit > 1
  float* out;   // [frames][Tk]
};

__device__ __forceinline__ float fastExp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}
__device__ __forceinline__ uint32_t packBf16(float a, float b) {
  __nv_bfloat162 v = __floats2bfloat162_rn(a, b);
  return *reinterpret_cast<uint32_t*>(&v);
}
// x = hi + lo with hi = bf16(x), lo = bf16(x - hi) (exact remainder when it is representable).
__device__ __forceinline__ void splitBf16(float a, float b, uint32_t& hi, uint32_t& lo) {
  __nv_bfloat162 h = __floats2bfloat162_rn(a, b);
  hi = *reinterpret_cast<uint32_t*>(&h);
  lo = packBf16(a - __low2float(h), b - __high2float(h));
}
__device__ __forceinline__ void mmaBf16(float c[4], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t b0,
                                        uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

// Tile loading goes through registers: a warp owns rows warp, warp + NW, ... and its lanes the 32-bit words of a
// row (coalesced); fetch() issues every global load of a batch before any is used, store() converts to bf16 (hi, or
// hi + lo) in shared memory. The streamed tile of each pass is fetched one iteration ahead, so its loads fly while
// the tensor cores work on the current one. Head dims up to 128: at most 2 words (4 elements) per lane.
constexpr int kWpl = 2;
__device__ __forceinline__ const float* qRowPtr(const TcArgs& a, int f, int g, int r) {
  if (r >= a.R) return nullptr;
  const int hh = r / a.Tq, t = r - hh * a.Tq;
  return a.q + (size_t(f) * a.Tq + t) * a.Hq * a.d + size_t(g * a.G + hh) * a.d;
}
template <typename KT>
__device__ __forceinline__ const KT* kRowPtr(const TcArgs& a, int f, int g, int j) {
  return j < a.Tk ? static_cast<const KT*>(a.k) + (size_t(f) * a.Tk + j) * a.ldk + size_t(g) * a.d : nullptr;
}
template <typename T>
__device__ __forceinline__ float2 loadPairAt(const T* p, int c, const TcArgs& a) {
  float2 r = make_float2(0.f, 0.f);
  if (!p || c >= a.d) return r;
  if (a.pairs) {
    if constexpr (std::is_same<T, float>::value) {
      r = *reinterpret_cast<const float2*>(p + c);
    } else {
      const uint32_t u = *reinterpret_cast<const uint32_t*>(p + c);
      const T* h = reinterpret_cast<const T*>(&u);
      r = make_float2(toF(h[0]), toF(h[1]));
    }
  } else {
    r.x = toF(p[c]);
    if (c + 1 < a.d) r.y = toF(p[c + 1]);
  }
  return r;
}
template <int B>
struct RowStage {
  float2 v[B][kWpl];
  // Rows rr0 + b*step (b < B) of the tile; rowPtr(rr) gives a row's first element or nullptr (zero row).
  template <typename T, typename RowPtr>
  __device__ __forceinline__ void fetch(const TcArgs& a, int rr0, int step, int rows, RowPtr rowPtr) {
    const int lane = threadIdx.x & 31;
#pragma unroll
    for (int b = 0; b < B; ++b) {
      const int rr = rr0 + b * step;
      const T* p = rr < rows ? rowPtr(rr) : nullptr;
#pragma unroll
      for (int u = 0; u < kWpl; ++u) v[b][u] = loadPairAt(p, 2 * (lane + 32 * u), a);
    }
  }
  template <bool SPLIT>
  __device__ __forceinline__ void store(uint32_t* hi, uint32_t* lo, const TcArgs& a, int rr0, int step, int rows) const {
    const int lane = threadIdx.x & 31, wpr = a.ksteps * 8;
#pragma unroll
    for (int b = 0; b < B; ++b) {
      const int rr = rr0 + b * step;
      if (rr >= rows) break;
#pragma unroll
      for (int u = 0; u < kWpl; ++u) {
        const int w = lane + 32 * u;
        if (w >= wpr) break;
        if (SPLIT) splitBf16(v[b][u].x, v[b][u].y, hi[rr * a.pw + w], lo[rr * a.pw + w]);
        else hi[rr * a.pw + w] = packBf16(v[b][u].x, v[b][u].y);
      }
    }
  }
};
// A whole tile of `rows` rows, in batches of 8 rows per warp (used for the tile a block keeps).
template <typename T, bool SPLIT, typename RowPtr>
__device__ void loadTileTc(uint32_t* hi, uint32_t* lo, const TcArgs& a, int rows, RowPtr rowPtr) {
  const int nw = blockDim.x >> 5, warp = threadIdx.x >> 5;
  RowStage<8> st;
  for (int rr0 = warp; rr0 < rows; rr0 += 8 * nw) {
    st.template fetch<T>(a, rr0, nw, rows, rowPtr);
    st.template store<SPLIT>(hi, lo, a, rr0, nw, rows);
  }
}

// s[nt][0..1]: row gid, keys nt*8 + 2*tig + {0,1}; s[nt][2..3]: row gid + 8, of this warp's 16 rows (qRow0) and
// 64 keys (kRow0) in the shared tiles.
template <bool QS, bool KS>
__device__ __forceinline__ void tileScoresTc(const uint32_t* Qh, const uint32_t* Ql, const uint32_t* Kh,
                                             const uint32_t* Kl, int pw, int ksteps, int qRow0, int kRow0,
                                             float s[8][4]) {
  const int lane = threadIdx.x & 31, gid = lane >> 2, tig = lane & 3;
#pragma unroll
  for (int nt = 0; nt < 8; ++nt)
#pragma unroll
    for (int e = 0; e < 4; ++e) s[nt][e] = 0.f;
  const int ra = (qRow0 + gid) * pw + tig, rb = ra + 8 * pw, kr = (kRow0 + gid) * pw + tig;
  for (int kk = 0; kk < ksteps; ++kk) {
    const int o = kk * 8;
    const uint32_t h0 = Qh[ra + o], h1 = Qh[rb + o], h2 = Qh[ra + o + 4], h3 = Qh[rb + o + 4];
    uint32_t l0 = 0u, l1 = 0u, l2 = 0u, l3 = 0u;
    if (QS) { l0 = Ql[ra + o]; l1 = Ql[rb + o]; l2 = Ql[ra + o + 4]; l3 = Ql[rb + o + 4]; }
#pragma unroll
    for (int nt = 0; nt < 8; ++nt) {
      const int kb = kr + nt * 8 * pw + o;
      const uint32_t b0 = Kh[kb], b1 = Kh[kb + 4];
      mmaBf16(s[nt], h0, h1, h2, h3, b0, b1);
      if (KS) mmaBf16(s[nt], h0, h1, h2, h3, Kl[kb], Kl[kb + 4]);
      if (QS) mmaBf16(s[nt], l0, l1, l2, l3, b0, b1);
    }
  }
}

// Smallest and largest t among the rows [r0, r0 + rows) (rows wrap every Tq).
__device__ __forceinline__ void tileTRange(const TcArgs& a, int r0, int rows, int& tmin, int& tmax) {
  const int r1 = min(r0 + rows, a.R) - 1;
  if (r0 / a.Tq == r1 / a.Tq) { tmin = r0 % a.Tq; tmax = r1 % a.Tq; }
  else { tmin = 0; tmax = a.Tq - 1; }
}

template <typename KT, bool QS, bool KS>
__global__ void __launch_bounds__(32 * kLseWR * kLseWC) lsePassTc(TcArgs a) {
  constexpr int TR = 16 * kLseWR, TC = 64;
  extern __shared__ uint32_t smw[];
  uint32_t *Qh = smw, *Ql = Qh + TR * a.pw, *Kh = Ql + (QS ? TR * a.pw : 0), *Kl = Kh + TC * a.pw;
  const int r0 = blockIdx.x * TR, g = blockIdx.y, f = blockIdx.z / a.nSplit, split = blockIdx.z % a.nSplit;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, gid = lane >> 2, tig = lane & 3;
  const int rA = r0 + warp * 16 + gid, rB = rA + 8, tA = rA % a.Tq, tB = rB % a.Tq;
  int tmin, tmax;
  tileTRange(a, r0, TR, tmin, tmax);
  loadTileTc<float, QS>(Qh, Ql, a, TR, [&](int rr) { return qRowPtr(a, f, g, r0 + rr); });
  int jEnd = a.Tk;
  if (a.causalBase >= 0) jEnd = int(min(long(a.Tk), long(a.causalBase) + tmax + 1));
  const int tiles = (a.Tk + TC - 1) / TC, per = (tiles + a.nSplit - 1) / a.nSplit;
  const int jBegin = split * per * TC;
  jEnd = min(jEnd, (split + 1) * per * TC);
  float mA = kMasked, lA = 0.f, mB = kMasked, lB = 0.f;  // per thread, over its own keys
  static_assert(TC == 8 * kLseWR * kLseWC, "one RowStage<8> per warp holds a key tile");
  RowStage<8> next;
  if (jBegin < jEnd) next.template fetch<KT>(a, warp, 8, TC, [&](int rr) { return kRowPtr<KT>(a, f, g, jBegin + rr); });
  for (int j0 = jBegin; j0 < jEnd; j0 += TC) {
    __syncthreads();
    next.template store<KS>(Kh, Kl, a, warp, 8, TC);
    __syncthreads();
    if (j0 + TC < jEnd) next.template fetch<KT>(a, warp, 8, TC, [&](int rr) { return kRowPtr<KT>(a, f, g, j0 + TC + rr); });
    float s[8][4];
    tileScoresTc<QS, KS>(Qh, Ql, Kh, Kl, a.pw, a.ksteps, warp * 16, 0, s);
    const bool mask = j0 + TC > a.Tk || (a.causalBase >= 0 && j0 + TC - 1 > a.causalBase + tmin);
    float xA = kMasked, xB = kMasked;
#pragma unroll
    for (int nt = 0; nt < 8; ++nt)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        float v = s[nt][e] * a.scale2;
        if (mask) {
          const int j = j0 + nt * 8 + 2 * tig + (e & 1), t = e < 2 ? tA : tB;
          if (j >= a.Tk || (a.causalBase >= 0 && j > a.causalBase + t)) v = kMasked;
        }
        s[nt][e] = v;
        if (e < 2) xA = fmaxf(xA, v); else xB = fmaxf(xB, v);
      }
    const float nA = fmaxf(mA, xA), nB = fmaxf(mB, xB);
    float sA = 0.f, sB = 0.f;
#pragma unroll
    for (int nt = 0; nt < 8; ++nt) {
      sA += fastExp2(s[nt][0] - nA) + fastExp2(s[nt][1] - nA);
      sB += fastExp2(s[nt][2] - nB) + fastExp2(s[nt][3] - nB);
    }
    lA = lA * fastExp2(mA - nA) + sA;
    lB = lB * fastExp2(mB - nB) + sB;
    mA = nA;
    mB = nB;
  }
  // The quad (4 threads) shares each row.
#pragma unroll
  for (int o = 1; o <= 2; o <<= 1) {
    const float m2A = __shfl_xor_sync(0xffffffffu, mA, o), l2A = __shfl_xor_sync(0xffffffffu, lA, o);
    const float m2B = __shfl_xor_sync(0xffffffffu, mB, o), l2B = __shfl_xor_sync(0xffffffffu, lB, o);
    const float MA = fmaxf(mA, m2A), MB = fmaxf(mB, m2B);
    lA = lA * fastExp2(mA - MA) + l2A * fastExp2(m2A - MA);
    lB = lB * fastExp2(mB - MB) + l2B * fastExp2(m2B - MB);
    mA = MA;
    mB = MB;
  }
  if (tig == 0) {
    const size_t base = (size_t(f) * a.Hkv + g) * a.R;
#pragma unroll
    for (int x = 0; x < 2; ++x) {
      const int r = x ? rB : rA;
      if (r >= a.R) continue;
      const float m = x ? mB : mA, l = x ? lB : lA;
      if (a.nSplit == 1) {
        a.lse[base + r] = m + log2f(l);
      } else {
        a.part[((base + r) * a.nSplit + split) * 2] = m;
        a.part[((base + r) * a.nSplit + split) * 2 + 1] = l;
      }
    }
  }
}

__global__ void lseCombineTc(TcArgs a, size_t rows) {
  for (size_t row = blockIdx.x * size_t(blockDim.x) + threadIdx.x; row < rows; row += size_t(gridDim.x) * blockDim.x) {
    const float* p = a.part + row * a.nSplit * 2;
    float M = kMasked;
    for (int s = 0; s < a.nSplit; ++s) M = fmaxf(M, p[2 * s]);
    float L = 0.f;
    for (int s = 0; s < a.nSplit; ++s) L += p[2 * s + 1] * exp2f(p[2 * s] - M);
    a.lse[row] = M + log2f(L);
  }
}

template <typename KT, bool QS, bool KS>
__global__ void __launch_bounds__(32 * kColWR * kColWC) colPassTc(TcArgs a) {
  constexpr int TR = 16 * kColWR, TC = 64 * kColWC;
  extern __shared__ uint32_t smw[];
  uint32_t *Qh = smw, *Ql = Qh + TR * a.pw, *Kh = Ql + (QS ? TR * a.pw : 0), *Kl = Kh + TC * a.pw;
  float* Ls = reinterpret_cast<float*>(Kl + (KS ? TC * a.pw : 0));  // [TR]
  float* red = Ls + TR;                                               // [kColWR][TC]
  const int j0 = blockIdx.x * TC, g = blockIdx.y, f = blockIdx.z;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, gid = lane >> 2, tig = lane & 3;
  const int wr = warp / kColWC, wc = warp % kColWC;
  const int jw = j0 + wc * 64;  // this warp's first key
  loadTileTc<KT, KS>(Kh, Kl, a, TC, [&](int rr) { return kRowPtr<KT>(a, f, g, j0 + rr); });
  float acc[8][2];
#pragma unroll
  for (int nt = 0; nt < 8; ++nt) acc[nt][0] = acc[nt][1] = 0.f;
  const float* lse = a.lse + (size_t(f) * a.Hkv + g) * a.R;
  // With one head per kv head the rows that see nothing of these keys (causal) form a prefix: start after it.
  int rBegin = 0;
  if (a.causalBase >= 0 && a.G == 1) rBegin = max(0, j0 - a.causalBase) / TR * TR;
  constexpr int NW = kColWR * kColWC, RB = TR / NW;
  static_assert(TR % NW == 0, "whole rows per warp");
  RowStage<RB> next;
  float lsNext = INFINITY;
  auto fetchQ = [&](int r0) {
    next.template fetch<float>(a, warp, NW, TR, [&](int rr) { return qRowPtr(a, f, g, r0 + rr); });
    lsNext = threadIdx.x < TR && r0 + int(threadIdx.x) < a.R ? lse[r0 + threadIdx.x] : INFINITY;
  };
  if (rBegin < a.R) fetchQ(rBegin);
  for (int r0 = rBegin; r0 < a.R; r0 += TR) {
    __syncthreads();
    next.template store<QS>(Qh, Ql, a, warp, NW, TR);
    if (threadIdx.x < TR) Ls[threadIdx.x] = lsNext;
    __syncthreads();
    if (r0 + TR < a.R) fetchQ(r0 + TR);
    int tmin, tmax;
    tileTRange(a, r0, TR, tmin, tmax);
    if (a.causalBase >= 0 && long(a.causalBase) + tmax < j0) continue;  // block-uniform: no row sees these keys
    float s[8][4];
    tileScoresTc<QS, KS>(Qh, Ql, Kh, Kl, a.pw, a.ksteps, wr * 16, wc * 64, s);
    const float lA = Ls[wr * 16 + gid], lB = Ls[wr * 16 + gid + 8];
    const bool mask = a.causalBase >= 0 && jw + 63 > a.causalBase + tmin;
    const int rA = r0 + wr * 16 + gid, tA = rA % a.Tq, tB = (rA + 8) % a.Tq;
#pragma unroll
    for (int nt = 0; nt < 8; ++nt)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        float p = fastExp2(fmaf(s[nt][e], a.scale2, -(e < 2 ? lA : lB)));
        if (mask && jw + nt * 8 + 2 * tig + (e & 1) > a.causalBase + (e < 2 ? tA : tB)) p = 0.f;
        acc[nt][e & 1] += p;
      }
  }
  // Sum over the 8 row groups of the warp, then over the kColWR warps sharing these keys.
#pragma unroll
  for (int nt = 0; nt < 8; ++nt)
#pragma unroll
    for (int e = 0; e < 2; ++e) {
      float v = acc[nt][e];
      v += __shfl_xor_sync(0xffffffffu, v, 4);
      v += __shfl_xor_sync(0xffffffffu, v, 8);
      v += __shfl_xor_sync(0xffffffffu, v, 16);
      acc[nt][e] = v;
    }
  if (gid == 0) {
#pragma unroll
    for (int nt = 0; nt < 8; ++nt) {
      red[wr * TC + wc * 64 + nt * 8 + 2 * tig] = acc[nt][0];
      red[wr * TC + wc * 64 + nt * 8 + 2 * tig + 1] = acc[nt][1];
    }
  }
  __syncthreads();
  for (int c = threadIdx.x; c < TC; c += blockDim.x) {
    if (j0 + c >= a.Tk) break;
    float t = 0.f;
#pragma unroll
    for (int w = 0; w < kColWR; ++w) t += red[w * TC + c];
    atomicAdd(&a.out[size_t(f) * a.Tk + j0 + c], t * a.norm);
  }
}

template <typename KT, bool QS, bool KS>
void launchColMeanTc(const TcArgs& a) {
  constexpr int TR1 = 16 * kLseWR, TC1 = 64, TR2 = 16 * kColWR, TC2 = 64 * kColWC;
  const size_t w = size_t(a.pw) * 4;
  const size_t smem1 = w * (TR1 * (QS ? 2 : 1) + TC1 * (KS ? 2 : 1));
  const size_t smem2 = w * (TR2 * (QS ? 2 : 1) + TC2 * (KS ? 2 : 1)) + TR2 * 4 + size_t(kColWR) * TC2 * 4;
  check(cudaFuncSetAttribute(lsePassTc<KT, QS, KS>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem1)),
        "smem lse tc");
  check(cudaFuncSetAttribute(colPassTc<KT, QS, KS>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem2)),
        "smem col tc");
  lsePassTc<KT, QS, KS><<<dim3((a.R + TR1 - 1) / TR1, a.Hkv, a.frames * a.nSplit), 32 * kLseWR * kLseWC, smem1,
                          stream()>>>(a);
  SV_LAUNCH("colMean lse pass (tensor cores)");
  if (a.nSplit > 1) {
    const size_t rows = size_t(a.frames) * a.Hq * a.Tq;
    lseCombineTc<<<unsigned(std::min<size_t>((rows + 255) / 256, 4096)), 256, 0, stream()>>>(a, rows);
    SV_LAUNCH("colMean lse combine (tensor cores)");
  }
  colPassTc<KT, QS, KS><<<dim3((a.Tk + TC2 - 1) / TC2, a.Hkv, a.frames), 32 * kColWR * kColWC, smem2, stream()>>>(a);
  SV_LAUNCH("colMean column pass (tensor cores)");
}

// bf16 operands (v2). The QS / KS template flags (hi + lo bf16 terms of q / k, v3) are not instantiated: v3 was
// f32-grade but 1.4x slower (kernels/dev/HISTORY.md).
template <typename KT>
void colMeanTc(const TcArgs& a) { launchColMeanTc<KT, false, false>(a); }

void colMeanTensorCores(uint64_t out, const ColArgs& c, int kdt) {
  TcArgs a{};
  a.q = c.q;
  a.k = c.k;
  a.ldk = c.ldk; a.frames = c.frames; a.Tq = c.Tq; a.Tk = c.Tk; a.Hq = c.Hq; a.Hkv = c.Hkv; a.d = c.d;
  a.G = c.Hq / c.Hkv;
  a.R = a.G * c.Tq;
  a.ksteps = (c.d + 15) / 16;
  a.pw = a.ksteps * 8 + 4;  // words; = 4 mod 8, so the fragment loads of a warp hit 32 distinct banks
  a.causalBase = c.causalBase;
  a.scale2 = c.scale * kLog2e;
  a.norm = c.norm;
  const size_t es = dtypeSize(kdt);
  a.pairs = c.d % 2 == 0 && c.ldk % 2 == 0 && reinterpret_cast<uintptr_t>(c.q) % 8 == 0 &&
            reinterpret_cast<uintptr_t>(c.k) % (2 * es) == 0;
  // Enough pass-1 blocks to fill the GPU when there are few query rows (retrieval scoring over a long cache).
  const long blocks1 = long((a.R + 16 * kLseWR - 1) / (16 * kLseWR)) * a.Hkv * a.frames;
  const int tiles = (a.Tk + 63) / 64;
  a.nSplit = int(std::max<long>(1, std::min<long>(tiles / 4, (1056 + blocks1 - 1) / blocks1)));
  if (long(a.frames) * a.nSplit > 65535) a.nSplit = std::max(1, 65535 / a.frames);
  const size_t rows = size_t(a.frames) * a.Hq * a.Tq;
  float* buf = static_cast<float*>(scratch(rows * 4 + (a.nSplit > 1 ? rows * a.nSplit * 2 * 4 : 0)));
  a.lse = buf;
  a.part = buf + rows;
  a.out = reinterpret_cast<float*>(out);
  check(cudaMemsetAsync(a.out, 0, size_t(a.frames) * a.Tk * 4, stream()), "colMean zero");
  if (kdt == F32) colMeanTc<float>(a);
  else if (kdt == F16) colMeanTc<__half>(a);
  else colMeanTc<__nv_bfloat16>(a);
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
  // Tensor cores (v2) by default: round 2 (H100) 2.07 ms vs the SIMT v1 10.56 ms at 64 SigLIP frames, top-k equal to
  // the float64 reference's except near-ties. Their loaders take head dims up to 128; larger ones run v1.
  if (kernelConfig().saliency == Saliency::kTensorCore && d <= 32 * kWpl * 2) {
    colMeanTensorCores(out, a, kdt);
    return;
  }
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

}  // namespace sv::gpu
