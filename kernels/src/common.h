// Shared definitions between the CPU references, the CUDA kernels and the Node-API bindings.
#pragma once
#include <cstddef>
#include <cstdint>

namespace sv {

// Element types, numbered as the JS side numbers them.
enum DType : int { F32 = 0, F16 = 1, BF16 = 2 };

inline size_t dtypeSize(int dt) { return dt == F32 ? 4 : 2; }

// "No causal mask": query row i may attend every slot.
constexpr int kNoCausal = -1;

}  // namespace sv
