#include "net/http_serialize.h"

#include <strings.h>

namespace torus::net {
namespace {

// tchar (RFC 9110 5.6.2).
struct TokenTable {
  bool has[256] = {};
  constexpr TokenTable() {
    for (int c = '0'; c <= '9'; ++c) has[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) has[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) has[c] = true;
    for (const char* p = "!#$%&'*+-.^_`|~"; *p; ++p) has[static_cast<unsigned char>(*p)] = true;
  }
};
constexpr TokenTable kToken;

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 64)) {
    if (c >= 0x20 && c < 0x7f) {
      out += char(c);
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (s.size() > 64) out += "...";
  return out;
}

}  // namespace

bool isToken(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (!kToken.has[c]) return false;
  }
  return true;
}

bool isFieldValue(std::string_view s) {
  if (s.empty()) return true;
  if (s.front() == ' ' || s.front() == '\t' || s.back() == ' ' || s.back() == '\t') return false;
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

size_t formatChunkLine(char* p, uint64_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  char digits[16];
  int len = 0;
  do {
    digits[len++] = kHex[n & 15];
    n >>= 4;
  } while (n);
  size_t out = 0;
  while (len) p[out++] = digits[--len];
  p[out++] = '\r';
  p[out++] = '\n';
  return out;
}

void appendHeaderLine(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

std::string appendRequestHead(std::string& out, std::string_view method, std::string_view target,
                              std::string_view host, uint16_t port, bool https,
                              std::span<const HttpHeader> headers, BodyFraming framing) {
  if (!isToken(method)) return "invalid request method \"" + printable(method) + "\"";
  if (target.empty()) return "empty request target";
  for (unsigned char c : target) {
    if (c <= 0x20 || c == 0x7f) return "invalid request target \"" + printable(target) + "\"";
  }
  if (host.empty()) return "empty host";
  for (unsigned char c : host) {
    if (c <= 0x20 || c == 0x7f || c == '/' || c == '@' || c == '?' || c == '#') {
      return "invalid host \"" + printable(host) + "\"";
    }
  }
  size_t size = method.size() + target.size() + host.size() + 96;
  for (const HttpHeader& h : headers) size += h.name.size() + h.value.size() + 4;
  out.reserve(out.size() + size);
  out.append(method);
  out += ' ';
  out.append(target);
  out.append(" HTTP/1.1\r\n");
  bool hostGiven = false;
  for (const HttpHeader& h : headers) {
    if (!isToken(h.name)) return "invalid header name \"" + printable(h.name) + "\"";
    if (!isFieldValue(h.value)) {
      return "invalid value for header " + std::string(h.name) + ": \"" + printable(h.value) +
             "\" (CR, LF, NUL and other control bytes cannot be sent)";
    }
    if (equalsIgnoreCase(h.name, "content-length") ||
        equalsIgnoreCase(h.name, "transfer-encoding") || equalsIgnoreCase(h.name, "expect")) {
      continue;
    }
    if (equalsIgnoreCase(h.name, "host")) {
      if (hostGiven) continue;
      hostGiven = true;
    }
    appendHeaderLine(out, h.name, h.value);
  }
  if (!hostGiven) {
    out.append("Host: ");
    bool v6 = host.find(':') != std::string_view::npos;
    if (v6) out += '[';
    out.append(host);
    if (v6) out += ']';
    if (port != (https ? 443 : 80)) {
      out += ':';
      out.append(std::to_string(port));
    }
    out.append("\r\n");
  }
  switch (framing.kind) {
    case BodyFraming::kNone:
      break;
    case BodyFraming::kLength:
      out.append("Content-Length: ");
      out.append(std::to_string(framing.length));
      out.append("\r\n");
      break;
    case BodyFraming::kChunked:
      out.append("Transfer-Encoding: chunked\r\n");
      break;
  }
  out.append("\r\n");
  return {};
}

}  // namespace torus::net
