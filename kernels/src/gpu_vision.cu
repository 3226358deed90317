// Vision-tower ops. Block-diagonal attention for the vision tower: q, k, v [frames*T, H*d] (f32), each frame's T rows attend only to
// that frame's T rows (no mask inside). All frames and heads of a chunk go through one strided-batched cuBLAS call
// per GEMM (S = Q·Kᵀ, O = P·V, batch = frames x heads) with a one-warp-per-row softmax between them; the chunk is
// sized so S stays under ~1 GiB.
#include <algorithm>
#include <cmath>

#include "gpu.h"
#include "gpu_internal.cuh"

namespace sv::gpu {
namespace {

// q, k, v rows [f0*T, (f0+fc)*T) -> Qp, Kp, Vp [fc*H][T][d] in dtype cdt (batch b = frame*H + head). One block per
// source row (coalesced reads), no 64-bit divisions per element.
__global__ void packQkvKernel(void* Qp, void* Kp, void* Vp, int cdt, const float* q, const float* k, const float* v,
                              size_t rowBase, int rows, int T, int H, int d) {
  const int W = H * d;
  for (int r = blockIdx.x; r < rows; r += gridDim.x) {
    const int f = r / T, t = r - f * T;
    const size_t src = (rowBase + r) * size_t(W);
    for (int j = threadIdx.x; j < W; j += blockDim.x) {
      const int h = j / d, c = j - h * d;
      const size_t dst = ((size_t(f) * H + h) * T + t) * d + c;
      st(Qp, cdt, dst, q[src + j]);
      st(Kp, cdt, dst, k[src + j]);
      st(Vp, cdt, dst, v[src + j]);
    }
  }
}

// Op [fc*H][T][d] (f32) -> out rows [f0*T, ...) in [T, H*d] layout.
__global__ void unpackOKernel(float* out, const float* Op, size_t rowBase, int rows, int T, int H, int d) {
  const int W = H * d;
  for (int r = blockIdx.x; r < rows; r += gridDim.x) {
    const int f = r / T, t = r - f * T;
    float* o = out + (rowBase + r) * size_t(W);
    for (int j = threadIdx.x; j < W; j += blockDim.x) {
      const int h = j / d, c = j - h * d;
      o[j] = Op[((size_t(f) * H + h) * T + t) * d + c];
    }
  }
}

constexpr int kPerLane = 32;  // rows up to 32*32 = 1024 keys stay in registers

// One warp per score row: softmax(scale * S[row, :n]) -> P[row, :n] (rows ld elements apart; dtype pdt; P may alias
// S when pdt is f32).
template <bool kRegs>
__global__ void softmaxWarpKernel(void* P, int pdt, const float* S, size_t rows, int n, int ld, float scale) {
  const size_t row = (blockIdx.x * size_t(blockDim.x) + threadIdx.x) / 32;
  const int lane = threadIdx.x & 31;
  if (row >= rows) return;
  const float* s = S + row * ld;
  if (kRegs) {
    float x[kPerLane];
    float m = -INFINITY;
#pragma unroll
    for (int e = 0; e < kPerLane; ++e) {
      const int j = lane + 32 * e;
      x[e] = j < n ? s[j] * scale : -INFINITY;
      m = fmaxf(m, x[e]);
    }
    m = warpMax(m);
    float l = 0.f;
#pragma unroll
    for (int e = 0; e < kPerLane; ++e) {
      x[e] = expf(x[e] - m);
      l += x[e];
    }
    const float inv = 1.f / warpSum(l);
#pragma unroll
    for (int e = 0; e < kPerLane; ++e) {
      const int j = lane + 32 * e;
      if (j < n) st(P, pdt, row * ld + j, x[e] * inv);
    }
    return;
  }
  float m = -INFINITY, l = 0.f;
  for (int j = lane; j < n; j += 32) {
    const float x = s[j] * scale;
    if (x > m) { l = l * expf(m - x) + 1.f; m = x; } else { l += expf(x - m); }
  }
  const float M = warpMax(m);
  l = warpSum(m == -INFINITY ? 0.f : l * expf(m - M));
  const float inv = 1.f / l;
  for (int j = lane; j < n; j += 32) st(P, pdt, row * ld + j, expf(s[j] * scale - M) * inv);
}

unsigned gridFor(size_t n) { return unsigned(std::min<size_t>((n + 255) / 256, 65535u * 8)); }

__device__ float blockSum256(float v) {
  __shared__ float part[32];
  v = warpSum(v);
  const int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
  __syncthreads();
  if (lane == 0) part[w] = v;
  __syncthreads();
  v = threadIdx.x < (blockDim.x >> 5) ? part[threadIdx.x] : 0.f;
  if (w == 0) v = warpSum(v);
  if (threadIdx.x == 0) part[0] = v;
  __syncthreads();
  return part[0];
}
// LayerNorm of f32 rows written in dtype odt (bf16 when the next op is a bf16 GEMM: the cast it would do anyway).
__global__ void layerNormToKernel(void* out, int odt, const float* x, int cols, const void* w, int wdt, const void* b,
                                  int bdt, float eps) {
  const float* xr = x + size_t(blockIdx.x) * cols;
  float s = 0;
  for (int c = threadIdx.x; c < cols; c += blockDim.x) s += xr[c];
  const float mean = blockSum256(s) / cols;
  float v = 0;
  for (int c = threadIdx.x; c < cols; c += blockDim.x) { const float t = xr[c] - mean; v += t * t; }
  const float r = rsqrtf(blockSum256(v) / cols + eps);
  const size_t o = size_t(blockIdx.x) * cols;
  for (int c = threadIdx.x; c < cols; c += blockDim.x) st(out, odt, o + c, (xr[c] - mean) * r * ld(w, wdt, c) + ld(b, bdt, c));
}
__global__ void geluToKernel(void* out, int odt, const float* x, size_t n, bool tanhApprox) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    const float v = x[i];
    const float g = tanhApprox ? 0.5f * v * (1.f + tanhf(0.7978845608028654f * (v + 0.044715f * v * v * v)))
                               : 0.5f * v * (1.f + erff(v * 0.7071067811865476f));
    st(out, odt, i, g);
  }
}
// out = act(C + b) for C [M, N] in dtype cdt (the GEMM's 16-bit output), written in dtype odt. act 1 = tanh GELU,
// 2 = erf GELU.
// Pixels [frames, C, S, S] -> patch rows [frames*g*g, C*p*p] in the conv weight's (c, ky, kx) order (g = S / p).
__global__ void patchifyKernel(float* out, const float* px, int rows, int C, int S, int p, int g) {
  const int W = C * p * p;
  for (int r = blockIdx.x; r < rows; r += gridDim.x) {
    const int f = r / (g * g), py = (r / g) % g, pxi = r % g;
    for (int e = threadIdx.x; e < W; e += blockDim.x) {
      const int c = e / (p * p), ky = (e / p) % p, kx = e % p;
      out[size_t(r) * W + e] = px[((size_t(f) * C + c) * S + py * p + ky) * S + pxi * p + kx];
    }
  }
}
__global__ void castToKernel(void* dst, int ddt, const float* src, size_t n) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) st(dst, ddt, i, src[i]);
}
// Row-wise (block per row, threads over columns): no per-element 64-bit modulo for the bias index.
__global__ void biasActKernel(void* out, int odt, const void* C, int cdt, const void* b, int bdt, int M, int N, int act) {
  for (int r = blockIdx.x; r < M; r += gridDim.x) {
    const size_t o = size_t(r) * N;
    for (int j = threadIdx.x; j < N; j += blockDim.x) {
      float v = ld(C, cdt, o + j) + (b ? ld(b, bdt, j) : 0.f);
      v = act == 1 ? 0.5f * v * (1.f + tanhf(0.7978845608028654f * (v + 0.044715f * v * v * v)))
                   : 0.5f * v * (1.f + erff(v * 0.7071067811865476f));
      st(out, odt, o + j, v);
    }
  }
}
// out (f32) = res + C + b, C [M, N] in dtype cdt (a GEMM's output): the residual connection after a projection.
__global__ void biasResidualKernel(float* out, const float* res, const void* C, int cdt, const void* b, int bdt, int M,
                                   int N) {
  for (int r = blockIdx.x; r < M; r += gridDim.x) {
    const size_t o = size_t(r) * N;
    for (int j = threadIdx.x; j < N; j += blockDim.x) out[o + j] = res[o + j] + ld(C, cdt, o + j) + (b ? ld(b, bdt, j) : 0.f);
  }
}
__global__ void biasAddKernel(float* out, const void* b, int bdt, int M, int N) {
  for (int r = blockIdx.x; r < M; r += gridDim.x) {
    float* o = out + size_t(r) * N;
    for (int j = threadIdx.x; j < N; j += blockDim.x) o[j] += ld(b, bdt, j);
  }
}
unsigned rowGrid(int M) { return unsigned(std::min(M, 65535 * 8)); }
size_t align256(size_t b) { return (b + 255) / 256 * 256; }

}  // namespace

void blockAttention(uint64_t out, uint64_t q, uint64_t k, uint64_t v, int frames, int T, int H, int d, int cdt,
                    float scale) {
  if (frames <= 0 || T <= 0 || H <= 0 || d <= 0) fail("blockAttention: empty shape");
  const size_t es = dtypeSize(cdt);
  const int ldS = (T + 7) / 8 * 8;  // 16-byte aligned score rows for the tensor-core GEMMs
  const bool separateP = cdt != F32;
  const size_t perFrame = size_t(H) * T * ldS * (4 + (separateP ? es : 0)) + size_t(H) * T * d * (3 * es + 4);
  const int fc = int(std::max<size_t>(1, std::min<size_t>(frames, (size_t(1) << 30) / perFrame)));
  const size_t qkvB = align256(size_t(fc) * H * T * d * es), sB = align256(size_t(fc) * H * T * ldS * 4);
  const size_t pB = separateP ? align256(size_t(fc) * H * T * ldS * es) : 0, oB = align256(size_t(fc) * H * T * d * 4);
  char* base = static_cast<char*>(scratch(3 * qkvB + sB + pB + oB));
  void *Qp = base, *Kp = base + qkvB, *Vp = base + 2 * qkvB;
  float* S = reinterpret_cast<float*>(base + 3 * qkvB);
  void* P = separateP ? static_cast<void*>(base + 3 * qkvB + sB) : static_cast<void*>(S);
  float* Op = reinterpret_cast<float*>(base + 3 * qkvB + sB + pB);
  for (int f0 = 0; f0 < frames; f0 += fc) {
    const int n = std::min(fc, frames - f0);
    const int batch = n * H;
    const size_t rowBase = size_t(f0) * T;
    const int rowsN = n * T;
    const unsigned rowBlocks = unsigned(std::min(rowsN, 65535 * 8));
    packQkvKernel<<<rowBlocks, 256, 0, stream()>>>(Qp, Kp, Vp, cdt, reinterpret_cast<const float*>(q),
                                                  reinterpret_cast<const float*>(k), reinterpret_cast<const float*>(v),
                                                  rowBase, rowsN, T, H, d);
    SV_LAUNCH("blockAttention pack");
    // Column-major: S'[j, i] = K_j · Q_i, i.e. row-major S[i][j] with ld T.
    gemmStridedBatched(kOpT, kOpN, T, T, d, Kp, cdt, d, (long long)T * d, Qp, cdt, d, (long long)T * d, S, F32, ldS,
                       (long long)T * ldS, batch);
    const size_t rows = size_t(batch) * T;
    const unsigned blocks = unsigned((rows * 32 + 255) / 256);
    if (T <= 32 * kPerLane) softmaxWarpKernel<true><<<blocks, 256, 0, stream()>>>(P, cdt, S, rows, T, ldS, scale);
    else softmaxWarpKernel<false><<<blocks, 256, 0, stream()>>>(P, cdt, S, rows, T, ldS, scale);
    SV_LAUNCH("blockAttention softmax");
    // Column-major: O'[c, i] = Σ_j V'[c, j] P'[j, i].
    gemmStridedBatched(kOpN, kOpN, d, T, T, Vp, cdt, d, (long long)T * d, P, cdt, ldS, (long long)T * ldS, Op, F32, d,
                       (long long)T * d, batch);
    unpackOKernel<<<rowBlocks, 256, 0, stream()>>>(reinterpret_cast<float*>(out), Op, rowBase, rowsN, T, H, d);
    SV_LAUNCH("blockAttention unpack");
  }
}

void layerNormTo(uint64_t out, int odt, uint64_t x, int rows, int cols, uint64_t w, int wdt, uint64_t b, int bdt,
                 float eps) {
  if (rows <= 0) return;
  layerNormToKernel<<<rows, 256, 0, stream()>>>(reinterpret_cast<void*>(out), odt, reinterpret_cast<const float*>(x), cols,
                                                reinterpret_cast<const void*>(w), wdt, reinterpret_cast<const void*>(b), bdt, eps);
  SV_LAUNCH("layerNormTo");
}
void geluTo(uint64_t out, int odt, uint64_t x, size_t n, bool tanhApprox) {
  if (!n) return;
  geluToKernel<<<gridFor(n), 256, 0, stream()>>>(reinterpret_cast<void*>(out), odt, reinterpret_cast<const float*>(x), n,
                                                 tanhApprox);
  SV_LAUNCH("geluTo");
}
void linearLowp(uint64_t out, uint64_t x, int xdt, int M, int K, uint64_t w, int wdt, int N, uint64_t b, int bdt) {
  if (M <= 0 || N <= 0 || K <= 0) fail("linear: empty shape");
  if (xdt != wdt || xdt == F32) fail("linearLowp: activations must have the (16-bit) weight dtype");
  gemmEx(kOpT, kOpN, N, M, K, reinterpret_cast<const void*>(w), wdt, K, reinterpret_cast<const void*>(x), xdt, K,
         reinterpret_cast<void*>(out), F32, N);
  if (b) {
    biasAddKernel<<<rowGrid(M), 256, 0, stream()>>>(reinterpret_cast<float*>(out), reinterpret_cast<const void*>(b), bdt, M, N);
    SV_LAUNCH("linearLowp bias");
  }
}

// C = x · wᵀ in the weight dtype, in scratch (x cast to the weight dtype first when it is f32): the GEMM part of the
// fused linear ops below, whose epilogue kernels then read C.
static const void* gemmToScratch(const char* op, uint64_t x, int xdt, int M, int K, uint64_t w, int wdt, int N) {
  if (M <= 0 || N <= 0 || K <= 0) fail(std::string(op) + ": empty shape");
  if (xdt != F32 && xdt != wdt) fail(std::string(op) + ": 16-bit activations must have the weight dtype");
  const bool castX = xdt == F32 && wdt != F32;
  const size_t xsB = castX ? align256(size_t(M) * K * 2) : 0;
  const size_t cB = align256(size_t(M) * N * dtypeSize(wdt));
  char* base = static_cast<char*>(scratch(xsB + cB));
  const void* xin = reinterpret_cast<const void*>(x);
  if (castX) {
    castToKernel<<<gridFor(size_t(M) * K), 256, 0, stream()>>>(base, wdt, reinterpret_cast<const float*>(x), size_t(M) * K);
    if (cudaError_t e = cudaGetLastError(); e != cudaSuccess) fail(std::string(op) + " cast: " + cudaGetErrorString(e));
    xin = base;
  }
  void* C = base + xsB;
  gemmEx(kOpT, kOpN, N, M, K, reinterpret_cast<const void*>(w), wdt, K, xin, wdt, K, C, wdt, N);
  return C;
}

void linearAct(uint64_t out, int odt, uint64_t x, int xdt, int M, int K, uint64_t w, int wdt, int N, uint64_t b, int bdt,
               int act) {
  if (act != 1 && act != 2) fail("linearAct: act must be 1 (tanh GELU) or 2 (erf GELU)");
  const void* C = gemmToScratch("linearAct", x, xdt, M, K, w, wdt, N);
  biasActKernel<<<rowGrid(M), 256, 0, stream()>>>(reinterpret_cast<void*>(out), odt, C, wdt, reinterpret_cast<const void*>(b),
                                                  bdt, M, N, act);
  SV_LAUNCH("linearAct bias+act");
}

void linearResidual(uint64_t out, uint64_t x, int xdt, int M, int K, uint64_t w, int wdt, int N, uint64_t b, int bdt,
                    uint64_t res) {
  const void* C = gemmToScratch("linearResidual", x, xdt, M, K, w, wdt, N);
  biasResidualKernel<<<rowGrid(M), 256, 0, stream()>>>(reinterpret_cast<float*>(out), reinterpret_cast<const float*>(res), C,
                                                       wdt, reinterpret_cast<const void*>(b), bdt, M, N);
  SV_LAUNCH("linearResidual epilogue");
}

void patchify(uint64_t out, uint64_t px, int frames, int C, int S, int p) {
  if (frames <= 0 || C <= 0 || p <= 0 || S < p) fail("patchify: bad shape");
  const int g = S / p, rows = frames * g * g;
  patchifyKernel<<<unsigned(std::min(rows, 65535 * 8)), 256, 0, stream()>>>(reinterpret_cast<float*>(out),
                                                                           reinterpret_cast<const float*>(px), rows, C, S, p, g);
  SV_LAUNCH("patchify");
}

}  // namespace sv::gpu
