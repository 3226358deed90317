// Dense prefill attention on the tensor cores, FlashAttention style: no score matrix in device memory. The mma.sync
// kernel (gpu_flash_mma.cuh) runs v2 (> 64 rows) and v7 (<= 64 rows) on every supported GPU; on Hopper (sm_90a)
// with d 128, > 64 rows run the wgmma kernel v9 (gpu_flash_wgmma.cu). KERNELS.md "Prefill attention" has the numbers;
// kernels/dev/HISTORY.md the versions that lost. GQA: query head h reads kv head h / (Hq/Hkv). Causal by slot (colPos
// maps a tile column to its cache slot when K/V were gathered).

#include <algorithm>
#include <climits>
#include <cmath>

#include "gpu.h"
#include "gpu_flash.h"
#include "gpu_flash_mma.cuh"
#include "gpu_internal.cuh"
#include "kernel_config.h"

namespace sv::gpu {
// gpu_flash_wgmma.cu (sm_90a): v9; false where it cannot run this launch.
bool flashWgmma(const FlashArgs& a, int kvdt);

namespace {
template <typename T>
__device__ __forceinline__ T fromF(float v);
template <>
__device__ __forceinline__ __nv_bfloat16 fromF<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }
template <>
__device__ __forceinline__ __half fromF<__half>(float v) { return __float2half_rn(v); }

void* gPartials = nullptr;
size_t gPartialBytes = 0;

// D: the tile width the head dim d is padded to (64, 80 or 128).
// MT: 16-row m-tiles per warp (4 warps, 64-key softmax steps, 2 blocks per SM): 2 = v2, 1 = v7.
template <int MT>
void launchMma(const FlashArgs& a, int kvdt) {
  using flash_mma::launch;
  const bool bf = kvdt == BF16;
  if (a.d <= 64) bf ? launch<__nv_bfloat16, 64, 64, 4, MT, 2>(a) : launch<__half, 64, 64, 4, MT, 2>(a);
  else if (a.d <= 80) bf ? launch<__nv_bfloat16, 80, 64, 4, MT, 2>(a) : launch<__half, 80, 64, 4, MT, 2>(a);
  else bf ? launch<__nv_bfloat16, 128, 64, 4, MT, 2>(a) : launch<__half, 128, 64, 4, MT, 2>(a);
}
void launchV2(const FlashArgs& a, int kvdt) { launchMma<2>(a, kvdt); }
void launchV7(const FlashArgs& a, int kvdt) { launchMma<1>(a, kvdt); }

template <typename T>
__global__ void castKernel(T* dst, const float* src, size_t n) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x)
    dst[i] = fromF<T>(src[i]);
}

}  // namespace

int smCountForFlash() {
  static int n = 0;
  if (!n) {
    int dev = 0;
    check(cudaGetDevice(&dev), "flash: device");
    check(cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, dev), "flash: SM count");
  }
  return n;
}

void* flashPartials(size_t bytes) {
  if (bytes > gPartialBytes) {
    if (gPartials) check(cudaFreeAsync(gPartials, stream()), "flash partials free");
    check(cudaMallocAsync(&gPartials, bytes, stream()), "flash partials");
    gPartialBytes = bytes;
  }
  return gPartials;
}

bool flashSupported(int d, int kvdt) { return (d == 64 || d == 128) && (kvdt == BF16 || kvdt == F16); }

void flashAttention(const FlashArgs& a, int kvdt) {
  if (a.Tq <= 64) return launchV7(a, kvdt);
  // wgmma where it can run (sm_90a, d 128, enough row tiles); else v2.
  if (kernelConfig().prefillAttention == PrefillAttention::kAuto && flashWgmma(a, kvdt)) return;
  launchV2(a, kvdt);
}

bool flashBlockSupported(int d, int cdt) { return d > 0 && d <= 128 && d % 8 == 0 && (cdt == BF16 || cdt == F16); }

void flashBlockAttention(float* out, const float* q, const float* k, const float* v, int frames, int T, int H, int d,
                         int cdt, float scale) {
  if (!flashBlockSupported(d, cdt)) fail("flashBlockAttention: d must be a multiple of 8 up to 128, dtype bf16 or f16");
  if (frames <= 0 || T <= 0 || H <= 0) fail("flashBlockAttention: empty shape");
  const size_t n = size_t(frames) * T * H * d, bytes = (n * 2 + 255) / 256 * 256;
  char* kv = static_cast<char*>(scratch(2 * bytes));
  const unsigned blocks = unsigned(std::min<size_t>((n + 255) / 256, 65535u * 8));
  if (cdt == BF16) {
    castKernel<<<blocks, 256, 0, stream()>>>(reinterpret_cast<__nv_bfloat16*>(kv), k, n);
    castKernel<<<blocks, 256, 0, stream()>>>(reinterpret_cast<__nv_bfloat16*>(kv + bytes), v, n);
  } else {
    castKernel<<<blocks, 256, 0, stream()>>>(reinterpret_cast<__half*>(kv), k, n);
    castKernel<<<blocks, 256, 0, stream()>>>(reinterpret_cast<__half*>(kv + bytes), v, n);
  }
  SV_LAUNCH("flash block cast");
  FlashArgs a{q, kv, kv + bytes, out, frames * T, frames * T, H, H, d, H * d, -1, scale, nullptr, T};
  launchV2(a, cdt);  // 64-frame SigLIP: v2 1.16 ms, v5 1.22, v7 1.25
}

void flashBlockAttention(uint64_t out, uint64_t q, uint64_t k, uint64_t v, int frames, int T, int H, int d, int cdt,
                         float scale) {
  flashBlockAttention(reinterpret_cast<float*>(out), reinterpret_cast<const float*>(q), reinterpret_cast<const float*>(k),
                      reinterpret_cast<const float*>(v), frames, T, H, d, cdt, scale);
}

}  // namespace sv::gpu
