// 4-bit weights (gpu_w4.h): load-time repack, dequantization to 16 bits, and the decode GEMV on the tensor cores.
//
// The GEMV streams the repacked tiles once (16 bytes per lane per 16x64 tile, no L1 allocation) and turns each
// 32-bit word into an mma.sync A fragment with two LOP3s per register: code | magic is the 16-bit float magic + q
// (f16: 1024 + q, or 1024 + 16q for the nibble four bits up, which the rows g+8 use; bf16: 128 + q, one shift per
// register). The activations x (f32, transformed as gemv() does: RMSNorm weight, SiLU(gate)·up) are rounded to the
// 16-bit dtype and form the B fragment (column m = activation row m, M <= 8). The magic offset is removed per tile
// with the column sums of the same rounded x (one extra MMA against an all-ones A): per row r and group,
//   Σ (q - z)·x = (C - (magic + u·z)·Σx) / u,  u = 1 or 16,
// then scaled by the group's scale in f32. Products and sums are f32 on the tensor cores; the only rounding is x's.
// Blocks of 8 warps own RB row tiles (GLU: RB/2 gate + RB/2 up) and split K by tiles; the next tile's weights load
// while the current one is computed. Epilogue as gemv(): row scale of the RMSNorm, bias, GLU, residual.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <string>
#include <type_traits>

#include "gpu.h"
#include "gpu_gemv.h"
#include "gpu_gemv_common.cuh"
#include "gpu_internal.cuh"
#include "gpu_mma.cuh"
#include "gpu_w4.h"

namespace sv::gpu {
namespace {

constexpr int kThreads = 256, kWarps = kThreads / 32;

// Code of channel n in row `row` of an AutoAWQ-packed int32 matrix with cols8 int32 columns.
__device__ __forceinline__ int awqCode(const int32_t* m, int cols8, int row, int n) {
  const int j = n & 7;
  return int(uint32_t(m[size_t(row) * cols8 + (n >> 3)]) >> (4 * ((j & 1) * 4 + (j >> 1)))) & 15;
}
// Where the code of (tile row r, input c of a 16-input step) sits: the lane that owns it and the bit in its word.
__device__ __forceinline__ int fragLane(int r, int c) { return (r & 7) * 4 + ((c & 7) >> 1); }
__device__ __forceinline__ int fragShift(int r, int c) { return (c & 1) * 16 + (r >= 8 ? 4 : 0) + (c >= 8 ? 8 : 0); }

__global__ void repackWeightsKernel(uint32_t* out, const int32_t* qweight, int N, int K) {
  const size_t words = size_t(N) * K / 8, KT = K / kW4Cols;
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < words; i += size_t(gridDim.x) * blockDim.x) {
    const int j = int(i & 3), lane = int((i >> 2) & 31);
    const size_t tile = i >> 7;
    const int kt = int(tile % KT), rg = int(tile / KT), g = lane >> 2, t = lane & 3;
    uint32_t word = 0;
    for (int rr = 0; rr < 2; ++rr)
      for (int cc = 0; cc < 4; ++cc) {
        const int r = g + 8 * rr, c = 2 * t + (cc & 1) + 8 * (cc >> 1);
        word |= uint32_t(awqCode(qweight, N / 8, kt * kW4Cols + 16 * j + c, rg * kW4Rows + r)) << fragShift(r, c);
      }
    out[i] = word;
  }
}

__global__ void repackScalesKernel(uint32_t* out, const int32_t* qzeros, const uint16_t* scales, int N, int groups) {
  const size_t n16 = size_t(N) * groups;
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n16; i += size_t(gridDim.x) * blockDim.x) {
    const int r = int(i & 15), gi = int((i >> 4) % groups), rg = int((i >> 4) / groups), n = rg * kW4Rows + r;
    const __half z = __int2half_rn(awqCode(qzeros, N / 8, gi, n));
    out[i] = uint32_t(scales[size_t(gi) * N + n]) | (uint32_t(__half_as_ushort(z)) << 16);
  }
}

__device__ __forceinline__ float2 scaleZero(uint32_t v) {
  return __half22float2(*reinterpret_cast<const __half2*>(&v));
}

// One thread per 8 consecutive inputs of one output row.
__global__ void dequantKernel(void* out, int odt, const uint32_t* w, const uint32_t* sz, int N, int K, int G) {
  const size_t chunks = size_t(N) * K / 8;
  const int KT = K / kW4Cols, groups = K / G;
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < chunks; i += size_t(gridDim.x) * blockDim.x) {
    const int n = int(i / (K / 8)), k0 = int(i % (K / 8)) * 8;
    const int rg = n / kW4Rows, r = n % kW4Rows, kt = k0 / kW4Cols, j = (k0 % kW4Cols) / 16, cb = k0 % 16;
    const float2 s = scaleZero(sz[(size_t(rg) * groups + k0 / G) * kW4Rows + r]);
    const uint32_t* tile = w + (size_t(rg) * KT + kt) * 128 + j;
#pragma unroll
    for (int e = 0; e < 8; ++e) {
      const int c = cb + e;
      const int q = int(tile[fragLane(r, c) * 4] >> fragShift(r, c)) & 15;
      st(out, odt, size_t(n) * K + k0 + e, (float(q) - s.y) * s.x);
    }
  }
}

struct W4Params {
  const float* x;
  const float* aux;
  int K, G, M, nSegs;
  float eps;
  int blockStart[kGemvMaxSegs + 1];
  const uint4* w[kGemvMaxSegs];
  const uint32_t* sz[kGemvMaxSegs];
  const void* bias[kGemvMaxSegs];
  int biasDt[kGemvMaxSegs];
  const float* res[kGemvMaxSegs];
  float* out[kGemvMaxSegs];
  int N[kGemvMaxSegs];
};

// A fragment (integer codes + magic) from one word: registers a0..a3 = rows (g, g+8, g, g+8), inputs (2t, 2t, 2t+8, 2t+8).
template <bool BF16>
__device__ __forceinline__ void decodeWord(uint32_t w, uint32_t (&a)[4]) {
  if constexpr (BF16) {
#pragma unroll
    for (int i = 0; i < 4; ++i) a[i] = ((w >> (4 * i)) & 0x000F000Fu) | 0x43004300u;  // 128 + q
  } else {
    const uint32_t w8 = w >> 8;
    a[0] = (w & 0x000F000Fu) | 0x64006400u;    // 1024 + q
    a[1] = (w & 0x00F000F0u) | 0x64006400u;    // 1024 + 16 q (rows g+8)
    a[2] = (w8 & 0x000F000Fu) | 0x64006400u;
    a[3] = (w8 & 0x00F000F0u) | 0x64006400u;
  }
}

__device__ __forceinline__ float2 ld2(const float* p) { return __ldg(reinterpret_cast<const float2*>(p)); }

template <int MODE>
__device__ __forceinline__ float2 transformX(const W4Params& p, const float* xr, int row, int k, float& ss) {
  float2 v = ld2(xr + k);
  if constexpr (MODE == kGemvRmsNorm) {
    ss += v.x * v.x + v.y * v.y;
    const float2 g = ld2(p.aux + k);
    v.x *= g.x;
    v.y *= g.y;
  } else if constexpr (MODE == kGemvSiluMul) {
    const float2 u = ld2(p.aux + size_t(row) * p.K + k);
    v.x = v.x / (1.f + __expf(-v.x)) * u.x;
    v.y = v.y / (1.f + __expf(-v.y)) * u.y;
  }
  return v;
}

template <int RB, int MODE, bool BF16, bool GLU, bool PIPE>
__global__ void __launch_bounds__(kThreads) gemvW4Kernel(W4Params p) {
  using T = std::conditional_t<BF16, __nv_bfloat16, __half>;
  using MM = Mma<T>;
  constexpr float kMagic = BF16 ? 128.f : 1024.f, kHiUnit = BF16 ? 1.f : 16.f;
  constexpr int RS = GLU ? RB / 2 : RB;  // output row tiles per block
  int s = 0;
  if constexpr (!GLU) {
#pragma unroll
    for (int i = 1; i < kGemvMaxSegs; ++i)
      if (i < p.nSegs && int(blockIdx.x) >= p.blockStart[i]) s = i;
  }
  const int K = p.K, KT = K / kW4Cols, groups = K / p.G, tiles = p.N[s] / kW4Rows;
  const int rg0 = (int(blockIdx.x) - p.blockStart[s]) * RS;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;

  const uint4* wp[RB];
  const uint32_t* szp[RB];
  bool ok[RB];
#pragma unroll
  for (int i = 0; i < RB; ++i) {
    const int seg = GLU ? i / RS : s, rg = rg0 + i % RS;
    ok[i] = rg < tiles;
    wp[i] = p.w[seg] + size_t(ok[i] ? rg : 0) * KT * 32 + lane;
    szp[i] = p.sz[seg] + size_t(ok[i] ? rg : 0) * groups * kW4Rows + g;
  }
  auto loadTiles = [&](uint4 (&v)[RB], int kt) {
#pragma unroll
    for (int i = 0; i < RB; ++i) v[i] = (kt < KT && ok[i]) ? ldStream(wp[i] + size_t(kt) * 32) : make_uint4(0, 0, 0, 0);
  };

  float acc[RB][4];
#pragma unroll
  for (int i = 0; i < RB; ++i)
#pragma unroll
    for (int c = 0; c < 4; ++c) acc[i][c] = 0.f;
  float ss = 0.f;
  const bool xrow = g < p.M;
  const float* xr = p.x + size_t(xrow ? g : 0) * K;
  const uint32_t ones[4] = {BF16 ? 0x3F803F80u : 0x3C003C00u, BF16 ? 0x3F803F80u : 0x3C003C00u,
                            BF16 ? 0x3F803F80u : 0x3C003C00u, BF16 ? 0x3F803F80u : 0x3C003C00u};

  uint4 cur[RB];
  loadTiles(cur, warp);
  gridDepLaunchDependents();
  gridDepWait();
  for (int kt = warp; kt < KT; kt += kWarps) {
    uint4 nxt[RB];
    if constexpr (PIPE) loadTiles(nxt, kt + kWarps);
    uint32_t szv[RB][2];
    const int gi = kt * kW4Cols / p.G;
#pragma unroll
    for (int i = 0; i < RB; ++i) {
      szv[i][0] = ok[i] ? __ldg(szp[i] + gi * kW4Rows) : 0u;
      szv[i][1] = ok[i] ? __ldg(szp[i] + gi * kW4Rows + 8) : 0u;
    }
    uint32_t b[4][2];
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int k = kt * kW4Cols + 16 * j + 2 * t;
      if (xrow) {
        const float2 lo = transformX<MODE>(p, xr, g, k, ss), hi = transformX<MODE>(p, xr, g, k + 8, ss);
        b[j][0] = MM::pack(lo.x, lo.y);
        b[j][1] = MM::pack(hi.x, hi.y);
      } else {
        b[j][0] = b[j][1] = 0u;
      }
    }
    float xs[4] = {0.f, 0.f, 0.f, 0.f};  // column sums of the rounded x over the tile: xs[0] col 2t, xs[1] col 2t+1
#pragma unroll
    for (int j = 0; j < 4; ++j) MM::run(xs, ones, b[j][0], b[j][1]);
#pragma unroll
    for (int i = 0; i < RB; ++i) {
      float c[4] = {0.f, 0.f, 0.f, 0.f};
      const uint32_t words[4] = {cur[i].x, cur[i].y, cur[i].z, cur[i].w};
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        uint32_t a[4];
        decodeWord<BF16>(words[j], a);
        MM::run(c, a, b[j][0], b[j][1]);
      }
      const float2 lo = scaleZero(szv[i][0]), hi = scaleZero(szv[i][1]);
      const float zl = kMagic + lo.y, zh = kMagic + kHiUnit * hi.y;
      acc[i][0] = fmaf(lo.x, fmaf(-zl, xs[0], c[0]), acc[i][0]);
      acc[i][1] = fmaf(lo.x, fmaf(-zl, xs[1], c[1]), acc[i][1]);
      acc[i][2] = fmaf(hi.x, fmaf(-zh, xs[0], c[2]), acc[i][2]);
      acc[i][3] = fmaf(hi.x, fmaf(-zh, xs[1], c[3]), acc[i][3]);
    }
    if constexpr (PIPE) {
#pragma unroll
      for (int i = 0; i < RB; ++i) cur[i] = nxt[i];
    } else {
      loadTiles(cur, kt + kWarps);
    }
  }

  // Block reduction over the warps' K ranges: red[warp][tile][row][column].
  __shared__ float red[kWarps][RB][kW4Rows][8];
  __shared__ float redSs[kWarps][8];
#pragma unroll
  for (int i = 0; i < RB; ++i) {
    red[warp][i][g][2 * t] = acc[i][0];
    red[warp][i][g][2 * t + 1] = acc[i][1];
    red[warp][i][g + 8][2 * t] = acc[i][2] * (1.f / kHiUnit);
    red[warp][i][g + 8][2 * t + 1] = acc[i][3] * (1.f / kHiUnit);
  }
  if constexpr (MODE == kGemvRmsNorm) {
    ss += __shfl_xor_sync(0xffffffffu, ss, 1);
    ss += __shfl_xor_sync(0xffffffffu, ss, 2);
    if (t == 0) redSs[warp][g] = ss;
  }
  __syncthreads();
  const int N = p.N[s];
  for (int idx = threadIdx.x; idx < RS * kW4Rows * p.M; idx += kThreads) {
    const int m = idx / (RS * kW4Rows), rl = idx % (RS * kW4Rows), i = rl / kW4Rows, r = rl % kW4Rows;
    const int n = (rg0 + i) * kW4Rows + r;
    if (n >= N) continue;
    float scale = 1.f;
    if constexpr (MODE == kGemvRmsNorm) {
      float q = 0.f;
#pragma unroll
      for (int w = 0; w < kWarps; ++w) q += redSs[w][m];
      scale = rsqrtf(q / float(K) + p.eps);
    }
    auto total = [&](int seg, int tile) {
      float v = 0.f;
#pragma unroll
      for (int w = 0; w < kWarps; ++w) v += red[w][tile][r][m];
      v *= scale;
      if (p.bias[seg]) v += ld(p.bias[seg], p.biasDt[seg], n);
      return v;
    };
    float v;
    if constexpr (GLU) {
      const float gv = total(0, i), uv = total(1, i + RS);
      v = gv / (1.f + __expf(-gv)) * uv;
    } else {
      v = total(s, i);
    }
    const size_t o = size_t(m) * N + n;
    if (p.res[s]) v += p.res[s][o];
    p.out[s][o] = v;
  }
}

template <int RB, bool PIPE, int MODE, bool BF16>
void launchW4(W4Params& p, bool glu) {
  constexpr int RS = RB / 2;
  int total = 0;
  if (glu) {
    p.blockStart[0] = 0;
    total = (p.N[0] / kW4Rows + RS - 1) / RS;
    p.blockStart[1] = total;
  } else {
    for (int s = 0; s < p.nSegs; ++s) {
      p.blockStart[s] = total;
      total += (p.N[s] / kW4Rows + RB - 1) / RB;
    }
    p.blockStart[p.nSegs] = total;
  }
  if constexpr (MODE != kGemvSiluMul) {
    if (glu) {
      launchGemvKernel(gemvW4Kernel<RB, MODE, BF16, true, PIPE>, unsigned(total), kThreads, p, "gemvW4 launch");
      return;
    }
  }
  launchGemvKernel(gemvW4Kernel<RB, MODE, BF16, false, PIPE>, unsigned(total), kThreads, p, "gemvW4 launch");
}

template <int MODE, bool BF16>
void launchVariant(W4Params& p, bool glu, int variant) {
  switch (variant) {
    case 1: return launchW4<2, true, MODE, BF16>(p, glu);
    case 2: return launchW4<8, true, MODE, BF16>(p, glu);
    case 3: return launchW4<4, false, MODE, BF16>(p, glu);
    default: return launchW4<4, true, MODE, BF16>(p, glu);
  }
}

unsigned gridFor(size_t items) {
  const size_t b = (items + 255) / 256;
  return unsigned(b > 65535 * 16 ? 65535 * 16 : b);
}

}  // namespace

bool w4Fits(int N, int K, int G) {
  return N > 0 && K > 0 && G > 0 && N % kW4Rows == 0 && K % kW4Cols == 0 && G % kW4Cols == 0 && K % G == 0;
}

static void requireFits(const char* fn, int N, int K, int G) {
  if (!w4Fits(N, K, G))
    fail(std::string(fn) + ": [" + std::to_string(N) + ", " + std::to_string(K) + "] with group size " +
         std::to_string(G) + " needs N % 16 == 0, K % 64 == 0, group % 64 == 0 and K % group == 0");
}

void w4Repack(uint64_t w, uint64_t sz, uint64_t qweight, uint64_t qzeros, uint64_t scales, int N, int K, int G) {
  requireFits("w4Repack", N, K, G);
  repackWeightsKernel<<<gridFor(size_t(N) * K / 8), 256, 0, stream()>>>(reinterpret_cast<uint32_t*>(w),
                                                                          reinterpret_cast<const int32_t*>(qweight), N, K);
  SV_LAUNCH("w4Repack weights");
  repackScalesKernel<<<gridFor(size_t(N) * (K / G)), 256, 0, stream()>>>(
      reinterpret_cast<uint32_t*>(sz), reinterpret_cast<const int32_t*>(qzeros),
      reinterpret_cast<const uint16_t*>(scales), N, K / G);
  SV_LAUNCH("w4Repack scales");
}

void w4Dequant(uint64_t out, int odt, uint64_t w, uint64_t sz, int N, int K, int G) {
  requireFits("w4Dequant", N, K, G);
  dequantKernel<<<gridFor(size_t(N) * K / 8), 256, 0, stream()>>>(reinterpret_cast<void*>(out), odt,
                                                                  reinterpret_cast<const uint32_t*>(w),
                                                                  reinterpret_cast<const uint32_t*>(sz), N, K, G);
  SV_LAUNCH("w4Dequant");
}

void gemvW4(int M, int K, int G, int actDt, uint64_t x, int mode, uint64_t aux, float eps, const W4Seg* segs, int nSegs,
            int variant) {
  const bool glu = (mode & kGemvGlu) != 0;
  mode &= ~kGemvGlu;
  if (M < 1 || M > kW4MaxM) fail("gemvW4: 1 to " + std::to_string(kW4MaxM) + " rows, got " + std::to_string(M));
  if (actDt != BF16 && actDt != F16) fail("gemvW4: the activation dtype must be bf16 or f16");
  if (nSegs < 1 || nSegs > kGemvMaxSegs) fail("gemvW4: 1 to " + std::to_string(kGemvMaxSegs) + " outputs");
  if (mode < kGemvPlain || mode > kGemvSiluMul) fail("gemvW4: unknown input mode " + std::to_string(mode));
  if (glu && (nSegs != 2 || segs[0].N != segs[1].N || mode == kGemvSiluMul))
    fail("gemvW4: the GLU epilogue takes two outputs (gate, up) of the same size and a plain or RMSNorm input");
  if (mode != kGemvPlain && (!aux || aux % 16 != 0)) fail("gemvW4: the fused input needs an f32 aux vector");
  if (!x || x % 16 != 0) fail("gemvW4: x must be a 16-byte aligned f32 pointer");
  if (variant < 0 || variant >= kW4Variants) fail("gemvW4: unknown variant " + std::to_string(variant));
  W4Params p{};
  p.x = reinterpret_cast<const float*>(x);
  p.aux = reinterpret_cast<const float*>(aux);
  p.K = K;
  p.G = G;
  p.M = M;
  p.nSegs = nSegs;
  p.eps = eps;
  for (int s = 0; s < nSegs; ++s) {
    const W4Seg& g = segs[s];
    requireFits("gemvW4", g.N, K, G);
    if (!g.w || !g.sz || g.w % 16 != 0 || g.sz % 4 != 0) fail("gemvW4: weight / scale pointers missing or misaligned");
    if (!g.out && !(glu && s == 1)) fail("gemvW4: empty output");
    p.w[s] = reinterpret_cast<const uint4*>(g.w);
    p.sz[s] = reinterpret_cast<const uint32_t*>(g.sz);
    p.bias[s] = reinterpret_cast<const void*>(g.bias);
    p.biasDt[s] = g.biasDt;
    p.res[s] = reinterpret_cast<const float*>(g.res);
    p.out[s] = reinterpret_cast<float*>(g.out);
    p.N[s] = g.N;
  }
  const bool bf = actDt == BF16;
  switch (mode) {
    case kGemvRmsNorm:
      return bf ? launchVariant<kGemvRmsNorm, true>(p, glu, variant) : launchVariant<kGemvRmsNorm, false>(p, glu, variant);
    case kGemvSiluMul:
      return bf ? launchVariant<kGemvSiluMul, true>(p, false, variant) : launchVariant<kGemvSiluMul, false>(p, false, variant);
    default:
      return bf ? launchVariant<kGemvPlain, true>(p, glu, variant) : launchVariant<kGemvPlain, false>(p, glu, variant);
  }
}

}  // namespace sv::gpu
