#include "alloc/request_heap.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace torus::alloc {
namespace {

constexpr size_t kMiB = 1024 * 1024;

bool isAligned(const void* p, size_t align) { return reinterpret_cast<uintptr_t>(p) % align == 0; }

// Fills [p, p + n) with a pattern derived from `seed` / checks it.
void fill(void* p, size_t n, uint32_t seed) {
  auto* b = static_cast<unsigned char*>(p);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<unsigned char>(seed * 31 + i);
}
bool holds(const void* p, size_t n, uint32_t seed) {
  auto* b = static_cast<const unsigned char*>(p);
  for (size_t i = 0; i < n; ++i) {
    if (b[i] != static_cast<unsigned char>(seed * 31 + i)) return false;
  }
  return true;
}

TEST(RequestHeapTest, AllocateHonoursAlignment) {
  BlockPool pool;
  RequestHeap heap(pool);
  for (int round = 0; round < 3; ++round) {
    for (size_t align = 1; align <= 4096; align *= 2) {
      // Odd sizes to knock the bump pointer off alignment between requests.
      for (size_t size : {size_t{1}, size_t{3}, size_t{17}, size_t{100}}) {
        void* p = heap.allocate(size, align);
        ASSERT_NE(p, nullptr);
        EXPECT_TRUE(isAligned(p, align)) << "size " << size << " align " << align;
        memset(p, 0xab, size);
      }
    }
    void* p = heap.allocate(7);
    EXPECT_TRUE(isAligned(p, alignof(std::max_align_t)));
  }
  // Over-aligned types through make<T>(), in the arena and as large allocations.
  struct alignas(64) Line {
    char bytes[64];
  };
  struct alignas(128) Big {
    char bytes[8192];
  };
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(isAligned(heap.make<Line>(), 64));
    EXPECT_TRUE(isAligned(heap.make<Big>(), 128));
  }
  EXPECT_TRUE(isAligned(heap.allocate(100000, 4096), 4096));
}

TEST(RequestHeapTest, ZeroSizeAllocationsAreDistinctAndNonNull) {
  BlockPool pool;
  RequestHeap heap(pool);
  void* a = heap.allocate(0);
  void* b = heap.allocate(0);
  EXPECT_NE(a, nullptr);
  EXPECT_NE(b, nullptr);
  EXPECT_NE(a, b);
}

TEST(RequestHeapTest, ManySmallAllocationsSpanBlocksWithoutOverlap) {
  BlockPool pool(1024);
  {
    RequestHeap heap(pool);
    struct Piece {
      void* p;
      size_t n;
    };
    std::vector<Piece> pieces;
    size_t total = 0;
    for (uint32_t i = 0; i < 5000; ++i) {
      size_t n = 1 + (i * 7919) % 200 % 60;  // up to the 1 KiB pool's small limit
      void* p = heap.allocate(n, size_t{1} << (i % 5));
      fill(p, n, i);
      pieces.push_back({p, n});
      total += n;
    }
    EXPECT_GT(pool.outstanding(), 100u);
    EXPECT_EQ(heap.bytesAllocated(), total);
    EXPECT_EQ(heap.bytesReserved(), pool.outstanding() * 1024);
    for (uint32_t i = 0; i < pieces.size(); ++i) {
      ASSERT_TRUE(holds(pieces[i].p, pieces[i].n, i)) << "piece " << i;
    }
    // Arena slack stays bounded: blocks are at most 1/4 empty plus their header.
    EXPECT_LT(pool.outstanding() * 1024, total * 2);
  }
  EXPECT_EQ(pool.outstanding(), 0u);
}

TEST(RequestHeapTest, AllocationsBiggerThanABlockGoToTheSide) {
  BlockPool pool(1024);
  RequestHeap heap(pool);
  char* small = static_cast<char*>(heap.allocate(10));
  EXPECT_EQ(pool.outstanding(), 1u);
  const size_t sizes[] = {1024, 3 * 1024, 1 * kMiB, 20 * kMiB};
  std::vector<char*> bigs;
  uint32_t seed = 1;
  for (size_t n : sizes) {
    char* p = static_cast<char*>(heap.allocate(n));
    EXPECT_TRUE(isAligned(p, alignof(std::max_align_t)));
    fill(p, n, seed++);
    bigs.push_back(p);
  }
  // The current block keeps serving small requests: big ones did not take blocks.
  EXPECT_EQ(pool.outstanding(), 1u);
  char* small2 = static_cast<char*>(heap.allocate(10));
  EXPECT_EQ(small2, small + 16);
  EXPECT_GE(heap.bytesReserved(), 1024 + 1024 + 3 * 1024 + kMiB + 20 * kMiB);
  seed = 1;
  for (size_t i = 0; i < bigs.size(); ++i) EXPECT_TRUE(holds(bigs[i], sizes[i], seed++));
  heap.release();
  EXPECT_EQ(heap.bytesReserved(), 0u);
  EXPECT_EQ(pool.outstanding(), 0u);
}

// Records its id into a log when destroyed.
struct Tracked {
  Tracked(std::vector<int>* log, int id) : log(log), id(id) {}
  ~Tracked() { log->push_back(id); }
  std::vector<int>* log;
  int id;
};

TEST(RequestHeapTest, CleanupsRunInReverseOrderExactlyOnce) {
  BlockPool pool(1024);
  std::vector<int> log;
  {
    RequestHeap heap(pool);
    for (int i = 0; i < 300; ++i) {  // enough records to span several blocks
      if (i % 2 == 0) {
        heap.make<Tracked>(&log, i);
      } else {
        heap.addCleanup([](void* arg) { static_cast<Tracked*>(arg)->log->push_back(-1); },
                        heap.make<Tracked>(&log, i));
      }
    }
    // A non-trivial type owning heap memory of its own: std::string outgrowing SSO.
    std::string* s = heap.make<std::string>(1000, 'x');
    EXPECT_EQ(s->size(), 1000u);
    EXPECT_TRUE(log.empty());
    heap.release();
    // std::string first (registered last), then, for each odd i: its addCleanup (-1) runs
    // before its destructor since it was registered after it.
    std::vector<int> want;
    for (int i = 299; i >= 0; --i) {
      if (i % 2 == 1) want.push_back(-1);
      want.push_back(i);
    }
    EXPECT_EQ(log, want);
    heap.release();
    EXPECT_EQ(log.size(), want.size());
  }
  // The destructor's release() did not run them again either.
  EXPECT_EQ(log.size(), 450u);
}

TEST(RequestHeapTest, TriviallyDestructibleTypesRegisterNoCleanup) {
  std::vector<int> log;
  BlockPool pool;
  RequestHeap heap(pool);
  struct Pod {
    int a;
    double b;
  };
  Pod* p = heap.make<Pod>(Pod{1, 2.5});
  EXPECT_EQ(p->a, 1);
  EXPECT_EQ(heap.bytesAllocated(), sizeof(Pod));
  // A non-trivial type costs a cleanup record on top of the object.
  heap.make<Tracked>(&log, 7);
  EXPECT_GT(heap.bytesAllocated(), sizeof(Pod) + sizeof(Tracked));
  heap.release();
  EXPECT_EQ(log, std::vector<int>{7});
}

TEST(RequestHeapTest, CleanupRegisteredDuringReleaseRunsOnce) {
  BlockPool pool;
  RequestHeap heap(pool);
  struct Ctx {
    RequestHeap* heap;
    int outer = 0;
    int inner = 0;
  } ctx{&heap};
  heap.addCleanup(
      [](void* arg) {
        auto* c = static_cast<Ctx*>(arg);
        ++c->outer;
        c->heap->addCleanup([](void* a) { ++static_cast<Ctx*>(a)->inner; }, c);
      },
      &ctx);
  heap.release();
  EXPECT_EQ(ctx.outer, 1);
  EXPECT_EQ(ctx.inner, 1);
  heap.release();
  EXPECT_EQ(ctx.outer, 1);
  EXPECT_EQ(ctx.inner, 1);
  EXPECT_EQ(pool.outstanding(), 0u);
}

TEST(RequestHeapTest, HeapIsReusableAfterRelease) {
  BlockPool pool(1024);
  RequestHeap heap(pool);
  std::vector<int> log;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 100; ++i) fill(heap.allocate(40), 40, i);
    heap.make<Tracked>(&log, round);
    heap.allocate(5000);
    EXPECT_GT(heap.bytesAllocated(), 100u * 40 + 5000);
    heap.release();
    EXPECT_EQ(heap.bytesAllocated(), 0u);
    EXPECT_EQ(heap.bytesReserved(), 0u);
    EXPECT_EQ(pool.outstanding(), 0u);
    ASSERT_EQ(log.size(), static_cast<size_t>(round + 1));
  }
  // Every round needed the same number of blocks: all of them came back from the cache.
  EXPECT_GT(pool.cached(), 0u);
  EXPECT_LT(pool.cached(), 20u);
}

// The limit is soft: allocations past it succeed (nobody needs a failure path) and
// exceeded() says so until release(); the limit itself stays for the next request.
TEST(RequestHeapTest, LimitIsReportedNotEnforced) {
  BlockPool pool(1024);
  RequestHeap heap(pool);
  heap.setLimit(3000);
  for (int round = 0; round < 2; ++round) {
    EXPECT_FALSE(heap.exceeded());
    fill(heap.allocate(1500), 1500, 1);
    EXPECT_FALSE(heap.exceeded()) << heap.bytesReserved();
    void* big = heap.allocate(4000);  // a large allocation: past the limit
    fill(big, 4000, 2);
    EXPECT_TRUE(heap.exceeded());
    EXPECT_TRUE(holds(big, 4000, 2));
    heap.release();
  }
  heap.setLimit(0);
  heap.allocate(100000);
  EXPECT_FALSE(heap.exceeded());
}

TEST(BlockPoolTest, ReusesBlocksUpToMaxCached) {
  BlockPool pool(1024, 2);
  EXPECT_EQ(pool.blockSize(), 1024u);
  void* blocks[5];
  for (void*& b : blocks) {
    b = pool.take();
    ASSERT_NE(b, nullptr);
    EXPECT_TRUE(isAligned(b, 16));
    memset(b, 0x5a, 1024);
  }
  EXPECT_EQ(pool.outstanding(), 5u);
  EXPECT_EQ(pool.cached(), 0u);
  for (void* b : blocks) pool.give(b);
  EXPECT_EQ(pool.outstanding(), 0u);
  EXPECT_EQ(pool.cached(), 2u);  // the other three went back to mimalloc
  // The cache is LIFO: the two first given (and kept) come back, latest first.
  void* a = pool.take();
  void* b = pool.take();
  EXPECT_EQ(a, blocks[1]);
  EXPECT_EQ(b, blocks[0]);
  EXPECT_EQ(pool.cached(), 0u);
  EXPECT_EQ(pool.outstanding(), 2u);
  pool.give(a);
  pool.give(b);
}

TEST(BlockPoolTest, ZeroMaxCachedFreesEveryBlock) {
  BlockPool pool(256, 0);
  for (int i = 0; i < 100; ++i) pool.give(pool.take());
  EXPECT_EQ(pool.cached(), 0u);
  EXPECT_EQ(pool.outstanding(), 0u);
}

TEST(BlockPoolTest, HeapsShareThePoolsBlocks) {
  BlockPool pool(1024, 8);
  {
    RequestHeap a(pool);
    for (int i = 0; i < 20 * 4; ++i) a.allocate(200);  // 4 per block -> 20 blocks
    EXPECT_EQ(pool.outstanding(), 20u);
    a.release();
    EXPECT_EQ(pool.outstanding(), 0u);
    EXPECT_EQ(pool.cached(), 8u);  // bounded
    RequestHeap b(pool);
    b.allocate(100);
    RequestHeap c(pool);
    c.allocate(100);
    EXPECT_EQ(pool.outstanding(), 2u);
    EXPECT_EQ(pool.cached(), 6u);
  }
  EXPECT_EQ(pool.outstanding(), 0u);
  EXPECT_EQ(pool.cached(), 8u);
}

TEST(HeapBufferTest, GrowsToTensOfMiBWithContentsIntact) {
  BlockPool pool;
  RequestHeap heap(pool);
  HeapBuffer buf(heap);
  constexpr size_t kPiece = 16 * 1024;
  constexpr size_t kTotal = 50 * kMiB;
  std::vector<char> piece(kPiece);
  size_t maxReserved = 0;
  for (uint32_t i = 0; i < kTotal / kPiece; ++i) {
    fill(piece.data(), kPiece, i);
    buf.append(piece.data(), kPiece);
    ASSERT_EQ(buf.size(), (i + 1) * kPiece);
    ASSERT_GE(buf.capacity(), buf.size());
    maxReserved = std::max(maxReserved, heap.bytesReserved());
  }
  for (uint32_t i = 0; i < kTotal / kPiece; ++i) {
    ASSERT_TRUE(holds(buf.data() + i * kPiece, kPiece, i)) << "piece " << i;
  }
  // Held at any point between appends: the live storage plus at most a block of arena.
  EXPECT_LE(maxReserved, kTotal * 2);
  EXPECT_LE(heap.bytesReserved(), kTotal * 3 / 2 + 64 * 1024);
  EXPECT_EQ(buf.view().size(), kTotal);
}

// A field of /proc/self/status in bytes ("VmRSS", "VmHWM"), 0 if unreadable.
size_t procStatusBytes(const char* key) {
  FILE* f = fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  size_t kib = 0;
  const size_t keyLen = strlen(key);
  while (fgets(line, sizeof line, f) != nullptr) {
    if (strncmp(line, key, keyLen) == 0 && line[keyLen] == ':') {
      kib = strtoull(line + keyLen + 1, nullptr, 10);
      break;
    }
  }
  fclose(f);
  return kib * 1024;
}

// Resets VmHWM (peak RSS) to the current RSS (Linux >= 4.0).
bool resetPeakResident() {
  FILE* f = fopen("/proc/self/clear_refs", "w");
  if (f == nullptr) return false;
  bool ok = fputs("5", f) >= 0;
  return fclose(f) == 0 && ok;
}

// Peak resident memory while appending a 50 MiB body. Growth by copying (mi_realloc) peaks
// near 2x (old and new copy both resident); mremap moves pages, so the peak is ~1x.
TEST(HeapBufferTest, LargeBodyPeakResidentMemoryStaysNearItsSize) {
  if (!resetPeakResident()) GTEST_SKIP() << "cannot reset VmHWM through /proc/self/clear_refs";
  const size_t before = procStatusBytes("VmRSS");
  if (before == 0 || procStatusBytes("VmHWM") > before + kMiB) GTEST_SKIP() << "no VmHWM reset";
  constexpr size_t kTotal = 50 * kMiB;
  {
    BlockPool pool;
    RequestHeap heap(pool);
    HeapBuffer buf(heap);
    std::vector<char> piece(16 * 1024, 'b');
    for (size_t done = 0; done < kTotal; done += piece.size()) {
      buf.append(piece.data(), piece.size());
    }
    EXPECT_EQ(buf.size(), kTotal);
  }
  const size_t growth = procStatusBytes("VmHWM") - before;
  printf("peak RSS growth for a %zu MiB body: %.1f MiB\n", kTotal / kMiB,
         static_cast<double>(growth) / kMiB);
  EXPECT_LE(growth, kTotal * 3 / 2);
}

// Several large buffers and big allocations interleaved: each growth may move a list node
// (mi_realloc, then mmap, then mremap) while its neighbours are large allocations too.
TEST(HeapBufferTest, InterleavedLargeBuffersKeepTheHeapConsistent) {
  BlockPool pool;
  RequestHeap heap(pool);
  size_t rssAfterFirstRound = 0;
  for (int round = 0; round < 20; ++round) {
    std::vector<HeapBuffer> bufs;
    for (int i = 0; i < 3; ++i) bufs.emplace_back(heap);
    std::vector<char> piece(8 * 1024);
    for (uint32_t step = 0; step < 384; ++step) {  // 3 MiB per buffer
      HeapBuffer& b = bufs[step % 3];
      fill(piece.data(), piece.size(), step);
      b.append(piece.data(), piece.size());
      if (step % 64 == 0) fill(heap.allocate(20000), 20000, step);
    }
    for (int i = 0; i < 3; ++i) {
      ASSERT_EQ(bufs[i].size(), 128u * 8 * 1024);
      for (uint32_t k = 0; k < 128; ++k) {
        ASSERT_TRUE(holds(bufs[i].data() + k * piece.size(), piece.size(), k * 3 + i));
      }
    }
    heap.release();
    EXPECT_EQ(heap.bytesReserved(), 0u);
    if (round == 0) rssAfterFirstRound = procStatusBytes("VmRSS");
  }
  // Nothing leaked across rounds: a lost node would keep ~3 MiB per round.
  EXPECT_LT(procStatusBytes("VmRSS"), rssAfterFirstRound + 16 * kMiB);
}

TEST(HeapBufferTest, SmallBufferStaysInTheArena) {
  BlockPool pool;
  RequestHeap heap(pool);
  HeapBuffer buf(heap);
  std::string want;
  for (int i = 0; i < 200; ++i) {
    std::string piece = std::to_string(i) + ",";
    buf.append(piece.data(), piece.size());
    want += piece;
  }
  EXPECT_EQ(buf.view(), want);
  // It grew in place at the end of the block: no abandoned copies, one block.
  EXPECT_EQ(pool.outstanding(), 1u);
  EXPECT_EQ(heap.bytesAllocated(), buf.capacity());
  buf.clear();
  EXPECT_EQ(buf.size(), 0u);
  EXPECT_GE(buf.capacity(), want.size());
  buf.append("x", 1);
  EXPECT_EQ(buf.view(), "x");
  buf.append(nullptr, 0);  // a no-op, not a memcpy from null
  EXPECT_EQ(buf.size(), 1u);
}

TEST(HeapBufferTest, AppendFromItselfSurvivesGrowth) {
  BlockPool pool;
  RequestHeap heap(pool);
  HeapBuffer buf(heap);
  buf.append("ab", 2);
  std::string want = "ab";
  // Doubling by appending the buffer to itself crosses into mimalloc and then mi_realloc.
  while (buf.size() < 4 * kMiB) {
    heap.allocate(8);  // keep the buffer from being the arena's latest allocation
    buf.append(buf.data(), buf.size());
    want += want;
  }
  EXPECT_EQ(buf.view(), want);
  // Appending a suffix of itself.
  buf.append(buf.data() + buf.size() - 3, 3);
  want += want.substr(want.size() - 3);
  EXPECT_EQ(buf.view(), want);
}

TEST(HeapBufferTest, ReserveAndMove) {
  BlockPool pool;
  RequestHeap heap(pool);
  HeapBuffer a(heap);
  a.reserve(100);
  EXPECT_GE(a.capacity(), 100u);
  a.append("hello", 5);
  a.reserve(64 * 1024);
  EXPECT_GE(a.capacity(), 64u * 1024);
  EXPECT_EQ(a.view(), "hello");
  const char* storage = a.data();
  a.reserve(10);  // never shrinks
  EXPECT_EQ(a.data(), storage);

  HeapBuffer b(std::move(a));
  EXPECT_EQ(b.view(), "hello");
  EXPECT_EQ(b.data(), storage);
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(a.capacity(), 0u);
  a.append("again", 5);
  EXPECT_EQ(a.view(), "again");

  HeapBuffer c(heap);
  c = std::move(b);
  EXPECT_EQ(c.view(), "hello");
  c.append(std::string(200000, 'z').data(), 200000);
  EXPECT_EQ(c.size(), 200005u);
  EXPECT_EQ(c.view().substr(0, 5), "hello");
}

TEST(RequestHeapTest, CopyOwnsItsBytes) {
  BlockPool pool(1024);
  RequestHeap heap(pool);
  EXPECT_TRUE(heap.copy({}).empty());
  std::string source = "content-type: text/plain";
  std::string_view copied = heap.copy(source);
  EXPECT_EQ(copied, source);
  EXPECT_NE(copied.data(), source.data());
  source.assign(source.size(), '?');
  EXPECT_EQ(copied, "content-type: text/plain");
  // Bigger than a block: goes to the side, still a faithful copy.
  std::string big(10000, 'q');
  big[5000] = '!';
  std::string_view bigCopy = heap.copy(big);
  EXPECT_EQ(bigCopy, big);
  EXPECT_EQ(heap.bytesAllocated(), source.size() + big.size());
}

using RequestHeapDeathTest = ::testing::Test;

TEST_F(RequestHeapDeathTest, OutOfMemoryAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  BlockPool pool;
  RequestHeap heap(pool);
  EXPECT_DEATH(heap.allocate(SIZE_MAX - 8), "out of memory");
  EXPECT_DEATH(heap.allocate(size_t{1} << 62), "out of memory");
  HeapBuffer buf(heap);
  EXPECT_DEATH(buf.reserve(size_t{1} << 62), "out of memory");
}

TEST_F(RequestHeapDeathTest, BadAlignmentAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  BlockPool pool;
  RequestHeap heap(pool);
  volatile size_t align = 24;  // a runtime value: the check in the inline fast path fires
  EXPECT_DEATH(heap.allocate(8, align), "CHECK failed");
}

TEST_F(RequestHeapDeathTest, DestroyingAPoolWithBlocksOutAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto* pool = new BlockPool;
        pool->take();
        delete pool;
      },
      "still uses it");
}

#if TORUS_ALLOC_ASAN
TEST_F(RequestHeapDeathTest, UseAfterReleaseIsCaughtByAsan) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  BlockPool pool;
  RequestHeap heap(pool);
  auto* p = static_cast<volatile char*>(heap.allocate(32));
  p[0] = 1;
  heap.release();
  EXPECT_DEATH(p[0] = 2, "use-after-poison");
  // Past the last allocation, within the block, is poisoned too.
  auto* q = static_cast<volatile char*>(heap.allocate(32));
  EXPECT_DEATH(q[40] = 2, "use-after-poison");
}
#endif

}  // namespace
}  // namespace torus::alloc
