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
};

bool flashSupported(int d, int kvdt);
// 1: WMMA v1 (S/P/O through shared memory); 2 (default): mma.sync with S/P/O in registers (gpu_flash_mma.cuh).
void setFlashVersion(int version);
void flashAttention(const FlashArgs& a, int kvdt);

}  // namespace sv::gpu
