#include "js/api/url.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/js/realm_fixture.h"

namespace torus::js {
namespace {

std::string parsed(std::string_view input, std::optional<std::string_view> base = std::nullopt) {
  return parseUrl(input, base).value_or("<failure>");
}

std::string set(std::string_view href, UrlAction action, std::string_view value) {
  return setUrlComponent(href, action, value).value_or("<refused>");
}

TEST(ParseUrl, ParsesAndResolves) {
  EXPECT_EQ(parsed("HTTP://EX.com:80/a/../b"), "http://ex.com/b");
  EXPECT_EQ(parsed("../c?d", "https://h/a/b"), "https://h/c?d");
  EXPECT_EQ(parsed("x"), "<failure>");
  EXPECT_EQ(parsed("x", "nope"), "<failure>");
}

// The rules url.cc adds to ada 2.7.8.
TEST(ParseUrl, AsciiDomainsPassThroughLowercased) {
  EXPECT_EQ(parsed("https://XN--A.example/"), "https://xn--a.example/");
  EXPECT_EQ(parsed("https://xn--/"), "https://xn--/");
  EXPECT_EQ(parsed("https://a%25b/"), "<failure>") << "forbidden code points still fail";
}

TEST(ParseUrl, OpaquePathKeepsItsLastSpaceBeforeQueryOrFragment) {
  EXPECT_EQ(parsed("sc:a  ?q"), "sc:a %20?q");
  EXPECT_EQ(parsed("sc:a #f"), "sc:a%20#f");
  EXPECT_EQ(parsed("sc:a b"), "sc:a b");
}

TEST(ParseUrl, CaretIsInThePathPercentEncodeSet) {
  EXPECT_EQ(parsed("https://h/a^b?c^#d^"), "https://h/a%5Eb?c^#d^");
  EXPECT_EQ(parsed("sc:a^b"), "sc:a^b") << "opaque paths use the C0 control set";
}

TEST(ParseUrl, RefusesOverlongInput) {
  std::string huge = "https://h/" + std::string(kMaxUrlInputBytes, 'a');
  EXPECT_EQ(parsed(huge), "<failure>");
}

TEST(SetUrlComponent, Setters) {
  EXPECT_EQ(set("https://h/", UrlAction::kHref, "nope"), "<refused>");
  EXPECT_EQ(set("https://h/", UrlAction::kPathname, "/a b"), "https://h/a%20b");
  EXPECT_EQ(set("https://h/", UrlAction::kSearch, "q=1"), "https://h/?q=1");
  EXPECT_EQ(set("https://h/?q#f", UrlAction::kHash, ""), "https://h/?q");
}

TEST(SetUrlComponent, TabsAndNewlinesAreRemovedExceptInCredentials) {
  EXPECT_EQ(set("https://h:3000/", UrlAction::kPort, "\n8\t0\r"), "https://h:80/");
  EXPECT_EQ(set("https://h:3000/", UrlAction::kPort, "\t\n"), "<refused>")
      << "only the empty string clears a port";
  EXPECT_EQ(set("https://h:3000/", UrlAction::kPort, ""), "https://h/");
  EXPECT_EQ(set("https://h/", UrlAction::kUsername, "a\tb"), "https://a%09b@h/");
}

TEST(SetUrlComponent, HostStartingWithAColonIsRefused) {
  EXPECT_EQ(set("foo://path/to", UrlAction::kHost, ":80"), "<refused>");
  EXPECT_EQ(set("foo://path/to", UrlAction::kHost, "\t:80"), "<refused>");
}

TEST(SetUrlComponent, DotDotPathnameLeavesOneEmptySegment) {
  EXPECT_EQ(set("foo://path/to", UrlAction::kPathname, "/.."), "foo://path/");
  EXPECT_EQ(set("foo://path/to", UrlAction::kPathname, ""), "foo://path");
}

TEST(SetUrlComponent, RemovingTheQueryOfAnOpaquePathKeepsItsSpace) {
  EXPECT_EQ(set("sc:space%20?query", UrlAction::kSearch, ""), "sc:space%20");
  std::string fromParse = parsed("sc:space ?query");
  EXPECT_EQ(set(fromParse, UrlAction::kSearch, ""), "sc:space%20");
  EXPECT_EQ(set("sc:space", UrlAction::kHash, " x "), "sc:space#%20x%20");
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST(ParseUrlencoded, SplitsDecodesAndSkipsEmptySequences) {
  EXPECT_EQ(parseUrlencoded("a=1&&b=2+3&c&=d&e=f=g"),
            (Pairs{{"a", "1"}, {"b", "2 3"}, {"c", ""}, {"", "d"}, {"e", "f=g"}}));
  EXPECT_EQ(parseUrlencoded("%41%2b%2B+%zz%4=%e2%82%ac"),
            (Pairs{{"A++ %zz%4", "\xe2\x82\xac"}}));
  EXPECT_EQ(parseUrlencoded(""), Pairs{});
  EXPECT_EQ(parseUrlencoded("&&"), Pairs{});
  EXPECT_EQ(parseUrlencoded("%"), (Pairs{{"%", ""}}));
}

class UrlNativesTest : public RealmTest {};

// The urlencoded parser as the built-ins get it: invalid UTF-8 after decoding becomes U+FFFD
TEST_F(UrlNativesTest, UrlencodedDecodesWithReplacement) {
  EXPECT_EQ(run("JSON.stringify([...new URLSearchParams('%C2=%FF%FE&%EF%BB%BFa=1')])"),
            "[[\"\xEF\xBF\xBD\",\"\xEF\xBF\xBD\xEF\xBF\xBD\"],[\"\xEF\xBB\xBF"
            "a\",\"1\"]]");
}

TEST_F(UrlNativesTest, ComponentsAreSlicesOfTheHref) {
  EXPECT_EQ(run("const u = new URL('ws://u:p@h:1/p?q#f');"
                "[u.protocol, u.username, u.password, u.host, u.pathname, u.search, u.hash]"
                ".join(' ')"),
            "ws: u p h:1 /p ?q #f");
}

}  // namespace
}  // namespace torus::js
