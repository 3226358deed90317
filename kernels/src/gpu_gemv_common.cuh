// What the decode GEMV kernels share (gpu_gemv.cu on 16-bit weights, gpu_w4.cu on 4-bit ones): the streaming weight
// load, programmatic dependent launch (PDL) and the launch that turns it on.
#pragma once
#include <cstdint>

#include "gpu_gemv.h"
#include "gpu_internal.cuh"

namespace sv::gpu {

// The kernel arguments both GEMVs share: x [M, K] f32 and its transform's aux vector, then per output (segment) the
// weight, bias (dtype biasDt), residual, output and N; blockStart[s] = first block of segment s.
struct GemvParams {
  const float* x;
  const float* aux;
  int K, nSegs;
  float eps;
  int blockStart[kGemvMaxSegs + 1];
  const void* w[kGemvMaxSegs];
  const void* bias[kGemvMaxSegs];
  int biasDt[kGemvMaxSegs];
  const float* res[kGemvMaxSegs];
  float* out[kGemvMaxSegs];
  int N[kGemvMaxSegs];
};

// volatile: kept in program order with griddepcontrol.wait (issued before it, used after it).
__device__ __forceinline__ uint4 ldStream(const uint4* p) {
  uint4 r;
  asm volatile("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];"
      : "=r"(r.x), "=r"(r.y), "=r"(r.z), "=r"(r.w)
      : "l"(p));
  return r;
}

// PDL (sm_90): a GEMV may start while the previous kernel drains; it streams its first weights (never written by
// anyone) and waits here before touching anything a previous kernel produces or reads.
__device__ __forceinline__ void gridDepWait() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}
__device__ __forceinline__ void gridDepLaunchDependents() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

// Whether the GEMVs launch with PDL: an sm_90+ GPU and KernelConfig::gemvPdl (gpu_gemv.cu).
bool gemvPdlUsable();

template <typename Params>
void launchGemvKernel(void (*kernel)(Params), unsigned blocks, unsigned threads, const Params& p, const char* what,
                      size_t smemBytes = 0) {
  cudaLaunchConfig_t cfg = {};
  cfg.gridDim = dim3(blocks);
  cfg.blockDim = dim3(threads);
  cfg.dynamicSmemBytes = smemBytes;
  cfg.stream = stream();
  cudaLaunchAttribute attr[1];
  attr[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attr[0].val.programmaticStreamSerializationAllowed = 1;
  cfg.attrs = attr;
  cfg.numAttrs = gemvPdlUsable() ? 1 : 0;
  check(cudaLaunchKernelEx(&cfg, kernel, p), what);
}

}  // namespace sv::gpu
