// Request memory: a RequestHeap holds everything native that belongs to one HTTP request
// and is released in one step when the request ends.
//
// Design (chosen by bench/alloc/request_heap_bench.cc): a monotonic bump arena over
// fixed-size blocks taken from a per-worker BlockPool, which keeps released blocks for
// reuse (bounded). Allocations too big for a block go straight to mimalloc and are freed
// on release. A cleanup list runs destructors of non-trivial objects in reverse order
// before the memory goes back.
//
// Thread: a BlockPool and every heap drawing from it belong to one worker thread.
// Nothing that may outlive the request lives here: no V8 handles, no backing stores.
//
// Under AddressSanitizer the unused tail of every block and every block cached in a pool are
// poisoned, so touching request memory after release() is reported as use-after-poison.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <string_view>
#include <type_traits>
#include <utility>

#include "base/check.h"

#if defined(__SANITIZE_ADDRESS__)
#define TORUS_ALLOC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TORUS_ALLOC_ASAN 1
#endif
#endif
#ifndef TORUS_ALLOC_ASAN
#define TORUS_ALLOC_ASAN 0
#endif
#if TORUS_ALLOC_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace torus::alloc {

namespace detail {
inline void asanPoison([[maybe_unused]] const void* p, [[maybe_unused]] size_t n) {
#if TORUS_ALLOC_ASAN
  __asan_poison_memory_region(p, n);
#endif
}
inline void asanUnpoison([[maybe_unused]] const void* p, [[maybe_unused]] size_t n) {
#if TORUS_ALLOC_ASAN
  __asan_unpoison_memory_region(p, n);
#endif
}
}  // namespace detail

// A bounded cache of equally sized blocks (mi_malloc'ed, 16-byte aligned). Not thread-safe.
// Destroying a pool while blocks are outstanding is a bug (checked).
class BlockPool {
 public:
  static constexpr size_t kDefaultBlockSize = 16 * 1024;
  // blockSize: at least 256 and a multiple of 16.
  // maxCached: how many free blocks to keep for reuse; beyond that they are freed.
  explicit BlockPool(size_t blockSize = kDefaultBlockSize, size_t maxCached = 1024);
  ~BlockPool();
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;

  // A block of blockSize() bytes: a cached one if any, else a new one. Never null.
  void* take();
  // Returns a block obtained from take() on this pool.
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

class HeapBuffer;

class RequestHeap {
 public:
  explicit RequestHeap(BlockPool& pool)
      : pool_(&pool), maxSmall_((pool.blockSize() - kBlockHeader) / 4) {}
  ~RequestHeap() { release(); }
  RequestHeap(const RequestHeap&) = delete;
  RequestHeap& operator=(const RequestHeap&) = delete;

  // Uninitialised memory, aligned to `align` (a power of two). Never null, also for size 0.
  // Out of memory aborts, as everywhere else in torus; size limits are enforced by callers.
  void* allocate(size_t size, size_t align = alignof(std::max_align_t)) {
    // Folds away when align is a constant, as it is for make<T>() and copy().
    TORUS_CHECK(align != 0 && (align & (align - 1)) == 0);
    // cur_ is a user-space address (< 2^47), so adding align - 1 cannot wrap; p >= cur_.
    // The empty heap has cur_ == end_ == 0 and sends everything to the slow path.
    uintptr_t p = (cur_ + (align - 1)) & ~(uintptr_t(align) - 1);
    if (size != 0 && p <= end_ && size <= end_ - p) {
      cur_ = p + size;
      bytes_ += size;
      detail::asanUnpoison(reinterpret_cast<void*>(p), size);
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

  // Runs fn(arg) at release(), in reverse order of registration. The record lives in the heap.
  void addCleanup(void (*fn)(void*), void* arg) {
    auto* c = static_cast<Cleanup*>(allocate(sizeof(Cleanup), alignof(Cleanup)));
    c->fn = fn;
    c->arg = arg;
    c->next = cleanups_;
    cleanups_ = c;
  }

  // Runs the cleanups (each exactly once; one registered by a running cleanup runs too), then
  // frees the large allocations and gives every block back to the pool. Every pointer into
  // the heap dies here. The heap is reusable after.
  void release();

  // Bytes handed out by allocate() since the last release, cleanup records and HeapBuffer
  // growth included (for accounting and tests).
  size_t bytesAllocated() const { return bytes_; }
  // Bytes the heap holds right now: its blocks plus the usable size of its large allocations.
  size_t bytesReserved() const { return reserved_; }

  // A bound on bytesReserved() (0: none) that the owner checks at its own points with
  // exceeded(): allocations past it still succeed, so no caller needs a failure path, and the
  // owner refuses the request (the HTTP server answers 503). Kept across release().
  void setLimit(size_t bytes) { limit_ = bytes; }
  bool exceeded() const { return limit_ != 0 && reserved_ > limit_; }

 private:
  friend class HeapBuffer;

  // Block header size; keeps the first allocation of a block 16-byte aligned.
  static constexpr size_t kBlockHeader = 16;

  struct Cleanup {
    void (*fn)(void*);
    void* arg;
    Cleanup* next;
  };
  struct Block {
    Block* next;
  };
  // Header of a big allocation owned by the heap: a mimalloc one, or (only for HeapBuffers of
  // kMapThreshold bytes and more) an mmap'ed region that grows with mremap. Doubly linked so
  // that HeapBuffer can move one. 32 bytes: the payload after it stays 16-byte aligned.
  struct Large {
    Large* prev;
    Large* next;
    size_t mapped;  // length of the mmap'ed region; 0 for mimalloc memory
    size_t unused;
  };
  static constexpr size_t kMapThreshold = 1024 * 1024;

  void* allocateSlow(size_t size, size_t align);
  void newBlock();
  // A mimalloc allocation freed at release().
  void* allocateLarge(size_t size, size_t align);
  // For HeapBuffer: a page-aligned mapping holding at least `size` bytes (16-byte aligned),
  // unmapped at release(); for sizes of kMapThreshold and more.
  void* allocateMapped(size_t size);
  void linkLarge(Large* node);
  // For HeapBuffer: grows a large allocation made with align <= 16 whose first `used` bytes
  // matter to hold newSize bytes (more than its capacity), moving it if needed: mi_realloc
  // below kMapThreshold, mmap + mremap from there (pages move, nothing is copied, so a big
  // body is never resident twice). Returns the new payload address.
  void* reallocateLarge(void* payload, size_t used, size_t newSize);
  // Usable payload bytes of a large allocation made with align <= 16.
  static size_t largeCapacity(const void* payload);
  // For HeapBuffer: grows the arena allocation [p, p + oldSize) in place to newSize bytes if
  // it is the last one in the current block and the block has room.
  bool tryExtend(void* p, size_t oldSize, size_t newSize);

  BlockPool* pool_;
  // Requests above this size that miss the current block go to mimalloc rather than start
  // a new block, so a big request wastes at most a quarter of a block.
  size_t maxSmall_;
  uintptr_t cur_ = 0;
  uintptr_t end_ = 0;
  Block* blocks_ = nullptr;
  Large* large_ = nullptr;
  Cleanup* cleanups_ = nullptr;
  size_t bytes_ = 0;
  size_t reserved_ = 0;
  size_t limit_ = 0;
};

// A growable byte buffer whose memory comes from a RequestHeap and dies with its release().
// Small buffers live in the arena (old storage is abandoned on growth, or extended in place
// when the buffer is the heap's latest allocation). Past a quarter block the buffer moves to
// a mimalloc allocation owned by the heap and grows 1.5x with mi_realloc; from 1 MiB on it
// lives in its own mapping grown with mremap, which moves pages instead of copying them. A
// large body thus has at most ~1.5x its size mapped and about its size resident.
// Not copyable (a copy would dangle after the original grows); moving leaves the source empty.
class HeapBuffer {
 public:
  explicit HeapBuffer(RequestHeap& heap) : heap_(&heap) {}
  HeapBuffer(const HeapBuffer&) = delete;
  HeapBuffer& operator=(const HeapBuffer&) = delete;
  HeapBuffer(HeapBuffer&& other) noexcept
      : heap_(other.heap_),
        data_(std::exchange(other.data_, nullptr)),
        size_(std::exchange(other.size_, 0)),
        cap_(std::exchange(other.cap_, 0)),
        large_(std::exchange(other.large_, false)) {}
  // The old storage stays with the heap until its release().
  HeapBuffer& operator=(HeapBuffer&& other) noexcept {
    if (this != &other) {
      heap_ = other.heap_;
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
      cap_ = std::exchange(other.cap_, 0);
      large_ = std::exchange(other.large_, false);
    }
    return *this;
  }

  // `data` may point into this buffer.
  void append(const void* data, size_t n) {
    if (n == 0) return;
    if (n > cap_ - size_) {
      appendSlow(data, n);
      return;
    }
    memcpy(data_ + size_, data, n);
    size_ += n;
  }
  // Makes capacity() at least n (exactly n when it grows, give or take allocator rounding).
  void reserve(size_t n);
  char* data() { return data_; }
  const char* data() const { return data_; }
  size_t size() const { return size_; }
  size_t capacity() const { return cap_; }
  // Keeps the capacity.
  void clear() { size_ = 0; }
  std::string_view view() const { return {data_, size_}; }

 private:
  void appendSlow(const void* data, size_t n);
  void growTo(size_t newCap);

  RequestHeap* heap_;
  char* data_ = nullptr;
  size_t size_ = 0;
  size_t cap_ = 0;
  // data_ is a RequestHeap large allocation (resized with mi_realloc) rather than arena memory.
  bool large_ = false;
};

}  // namespace torus::alloc
