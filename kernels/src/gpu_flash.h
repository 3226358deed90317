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
void flashAttention(const FlashArgs& a, int kvdt);

}  // namespace sv::gpu
