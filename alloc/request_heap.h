// Request memory: a RequestHeap holds everything native that belongs to one HTTP request
// and is released in one step when the request ends.
//
// Design (chosen by bench/alloc/request_heap_bench.cc): a monotonic bump arena over
// fixed-size blocks taken from a per-worker BlockPool, which keeps released blocks for
// reuse (bounded). Allocations larger than a block go straight to mimalloc and are freed
// on release. A cleanup list runs destructors of non-trivial objects in reverse order
// before the memory goes back.
//
// Thread: a BlockPool and every heap drawing from it belong to one worker thread.
// Nothing that may outlive the request lives here: no V8 handles, no backing stores.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <string_view>
#include <type_traits>
#include <utility>

namespace torus::alloc {

// A bounded cache of equally sized blocks (mi_malloc'ed). Not thread-safe.
class BlockPool {
 public:
  static constexpr size_t kDefaultBlockSize = 16 * 1024;
  // maxCached: how many free blocks to keep for reuse; beyond that they are freed.
  explicit BlockPool(size_t blockSize = kDefaultBlockSize, size_t maxCached = 1024);
  ~BlockPool();
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;

  void* take();
  void give(void* block);
  size_t blockSize() const { return blockSize_; }
  size_t cached() const { return count_; }
  // Blocks handed out and not yet given back.
  size_t outstanding() const { return outstanding_; }

 private:
  struct FreeBlock {
    FreeBlock* next;
  };
  size_t blockSize_;
  size_t maxCached_;
  FreeBlock* free_ = nullptr;
  size_t count_ = 0;
  size_t outstanding_ = 0;
};

class RequestHeap {
 public:
  explicit RequestHeap(BlockPool& pool) : pool_(&pool) {}
  ~RequestHeap() { release(); }
  RequestHeap(const RequestHeap&) = delete;
  RequestHeap& operator=(const RequestHeap&) = delete;

  // Uninitialised memory, aligned to `align` (a power of two). Never null: out of memory
  // aborts, as everywhere else in torus; size limits are enforced by callers.
  void* allocate(size_t size, size_t align = alignof(std::max_align_t)) {
    uintptr_t p = (cur_ + (align - 1)) & ~(uintptr_t(align) - 1);
    if (p + size <= end_ && cur_ != 0) {
      cur_ = p + size;
      bytes_ += size;
      return reinterpret_cast<void*>(p);
    }
    return allocateSlow(size, align);
  }

  // Constructs a T here; a non-trivially-destructible T's destructor joins the cleanup list.
  template <typename T, typename... Args>
  T* make(Args&&... args) {
    void* mem = allocate(sizeof(T), alignof(T));
    T* obj = new (mem) T(std::forward<Args>(args)...);
    if constexpr (!std::is_trivially_destructible_v<T>) {
      addCleanup([](void* p) { static_cast<T*>(p)->~T(); }, obj);
    }
    return obj;
  }

  // Copies bytes into the heap. The view lives until release().
  std::string_view copy(std::string_view s) {
    if (s.empty()) return {};
    char* p = static_cast<char*>(allocate(s.size(), 1));
    memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }

  // Runs fn(arg) at release(), in reverse order of registration.
  void addCleanup(void (*fn)(void*), void* arg);

  // Runs the cleanups, then gives every block back to the pool. The heap is reusable after.
  void release();

  // Bytes handed out by allocate() since the last release (for accounting and tests).
  size_t bytesAllocated() const { return bytes_; }

 private:
  void* allocateSlow(size_t size, size_t align);

  struct Cleanup {
    void (*fn)(void*);
    void* arg;
    Cleanup* next;
  };
  struct Block {
    Block* next;
  };
  struct Large {
    Large* next;
  };

  BlockPool* pool_;
  uintptr_t cur_ = 0;
  uintptr_t end_ = 0;
  Block* blocks_ = nullptr;
  Large* large_ = nullptr;
  Cleanup* cleanups_ = nullptr;
  size_t bytes_ = 0;
};

// A growable byte buffer whose memory comes from a RequestHeap (old storage is abandoned to
// the arena on growth, which is fine for the append-mostly uses on the request path).
class HeapBuffer {
 public:
  explicit HeapBuffer(RequestHeap& heap) : heap_(&heap) {}
  void append(const void* data, size_t n);
  void reserve(size_t n);
  char* data() { return data_; }
  const char* data() const { return data_; }
  size_t size() const { return size_; }
  void clear() { size_ = 0; }
  std::string_view view() const { return {data_, size_}; }

 private:
  RequestHeap* heap_;
  char* data_ = nullptr;
  size_t size_ = 0;
  size_t cap_ = 0;
};

}  // namespace torus::alloc
