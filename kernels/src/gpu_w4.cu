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
// A block owns one 16-row tile of an output (GLU: of gate and up) and its warps split K; each warp streams its tiles,
// scales and x slices through a cp.async ring several tiles deep. Epilogue as gemv(): RMSNorm row scale, bias, GLU,
// residual. (kernels/dev/gpu_w4_v1_registers.cu: the first version, register double-buffering, 0.3-0.4x the copy rate.)
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

// Code of channel n in row `row` of an AutoAWQ-packed int32 matrix with cols8 int32 columns.
__device__ __forceinline__ int awqCode(const int32_t* m, int cols8, int row, int n) {
  const int j = n & 7;
  return int(uint32_t(m[size_t(row) * cols8 + (n >> 3)]) >> (4 * ((j & 1) * 4 + (j >> 1)))) & 15;
}
// Where the code of (tile row r, input c of a 16-input step) sits in the word of lane (r % 8) * 4 + (c % 8) / 2.
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

// One thread per 16 consecutive inputs of one output row (one 16-input step of a tile: four lanes' words).
__global__ void dequantKernel(void* out, int odt, const uint32_t* w, const uint32_t* sz, int N, int K, int G) {
  const size_t steps = size_t(N) * K / 16;
  const int KT = K / kW4Cols, groups = K / G;
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < steps; i += size_t(gridDim.x) * blockDim.x) {
    const int n = int(i / (K / 16)), k0 = int(i % (K / 16)) * 16;
    const int rg = n / kW4Rows, r = n % kW4Rows, kt = k0 / kW4Cols, j = (k0 % kW4Cols) / 16;
    const float2 s = scaleZero(sz[(size_t(rg) * groups + k0 / G) * kW4Rows + r]);
    const uint32_t* tile = w + (size_t(rg) * KT + kt) * 128 + j;
    uint32_t words[4];
#pragma unroll
    for (int t = 0; t < 4; ++t) words[t] = tile[((r & 7) * 4 + t) * 4];
    float v[16];
#pragma unroll
    for (int c = 0; c < 16; ++c) v[c] = (float((words[(c & 7) >> 1] >> fragShift(r, c)) & 15) - s.y) * s.x;
    const size_t o = size_t(n) * K + k0;
    if (odt == F32) {
      float4* d = reinterpret_cast<float4*>(static_cast<float*>(out) + o);
#pragma unroll
      for (int q = 0; q < 4; ++q) d[q] = make_float4(v[4 * q], v[4 * q + 1], v[4 * q + 2], v[4 * q + 3]);
    } else {
      uint32_t h[8];
#pragma unroll
      for (int q = 0; q < 8; ++q)
        h[q] = odt == F16 ? Mma<__half>::pack(v[2 * q], v[2 * q + 1]) : Mma<__nv_bfloat16>::pack(v[2 * q], v[2 * q + 1]);
      uint4* d = reinterpret_cast<uint4*>(static_cast<uint16_t*>(out) + o);
      d[0] = make_uint4(h[0], h[1], h[2], h[3]);
      d[1] = make_uint4(h[4], h[5], h[6], h[7]);
    }
  }
}

// GemvParams (w = the repacked tiles) + the scale/zero pairs, the group size and the row count.
struct W4Params : GemvParams {
  const uint32_t* sz[kGemvMaxSegs];
  int G, M;
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

// Rows of activations / aux staged per 64-input tile: x rows, then the RMSNorm weight (1 row) or the up rows (M).
template <int MODE>
__device__ __forceinline__ int auxRows(int M) { return MODE == kGemvRmsNorm ? 1 : MODE == kGemvSiluMul ? M : 0; }
// Bytes of one pipeline stage: RB weight tiles (512 B) and their scale/zero rows (64 B), then the staged rows.
template <int MODE>
__device__ __host__ __forceinline__ int stageBytes(int RB, int M) {
  return RB * 576 + (M + (MODE == kGemvRmsNorm ? 1 : MODE == kGemvSiluMul ? M : 0)) * 256;
}

// Each warp streams its own tiles (kt = warp, warp + W, ...) through an S-stage cp.async ring in shared memory:
// the weight tiles, their scale/zero rows and the 64-input slices of x (and of the aux rows) of iteration i + S - 1
// are in flight while iteration i is computed, so the loads never wait on the arithmetic.
template <int W, int S, int MODE, bool BF16, bool GLU>
__global__ void __launch_bounds__(W * 32) gemvW4Kernel(W4Params p) {
  extern __shared__ __align__(16) unsigned char smem[];
  using T = std::conditional_t<BF16, __nv_bfloat16, __half>;
  using MM = Mma<T>;
  constexpr int RB = GLU ? 2 : 1, RS = 1;  // weight tiles per iteration; output row tiles per block
  constexpr float kMagic = BF16 ? 128.f : 1024.f, kHiUnit = BF16 ? 1.f : 16.f;
  int s = 0;
  if constexpr (!GLU) {
#pragma unroll
    for (int i = 1; i < kGemvMaxSegs; ++i)
      if (i < p.nSegs && int(blockIdx.x) >= p.blockStart[i]) s = i;
  }
  const int K = p.K, KT = K / kW4Cols, G = p.G, groups = K / G, M = p.M;
  const int rg = int(blockIdx.x) - p.blockStart[s];
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const int SB = stageBytes<MODE>(RB, M), xChunks = 16 * (M + auxRows<MODE>(M));
  unsigned char* ring = smem + warp * S * SB;

  const uint4* wsrc[RB];
  const uint32_t* szsrc[RB];
#pragma unroll
  for (int i = 0; i < RB; ++i) {
    const int seg = GLU ? i : s;
    wsrc[i] = static_cast<const uint4*>(p.w[seg]) + size_t(rg) * KT * 32 + lane;
    szsrc[i] = p.sz[seg] + size_t(rg) * groups * kW4Rows;
  }
  auto issueWeights = [=](int it) {  // by value: the pointer arrays stay in registers
    const int kt = warp + it * W;
    const bool live = kt < KT;
    const uint32_t st = smemAddr(ring + (it % S) * SB);
#pragma unroll
    for (int i = 0; i < RB; ++i) cpAsync16(st + i * 512 + lane * 16, wsrc[i] + (live ? size_t(kt) * 32 : 0), live);
    if (lane < 4 * RB) {
      const int i = lane >> 2, c = lane & 3;
      cpAsync16(st + RB * 512 + i * 64 + c * 16, szsrc[i] + (live ? (kt * kW4Cols / G) * kW4Rows : 0) + c * 4, live);
    }
  };
  auto issueX = [&](int it) {
    const int kt = warp + it * W;
    const bool live = kt < KT;
    const uint32_t st = smemAddr(ring + (it % S) * SB) + RB * 576;
    for (int c = lane; c < xChunks; c += 32) {
      const int row = c >> 4, off = (live ? kt * kW4Cols : 0) + (c & 15) * 4;
      const float* src = row < M ? p.x + size_t(row) * K + off
                                 : MODE == kGemvRmsNorm ? p.aux + off : p.aux + size_t(row - M) * K + off;
      cpAsync16(st + c * 16, src, live);
    }
  };

  float acc[RB][4];
#pragma unroll
  for (int i = 0; i < RB; ++i)
#pragma unroll
    for (int c = 0; c < 4; ++c) acc[i][c] = 0.f;
  float ss = 0.f;
  const bool xrow = g < M;
  const uint32_t one = BF16 ? 0x3F803F80u : 0x3C003C00u;
  const uint32_t ones[4] = {one, one, one, one};

  // The weights and scales were written at load time: stream them before waiting for the previous kernel.
#pragma unroll
  for (int it = 0; it < S - 1; ++it) issueWeights(it);
  gridDepWait();
#pragma unroll
  for (int it = 0; it < S - 1; ++it) {
    issueX(it);
    cpCommit();
  }
  const int iters = warp < KT ? (KT - warp + W - 1) / W : 0;
  for (int it = 0; it < iters; ++it) {
    issueWeights(it + S - 1);
    issueX(it + S - 1);
    cpCommit();
    cpWait<S - 1>();
    __syncwarp();
    const unsigned char* st = ring + (it % S) * SB;
    const float* xs0 = reinterpret_cast<const float*>(st + RB * 576);
    uint32_t b[4][2];
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      if (xrow) {
        const int k = 16 * j + 2 * t;
        float2 v[2] = {*reinterpret_cast<const float2*>(xs0 + g * 64 + k), *reinterpret_cast<const float2*>(xs0 + g * 64 + k + 8)};
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          if constexpr (MODE == kGemvRmsNorm) {
            ss += v[h].x * v[h].x + v[h].y * v[h].y;
            const float2 w = *reinterpret_cast<const float2*>(xs0 + M * 64 + k + 8 * h);
            v[h].x *= w.x;
            v[h].y *= w.y;
          } else if constexpr (MODE == kGemvSiluMul) {
            const float2 u = *reinterpret_cast<const float2*>(xs0 + (M + g) * 64 + k + 8 * h);
            v[h].x = v[h].x / (1.f + __expf(-v[h].x)) * u.x;
            v[h].y = v[h].y / (1.f + __expf(-v[h].y)) * u.y;
          }
        }
        b[j][0] = MM::pack(v[0].x, v[0].y);
        b[j][1] = MM::pack(v[1].x, v[1].y);
      } else {
        b[j][0] = b[j][1] = 0u;
      }
    }
    float xs[4] = {0.f, 0.f, 0.f, 0.f};  // column sums of the rounded x over the tile: xs[0] col 2t, xs[1] col 2t+1
#pragma unroll
    for (int j = 0; j < 4; ++j) MM::run(xs, ones, b[j][0], b[j][1]);
#pragma unroll
    for (int i = 0; i < RB; ++i) {
      const uint4 wv = *reinterpret_cast<const uint4*>(st + i * 512 + lane * 16);
      const uint32_t* szr = reinterpret_cast<const uint32_t*>(st + RB * 512 + i * 64);
      float c[4] = {0.f, 0.f, 0.f, 0.f};
      const uint32_t words[4] = {wv.x, wv.y, wv.z, wv.w};
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        uint32_t a[4];
        decodeWord<BF16>(words[j], a);
        MM::run(c, a, b[j][0], b[j][1]);
      }
      const float2 lo = scaleZero(szr[g]), hi = scaleZero(szr[g + 8]);
      const float zl = kMagic + lo.y, zh = kMagic + kHiUnit * hi.y;
      acc[i][0] = fmaf(lo.x, fmaf(-zl, xs[0], c[0]), acc[i][0]);
      acc[i][1] = fmaf(lo.x, fmaf(-zl, xs[1], c[1]), acc[i][1]);
      acc[i][2] = fmaf(hi.x, fmaf(-zh, xs[0], c[2]), acc[i][2]);
      acc[i][3] = fmaf(hi.x, fmaf(-zh, xs[1], c[3]), acc[i][3]);
    }
    __syncwarp();  // every lane is done with this stage before it is refilled
  }
  cpWait<0>();
  // Only now may the next kernel's blocks start: launched at the top, they would sit in gridDepWait holding shared
  // memory and warp slots this kernel's later blocks need.
  gridDepLaunchDependents();

  // Block reduction over the warps' K ranges: red[warp][tile][row][column].
  __shared__ float red[W][RB][kW4Rows][8];
  __shared__ float redSs[W][8];
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
  for (int idx = threadIdx.x; idx < RS * kW4Rows * M; idx += W * 32) {
    const int m = idx / kW4Rows, r = idx % kW4Rows, n = rg * kW4Rows + r;
    float scale = 1.f;
    if constexpr (MODE == kGemvRmsNorm) {
      float q = 0.f;
#pragma unroll
      for (int w = 0; w < W; ++w) q += redSs[w][m];
      scale = rsqrtf(q / float(K) + p.eps);
    }
    auto total = [&](int seg, int tile) {
      float v = 0.f;
#pragma unroll
      for (int w = 0; w < W; ++w) v += red[w][tile][r][m];
      v *= scale;
      if (p.bias[seg]) v += ld(p.bias[seg], p.biasDt[seg], n);
      return v;
    };
    float v;
    if constexpr (GLU) {
      const float gv = total(0, 0), uv = total(1, 1);
      v = gv / (1.f + __expf(-gv)) * uv;
    } else {
      v = total(s, 0);
    }
    const size_t o = size_t(m) * N + n;
    if (p.res[s]) v += p.res[s][o];
    p.out[s][o] = v;
  }
}

template <int W, int S, int MODE, bool BF16, bool GLU>
void launchKernel(const W4Params& p, int blocks) {
  auto kernel = gemvW4Kernel<W, S, MODE, BF16, GLU>;
  const int smemBytes = W * S * stageBytes<MODE>(GLU ? 2 : 1, p.M);
  static int optedIn = 0;  // dynamic bytes this kernel may use (its static reduction arrays come on top)
  if (smemBytes > optedIn) {
    check(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, smemBytes), "gemvW4 smem");
    optedIn = smemBytes;
  }
  launchGemvKernel(kernel, unsigned(blocks), W * 32, p, "gemvW4 launch", size_t(smemBytes));
}

template <int W, int S, int MODE, bool BF16>
void launchW4(W4Params& p, bool glu) {
  int total = 0;
  for (int s = 0; s < (glu ? 1 : p.nSegs); ++s) {
    p.blockStart[s] = total;
    total += p.N[s] / kW4Rows;
  }
  for (int s = glu ? 1 : p.nSegs; s <= kGemvMaxSegs; ++s) p.blockStart[s] = total;
  if constexpr (MODE != kGemvSiluMul) {
    if (glu) return launchKernel<W, S, MODE, BF16, true>(p, total);
  }
  launchKernel<W, S, MODE, BF16, false>(p, total);
}

// Variant 0 ships: 16 warps per block where the output has few 16-row tiles (<= 256 blocks: q/o/down at 7B, more
// K-parallelism per tile), else 8; 4 stages (round 2b of kernels/dev/HISTORY.md). Variants 1-4 are that round's fixed
// tilings, kept for the timing comparison: W8 S6, W8 S4, W4 S8, W16 S4.
template <int MODE, bool BF16>
void launchVariant(W4Params& p, bool glu, int variant) {
  if (variant == 0) {
    int tiles = 0;
    for (int s = 0; s < (glu ? 1 : p.nSegs); ++s) tiles += p.N[s] / kW4Rows;
    variant = tiles <= 256 ? 4 : 2;
  }
  switch (variant) {
    case 1: return launchW4<8, 6, MODE, BF16>(p, glu);
    case 3: return launchW4<4, 8, MODE, BF16>(p, glu);
    case 4: return launchW4<16, 4, MODE, BF16>(p, glu);
    default: return launchW4<8, 4, MODE, BF16>(p, glu);
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
  if (out % 16 != 0 || (odt != F32 && odt != F16 && odt != BF16)) fail("w4Dequant: out must be a 16-byte aligned f32 / f16 / bf16 buffer");
  dequantKernel<<<gridFor(size_t(N) * K / 16), 256, 0, stream()>>>(reinterpret_cast<void*>(out), odt,
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
    p.w[s] = reinterpret_cast<const void*>(g.w);
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
