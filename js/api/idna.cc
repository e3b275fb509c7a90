#include "js/api/idna.h"

#include <ada.h>

#include <algorithm>
#include <array>
#include <iterator>

#include "js/api/idna_tables.h"  // generated at build time (packaging/gen_idna_tables.py)

namespace torus::idna {

namespace {

namespace t = tables;

// The status codes of tables::kMapping (bits 0-2), as packaging/gen_idna_tables.py writes them.
enum Status : uint32_t { kValid = 0, kDeviation = 1, kIgnored = 2, kMapped = 3, kDisallowed = 4 };

// The run of the mapping table that holds cp (the last run whose first code point is <= cp).
constexpr uint32_t search(char32_t cp) {
  const t::Run* end = std::end(t::kMapping);
  const t::Run* it = std::upper_bound(std::begin(t::kMapping), end, uint32_t(cp),
                                      [](uint32_t c, const t::Run& r) { return c < r.first; });
  return (it - 1)->value;  // kMapping starts at U+0000
}

template <size_t N>
constexpr bool in(const t::Range (&set)[N], char32_t cp) {
  const t::Range* end = set + N;
  const t::Range* it = std::upper_bound(set, end, uint32_t(cp),
                                        [](uint32_t c, const t::Range& r) { return c < r.first; });
  return it != set && cp <= (it - 1)->last;
}

// ASCII, the most common code points of a non-ASCII domain too, without a search.
constexpr std::array<uint32_t, 128> kAsciiValues = [] {
  std::array<uint32_t, 128> values{};
  for (char32_t c = 0; c < 128; ++c) values[c] = search(c);
  return values;
}();

// What the ASCII fast paths below rely on, checked against the generated data.
constexpr bool asciiIsValidOrMapped() {
  for (char32_t c = 0; c < 128; ++c) {
    uint32_t s = kAsciiValues[c] & 7;
    if (s != kValid && !(s == kMapped && c >= 'A' && c <= 'Z')) return false;
  }
  return true;
}
constexpr bool asciiIn(bool (*test)(char32_t)) {
  for (char32_t c = 0; c < 128; ++c) {
    if (test(c)) return true;
  }
  return false;
}
static_assert(asciiIsValidOrMapped(), "UTS #46: ASCII other than A-Z is valid");
static_assert(!asciiIn([](char32_t c) { return in(t::k_combiningMarks, c); }));
static_assert(!asciiIn([](char32_t c) { return in(t::k_bidiDomain, c); }));

uint32_t lookup(char32_t cp) {
  if (cp < 0x80) return kAsciiValues[cp];
  if (cp > 0x10FFFF) return kDisallowed;
  return search(cp);
}

Status statusOf(char32_t cp) { return Status(lookup(cp) & 7); }

bool isAscii(std::u32string_view s) {
  return std::all_of(s.begin(), s.end(), [](char32_t c) { return c < 0x80; });
}

bool startsWithXn(std::u32string_view s) { return s.substr(0, 4) == U"xn--"; }

// UTS #46 section 4 step 1 (Map), Nontransitional: deviations stay. A disallowed code point is
// an error that fails the whole domain, so mapping stops there.
bool mapDomain(std::u32string_view in, std::u32string& out) {
  out.reserve(in.size());
  for (char32_t cp : in) {
    uint32_t v = lookup(cp);
    switch (Status(v & 7)) {
      case kValid:
      case kDeviation:
        out.push_back(cp);
        break;
      case kIgnored:
        break;
      case kMapped:
        out.append(t::kMappingPool + (v >> 8), (v >> 3) & 31);
        break;
      case kDisallowed:
        return false;
    }
  }
  return true;
}

// RFC 5892 appendix A.1 (ZERO WIDTH NON-JOINER) and A.2 (ZERO WIDTH JOINER): after a virama,
// or (ZWNJ only) between joining types L|D, T*, ZWNJ, T*, R|D. tr46's validZWNJ is that regex;
// its classes are k_validZWNJ0 (L, D), k_validZWNJ1/2 (T), k_validZWNJ3 (R, D).
bool joinersValid(std::u32string_view label) {
  for (size_t i = 0; i < label.size(); ++i) {
    char32_t cp = label[i];
    if (cp != 0x200C && cp != 0x200D) continue;
    if (i > 0 && in(t::k_combiningClassVirama, label[i - 1])) continue;
    if (cp == 0x200D) return false;
    size_t before = i;
    while (before > 0 && in(t::k_validZWNJ1, label[before - 1])) --before;
    if (before == 0 || !in(t::k_validZWNJ0, label[before - 1])) return false;
    size_t after = i + 1;
    while (after < label.size() && in(t::k_validZWNJ2, label[after])) ++after;
    if (after == label.size() || !in(t::k_validZWNJ3, label[after])) return false;
  }
  return true;
}

// /[C0][C1]*$/: some code point of C0 followed only by code points of C1 to the end.
template <size_t N0, size_t N1>
bool endsWith(std::u32string_view label, const t::Range (&c0)[N0], const t::Range (&c1)[N1]) {
  for (size_t i = label.size(); i-- > 0;) {
    if (in(c0, label[i])) return true;
    if (!in(c1, label[i])) return false;
  }
  return false;
}

// RFC 5893 section 2 (the Bidi Rule), for a label of a Bidi domain name. tr46's regexes name
// the classes of each condition: S1LTR (L), S1RTL (R, AL), S2 (what an RTL label may hold),
// S3 (R, AL, EN, AN, then NSM*), S4EN/S4AN, S5 (what an LTR label may hold), S6 (L, EN, NSM*).
bool bidiValid(std::u32string_view label) {
  bool rtl;
  if (in(t::k_bidiS1LTR, label[0])) {
    rtl = false;
  } else if (in(t::k_bidiS1RTL, label[0])) {
    rtl = true;
  } else {
    return false;
  }
  if (rtl) {
    bool en = false, an = false;
    for (char32_t cp : label) {
      if (!in(t::k_bidiS2, cp)) return false;
      en |= in(t::k_bidiS4EN, cp);
      an |= in(t::k_bidiS4AN, cp);
    }
    return endsWith(label, t::k_bidiS30, t::k_bidiS31) && !(en && an);
  }
  for (char32_t cp : label) {
    if (!in(t::k_bidiS5, cp)) return false;
  }
  return endsWith(label, t::k_bidiS60, t::k_bidiS61);
}

// UTS #46 section 4.1 (Validity Criteria) with the URL Standard's flags. `decoded`: the label
// is decoded Punycode; otherwise it is a label of the mapped and normalized domain, which is
// NFC already (U+002E neither composes nor reorders, so splitting keeps each part NFC).
bool labelValid(std::u32string_view label, bool decoded, bool bidiDomain) {
  if (label.empty()) return true;
  // An ASCII label of the mapped domain holds only valid code points (checked at compile
  // time): nothing below can fail but the Bidi Rule.
  if (!decoded && !bidiDomain && isAscii(label)) return true;
  // 1. NFC.
  if (decoded) {
    std::u32string nfc(label);
    ada::idna::normalize(nfc);
    if (nfc != label) return false;
  }
  // 2, 3: CheckHyphens is false. 4. Not CheckHyphens: must not begin with "xn--".
  if (startsWithXn(label)) return false;
  // 5. No U+002E FULL STOP (a decoded Punycode label can hold one).
  if (label.find(U'.') != std::u32string_view::npos) return false;
  // 6. Must not begin with General_Category=Mark.
  if (label[0] >= 0x80 && in(t::k_combiningMarks, label[0])) return false;
  // 7. Nontransitional: each code point valid or deviation (UseSTD3ASCIIRules is false).
  for (char32_t cp : label) {
    Status s = statusOf(cp);
    if (s != kValid && s != kDeviation) return false;
  }
  // 8. CheckJoiners.
  if (!joinersValid(label)) return false;
  // 9. CheckBidi, for a Bidi domain name.
  if (bidiDomain && !bidiValid(label)) return false;
  return true;
}

}  // namespace

std::optional<std::string> domainToAscii(std::string_view utf8) {
  if (std::all_of(utf8.begin(), utf8.end(), [](char c) { return uint8_t(c) < 0x80; })) {
    std::string out(utf8);
    for (char& c : out) {
      if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    }
    return out;
  }
  std::u32string utf32(ada::idna::utf32_length_from_utf8(utf8.data(), utf8.size()), U'\0');
  if (ada::idna::utf8_to_utf32(utf8.data(), utf8.size(), utf32.data()) == 0) return std::nullopt;

  // 1. Map. 2. Normalize (NFC).
  std::u32string domain;
  if (!mapDomain(utf32, domain)) return std::nullopt;
  ada::idna::normalize(domain);

  // 3. Break into labels; xn-- labels are decoded first (4.1, 4.2), since whether the domain
  // is a Bidi domain name (it holds an R, AL or AN code point) depends on the decoded labels.
  struct Label {
    std::u32string_view text;  // as mapped; ASCII when puny
    std::u32string decoded;    // the Punycode-decoded text when puny
    bool puny;
  };
  std::vector<Label> labels;
  for (size_t start = 0;;) {
    size_t dot = domain.find(U'.', start);
    size_t end = dot == std::u32string::npos ? domain.size() : dot;
    labels.push_back({std::u32string_view(domain).substr(start, end - start), {}, false});
    if (dot == std::u32string::npos) break;
    start = dot + 1;
  }
  bool bidiDomain = false;
  for (Label& l : labels) {
    if (startsWithXn(l.text)) {
      // 4.1: a non-ASCII code point is an error. 4.2: Punycode that fails to decode is one.
      if (!isAscii(l.text)) return std::nullopt;
      std::string ascii(l.text.begin() + 4, l.text.end());
      if (!ada::idna::punycode_to_utf32(ascii, l.decoded)) return std::nullopt;
      // 4.3: empty, or only ASCII, is an error.
      if (l.decoded.empty() || isAscii(l.decoded)) return std::nullopt;
      l.puny = true;
    }
    std::u32string_view text = l.puny ? std::u32string_view(l.decoded) : l.text;
    for (char32_t cp : text) bidiDomain |= cp >= 0x80 && in(t::k_bidiDomain, cp);
  }

  // 4.4: the validity criteria; then ToASCII step 2: Punycode for each non-ASCII label.
  std::string out;
  out.reserve(utf8.size() + 8 * labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    const Label& l = labels[i];
    if (i > 0) out.push_back('.');
    if (l.puny) {
      if (!labelValid(l.decoded, true, bidiDomain)) return std::nullopt;
      for (char32_t c : l.text) out.push_back(char(c));
      continue;
    }
    if (!labelValid(l.text, false, bidiDomain)) return std::nullopt;
    if (isAscii(l.text)) {
      for (char32_t c : l.text) out.push_back(char(c));
    } else {
      out.append("xn--");
      if (!ada::idna::utf32_to_punycode(l.text, out)) return std::nullopt;
    }
  }
  return out;
}

std::string_view unicodeVersion() { return tables::kUnicodeVersion; }

}  // namespace torus::idna
