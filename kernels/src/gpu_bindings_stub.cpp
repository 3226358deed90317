// CPU-only build: the GPU entry points exist, report why there is no GPU path, and never crash.
#include <cstring>

#include "entry_points.h"

namespace {
Napi::Value Info(const Napi::CallbackInfo& info) {
  auto o = Napi::Object::New(info.Env());
  o.Set("built", "cpu");
  o.Set("available", false);
  o.Set("count", 0);
  o.Set("error", "no GPU, using CPU (the native addon was built without CUDA: nvcc was not found at build time)");
  return o;
}
Napi::Value NotBuilt(const Napi::CallbackInfo& info) {
  throw Napi::Error::New(info.Env(), "this addon was built without CUDA; rebuild with nvcc on PATH (npm run build:addon)");
}
}  // namespace

void registerGpu(Napi::Env env, Napi::Object exports) {
#define SV_REGISTER(js, fn) exports.Set(#js, Napi::Function::New(env, std::strcmp(#js, "info") ? NotBuilt : Info, #js));
  SV_GPU_ENTRY_POINTS(SV_REGISTER)
#undef SV_REGISTER
}
