// The random pool and UUID formatting behind crypto (js/api/crypto_random.cc).
#include "js/api/crypto_random.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <string>

#include "tests/js/realm_fixture.h"

namespace torus::js {
namespace {

TEST(RandomPool, ServesSmallRequestsAndWipesWhatItServed) {
  RandomPool pool;
  uint8_t a[16], b[16];
  ASSERT_TRUE(pool.take(a, sizeof a));
  ASSERT_TRUE(pool.take(b, sizeof b));
  EXPECT_NE(memcmp(a, b, 16), 0);
  EXPECT_EQ(pool.used, 32u);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(pool.bytes[i], 0) << i;
}

TEST(RandomPool, RefillsWhenEmptyAndBypassesForLargeRequests) {
  RandomPool pool;
  uint8_t out[kPoolBytes / 16];
  for (size_t i = 0; i < 17; ++i) ASSERT_TRUE(pool.take(out, sizeof out));
  EXPECT_EQ(pool.used, sizeof out);  // the 17th refilled
  std::string big(kPoolBytes * 2, '\0');
  uint32_t before = pool.used;
  ASSERT_TRUE(pool.take(reinterpret_cast<uint8_t*>(big.data()), big.size()));
  EXPECT_EQ(pool.used, before);
  EXPECT_NE(big, std::string(big.size(), '\0'));
}

TEST(Uuid, SetsVersionAndVariant) {
  uint8_t bytes[16];
  memset(bytes, 0xff, sizeof bytes);
  char text[36];
  formatUuidV4(bytes, text);
  EXPECT_EQ(std::string(text, 36), "ffffffff-ffff-4fff-bfff-ffffffffffff");
  memset(bytes, 0, sizeof bytes);
  formatUuidV4(bytes, text);
  EXPECT_EQ(std::string(text, 36), "00000000-0000-4000-8000-000000000000");
}

// Why the pool: one getrandom(2) per 16 bytes against the pool (printed, not asserted).
TEST(RandomPool, CostAgainstOneSyscallPerRequest) {
  constexpr int kIterations = 20000;
  uint8_t out[16];
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kIterations; ++i) ASSERT_TRUE(fillFromKernel(out, sizeof out));
  auto t1 = std::chrono::steady_clock::now();
  RandomPool pool;
  for (int i = 0; i < kIterations; ++i) ASSERT_TRUE(pool.take(out, sizeof out));
  auto t2 = std::chrono::steady_clock::now();
  auto ns = [](auto d) { return std::chrono::duration<double, std::nano>(d).count() / kIterations; };
  printf("getrandom per 16 bytes: %.0f ns; pool: %.0f ns\n", ns(t1 - t0), ns(t2 - t1));
}

class CryptoRandomTest : public RealmTest {};

TEST_F(CryptoRandomTest, GetRandomValuesAndRandomUuidFromJs) {
  EXPECT_EQ(run("crypto.getRandomValues(new Uint8Array(1000)).some(x => x)"), "true");
  EXPECT_EQ(run("crypto.randomUUID().length"), "36");
  EXPECT_EQ(run("try { crypto.getRandomValues(new Float64Array(1)) } catch (e) { e.name }"),
            "TypeMismatchError");
}

}  // namespace
}  // namespace torus::js
