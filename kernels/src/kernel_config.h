// The one place the host code reads which shipped kernel variant to run. The TS side sets it through the addon's
// `configure` entry point (engine/core/backend/cuda); the defaults below are the product's (KERNELS.md has the
// measurements behind each). Superseded versions are not selectable: kernels/dev/HISTORY.md says where they went.
#pragma once

namespace sv::gpu {

// Prefill attention (> 16 query rows, gpu_attention.cu + gpu_flash*.cu).
enum class PrefillAttention : int {
  kAuto = 0,    // flash: v7 for <= 64 rows, else v9 (wgmma) on sm_90a with d 128, else v2
  kMma = 1,     // flash without wgmma: v7 for <= 64 rows, else v2 (what non-Hopper GPUs run)
  kCublas = 2,  // cuBLAS GEMMs over query chunks with a masked softmax between them
};
// Decode attention (<= 16 query rows over a slot set, gpu_attention.cu).
enum class DecodeAttention : int {
  kAuto = 0,   // v9 below kDecodeAutoV9Slots slots, v4 above
  kV4 = 4,     // persistent blocks, online softmax, combine kernel (long slot sets)
  kV9 = 9,     // one launch, 4 slots in flight per lane group, last block combines (short slot sets)
  kSplit = 3,  // split-K + combine: every shape (f32 caches, d other than 64 / 128, up to 16 heads per kv head)
};
constexpr int kDecodeAutoV9Slots = 30000;
// Streaming column mean of softmax (gpu_sparse.cu).
enum class Saliency : int {
  kTensorCore = 2,  // mma.sync with bf16 operands (head dims up to 128; larger ones run kSimt)
  kSimt = 1,        // f32 SIMT
};

struct KernelConfig {
  PrefillAttention prefillAttention = PrefillAttention::kAuto;
  DecodeAttention decodeAttention = DecodeAttention::kAuto;
  Saliency saliency = Saliency::kTensorCore;
  bool gemvLinear = false;  // linear() sends decode-sized (M <= 4) bf16/f16 GEMMs to the GEMV kernel
  bool gemvPdl = true;      // programmatic dependent launch of the GEMV kernels on sm_90+
};

const KernelConfig& kernelConfig();
void setKernelConfig(const KernelConfig& c);

}  // namespace sv::gpu
