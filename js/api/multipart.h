// Form bodies as bytes: the multipart/form-data parser (RFC 7578 over RFC 2046's framing, as
// https://andreubotella.github.io/multipart-form-data/ and the browsers read it), the
// application/x-www-form-urlencoded parser (https://url.spec.whatwg.org/#concept-urlencoded-parser)
// and the Content-Type reading that picks one (https://mimesniff.spec.whatwg.org/#parse-a-mime-type).
// Pure C++ over byte views: no V8 here. js/api/blob.cc turns the results into JS values and
// js/builtins/31_formdata.js into a FormData.
//
// What the multipart parser accepts: a preamble before the first delimiter (ignored), transport
// padding (spaces, tabs) after a delimiter, header names in any case, quoted or bare parameter
// values, `\"` inside a quoted value, the HTML serialiser's %0A %0D %22 escapes in names and
// filenames (decoded), `filename*=UTF-8''...` / `ISO-8859-1'...` (RFC 5987, preferred over
// `filename`), an epilogue after the close delimiter (ignored). What it refuses (malformed):
// no delimiter at all, a missing close delimiter, lines ended by a bare LF, a header line
// without a colon, a part without `Content-Disposition: form-data; name=...`.
//
// Lifetime: results point into nothing (offsets and owned strings). Thread: any.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace torus::js::multipart {

// The message of every malformed-body failure, as the Fetch spec's formData() rejects.
inline constexpr const char* kMalformed = "Failed to parse body as FormData.";

struct Limits {
  size_t maxParts = 10000;                  // parts (or name=value pairs) per body
  size_t maxHeaderBytes = 16 * 1024;        // one part's header section, line ends included
  size_t maxBodyBytes = size_t(256) << 20;  // the whole body
};

struct Part {
  std::string name;  // bytes as sent (UTF-8 expected; the caller decodes), escapes undone
  bool isFile = false;        // a filename (or filename*) parameter was present
  std::string filename;       // UTF-8 for filename*, else the bytes as sent
  bool hasContentType = false;
  std::string contentType;    // the part's Content-Type value, trimmed
  size_t bodyOffset = 0;      // the part's content: body[bodyOffset, bodyOffset + bodyLength)
  size_t bodyLength = 0;
};

enum class FormKind { kNone, kMultipart, kUrlencoded };
struct FormType {
  FormKind kind = FormKind::kNone;
  std::string boundary;  // kMultipart only; never empty
};

// Which form parser a Content-Type value asks for: multipart/form-data with a boundary
// parameter (1 to 200 bytes), or application/x-www-form-urlencoded; anything else (or a
// multipart type without a usable boundary) is kNone.
FormType formType(std::string_view contentType);

// Parses a multipart/form-data body delimited by `boundary` (without the leading "--").
// Errors: kMalformed, or a message naming the limit exceeded.
Result<std::vector<Part>> parse(std::string_view body, std::string_view boundary,
                                const Limits& limits = Limits());

// Parses application/x-www-form-urlencoded bytes into name/value byte strings (percent-decoded,
// '+' as a space; UTF-8 decoding is the caller's). Errors: a message naming the limit exceeded.
Result<std::vector<std::pair<std::string, std::string>>> parseUrlencoded(
    std::string_view body, const Limits& limits = Limits());

}  // namespace torus::js::multipart
