// Dense prefill attention v9 for Hopper (sm_90a only): FlashAttention-3 style on warpgroup MMA (wgmma).
// One block of 2 warpgroups per (128 query rows, query head); each warpgroup owns 64 rows. K/V tiles of 64 keys
// (2 blocks per SM; v8's 128-key tiles and the v10/v11 in-warpgroup pipelines were slower) stream through shared memory with cp.async, double-buffered, in the 128-byte-swizzled layout
// the wgmma descriptors read (rows of 64 elements = 128 bytes, 16-byte chunk c of row r at c ^ (r mod 8), the
// head dim split in two 64-column halves). S = Q·Kᵀ: wgmma with both operands in shared memory (K-major);
// online softmax on the accumulator registers in the log2 domain; P re-packed to 16 bits in registers as the A
// operand of O += P·V (wgmma RS; V read MN-major = transposed by the descriptor, two n64 halves of the head dim).
// Causal tiles past a warpgroup's last row are skipped, tiles straddling the diagonal or the end are masked.
// GQA: head h reads kv head h / (Hq/Hkv). No key splits: launches with few row tiles go to v2 (gpu_flash.cu).
// Compiled for sm_90a only (CMakeLists.txt builds this file with arch 90 as 90a); other archs get an empty
// kernel and a probe that reports it, so flashWgmma() returns false and the caller falls back to v2.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <climits>
#include <cmath>
#include <cstdint>

#include "gpu.h"
#include "gpu_flash.h"
#include "gpu_internal.cuh"

namespace sv::gpu {
int smCountForFlash();  // gpu_flash.cu

namespace {

constexpr int kD = 128, kBM = 128, kBN = 64, kThreads = 256;

template <int BN>
struct Layout {
  static constexpr uint32_t kQ = 2u * kBM * 128;   // Q tile bytes (two 64-column halves)
  static constexpr uint32_t kKV = 2u * BN * 128;   // one K or V tile
  static constexpr size_t bytes = kQ + 4 * size_t(kKV) + 1024;  // Q, K[2], V[2], 1024-byte alignment slack
};

#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define SV_HAVE_WGMMA 1
constexpr float kLog2e = 1.4426950408889634f;

__device__ __forceinline__ uint32_t smemAddr(const void* p) { return static_cast<uint32_t>(__cvta_generic_to_shared(p)); }
__device__ __forceinline__ void cpAsync16(uint32_t dst, const void* src, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(valid ? 16 : 0) : "memory");
}
__device__ __forceinline__ void cpCommit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
template <int N>
__device__ __forceinline__ void cpWait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory"); }
// Generic-proxy writes (st.shared, cp.async) made visible to the async proxy wgmma reads through.
__device__ __forceinline__ void fenceProxyAsync() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }
__device__ __forceinline__ void wgFence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgCommit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgWait0() { asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory"); }
// Keeps the compiler from moving reads/writes of accumulator registers across the asynchronous MMAs.
template <int N>
__device__ __forceinline__ void regFence(float (&r)[N]) {
#pragma unroll
  for (int i = 0; i < N; ++i) asm volatile("" : "+f"(r[i])::"memory");
}
__device__ __forceinline__ float fastExp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
  return y;
}
// Shared-memory matrix descriptor, 128-byte swizzle: start address, leading / stride byte offsets (>> 4).
__device__ __forceinline__ uint64_t desc128(uint32_t addr, uint32_t lbo, uint32_t sbo) {
  return uint64_t((addr & 0x3FFFF) >> 4) | (uint64_t(lbo >> 4) << 16) | (uint64_t(sbo >> 4) << 32) | (1ull << 62);
}

__device__ __forceinline__ void wgmmaSS_n64_bf16(float (&d)[32], uint64_t da, uint64_t db, int scaleD) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31}, %32, %33, p, 1, 1, 0, 0;\n}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
      : "l"(da), "l"(db), "r"(scaleD));
}

__device__ __forceinline__ void wgmmaRS_n64_bf16(float (&d)[32], const uint32_t (&a)[4], uint64_t db) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %37, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31}, {%32,%33,%34,%35}, %36, p, 1, 1, 1;\n}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db), "r"(1));
}

__device__ __forceinline__ void wgmmaSS_n64_f16(float (&d)[32], uint64_t da, uint64_t db, int scaleD) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31}, %32, %33, p, 1, 1, 0, 0;\n}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
      : "l"(da), "l"(db), "r"(scaleD));
}

__device__ __forceinline__ void wgmmaRS_n64_f16(float (&d)[32], const uint32_t (&a)[4], uint64_t db) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %37, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31}, {%32,%33,%34,%35}, %36, p, 1, 1, 1;\n}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db), "r"(1));
}


template <typename T, int BN>
struct Ops;
template <int BN>
struct Ops<__nv_bfloat16, BN> {
  static __device__ __forceinline__ void ss(float (&d)[BN / 2], uint64_t a, uint64_t b, int sc) {
    static_assert(BN == 64, "v9 runs 64-key tiles");
    wgmmaSS_n64_bf16(d, a, b, sc);
  }
  static __device__ __forceinline__ void rs(float (&d)[32], const uint32_t (&a)[4], uint64_t b) { wgmmaRS_n64_bf16(d, a, b); }
  static __device__ __forceinline__ uint32_t pack(float lo, float hi) {
    __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
    return *reinterpret_cast<uint32_t*>(&v);
  }
};
template <int BN>
struct Ops<__half, BN> {
  static __device__ __forceinline__ void ss(float (&d)[BN / 2], uint64_t a, uint64_t b, int sc) {
    static_assert(BN == 64, "v9 runs 64-key tiles");
    wgmmaSS_n64_f16(d, a, b, sc);
  }
  static __device__ __forceinline__ void rs(float (&d)[32], const uint32_t (&a)[4], uint64_t b) { wgmmaRS_n64_f16(d, a, b); }
  static __device__ __forceinline__ uint32_t pack(float lo, float hi) {
    __half2 v = __floats2half2_rn(lo, hi);
    return *reinterpret_cast<uint32_t*>(&v);
  }
};
#endif

__global__ void probeKernel(int* out) {
#ifdef SV_HAVE_WGMMA
  *out = 1;
#else
  *out = 0;
#endif
}

template <typename T, int BN>
__global__ void __launch_bounds__(kThreads, BN == 64 ? 2 : 1) wgmmaKernel(FlashArgs a) {
#ifdef SV_HAVE_WGMMA
  using L = Layout<BN>;
  using O = Ops<T, BN>;
  constexpr int NS = BN / 2;  // score accumulators per thread
  extern __shared__ __align__(1024) unsigned char smraw[];
  const uint32_t raw = smemAddr(smraw), sbase = (raw + 1023u) & ~1023u;
  unsigned char* sp = smraw + (sbase - raw);
  const uint32_t qS = sbase, kS = qS + L::kQ, vS = kS + 2 * L::kKV;

  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31, wg = warp >> 2, wq = warp & 3;
  const int h = blockIdx.x, g = h / (a.Hq / a.Hkv);
  const int t0 = int(gridDim.y - 1 - blockIdx.y) * kBM;  // the longest (causal) row tiles start first
  const bool causal = a.causalBase >= 0;
  const size_t segRow = a.seg ? size_t(blockIdx.z) * a.seg : 0;
  const int Tq = a.seg ? a.seg : a.Tq, Tk = a.seg ? a.seg : a.Tk;
  const float* q = a.q + segRow * a.Hq * kD;
  float* out = a.out + segRow * a.Hq * kD;
  const T* K = static_cast<const T*>(a.k) + segRow * a.ldkv + size_t(g) * kD;
  const T* V = static_cast<const T*>(a.v) + segRow * a.ldkv + size_t(g) * kD;
  auto pos = [&](int j) -> long { return a.colPos ? long(__ldg(a.colPos + j)) : long(j); };

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
  const int nTiles = kEnd > 0 ? (kEnd + BN - 1) / BN : 0;

  // Copy roles: chunk column cT (of 16) of rows rT, rT + 16, ...; byte offset of (row, chunk) in a swizzled tile
  // of R rows: half (c / 8) * R * 128 + row * 128 + ((c mod 8) ^ (row mod 8)) * 16.
  const int cT = tid & 15, rT = tid >> 4;
  const uint32_t swz = uint32_t((((cT & 7) ^ (rT & 7)) << 4));  // rows rT + 16 i share rT mod 8
  auto loadKV = [&](int j0, int buf, bool doK, bool doV) {
    const uint32_t base = buf * L::kKV + (cT >> 3) * BN * 128 + swz;
#pragma unroll
    for (int i = 0; i < BN / 16; ++i) {
      const int r = rT + 16 * i, j = j0 + r;
      const bool in = j < kEnd;
      const size_t off = in ? size_t(j) * a.ldkv + cT * 8 : 0;
      const uint32_t so = base + r * 128;
      if (doK) cpAsync16(kS + so, K + off, in);
      if (doV) cpAsync16(vS + so, V + off, in);
    }
  };
  if (nTiles > 0) loadKV(0, 0, true, true);
  cpCommit();

  // Q tile: f32 -> T, same swizzled layout (rows past Tq are zero).
#pragma unroll
  for (int i = 0; i < kBM / 16; ++i) {
    const int r = rT + 16 * i, t = t0 + r;
    float4 x = make_float4(0.f, 0.f, 0.f, 0.f), y = x;
    if (t < Tq) {
      const float4* src = reinterpret_cast<const float4*>(q + size_t(t) * a.Hq * kD + size_t(h) * kD + cT * 8);
      x = src[0];
      y = src[1];
    }
    const uint4 u = make_uint4(O::pack(x.x, x.y), O::pack(x.z, x.w), O::pack(y.x, y.y), O::pack(y.z, y.w));
    *reinterpret_cast<uint4*>(sp + (cT >> 3) * kBM * 128 + r * 128 + swz) = u;
  }

  const int wRow0 = t0 + wg * 64, wRowLast = min(wRow0 + 64, Tq) - 1;
  const bool wgActive = wRow0 < Tq;
  const int rowBase = wRow0 + wq * 16 + (lane >> 2);  // this thread's rows: rowBase, rowBase + 8
  const float sl2 = a.scale * kLog2e;
  const long base = a.causalBase;

  float o0[32], o1[32];  // output columns 0-63 and 64-127
#pragma unroll
  for (int i = 0; i < 32; ++i) o0[i] = o1[i] = 0.f;
  float mrow[2] = {-INFINITY, -INFINITY}, lrow[2] = {0.f, 0.f};

  for (int it = 0; it < nTiles; ++it) {
    const int j0 = it * BN, buf = it & 1;
    if (it + 1 < nTiles) loadKV(j0 + BN, buf ^ 1, true, true);
    cpCommit();
    cpWait<1>();
    fenceProxyAsync();
    __syncthreads();

    const bool need = wgActive && (!causal || pos(j0) <= base + wRowLast);
    if (need) {
      const bool mask = j0 + BN > Tk || (causal && pos(min(j0 + BN, Tk) - 1) > base + wRow0);
      float s[NS];
      wgFence();
#pragma unroll
      for (int ks = 0; ks < kD / 16; ++ks) {
        const uint64_t dq = desc128(qS + (ks >> 2) * kBM * 128 + wg * 64 * 128 + (ks & 3) * 32, 16, 1024);
        const uint64_t dk = desc128(kS + buf * L::kKV + (ks >> 2) * BN * 128 + (ks & 3) * 32, 16, 1024);
        O::ss(s, dq, dk, ks > 0);
      }
      wgCommit();
      wgWait0();
      regFence(s);

      if (mask) {
#pragma unroll
        for (int i = 0; i < NS; ++i) {
          const int j = j0 + (i >> 2) * 8 + (lane & 3) * 2 + (i & 1);
          const long lim = causal ? base + rowBase + ((i >> 1) & 1) * 8 : LONG_MAX;
          if (j >= Tk || pos(j) > lim) s[i] = -INFINITY;
        }
      }

      // Online softmax; each row's scores live in the 4 lanes of a quad.
#pragma unroll
      for (int hr = 0; hr < 2; ++hr) {
        float mx = -INFINITY;
#pragma unroll
        for (int i = 0; i < NS; i += 4) mx = fmaxf(mx, fmaxf(s[i + 2 * hr], s[i + 2 * hr + 1]));
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
        const float mNew = fmaxf(mrow[hr], mx * sl2);
        const float mUse = mNew == -INFINITY ? 0.f : mNew;
        const float alpha = fastExp2(mrow[hr] - mUse);
        mrow[hr] = mNew;
        float sum = 0.f;
#pragma unroll
        for (int i = 0; i < NS; i += 4)
#pragma unroll
          for (int e = 0; e < 2; ++e) {
            const float p = fastExp2(fmaf(s[i + 2 * hr + e], sl2, -mUse));
            s[i + 2 * hr + e] = p;
            sum += p;
          }
        lrow[hr] = lrow[hr] * alpha + sum;
#pragma unroll
        for (int i = 0; i < 32; i += 4)
#pragma unroll
          for (int e = 0; e < 2; ++e) {
            o0[i + 2 * hr + e] *= alpha;
            o1[i + 2 * hr + e] *= alpha;
          }
      }

      // P as the register A operand: the accumulator layout of two 8-column blocks is the A layout of k16.
      uint32_t pa[BN / 16][4];
#pragma unroll
      for (int kk = 0; kk < BN / 16; ++kk)
#pragma unroll
        for (int e = 0; e < 4; ++e) pa[kk][e] = O::pack(s[8 * kk + 2 * e], s[8 * kk + 2 * e + 1]);

      regFence(o0);
      regFence(o1);
      wgFence();
#pragma unroll
      for (int kk = 0; kk < BN / 16; ++kk) {
        // V rows kk*16.. of each 64-column half: MN-major, 8-row groups 1024 bytes apart (one atom wide in N, so
        // the leading offset is unused; set to the same value).
        const uint32_t vb = vS + buf * L::kKV + kk * 16 * 128;
        O::rs(o0, pa[kk], desc128(vb, 1024, 1024));
        O::rs(o1, pa[kk], desc128(vb + BN * 128, 1024, 1024));
      }
      wgCommit();
      wgWait0();
      regFence(o0);
      regFence(o1);
    }
    __syncthreads();  // the next iteration's copies overwrite the buffer just read
  }
  cpWait<0>();

#pragma unroll
  for (int hr = 0; hr < 2; ++hr) {
    float l = lrow[hr];
    l += __shfl_xor_sync(0xffffffffu, l, 1);
    l += __shfl_xor_sync(0xffffffffu, l, 2);
    const float inv = l > 0.f ? 1.f / l : 0.f;
    const int t = rowBase + hr * 8;
    if (t < Tq) {
      float* dst = out + size_t(t) * a.Hq * kD + size_t(h) * kD + (lane & 3) * 2;
#pragma unroll
      for (int i = 0; i < 32; i += 4) {
        *reinterpret_cast<float2*>(dst + (i >> 2) * 8) = make_float2(o0[i + 2 * hr] * inv, o0[i + 2 * hr + 1] * inv);
        *reinterpret_cast<float2*>(dst + 64 + (i >> 2) * 8) = make_float2(o1[i + 2 * hr] * inv, o1[i + 2 * hr + 1] * inv);
      }
    }
  }
#endif
}

int gWgmma = -1;  // -1 not probed; 0 unavailable; 1 the sm_90a kernels run here

template <typename T, int BN>
void launchT(const FlashArgs& a) {
  constexpr size_t smem = Layout<BN>::bytes;
  check(cudaFuncSetAttribute(wgmmaKernel<T, BN>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem)), "flash v9 smem");
  const int rows = a.seg ? a.seg : a.Tq, segs = a.seg ? a.Tq / a.seg : 1;
  const unsigned tiles = unsigned((rows + kBM - 1) / kBM);
  if (tiles > 65535u || segs > 65535) fail("flash attention: too many query rows or segments for one launch");
  wgmmaKernel<T, BN><<<dim3(a.Hq, tiles, segs), kThreads, smem, stream()>>>(a);
  SV_LAUNCH("flash attention v9 (wgmma)");
}

}  // namespace

bool flashWgmmaAvailable() {
  if (gWgmma >= 0) return gWgmma == 1;
  gWgmma = 0;
  int dev = 0, major = 0;
  if (cudaGetDevice(&dev) != cudaSuccess || cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) != cudaSuccess ||
      major != 9) {
    cudaGetLastError();
    return false;
  }
  int* d = nullptr;
  int h = 0;
  if (cudaMalloc(&d, sizeof(int)) != cudaSuccess) { cudaGetLastError(); return false; }
  probeKernel<<<1, 1, 0, stream()>>>(d);
  const bool ok = cudaGetLastError() == cudaSuccess &&
                  cudaMemcpyAsync(&h, d, sizeof(int), cudaMemcpyDeviceToHost, stream()) == cudaSuccess &&
                  cudaStreamSynchronize(stream()) == cudaSuccess;
  cudaGetLastError();
  cudaFree(d);
  gWgmma = ok && h == 1 ? 1 : 0;
  return gWgmma == 1;
}

bool flashWgmma(const FlashArgs& a, int kvdt) {
  if (a.d != kD || (kvdt != BF16 && kvdt != F16) || a.partO) return false;
  if (a.ldkv % 8 != 0 || !flashWgmmaAvailable()) return false;
  // Few row tiles over many keys: v2 splits the keys across SMs; this kernel does not.
  const int rows = a.seg ? a.seg : a.Tq;
  const long blocks = long((rows + kBM - 1) / kBM) * a.Hq * (a.seg ? a.Tq / a.seg : 1);
  if (!a.seg && !a.colPos && blocks < 2L * smCountForFlash() && a.Tk >= 16 * 64) return false;
  const bool bf = kvdt == BF16;
  bf ? launchT<__nv_bfloat16, kBN>(a) : launchT<__half, kBN>(a);
  return true;
}

}  // namespace sv::gpu
