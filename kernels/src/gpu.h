// Host entry points of the CUDA kernels. Device pointers travel as uint64_t. Every function queues work on the
// addon's one stream and throws std::runtime_error with the CUDA / cuBLAS error text on failure.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace sv::gpu {

struct Info {
  bool available = false;
  int count = 0;
  std::string name;
  size_t totalBytes = 0, freeBytes = 0;
  int ccMajor = 0, ccMinor = 0;
  std::string error;
};
Info info();

// Memory (stream-ordered pool) and transfers.
uint64_t alloc(size_t bytes);
void release(uint64_t p);
void upload(uint64_t dst, const void* src, size_t bytes);
void download(void* dst, uint64_t src, size_t bytes);
void copyD2D(uint64_t dst, uint64_t src, size_t bytes);
void sync();
void fill(uint64_t p, int dt, size_t n, float value);
// Uniform in [-scale, scale) from a counter hash: synthetic weights without a host copy.
void randomFill(uint64_t p, int dt, size_t n, uint64_t seed, float scale);
void cast(uint64_t dst, int dstDt, uint64_t src, int srcDt, size_t n);

// Dense ops. Activations are f32; weight-like inputs may be any dtype.
void linear(uint64_t out, uint64_t x, int M, int K, uint64_t w, int wdt, int N, uint64_t b, int bdt);
void embed(uint64_t out, uint64_t table, int tdt, int D, const int32_t* ids, int n, int vocab);
void rmsNorm(uint64_t out, uint64_t x, int rows, int cols, uint64_t w, int wdt, float eps);
void layerNorm(uint64_t out, uint64_t x, int rows, int cols, uint64_t w, int wdt, uint64_t b, int bdt, float eps);
void add(uint64_t out, uint64_t a, int adt, size_t na, uint64_t b, int bdt, size_t nb);
void gelu(uint64_t out, uint64_t x, size_t n, bool tanhApprox);
void siluMul(uint64_t out, uint64_t gate, uint64_t up, size_t n);
// Rotate-half RoPE of x [T, H*d] (f32): angle = positions[t] · invFreq[c] (host arrays), or, when `angles` (a device f32
// table [T, d/2]) is set, angles[t][c] (positions / invFreq then unused, may be null).
void rope(uint64_t out, uint64_t x, int T, int H, int d, const int32_t* positions, const float* invFreq, uint64_t angles);
void gatherRows(uint64_t out, uint64_t x, int dt, int cols, const int32_t* idx, int n, int rows);
void bilinear(uint64_t out, uint64_t x, int frames, int h, int w, int oh, int ow, int C);

// Attention of q [Tq, Hq*d] (f32) over k/v rows (dtype kvdt, ldkv elements per row, Tk rows), optionally only
// `slots` (host, ascending) of them. causalBase < 0: no mask. Output f32 [Tq, Hq*d]. <= 16 query rows: a decode
// kernel (KernelConfig::decodeAttention); more: flash or cuBLAS chunks (KernelConfig::prefillAttention).
void attention(uint64_t out, uint64_t q, int Tq, int Hq, int Hkv, int d, uint64_t k, uint64_t v, int kvdt, int ldkv,
               int Tk, float scale, int causalBase, const int32_t* slots, int nSlots);
// attention over slots already on the device (int32 [nSlots], each < Tk; 0 = all Tk), e.g. pageSelect's list.
void attentionDeviceSlots(uint64_t out, uint64_t q, int Tq, int Hq, int Hkv, int d, uint64_t k, uint64_t v, int kvdt,
                          int ldkv, int Tk, float scale, int causalBase, uint64_t slotsDev, int nSlots);
// Block-diagonal attention (vision tower): q, k, v [frames*T, H*d] f32, frame f's rows attend only to frame f's rows.
// GEMMs in dtype cdt (F32 for parity mode, BF16/F16 on the tensor cores). Output f32 [frames*T, H*d].
void blockAttention(uint64_t out, uint64_t q, uint64_t k, uint64_t v, int frames, int T, int H, int d, int cdt,
                    float scale);
// The same on the flash kernel (gpu_flash.cu; cdt BF16/F16, d a multiple of 8 up to 128): no score matrix in memory.
void flashBlockAttention(uint64_t out, uint64_t q, uint64_t k, uint64_t v, int frames, int T, int H, int d, int cdt,
                         float scale);
// 16-bit activations for the vision tower (gpu_vision.cu): LayerNorm / GELU of f32 input written in dtype odt, and
// a linear whose activations x already have the 16-bit weight dtype (no cast). Output of linearLowp is f32.
void layerNormTo(uint64_t out, int odt, uint64_t x, int rows, int cols, uint64_t w, int wdt, uint64_t b, int bdt,
                 float eps);
void geluTo(uint64_t out, int odt, uint64_t x, size_t n, bool tanhApprox);
void linearLowp(uint64_t out, uint64_t x, int xdt, int M, int K, uint64_t w, int wdt, int N, uint64_t b, int bdt);
// out (dtype odt) = GELU(x · wᵀ + b), the GEMM writing the weight dtype (16-bit: a third of the bytes of f32 + bias +
// GELU passes). act 1 = tanh GELU, 2 = erf. x is f32 (cast inside) or already in the weight dtype.
void linearAct(uint64_t out, int odt, uint64_t x, int xdt, int M, int K, uint64_t w, int wdt, int N, uint64_t b, int bdt,
               int act);
// Pixels [frames, C, S, S] (f32) -> patch rows [frames*(S/p)², C*p*p] in (c, ky, kx) order: the patch embedding's GEMM input.
void patchify(uint64_t out, uint64_t px, int frames, int C, int S, int p);
// out (f32) = res (f32) + x · wᵀ + b, the GEMM writing the weight dtype (the residual connection after a projection).
void linearResidual(uint64_t out, uint64_t x, int xdt, int M, int K, uint64_t w, int wdt, int N, uint64_t b, int bdt,
                    uint64_t res);
// LLM prefill MLP in 16 bits (gpu_prefill.cu): out (weight dtype) = x · wᵀ, x f32 (cast inside) or in the weight
// dtype; and out = SiLU(g) * u with g, u, out all 16-bit dtype dt.
void linearTo16(uint64_t out, uint64_t x, int xdt, int M, int K, uint64_t w, int wdt, int N);
void siluMul16(uint64_t out, uint64_t g, uint64_t u, int dt, size_t n);
// RMSNorm of f32 rows written in 16-bit dtype odt (the input of the following GEMMs).
void rmsNormTo16(uint64_t out, int odt, uint64_t x, int rows, int cols, uint64_t w, int wdt, float eps);
// Prefill q/k/v in one GEMM over w = [q; k; v] ([(Hq + 2 Hkv) d, K], 16-bit) + bias b + RoPE of q and k: q -> qOut
// (f32 [T, Hq d]), k / v -> cache rows [at, at + T) (dtype cdt, Hkv d per row). x f32 or in the weight dtype. RoPE
// angles as in rope (a device angle table, or host positions and frequencies).
void qkvRopeKv(uint64_t qOut, uint64_t x, int xdt, int T, int K, uint64_t w, int wdt, uint64_t b, int bdt, int Hq, int Hkv,
               int d, const int32_t* positions, const float* invFreq, uint64_t kCache, uint64_t vCache, int cdt, int at,
               uint64_t angles);
// out (f32) = res + x · wᵀ (+ b) and nout (weight dtype) = RMSNorm(out) with weight nw: the o / down projection with
// the following RMSNorm in its epilogue (prefill). x f32 or in the weight dtype.
void linearResidualNorm16(uint64_t out, uint64_t nout, uint64_t x, int xdt, int M, int K, uint64_t w, int wdt, int N,
                          uint64_t b, int bdt, uint64_t res, uint64_t nw, int nwdt, float eps);
// Streaming column mean of softmax over `frames` independent blocks: q rows [frames*Tq, Hq*d] f32, k rows
// [frames*Tk, *] (dtype kdt, ldk elements per row, kv head g at column g*d). out f32 [frames*Tk].
void colMeanSoftmax(uint64_t out, uint64_t q, uint64_t k, int kdt, int ldk, int frames, int Tq, int Tk, int Hq,
                    int Hkv, int d, float scale, int causalBase);
// The kernel: KernelConfig::saliency (tensor cores with bf16 operands, or SIMT f32). KERNELS.md "Streaming saliency".
// Rows keep[i] -> row i in each of `layers` blocks of `capacity` rows (elements of dtype dt, rowElems per row).
void compactRows(uint64_t base, int dt, int layers, int capacity, int rowElems, const int32_t* keep, int nKeep);
// Per-row top-k (decode retrieval, kernels/src/gpu_topk.cu): row r = f32 scores at device pointer rows[r], position i
// reads rows[r][cand ? cand[i] : i] (cand host, n entries). outIdx i32 [nRows][k]: the positions of the k best
// scores, ascending, ties to the lower position, NaN ranked as -Infinity, -0 equal to +0 (topKAscending's rule).
// outMass f64 [nRows][2] (0: none): each row's score sum and the selected part of it. 0 <= k <= n.
void topkRows(uint64_t outIdx, uint64_t outMass, const uint64_t* rows, int nRows, int n, const int32_t* cand, int k);
// Quest-style pages (decode retrieval 'pages', kernels/src/gpu_pages.cu; math in engine/core/sparse/pages-ref.ts).
// pageBounds: keys k (dtype kdt, ldk elements per row) rows [first, first + pages*pageSize), kvw channels -> out f32
// [pages][2][kvw] (min, max). pageSelect: q f32 [Hq*d] (one row) and bounds -> outPages i32 [topPages] (ascending)
// and outSlots i32 [first + topPages*pageSize + kvLen - (first + pages*pageSize)].
void pageBounds(uint64_t out, uint64_t k, int kdt, int ldk, int first, int pages, int pageSize, int kvw);
void pageSelect(uint64_t outSlots, uint64_t outPages, uint64_t q, uint64_t bounds, int pages, int Hq, int Hkv, int d,
                float scale, int topPages, int first, int pageSize, int kvLen);
// Copy f32 rows into a cache block (converting to its dtype): dst rows [at, at+T).
void writeRows(uint64_t dst, int dstDt, int rowElems, int at, uint64_t src, int T);

}  // namespace sv::gpu
