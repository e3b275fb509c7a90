// Where an import specifier leads: relative and absolute paths, file: URLs, data: URLs, and
// bare package names through node_modules (package.json "exports" with conditions, then
// "module", then "main" of an ES-module package), as Node's ESM resolver does
// (https://nodejs.org/api/esm.html#resolution-algorithm-specification), without probing
// for extensions. Also the source rewrite that lets V8 10.2 read import attributes
// (`with { type: "json" }`), which it only knows by their older name `assert`.
//
// Thread: any; reads the file system, needs the isolate only to parse package.json.
#pragma once

#include <v8.h>

#include <string>
#include <string_view>

#include "base/result.h"

namespace torus::js {

// A module's identity: an absolute file path, or a whole data: URL.
struct ModuleLocation {
  std::string key;
  bool isDataUrl = false;
};

// The package.json "exports" conditions torus matches, in priority order of the spec's
// object-order rule (the first key of a conditions object that is in this set wins).
inline constexpr const char* kExportConditions[] = {"torus",  "workerd", "worker", "browser",
                                                    "import", "module",  "default"};

// Resolves `specifier` imported from `referrer` (an absolute path, or a data: URL). The
// error names the specifier, the referrer and what to do.
Result<ModuleLocation> resolveModule(v8::Isolate* isolate, const std::string& specifier,
                                     const std::string& referrer);

// The whole file at path; false (errno set) if it cannot be read.
bool readFile(const std::string& path, std::string* out);

// A data: URL's body (percent-decoded, or base64-decoded for ";base64") and MIME type
// (lower-cased, parameters dropped).
struct DataUrl {
  std::string mimeType;
  std::string body;
};
Result<DataUrl> decodeDataUrl(std::string_view url);

// `import x from "./a.json" with { type: "json" }` -> `... assert { type: "json" }`, and
// `import(s, { with: {...} })` -> `import(s, { assert: {...} })`. Only `with` right after an
// import's module specifier (or as the options key of import()) is rewritten; "with" is
// never valid JS there, so no other code changes.
std::string rewriteImportAttributes(std::string source);

}  // namespace torus::js
