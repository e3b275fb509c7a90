// The WHATWG Encoding Standard (https://encoding.spec.whatwg.org/): encodings and their
// labels, every decoder (UTF-8, UTF-16BE/LE, the legacy single-byte encodings,
// x-user-defined, and the legacy multi-byte gb18030/GBK, Big5, EUC-JP, ISO-2022-JP,
// Shift_JIS, EUC-KR), and the UTF-8 encoder. TextEncoder and TextDecoder themselves are
// built-in JavaScript (js/builtins/20_encoding.js) over the natives added here.
//
// Decoders keep their whole state in a DecoderState (a plain value the JS TextDecoder holds
// in a small byte array between streaming calls), so a decoder has no native object to own.
// The index tables are the standard's index files, generated at build time
// (js/api/encoding_tables.py, docs/encoding.md).
//
// Thread: any (the decoders are pure functions); the natives run on the isolate's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace torus::js {

class Natives;

namespace encoding {

// In the order of the standard's encodings table (https://encoding.spec.whatwg.org/#names-and-labels).
enum class Encoding : uint8_t {
  kUtf8, kIbm866, kIso8859_2, kIso8859_3, kIso8859_4, kIso8859_5, kIso8859_6, kIso8859_7,
  kIso8859_8, kIso8859_8I, kIso8859_10, kIso8859_13, kIso8859_14, kIso8859_15, kIso8859_16,
  kKoi8R, kKoi8U, kMacintosh, kWindows874, kWindows1250, kWindows1251, kWindows1252,
  kWindows1253, kWindows1254, kWindows1255, kWindows1256, kWindows1257, kWindows1258,
  kXMacCyrillic, kGbk, kGb18030, kBig5, kEucJp, kIso2022Jp, kShiftJis, kEucKr, kReplacement,
  kUtf16be, kUtf16le, kXUserDefined,
};
inline constexpr int kEncodingCount = int(Encoding::kXUserDefined) + 1;

// https://encoding.spec.whatwg.org/#concept-encoding-get: ASCII whitespace trimmed, ASCII
// case-insensitive; nullopt when no encoding has that label.
std::optional<Encoding> encodingForLabel(std::string_view label);

// The encoding's name as TextDecoder.encoding gives it: ASCII-lowercased ("utf-8",
// "windows-1252", "shift_jis").
const char* encodingName(Encoding e);

// A decoder's state between calls (https://encoding.spec.whatwg.org/#decoders), all zero
// for a new decoder. Each decoder uses the fields its algorithm names.
struct DecoderState {
  uint32_t codePoint;     // UTF-8 code point
  uint8_t needed;         // UTF-8 bytes needed
  uint8_t seen;           // UTF-8 bytes seen
  uint8_t lower;          // UTF-8 lower boundary (0 = 0x80)
  uint8_t upper;          // UTF-8 upper boundary (0 = 0xBF)
  uint16_t leadSurrogate; // UTF-16 lead surrogate (0 = null)
  uint8_t lead;           // UTF-16 lead byte / multi-byte lead (gb18030 first)
  uint8_t hasLead;        // UTF-16: the lead byte is set (it may be 0x00)
  uint8_t second;         // gb18030 second
  uint8_t third;          // gb18030 third
  uint8_t jis0212;        // EUC-JP jis0212 flag
  uint8_t isoState;       // ISO-2022-JP decoder state
  uint8_t isoOutputState; // ISO-2022-JP decoder output state
  uint8_t isoOutput;      // ISO-2022-JP output flag
};

// The most UTF-16 code units decode() can write for n input bytes (and any state).
size_t maxDecodedLength(Encoding e, size_t n);

// Runs e's decoder over in[0, n) from state s, then (if flush) to end-of-queue. Writes UTF-16
// to out (room for maxDecodedLength(e, n) units) and returns how many it wrote. An error
// writes U+FFFD, or when fatal returns -1 (s is then unspecified). Replacement decodes
// nothing (TextDecoder never gets it).
ptrdiff_t decode(Encoding e, DecoderState& s, const uint8_t* in, size_t n, bool flush,
                 bool fatal, char16_t* out);

// UTF-8 bytes of UTF-16 in[0, n) into out[0, capacity), lone surrogates as U+FFFD, never
// splitting a code point (https://encoding.spec.whatwg.org/#dom-textencoder-encodeinto).
struct EncodeIntoResult {
  size_t read;     // UTF-16 code units consumed
  size_t written;  // bytes written
};
EncodeIntoResult encodeUtf8Into(const char16_t* in, size_t n, uint8_t* out, size_t capacity);

}  // namespace encoding

// encodingForLabel, encodingName, textDecode, textEncode, textEncodeInto (for
// 20_encoding.js).
void addEncodingNatives(Natives& natives);

}  // namespace torus::js
