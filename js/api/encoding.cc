#include "js/api/encoding.h"

#include <v8.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "alloc/bytes.h"
#include "base/check.h"
#include "js/api/encoding_tables.h"
#include "js/binding.h"
#include "js/builtins.h"

namespace torus::js {
namespace encoding {

namespace {

// ---- names and labels ----

const char* const kNames[kEncodingCount] = {
    "utf-8",        "ibm866",       "iso-8859-2",   "iso-8859-3",   "iso-8859-4",
    "iso-8859-5",   "iso-8859-6",   "iso-8859-7",   "iso-8859-8",   "iso-8859-8-i",
    "iso-8859-10",  "iso-8859-13",  "iso-8859-14",  "iso-8859-15",  "iso-8859-16",
    "koi8-r",       "koi8-u",       "macintosh",    "windows-874",  "windows-1250",
    "windows-1251", "windows-1252", "windows-1253", "windows-1254", "windows-1255",
    "windows-1256", "windows-1257", "windows-1258", "x-mac-cyrillic", "gbk",
    "gb18030",      "big5",         "euc-jp",       "iso-2022-jp",  "shift_jis",
    "euc-kr",       "replacement",  "utf-16be",     "utf-16le",     "x-user-defined",
};

struct Label {
  const char* label;
  Encoding encoding;
};

// https://encoding.spec.whatwg.org/#names-and-labels, sorted by label (binary search).
const Label kLabels[] = {
    {"866", Encoding::kIbm866},
    {"ansi_x3.4-1968", Encoding::kWindows1252},
    {"arabic", Encoding::kIso8859_6},
    {"ascii", Encoding::kWindows1252},
    {"asmo-708", Encoding::kIso8859_6},
    {"big5", Encoding::kBig5},
    {"big5-hkscs", Encoding::kBig5},
    {"chinese", Encoding::kGbk},
    {"cn-big5", Encoding::kBig5},
    {"cp1250", Encoding::kWindows1250},
    {"cp1251", Encoding::kWindows1251},
    {"cp1252", Encoding::kWindows1252},
    {"cp1253", Encoding::kWindows1253},
    {"cp1254", Encoding::kWindows1254},
    {"cp1255", Encoding::kWindows1255},
    {"cp1256", Encoding::kWindows1256},
    {"cp1257", Encoding::kWindows1257},
    {"cp1258", Encoding::kWindows1258},
    {"cp819", Encoding::kWindows1252},
    {"cp866", Encoding::kIbm866},
    {"csbig5", Encoding::kBig5},
    {"cseuckr", Encoding::kEucKr},
    {"cseucpkdfmtjapanese", Encoding::kEucJp},
    {"csgb2312", Encoding::kGbk},
    {"csibm866", Encoding::kIbm866},
    {"csiso2022jp", Encoding::kIso2022Jp},
    {"csiso2022kr", Encoding::kReplacement},
    {"csiso58gb231280", Encoding::kGbk},
    {"csiso88596e", Encoding::kIso8859_6},
    {"csiso88596i", Encoding::kIso8859_6},
    {"csiso88598e", Encoding::kIso8859_8},
    {"csiso88598i", Encoding::kIso8859_8I},
    {"csisolatin1", Encoding::kWindows1252},
    {"csisolatin2", Encoding::kIso8859_2},
    {"csisolatin3", Encoding::kIso8859_3},
    {"csisolatin4", Encoding::kIso8859_4},
    {"csisolatin5", Encoding::kWindows1254},
    {"csisolatin6", Encoding::kIso8859_10},
    {"csisolatin9", Encoding::kIso8859_15},
    {"csisolatinarabic", Encoding::kIso8859_6},
    {"csisolatincyrillic", Encoding::kIso8859_5},
    {"csisolatingreek", Encoding::kIso8859_7},
    {"csisolatinhebrew", Encoding::kIso8859_8},
    {"cskoi8r", Encoding::kKoi8R},
    {"csksc56011987", Encoding::kEucKr},
    {"csmacintosh", Encoding::kMacintosh},
    {"csshiftjis", Encoding::kShiftJis},
    {"csunicode", Encoding::kUtf16le},
    {"cyrillic", Encoding::kIso8859_5},
    {"dos-874", Encoding::kWindows874},
    {"ecma-114", Encoding::kIso8859_6},
    {"ecma-118", Encoding::kIso8859_7},
    {"elot_928", Encoding::kIso8859_7},
    {"euc-jp", Encoding::kEucJp},
    {"euc-kr", Encoding::kEucKr},
    {"gb18030", Encoding::kGb18030},
    {"gb2312", Encoding::kGbk},
    {"gb_2312", Encoding::kGbk},
    {"gb_2312-80", Encoding::kGbk},
    {"gbk", Encoding::kGbk},
    {"greek", Encoding::kIso8859_7},
    {"greek8", Encoding::kIso8859_7},
    {"hebrew", Encoding::kIso8859_8},
    {"hz-gb-2312", Encoding::kReplacement},
    {"ibm819", Encoding::kWindows1252},
    {"ibm866", Encoding::kIbm866},
    {"iso-10646-ucs-2", Encoding::kUtf16le},
    {"iso-2022-cn", Encoding::kReplacement},
    {"iso-2022-cn-ext", Encoding::kReplacement},
    {"iso-2022-jp", Encoding::kIso2022Jp},
    {"iso-2022-kr", Encoding::kReplacement},
    {"iso-8859-1", Encoding::kWindows1252},
    {"iso-8859-10", Encoding::kIso8859_10},
    {"iso-8859-11", Encoding::kWindows874},
    {"iso-8859-13", Encoding::kIso8859_13},
    {"iso-8859-14", Encoding::kIso8859_14},
    {"iso-8859-15", Encoding::kIso8859_15},
    {"iso-8859-16", Encoding::kIso8859_16},
    {"iso-8859-2", Encoding::kIso8859_2},
    {"iso-8859-3", Encoding::kIso8859_3},
    {"iso-8859-4", Encoding::kIso8859_4},
    {"iso-8859-5", Encoding::kIso8859_5},
    {"iso-8859-6", Encoding::kIso8859_6},
    {"iso-8859-6-e", Encoding::kIso8859_6},
    {"iso-8859-6-i", Encoding::kIso8859_6},
    {"iso-8859-7", Encoding::kIso8859_7},
    {"iso-8859-8", Encoding::kIso8859_8},
    {"iso-8859-8-e", Encoding::kIso8859_8},
    {"iso-8859-8-i", Encoding::kIso8859_8I},
    {"iso-8859-9", Encoding::kWindows1254},
    {"iso-ir-100", Encoding::kWindows1252},
    {"iso-ir-101", Encoding::kIso8859_2},
    {"iso-ir-109", Encoding::kIso8859_3},
    {"iso-ir-110", Encoding::kIso8859_4},
    {"iso-ir-126", Encoding::kIso8859_7},
    {"iso-ir-127", Encoding::kIso8859_6},
    {"iso-ir-138", Encoding::kIso8859_8},
    {"iso-ir-144", Encoding::kIso8859_5},
    {"iso-ir-148", Encoding::kWindows1254},
    {"iso-ir-149", Encoding::kEucKr},
    {"iso-ir-157", Encoding::kIso8859_10},
    {"iso-ir-58", Encoding::kGbk},
    {"iso8859-1", Encoding::kWindows1252},
    {"iso8859-10", Encoding::kIso8859_10},
    {"iso8859-11", Encoding::kWindows874},
    {"iso8859-13", Encoding::kIso8859_13},
    {"iso8859-14", Encoding::kIso8859_14},
    {"iso8859-15", Encoding::kIso8859_15},
    {"iso8859-2", Encoding::kIso8859_2},
    {"iso8859-3", Encoding::kIso8859_3},
    {"iso8859-4", Encoding::kIso8859_4},
    {"iso8859-5", Encoding::kIso8859_5},
    {"iso8859-6", Encoding::kIso8859_6},
    {"iso8859-7", Encoding::kIso8859_7},
    {"iso8859-8", Encoding::kIso8859_8},
    {"iso8859-9", Encoding::kWindows1254},
    {"iso88591", Encoding::kWindows1252},
    {"iso885910", Encoding::kIso8859_10},
    {"iso885911", Encoding::kWindows874},
    {"iso885913", Encoding::kIso8859_13},
    {"iso885914", Encoding::kIso8859_14},
    {"iso885915", Encoding::kIso8859_15},
    {"iso88592", Encoding::kIso8859_2},
    {"iso88593", Encoding::kIso8859_3},
    {"iso88594", Encoding::kIso8859_4},
    {"iso88595", Encoding::kIso8859_5},
    {"iso88596", Encoding::kIso8859_6},
    {"iso88597", Encoding::kIso8859_7},
    {"iso88598", Encoding::kIso8859_8},
    {"iso88599", Encoding::kWindows1254},
    {"iso_8859-1", Encoding::kWindows1252},
    {"iso_8859-15", Encoding::kIso8859_15},
    {"iso_8859-1:1987", Encoding::kWindows1252},
    {"iso_8859-2", Encoding::kIso8859_2},
    {"iso_8859-2:1987", Encoding::kIso8859_2},
    {"iso_8859-3", Encoding::kIso8859_3},
    {"iso_8859-3:1988", Encoding::kIso8859_3},
    {"iso_8859-4", Encoding::kIso8859_4},
    {"iso_8859-4:1988", Encoding::kIso8859_4},
    {"iso_8859-5", Encoding::kIso8859_5},
    {"iso_8859-5:1988", Encoding::kIso8859_5},
    {"iso_8859-6", Encoding::kIso8859_6},
    {"iso_8859-6:1987", Encoding::kIso8859_6},
    {"iso_8859-7", Encoding::kIso8859_7},
    {"iso_8859-7:1987", Encoding::kIso8859_7},
    {"iso_8859-8", Encoding::kIso8859_8},
    {"iso_8859-8:1988", Encoding::kIso8859_8},
    {"iso_8859-9", Encoding::kWindows1254},
    {"iso_8859-9:1989", Encoding::kWindows1254},
    {"koi", Encoding::kKoi8R},
    {"koi8", Encoding::kKoi8R},
    {"koi8-r", Encoding::kKoi8R},
    {"koi8-ru", Encoding::kKoi8U},
    {"koi8-u", Encoding::kKoi8U},
    {"koi8_r", Encoding::kKoi8R},
    {"korean", Encoding::kEucKr},
    {"ks_c_5601-1987", Encoding::kEucKr},
    {"ks_c_5601-1989", Encoding::kEucKr},
    {"ksc5601", Encoding::kEucKr},
    {"ksc_5601", Encoding::kEucKr},
    {"l1", Encoding::kWindows1252},
    {"l2", Encoding::kIso8859_2},
    {"l3", Encoding::kIso8859_3},
    {"l4", Encoding::kIso8859_4},
    {"l5", Encoding::kWindows1254},
    {"l6", Encoding::kIso8859_10},
    {"l9", Encoding::kIso8859_15},
    {"latin1", Encoding::kWindows1252},
    {"latin2", Encoding::kIso8859_2},
    {"latin3", Encoding::kIso8859_3},
    {"latin4", Encoding::kIso8859_4},
    {"latin5", Encoding::kWindows1254},
    {"latin6", Encoding::kIso8859_10},
    {"logical", Encoding::kIso8859_8I},
    {"mac", Encoding::kMacintosh},
    {"macintosh", Encoding::kMacintosh},
    {"ms932", Encoding::kShiftJis},
    {"ms_kanji", Encoding::kShiftJis},
    {"shift-jis", Encoding::kShiftJis},
    {"shift_jis", Encoding::kShiftJis},
    {"sjis", Encoding::kShiftJis},
    {"sun_eu_greek", Encoding::kIso8859_7},
    {"tis-620", Encoding::kWindows874},
    {"ucs-2", Encoding::kUtf16le},
    {"unicode", Encoding::kUtf16le},
    {"unicode-1-1-utf-8", Encoding::kUtf8},
    {"unicode11utf8", Encoding::kUtf8},
    {"unicode20utf8", Encoding::kUtf8},
    {"unicodefeff", Encoding::kUtf16le},
    {"unicodefffe", Encoding::kUtf16be},
    {"us-ascii", Encoding::kWindows1252},
    {"utf-16", Encoding::kUtf16le},
    {"utf-16be", Encoding::kUtf16be},
    {"utf-16le", Encoding::kUtf16le},
    {"utf-8", Encoding::kUtf8},
    {"utf8", Encoding::kUtf8},
    {"visual", Encoding::kIso8859_8},
    {"windows-1250", Encoding::kWindows1250},
    {"windows-1251", Encoding::kWindows1251},
    {"windows-1252", Encoding::kWindows1252},
    {"windows-1253", Encoding::kWindows1253},
    {"windows-1254", Encoding::kWindows1254},
    {"windows-1255", Encoding::kWindows1255},
    {"windows-1256", Encoding::kWindows1256},
    {"windows-1257", Encoding::kWindows1257},
    {"windows-1258", Encoding::kWindows1258},
    {"windows-31j", Encoding::kShiftJis},
    {"windows-874", Encoding::kWindows874},
    {"windows-949", Encoding::kEucKr},
    {"x-cp1250", Encoding::kWindows1250},
    {"x-cp1251", Encoding::kWindows1251},
    {"x-cp1252", Encoding::kWindows1252},
    {"x-cp1253", Encoding::kWindows1253},
    {"x-cp1254", Encoding::kWindows1254},
    {"x-cp1255", Encoding::kWindows1255},
    {"x-cp1256", Encoding::kWindows1256},
    {"x-cp1257", Encoding::kWindows1257},
    {"x-cp1258", Encoding::kWindows1258},
    {"x-euc-jp", Encoding::kEucJp},
    {"x-gbk", Encoding::kGbk},
    {"x-mac-cyrillic", Encoding::kXMacCyrillic},
    {"x-mac-roman", Encoding::kMacintosh},
    {"x-mac-ukrainian", Encoding::kXMacCyrillic},
    {"x-sjis", Encoding::kShiftJis},
    {"x-unicode20utf8", Encoding::kUtf8},
    {"x-user-defined", Encoding::kXUserDefined},
    {"x-x-big5", Encoding::kBig5},
};

bool isAsciiWhitespace(char c) {
  return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

// The single-byte table of e, or nullptr.
const uint16_t* singleByteTable(Encoding e) {
  int i = int(e) - int(Encoding::kIbm866);
  if (e == Encoding::kIso8859_8I) return tables::kSingleByte[int(Encoding::kIso8859_8) - 1];
  if (e > Encoding::kIso8859_8I) --i;  // iso-8859-8-i shares iso-8859-8's index
  if (i < 0 || i >= tables::kSingleByteCount || e > Encoding::kXMacCyrillic) return nullptr;
  return tables::kSingleByte[i];
}

// ---- decoders ----

inline char16_t* emit(char16_t* o, uint32_t cp) {
  if (cp < 0x10000) {
    *o++ = char16_t(cp);
  } else {
    cp -= 0x10000;
    *o++ = char16_t(0xD800 + (cp >> 10));
    *o++ = char16_t(0xDC00 + (cp & 0x3FF));
  }
  return o;
}

// https://encoding.spec.whatwg.org/#utf-8-decoder, with fast paths for ASCII runs and for
// complete well-formed sequences (which the spec's state machine decodes the same way).
ptrdiff_t decodeUtf8(DecoderState& s, const uint8_t* p, size_t n, bool flush, bool fatal,
                     char16_t* out) {
  char16_t* o = out;
  uint32_t cp = s.codePoint;
  unsigned needed = s.needed, seen = s.seen;
  unsigned lower = s.lower ? s.lower : 0x80, upper = s.upper ? s.upper : 0xBF;
  size_t i = 0;
  while (i < n) {
    if (needed == 0) {
      while (i + 8 <= n) {
        uint64_t w;
        std::memcpy(&w, p + i, 8);
        if (w & 0x8080808080808080ull) break;
        for (int k = 0; k < 8; ++k) o[k] = p[i + k];
        o += 8;
        i += 8;
      }
      if (i >= n) break;
      unsigned b = p[i];
      if (b < 0x80) {
        *o++ = char16_t(b);
        ++i;
        continue;
      }
      if (b >= 0xC2 && b <= 0xDF) {
        if (i + 1 < n && (p[i + 1] & 0xC0) == 0x80) {
          *o++ = char16_t(((b & 0x1F) << 6) | (p[i + 1] & 0x3F));
          i += 2;
          continue;
        }
        needed = 1;
        cp = b & 0x1F;
      } else if (b >= 0xE0 && b <= 0xEF) {
        unsigned lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
        if (i + 2 < n && p[i + 1] >= lo && p[i + 1] <= hi && (p[i + 2] & 0xC0) == 0x80) {
          *o++ = char16_t(((b & 0xF) << 12) | ((p[i + 1] & 0x3F) << 6) | (p[i + 2] & 0x3F));
          i += 3;
          continue;
        }
        lower = lo;
        upper = hi;
        needed = 2;
        cp = b & 0xF;
      } else if (b >= 0xF0 && b <= 0xF4) {
        unsigned lo = b == 0xF0 ? 0x90 : 0x80, hi = b == 0xF4 ? 0x8F : 0xBF;
        if (i + 3 < n && p[i + 1] >= lo && p[i + 1] <= hi && (p[i + 2] & 0xC0) == 0x80 &&
            (p[i + 3] & 0xC0) == 0x80) {
          o = emit(o, ((b & 0x7) << 18) | ((p[i + 1] & 0x3F) << 12) | ((p[i + 2] & 0x3F) << 6) |
                          (p[i + 3] & 0x3F));
          i += 4;
          continue;
        }
        lower = lo;
        upper = hi;
        needed = 3;
        cp = b & 0x7;
      } else {
        if (fatal) return -1;
        *o++ = 0xFFFD;
      }
      ++i;
      continue;
    }
    unsigned b = p[i];
    if (b < lower || b > upper) {
      // The byte is not consumed: it starts over (the spec's "prepend byte").
      cp = 0;
      needed = seen = 0;
      lower = 0x80;
      upper = 0xBF;
      if (fatal) return -1;
      *o++ = 0xFFFD;
      continue;
    }
    ++i;
    lower = 0x80;
    upper = 0xBF;
    cp = (cp << 6) | (b & 0x3F);
    if (++seen == needed) {
      o = emit(o, cp);
      cp = 0;
      needed = seen = 0;
    }
  }
  if (flush && needed != 0) {
    cp = 0;
    needed = seen = 0;
    lower = 0x80;
    upper = 0xBF;
    if (fatal) return -1;
    *o++ = 0xFFFD;
  }
  s.codePoint = cp;
  s.needed = uint8_t(needed);
  s.seen = uint8_t(seen);
  s.lower = uint8_t(lower);
  s.upper = uint8_t(upper);
  return o - out;
}

// https://encoding.spec.whatwg.org/#shared-utf-16-decoder
ptrdiff_t decodeUtf16(DecoderState& s, bool bigEndian, const uint8_t* p, size_t n, bool flush,
                      bool fatal, char16_t* out) {
  char16_t* o = out;
  for (size_t i = 0; i < n; ++i) {
    if (!s.hasLead) {
      s.lead = p[i];
      s.hasLead = 1;
      continue;
    }
    char16_t unit = bigEndian ? char16_t((s.lead << 8) | p[i]) : char16_t((p[i] << 8) | s.lead);
    s.hasLead = 0;
    s.lead = 0;
    if (s.leadSurrogate != 0) {
      char16_t lead = s.leadSurrogate;
      s.leadSurrogate = 0;
      if (unit >= 0xDC00 && unit <= 0xDFFF) {
        *o++ = lead;
        *o++ = unit;
        continue;
      }
      // The spec prepends the unit's two bytes; decoding them again with no lead surrogate
      // gives the same unit, so it is handled below.
      if (fatal) return -1;
      *o++ = 0xFFFD;
    }
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      s.leadSurrogate = unit;
      continue;
    }
    if (unit >= 0xDC00 && unit <= 0xDFFF) {
      if (fatal) return -1;
      *o++ = 0xFFFD;
      continue;
    }
    *o++ = unit;
  }
  if (flush && (s.hasLead || s.leadSurrogate != 0)) {
    s.hasLead = 0;
    s.lead = 0;
    s.leadSurrogate = 0;
    if (fatal) return -1;
    *o++ = 0xFFFD;
  }
  return o - out;
}

// https://encoding.spec.whatwg.org/#single-byte-decoder
ptrdiff_t decodeSingleByte(const uint16_t* table, const uint8_t* p, size_t n, bool fatal,
                           char16_t* out) {
  char16_t* o = out;
  for (size_t i = 0; i < n; ++i) {
    unsigned b = p[i];
    if (b < 0x80) {
      *o++ = char16_t(b);
      continue;
    }
    uint16_t cp = table[b - 0x80];
    if (cp == 0) {
      if (fatal) return -1;
      cp = 0xFFFD;
    }
    *o++ = cp;
  }
  return o - out;
}

// The I/O queue of the legacy multi-byte decoders: the input, with bytes a decoder
// prepends read first. A decoder prepends at most three bytes right after reading one, so
// a few slots suffice.
class ByteQueue {
 public:
  static constexpr int kEnd = -1;
  ByteQueue(const uint8_t* p, size_t n) : p_(p), n_(n) {}
  int read() {
    if (stackLen_ > 0) return stack_[--stackLen_];
    return i_ < n_ ? p_[i_++] : kEnd;
  }
  // prepend(a), prepend(a, b), prepend(a, b, c): a is read next.
  template <typename... B>
  void prepend(B... bytes) {
    uint8_t list[] = {uint8_t(bytes)...};
    TORUS_CHECK(stackLen_ + int(sizeof...(bytes)) <= kStack);
    for (int k = int(sizeof...(bytes)) - 1; k >= 0; --k) stack_[stackLen_++] = list[k];
  }

 private:
  static constexpr int kStack = 8;
  const uint8_t* p_;
  size_t n_;
  size_t i_ = 0;
  uint8_t stack_[kStack];
  int stackLen_ = 0;
};

inline bool isAscii(int b) { return b >= 0 && b < 0x80; }
inline bool inRange(int b, int lo, int hi) { return b >= lo && b <= hi; }

// https://encoding.spec.whatwg.org/#index-gb18030-ranges-code-point
uint32_t gb18030RangesCodePoint(uint32_t pointer) {
  if ((pointer > 39419 && pointer < 189000) || pointer > 1237575) return 0;
  if (pointer == 7457) return 0xE7C7;
  const uint32_t(*r)[2] = tables::kGb18030Ranges;
  size_t lo = 0, hi = tables::kGb18030RangesCount;  // last entry with r[k][0] <= pointer
  while (hi - lo > 1) {
    size_t mid = (lo + hi) / 2;
    if (r[mid][0] <= pointer) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return r[lo][1] + pointer - r[lo][0];
}

// The multi-byte decoders share one loop: each step reads a byte (or kEnd when flushing)
// and returns a code point to write (> 0), kContinue, kError or kFinished.
constexpr int32_t kContinue = -1;
constexpr int32_t kError = -2;
constexpr int32_t kFinished = -3;
constexpr int32_t kTwo = kContinue;  // Big5's two-code-point pointers: the step writes them

// https://encoding.spec.whatwg.org/#gb18030-decoder
int32_t gb18030Step(DecoderState& s, int b, ByteQueue& q) {
  if (b == ByteQueue::kEnd) {
    if (s.lead == 0 && s.second == 0 && s.third == 0) return kFinished;
    s.lead = s.second = s.third = 0;
    return kError;
  }
  if (s.third != 0) {
    if (!inRange(b, 0x30, 0x39)) {
      q.prepend(s.second, s.third, b);
      s.lead = s.second = s.third = 0;
      return kError;
    }
    uint32_t pointer =
        (((uint32_t(s.lead - 0x81) * 10 + s.second - 0x30) * 126 + s.third - 0x81) * 10) + b -
        0x30;
    s.lead = s.second = s.third = 0;
    uint32_t cp = gb18030RangesCodePoint(pointer);
    return cp == 0 ? kError : int32_t(cp);
  }
  if (s.second != 0) {
    if (inRange(b, 0x81, 0xFE)) {
      s.third = uint8_t(b);
      return kContinue;
    }
    q.prepend(s.second, b);
    s.lead = s.second = 0;
    return kError;
  }
  if (s.lead != 0) {
    if (inRange(b, 0x30, 0x39)) {
      s.second = uint8_t(b);
      return kContinue;
    }
    unsigned lead = s.lead;
    s.lead = 0;
    int offset = b < 0x7F ? 0x40 : 0x41;
    if (inRange(b, 0x40, 0x7E) || inRange(b, 0x80, 0xFE)) {
      uint16_t cp = tables::kGb18030[(lead - 0x81) * 190 + (b - offset)];
      if (cp != 0) return cp;
    }
    if (isAscii(b)) q.prepend(b);
    return kError;
  }
  if (isAscii(b)) return b;
  if (b == 0x80) return 0x20AC;
  if (inRange(b, 0x81, 0xFE)) {
    s.lead = uint8_t(b);
    return kContinue;
  }
  return kError;
}

// https://encoding.spec.whatwg.org/#big5-decoder
int32_t big5Step(DecoderState& s, int b, ByteQueue& q, char16_t*& o) {
  if (b == ByteQueue::kEnd) {
    if (s.lead == 0) return kFinished;
    s.lead = 0;
    return kError;
  }
  if (s.lead != 0) {
    unsigned lead = s.lead;
    s.lead = 0;
    int offset = b < 0x7F ? 0x40 : 0x62;
    if (inRange(b, 0x40, 0x7E) || inRange(b, 0xA1, 0xFE)) {
      unsigned pointer = (lead - 0x81) * 157 + (b - offset);
      switch (pointer) {
        case 1133: *o++ = 0x00CA; *o++ = 0x0304; return kTwo;
        case 1135: *o++ = 0x00CA; *o++ = 0x030C; return kTwo;
        case 1164: *o++ = 0x00EA; *o++ = 0x0304; return kTwo;
        case 1166: *o++ = 0x00EA; *o++ = 0x030C; return kTwo;
        default: break;
      }
      uint32_t cp = tables::kBig5[pointer];
      if (cp != 0) return int32_t(cp);
    }
    if (isAscii(b)) q.prepend(b);
    return kError;
  }
  if (isAscii(b)) return b;
  if (inRange(b, 0x81, 0xFE)) {
    s.lead = uint8_t(b);
    return kContinue;
  }
  return kError;
}

// https://encoding.spec.whatwg.org/#euc-jp-decoder
int32_t eucJpStep(DecoderState& s, int b, ByteQueue& q) {
  if (b == ByteQueue::kEnd) {
    if (s.lead == 0) return kFinished;
    s.lead = 0;
    return kError;
  }
  if (s.lead == 0x8E && inRange(b, 0xA1, 0xDF)) {
    s.lead = 0;
    return 0xFF61 - 0xA1 + b;
  }
  if (s.lead == 0x8F && inRange(b, 0xA1, 0xFE)) {
    s.jis0212 = 1;
    s.lead = uint8_t(b);
    return kContinue;
  }
  if (s.lead != 0) {
    unsigned lead = s.lead;
    s.lead = 0;
    uint16_t cp = 0;
    if (inRange(lead, 0xA1, 0xFE) && inRange(b, 0xA1, 0xFE)) {
      unsigned pointer = (lead - 0xA1) * 94 + b - 0xA1;
      cp = s.jis0212 ? tables::kJis0212[pointer] : tables::kJis0208[pointer];
    }
    s.jis0212 = 0;
    if (cp != 0) return cp;
    if (isAscii(b)) q.prepend(b);
    return kError;
  }
  if (isAscii(b)) return b;
  if (b == 0x8E || b == 0x8F || inRange(b, 0xA1, 0xFE)) {
    s.lead = uint8_t(b);
    return kContinue;
  }
  return kError;
}

// https://encoding.spec.whatwg.org/#iso-2022-jp-decoder
enum IsoState : uint8_t {
  kIsoAscii = 0, kIsoRoman, kIsoKatakana, kIsoLeadByte, kIsoTrailByte, kIsoEscapeStart,
  kIsoEscape,
};
int32_t iso2022JpStep(DecoderState& s, int b, ByteQueue& q) {
  switch (s.isoState) {
    case kIsoAscii:
      if (b == 0x1B) {
        s.isoState = kIsoEscapeStart;
        return kContinue;
      }
      if (b == ByteQueue::kEnd) return kFinished;
      s.isoOutput = 0;
      if (isAscii(b) && b != 0x0E && b != 0x0F) return b;
      return kError;
    case kIsoRoman:
      if (b == 0x1B) {
        s.isoState = kIsoEscapeStart;
        return kContinue;
      }
      if (b == ByteQueue::kEnd) return kFinished;
      s.isoOutput = 0;
      if (b == 0x5C) return 0x00A5;
      if (b == 0x7E) return 0x203E;
      if (isAscii(b) && b != 0x0E && b != 0x0F) return b;
      return kError;
    case kIsoKatakana:
      if (b == 0x1B) {
        s.isoState = kIsoEscapeStart;
        return kContinue;
      }
      if (b == ByteQueue::kEnd) return kFinished;
      s.isoOutput = 0;
      if (inRange(b, 0x21, 0x5F)) return 0xFF61 - 0x21 + b;
      return kError;
    case kIsoLeadByte:
      if (b == 0x1B) {
        s.isoState = kIsoEscapeStart;
        return kContinue;
      }
      if (b == ByteQueue::kEnd) return kFinished;
      s.isoOutput = 0;
      if (inRange(b, 0x21, 0x7E)) {
        s.lead = uint8_t(b);
        s.isoState = kIsoTrailByte;
        return kContinue;
      }
      return kError;
    case kIsoTrailByte:
      if (b == 0x1B) {
        s.isoState = kIsoEscapeStart;
        return kError;
      }
      s.isoState = kIsoLeadByte;
      if (inRange(b, 0x21, 0x7E)) {
        uint16_t cp = tables::kJis0208[(s.lead - 0x21) * 94 + b - 0x21];
        return cp == 0 ? kError : int32_t(cp);
      }
      return kError;  // at end-of-queue, read again in the lead byte state
    case kIsoEscapeStart:
      if (b == 0x24 || b == 0x28) {
        s.lead = uint8_t(b);
        s.isoState = kIsoEscape;
        return kContinue;
      }
      if (b != ByteQueue::kEnd) q.prepend(b);
      s.isoOutput = 0;
      s.isoState = s.isoOutputState;
      return kError;
    case kIsoEscape: {
      unsigned lead = s.lead;
      s.lead = 0;
      int next = -1;
      if (lead == 0x28 && b == 0x42) next = kIsoAscii;
      if (lead == 0x28 && b == 0x4A) next = kIsoRoman;
      if (lead == 0x28 && b == 0x49) next = kIsoKatakana;
      if (lead == 0x24 && (b == 0x40 || b == 0x42)) next = kIsoLeadByte;
      if (next >= 0) {
        s.isoState = s.isoOutputState = uint8_t(next);
        bool output = s.isoOutput;
        s.isoOutput = 1;
        return output ? kError : kContinue;
      }
      if (b == ByteQueue::kEnd) {
        q.prepend(lead);
      } else {
        q.prepend(lead, b);
      }
      s.isoOutput = 0;
      s.isoState = s.isoOutputState;
      return kError;
    }
    default:
      TORUS_CHECK(!"bad ISO-2022-JP decoder state");
      return kError;
  }
}

// https://encoding.spec.whatwg.org/#shift_jis-decoder
int32_t shiftJisStep(DecoderState& s, int b, ByteQueue& q) {
  if (b == ByteQueue::kEnd) {
    if (s.lead == 0) return kFinished;
    s.lead = 0;
    return kError;
  }
  if (s.lead != 0) {
    unsigned lead = s.lead;
    s.lead = 0;
    int offset = b < 0x7F ? 0x40 : 0x41;
    unsigned leadOffset = lead < 0xA0 ? 0x81 : 0xC1;
    if (inRange(b, 0x40, 0x7E) || inRange(b, 0x80, 0xFC)) {
      unsigned pointer = (lead - leadOffset) * 188 + b - offset;
      if (pointer >= 8836 && pointer <= 10715) return int32_t(0xE000 - 8836 + pointer);
      uint16_t cp = pointer < 11280 ? tables::kJis0208[pointer] : 0;
      if (cp != 0) return cp;
    }
    if (isAscii(b)) q.prepend(b);
    return kError;
  }
  if (isAscii(b) || b == 0x80) return b;
  if (inRange(b, 0xA1, 0xDF)) return 0xFF61 - 0xA1 + b;
  if (inRange(b, 0x81, 0x9F) || inRange(b, 0xE0, 0xFC)) {
    s.lead = uint8_t(b);
    return kContinue;
  }
  return kError;
}

// https://encoding.spec.whatwg.org/#euc-kr-decoder
int32_t eucKrStep(DecoderState& s, int b, ByteQueue& q) {
  if (b == ByteQueue::kEnd) {
    if (s.lead == 0) return kFinished;
    s.lead = 0;
    return kError;
  }
  if (s.lead != 0) {
    unsigned lead = s.lead;
    s.lead = 0;
    if (inRange(b, 0x41, 0xFE)) {
      uint16_t cp = tables::kEucKr[(lead - 0x81) * 190 + (b - 0x41)];
      if (cp != 0) return cp;
    }
    if (isAscii(b)) q.prepend(b);
    return kError;
  }
  if (isAscii(b)) return b;
  if (inRange(b, 0x81, 0xFE)) {
    s.lead = uint8_t(b);
    return kContinue;
  }
  return kError;
}

// Reads the queue until its end (or, when flushing, until the decoder finishes: reading an
// empty queue gives end-of-queue again, so a decoder that prepends or reports an error at
// end-of-queue sees it once more).
ptrdiff_t decodeMultiByte(Encoding e, DecoderState& s, const uint8_t* p, size_t n, bool flush,
                          bool fatal, char16_t* out) {
  char16_t* o = out;
  ByteQueue q(p, n);
  for (;;) {
    int b = q.read();
    if (b == ByteQueue::kEnd && !flush) break;
    int32_t r;
    switch (e) {
      case Encoding::kGbk:
      case Encoding::kGb18030: r = gb18030Step(s, b, q); break;
      case Encoding::kBig5: r = big5Step(s, b, q, o); break;
      case Encoding::kEucJp: r = eucJpStep(s, b, q); break;
      case Encoding::kIso2022Jp: r = iso2022JpStep(s, b, q); break;
      case Encoding::kShiftJis: r = shiftJisStep(s, b, q); break;
      case Encoding::kEucKr: r = eucKrStep(s, b, q); break;
      default: TORUS_CHECK(!"not a multi-byte encoding"); return 0;
    }
    if (r >= 0) {
      o = emit(o, uint32_t(r));
    } else if (r == kError) {
      if (fatal) return -1;
      *o++ = 0xFFFD;
    } else if (r == kFinished) {
      break;
    }
  }
  return o - out;
}

}  // namespace

std::optional<Encoding> encodingForLabel(std::string_view label) {
  while (!label.empty() && isAsciiWhitespace(label.front())) label.remove_prefix(1);
  while (!label.empty() && isAsciiWhitespace(label.back())) label.remove_suffix(1);
  char lower[32];
  if (label.empty() || label.size() > sizeof(lower)) return std::nullopt;
  for (size_t i = 0; i < label.size(); ++i) {
    char c = label[i];
    lower[i] = c >= 'A' && c <= 'Z' ? char(c + 32) : c;
  }
  std::string_view key(lower, label.size());
  auto it = std::lower_bound(std::begin(kLabels), std::end(kLabels), key,
                             [](const Label& l, std::string_view k) { return l.label < k; });
  if (it == std::end(kLabels) || it->label != key) return std::nullopt;
  return it->encoding;
}

const char* encodingName(Encoding e) { return kNames[int(e)]; }

size_t maxDecodedLength(Encoding e, size_t n) {
  switch (e) {
    case Encoding::kGbk:
    case Encoding::kGb18030:
    case Encoding::kBig5:
    case Encoding::kEucJp:
    case Encoding::kIso2022Jp:
    case Encoding::kShiftJis:
    case Encoding::kEucKr:
      return 2 * n + 8;
    default:
      return n + 4;
  }
}

ptrdiff_t decode(Encoding e, DecoderState& s, const uint8_t* in, size_t n, bool flush,
                 bool fatal, char16_t* out) {
  switch (e) {
    case Encoding::kUtf8: return decodeUtf8(s, in, n, flush, fatal, out);
    case Encoding::kUtf16be: return decodeUtf16(s, true, in, n, flush, fatal, out);
    case Encoding::kUtf16le: return decodeUtf16(s, false, in, n, flush, fatal, out);
    case Encoding::kReplacement: return 0;
    case Encoding::kXUserDefined:
      // https://encoding.spec.whatwg.org/#x-user-defined-decoder
      for (size_t i = 0; i < n; ++i) out[i] = in[i] < 0x80 ? in[i] : char16_t(0xF780 + in[i] - 0x80);
      return ptrdiff_t(n);
    default: break;
  }
  if (const uint16_t* table = singleByteTable(e)) return decodeSingleByte(table, in, n, fatal, out);
  return decodeMultiByte(e, s, in, n, flush, fatal, out);
}

// https://encoding.spec.whatwg.org/#utf-8-encoder over UTF-16, as encodeInto() consumes it.
EncodeIntoResult encodeUtf8Into(const char16_t* in, size_t n, uint8_t* out, size_t capacity) {
  size_t i = 0, w = 0;
  while (i < n) {
    // ASCII runs, four units at a time.
    while (i + 4 <= n && w + 4 <= capacity) {
      uint64_t units;
      std::memcpy(&units, in + i, 8);
      if (units & 0xFF80FF80FF80FF80ull) break;
      out[w] = uint8_t(in[i]);
      out[w + 1] = uint8_t(in[i + 1]);
      out[w + 2] = uint8_t(in[i + 2]);
      out[w + 3] = uint8_t(in[i + 3]);
      i += 4;
      w += 4;
    }
    if (i >= n) break;
    uint32_t c = in[i];
    size_t units = 1;
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < n && in[i + 1] >= 0xDC00 && in[i + 1] <= 0xDFFF) {
      c = 0x10000 + ((c - 0xD800) << 10) + (in[i + 1] - 0xDC00);
      units = 2;
    } else if (c >= 0xD800 && c <= 0xDFFF) {
      c = 0xFFFD;
    }
    if (c < 0x80) {
      if (w + 1 > capacity) break;
      out[w++] = uint8_t(c);
    } else if (c < 0x800) {
      if (w + 2 > capacity) break;
      out[w++] = uint8_t(0xC0 | (c >> 6));
      out[w++] = uint8_t(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      if (w + 3 > capacity) break;
      out[w++] = uint8_t(0xE0 | (c >> 12));
      out[w++] = uint8_t(0x80 | ((c >> 6) & 0x3F));
      out[w++] = uint8_t(0x80 | (c & 0x3F));
    } else {
      if (w + 4 > capacity) break;
      out[w++] = uint8_t(0xF0 | (c >> 18));
      out[w++] = uint8_t(0x80 | ((c >> 12) & 0x3F));
      out[w++] = uint8_t(0x80 | ((c >> 6) & 0x3F));
      out[w++] = uint8_t(0x80 | (c & 0x3F));
    }
    i += units;
  }
  return {i, w};
}

}  // namespace encoding

namespace {

using encoding::DecoderState;
using encoding::Encoding;

// Bytes of an ArrayBuffer, SharedArrayBuffer or view (none for a detached buffer).
bool bufferBytes(v8::Local<v8::Value> v, const uint8_t** data, size_t* length) {
  if (v->IsArrayBufferView()) {
    auto view = v.As<v8::ArrayBufferView>();
    v8::Local<v8::ArrayBuffer> buffer = view->Buffer();
    *length = view->ByteLength();
    *data = *length ? static_cast<const uint8_t*>(buffer->Data()) + view->ByteOffset() : nullptr;
    return true;
  }
  if (v->IsArrayBuffer()) {
    auto buffer = v.As<v8::ArrayBuffer>();
    *length = buffer->ByteLength();
    *data = static_cast<const uint8_t*>(buffer->Data());
    return true;
  }
  if (v->IsSharedArrayBuffer()) {
    auto buffer = v.As<v8::SharedArrayBuffer>();
    *length = buffer->ByteLength();
    *data = static_cast<const uint8_t*>(buffer->Data());
    return true;
  }
  return false;
}

void throwRange(v8::Isolate* iso, const char* message) {
  iso->ThrowException(v8::Exception::RangeError(v8Str(iso, message)));
}

// encodingForLabel(label): the encoding's index, or -1.
void encodingForLabelNative(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  int result = -1;
  if (info[0]->IsString()) {
    v8::Local<v8::String> s = info[0].As<v8::String>();
    char buf[64];
    if (s->Length() < int(sizeof(buf))) {
      int len = s->WriteUtf8(iso, buf, sizeof(buf), nullptr, v8::String::NO_NULL_TERMINATION |
                                                                 v8::String::REPLACE_INVALID_UTF8);
      if (auto e = encoding::encodingForLabel(std::string_view(buf, size_t(len)))) {
        result = int(*e);
      }
    }
  }
  info.GetReturnValue().Set(result);
}

void encodingNameNative(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Realm& realm = Realm::from(info.GetIsolate());
  int e = info[0]->Int32Value(realm.context()).FromMaybe(-1);
  TORUS_CHECK(e >= 0 && e < encoding::kEncodingCount);
  info.GetReturnValue().Set(realm.internalized(encoding::encodingName(Encoding(e))));
}

// The state array's layout: the DecoderState, then "do not flush" and "BOM seen".
constexpr size_t kStateBytes = 32;
constexpr size_t kDoNotFlush = sizeof(DecoderState);
constexpr size_t kBomSeen = sizeof(DecoderState) + 1;
static_assert(sizeof(DecoderState) + 2 <= kStateBytes);

// Input is cut into slices of this many bytes, so the output buffer stays bounded whatever
// the input's size; the pieces are concatenated (a V8 cons string).
constexpr size_t kSlice = size_t(1) << 20;

bool isAsciiBytes(const uint8_t* p, size_t n) {
  size_t i = 0;
  uint64_t acc = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    acc |= w;
  }
  for (; i < n; ++i) acc |= p[i];
  return (acc & 0x8080808080808080ull) == 0;
}

bool stateIsClean(Encoding e, const DecoderState& s) {
  return s.needed == 0 && !s.hasLead && s.leadSurrogate == 0 && s.lead == 0 &&
         s.isoState == 0 && e != Encoding::kIso2022Jp && e != Encoding::kReplacement;
}

// decode(encoding, state, input, flags): flags bit 0 fatal, bit 1 stream, bit 2 ignoreBOM.
// The decoded string, or undefined for a fatal error (the caller throws). Implements the
// steps of https://encoding.spec.whatwg.org/#dom-textdecoder-decode after the argument
// conversions.
void decodeNative(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  int e = info[0]->Int32Value(ctx).FromMaybe(-1);
  TORUS_CHECK(e >= 0 && e < encoding::kEncodingCount && info[1]->IsUint8Array());
  Encoding enc = Encoding(e);
  uint32_t flags = info[3]->Uint32Value(ctx).FromMaybe(0);
  bool fatal = flags & 1, stream = flags & 2, ignoreBom = flags & 4;

  auto stateView = info[1].As<v8::Uint8Array>();
  TORUS_CHECK(stateView->ByteLength() == kStateBytes);
  uint8_t* stateBytes =
      static_cast<uint8_t*>(stateView->Buffer()->Data()) + stateView->ByteOffset();
  DecoderState s;
  if (!stateBytes[kDoNotFlush]) {
    std::memset(stateBytes, 0, kStateBytes);  // a new decoder, BOM seen false
  }
  std::memcpy(&s, stateBytes, sizeof(s));
  bool bomSeen = stateBytes[kBomSeen];
  stateBytes[kDoNotFlush] = stream;

  const uint8_t* data = nullptr;
  size_t length = 0;
  if (!info[2]->IsUndefined()) TORUS_CHECK(bufferBytes(info[2], &data, &length));

  bool sniffBom = !ignoreBom && (enc == Encoding::kUtf8 || enc == Encoding::kUtf16be ||
                                 enc == Encoding::kUtf16le);
  v8::Local<v8::String> result = v8::String::Empty(iso);
  // mimalloc keeps freed large blocks for reuse: a loop of big decodes does not fault pages
  // in each time, as fresh operator new memory from the OS would.
  std::unique_ptr<char16_t, void (*)(char16_t*)> heap(nullptr, [](char16_t* p) { alloc::freeBytes(p); });
  size_t heapUnits = 0;
  char16_t small[1024];
  size_t pos = 0;
  do {
    size_t n = std::min(length - pos, kSlice);
    bool last = pos + n == length;
    const uint8_t* p = data + pos;
    pos += n;
    v8::MaybeLocal<v8::String> piece;
    if (n > 0 && enc != Encoding::kUtf16be && enc != Encoding::kUtf16le &&
        stateIsClean(enc, s) && isAsciiBytes(p, n)) {
      // ASCII is ASCII in every encoding but UTF-16, ISO-2022-JP and replacement; no BOM.
      {
        if (n > size_t(v8::String::kMaxLength)) {
          throwRange(iso, "Invalid string length");
          return;
        }
        piece = v8::String::NewFromOneByte(iso, p, v8::NewStringType::kNormal, int(n));
        bomSeen = true;
        if (last && !stream) std::memset(&s, 0, sizeof(s));
        goto append;
      }
    }
    {
      size_t cap = encoding::maxDecodedLength(enc, n);
      char16_t* out = small;
      if (cap > sizeof(small) / sizeof(small[0])) {
        if (heapUnits < cap) {
          heap.reset(static_cast<char16_t*>(alloc::allocateBytes(cap * sizeof(char16_t))));
          if (!heap) {
            throwRange(iso, "Failed to execute 'decode' on 'TextDecoder': out of memory");
            return;
          }
          heapUnits = cap;
        }
        out = heap.get();
      }
      ptrdiff_t units = encoding::decode(enc, s, p, n, last && !stream, fatal, out);
      if (units < 0) {
        // The decoder is broken off; the next call starts a new one.
        stateBytes[kDoNotFlush] = 0;
        return;
      }
      char16_t* begin = out;
      if (sniffBom && !bomSeen && units > 0) {
        if (begin[0] == 0xFEFF) {
          ++begin;
          --units;
        }
        bomSeen = true;
      }
      if (units > ptrdiff_t(v8::String::kMaxLength)) {
        throwRange(iso, "Invalid string length");
        return;
      }
      piece = v8::String::NewFromTwoByte(iso, reinterpret_cast<const uint16_t*>(begin),
                                         v8::NewStringType::kNormal, int(units));
    }
  append:
    v8::Local<v8::String> str;
    if (!piece.ToLocal(&str)) {
      if (!iso->IsExecutionTerminating()) throwRange(iso, "Invalid string length");
      return;
    }
    if (result->Length() == 0) {
      result = str;
    } else if (str->Length() > 0) {
      if (result->Length() + str->Length() > v8::String::kMaxLength) {
        throwRange(iso, "Invalid string length");
        return;
      }
      result = v8::String::Concat(iso, result, str);
    }
  } while (pos < length);

  std::memcpy(stateBytes, &s, sizeof(s));
  stateBytes[kBomSeen] = bomSeen;
  info.GetReturnValue().Set(result);
}

// encode(string): a Uint8Array of its UTF-8, lone surrogates as U+FFFD (V8's
// REPLACE_INVALID_UTF8 writes EF BF BD for them, and Utf8Length counts them as 3 bytes).
void encodeNative(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  TORUS_CHECK(info[0]->IsString());
  v8::Local<v8::String> s = info[0].As<v8::String>();
  size_t length = size_t(s->Utf8Length(iso));
  v8::Local<v8::ArrayBuffer> buffer;
  if (length == 0) {
    buffer = v8::ArrayBuffer::New(iso, 0);
  } else {
    // From the isolate's allocator directly, uninitialized (every byte is written), and
    // without ArrayBuffer::New's abort when the allocator refuses.
    v8::ArrayBuffer::Allocator* allocator = iso->GetArrayBufferAllocator();
    void* data = allocator->AllocateUninitialized(length);
    if (!data) {
      throwRange(iso, "Array buffer allocation failed");
      return;
    }
    int written = s->WriteUtf8(iso, static_cast<char*>(data), int(length), nullptr,
                               v8::String::NO_NULL_TERMINATION |
                                   v8::String::REPLACE_INVALID_UTF8);
    TORUS_CHECK(size_t(written) == length);
    auto store = v8::ArrayBuffer::NewBackingStore(
        data, length,
        [](void* p, size_t n, void* a) { static_cast<v8::ArrayBuffer::Allocator*>(a)->Free(p, n); },
        allocator);
    buffer = v8::ArrayBuffer::New(iso, std::move(store));
  }
  info.GetReturnValue().Set(v8::Uint8Array::New(buffer, 0, length));
}

// encodeInto(string, destination Uint8Array, result Uint32Array[2]): result = [read, written].
void encodeIntoNative(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  TORUS_CHECK(info[0]->IsString() && info[1]->IsUint8Array() && info[2]->IsUint32Array());
  v8::Local<v8::String> s = info[0].As<v8::String>();
  auto dest = info[1].As<v8::Uint8Array>();
  size_t capacity = dest->ByteLength();
  uint8_t* out = capacity ? static_cast<uint8_t*>(dest->Buffer()->Data()) + dest->ByteOffset()
                          : nullptr;
  size_t n = size_t(s->Length());
  size_t read = 0, written = 0;
  constexpr size_t kChunk = 2048;
  char16_t units[kChunk];
  while (read < n && written < capacity) {
    size_t take = std::min(n - read, kChunk);
    s->Write(iso, reinterpret_cast<uint16_t*>(units), int(read), int(take),
             v8::String::NO_NULL_TERMINATION);
    // A surrogate pair is never cut between chunks.
    if (read + take < n && take > 1 && units[take - 1] >= 0xD800 && units[take - 1] <= 0xDBFF) {
      --take;
    }
    auto r = encoding::encodeUtf8Into(units, take, out + written, capacity - written);
    read += r.read;
    written += r.written;
    if (r.read < take) break;  // the destination is full
  }
  auto result = info[2].As<v8::Uint32Array>();
  uint32_t* slots =
      reinterpret_cast<uint32_t*>(static_cast<uint8_t*>(result->Buffer()->Data()) +
                                  result->ByteOffset());
  slots[0] = uint32_t(read);
  slots[1] = uint32_t(written);
}

}  // namespace

void addEncodingNatives(Natives& natives) {
  natives.add("encodingForLabel", encodingForLabelNative);
  natives.add("encodingName", encodingNameNative);
  natives.set("encodingReplacement",
              v8::Integer::New(natives.object()->GetIsolate(), int(Encoding::kReplacement)));
  natives.add("textDecode", decodeNative);
  natives.add("textEncode", encodeNative);
  natives.add("textEncodeInto", encodeIntoNative);
}

}  // namespace torus::js
