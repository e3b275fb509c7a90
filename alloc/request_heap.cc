#include "alloc/request_heap.h"

#include <mimalloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

#include "base/check.h"

namespace torus::alloc {
namespace {

// mi_malloc returns 16-byte aligned memory for every size we ask for (>= 16 bytes).
constexpr size_t kMiAlign = 16;

size_t pageSize() {
  static const size_t size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

size_t roundUpToPage(size_t n) {
  const size_t page = pageSize();
  TORUS_CHECK_MSG(n <= SIZE_MAX - page, "out of memory");
  return (n + page - 1) & ~(page - 1);
}

void* checkedMalloc(size_t size) {
  void* p = mi_malloc(size);
  TORUS_CHECK_MSG(p != nullptr, "out of memory");
  return p;
}

}  // namespace

// ---- BlockPool ----

BlockPool::BlockPool(size_t blockSize, size_t maxCached)
    : blockSize_(blockSize), maxCached_(maxCached) {
  TORUS_CHECK(blockSize >= 256 && blockSize % kMiAlign == 0);
}

BlockPool::~BlockPool() {
  TORUS_CHECK_MSG(outstanding_ == 0, "BlockPool destroyed while a RequestHeap still uses it");
  while (free_ != nullptr) {
    FreeBlock* b = free_;
    free_ = b->next;
    // mimalloc and other code may reuse the memory: it must not stay poisoned.
    detail::asanUnpoison(b, blockSize_);
    mi_free(b);
  }
  count_ = 0;
}

void* BlockPool::take() {
  void* block;
  if (free_ != nullptr) {
    FreeBlock* b = free_;
    free_ = b->next;
    --count_;
    detail::asanUnpoison(b, blockSize_);
    block = b;
  } else {
    block = checkedMalloc(blockSize_);
  }
  ++outstanding_;
  return block;
}

void BlockPool::give(void* block) {
  TORUS_CHECK(block != nullptr && outstanding_ > 0);
  --outstanding_;
  if (count_ >= maxCached_) {
    detail::asanUnpoison(block, blockSize_);
    mi_free(block);
    return;
  }
  // Poison all but the link while cached: a stale pointer into a released request faults.
  detail::asanPoison(block, blockSize_);
  detail::asanUnpoison(block, sizeof(FreeBlock));
  auto* b = static_cast<FreeBlock*>(block);
  b->next = free_;
  free_ = b;
  ++count_;
}

// ---- RequestHeap ----

void* RequestHeap::allocateSlow(size_t size, size_t align) {
  TORUS_CHECK(align != 0 && (align & (align - 1)) == 0);
  // Zero-size requests still get a distinct pointer, as with malloc(0).
  if (size == 0) size = 1;
  // Only the zero-size case ends up here with room left in the current block.
  if (blocks_ != nullptr) {
    uintptr_t p = (cur_ + (align - 1)) & ~(uintptr_t(align) - 1);
    if (p <= end_ && size <= end_ - p) {
      cur_ = p + size;
      bytes_ += size;
      detail::asanUnpoison(reinterpret_cast<void*>(p), size);
      return reinterpret_cast<void*>(p);
    }
  }
  // A fresh block starts 16-byte aligned; larger alignments may need this much padding.
  const size_t worstPad = align > kMiAlign ? align - kMiAlign : 0;
  if (size > maxSmall_ || worstPad > maxSmall_ - size) return allocateLarge(size, align);
  newBlock();
  uintptr_t p = (cur_ + (align - 1)) & ~(uintptr_t(align) - 1);
  cur_ = p + size;
  bytes_ += size;
  detail::asanUnpoison(reinterpret_cast<void*>(p), size);
  return reinterpret_cast<void*>(p);
}

void RequestHeap::newBlock() {
  void* mem = pool_->take();
  auto* block = static_cast<Block*>(mem);
  block->next = blocks_;
  blocks_ = block;
  cur_ = reinterpret_cast<uintptr_t>(mem) + kBlockHeader;
  end_ = reinterpret_cast<uintptr_t>(mem) + pool_->blockSize();
  reserved_ += pool_->blockSize();
  detail::asanPoison(reinterpret_cast<void*>(cur_), end_ - cur_);
}

void* RequestHeap::allocateLarge(size_t size, size_t align) {
  static_assert(sizeof(Large) == 32 && alignof(Large) <= kMiAlign);
  // The header takes `align` bytes when align > 32 so that the payload stays aligned.
  const size_t header = align > sizeof(Large) ? align : sizeof(Large);
  TORUS_CHECK_MSG(size <= SIZE_MAX - header, "out of memory");
  void* base =
      align > kMiAlign ? mi_malloc_aligned(header + size, align) : mi_malloc(header + size);
  TORUS_CHECK_MSG(base != nullptr, "out of memory");
  auto* node = static_cast<Large*>(base);
  node->mapped = 0;
  linkLarge(node);
  bytes_ += size;
  reserved_ += mi_usable_size(base);
  return static_cast<char*>(base) + header;
}

void* RequestHeap::allocateMapped(size_t size) {
  TORUS_CHECK_MSG(size <= SIZE_MAX - sizeof(Large), "out of memory");
  const size_t len = roundUpToPage(sizeof(Large) + size);
  void* m = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  TORUS_CHECK_MSG(m != MAP_FAILED, "out of memory");
  auto* node = static_cast<Large*>(m);
  node->mapped = len;
  linkLarge(node);
  bytes_ += len - sizeof(Large);
  reserved_ += len;
  return reinterpret_cast<char*>(node) + sizeof(Large);
}

void RequestHeap::linkLarge(Large* node) {
  node->prev = nullptr;
  node->next = large_;
  if (large_ != nullptr) large_->prev = node;
  large_ = node;
}

void* RequestHeap::reallocateLarge(void* payload, size_t used, size_t newSize) {
  TORUS_CHECK_MSG(newSize <= SIZE_MAX - sizeof(Large), "out of memory");
  auto* node = reinterpret_cast<Large*>(static_cast<char*>(payload) - sizeof(Large));
  const size_t oldBytes = node->mapped != 0 ? node->mapped : mi_usable_size(node);
  const size_t want = sizeof(Large) + newSize;
  const uintptr_t oldAddress = reinterpret_cast<uintptr_t>(node);
  Large* moved;
  if (node->mapped != 0) {
    const size_t len = roundUpToPage(want);
    void* m = mremap(node, node->mapped, len, MREMAP_MAYMOVE);
    TORUS_CHECK_MSG(m != MAP_FAILED, "out of memory");
    moved = static_cast<Large*>(m);
    moved->mapped = len;
  } else if (want < kMapThreshold) {
    moved = static_cast<Large*>(mi_realloc(node, want));
    TORUS_CHECK_MSG(moved != nullptr, "out of memory");
  } else {
    // Leaves mimalloc for a mapping of its own: one last copy of at most kMapThreshold bytes.
    const size_t len = roundUpToPage(want);
    void* m = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    TORUS_CHECK_MSG(m != MAP_FAILED, "out of memory");
    moved = static_cast<Large*>(m);
    memcpy(moved, node, sizeof(Large) + used);
    moved->mapped = len;
    mi_free(node);
  }
  if (reinterpret_cast<uintptr_t>(moved) != oldAddress) {
    // The header came along with the payload; the neighbours still point at the old address.
    if (moved->prev != nullptr) {
      moved->prev->next = moved;
    } else {
      large_ = moved;
    }
    if (moved->next != nullptr) moved->next->prev = moved;
  }
  const size_t newBytes = moved->mapped != 0 ? moved->mapped : mi_usable_size(moved);
  // Growth only (the caller asks for more than the capacity), so neither count goes down.
  TORUS_CHECK(newBytes >= oldBytes);
  reserved_ += newBytes - oldBytes;
  bytes_ += newBytes - oldBytes;
  return reinterpret_cast<char*>(moved) + sizeof(Large);
}

size_t RequestHeap::largeCapacity(const void* payload) {
  auto* node = reinterpret_cast<const Large*>(static_cast<const char*>(payload) - sizeof(Large));
  return (node->mapped != 0 ? node->mapped : mi_usable_size(node)) - sizeof(Large);
}

bool RequestHeap::tryExtend(void* p, size_t oldSize, size_t newSize) {
  const uintptr_t start = reinterpret_cast<uintptr_t>(p);
  if (blocks_ == nullptr || start + oldSize != cur_ || newSize < oldSize ||
      newSize - oldSize > end_ - cur_) {
    return false;
  }
  detail::asanUnpoison(reinterpret_cast<void*>(cur_), newSize - oldSize);
  cur_ = start + newSize;
  bytes_ += newSize - oldSize;
  return true;
}

void RequestHeap::release() {
  // Cleanups first, while every block is still alive: destructors may read heap memory.
  // Pop before calling so that each runs exactly once, even if it registers more.
  while (cleanups_ != nullptr) {
    Cleanup* c = cleanups_;
    cleanups_ = c->next;
    c->fn(c->arg);
  }
  while (large_ != nullptr) {
    Large* l = large_;
    large_ = l->next;
    if (l->mapped != 0) {
      munmap(l, l->mapped);
    } else {
      mi_free(l);
    }
  }
  while (blocks_ != nullptr) {
    Block* b = blocks_;
    blocks_ = b->next;
    pool_->give(b);
  }
  cur_ = 0;
  end_ = 0;
  bytes_ = 0;
  reserved_ = 0;
}

// ---- HeapBuffer ----

void HeapBuffer::appendSlow(const void* data, size_t n) {
  TORUS_CHECK_MSG(n <= SIZE_MAX - size_, "out of memory");
  const size_t need = size_ + n;
  // Growth may move or free the old storage: re-derive a source that lies inside it.
  const char* src = static_cast<const char*>(data);
  const bool inside = data_ != nullptr && src >= data_ && src < data_ + size_;
  const size_t offset = inside ? static_cast<size_t>(src - data_) : 0;
  // Doubling while growth copies (arena: abandoned storage sums to less than the final size;
  // mi_realloc), then 1.5x once mremap moves pages, to bound the mapped slack of large bodies.
  size_t target = cap_ * 2;
  if (cap_ < 32) {
    target = 64;
  } else if (cap_ >= RequestHeap::kMapThreshold) {
    target = cap_ + cap_ / 2;
  }
  if (target < cap_ || target < need) target = need;
  growTo(target);
  if (inside) src = data_ + offset;
  memcpy(data_ + size_, src, n);
  size_ += n;
}

void HeapBuffer::reserve(size_t n) {
  if (n > cap_) growTo(n);
}

void HeapBuffer::growTo(size_t newCap) {
  if (large_) {
    data_ = static_cast<char*>(heap_->reallocateLarge(data_, size_, newCap));
    cap_ = RequestHeap::largeCapacity(data_);
    return;
  }
  if (newCap <= heap_->maxSmall_) {
    if (data_ != nullptr && heap_->tryExtend(data_, cap_, newCap)) {
      cap_ = newCap;
      return;
    }
    char* p = static_cast<char*>(heap_->allocate(newCap, 1));
    if (size_ != 0) memcpy(p, data_, size_);
    data_ = p;
    cap_ = newCap;
    return;
  }
  char* p =
      static_cast<char*>(newCap >= RequestHeap::kMapThreshold ? heap_->allocateMapped(newCap)
                                                              : heap_->allocateLarge(newCap, 1));
  if (size_ != 0) memcpy(p, data_, size_);
  data_ = p;
  cap_ = RequestHeap::largeCapacity(p);
  large_ = true;
}

}  // namespace torus::alloc
