// Quest-style page selection for decode retrieval 'pages' (the math: engine/core/sparse/pages-ref.ts, the CPU
// reference these kernels are checked against in scripts/gpu/kernels_check.mjs).
//   pageBounds: once per prefix and layer, per full page and kv channel, the min and max key (f32 out).
//   pageSelect: per decode step and layer, three launches on the stream, nothing back to the host:
//     1. per page and query head, the logit upper bound from the bounds (a warp per head, one block per page);
//     2. one 1024-thread block: each head's best page, a page's score = max over heads of (bound - head's best),
//        the top `topPages` by rank (ties to the lower page, NaN last), written ascending to outPages;
//     3. the slot list [0, first) + the chosen pages + [first + pages * pageSize, kvLen) for attentionDeviceSlots.
#include <cub/block/block_scan.cuh>

#include "gpu.h"
#include "gpu_internal.cuh"

namespace sv::gpu {
namespace {

constexpr int kSelectThreads = 1024;
constexpr int kMaxPages = 8192;
constexpr int kMaxHeads = 256;

__global__ void pageBoundsKernel(float* out, const void* k, int kdt, int ldk, int first, int pageSize, int kvw) {
  const int p = blockIdx.x, c = blockIdx.y * blockDim.x + threadIdx.x;
  if (c >= kvw) return;
  float mn = INFINITY, mx = -INFINITY;
  for (int s = 0; s < pageSize; ++s) {
    const float x = ld(k, kdt, size_t(first + p * pageSize + s) * ldk + c);
    mn = fminf(mn, x);
    mx = fmaxf(mx, x);
  }
  out[size_t(p) * 2 * kvw + c] = mn;
  out[size_t(p) * 2 * kvw + kvw + c] = mx;
}

// ub[h][p] = scale * sum_c max(q_hc * min_pgc, q_hc * max_pgc), g = h / (Hq / Hkv).
__global__ void pageUpperBoundKernel(float* ub, const float* q, const float* bounds, int pages, int Hq, int Hkv, int d,
                                     float scale) {
  const int p = blockIdx.x, lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  const int kvw = Hkv * d, group = Hq / Hkv;
  const float* mn = bounds + size_t(p) * 2 * kvw;
  const float* mx = mn + kvw;
  for (int h = warp; h < Hq; h += warps) {
    const float* qh = q + size_t(h) * d;
    const int go = (h / group) * d;
    float s = 0.f;
    for (int c = lane; c < d; c += 32) {
      const float x = qh[c];
      s += fmaxf(x * mn[go + c], x * mx[go + c]);
    }
    s = warpSum(s);
    if (lane == 0) ub[size_t(h) * pages + p] = s * scale;
  }
}

// NaN-ignoring max, as the reference's `if (v > m) m = v`.
__device__ __forceinline__ float maxNoNan(float m, float v) { return v > m ? v : m; }

__global__ void __launch_bounds__(kSelectThreads) pageSelectKernel(int* outSlots, int* outPages, const float* ub,
                                                                   int pages, int Hq, int topPages, int first,
                                                                   int pageSize, int kvLen) {
  __shared__ float score[kMaxPages];
  __shared__ unsigned char chosen[kMaxPages];
  __shared__ float best[kMaxHeads];
  __shared__ int running;
  using Scan = cub::BlockScan<int, kSelectThreads>;
  __shared__ typename Scan::TempStorage scanTmp;
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  for (int h = warp; h < Hq; h += kSelectThreads / 32) {
    float m = -INFINITY;
    for (int p = lane; p < pages; p += 32) m = maxNoNan(m, ub[size_t(h) * pages + p]);
    for (int o = 16; o > 0; o >>= 1) m = maxNoNan(m, __shfl_xor_sync(0xffffffffu, m, o));
    if (lane == 0) best[h] = m;
  }
  __syncthreads();
  for (int p = tid; p < pages; p += kSelectThreads) {
    float s = -INFINITY;
    for (int h = 0; h < Hq; ++h) s = maxNoNan(s, ub[size_t(h) * pages + p] - best[h]);
    score[p] = s;
  }
  __syncthreads();
  // Rank by (score desc, page asc); ranks form a permutation, so exactly topPages pages are chosen.
  for (int p = tid; p < pages; p += kSelectThreads) {
    const float s = score[p];
    int rank = 0;
    for (int r = 0; r < pages && rank < topPages; ++r) rank += (score[r] > s) || (score[r] == s && r < p);
    chosen[p] = rank < topPages;
  }
  if (tid == 0) running = 0;
  __syncthreads();
  for (int base = 0; base < pages; base += kSelectThreads) {
    const int p = base + tid;
    const int f = p < pages ? chosen[p] : 0;
    int idx, total;
    Scan(scanTmp).ExclusiveSum(f, idx, total);
    if (f) outPages[running + idx] = p;
    __syncthreads();
    if (tid == 0) running += total;
    __syncthreads();
  }
  // Slots: [0, first) + chosen pages + [tail, kvLen).
  const int tail = first + pages * pageSize, mid = first + topPages * pageSize;
  const int n = mid + (kvLen - tail);
  for (int i = tid; i < n; i += kSelectThreads) {
    int s;
    if (i < first) s = i;
    else if (i < mid) s = first + outPages[(i - first) / pageSize] * pageSize + (i - first) % pageSize;
    else s = tail + (i - mid);
    outSlots[i] = s;
  }
}

}  // namespace

void pageBounds(uint64_t out, uint64_t k, int kdt, int ldk, int first, int pages, int pageSize, int kvw) {
  if (pages <= 0) return;
  if (pageSize <= 0 || first < 0 || kvw <= 0 || ldk < kvw) fail("pageBounds: bad geometry");
  const dim3 grid(unsigned(pages), unsigned((kvw + 127) / 128));
  pageBoundsKernel<<<grid, 128, 0, stream()>>>(reinterpret_cast<float*>(out), reinterpret_cast<const void*>(k), kdt,
                                               ldk, first, pageSize, kvw);
  SV_LAUNCH("pageBounds");
}

void pageSelect(uint64_t outSlots, uint64_t outPages, uint64_t q, uint64_t bounds, int pages, int Hq, int Hkv, int d,
                float scale, int topPages, int first, int pageSize, int kvLen) {
  if (Hq <= 0 || Hkv <= 0 || Hq % Hkv || Hq > kMaxHeads) fail("pageSelect: heads must be a multiple of kvHeads, at most 256");
  if (pages <= 0 || pages > kMaxPages) fail("pageSelect: pages must be in 1..8192");
  if (topPages <= 0 || topPages > pages) fail("pageSelect: topPages must be in 1..pages");
  if (pageSize <= 0 || first < 0 || kvLen < first + pages * pageSize) fail("pageSelect: kvLen ends before the paged run");
  float* ub = static_cast<float*>(scratch(size_t(Hq) * pages * sizeof(float)));
  pageUpperBoundKernel<<<pages, 256, 0, stream()>>>(ub, reinterpret_cast<const float*>(q),
                                                     reinterpret_cast<const float*>(bounds), pages, Hq, Hkv, d, scale);
  SV_LAUNCH("pageSelect bounds");
  pageSelectKernel<<<1, kSelectThreads, 0, stream()>>>(reinterpret_cast<int*>(outSlots), reinterpret_cast<int*>(outPages),
                                                       ub, pages, Hq, topPages, first, pageSize, kvLen);
  SV_LAUNCH("pageSelect");
}

}  // namespace sv::gpu
