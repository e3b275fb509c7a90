// The memory of one typical request, four ways: ~50 small objects (16-200 bytes) and one
// 16 KiB buffer, then everything released. Each object gets one byte written, as a request
// would initialise it; the buffer is not filled (that costs the same for every variant).
//
// Note: linking libmimalloc.so (as torus_alloc does) makes mimalloc the process's malloc,
// because the library exports malloc/free and comes before libc. The glibc variant therefore
// calls the malloc/free that libc.so.6 itself defines, looked up with dlsym.
#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <mimalloc.h>

#include <array>
#include <cstdint>
#include <cstdlib>

#include "alloc/request_heap.h"

namespace torus::alloc {
namespace {

constexpr int kSmallObjects = 50;
constexpr size_t kBufferSize = 16 * 1024;

// Fixed pseudo-random sizes in [16, 200], the same for every variant.
constexpr std::array<size_t, kSmallObjects> makeSizes() {
  std::array<size_t, kSmallObjects> sizes{};
  uint32_t x = 12345;
  for (size_t& s : sizes) {
    x = x * 1103515245u + 12345u;
    s = 16 + (x >> 16) % 185;
  }
  return sizes;
}
constexpr std::array<size_t, kSmallObjects> kSizes = makeSizes();

void touch(void* p, size_t i) {
  *static_cast<volatile char*>(p) = static_cast<char>(i);
  benchmark::DoNotOptimize(p);
}

struct Libc {
  using MallocFn = void* (*)(size_t);
  using FreeFn = void (*)(void*);
  MallocFn malloc = nullptr;
  FreeFn free = nullptr;
  bool interposed = false;  // the process's malloc is not libc's
};

const Libc& libc() {
  static const Libc fns = [] {
    Libc l;
    void* handle = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    if (handle != nullptr) {
      l.malloc = reinterpret_cast<Libc::MallocFn>(dlsym(handle, "malloc"));
      l.free = reinterpret_cast<Libc::FreeFn>(dlsym(handle, "free"));
    }
    if (l.malloc == nullptr || l.free == nullptr) {
      l.malloc = &::malloc;
      l.free = &::free;
    }
    l.interposed = reinterpret_cast<void*>(l.malloc) != dlsym(RTLD_DEFAULT, "malloc");
    return l;
  }();
  return fns;
}

void BM_GlibcMalloc(benchmark::State& state) {
  const Libc& c = libc();
  state.SetLabel(c.interposed ? "libc.so.6 malloc (process malloc is interposed)"
                              : "libc.so.6 malloc");
  void* ptrs[kSmallObjects + 1];
  for (auto _ : state) {
    for (int i = 0; i < kSmallObjects; ++i) {
      ptrs[i] = c.malloc(kSizes[i]);
      touch(ptrs[i], i);
    }
    ptrs[kSmallObjects] = c.malloc(kBufferSize);
    touch(ptrs[kSmallObjects], 0);
    for (void* p : ptrs) c.free(p);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GlibcMalloc);

void BM_MiMalloc(benchmark::State& state) {
  void* ptrs[kSmallObjects + 1];
  for (auto _ : state) {
    for (int i = 0; i < kSmallObjects; ++i) {
      ptrs[i] = mi_malloc(kSizes[i]);
      touch(ptrs[i], i);
    }
    ptrs[kSmallObjects] = mi_malloc(kBufferSize);
    touch(ptrs[kSmallObjects], 0);
    for (void* p : ptrs) mi_free(p);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MiMalloc);

// A fresh mi_heap per request, dropped whole with mi_heap_destroy (never mi_heap_delete in a
// loop: it leaks in mimalloc 2.0.9).
void BM_MiHeapPerRequest(benchmark::State& state) {
  for (auto _ : state) {
    mi_heap_t* heap = mi_heap_new();
    benchmark::DoNotOptimize(heap);
    for (int i = 0; i < kSmallObjects; ++i) touch(mi_heap_malloc(heap, kSizes[i]), i);
    touch(mi_heap_malloc(heap, kBufferSize), 0);
    mi_heap_destroy(heap);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MiHeapPerRequest);

// torus: a RequestHeap per request over the worker's BlockPool. maxCached = 0 shows what
// the pool saves (every block goes back to mimalloc at release).
void BM_RequestHeap(benchmark::State& state) {
  BlockPool pool(BlockPool::kDefaultBlockSize, static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    RequestHeap heap(pool);
    for (int i = 0; i < kSmallObjects; ++i) touch(heap.allocate(kSizes[i]), i);
    touch(heap.allocate(kBufferSize), 0);
    heap.release();
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RequestHeap)->ArgName("maxCached")->Arg(1024)->Arg(0);

// The same request with its 16 KiB body arriving as four 4 KiB appends to a HeapBuffer.
void BM_RequestHeapWithHeapBuffer(benchmark::State& state) {
  BlockPool pool;
  static char chunk[4096];
  for (auto _ : state) {
    RequestHeap heap(pool);
    for (int i = 0; i < kSmallObjects; ++i) touch(heap.allocate(kSizes[i]), i);
    HeapBuffer body(heap);
    for (int i = 0; i < 4; ++i) body.append(chunk, sizeof chunk);
    benchmark::DoNotOptimize(body.data());
    heap.release();
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RequestHeapWithHeapBuffer);

}  // namespace
}  // namespace torus::alloc
