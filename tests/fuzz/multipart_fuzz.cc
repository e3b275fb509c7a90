// Fuzz target for the form body parsers (js/api/multipart.h): byte 0 is the boundary's
// length L (1..70), the next L bytes the boundary, the rest the body, read by
// multipart::parse(); the body is also read by parseUrlencoded() and, as a Content-Type
// value, by formType().
//
// Invariants: within the limits (parts, a part's header bytes); each part's content lies in
// the body, in order, without overlap, and is followed by CRLF "--" boundary (a delimiter
// can't hide inside a part); a part that is not a file has no filename; the parts
// serialised again (as the HTML form serialiser would) parse back to the same names,
// filenames, types and contents; formType's boundary is 1..200 bytes without CR/LF.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "js/api/multipart.h"

namespace {

#define FUZZ_CHECK(cond)                                                                    \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      fprintf(stderr, "multipart_fuzz: invariant broken: %s (line %d)\n", #cond, __LINE__); \
      __builtin_trap();                                                                     \
    }                                                                                       \
  } while (0)

namespace mp = torus::js::multipart;

// The HTML serialiser's escapes for names and filenames; false for what it can't carry
// losslessly through a quoted parameter here (backslashes, percent signs).
bool escape(std::string_view s, std::string* out) {
  for (char c : s) {
    if (c == '\\' || c == '%') return false;
    if (c == '\n') {
      out->append("%0A");
    } else if (c == '\r') {
      out->append("%0D");
    } else if (c == '"') {
      out->append("%22");
    } else {
      out->push_back(c);
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  size_t blen = 1 + data[0] % 70;
  if (size < 1 + blen) return 0;
  std::string_view boundary(reinterpret_cast<const char*>(data) + 1, blen);
  std::string_view body(reinterpret_cast<const char*>(data) + 1 + blen, size - 1 - blen);
  mp::Limits limits;
  limits.maxParts = 32;
  limits.maxHeaderBytes = 512;
  limits.maxBodyBytes = 1 << 20;

  auto parts = mp::parse(body, boundary, limits);
  if (parts.ok()) {
    const std::string delimiter = "\r\n--" + std::string(boundary);
    const auto& ps = parts.value();
    FUZZ_CHECK(ps.size() <= limits.maxParts);
    size_t after = 0;
    std::string again;
    bool serialisable = true;
    for (const mp::Part& p : ps) {
      FUZZ_CHECK(p.bodyOffset >= after);
      FUZZ_CHECK(p.bodyOffset <= body.size() && p.bodyLength <= body.size() - p.bodyOffset);
      std::string_view content = body.substr(p.bodyOffset, p.bodyLength);
      FUZZ_CHECK(content.find(delimiter) == std::string_view::npos);
      FUZZ_CHECK(body.substr(p.bodyOffset + p.bodyLength, delimiter.size()) == delimiter);
      after = p.bodyOffset + p.bodyLength;
      if (!p.isFile) FUZZ_CHECK(p.filename.empty());
      if (!p.hasContentType) FUZZ_CHECK(p.contentType.empty());
      // No LF. (A bare CR is kept: "Content-Type: a\rb" gives "a\rb", where the spec's
      // header parser fails the body; reported, not asserted.)
      FUZZ_CHECK(p.contentType.find('\n') == std::string::npos);
      again += "--" + std::string(boundary) + "\r\nContent-Disposition: form-data; name=\"";
      serialisable &= escape(p.name, &again);
      again += "\"";
      if (p.isFile) {
        again += "; filename=\"";
        serialisable &= escape(p.filename, &again);
        again += "\"";
      }
      again += "\r\n";
      if (p.hasContentType) {
        serialisable &= !p.contentType.empty();
        again += "Content-Type: " + p.contentType + "\r\n";
      }
      again += "\r\n";
      again.append(content);
      again += "\r\n";
    }
    again += "--" + std::string(boundary) + "--\r\n";
    if (serialisable && !ps.empty()) {
      // Default limits: a filename* decoded to UTF-8 may take twice its bytes when written
      // back as filename="...".
      auto back = mp::parse(again, boundary);
      FUZZ_CHECK(back.ok());
      FUZZ_CHECK(back.value().size() == ps.size());
      for (size_t i = 0; i < ps.size(); ++i) {
        const mp::Part& a = ps[i];
        const mp::Part& b = back.value()[i];
        FUZZ_CHECK(a.name == b.name);
        FUZZ_CHECK(a.isFile == b.isFile && a.filename == b.filename);
        FUZZ_CHECK(a.hasContentType == b.hasContentType && a.contentType == b.contentType);
        FUZZ_CHECK(body.substr(a.bodyOffset, a.bodyLength) ==
                   std::string_view(again).substr(b.bodyOffset, b.bodyLength));
      }
    }
  }

  auto pairs = mp::parseUrlencoded(body, limits);
  if (pairs.ok()) {
    FUZZ_CHECK(pairs.value().size() <= limits.maxParts);
    for (const auto& [n, v] : pairs.value()) FUZZ_CHECK(n.size() + v.size() <= body.size());
  }

  mp::FormType t = mp::formType(body);
  if (t.kind == mp::FormKind::kMultipart) {
    FUZZ_CHECK(!t.boundary.empty() && t.boundary.size() <= 200);
    FUZZ_CHECK(t.boundary.find_first_of("\r\n") == std::string::npos);
  } else {
    FUZZ_CHECK(t.boundary.empty());
  }
  return 0;
}
