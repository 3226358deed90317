// Per-row top-k on the device (decode retrieval: one row of candidate scores per layer). One 1024-thread block per
// row: a radix select over order-preserving uint32 keys (four 8-bit digits, shared-memory histograms with
// warp-aggregated atomics) finds the k-th best key and how many of the keys equal to it are taken, then a stable
// block-wide compaction writes the selected positions in ascending order, equal keys taken lowest position first.
// The order is topKAscending's (engine/sparse/select.ts): NaN ranks as -Infinity (ties with it), -0 equals +0.
// The keys are gathered once into scratch (v2; v1 re-read the scores in every pass, ~10 % slower).
#include <cstring>
#include <vector>

#include "gpu.h"
#include "gpu_internal.cuh"

namespace sv::gpu {
namespace {

constexpr int kTopkThreads = 1024;
constexpr int kTopkItems = 4;  // contiguous positions per thread in the compaction pass

struct TopkArgs {
  const uint64_t* rows;  // [nRows] device pointers to f32 scores
  const int* cand;       // nullptr: position i reads row[i]; else row[cand[i]]
  int n, k;
  int* out;              // [nRows][k]
  double* mass;          // [nRows][2]: (sum of the n scores, sum of the selected ones), or nullptr
};

// Larger key = better score. NaN -> -Infinity and -0 -> +0 first, so equal keys are exactly the JS rule's ties.
__device__ __forceinline__ uint32_t topkKey(float x) {
  uint32_t u = __float_as_uint(x);
  if ((u & 0x7fffffffu) > 0x7f800000u) u = 0xff800000u;  // NaN
  if ((u & 0x7fffffffu) == 0u) u = 0u;                    // -0
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

__device__ __forceinline__ float topkVal(const float* row, const int* cand, int i) { return row[cand ? cand[i] : i]; }

__device__ double blockSumD(double v, double* red) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  __syncthreads();
  if (lane == 0) red[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < int(blockDim.x >> 5) ? red[lane] : 0.0;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  }
  return v;  // valid in thread 0
}

// Inverse of topkKey (NaN came back as -Infinity, -0 as +0: only the selected sum sees them, see topkRows).
__device__ __forceinline__ float keyValue(uint32_t k) { return __uint_as_float((k & 0x80000000u) ? (k & 0x7fffffffu) : ~k); }

// The first pass reads row[cand[i]] once, writes the keys to a contiguous scratch row (and builds the first
// histogram); later passes and the compaction read those, 4 loads in flight per thread.
__global__ void __launch_bounds__(kTopkThreads) topkRowsKernel(TopkArgs a, uint32_t* keysAll) {
  __shared__ unsigned hist[256];
  __shared__ unsigned scan[32];
  __shared__ double red[32];
  __shared__ uint32_t sPrefix;
  __shared__ int sRem;
  const float* row = reinterpret_cast<const float*>(a.rows[blockIdx.x]);
  int* out = a.out + size_t(blockIdx.x) * a.k;
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, n = a.n, k = a.k;
  uint32_t* keys = keysAll + size_t(blockIdx.x) * n;
  constexpr int U = 4;  // loads in flight per thread in the histogram passes
  double total = 0.0;

  auto addDigits = [&](const unsigned (&digit)[U]) {
#pragma unroll
    for (int u = 0; u < U; ++u) {
      // Heavy ties put a whole warp on one bin: one atomic per distinct digit in the warp.
      const unsigned peers = __match_any_sync(0xffffffffu, digit[u]);
      if (digit[u] < 256 && lane == __ffs(peers) - 1) atomicAdd(&hist[digit[u]], unsigned(__popc(peers)));
    }
  };
  {
    // Gather pass: keys to scratch, the score sum, and the top digit's histogram.
    for (int i = tid; i < 256; i += kTopkThreads) hist[i] = 0;
    __syncthreads();
    for (int c0 = 0; c0 < n; c0 += U * kTopkThreads) {
      float v[U];
#pragma unroll
      for (int u = 0; u < U; ++u) {
        const int i = c0 + u * kTopkThreads + tid;
        v[u] = i < n ? topkVal(row, a.cand, i) : 0.f;
      }
      unsigned digit[U];
#pragma unroll
      for (int u = 0; u < U; ++u) {
        const int i = c0 + u * kTopkThreads + tid;
        digit[u] = 256;
        if (i < n) {
          total += double(v[u]);
          const uint32_t key = topkKey(v[u]);
          keys[i] = key;
          digit[u] = key >> 24;
        }
      }
      addDigits(digit);
    }
    __syncthreads();
  }

  // Threshold key `thr`: take every key > thr and the first `rem` keys == thr (in position order).
  uint32_t thr;
  int rem = 0;
  if (k <= 0) {
    thr = 0xffffffffu;  // above every key topkKey makes (that one would be a NaN)
  } else if (k >= n) {
    thr = 0u;  // below every key topkKey makes
  } else {
    uint32_t prefix = 0, mask = 0;
    rem = k;  // how many still to take among the keys matching `prefix`
    for (int shift = 24; shift >= 0; shift -= 8) {
      if (shift != 24) {
        for (int i = tid; i < 256; i += kTopkThreads) hist[i] = 0;
        __syncthreads();
        for (int c0 = 0; c0 < n; c0 += U * kTopkThreads) {
          uint32_t key[U];
#pragma unroll
          for (int u = 0; u < U; ++u) {
            const int i = c0 + u * kTopkThreads + tid;
            key[u] = i < n ? keys[i] : 0u;
          }
          unsigned digit[U];
#pragma unroll
          for (int u = 0; u < U; ++u) {
            const int i = c0 + u * kTopkThreads + tid;
            digit[u] = i < n && (key[u] & mask) == prefix ? (key[u] >> shift) & 255u : 256u;
          }
          addDigits(digit);
        }
        __syncthreads();
      }
      if (warp == 0) {
        // Lane L owns bins [8L, 8L+8); find the digit d with (count above d) < rem <= (count above d) + hist[d].
        unsigned c[8], mine = 0;
#pragma unroll
        for (int j = 0; j < 8; ++j) mine += (c[j] = hist[lane * 8 + j]);
        unsigned s = mine;  // inclusive suffix sum over lanes >= lane
        for (int o = 1; o < 32; o <<= 1) {
          const unsigned t = __shfl_down_sync(0xffffffffu, s, o);
          if (lane + o < 32) s += t;
        }
        unsigned above = s - mine;
        for (int j = 7; j >= 0; --j) {
          if (above < unsigned(rem) && unsigned(rem) <= above + c[j]) {
            sPrefix = prefix | (uint32_t(lane * 8 + j) << shift);
            sRem = rem - int(above);
          }
          above += c[j];
        }
      }
      __syncthreads();
      prefix = sPrefix;
      rem = sRem;
      mask |= 255u << shift;
    }
    thr = prefix;
  }

  // Compaction in position order: output slot of position i = (# above before i) + min(# ties before i, rem).
  double kept = 0.0;
  int selBase = 0, tieBase = 0;
  const int chunk = kTopkThreads * kTopkItems;
  for (int c0 = 0; c0 < n; c0 += chunk) {
    const int i0 = c0 + tid * kTopkItems;
    float v[kTopkItems];
    uint32_t key[kTopkItems];
    unsigned cnt = 0;  // (# above) | (# ties) << 16 for this thread's items
#pragma unroll
    for (int j = 0; j < kTopkItems; ++j) {
      const int i = i0 + j;
      key[j] = i < n ? keys[i] : 0u;
      v[j] = keyValue(key[j]);
      if (i < n) cnt += key[j] > thr ? 1u : key[j] == thr ? 1u << 16 : 0u;
    }
    // Block exclusive scan of cnt (chunk totals stay below 2^16 in each half).
    unsigned incl = cnt;
    for (int o = 1; o < 32; o <<= 1) {
      const unsigned t = __shfl_up_sync(0xffffffffu, incl, o);
      if (lane >= o) incl += t;
    }
    if (lane == 31) scan[warp] = incl;
    __syncthreads();
    if (warp == 0) {
      unsigned w = scan[lane];
      for (int o = 1; o < 32; o <<= 1) {
        const unsigned t = __shfl_up_sync(0xffffffffu, w, o);
        if (lane >= o) w += t;
      }
      scan[lane] = w;
    }
    __syncthreads();
    const unsigned ex = (warp ? scan[warp - 1] : 0u) + incl - cnt, chunkTotal = scan[31];
    int sel = selBase + int(ex & 0xffffu), tie = tieBase + int(ex >> 16);
#pragma unroll
    for (int j = 0; j < kTopkItems; ++j) {
      const int i = i0 + j;
      if (i >= n) break;
      if (key[j] > thr) {
        out[sel + min(tie, rem)] = i;
        kept += double(v[j]);
        ++sel;
      } else if (key[j] == thr) {
        if (tie < rem) {
          out[sel + tie] = i;
          kept += double(v[j]);
        }
        ++tie;
      }
    }
    selBase += int(chunkTotal & 0xffffu);
    tieBase += int(chunkTotal >> 16);
    __syncthreads();  // scan[] is rewritten by the next chunk
  }
  if (a.mass) {
    total = blockSumD(total, red);
    if (tid == 0) a.mass[2 * blockIdx.x] = total;
    kept = blockSumD(kept, red);
    if (tid == 0) a.mass[2 * blockIdx.x + 1] = kept;
  }
}

}  // namespace

void topkRows(uint64_t outIdx, uint64_t outMass, const uint64_t* rows, int nRows, int n, const int32_t* cand, int k) {
  if (nRows <= 0) return;
  if (n <= 0 || k < 0 || k > n) fail("topkRows: need n > 0 and 0 <= k <= n");
  for (int r = 0; r < nRows; ++r)
    if (!rows[r]) fail("topkRows: null row pointer");
  if (cand)
    for (int i = 0; i < n; ++i)
      if (cand[i] < 0) fail("topkRows: negative candidate");
  // One argument upload: the row pointers, then the candidate positions.
  const size_t rowBytes = size_t(nRows) * 8, candBytes = cand ? size_t(n) * 4 : 0;
  std::vector<uint8_t> host(rowBytes + candBytes);
  std::memcpy(host.data(), rows, rowBytes);
  if (cand) std::memcpy(host.data() + rowBytes, cand, candBytes);
  uint8_t* d = uploadArgs(host.data(), host.size());
  TopkArgs a{reinterpret_cast<const uint64_t*>(d), cand ? reinterpret_cast<const int*>(d + rowBytes) : nullptr, n, k,
             reinterpret_cast<int*>(outIdx), reinterpret_cast<double*>(outMass)};
  auto* keys = static_cast<uint32_t*>(scratch(size_t(nRows) * n * 4));
  topkRowsKernel<<<nRows, kTopkThreads, 0, stream()>>>(a, keys);
  SV_LAUNCH("topkRows");
}

}  // namespace sv::gpu
