// The addon's CUDA runtime state: device probe, one stream, a stream-ordered memory pool, scratch arenas, and
// cuBLAS loaded with dlopen (so a machine without it still loads the addon and gets a clear error on first use).
#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "gpu.h"
#include "gpu_internal.cuh"
#include "kernel_config.h"

namespace sv::gpu {

void fail(const std::string& what) { throw std::runtime_error(what); }

namespace {
KernelConfig gConfig;
}
const KernelConfig& kernelConfig() { return gConfig; }
void setKernelConfig(const KernelConfig& c) { gConfig = c; }

Info info() {
  Info r;
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    r.error = std::string("no GPU, using CPU (") + cudaGetErrorString(e) + ")";
    cudaGetLastError();
    return r;
  }
  if (n == 0) {
    r.error = "no GPU, using CPU (no CUDA device found)";
    return r;
  }
  cudaDeviceProp p{};
  if (cudaGetDeviceProperties(&p, 0) != cudaSuccess) {
    r.error = "no GPU, using CPU (cannot read device 0)";
    cudaGetLastError();
    return r;
  }
  r.available = true;
  r.count = n;
  r.name = p.name;
  r.ccMajor = p.major;
  r.ccMinor = p.minor;
  if (cudaMemGetInfo(&r.freeBytes, &r.totalBytes) != cudaSuccess) cudaGetLastError();
  return r;
}

namespace {
std::once_flag gInitOnce;
cudaStream_t gStream = nullptr;

void initRuntime() {
  int n = 0;
  check(cudaGetDeviceCount(&n), "no GPU");
  if (n == 0) fail("no CUDA device found");
  check(cudaSetDevice(0), "cudaSetDevice");
  check(cudaStreamCreateWithFlags(&gStream, cudaStreamNonBlocking), "cudaStreamCreate");
  cudaMemPool_t pool;
  check(cudaDeviceGetDefaultMemPool(&pool, 0), "cudaDeviceGetDefaultMemPool");
  uint64_t keep = UINT64_MAX;  // keep freed blocks for reuse instead of returning them to the driver
  check(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep), "cudaMemPoolSetAttribute");
}

struct Arena {
  void* ptr = nullptr;
  size_t cap = 0;
  void* get(size_t bytes) {
    if (bytes <= cap) return ptr;
    if (ptr) {
      check(cudaStreamSynchronize(stream()), "arena sync");
      check(cudaFree(ptr), "arena free");
      ptr = nullptr;
      cap = 0;
    }
    size_t want = bytes + bytes / 4 + 256;
    check(cudaMalloc(&ptr, want), "arena cudaMalloc");
    cap = want;
    return ptr;
  }
};
Arena gScratch, gArgs;
}  // namespace

cudaStream_t stream() {
  std::call_once(gInitOnce, initRuntime);
  return gStream;
}
void* scratch(size_t bytes) { return gScratch.get(bytes); }
void* argsBuffer(size_t bytes) { return gArgs.get(bytes); }

uint64_t alloc(size_t bytes) {
  void* p = nullptr;
  check(cudaMallocAsync(&p, bytes ? bytes : 16, stream()), "cudaMallocAsync");
  return reinterpret_cast<uint64_t>(p);
}
void release(uint64_t p) {
  if (p) check(cudaFreeAsync(reinterpret_cast<void*>(p), stream()), "cudaFreeAsync");
}
void upload(uint64_t dst, const void* src, size_t bytes) {
  check(cudaMemcpyAsync(reinterpret_cast<void*>(dst), src, bytes, cudaMemcpyHostToDevice, stream()), "upload");
}
void download(void* dst, uint64_t src, size_t bytes) {
  check(cudaMemcpyAsync(dst, reinterpret_cast<const void*>(src), bytes, cudaMemcpyDeviceToHost, stream()), "download");
  check(cudaStreamSynchronize(stream()), "download sync");
}
void copyD2D(uint64_t dst, uint64_t src, size_t bytes) {
  check(cudaMemcpyAsync(reinterpret_cast<void*>(dst), reinterpret_cast<const void*>(src), bytes,
                        cudaMemcpyDeviceToDevice, stream()), "copyD2D");
}
void sync() { check(cudaStreamSynchronize(stream()), "sync"); }

// ---- cuBLAS through dlopen ---------------------------------------------------------------------------------
namespace {
using Handle = void*;
using FnCreate = int (*)(Handle*);
using FnSetStream = int (*)(Handle, cudaStream_t);
using FnGemmEx = int (*)(Handle, int, int, int, int, int, const void*, const void*, int, int, const void*, int, int,
                         const void*, void*, int, int, int, int);
using FnGemmSB = int (*)(Handle, int, int, int, int, int, const void*, const void*, int, int, long long, const void*,
                         int, int, long long, const void*, void*, int, int, long long, int, int, int);
constexpr int kCudaR32F = 0, kCudaR16F = 2, kCudaR16BF = 14, kCompute32F = 68, kGemmDefault = -1;

struct Blas {
  Handle h = nullptr;
  FnGemmEx gemmEx = nullptr;
  FnGemmSB gemmSB = nullptr;
};
Blas gBlas;
std::once_flag gBlasOnce;
std::string gBlasError;

void* openFirst(const std::vector<std::string>& names, int flags) {
  for (const auto& n : names)
    if (void* h = dlopen(n.c_str(), flags)) return h;
  return nullptr;
}

void loadBlas() {
  std::vector<std::string> dirs;
  if (const char* e = std::getenv("SPARSEVILA_CUBLAS_DIR")) dirs.push_back(e);
  if (const char* e = std::getenv("CUDA_HOME")) dirs.push_back(std::string(e) + "/lib64");
  dirs.push_back("/usr/local/cuda/lib64");
  dirs.push_back("/usr/local/cuda/targets/x86_64-linux/lib");
  std::vector<std::string> lt, blas;
  for (const char* v : {"13", "12"}) {
    for (const auto& d : dirs) {
      lt.push_back(d + "/libcublasLt.so." + v);
      blas.push_back(d + "/libcublas.so." + v);
    }
    lt.push_back(std::string("libcublasLt.so.") + v);
    blas.push_back(std::string("libcublas.so.") + v);
  }
  openFirst(lt, RTLD_NOW | RTLD_GLOBAL);  // cuBLAS needs cuBLASLt; preload it from the same place
  void* lib = openFirst(blas, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    gBlasError = "cuBLAS (libcublas.so.13 or .12) not found; set SPARSEVILA_CUBLAS_DIR to its folder";
    return;
  }
  auto create = reinterpret_cast<FnCreate>(dlsym(lib, "cublasCreate_v2"));
  auto setStream = reinterpret_cast<FnSetStream>(dlsym(lib, "cublasSetStream_v2"));
  gBlas.gemmEx = reinterpret_cast<FnGemmEx>(dlsym(lib, "cublasGemmEx"));
  gBlas.gemmSB = reinterpret_cast<FnGemmSB>(dlsym(lib, "cublasGemmStridedBatchedEx"));
  if (!create || !setStream || !gBlas.gemmEx || !gBlas.gemmSB) {
    gBlasError = "cuBLAS library lacks the expected symbols";
    return;
  }
  int st = create(&gBlas.h);
  if (st != 0) {
    gBlasError = "cublasCreate failed with status " + std::to_string(st);
    gBlas.h = nullptr;
    return;
  }
  st = setStream(gBlas.h, stream());
  if (st != 0) gBlasError = "cublasSetStream failed with status " + std::to_string(st);
}

const Blas& blas() {
  std::call_once(gBlasOnce, loadBlas);
  if (!gBlas.h || !gBlasError.empty()) fail(gBlasError.empty() ? "cuBLAS unavailable" : gBlasError);
  return gBlas;
}
}  // namespace

int blasDataType(int dt) { return dt == F32 ? kCudaR32F : dt == F16 ? kCudaR16F : kCudaR16BF; }

void gemmEx(BlasOp ta, BlasOp tb, int m, int n, int k, const void* A, int adt, int lda, const void* B, int bdt,
            int ldb, void* C, int cdt, int ldc) {
  const Blas& b = blas();
  const float one = 1.f, zero = 0.f;
  int st = b.gemmEx(b.h, ta, tb, m, n, k, &one, A, blasDataType(adt), lda, B, blasDataType(bdt), ldb, &zero, C,
                    blasDataType(cdt), ldc, kCompute32F, kGemmDefault);
  if (st != 0) fail("cublasGemmEx failed with status " + std::to_string(st) + " (m=" + std::to_string(m) +
                    " n=" + std::to_string(n) + " k=" + std::to_string(k) + ")");
}

void gemmStridedBatched(BlasOp ta, BlasOp tb, int m, int n, int k, const void* A, int adt, int lda, long long sA,
                        const void* B, int bdt, int ldb, long long sB, void* C, int cdt, int ldc, long long sC,
                        int batch) {
  const Blas& b = blas();
  const float one = 1.f, zero = 0.f;
  int st = b.gemmSB(b.h, ta, tb, m, n, k, &one, A, blasDataType(adt), lda, sA, B, blasDataType(bdt), ldb, sB, &zero,
                    C, blasDataType(cdt), ldc, sC, batch, kCompute32F, kGemmDefault);
  if (st != 0) fail("cublasGemmStridedBatchedEx failed with status " + std::to_string(st));
}

}  // namespace sv::gpu
