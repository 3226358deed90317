// Dense prefill attention v2: FlashAttention-2 layout on mma.sync (m16n8k16, bf16/f16 in, f32 accumulate).
// One block per (query rows, query head): 4 warps x 32 contiguous rows (v2) or 4 warps x 16 rows (v7, <= 64 rows). K/V tiles of 64 keys
// stream through shared memory (cp.async, double-buffered, 16-byte chunks XOR-swizzled by row so ldmatrix is
// conflict-free). Scores, probabilities and the output accumulator never leave registers: the S accumulator
// fragments are re-packed in place as the A operand of P·V. Online softmax in the log2 domain (ex2.approx, scale·log2e
// applied to the f32 scores so q keeps the same rounding as the other paths). Causal: tiles past a warp's last row
// are skipped, only tiles that straddle the diagonal (or the end of the keys) are masked. GQA: head h reads kv head
// h / (Hq/Hkv). colPos (gathered slots, ascending) maps a tile column to its cache slot for the causal test.
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>

#include "gpu_flash.h"
#include "gpu_internal.cuh"
#include "gpu_mma.cuh"

namespace sv::gpu {
int smCountForFlash();                // gpu_flash.cu
void* flashPartials(size_t bytes);  // gpu_flash.cu: grow-only buffer for key-split partials (not scratch())
}  // namespace sv::gpu

namespace sv::gpu::flash_mma {

constexpr int kBN = 64;  // keys per copied K/V tile
constexpr float kLog2e = 1.4426950408889634f;

__device__ __forceinline__ void ldsm4(uint32_t (&r)[4], uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(addr) : "memory");
}
__device__ __forceinline__ void ldsm4t(uint32_t (&r)[4], uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(addr) : "memory");
}

// 2^x on the SFU without the denormal fix-up exp2f adds (-inf -> +0, which the masking relies on).
__device__ __forceinline__ float fastExp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
  return y;
}

// Shared-memory tile rows of D elements. D a multiple of 64: rows of D, 16-byte chunk c of row r stored at chunk
// c XOR (r mod 8), so the 8 rows one ldmatrix phase reads land in 8 different bank groups. Otherwise (D = 80):
// rows padded to an odd number of chunks (D + 8), which spreads them the same way.
template <int D>
struct Tile {
  static constexpr bool kSwz = D % 64 == 0;
  static constexpr int P = kSwz ? D : D + 8;  // row pitch in elements
  static __device__ __forceinline__ int off(int r, int c) { return r * P + ((kSwz ? c ^ (r & 7) : c) << 3); }
  // ldmatrix reads chunk 2*kp + sel of a row; x = sel ^ (row mod 8) when swizzled (else sel), split so that only
  // (2kp mod 8) ^ x varies at run time (4 values per operand) and the rest folds into immediate offsets.
  static __device__ __forceinline__ int chunkOff(int kp, int x) {
    return kSwz ? (((2 * kp) & ~7) + (((2 * kp) & 7) ^ x)) << 3 : (2 * kp + x) << 3;
  }
  static __device__ __forceinline__ int laneX(int sel, int lane) { return kSwz ? sel ^ (lane & 7) : sel; }
};

// WARPS warps of MT 16-row m-tiles each (block rows = 16 * MT * WARPS); SUB: keys per softmax step (64, or 32 to
// halve the score registers); the copied tile is always kBN keys. MINB: blocks per SM the registers must allow.
template <typename T, int D, int SUB, int WARPS, int MT, int MINB>
__global__ void __launch_bounds__(WARPS * 32, MINB) flashKernel(FlashArgs a) {
  constexpr int kWarps = WARPS, kMT = MT, kWarpRows = 16 * MT, kBM = WARPS * kWarpRows;
  static_assert(D % 16 == 0, "head dim tile must be a multiple of 16");
  using L = Tile<D>;
  constexpr int CH = D / 8, NT = SUB / 8, DT = D / 8, THREADS = kWarps * 32, P = L::P;
  using M = Mma<T>;
  extern __shared__ __align__(128) unsigned char smraw[];
  T* Qs = reinterpret_cast<T*>(smraw);  // [kBM][P]
  T* Ks = Qs + kBM * P;                 // [2][kBN][P]
  T* Vs = Ks + 2 * kBN * P;             // [2][kBN][P]

  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int h = blockIdx.x, g = h / (a.Hq / a.Hkv);
  const int t0 = int(gridDim.y - 1 - blockIdx.y) * kBM;  // the longest (causal) row tiles start first
  const bool causal = a.causalBase >= 0;
  const int d = a.d, gCh = d / 8;  // the real head dim (<= D, multiple of 8); chunks past it are zero
  // Segments (a.seg > 0): block z covers rows and keys [z*seg, (z+1)*seg) only.
  const size_t segRow = a.seg ? size_t(blockIdx.z) * a.seg : 0;
  // Key splits (a.partO set, a.seg 0): block z takes an equal share of the key tiles and writes an unnormalized
  // partial result that combineKernel merges.
  const int nSplit = a.partO ? int(gridDim.z) : 1, split = a.partO ? int(blockIdx.z) : 0;
  const int Tq = a.seg ? a.seg : a.Tq, Tk = a.seg ? a.seg : a.Tk;
  const float* q = a.q + segRow * a.Hq * d;
  float* out = a.out + segRow * a.Hq * d;
  const T* K = static_cast<const T*>(a.k) + segRow * a.ldkv + size_t(g) * d;
  const T* V = static_cast<const T*>(a.v) + segRow * a.ldkv + size_t(g) * d;
  auto pos = [&](int j) -> long { return a.colPos ? long(__ldg(a.colPos + j)) : long(j); };

  // Keys any row of the block can see: [0, kEnd).
  const int tLast = min(t0 + kBM, Tq) - 1;
  int kEnd = Tk;
  if (causal) {
    const long lim = long(a.causalBase) + tLast;
    if (!a.colPos) {
      kEnd = int(min(long(Tk), lim + 1));
    } else {
      int lo = 0, hi = Tk;
      while (lo < hi) {
        const int mid = (lo + hi) >> 1;
        if (long(__ldg(a.colPos + mid)) <= lim) lo = mid + 1; else hi = mid;
      }
      kEnd = lo;
    }
  }
  const int nAll = kEnd > 0 ? (kEnd + kBN - 1) / kBN : 0, per = (nAll + nSplit - 1) / nSplit;
  const int itBegin = min(nAll, split * per), itEnd = min(nAll, itBegin + per);

  // Each thread copies chunk column cT of rows rT, rT + RSTEP, ... (the same swizzled chunk in every one of them)
  // when the block's threads cover whole rows; otherwise a plain strided loop.
  constexpr bool kEven = THREADS % CH == 0 && kBN % (THREADS / CH == 0 ? 1 : THREADS / CH) == 0;
  constexpr int RSTEP = kEven ? THREADS / CH : 1;
  const int rT = tid / CH, cT = tid % CH;
  const uint32_t kDst = smemAddr(Ks) + 2 * L::off(rT, cT), vDst = smemAddr(Vs) + 2 * L::off(rT, cT);
  auto loadKV = [&](int j0, int buf) {
    if constexpr (kEven) {
#pragma unroll
      for (int r = 0; r < kBN; r += RSTEP) {
        const int j = j0 + rT + r;
        const bool in = j < kEnd && cT < gCh;
        const size_t off = in ? size_t(j) * a.ldkv + cT * 8 : 0;
        const uint32_t so = 2 * (buf * kBN * P + r * P);
        cpAsync16(kDst + so, K + off, in);
        cpAsync16(vDst + so, V + off, in);
      }
    } else {
      for (int i = tid; i < kBN * CH; i += THREADS) {
        const int r = i / CH, c = i % CH, j = j0 + r;
        const bool in = j < kEnd && c < gCh;
        const size_t off = in ? size_t(j) * a.ldkv + c * 8 : 0;
        const uint32_t so = 2 * (buf * kBN * P + L::off(r, c));
        cpAsync16(smemAddr(Ks) + so, K + off, in);
        cpAsync16(smemAddr(Vs) + so, V + off, in);
      }
    }
  };
  if (itBegin < itEnd) loadKV(itBegin * kBN, 0);
  cpCommit();

  // Q tile: f32 -> T, swizzled (rows past Tq and columns past d are zero).
  for (int i = tid; i < kBM * CH; i += THREADS) {
    const int r = i / CH, c = i % CH, t = t0 + r;
    float4 x = make_float4(0.f, 0.f, 0.f, 0.f), y = x;
    if (t < Tq && c < gCh) {
      const float4* src = reinterpret_cast<const float4*>(q + size_t(t) * a.Hq * d + size_t(h) * d + c * 8);
      x = src[0];
      y = src[1];
    }
    uint4 u = make_uint4(M::pack(x.x, x.y), M::pack(x.z, x.w), M::pack(y.x, y.y), M::pack(y.z, y.w));
    *reinterpret_cast<uint4*>(Qs + L::off(r, c)) = u;
  }

  const int wRow0 = t0 + warp * kWarpRows;  // this warp's first query row
  const int wRowLast = min(wRow0 + kWarpRows, Tq) - 1;
  const bool warpActive = wRow0 < Tq;
  const float sl2 = a.scale * kLog2e;
  const long base = a.causalBase;
  // Per-lane ldmatrix row addresses (bytes, shared space). Q and V: lanes 8-15 take rows +8, lanes 16-31 the
  // second 8 columns; K: lanes 16-31 take keys +8, lanes 8-15 / 24-31 the second 8 columns.
  const int rQV = (lane & 7) + ((lane >> 3) & 1) * 8, rK = (lane & 7) + (lane >> 4) * 8;
  const int xQV = L::laneX(lane >> 4, lane), xK = L::laneX((lane >> 3) & 1, lane);
  const uint32_t qBase = smemAddr(Qs) + 2 * (warp * kWarpRows + rQV) * P;
  const uint32_t kBase = smemAddr(Ks) + 2 * rK * P, vBase = smemAddr(Vs) + 2 * rQV * P;

  float o[kMT][DT][4];
  float mrow[kMT][2], lrow[kMT][2];
#pragma unroll
  for (int mt = 0; mt < kMT; ++mt) {
#pragma unroll
    for (int dn = 0; dn < DT; ++dn) o[mt][dn][0] = o[mt][dn][1] = o[mt][dn][2] = o[mt][dn][3] = 0.f;
    mrow[mt][0] = mrow[mt][1] = -INFINITY;
    lrow[mt][0] = lrow[mt][1] = 0.f;
  }

  for (int it = itBegin; it < itEnd; ++it) {
    const int j0 = it * kBN, buf = (it - itBegin) & 1;
    if (it + 1 < itEnd) loadKV(j0 + kBN, buf ^ 1);
    cpCommit();
    cpWait<1>();
    __syncthreads();

#pragma unroll
    for (int sub = 0; sub < kBN / SUB; ++sub) {
    const int js = j0 + sub * SUB;  // first key of this sub-tile
    const bool need = warpActive && js < kEnd && (!causal || pos(js) <= base + wRowLast);
    if (need) {
      const bool mask = js + SUB > Tk || (causal && pos(min(js + SUB, Tk) - 1) > base + wRow0);
      const uint32_t kb = kBase + 2 * (buf * kBN * P + sub * SUB * P), vb = vBase + 2 * (buf * kBN * P + sub * SUB * P);

      // S [32 x SUB] = Q_w · K_subᵀ
      float s[kMT][NT][4];
#pragma unroll
      for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
        for (int nt = 0; nt < NT; ++nt) s[mt][nt][0] = s[mt][nt][1] = s[mt][nt][2] = s[mt][nt][3] = 0.f;
#pragma unroll
      for (int ks = 0; ks < D / 16; ++ks) {
        uint32_t qa[kMT][4];
#pragma unroll
        for (int mt = 0; mt < kMT; ++mt) ldsm4(qa[mt], qBase + 2 * (mt * 16 * P + L::chunkOff(ks, xQV)));
#pragma unroll
        for (int np = 0; np < SUB / 16; ++np) {
          uint32_t b[4];
          ldsm4(b, kb + 2 * (np * 16 * P + L::chunkOff(ks, xK)));
#pragma unroll
          for (int mt = 0; mt < kMT; ++mt) {
            M::run(s[mt][2 * np], qa[mt], b[0], b[1]);
            M::run(s[mt][2 * np + 1], qa[mt], b[2], b[3]);
          }
        }
      }

      if (mask) {
        int lim[kMT][2];  // last visible slot per row of this thread
#pragma unroll
        for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
          for (int hr = 0; hr < 2; ++hr)
            lim[mt][hr] = causal ? int(base) + wRow0 + mt * 16 + (lane >> 2) + hr * 8 : INT_MAX;
#pragma unroll
        for (int nt = 0; nt < NT; ++nt)
#pragma unroll
          for (int e = 0; e < 2; ++e) {
            const int j = js + nt * 8 + (lane & 3) * 2 + e;
            const int p = j >= Tk ? INT_MAX : a.colPos ? __ldg(a.colPos + j) : j;
#pragma unroll
            for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
              for (int hr = 0; hr < 2; ++hr)
                if (p > lim[mt][hr] || p == INT_MAX) s[mt][nt][2 * hr + e] = -INFINITY;
          }
      }

      // Online softmax; each row's 64 scores live in the 4 lanes of a quad.
#pragma unroll
      for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
        for (int hr = 0; hr < 2; ++hr) {
          float mx = -INFINITY;
#pragma unroll
          for (int nt = 0; nt < NT; ++nt) mx = fmaxf(mx, fmaxf(s[mt][nt][2 * hr], s[mt][nt][2 * hr + 1]));
          mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
          mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
          const float mNew = fmaxf(mrow[mt][hr], mx * sl2);
          const float mUse = mNew == -INFINITY ? 0.f : mNew;
          const float alpha = fastExp2(mrow[mt][hr] - mUse);
          mrow[mt][hr] = mNew;
          float sum = 0.f;
#pragma unroll
          for (int nt = 0; nt < NT; ++nt)
#pragma unroll
            for (int e = 0; e < 2; ++e) {
              const float p = fastExp2(fmaf(s[mt][nt][2 * hr + e], sl2, -mUse));
              s[mt][nt][2 * hr + e] = p;
              sum += p;
            }
          lrow[mt][hr] = lrow[mt][hr] * alpha + sum;
#pragma unroll
          for (int dn = 0; dn < DT; ++dn) {
            o[mt][dn][2 * hr] *= alpha;
            o[mt][dn][2 * hr + 1] *= alpha;
          }
        }

      // O += P · V_tile (P re-packed from the S fragments: the C layout of two n-tiles is the A layout of k16).
#pragma unroll
      for (int kk = 0; kk < SUB / 16; ++kk) {
        uint32_t pa[kMT][4];
#pragma unroll
        for (int mt = 0; mt < kMT; ++mt) {
          pa[mt][0] = M::pack(s[mt][2 * kk][0], s[mt][2 * kk][1]);
          pa[mt][1] = M::pack(s[mt][2 * kk][2], s[mt][2 * kk][3]);
          pa[mt][2] = M::pack(s[mt][2 * kk + 1][0], s[mt][2 * kk + 1][1]);
          pa[mt][3] = M::pack(s[mt][2 * kk + 1][2], s[mt][2 * kk + 1][3]);
        }
#pragma unroll
        for (int dp = 0; dp < D / 16; ++dp) {
          uint32_t b[4];
          ldsm4t(b, vb + 2 * (kk * 16 * P + L::chunkOff(dp, xQV)));
#pragma unroll
          for (int mt = 0; mt < kMT; ++mt) {
            M::run(o[mt][2 * dp], pa[mt], b[0], b[1]);
            M::run(o[mt][2 * dp + 1], pa[mt], b[2], b[3]);
          }
        }
      }
    }
    }
    __syncthreads();  // the next iteration's loads overwrite the buffer just read
  }
  cpWait<0>();

#pragma unroll
  for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
    for (int hr = 0; hr < 2; ++hr) {
      float l = lrow[mt][hr];
      l += __shfl_xor_sync(0xffffffffu, l, 1);
      l += __shfl_xor_sync(0xffffffffu, l, 2);
      const float inv = l > 0.f ? 1.f / l : 0.f;
      const int t = wRow0 + mt * 16 + (lane >> 2) + hr * 8;
      if (a.partO) {
        if (t < Tq) {
          const size_t row = (size_t(split) * Tq + t) * a.Hq + h;
          float* dst = a.partO + row * d + (lane & 3) * 2;
#pragma unroll
          for (int dn = 0; dn < DT; ++dn)
            if (dn * 8 < d) *reinterpret_cast<float2*>(dst + dn * 8) = make_float2(o[mt][dn][2 * hr], o[mt][dn][2 * hr + 1]);
          if ((lane & 3) == 0) {
            a.partM[row] = mrow[mt][hr];
            a.partL[row] = l;
          }
        }
      } else if (t < Tq) {
        float* dst = out + size_t(t) * a.Hq * d + size_t(h) * d + (lane & 3) * 2;
#pragma unroll
        for (int dn = 0; dn < DT; ++dn)
          if (dn * 8 < d)
            *reinterpret_cast<float2*>(dst + dn * 8) = make_float2(o[mt][dn][2 * hr] * inv, o[mt][dn][2 * hr + 1] * inv);
      }
    }
}

// Merges key-split partials: out = sum_s 2^(m_s - M) O_s / sum_s 2^(m_s - M) l_s. One block per (row, head).
__global__ void combineKernel(float* out, const float* partO, const float* partM, const float* partL, int rows, int d,
                              int nSplit) {
  const size_t r = blockIdx.x;  // t * Hq + h
  float M = -INFINITY;
  for (int s = 0; s < nSplit; ++s) M = fmaxf(M, partM[size_t(s) * rows + r]);
  const float mUse = M == -INFINITY ? 0.f : M;
  float L = 0.f;
  for (int s = 0; s < nSplit; ++s) L += fastExp2(partM[size_t(s) * rows + r] - mUse) * partL[size_t(s) * rows + r];
  const float inv = L > 0.f ? 1.f / L : 0.f;
  for (int c = threadIdx.x; c < d; c += blockDim.x) {
    float acc = 0.f;
    for (int s = 0; s < nSplit; ++s) {
      const size_t row = size_t(s) * rows + r;
      acc += fastExp2(partM[row] - mUse) * partO[row * d + c];
    }
    out[r * d + c] = acc * inv;
  }
}

template <typename T, int D, int SUB, int WARPS, int MT, int MINB>
void launch(const FlashArgs& a) {
  constexpr int kBM = WARPS * 16 * MT;
  constexpr size_t smem = size_t(kBM + 4 * kBN) * Tile<D>::P * sizeof(T);
  check(cudaFuncSetAttribute(flashKernel<T, D, SUB, WARPS, MT, MINB>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem)),
        "flash v2 smem");
  const int rows = a.seg ? a.seg : a.Tq, segs = a.seg ? a.Tq / a.seg : 1;
  const unsigned tiles = unsigned((rows + kBM - 1) / kBM);
  if (tiles > 65535u || segs > 65535) fail("flash attention: too many query rows or segments for one launch");
  // Few row tiles over many keys (a question over a long prefix): split the keys so every SM gets blocks.
  int splits = 1;
  const long blocks = long(tiles) * a.Hq, keyTiles = (long(a.Tk) + kBN - 1) / kBN;
  const long want = 2L * smCountForFlash() * (MINB > 1 ? 2 : 1) / (WARPS == 8 ? 2 : 1);
  if (!a.seg && !a.colPos && blocks < want && keyTiles >= 16)
    splits = int(std::min<long>({(want + blocks - 1) / blocks, keyTiles / 8, 64L}));
  if (splits <= 1) {
    flashKernel<T, D, SUB, WARPS, MT, MINB><<<dim3(a.Hq, tiles, segs), WARPS * 32, smem, stream()>>>(a);
    SV_LAUNCH("flash attention v2");
    return;
  }
  const size_t prow = size_t(splits) * a.Tq * a.Hq;
  float* buf = static_cast<float*>(flashPartials(prow * (size_t(a.d) + 2) * 4));
  FlashArgs b = a;
  b.partO = buf;
  b.partM = buf + prow * a.d;
  b.partL = b.partM + prow;
  flashKernel<T, D, SUB, WARPS, MT, MINB><<<dim3(a.Hq, tiles, splits), WARPS * 32, smem, stream()>>>(b);
  SV_LAUNCH("flash attention v2 (key splits)");
  combineKernel<<<unsigned(size_t(a.Tq) * a.Hq), std::min(128, (a.d + 31) / 32 * 32), 0, stream()>>>(
      a.out, b.partO, b.partM, b.partL, a.Tq * a.Hq, a.d, splits);
  SV_LAUNCH("flash attention v2 combine");
}

}  // namespace sv::gpu::flash_mma
