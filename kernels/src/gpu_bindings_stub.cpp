// CPU-only build: the GPU entry points exist, report why there is no GPU path, and never crash.
#include "bindings.h"

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
  exports.Set("info", Napi::Function::New(env, Info));
  for (const char* name : {"alloc", "free", "upload", "download", "copy", "sync", "setFlash", "setSaliencyVersion", "setDecodeAttentionVersion", "setFlashVersion", "fill", "randomFill", "cast", "linear",
                           "embed", "rmsNorm", "layerNorm", "add", "gelu", "siluMul", "rope", "gatherRows", "bilinear",
                           "attention", "blockAttention", "flashBlockAttention", "linearTo16", "siluMul16", "rmsNormTo16", "qkvRopeKv", "linearResidualNorm16", "setResidualNormVersion", "setQkvRopeKvVersion", "layerNormTo", "geluTo", "linearLowp", "linearAct", "linearResidual", "patchify", "setLayerNormVersion", "setLinearLowpVersion", "colMeanSoftmax", "colMeanMaterialized", "compactRows", "writeRows", "topkRows", "gemv", "setGemv", "gemvEnabled", "ropeKvWrite", "argmaxRows", "setGemvPdl"})
    exports.Set(name, Napi::Function::New(env, NotBuilt, name));
}
