// Small argument helpers for the bindings: typed arrays in, typed arrays out, clear TypeErrors.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sv::napi {

inline Napi::Error typeError(Napi::Env env, const std::string& fn, const std::string& what) {
  return Napi::TypeError::New(env, fn + ": " + what);
}

inline double num(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  if (i >= info.Length() || !info[i].IsNumber())
    throw typeError(info.Env(), fn, "argument " + std::to_string(i) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}
inline int i32(const Napi::CallbackInfo& info, size_t i, const char* fn) { return int(num(info, i, fn)); }
inline uint64_t ptr(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  double v = num(info, i, fn);
  if (v < 0) throw typeError(info.Env(), fn, "argument " + std::to_string(i) + " is not a device pointer");
  return uint64_t(v);
}
inline bool flag(const Napi::CallbackInfo& info, size_t i) { return i < info.Length() && info[i].ToBoolean(); }

template <typename T, napi_typedarray_type K>
inline std::pair<T*, size_t> typed(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* kind,
                                   bool optional = false) {
  if (optional && (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined())) return {nullptr, 0};
  if (i >= info.Length() || !info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != K)
    throw typeError(info.Env(), fn, "argument " + std::to_string(i) + " must be a " + kind);
  auto a = info[i].As<Napi::TypedArrayOf<T>>();
  return {a.Data(), a.ElementLength()};
}
inline std::pair<float*, size_t> f32(const Napi::CallbackInfo& info, size_t i, const char* fn, bool optional = false) {
  return typed<float, napi_float32_array>(info, i, fn, "Float32Array", optional);
}
inline std::pair<int32_t*, size_t> i32s(const Napi::CallbackInfo& info, size_t i, const char* fn, bool optional = false) {
  return typed<int32_t, napi_int32_array>(info, i, fn, "Int32Array", optional);
}

template <typename T>
inline Napi::TypedArrayOf<T> toJs(Napi::Env env, const std::vector<T>& v) {
  auto a = Napi::TypedArrayOf<T>::New(env, v.size());
  std::copy(v.begin(), v.end(), a.Data());
  return a;
}

// Runs a binding body, turning C++ exceptions into JS errors.
template <typename F>
inline Napi::Value guard(const Napi::CallbackInfo& info, F&& body) {
  try {
    return body();
  } catch (const Napi::Error& e) {
    throw;
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

}  // namespace sv::napi
