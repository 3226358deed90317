// Tensor-core flash attention for prefill (see gpu_flash.cu).
#pragma once

namespace sv::gpu {

struct FlashArgs {
  const float* q;  // [Tq, Hq*d] f32
  const void* k;   // rows of ldkv elements, kv head g at column g*d
  const void* v;
  float* out;      // [Tq, Hq*d] f32
  int Tq, Tk, Hq, Hkv, d, ldkv, causalBase;
  float scale;
  const int* colPos;  // device; nullptr: column j is slot j
  int seg = 0;        // > 0: Tq / seg independent segments (rows and keys [i*seg, (i+1)*seg)); needs Tq == Tk
  // Set by the launcher when it splits the keys (few row tiles): partial O (unnormalized), max (log2), sum.
  float* partO = nullptr;
  float* partM = nullptr;
  float* partL = nullptr;
};

bool flashSupported(int d, int kvdt);
// Vision tower: `frames` independent blocks of T rows, no mask; q, k, v, out f32 [frames*T, H*d]; k and v are cast
// to cdt (bf16 or f16) in scratch first. d a multiple of 8, at most 128.
bool flashBlockSupported(int d, int cdt);
void flashBlockAttention(float* out, const float* q, const float* k, const float* v, int frames, int T, int H, int d,
                         int cdt, float scale);
// v7 for <= 64 rows; else v9 (wgmma, gpu_flash_wgmma.cu) where it runs (sm_90a, d 128, enough row tiles) and
// KernelConfig::prefillAttention allows it; else v2 (gpu_flash_mma.cuh).
void flashAttention(const FlashArgs& a, int kvdt);

}  // namespace sv::gpu
