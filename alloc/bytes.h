// Raw byte allocations on mimalloc, for owners outside alloc/ that need plain buffers with a
// lifetime of their own (V8 ArrayBuffer backing stores). alloc/ is the only caller of mi_*.
#pragma once

#include <mimalloc.h>

#include <cstddef>

namespace torus::alloc {

inline void* allocateBytes(size_t n) { return mi_malloc(n); }
inline void* allocateZeroedBytes(size_t n) { return mi_zalloc(n); }
inline void freeBytes(void* p) { mi_free(p); }
// Usable size of a block from allocateBytes (>= what was asked).
inline size_t usableSize(const void* p) { return mi_usable_size(p); }

}  // namespace torus::alloc
