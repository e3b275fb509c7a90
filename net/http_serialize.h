// HTTP/1.1 message serialization shared by the client and the server (RFC 9112): field
// checks (RFC 9110 5.1 token names, 5.5 field values), header lines, the request head of
// the client with its framing, and chunk framing. The server's response head stays in
// net/http_server.cc, written straight into its request heap on the hot path; it shares the
// chunk framing from here.
//
// Thread: any (pure functions).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "net/http_parser.h"  // HttpHeader

namespace torus::net {

// A field name: a non-empty token (RFC 9110 5.6.2).
bool isToken(std::string_view s);
// A field value that can be sent (RFC 9110 5.5): no CR, LF or NUL, no other control byte
// but HTAB, no leading or trailing whitespace.
bool isFieldValue(std::string_view s);

// The longest chunk-size line: 16 hex digits and CRLF.
constexpr size_t kMaxChunkLine = 18;
// "<hex size>\r\n" at p (room for kMaxChunkLine bytes); returns its length.
size_t formatChunkLine(char* p, uint64_t n);
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

// How a request body is framed.
struct BodyFraming {
  enum Kind { kNone, kLength, kChunked } kind = kNone;
  uint64_t length = 0;  // kLength
};

// Appends "name: value\r\n".
void appendHeaderLine(std::string& out, std::string_view name, std::string_view value);

// Appends a request head: the request line, the caller's headers (checked: a bad name or
// value is an error naming it; Content-Length, Transfer-Encoding and Expect are the
// framing's, the caller's are dropped), Host (host[:port], brackets for IPv6) unless the
// caller gave one, the framing, the blank line. Returns an empty string, or the error.
std::string appendRequestHead(std::string& out, std::string_view method, std::string_view target,
                              std::string_view host, uint16_t port, bool https,
                              std::span<const HttpHeader> headers, BodyFraming framing);

}  // namespace torus::net
