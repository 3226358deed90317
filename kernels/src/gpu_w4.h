// 4-bit weights (W4A16, AWQ: W = (q - zero) * scale per group of G input rows) on the GPU: the load-time repack from
// the AutoAWQ gemm layout into the decode GEMV's tile layout, the dequantization to 16 bits (prefill GEMMs run on
// cuBLAS over it) and the decode GEMV with the same fused input transforms and epilogues as gpu_gemv.h. gpu_w4.cu.
#pragma once
#include <cstddef>
#include <cstdint>

namespace sv::gpu {

// The repacked weight of W [N, K] is tiles of 16 output rows x 64 inputs, [N/16][K/64], each 32 lanes x 16 bytes:
// lane (g = lane/4, t = lane%4) holds, for the tile's four 16-input steps j, one 32-bit word with the codes of the
// mma.sync m16n8k16 A fragment it owns (rows g, g+8; inputs 16j + 2t, +1, +8, +9). Scales and zeros are
// [N/16][K/G][16] half2 {scale, zero}.
constexpr int kW4Rows = 16, kW4Cols = 64;
constexpr int kW4MaxM = 8;  // activation rows the GEMV takes (one n8 MMA tile)

// Whether [N, K] with group size G has the repacked layout: N % 16 == 0, K % 64 == 0, G % 64 == 0, K % G == 0.
bool w4Fits(int N, int K, int G);
inline size_t w4WeightBytes(int N, int K) { return size_t(N) * K / 2; }
inline size_t w4ScaleBytes(int N, int K, int G) { return size_t(N) * (K / G) * 4; }

// AutoAWQ gemm layout on the device (qweight int32 [K, N/8], qzeros int32 [K/G, N/8], scales fp16 [K/G, N], nibble
// k of int32 column c = channel 8c + {0,2,4,6,1,3,5,7}[k]) -> the repacked weight and scale/zero arrays.
void w4Repack(uint64_t w, uint64_t sz, uint64_t qweight, uint64_t qzeros, uint64_t scales, int N, int K, int G);
// out [N, K] (dtype odt) = (q - zero) * scale, computed in f32 and rounded once.
void w4Dequant(uint64_t out, int odt, uint64_t w, uint64_t sz, int N, int K, int G);

// One output of the 4-bit GEMV: out[M, N] (f32) = in(x) · Wᵀ (+ bias) (+ res), W given by (w, sz).
struct W4Seg {
  uint64_t w = 0, sz = 0, bias = 0, res = 0, out = 0;
  int N = 0, biasDt = 0;
};
// x [M, K] f32, M <= kW4MaxM; mode as gemv() (kGemvPlain / kGemvRmsNorm / kGemvSiluMul, | kGemvGlu with two outputs
// gate, up). actDt (BF16 or F16): the dtype x is rounded to for the tensor cores (the weights' integers are exact in
// both). Up to kGemvMaxSegs outputs sharing x in one launch.
void gemvW4(int M, int K, int G, int actDt, uint64_t x, int mode, uint64_t aux, float eps, const W4Seg* segs, int nSegs,
            int variant = 0);
// The tilings gemvW4 can run (variant 0 is the shipped one; the others are kept for the timing comparison).
constexpr int kW4Variants = 5;

}  // namespace sv::gpu
