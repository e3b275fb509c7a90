// The Encoding Standard's decoders and UTF-8 encoder (js/api/encoding.cc) and
// forgiving-base64 (js/api/base64.cc), called directly; the JS surface is tested by
// tests/integration/js/encoding.test.js and the WPT encoding area.
#include "js/api/encoding.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "js/api/base64.h"

namespace torus::js {
namespace {

using encoding::DecoderState;
using encoding::Encoding;

// Decodes bytes in one call (fatal: "ERROR" on an error).
std::u16string decodeAll(Encoding e, const std::vector<uint8_t>& in, bool fatal = false) {
  DecoderState s{};
  std::u16string out(encoding::maxDecodedLength(e, in.size()), u'\0');
  ptrdiff_t n = encoding::decode(e, s, in.data(), in.size(), true, fatal, out.data());
  if (n < 0) return u"ERROR";
  out.resize(size_t(n));
  return out;
}

// Decodes bytes split into pieces at each position of `cuts`, streaming.
std::u16string decodeSplit(Encoding e, const std::vector<uint8_t>& in, std::vector<size_t> cuts) {
  DecoderState s{};
  std::u16string result;
  size_t pos = 0;
  cuts.push_back(in.size());
  for (size_t cut : cuts) {
    std::u16string out(encoding::maxDecodedLength(e, cut - pos), u'\0');
    bool last = cut == in.size();
    ptrdiff_t n = encoding::decode(e, s, in.data() + pos, cut - pos, last, false, out.data());
    EXPECT_GE(n, 0);
    result.append(out.data(), size_t(n));
    pos = cut;
  }
  return result;
}

TEST(EncodingLabels, TrimAndCaseFold) {
  EXPECT_EQ(encoding::encodingForLabel("utf-8"), Encoding::kUtf8);
  EXPECT_EQ(encoding::encodingForLabel(" \t\n\f\rUTF8 \n"), Encoding::kUtf8);
  EXPECT_EQ(encoding::encodingForLabel("Latin1"), Encoding::kWindows1252);
  EXPECT_EQ(encoding::encodingForLabel("ascii"), Encoding::kWindows1252);
  EXPECT_EQ(encoding::encodingForLabel("iso-8859-11"), Encoding::kWindows874);
  EXPECT_EQ(encoding::encodingForLabel("utf-16"), Encoding::kUtf16le);
  EXPECT_EQ(encoding::encodingForLabel("x-user-defined"), Encoding::kXUserDefined);
  EXPECT_EQ(encoding::encodingForLabel("iso-2022-kr"), Encoding::kReplacement);
  EXPECT_EQ(encoding::encodingForLabel("replacement"), std::nullopt);  // a name, no label
  EXPECT_EQ(encoding::encodingForLabel("utf-7"), std::nullopt);
  EXPECT_EQ(encoding::encodingForLabel("utf\v8"), std::nullopt);  // VT is no ASCII whitespace
  EXPECT_EQ(encoding::encodingForLabel(""), std::nullopt);
  EXPECT_EQ(encoding::encodingForLabel(std::string(100, 'a')), std::nullopt);
  // Non-ASCII letters do not fold (U+0130 and U+212A in UTF-8).
  EXPECT_EQ(encoding::encodingForLabel("\xc4\xb0so-8859-2"), std::nullopt);
  EXPECT_STREQ(encoding::encodingName(Encoding::kShiftJis), "shift_jis");
  EXPECT_STREQ(encoding::encodingName(Encoding::kIso8859_8I), "iso-8859-8-i");
}

TEST(Utf8Decoder, MaximalSubpartReplacement) {
  // The Unicode "U+FFFD substitution of maximal subparts" cases the standard follows.
  EXPECT_EQ(decodeAll(Encoding::kUtf8, {0x61, 0xF1, 0x80, 0x80, 0xE1, 0x80, 0xC2, 0x62, 0x80,
                                        0x63, 0x80, 0xBF, 0x64}),
            u"a\uFFFD\uFFFD\uFFFDb\uFFFDc\uFFFD\uFFFDd");
  EXPECT_EQ(decodeAll(Encoding::kUtf8, {0xE0, 0x80, 0x80}), u"\uFFFD\uFFFD\uFFFD");  // overlong
  EXPECT_EQ(decodeAll(Encoding::kUtf8, {0xED, 0xA0, 0x80}), u"\uFFFD\uFFFD\uFFFD");  // surrogate
  EXPECT_EQ(decodeAll(Encoding::kUtf8, {0xF4, 0x90, 0x80, 0x80}),
            u"\uFFFD\uFFFD\uFFFD\uFFFD");  // above U+10FFFF
  EXPECT_EQ(decodeAll(Encoding::kUtf8, {0xF0, 0x9F, 0x98}), u"\uFFFD");  // truncated at EOF
  EXPECT_EQ(decodeAll(Encoding::kUtf8, {0xC0, 0xAF, 0xFE, 0xFF}), u"\uFFFD\uFFFD\uFFFD\uFFFD");
  EXPECT_EQ(decodeAll(Encoding::kUtf8, {0xF0, 0x9F, 0x98, 0x80}), u"\U0001F600");
  EXPECT_EQ(decodeAll(Encoding::kUtf8, {0xEF, 0xBF, 0xBF}), u"\uFFFF");
  EXPECT_EQ(decodeAll(Encoding::kUtf8, {0xC3, 0xA9}, true), u"\u00E9");
  EXPECT_EQ(decodeAll(Encoding::kUtf8, {0xC3}, true), u"ERROR");
  EXPECT_EQ(decodeAll(Encoding::kUtf8, {0x80}, true), u"ERROR");
}

TEST(Utf8Decoder, StreamingSplitsAtEveryPosition) {
  // ASCII runs (the 8-byte fast path), 2-, 3- and 4-byte sequences and errors.
  std::vector<uint8_t> in = {'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 0xC3, 0xA9, 0xE2,
                             0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80, 0xF0, 0x9F, 'x', 0xED, 0xBF,
                             0xBF, 'y', 0xC3};
  std::u16string whole = decodeAll(Encoding::kUtf8, in);
  EXPECT_EQ(whole, u"abcdefghi\u00E9\u20AC\U0001F600\uFFFDx\uFFFD\uFFFD\uFFFDy\uFFFD");
  for (size_t a = 0; a <= in.size(); ++a) {
    EXPECT_EQ(decodeSplit(Encoding::kUtf8, in, {a}), whole) << "cut at " << a;
    for (size_t b = a; b <= in.size(); ++b) {
      EXPECT_EQ(decodeSplit(Encoding::kUtf8, in, {a, b}), whole) << "cuts " << a << "," << b;
    }
  }
}

TEST(Utf16Decoder, SurrogatesAndOddLengths) {
  EXPECT_EQ(decodeAll(Encoding::kUtf16le, {0x3D, 0xD8, 0x00, 0xDE}), u"\U0001F600");
  EXPECT_EQ(decodeAll(Encoding::kUtf16be, {0xD8, 0x3D, 0xDE, 0x00}), u"\U0001F600");
  EXPECT_EQ(decodeAll(Encoding::kUtf16le, {0x00, 0xD8, 0x41, 0x00}), u"\uFFFDA");
  EXPECT_EQ(decodeAll(Encoding::kUtf16le, {0x00, 0xDC, 0x41, 0x00}), u"\uFFFDA");
  EXPECT_EQ(decodeAll(Encoding::kUtf16le, {0x00, 0xD8, 0x00, 0xD8, 0x00, 0xDC}),
            u"\uFFFD\U00010000");
  EXPECT_EQ(decodeAll(Encoding::kUtf16le, {0x41, 0x00, 0x42}), u"A\uFFFD");
  EXPECT_EQ(decodeAll(Encoding::kUtf16le, {0x00, 0xD8, 0x42}), u"\uFFFD");  // one error at EOF
  EXPECT_EQ(decodeAll(Encoding::kUtf16le, {0x00, 0xD8}, true), u"ERROR");
  std::vector<uint8_t> in = {0x41, 0x00, 0x3D, 0xD8, 0x00, 0xDE, 0x00, 0xDC, 0xE9, 0x00};
  std::u16string whole = decodeAll(Encoding::kUtf16le, in);
  for (size_t a = 0; a <= in.size(); ++a) {
    for (size_t b = a; b <= in.size(); ++b) {
      EXPECT_EQ(decodeSplit(Encoding::kUtf16le, in, {a, b}), whole) << a << "," << b;
    }
  }
}

TEST(SingleByteDecoders, IndexesAndErrors) {
  EXPECT_EQ(decodeAll(Encoding::kWindows1252, {0x80, 0x81, 0x9F, 0xFF}), u"\u20AC\u0081\u0178\u00FF");
  EXPECT_EQ(decodeAll(Encoding::kIbm866, {0x80, 0xFF}), u"\u0410\u00A0");
  EXPECT_EQ(decodeAll(Encoding::kKoi8U, {0xA4}), u"\u0454");
  EXPECT_EQ(decodeAll(Encoding::kIso8859_8I, {0xE0}), u"\u05D0");
  EXPECT_EQ(decodeAll(Encoding::kXMacCyrillic, {0xFF}), u"\u20AC");
  // Pointers without a code point, as textdecoder-fatal-single-byte.any.js lists them.
  EXPECT_EQ(decodeAll(Encoding::kIso8859_3, {0xA5}), u"\uFFFD");
  EXPECT_EQ(decodeAll(Encoding::kIso8859_3, {0xA5}, true), u"ERROR");
  EXPECT_EQ(decodeAll(Encoding::kWindows874, {0xDB}, true), u"ERROR");
  EXPECT_EQ(decodeAll(Encoding::kWindows1253, {0xAA}, true), u"ERROR");
  EXPECT_EQ(decodeAll(Encoding::kXUserDefined, {0x41, 0x80, 0xFF}), u"A\uF780\uF7FF");
}

TEST(MultiByteDecoders, KnownCharacters) {
  EXPECT_EQ(decodeAll(Encoding::kShiftJis, {0x82, 0xA0, 0x5C, 0xB1}), u"\u3042\\\uFF71");
  EXPECT_EQ(decodeAll(Encoding::kEucJp, {0xA4, 0xA2, 0x8E, 0xB1, 0x8F, 0xB0, 0xA1}),
            u"\u3042\uFF71\u4E02");
  EXPECT_EQ(decodeAll(Encoding::kEucKr, {0xB0, 0xA1}), u"\uAC00");
  EXPECT_EQ(decodeAll(Encoding::kBig5, {0xA4, 0x40, 0x88, 0x62, 0x87, 0x40}),
            u"\u4E00\u00CA\u0304\U000043F0");
  EXPECT_EQ(decodeAll(Encoding::kGbk, {0xC4, 0xE3, 0x80}), u"\u4F60\u20AC");
  // Four-byte gb18030 through index gb18030 ranges, and the GB18030-2022 mappings.
  EXPECT_EQ(decodeAll(Encoding::kGb18030, {0x81, 0x30, 0x81, 0x30}), u"\u0080");
  EXPECT_EQ(decodeAll(Encoding::kGb18030, {0x90, 0x30, 0x81, 0x30}), u"\U00010000");
  EXPECT_EQ(decodeAll(Encoding::kGb18030, {0x84, 0x31, 0xA4, 0x39}), u"\uFFFF");
  EXPECT_EQ(decodeAll(Encoding::kGb18030, {0xA6, 0xD9, 0xFE, 0x59}), u"\uFE10\u9FB4");
  EXPECT_EQ(decodeAll(Encoding::kGb18030, {0xA8, 0xBC}), u"\u1E3F");
  EXPECT_EQ(decodeAll(Encoding::kIso2022Jp, {0x1B, 0x24, 0x42, 0x30, 0x21, 0x1B, 0x28, 0x42, 'A'}),
            u"\u4E9CA");
}

TEST(MultiByteDecoders, ErrorsRestoreAsciiBytes) {
  // An invalid trail that is ASCII is decoded again; any other is consumed by the error.
  EXPECT_EQ(decodeAll(Encoding::kShiftJis, {0x81, 0x20}), u"\uFFFD ");
  EXPECT_EQ(decodeAll(Encoding::kEucKr, {0xB0, 0x7B}), u"\uFFFD{");
  EXPECT_EQ(decodeAll(Encoding::kEucJp, {0xF0, 0x8F, 0x04}), u"\uFFFD\u0004");
  EXPECT_EQ(decodeAll(Encoding::kBig5, {0x81}), u"\uFFFD");
  EXPECT_EQ(decodeAll(Encoding::kGb18030, {0x81, 0x30, 0x81}), u"\uFFFD");
  // gb18030: an invalid fourth byte gives one error and decodes the second, third and
  // fourth again (here "0" and the two-byte U+4E04).
  EXPECT_EQ(decodeAll(Encoding::kGb18030, {0x81, 0x30, 0x81, 0x41}), u"\uFFFD0\u4E04");
  EXPECT_EQ(decodeAll(Encoding::kGb18030, {0x84, 0x32, 0x81, 0x30}), u"\uFFFD");  // no range
  EXPECT_EQ(decodeAll(Encoding::kIso2022Jp, {0x1B, 0x28}), u"\uFFFD(");
  EXPECT_EQ(decodeAll(Encoding::kIso2022Jp, {0x0E}, true), u"ERROR");
}

TEST(MultiByteDecoders, StreamingSplitsAtEveryPosition) {
  struct Case {
    Encoding e;
    std::vector<uint8_t> in;
  } cases[] = {
      {Encoding::kGb18030, {0x41, 0x81, 0x30, 0x81, 0x30, 0xC4, 0xE3, 0x81, 0x30, 0x81, 0x41,
                            0x90, 0x30, 0x81, 0x30, 0x81}},
      {Encoding::kShiftJis, {0x82, 0xA0, 0x81, 0x20, 0xB1, 0xE0, 0x40, 0x82}},
      {Encoding::kEucJp, {0xA4, 0xA2, 0x8E, 0xB1, 0x8F, 0xB0, 0xA1, 0xA4, 0x41}},
      {Encoding::kBig5, {0x88, 0x62, 0xA4, 0x40, 0x81, 0x41}},
      {Encoding::kEucKr, {0xB0, 0xA1, 0xB0, 0x7B, 0xB0}},
      {Encoding::kIso2022Jp, {0x1B, 0x24, 0x42, 0x30, 0x21, 0x1B, 0x28, 0x4A, 0x5C, 0x1B, 0x28,
                              0x49, 0x31, 0x1B, 0x28, 0x42, 'A', 0x1B, 0x24, 0x42, 0x30}},
  };
  for (const Case& c : cases) {
    std::u16string whole = decodeAll(c.e, c.in);
    for (size_t a = 0; a <= c.in.size(); ++a) {
      for (size_t b = a; b <= c.in.size(); ++b) {
        EXPECT_EQ(decodeSplit(c.e, c.in, {a, b}), whole)
            << encoding::encodingName(c.e) << " cuts " << a << "," << b;
      }
    }
  }
}

TEST(Utf8Encoder, NeverSplitsACodePoint) {
  std::u16string s = u"a\u00E9\u20AC\U0001F600\xD800z";
  uint8_t out[16];
  auto r = encoding::encodeUtf8Into(reinterpret_cast<const char16_t*>(s.data()), s.size(), out,
                                    sizeof(out));
  EXPECT_EQ(r.read, s.size());
  EXPECT_EQ(r.written, 1u + 2 + 3 + 4 + 3 + 1);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(out), r.written),
            "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xEF\xBF\xBDz");
  // Every capacity: whole code points only (the written bytes end on a code point of the
  // whole result), `read` in UTF-16 units.
  const size_t ends[] = {0, 1, 3, 6, 10, 13, 14};
  const size_t readAt[] = {0, 1, 2, 3, 5, 6, 7};
  for (size_t cap = 0; cap < 16; ++cap) {
    auto c = encoding::encodeUtf8Into(s.data(), s.size(), out, cap);
    size_t k = 0;
    while (k + 1 < std::size(ends) && ends[k + 1] <= cap) ++k;
    EXPECT_EQ(c.written, ends[k]) << cap;
    EXPECT_EQ(c.read, readAt[k]) << cap;
    EXPECT_EQ(std::string(reinterpret_cast<char*>(out), c.written),
              std::string("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xEF\xBF\xBDz").substr(0, c.written));
  }
  auto c = encoding::encodeUtf8Into(s.data(), s.size(), out, 9);  // the emoji needs 4 at 6
  EXPECT_EQ(c.read, 3u);
  EXPECT_EQ(c.written, 6u);
}

TEST(Base64, ForgivingDecode) {
  auto dec = [](std::string s) {
    auto r = base64::forgivingDecode(reinterpret_cast<uint8_t*>(s.data()), s.size());
    return r ? s.substr(0, *r) : std::string("FAIL");
  };
  EXPECT_EQ(dec(""), "");
  EXPECT_EQ(dec("aGVsbG8="), "hello");
  EXPECT_EQ(dec("aGVsbG8"), "hello");
  EXPECT_EQ(dec(" aG\tVs\nbG\f8\r= "), "hello");
  EXPECT_EQ(dec("YQ=="), "a");
  EXPECT_EQ(dec("YQ"), "a");
  EXPECT_EQ(dec("YR"), "a");  // discarded bits need not be zero
  EXPECT_EQ(dec("YQ="), "FAIL");
  EXPECT_EQ(dec("YQ==="), "FAIL");
  EXPECT_EQ(dec("Y"), "FAIL");
  EXPECT_EQ(dec("YQ==YQ=="), "FAIL");
  EXPECT_EQ(dec("aGVs\vbG8="), "FAIL");  // VT is no ASCII whitespace
  EXPECT_EQ(dec("a-_b"), "FAIL");
  // Whole groups take the fast path; what follows them the general one.
  EXPECT_EQ(dec("YWJjZGVm YQ=="), "abcdefa");
  EXPECT_EQ(dec("YWJjZGVmYQ"), "abcdefa");
  EXPECT_EQ(dec("YWJjZGVmYQ==YQ=="), "FAIL");
  EXPECT_EQ(dec("YWJjZGVm="), "FAIL");
  EXPECT_EQ(dec("YWJjZGVmY"), "FAIL");
  EXPECT_EQ(dec("YWJj\x80GVm"), "FAIL");
  std::string big(3000, '\xAB');
  std::string enc(base64::encodedLength(big.size()), '\0');
  base64::encode(reinterpret_cast<const uint8_t*>(big.data()), big.size(), enc.data());
  EXPECT_EQ(dec(enc), big);
}

TEST(Base64, Encode) {
  auto enc = [](const std::string& s) {
    std::string out(base64::encodedLength(s.size()), '\0');
    base64::encode(reinterpret_cast<const uint8_t*>(s.data()), s.size(), out.data());
    return out;
  };
  EXPECT_EQ(enc(""), "");
  EXPECT_EQ(enc("a"), "YQ==");
  EXPECT_EQ(enc("ab"), "YWI=");
  EXPECT_EQ(enc("abc"), "YWJj");
  EXPECT_EQ(enc("\xFF\xFE\xFD"), "//79");
}

}  // namespace
}  // namespace torus::js
