// The form body parsers of js/api/multipart.cc: multipart/form-data framing, headers and
// parameters, RFC 5987 filenames, limits; application/x-www-form-urlencoded; Content-Type.
#include "js/api/multipart.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace torus::js::multipart {
namespace {

using namespace std::string_literals;

std::string content(std::string_view body, const Part& p) {
  return std::string(body.substr(p.bodyOffset, p.bodyLength));
}

TEST(MultipartFormType, PicksTheParser) {
  EXPECT_EQ(formType("application/x-www-form-urlencoded").kind, FormKind::kUrlencoded);
  EXPECT_EQ(formType(" Application/X-WWW-Form-Urlencoded ; charset=UTF-8").kind,
            FormKind::kUrlencoded);
  FormType t = formType("multipart/form-data; boundary=abc");
  EXPECT_EQ(t.kind, FormKind::kMultipart);
  EXPECT_EQ(t.boundary, "abc");
  t = formType("MULTIPART/Form-Data;charset=x; BOUNDARY=\"a b;c\"");
  EXPECT_EQ(t.kind, FormKind::kMultipart);
  EXPECT_EQ(t.boundary, "a b;c");
  EXPECT_EQ(formType("multipart/form-data").kind, FormKind::kNone);
  EXPECT_EQ(formType("multipart/form-data; boundary=").kind, FormKind::kNone);
  EXPECT_EQ(formType("multipart/form-data; boundary=" + std::string(201, 'x')).kind,
            FormKind::kNone);
  EXPECT_EQ(formType("multipart/mixed; boundary=abc").kind, FormKind::kNone);
  EXPECT_EQ(formType("text/plain").kind, FormKind::kNone);
  EXPECT_EQ(formType("").kind, FormKind::kNone);
  EXPECT_EQ(formType("/form-data").kind, FormKind::kNone);
}

TEST(Multipart, ParsesFieldsAndFiles) {
  std::string body =
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"field\"\r\n"
      "\r\n"
      "value 1\r\n"
      "--XyZ\r\n"
      "content-disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
      "Content-Type: text/plain\r\n"
      "\r\n"
      "line1\r\nline2\r\n"
      "--XyZ--\r\n";
  auto parts = parse(body, "XyZ");
  ASSERT_TRUE(parts.ok()) << parts.error();
  ASSERT_EQ(parts->size(), 2u);
  const Part& a = (*parts)[0];
  EXPECT_EQ(a.name, "field");
  EXPECT_FALSE(a.isFile);
  EXPECT_EQ(content(body, a), "value 1");
  const Part& b = (*parts)[1];
  EXPECT_EQ(b.name, "file");
  EXPECT_TRUE(b.isFile);
  EXPECT_EQ(b.filename, "a.txt");
  EXPECT_TRUE(b.hasContentType);
  EXPECT_EQ(b.contentType, "text/plain");
  EXPECT_EQ(content(body, b), "line1\r\nline2");
}

TEST(Multipart, EmptyFormAndEmptyValues) {
  auto parts = parse("--b--\r\n", "b");
  ASSERT_TRUE(parts.ok());
  EXPECT_TRUE(parts->empty());
  std::string body = "--b\r\nContent-Disposition: form-data; name=\"\"\r\n\r\n\r\n--b--";
  parts = parse(body, "b");
  ASSERT_TRUE(parts.ok()) << parts.error();
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].name, "");
  EXPECT_EQ((*parts)[0].bodyLength, 0u);
}

TEST(Multipart, PreambleEpilogueAndPadding) {
  std::string body =
      "preamble line\r\nanother with --b inside\r\n"
      "--b  \t\r\nContent-Disposition: form-data; name=x\r\n\r\n1\r\n"
      "--b--\r\nepilogue\r\n--b\r\nignored";
  auto parts = parse(body, "b");
  ASSERT_TRUE(parts.ok()) << parts.error();
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].name, "x");
  EXPECT_EQ(content(body, (*parts)[0]), "1");
}

TEST(Multipart, QuotedNamesAndEscapes) {
  std::string body =
      "--b\r\nContent-Disposition: form-data; name=\"a%22b%0D%0Ac\"; filename=\"x\\\"y%0a.txt\"\r\n"
      "\r\nv\r\n"
      "--b\r\nContent-Disposition: form-data; filename=\"C:\\dir\\f.txt\"; name=\"semi;colon\"\r\n"
      "\r\nw\r\n"
      "--b\r\nContent-Disposition: FORM-DATA ; NAME = bare ; other=\"q\"\r\n\r\nz\r\n--b--";
  auto parts = parse(body, "b");
  ASSERT_TRUE(parts.ok()) << parts.error();
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0].name, "a\"b\r\nc");
  EXPECT_EQ((*parts)[0].filename, "x\"y\n.txt");
  EXPECT_EQ((*parts)[1].name, "semi;colon");
  EXPECT_EQ((*parts)[1].filename, "C:\\dir\\f.txt");
  EXPECT_EQ((*parts)[2].name, "bare");
  EXPECT_FALSE((*parts)[2].isFile);
}

TEST(Multipart, Rfc5987Filenames) {
  std::string body =
      "--b\r\nContent-Disposition: form-data; name=f; filename=\"fallback.txt\"; "
      "filename*=UTF-8''%E2%82%AC%20rates.txt\r\n\r\nx\r\n"
      "--b\r\nContent-Disposition: form-data; name=g; filename*=iso-8859-1'en'%A3.txt\r\n\r\ny\r\n"
      "--b\r\nContent-Disposition: form-data; name=h; filename=\"plain\"; "
      "filename*=KOI8-R''%C1\r\n\r\nz\r\n--b--";
  auto parts = parse(body, "b");
  ASSERT_TRUE(parts.ok()) << parts.error();
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0].filename, "\xE2\x82\xAC rates.txt");
  EXPECT_TRUE((*parts)[1].isFile);
  EXPECT_EQ((*parts)[1].filename, "\xC2\xA3.txt");
  EXPECT_EQ((*parts)[2].filename, "plain");  // an unknown charset falls back
}

TEST(Multipart, BinaryContentAndLookalikeDelimiters) {
  std::string bin = "\0\r\n--\r\n-b\r--b"s;  // no "\r\n--b" inside
  std::string body = "--b\r\nContent-Disposition: form-data; name=f; filename=\"\"\r\n\r\n" +
                     bin + "\r\n--b--";
  auto parts = parse(body, "b");
  ASSERT_TRUE(parts.ok()) << parts.error();
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_TRUE((*parts)[0].isFile);
  EXPECT_EQ((*parts)[0].filename, "");
  EXPECT_FALSE((*parts)[0].hasContentType);
  EXPECT_EQ(content(body, (*parts)[0]), bin);
}

TEST(Multipart, MalformedBodies) {
  const char* kHead = "Content-Disposition: form-data; name=a\r\n\r\n";
  for (const std::string& body : std::vector<std::string>{
           ""s,
           "no delimiter at all"s,
           "--b\r\n"s + kHead + "v",                          // no close delimiter
           "--b\r\n"s + kHead + "v\r\n--b",                   // delimiter, then the end
           "--b\r\n"s + kHead + "v\r\n--bx\r\n",              // junk after a delimiter
           "--b\nContent-Disposition: form-data; name=a\n\nv\n--b--",  // bare LFs
           "--b\r\nContent-Disposition form-data\r\n\r\nv\r\n--b--",   // no colon
           "--b\r\nContent-Type: text/plain\r\n\r\nv\r\n--b--",        // no disposition
           "--b\r\nContent-Disposition: form-data; filename=x\r\n\r\nv\r\n--b--",  // no name
           "--b\r\nContent-Disposition: attachment; name=a\r\n\r\nv\r\n--b--",
           "--b\r\nContent-Disposition: form-data; name=a\r\n",   // headers never end
       }) {
    auto parts = parse(body, "b");
    ASSERT_FALSE(parts.ok()) << body;
    EXPECT_EQ(parts.error(), kMalformed) << body;
  }
}

TEST(Multipart, Limits) {
  std::string part = "--b\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n";
  std::string body;
  for (int i = 0; i < 4; ++i) body += part;
  body += "--b--";
  Limits limits;
  limits.maxParts = 4;
  EXPECT_TRUE(parse(body, "b", limits).ok());
  limits.maxParts = 3;
  auto r = parse(body, "b", limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "Failed to parse body as FormData: the body has too many parts (the limit is 3).");

  limits = Limits();
  limits.maxHeaderBytes = 40;
  r = parse(body, "b", limits);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("headers are too large (the limit is 40)"), std::string::npos);

  limits = Limits();
  limits.maxBodyBytes = body.size() - 1;
  r = parse(body, "b", limits);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("the body is too large"), std::string::npos);
}

TEST(Urlencoded, Parses) {
  auto pairs = parseUrlencoded("a=1&b=x+y%20z&&c&=e&%E2%82%AC=%zz&d=%2");
  ASSERT_TRUE(pairs.ok());
  ASSERT_EQ(pairs->size(), 6u);
  EXPECT_EQ((*pairs)[0], std::make_pair("a"s, "1"s));
  EXPECT_EQ((*pairs)[1], std::make_pair("b"s, "x y z"s));
  EXPECT_EQ((*pairs)[2], std::make_pair("c"s, ""s));
  EXPECT_EQ((*pairs)[3], std::make_pair(""s, "e"s));
  EXPECT_EQ((*pairs)[4], std::make_pair("\xE2\x82\xAC"s, "%zz"s));
  EXPECT_EQ((*pairs)[5], std::make_pair("d"s, "%2"s));
  EXPECT_TRUE(parseUrlencoded("")->empty());
  Limits limits;
  limits.maxParts = 2;
  auto r = parseUrlencoded("a&b&c", limits);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("too many name=value pairs (the limit is 2)"), std::string::npos);
}

}  // namespace
}  // namespace torus::js::multipart
