// Every function the addon exports, declared once: X(jsName, Binding). addon.cpp registers the CPU references;
// gpu_bindings.cpp (CUDA build) or gpu_bindings_stub.cpp (CPU-only build) registers the GPU list, so both builds
// export the same names. engine/core/backend/cuda/addon.ts types them (ADDON_FUNCTIONS); a test compares the two.
#pragma once
#include <napi.h>

#define SV_CPU_ENTRY_POINTS(X)                 \
  X(cpuColMeanSoftmax, CpuColMeanSoftmax)      \
  X(cpuSlotAttention, CpuSlotAttention)        \
  X(cpuTopk, CpuTopk)                          \
  X(cpuCompactRows, CpuCompactRows)            \
  X(cpuW4Linear, CpuW4Linear)

#define SV_GPU_ENTRY_POINTS(X)                 \
  X(info, Info)                                \
  X(configure, Configure)                      \
  X(alloc, Alloc)                              \
  X(free, Free)                                \
  X(upload, Upload)                            \
  X(download, Download)                        \
  X(copy, Copy)                                \
  X(sync, Sync)                                \
  X(fill, Fill)                                \
  X(randomFill, RandomFill)                    \
  X(cast, Cast)                                \
  X(linear, Linear)                            \
  X(embed, Embed)                              \
  X(rmsNorm, RmsNorm)                          \
  X(layerNorm, LayerNorm)                      \
  X(add, Add)                                  \
  X(gelu, Gelu)                                \
  X(siluMul, SiluMul)                          \
  X(rope, Rope)                                \
  X(gatherRows, GatherRows)                    \
  X(bilinear, Bilinear)                        \
  X(attention, Attention)                      \
  X(blockAttention, BlockAttention)            \
  X(flashBlockAttention, FlashBlockAttention)  \
  X(layerNormTo, LayerNormTo)                  \
  X(geluTo, GeluTo)                            \
  X(linearLowp, LinearLowp)                    \
  X(linearAct, LinearAct)                      \
  X(linearResidual, LinearResidual)            \
  X(patchify, Patchify)                        \
  X(linearTo16, LinearTo16)                    \
  X(siluMul16, SiluMul16)                      \
  X(rmsNormTo16, RmsNormTo16)                  \
  X(qkvRopeKv, QkvRopeKv)                      \
  X(linearResidualNorm16, LinearResidualNorm16) \
  X(colMeanSoftmax, ColMeanSoftmax)            \
  X(compactRows, CompactRows)                  \
  X(writeRows, WriteRows)                      \
  X(topkRows, TopkRows)                        \
  X(gemv, Gemv)                                \
  X(ropeKvWrite, RopeKvWrite)                  \
  X(argmaxRows, ArgmaxRows)                    \
  X(w4Repack, W4Repack)                        \
  X(w4Dequant, W4Dequant)                      \
  X(gemvW4, GemvW4)                            \
  X(attentionDev, AttentionDev)                \
  X(pageBounds, PageBounds)                    \
  X(pageSelect, PageSelect)

namespace sv::bind {
#define SV_DECLARE_BINDING(js, fn) Napi::Value fn(const Napi::CallbackInfo& info);
SV_CPU_ENTRY_POINTS(SV_DECLARE_BINDING)
#ifdef SPARSEVILA_WITH_CUDA
SV_GPU_ENTRY_POINTS(SV_DECLARE_BINDING)
#endif
#undef SV_DECLARE_BINDING
}  // namespace sv::bind

// Registers the GPU list on exports (the CUDA bindings, or functions that explain the addon was built without CUDA).
void registerGpu(Napi::Env env, Napi::Object exports);
