// configure(partial) -> the whole kernel configuration (kernel_config.h) as JS values. Each field is optional; an
// unknown field or value is a TypeError naming it, and nothing changes then.
#include <string>

#include "entry_points.h"
#include "kernel_config.h"
#include "napi_util.h"

using namespace sv::napi;
namespace g = sv::gpu;

namespace {

template <typename E>
struct Named {
  const char* name;
  E value;
};
constexpr Named<g::PrefillAttention> kPrefill[] = {
    {"auto", g::PrefillAttention::kAuto}, {"mma", g::PrefillAttention::kMma}, {"cublas", g::PrefillAttention::kCublas}};
constexpr Named<g::DecodeAttention> kDecode[] = {{"auto", g::DecodeAttention::kAuto},
                                                 {"v4", g::DecodeAttention::kV4},
                                                 {"v9", g::DecodeAttention::kV9},
                                                 {"split", g::DecodeAttention::kSplit}};
constexpr Named<g::Saliency> kSaliency[] = {{"tensor-core", g::Saliency::kTensorCore}, {"simt", g::Saliency::kSimt}};

template <typename E, size_t N>
E parse(Napi::Env env, const Named<E> (&table)[N], const std::string& field, Napi::Value v) {
  std::string allowed;
  for (const auto& e : table) {
    if (v.IsString() && v.As<Napi::String>().Utf8Value() == e.name) return e.value;
    allowed += std::string(allowed.empty() ? "" : ", ") + "'" + e.name + "'";
  }
  throw typeError(env, "configure", field + " must be one of " + allowed);
}
template <typename E, size_t N>
const char* nameOf(const Named<E> (&table)[N], E value) {
  for (const auto& e : table)
    if (e.value == value) return e.name;
  return "?";
}
bool parseBool(Napi::Env env, const std::string& field, Napi::Value v) {
  if (!v.IsBoolean()) throw typeError(env, "configure", field + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

}  // namespace

namespace sv::bind {

Napi::Value Configure(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    g::KernelConfig c = g::kernelConfig();
    if (info.Length() > 0 && !info[0].IsUndefined()) {
      if (!info[0].IsObject()) throw typeError(env, "configure", "argument 0 must be an object");
      auto o = info[0].As<Napi::Object>();
      auto keys = o.GetPropertyNames();
      for (uint32_t i = 0; i < keys.Length(); ++i) {
        const std::string k = keys.Get(i).As<Napi::String>().Utf8Value();
        Napi::Value v = o.Get(k);
        if (k == "prefillAttention") c.prefillAttention = parse(env, kPrefill, k, v);
        else if (k == "decodeAttention") c.decodeAttention = parse(env, kDecode, k, v);
        else if (k == "saliency") c.saliency = parse(env, kSaliency, k, v);
        else if (k == "gemvLinear") c.gemvLinear = parseBool(env, k, v);
        else if (k == "gemvPdl") c.gemvPdl = parseBool(env, k, v);
        else
          throw typeError(env, "configure",
                          "unknown field '" + k + "' (known: prefillAttention, decodeAttention, saliency, gemvLinear, gemvPdl)");
      }
    }
    g::setKernelConfig(c);
    auto r = Napi::Object::New(env);
    r.Set("prefillAttention", nameOf(kPrefill, c.prefillAttention));
    r.Set("decodeAttention", nameOf(kDecode, c.decodeAttention));
    r.Set("saliency", nameOf(kSaliency, c.saliency));
    r.Set("gemvLinear", c.gemvLinear);
    r.Set("gemvPdl", c.gemvPdl);
    return r;
  });
}

}  // namespace sv::bind
