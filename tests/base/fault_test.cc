// The fault plan's grammar (base/fault.h): which calls a rule covers, and the errors for a
// plan that does not parse.
#include "base/fault.h"

#include <cerrno>

#include <gtest/gtest.h>

namespace torus::fault {
namespace {

struct Reset {
  ~Reset() { (void)configure(""); }
};

TEST(Fault, NothingWithoutAPlan) {
  Reset reset;
  ASSERT_TRUE(configure("").ok());
  EXPECT_EQ(describe(), "");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(at(Point::kSend).kind, Kind::kNone);
}

TEST(Fault, RulesCoverTheirCalls) {
  Reset reset;
  ASSERT_TRUE(configure("send=short@2+2,send=EPIPE@5,crypto_job=hang@3+").ok());
  EXPECT_EQ(describe(), "send=short@2+2,send=EPIPE@5,crypto_job=hang@3+");
  std::vector<Kind> sends;
  for (int i = 0; i < 6; ++i) sends.push_back(at(Point::kSend).kind);
  EXPECT_EQ(sends, (std::vector<Kind>{Kind::kNone, Kind::kShort, Kind::kShort, Kind::kNone,
                                      Kind::kError, Kind::kNone}));
  // Each point counts its own calls.
  std::vector<Kind> jobs;
  for (int i = 0; i < 5; ++i) jobs.push_back(at(Point::kCryptoJob).kind);
  EXPECT_EQ(jobs, (std::vector<Kind>{Kind::kNone, Kind::kNone, Kind::kHang, Kind::kHang,
                                     Kind::kHang}));
  // A new plan starts counting again.
  ASSERT_TRUE(configure("send=ECONNRESET").ok());
  for (int i = 0; i < 3; ++i) {
    Action a = at(Point::kSend);
    EXPECT_EQ(a.kind, Kind::kError);
    EXPECT_EQ(a.error, ECONNRESET);
  }
}

TEST(Fault, BadPlansNameTheRule) {
  Reset reset;
  ASSERT_TRUE(configure("send=short").ok());
  struct Case {
    const char* spec;
    const char* message;
  } cases[] = {
      {"send", "rule 'send': expected point=action[@first[+count]]"},
      {"recv=short", "rule 'recv=short': unknown point (send, crypto_job)"},
      {"send=EAGAIN", "rule 'send=EAGAIN': unknown action"},
      {"send=hang", "rule 'send=hang': send takes short or an errno"},
      {"crypto_job=short", "rule 'crypto_job=short': crypto_job takes hang"},
      {"send=short@0", "the call number after '@' must be a positive integer"},
      {"send=short@x", "the call number after '@' must be a positive integer"},
      {"send=short@1+0", "the count after '+' must be a positive integer"},
      {"send=short,send=short@2+y", "rule 'send=short@2+y': the count after '+'"},
  };
  for (const Case& c : cases) {
    Result<void> r = configure(c.spec);
    ASSERT_FALSE(r.ok()) << c.spec;
    EXPECT_NE(r.error().find(c.message), std::string::npos) << r.error();
  }
  // A plan that does not parse leaves the one in force.
  EXPECT_EQ(describe(), "send=short");
  EXPECT_EQ(at(Point::kSend).kind, Kind::kShort);
}

}  // namespace
}  // namespace torus::fault
