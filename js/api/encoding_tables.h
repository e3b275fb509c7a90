// The Encoding Standard's index files (https://encoding.spec.whatwg.org/#indexes) as C++
// arrays, generated at build time by js/api/encoding_tables.py. Pointer -> code point; 0 is
// "no code point" (no index maps a pointer to U+0000).
#pragma once

#include <cstddef>
#include <cstdint>

namespace torus::js::encoding::tables {

// The upper half (bytes 0x80-0xFF) of each single-byte encoding, in this order:
// ibm866, iso-8859-2..8, iso-8859-10, -13..16, koi8-r, koi8-u, macintosh, windows-874,
// windows-1250..1258, x-mac-cyrillic.
inline constexpr int kSingleByteCount = 27;
extern const uint16_t kSingleByte[kSingleByteCount][128];

extern const uint16_t kJis0208[11280];
extern const uint16_t kJis0212[8836];
extern const uint16_t kEucKr[23940];
extern const uint16_t kGb18030[23940];  // with the GB18030-2022 mappings
extern const uint32_t kBig5[19782];
// index gb18030 ranges: [pointer, code point] pairs, ascending.
extern const uint32_t kGb18030Ranges[][2];
extern const size_t kGb18030RangesCount;

}  // namespace torus::js::encoding::tables
