#pragma once
#include <napi.h>

// Registers the GPU functions (CUDA build) or functions that explain the addon was built without CUDA.
void registerGpu(Napi::Env env, Napi::Object exports);
