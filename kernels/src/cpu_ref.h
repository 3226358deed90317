// CPU references for every GPU kernel: plain loops in float/double, written for clarity. The tests compare them
// with naive JS; the GPU check compares the kernels with them.
#pragma once
#include <cstdint>
#include <vector>

namespace sv::cpu {

// Streaming column mean of softmax(q·kᵀ·scale): pass 1 keeps one log-sum-exp per (head, row); pass 2 adds
// exp(s - lse) per key column. O(Tq + Tk) extra memory. q [Tq, Hq*d], k [Tk, Hkv*d] (GQA: head h uses kv head
// h / (Hq/Hkv)). causalBase >= 0: row i sees only slots j <= causalBase + i. Returns [Tk], the mean over Hq*Tq.
std::vector<float> colMeanSoftmax(const float* q, const float* k, int Tq, int Tk, int Hq, int Hkv, int d,
                                  float scale, int causalBase);

// Attention of q [Tq, Hq*d] over k/v [Tk, Hkv*d] restricted to `slots` (ascending; nullptr = all Tk), causal as
// above. Returns [Tq, Hq*d].
std::vector<float> slotAttention(const float* q, const float* k, const float* v, int Tq, int Tk, int Hq, int Hkv,
                                 int d, float scale, int causalBase, const int32_t* slots, int nSlots);

// Indices of the k largest scores, ties to the lower index, returned ascending.
std::vector<int32_t> topk(const float* scores, int n, int k);

// In place: rows keep[i] (ascending, unique) move to row i of each of `layers` blocks of `capacity` rows.
void compactRows(float* base, int layers, int capacity, int rowElems, const int32_t* keep, int nKeep);

// x [M, K] times the AutoAWQ gemm-layout weight (qweight int32 [K, N/8], qzeros int32 [K/G, N/8], scales fp16 bits
// [K/G, N]; W[n][k] = (q - zero) * scale), transposed: out [M, N] = x · Wᵀ, accumulated in double.
std::vector<float> w4Linear(const float* x, int M, int K, const int32_t* qweight, const int32_t* qzeros,
                            const uint16_t* scales, int N, int G);

}  // namespace sv::cpu
