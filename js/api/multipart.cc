#include "js/api/multipart.h"

#include <string.h>

#include <optional>

namespace torus::js::multipart {

namespace {

bool isHttpWhitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && isHttpWhitespace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isHttpWhitespace(s.back())) s.remove_suffix(1);
  return s;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? char(c + 32) : c; }

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// https://mimesniff.spec.whatwg.org/#http-token-code-point
bool isTokenChar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool isToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!isTokenChar(c)) return false;
  }
  return true;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// https://url.spec.whatwg.org/#percent-decode (a '%' not followed by two hex digits stays).
std::string percentDecode(std::string_view s, bool plusAsSpace) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      int hi = hexValue(s[i + 1]);
      int lo = hexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(char(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plusAsSpace && c == '+' ? ' ' : c);
  }
  return out;
}

// A parameter list "; a=b; c="d"" (after the value's first token), read as
// https://mimesniff.spec.whatwg.org/#parse-a-mime-type reads parameters: names lower-cased,
// quoted values unescaped, the first of duplicate names kept.
struct Param {
  std::string name;
  std::string value;
};

std::vector<Param> parseParams(std::string_view s) {
  std::vector<Param> params;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] != ';') {  // junk after a value: skip to the next parameter
      ++i;
      continue;
    }
    ++i;
    while (i < s.size() && isHttpWhitespace(s[i])) ++i;
    size_t nameStart = i;
    while (i < s.size() && s[i] != ';' && s[i] != '=') ++i;
    std::string name(trim(s.substr(nameStart, i - nameStart)));
    for (char& c : name) c = lower(c);
    if (i >= s.size() || s[i] == ';') continue;
    ++i;  // '='
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    std::string value;
    if (i < s.size() && s[i] == '"') {
      ++i;
      while (i < s.size() && s[i] != '"') {
        // `\"` and `\\` are escapes; any other backslash is itself (Windows paths).
        if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == '"' || s[i + 1] == '\\')) ++i;
        value.push_back(s[i++]);
      }
      if (i < s.size()) ++i;  // closing quote
      while (i < s.size() && s[i] != ';') ++i;
    } else {
      size_t valueStart = i;
      while (i < s.size() && s[i] != ';') ++i;
      value = std::string(trim(s.substr(valueStart, i - valueStart)));
    }
    if (name.empty()) continue;
    bool seen = false;
    for (const Param& p : params) seen = seen || p.name == name;
    if (!seen) params.push_back({std::move(name), std::move(value)});
  }
  return params;
}

// The HTML serialiser's escapes for names and filenames (%0A, %0D, %22), undone.
std::string unescapeName(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      char a = s[i + 1];
      char b = lower(s[i + 2]);
      char decoded = a == '0' && b == 'a' ? '\n' : a == '0' && b == 'd' ? '\r'
                     : a == '2' && b == '2' ? '"' : '\0';
      if (decoded) {
        out.push_back(decoded);
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

// RFC 5987 ext-value: charset "'" [language] "'" pct-encoded; UTF-8 and ISO-8859-1 only.
std::optional<std::string> decodeExtValue(std::string_view v) {
  size_t q1 = v.find('\'');
  if (q1 == std::string_view::npos) return std::nullopt;
  size_t q2 = v.find('\'', q1 + 1);
  if (q2 == std::string_view::npos) return std::nullopt;
  std::string_view charset = v.substr(0, q1);
  std::string bytes = percentDecode(v.substr(q2 + 1), false);
  if (equalsIgnoreCase(charset, "utf-8")) return bytes;
  if (equalsIgnoreCase(charset, "iso-8859-1")) {
    std::string out;
    for (unsigned char c : bytes) {
      if (c < 0x80) {
        out.push_back(char(c));
      } else {
        out.push_back(char(0xc0 | (c >> 6)));
        out.push_back(char(0x80 | (c & 0x3f)));
      }
    }
    return out;
  }
  return std::nullopt;
}

const char* find(std::string_view hay, size_t from, std::string_view needle) {
  if (from > hay.size()) return nullptr;
  return static_cast<const char*>(
      memmem(hay.data() + from, hay.size() - from, needle.data(), needle.size()));
}

Error limitError(const char* what, size_t limit) {
  return makeError(std::string("Failed to parse body as FormData: ") + what + " (the limit is " +
                   std::to_string(limit) + ").");
}

// One part's header section, from `pos` to the empty line; pos ends after it.
Result<Part> parseHeaders(std::string_view body, size_t& pos, const Limits& limits) {
  Part part;
  bool haveDisposition = false;
  size_t start = pos;
  std::string* lastValue = nullptr;
  std::string disposition, contentType;
  for (;;) {
    const char* eol = find(body, pos, "\r\n");
    if (!eol) return makeError(kMalformed);
    size_t lineEnd = size_t(eol - body.data());
    if (lineEnd + 2 - start > limits.maxHeaderBytes) {
      return limitError("a part's headers are too large", limits.maxHeaderBytes);
    }
    std::string_view line = body.substr(pos, lineEnd - pos);
    pos = lineEnd + 2;
    if (line.empty()) break;
    if (line.find('\n') != std::string_view::npos) return makeError(kMalformed);
    if (line.front() == ' ' || line.front() == '\t') {  // obsolete line folding
      if (!lastValue) return makeError(kMalformed);
      lastValue->push_back(' ');
      lastValue->append(trim(line));
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return makeError(kMalformed);
    std::string_view name = trim(line.substr(0, colon));
    if (!isToken(name)) return makeError(kMalformed);
    std::string_view value = trim(line.substr(colon + 1));
    lastValue = nullptr;
    if (equalsIgnoreCase(name, "content-disposition") && !haveDisposition) {
      haveDisposition = true;
      disposition = value;
      lastValue = &disposition;
    } else if (equalsIgnoreCase(name, "content-type") && !part.hasContentType) {
      part.hasContentType = true;
      contentType = value;
      lastValue = &contentType;
    }
  }
  if (!haveDisposition) return makeError(kMalformed);
  std::string_view d = disposition;
  size_t semi = d.find(';');
  if (!equalsIgnoreCase(trim(d.substr(0, semi)), "form-data")) return makeError(kMalformed);
  bool haveName = false;
  std::optional<std::string> extFilename;
  if (semi != std::string_view::npos) {
    for (Param& p : parseParams(d.substr(semi))) {
      if (p.name == "name") {
        part.name = unescapeName(p.value);
        haveName = true;
      } else if (p.name == "filename") {
        part.filename = unescapeName(p.value);
        part.isFile = true;
      } else if (p.name == "filename*") {
        extFilename = decodeExtValue(p.value);
        if (extFilename) part.isFile = true;
      }
    }
  }
  if (!haveName) return makeError(kMalformed);
  if (extFilename) part.filename = std::move(*extFilename);
  part.contentType = std::string(trim(contentType));
  return part;
}

}  // namespace

FormType formType(std::string_view contentType) {
  FormType out;
  std::string_view s = trim(contentType);
  size_t slash = s.find('/');
  if (slash == std::string_view::npos) return out;
  std::string_view type = s.substr(0, slash);
  size_t semi = s.find(';', slash);
  std::string_view subtype = trim(s.substr(slash + 1, semi == std::string_view::npos
                                                          ? std::string_view::npos
                                                          : semi - slash - 1));
  if (!isToken(type) || !isToken(subtype)) return out;
  if (equalsIgnoreCase(type, "application") &&
      equalsIgnoreCase(subtype, "x-www-form-urlencoded")) {
    out.kind = FormKind::kUrlencoded;
    return out;
  }
  if (!equalsIgnoreCase(type, "multipart") || !equalsIgnoreCase(subtype, "form-data")) {
    return out;
  }
  if (semi == std::string_view::npos) return out;
  for (Param& p : parseParams(s.substr(semi))) {
    if (p.name != "boundary") continue;
    if (p.value.empty() || p.value.size() > 200) return out;
    for (char c : p.value) {
      if (c == '\r' || c == '\n') return out;
    }
    out.kind = FormKind::kMultipart;
    out.boundary = std::move(p.value);
  }
  return out;
}

Result<std::vector<Part>> parse(std::string_view body, std::string_view boundary,
                                const Limits& limits) {
  if (body.size() > limits.maxBodyBytes) {
    return limitError("the body is too large", limits.maxBodyBytes);
  }
  if (boundary.empty()) return makeError(kMalformed);
  std::string delimiter = "\r\n--";
  delimiter.append(boundary);
  std::string_view dashBoundary = std::string_view(delimiter).substr(2);
  // The first delimiter opens the body or follows a preamble's last line break.
  size_t pos;
  if (body.substr(0, dashBoundary.size()) == dashBoundary) {
    pos = dashBoundary.size();
  } else {
    const char* first = find(body, 0, delimiter);
    if (!first) return makeError(kMalformed);
    pos = size_t(first - body.data()) + delimiter.size();
  }
  std::vector<Part> parts;
  for (;;) {
    // After a delimiter: "--" closes the body (the epilogue is ignored), or transport padding
    // and a CRLF open the next part.
    if (body.substr(pos, 2) == "--") return parts;
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
    if (body.substr(pos, 2) != "\r\n") return makeError(kMalformed);
    pos += 2;
    if (parts.size() == limits.maxParts) {
      return limitError("the body has too many parts", limits.maxParts);
    }
    Result<Part> part = parseHeaders(body, pos, limits);
    if (!part.ok()) return makeError(part.error());
    const char* next = find(body, pos, delimiter);
    if (!next) return makeError(kMalformed);
    size_t end = size_t(next - body.data());
    part->bodyOffset = pos;
    part->bodyLength = end - pos;
    parts.push_back(std::move(part.value()));
    pos = end + delimiter.size();
  }
}

Result<std::vector<std::pair<std::string, std::string>>> parseUrlencoded(std::string_view body,
                                                                          const Limits& limits) {
  if (body.size() > limits.maxBodyBytes) {
    return limitError("the body is too large", limits.maxBodyBytes);
  }
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t amp = body.find('&', pos);
    if (amp == std::string_view::npos) amp = body.size();
    std::string_view seq = body.substr(pos, amp - pos);
    pos = amp + 1;
    if (seq.empty()) continue;
    if (out.size() == limits.maxParts) {
      return limitError("the body has too many name=value pairs", limits.maxParts);
    }
    size_t eq = seq.find('=');
    std::string_view name = seq.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : seq.substr(eq + 1);
    out.emplace_back(percentDecode(name, true), percentDecode(value, true));
  }
  return out;
}

}  // namespace torus::js::multipart
