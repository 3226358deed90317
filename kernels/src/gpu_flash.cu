// Dense prefill attention, FlashAttention-2 style on the tensor cores (WMMA bf16/f16, f32 accumulate): one block
// of 4 warps per (64 query rows, query head); each warp owns 16 rows and streams 64-key tiles of K and V through
// shared memory with an online softmax, so no score matrix ever reaches device memory. GQA: query head h reads kv
// head h / (Hq/Hkv). Causal by slot (colPos maps a tile column to its cache slot when K/V were gathered).
#include <mma.h>

#include <algorithm>
#include <climits>
#include <cmath>

#include "gpu.h"
#include "gpu_flash.h"
#include "gpu_flash_mma.cuh"
#include "gpu_internal.cuh"

namespace sv::gpu {
// gpu_flash_wgmma.cu (sm_90a): v8-v11; false where it cannot run this launch.
bool flashWgmma(const FlashArgs& a, int kvdt, int version);
bool flashWgmmaAvailable();

namespace {
using namespace nvcuda;

constexpr int BM = 64, BN = 64, WARPS = 4;

template <typename T>
__device__ __forceinline__ T fromF(float v);
template <>
__device__ __forceinline__ __nv_bfloat16 fromF<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }
template <>
__device__ __forceinline__ __half fromF<__half>(float v) { return __float2half_rn(v); }

template <typename T, int D>
struct Smem {
  static constexpr int LDT = D + 8;   // bf16/f16 tiles: row pitch in elements (16-byte multiple, 32-byte rows x16)
  static constexpr int LDS = BN + 4;  // f32 scores
  static constexpr int LDP = BN + 8;  // probabilities
  static constexpr int LDO = D + 4;   // f32 output accumulator
  static constexpr size_t bytes =
      size_t(3) * BM * LDT * sizeof(T) + size_t(BM) * LDS * 4 + size_t(BM) * LDP * sizeof(T) + size_t(BM) * LDO * 4 +
      size_t(BM) * 3 * 4;
};

template <typename T, int D>
__global__ void __launch_bounds__(WARPS * 32) flashKernel(FlashArgs a) {
  using S = Smem<T, D>;
  extern __shared__ __align__(128) unsigned char smraw[];
  T* Qs = reinterpret_cast<T*>(smraw);
  T* Ks = Qs + BM * S::LDT;
  T* Vs = Ks + BM * S::LDT;
  float* Ss = reinterpret_cast<float*>(Vs + BM * S::LDT);
  T* Ps = reinterpret_cast<T*>(Ss + BM * S::LDS);
  float* Os = reinterpret_cast<float*>(Ps + BM * S::LDP);
  float* rowM = Os + BM * S::LDO;
  float* rowL = rowM + BM;
  float* rowA = rowL + BM;

  const int t0 = blockIdx.x * BM, h = blockIdx.y, g = h / (a.Hq / a.Hkv);
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const T* K = static_cast<const T*>(a.k);
  const T* V = static_cast<const T*>(a.v);

  for (int i = tid; i < BM * D; i += blockDim.x) {
    int r = i / D, c = i % D, t = t0 + r;
    Qs[r * S::LDT + c] = fromF<T>(t < a.Tq ? a.q[size_t(t) * a.Hq * D + size_t(h) * D + c] : 0.f);
    Os[r * S::LDO + c] = 0.f;
  }
  for (int r = tid; r < BM; r += blockDim.x) { rowM[r] = -INFINITY; rowL[r] = 0.f; }

  // Keys past the block's last row are masked for every row of it.
  int kEnd = a.Tk;
  if (a.causalBase >= 0 && !a.colPos) kEnd = int(min(long(a.Tk), long(a.causalBase) + min(t0 + BM, a.Tq)));

  const int wr = warp * 16;  // this warp's first row in the block
  for (int j0 = 0; j0 < kEnd; j0 += BN) {
    __syncthreads();
    // K, V tiles: 16-byte vector copies (D multiple of 8 elements).
    constexpr int VEC = 16 / sizeof(T), PER_ROW = D / VEC;
    for (int i = tid; i < BN * PER_ROW; i += blockDim.x) {
      int r = i / PER_ROW, c = (i % PER_ROW) * VEC, j = j0 + r;
      uint4 kv = make_uint4(0, 0, 0, 0), vv = make_uint4(0, 0, 0, 0);
      if (j < a.Tk) {
        size_t off = size_t(j) * a.ldkv + size_t(g) * D + c;
        kv = *reinterpret_cast<const uint4*>(K + off);
        vv = *reinterpret_cast<const uint4*>(V + off);
      }
      *reinterpret_cast<uint4*>(Ks + r * S::LDT + c) = kv;
      *reinterpret_cast<uint4*>(Vs + r * S::LDT + c) = vv;
    }
    __syncthreads();

    // S_w [16, BN] = Q_w · Kᵀ
    for (int n0 = 0; n0 < BN; n0 += 16) {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
      wmma::fill_fragment(acc, 0.f);
#pragma unroll
      for (int k0 = 0; k0 < D; k0 += 16) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> fa;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::col_major> fb;
        wmma::load_matrix_sync(fa, Qs + wr * S::LDT + k0, S::LDT);
        wmma::load_matrix_sync(fb, Ks + n0 * S::LDT + k0, S::LDT);
        wmma::mma_sync(acc, fa, fb, acc);
      }
      wmma::store_matrix_sync(Ss + wr * S::LDS + n0, acc, S::LDS, wmma::mem_row_major);
    }
    __syncwarp();

    // Online softmax: two lanes per row, 32 columns each.
    {
      const int r = wr + lane / 2, half = lane % 2, t = t0 + r;
      const long limit = a.causalBase >= 0 ? long(a.causalBase) + t : LONG_MAX;
      float* srow = Ss + r * S::LDS + half * 32;
      float mx = -INFINITY;
#pragma unroll 8
      for (int c = 0; c < 32; ++c) {
        int j = j0 + half * 32 + c;
        const bool inside = j < a.Tk && (a.colPos ? long(a.colPos[j]) : long(j)) <= limit;
        float s = inside ? srow[c] * a.scale : -INFINITY;
        srow[c] = s;
        mx = fmaxf(mx, s);
      }
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
      const float mOld = rowM[r], mNew = fmaxf(mOld, mx);
      float sum = 0.f;
      T* prow = Ps + r * S::LDP + half * 32;
#pragma unroll 8
      for (int c = 0; c < 32; ++c) {
        float p = mNew == -INFINITY ? 0.f : expf(srow[c] - mNew);
        sum += p;
        prow[c] = fromF<T>(p);
      }
      sum += __shfl_xor_sync(0xffffffffu, sum, 1);
      const float alpha = mOld == -INFINITY ? 0.f : expf(mOld - mNew);
      __syncwarp();
      if (half == 0) { rowM[r] = mNew; rowL[r] = rowL[r] * alpha + sum; rowA[r] = alpha; }
      __syncwarp();
      // Rescale this warp's output rows.
      for (int i = lane; i < 16 * D; i += 32) {
        int rr = wr + i / D;
        Os[rr * S::LDO + i % D] *= rowA[rr];
      }
    }
    __syncwarp();

    // O_w += P_w · V
    for (int n0 = 0; n0 < D; n0 += 16) {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
      wmma::load_matrix_sync(acc, Os + wr * S::LDO + n0, S::LDO, wmma::mem_row_major);
#pragma unroll
      for (int k0 = 0; k0 < BN; k0 += 16) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> fa;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::row_major> fb;
        wmma::load_matrix_sync(fa, Ps + wr * S::LDP + k0, S::LDP);
        wmma::load_matrix_sync(fb, Vs + k0 * S::LDT + n0, S::LDT);
        wmma::mma_sync(acc, fa, fb, acc);
      }
      wmma::store_matrix_sync(Os + wr * S::LDO + n0, acc, S::LDO, wmma::mem_row_major);
    }
    __syncwarp();
  }
  __syncthreads();
  for (int i = tid; i < BM * D; i += blockDim.x) {
    int r = i / D, c = i % D, t = t0 + r;
    if (t < a.Tq) {
      float l = rowL[r];
      a.out[size_t(t) * a.Hq * D + size_t(h) * D + c] = l > 0.f ? Os[r * S::LDO + c] / l : 0.f;
    }
  }
}

template <typename T, int D>
void launchV1(const FlashArgs& a) {
  const size_t smem = Smem<T, D>::bytes;
  check(cudaFuncSetAttribute(flashKernel<T, D>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem)), "flash smem");
  flashKernel<T, D><<<dim3((a.Tq + BM - 1) / BM, a.Hq), WARPS * 32, smem, stream()>>>(a);
  SV_LAUNCH("flash attention");
}

int gFlashVersion = 0;  // 0: automatic (v7 for <= 64 rows, else v9 on sm_90a / v2 elsewhere; timings in KERNELS.md)
void* gPartials = nullptr;
size_t gPartialBytes = 0;

// D: the tile width the head dim d is padded to (64, 80 or 128).
template <int SUB, int WARPS, int MT, int MINB, bool QREG = false>
void launchV2(const FlashArgs& a, int kvdt) {
  using flash_mma::launch;
  const bool bf = kvdt == BF16;
  if (a.d <= 64) bf ? launch<__nv_bfloat16, 64, SUB, WARPS, MT, MINB, QREG>(a) : launch<__half, 64, SUB, WARPS, MT, MINB, QREG>(a);
  else if (a.d <= 80) bf ? launch<__nv_bfloat16, 80, SUB, WARPS, MT, MINB, QREG>(a) : launch<__half, 80, SUB, WARPS, MT, MINB, QREG>(a);
  else bf ? launch<__nv_bfloat16, 128, SUB, WARPS, MT, MINB, QREG>(a) : launch<__half, 128, SUB, WARPS, MT, MINB, QREG>(a);
}

void launchVersion(const FlashArgs& a, int kvdt, int version) {
  if (version >= 8 && flashWgmma(a, kvdt, version)) return;  // else (not sm_90a, d != 128, key splits): v2
  if (version == 3) return launchV2<32, 4, 2, 2>(a, kvdt);
  if (version == 4) return launchV2<64, 8, 1, 1>(a, kvdt);
  if (version == 5) return launchV2<32, 8, 1, 2>(a, kvdt);
  if (version == 6) return launchV2<64, 8, 1, 1, true>(a, kvdt);
  if (version == 7) return launchV2<64, 4, 1, 2>(a, kvdt);
  launchV2<64, 4, 2, 2>(a, kvdt);
}

template <typename T>
__global__ void castKernel(T* dst, const float* src, size_t n) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x)
    dst[i] = fromF<T>(src[i]);
}

}  // namespace

int smCountForFlash() {
  static int n = 0;
  if (!n) {
    int dev = 0;
    check(cudaGetDevice(&dev), "flash: device");
    check(cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, dev), "flash: SM count");
  }
  return n;
}

void* flashPartials(size_t bytes) {
  if (bytes > gPartialBytes) {
    if (gPartials) check(cudaFreeAsync(gPartials, stream()), "flash partials free");
    check(cudaMallocAsync(&gPartials, bytes, stream()), "flash partials");
    gPartialBytes = bytes;
  }
  return gPartials;
}

void setFlashVersion(int version) {
  if (version < 0 || version > 11)
    fail("setFlashVersion: 0 automatic; 1 WMMA; mma.sync: 2 (4 warps x 32 rows, 64-key steps), 3 (4x32, 32-key steps), 4 (8 warps x 16 "
         "rows, 64-key steps), 5 (8x16, 32-key steps, 2 blocks/SM), 6 (as 4, Q fragments in registers), 7 (4 warps x 16 rows); "
         "wgmma (sm_90a, else v2): 8 (2 warpgroups x 64 rows, 128-key tiles), 9 (as 8, 64-key tiles, 2 blocks/SM), 10 (as 8, softmax "
         "overlapping the previous tile's P·V), 11 (as 10, 64-key tiles)");
  if (version >= 8) flashWgmmaAvailable();  // probes once here, outside any timed or ordered work
  gFlashVersion = version;
}

bool flashSupported(int d, int kvdt) { return (d == 64 || d == 128) && (kvdt == BF16 || kvdt == F16); }

void flashAttention(const FlashArgs& a, int kvdt) {
  // Automatic: v7 for <= 64 rows; else v9 (wgmma; runs v2 where it cannot: not sm_90a, d != 128, key splits).
  if (gFlashVersion == 0) return launchVersion(a, kvdt, a.Tq <= 64 ? 7 : 9);
  if (gFlashVersion >= 2) return launchVersion(a, kvdt, gFlashVersion);
  if (kvdt == BF16) {
    if (a.d == 64) launchV1<__nv_bfloat16, 64>(a); else launchV1<__nv_bfloat16, 128>(a);
  } else {
    if (a.d == 64) launchV1<__half, 64>(a); else launchV1<__half, 128>(a);
  }
}

bool flashBlockSupported(int d, int cdt) { return d > 0 && d <= 128 && d % 8 == 0 && (cdt == BF16 || cdt == F16); }

void flashBlockAttention(float* out, const float* q, const float* k, const float* v, int frames, int T, int H, int d,
                         int cdt, float scale) {
  if (!flashBlockSupported(d, cdt)) fail("flashBlockAttention: d must be a multiple of 8 up to 128, dtype bf16 or f16");
  if (frames <= 0 || T <= 0 || H <= 0) fail("flashBlockAttention: empty shape");
  const size_t n = size_t(frames) * T * H * d, bytes = (n * 2 + 255) / 256 * 256;
  char* kv = static_cast<char*>(scratch(2 * bytes));
  const unsigned blocks = unsigned(std::min<size_t>((n + 255) / 256, 65535u * 8));
  if (cdt == BF16) {
    castKernel<<<blocks, 256, 0, stream()>>>(reinterpret_cast<__nv_bfloat16*>(kv), k, n);
    castKernel<<<blocks, 256, 0, stream()>>>(reinterpret_cast<__nv_bfloat16*>(kv + bytes), v, n);
  } else {
    castKernel<<<blocks, 256, 0, stream()>>>(reinterpret_cast<__half*>(kv), k, n);
    castKernel<<<blocks, 256, 0, stream()>>>(reinterpret_cast<__half*>(kv + bytes), v, n);
  }
  SV_LAUNCH("flash block cast");
  FlashArgs a{q, kv, kv + bytes, out, frames * T, frames * T, H, H, d, H * d, -1, scale, nullptr, T};
  launchVersion(a, cdt, gFlashVersion >= 2 ? gFlashVersion : 2);  // 64-frame SigLIP: v2 1.16 ms, v5 1.22, v7 1.25
}

void flashBlockAttention(uint64_t out, uint64_t q, uint64_t k, uint64_t v, int frames, int T, int H, int d, int cdt,
                         float scale) {
  flashBlockAttention(reinterpret_cast<float*>(out), reinterpret_cast<const float*>(q), reinterpret_cast<const float*>(k),
                      reinterpret_cast<const float*>(v), frames, T, H, d, cdt, scale);
}

}  // namespace sv::gpu
