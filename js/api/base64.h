// atob() and btoa() (https://html.spec.whatwg.org/multipage/webappapis.html#atob) over the
// forgiving-base64 algorithms of the Infra Standard
// (https://infra.spec.whatwg.org/#forgiving-base64). The global functions and their WebIDL
// conversions are built-in JavaScript (js/builtins/21_base64.js); the data path is here.
//
// Thread: any (pure functions); the natives run on the isolate's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace torus::js {

class Natives;

namespace base64 {

// Forgiving-base64 decode of Latin-1 data[0, n), in place: the decoded bytes are
// data[0, result). nullopt for failure (a character outside the alphabet and ASCII
// whitespace, misplaced or extra '=', or a length that leaves one character over).
std::optional<size_t> forgivingDecode(uint8_t* data, size_t n);

// Base64 (RFC 4648 section 4, with padding) of bytes[0, n) into out, which has room for
// encodedLength(n) bytes.
size_t encodedLength(size_t n);
void encode(const uint8_t* bytes, size_t n, char* out);

}  // namespace base64

// atob, btoa (for 21_base64.js): each throws the InvalidCharacterError DOMException itself.
void addBase64Natives(Natives& natives);

}  // namespace torus::js
