// Decode GEMV: out[m, n] = in(x)[m, :] · w[n, :] for M <= 4 rows, bf16/f16 weights, f32 activations and output.
// It is a pure weight stream, so the design is about bytes in flight: a 256-thread block owns R output rows and
// the whole K range; thread t reads 16-byte chunks t, t+256, ... of each of its R rows, issuing U x R independent
// loads (no L1 allocation: the weights are read once) before using any, then the block reduces its R sums. The
// input row (and the norm weight / up projection of the fused transforms) is read through L1, where it stays hot
// for every block on the SM. One block per R rows of every segment: q/k/v (or gate/up) go in one launch.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <string>

#include "gpu.h"
#include "gpu_gemv.h"
#include "gpu_gemv_common.cuh"
#include "gpu_internal.cuh"
#include "kernel_config.h"

namespace sv::gpu {
namespace {

constexpr int kThreads = 256, kWarps = kThreads / 32;

using Params = GemvParams;

// 8 weights of a 16-byte chunk as floats.
template <bool BF16>
__device__ __forceinline__ void unpack(const uint4& v, float (&f)[8]) {
  const uint32_t u[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    if constexpr (BF16) {
      f[2 * i] = __uint_as_float(u[i] << 16);
      f[2 * i + 1] = __uint_as_float(u[i] & 0xffff0000u);
    } else {
      __half2 h = *reinterpret_cast<const __half2*>(&u[i]);
      float2 t = __half22float2(h);
      f[2 * i] = t.x;
      f[2 * i + 1] = t.y;
    }
  }
}

__device__ __forceinline__ void load8(const float* p, float (&f)[8]) {
  float4 a = __ldg(reinterpret_cast<const float4*>(p)), b = __ldg(reinterpret_cast<const float4*>(p) + 1);
  f[0] = a.x; f[1] = a.y; f[2] = a.z; f[3] = a.w; f[4] = b.x; f[5] = b.y; f[6] = b.z; f[7] = b.w;
}

// GLU: segments 0 (gate) and 1 (up) share N; a block takes R/2 rows of each and writes silu(gate) * up to segment
// 0's output (the SwiGLU MLP's hidden activation, without the two intermediate vectors).
template <int M, int R, int U, int MODE, bool BF16, bool GLU>
__global__ void __launch_bounds__(kThreads) gemvKernel(Params p) {
  int s = 0;
  if constexpr (!GLU) {
#pragma unroll
    for (int i = 1; i < kGemvMaxSegs; ++i)
      if (i < p.nSegs && int(blockIdx.x) >= p.blockStart[i]) s = i;
  }
  constexpr int RS = GLU ? R / 2 : R;  // output rows per block
  const int N = p.N[s], K = p.K, C = K / 8;
  const int row0 = (int(blockIdx.x) - p.blockStart[s]) * RS;

  float acc[M][R], ss[M];
#pragma unroll
  for (int m = 0; m < M; ++m) {
    ss[m] = 0.f;
#pragma unroll
    for (int r = 0; r < R; ++r) acc[m][r] = 0.f;
  }
  const uint4* rowp[R];
  bool rowOk[R];
#pragma unroll
  for (int r = 0; r < R; ++r) {
    const int n = row0 + r % RS;
    const uint4* W = static_cast<const uint4*>(p.w[GLU ? r / RS : s]);
    rowOk[r] = n < N;
    rowp[r] = W + size_t(rowOk[r] ? n : row0) * C;
  }

  gridDepLaunchDependents();
  bool waited = false;
  for (int c0 = threadIdx.x; c0 < C; c0 += kThreads * U) {
    uint4 wv[U][R];
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int c = c0 + u * kThreads;
#pragma unroll
      for (int r = 0; r < R; ++r) wv[u][r] = (c < C && rowOk[r]) ? ldStream(rowp[r] + c) : make_uint4(0, 0, 0, 0);
    }
    if (!waited) { gridDepWait(); waited = true; }
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int c = c0 + u * kThreads;
      if (c >= C) break;
      float wf[R][8];
#pragma unroll
      for (int r = 0; r < R; ++r) unpack<BF16>(wv[u][r], wf[r]);
#pragma unroll
      for (int m = 0; m < M; ++m) {
        float xe[8];
        load8(p.x + size_t(m) * K + size_t(c) * 8, xe);
        if constexpr (MODE == kGemvRmsNorm) {
          float g[8];
          load8(p.aux + size_t(c) * 8, g);
#pragma unroll
          for (int j = 0; j < 8; ++j) { ss[m] += xe[j] * xe[j]; xe[j] *= g[j]; }
        } else if constexpr (MODE == kGemvSiluMul) {
          float up[8];
          load8(p.aux + size_t(m) * K + size_t(c) * 8, up);
#pragma unroll
          for (int j = 0; j < 8; ++j) xe[j] = xe[j] / (1.f + __expf(-xe[j])) * up[j];
        }
#pragma unroll
        for (int r = 0; r < R; ++r)
#pragma unroll
          for (int j = 0; j < 8; ++j) acc[m][r] = fmaf(wf[r][j], xe[j], acc[m][r]);
      }
    }
  }

  if (!waited) gridDepWait();
  // Block reduction of M*R sums (+ M sums of squares for the norm).
  constexpr int NV = M * R + (MODE == kGemvRmsNorm ? M : 0);
  __shared__ float red[kWarps][NV];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
#pragma unroll
  for (int m = 0; m < M; ++m) {
#pragma unroll
    for (int r = 0; r < R; ++r) {
      float v = warpSum(acc[m][r]);
      if (lane == 0) red[warp][m * R + r] = v;
    }
    if constexpr (MODE == kGemvRmsNorm) {
      float v = warpSum(ss[m]);
      if (lane == 0) red[warp][M * R + m] = v;
    }
  }
  __syncthreads();
  const int t = threadIdx.x;
  if (t < M * RS) {
    const int m = t / RS, r = t % RS, n = row0 + r;
    if (n < N) {
      float scale = 1.f;
      if constexpr (MODE == kGemvRmsNorm) {
        float q = 0.f;
#pragma unroll
        for (int w = 0; w < kWarps; ++w) q += red[w][M * R + m];
        scale = rsqrtf(q / float(K) + p.eps);
      }
      auto total = [&](int seg, int i) {
        float v = 0.f;
#pragma unroll
        for (int w = 0; w < kWarps; ++w) v += red[w][m * R + i];
        v *= scale;
        if (p.bias[seg]) v += ld(p.bias[seg], p.biasDt[seg], n);
        return v;
      };
      const size_t o = size_t(m) * N + n;
      float v;
      if constexpr (GLU) {
        const float g = total(0, r), u = total(1, r + RS);
        v = g / (1.f + __expf(-g)) * u;
      } else {
        v = total(s, r);
      }
      if (p.res[s]) v += p.res[s][o];
      p.out[s][o] = v;
    }
  }
}

template <int M, int R, int U, int MODE, bool BF16, bool GLU = false>
void launch(Params& p) {
  int total = 0;
  if (GLU) {
    p.blockStart[0] = 0;
    total = (p.N[0] + R / 2 - 1) / (R / 2);
    p.blockStart[1] = total;
  } else {
    for (int s = 0; s < p.nSegs; ++s) {
      p.blockStart[s] = total;
      total += (p.N[s] + R - 1) / R;
    }
    p.blockStart[p.nSegs] = total;
  }
  launchGemvKernel(gemvKernel<M, R, U, MODE, BF16, GLU>, unsigned(total), kThreads, p, "gemv launch");
  SV_LAUNCH("gemv");
}

// R = 4 rows per block, U = 2 chunk steps (v0; the R2 U4 / R8 U1 / R8 U2 tilings were within noise of it).
template <int M, int MODE, bool BF16>
void launchM(Params& p, bool glu) {
  if constexpr (MODE != kGemvSiluMul) {
    if (glu) return launch<M, 4, 2, MODE, BF16, true>(p);
  }
  launch<M, 4, 2, MODE, BF16>(p);
}

template <int MODE, bool BF16>
void launchMode(Params& p, int M, bool glu) {
  switch (M) {
    case 1: return launchM<1, MODE, BF16>(p, glu);
    case 2: return launchM<2, MODE, BF16>(p, glu);
    case 3: return launchM<3, MODE, BF16>(p, glu);
    default: return launchM<4, MODE, BF16>(p, glu);
  }
}

}  // namespace

bool gemvPdlUsable() {
  static const bool hopper = [] {
    int dev = 0, major = 0;
    return cudaGetDevice(&dev) == cudaSuccess &&
           cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) == cudaSuccess && major >= 9;
  }();
  return hopper && kernelConfig().gemvPdl;
}

bool gemvFits(int M, int K, int wdt, uint64_t x, uint64_t w) {
  return M >= 1 && M <= kGemvMaxM && K > 0 && K % 8 == 0 && (wdt == BF16 || wdt == F16) && x % 16 == 0 &&
         w % 16 == 0;
}

void gemv(int M, int K, int wdt, uint64_t x, int mode, uint64_t aux, int auxDt, float eps, const GemvSeg* segs,
          int nSegs) {
  const bool glu = (mode & kGemvGlu) != 0;
  mode &= ~kGemvGlu;
  if (nSegs < 1 || nSegs > kGemvMaxSegs) fail("gemv: 1 to " + std::to_string(kGemvMaxSegs) + " outputs");
  if (mode < kGemvPlain || mode > kGemvSiluMul) fail("gemv: unknown input mode " + std::to_string(mode));
  if (glu && (nSegs != 2 || segs[0].N != segs[1].N || mode == kGemvSiluMul))
    fail("gemv: the GLU epilogue takes two outputs (gate, up) of the same size and a plain or RMSNorm input");
  if (mode != kGemvPlain && (!aux || auxDt != F32 || aux % 16 != 0)) fail("gemv: the fused input needs an f32 aux vector");
  Params p{};
  p.x = reinterpret_cast<const float*>(x);
  p.aux = reinterpret_cast<const float*>(aux);
  p.K = K;
  p.nSegs = nSegs;
  p.eps = eps;
  for (int s = 0; s < nSegs; ++s) {
    const GemvSeg& g = segs[s];
    if (!gemvFits(M, K, wdt, x, g.w)) fail("gemv: unsupported shape/dtype/alignment (M " + std::to_string(M) + ", K " + std::to_string(K) + ")");
    if (g.N <= 0 || (!g.out && !(glu && s == 1))) fail("gemv: empty output");
    p.w[s] = reinterpret_cast<const void*>(g.w);
    p.bias[s] = reinterpret_cast<const void*>(g.bias);
    p.biasDt[s] = g.biasDt;
    p.res[s] = reinterpret_cast<const float*>(g.res);
    p.out[s] = reinterpret_cast<float*>(g.out);
    p.N[s] = g.N;
  }
  const bool bf = wdt == BF16;
  switch (mode) {
    case kGemvRmsNorm: return bf ? launchMode<kGemvRmsNorm, true>(p, M, glu) : launchMode<kGemvRmsNorm, false>(p, M, glu);
    case kGemvSiluMul: return bf ? launchMode<kGemvSiluMul, true>(p, M, false) : launchMode<kGemvSiluMul, false>(p, M, false);
    default: return bf ? launchMode<kGemvPlain, true>(p, M, glu) : launchMode<kGemvPlain, false>(p, M, glu);
  }
}

}  // namespace sv::gpu
