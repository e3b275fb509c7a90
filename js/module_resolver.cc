#include "js/module_resolver.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "js/api/base64.h"
#include "js/api/url.h"
#include "js/realm.h"

namespace torus::js {

namespace {

bool isFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool isDir(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string dirName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}

// Lexically normalizes an absolute path ("/a/./b/../c" -> "/a/c").
std::string normalize(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream in(path);
  std::string part;
  while (std::getline(in, part, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else {
      parts.push_back(part);
    }
  }
  std::string out;
  for (auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// ---- package.json ----

struct Package {
  std::string dir;
  v8::Local<v8::Object> json;
};

v8::Local<v8::Value> field(v8::Isolate* iso, v8::Local<v8::Object> obj, const char* name) {
  v8::Local<v8::Value> v;
  if (!obj->Get(iso->GetCurrentContext(), v8Str(iso, name)).ToLocal(&v)) return {};
  return v;
}

bool isConditionKey(const std::string& key) {
  for (const char* c : kExportConditions) {
    if (key == c) return true;
  }
  return false;
}

// PACKAGE_TARGET_RESOLVE: a string "./x" (with `*` replaced), an array (first that
// resolves), a conditions object (first matching key, in the object's own order), null.
bool resolveTarget(v8::Isolate* iso, const Package& pkg, v8::Local<v8::Value> target,
                   const std::string& star, std::string* out) {
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  if (target.IsEmpty() || target->IsNull() || target->IsUndefined()) return false;
  if (target->IsString()) {
    std::string t = utf8(iso, target);
    if (!startsWith(t, "./")) return false;
    size_t at = t.find('*');
    if (at != std::string::npos) t = t.substr(0, at) + star + t.substr(at + 1);
    *out = normalize(pkg.dir + "/" + t);
    return true;
  }
  if (target->IsArray()) {
    auto arr = target.As<v8::Array>();
    for (uint32_t i = 0; i < arr->Length(); ++i) {
      v8::Local<v8::Value> item;
      if (arr->Get(ctx, i).ToLocal(&item) && resolveTarget(iso, pkg, item, star, out)) {
        return true;
      }
    }
    return false;
  }
  if (target->IsObject()) {
    auto obj = target.As<v8::Object>();
    v8::Local<v8::Array> keys;
    if (!obj->GetOwnPropertyNames(ctx).ToLocal(&keys)) return false;
    for (uint32_t i = 0; i < keys->Length(); ++i) {
      v8::Local<v8::Value> key = keys->Get(ctx, i).ToLocalChecked();
      if (!isConditionKey(utf8(iso, key))) continue;
      v8::Local<v8::Value> next;
      if (obj->Get(ctx, key).ToLocal(&next) && resolveTarget(iso, pkg, next, star, out)) {
        return true;
      }
    }
  }
  return false;
}

// PACKAGE_EXPORTS_RESOLVE for `subpath` ("." or "./x").
bool resolveExports(v8::Isolate* iso, const Package& pkg, v8::Local<v8::Value> exports,
                    const std::string& subpath, std::string* out) {
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  // A string, an array, or an object of conditions is the "." entry.
  bool sugar = !exports->IsObject() || exports->IsArray();
  v8::Local<v8::Array> keys;
  if (!sugar) {
    if (!exports.As<v8::Object>()->GetOwnPropertyNames(ctx).ToLocal(&keys)) return false;
    sugar = keys->Length() > 0 && !startsWith(utf8(iso, keys->Get(ctx, 0).ToLocalChecked()), ".");
  }
  if (sugar) return subpath == "." && resolveTarget(iso, pkg, exports, "", out);
  auto map = exports.As<v8::Object>();
  v8::Local<v8::Value> exact = field(iso, map, subpath.c_str());
  if (!exact.IsEmpty() && !exact->IsUndefined()) return resolveTarget(iso, pkg, exact, "", out);
  // Patterns "./x/*": the longest matching prefix wins.
  std::string bestKey, bestStar;
  size_t bestLen = 0;
  for (uint32_t i = 0; i < keys->Length(); ++i) {
    std::string key = utf8(iso, keys->Get(ctx, i).ToLocalChecked());
    size_t at = key.find('*');
    if (at == std::string::npos) continue;
    std::string prefix = key.substr(0, at), suffix = key.substr(at + 1);
    if (subpath.size() >= prefix.size() + suffix.size() && startsWith(subpath, prefix) &&
        subpath.compare(subpath.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        (bestKey.empty() || prefix.size() > bestLen)) {
      bestKey = key;
      bestLen = prefix.size();
      bestStar = subpath.substr(prefix.size(), subpath.size() - prefix.size() - suffix.size());
    }
  }
  if (bestKey.empty()) return false;
  return resolveTarget(iso, pkg, field(iso, map, bestKey.c_str()), bestStar, out);
}

Result<ModuleLocation> resolvePackage(v8::Isolate* iso, const std::string& specifier,
                                      const std::string& referrer) {
  // "name", "name/sub", "@scope/name", "@scope/name/sub".
  size_t nameEnd = specifier.find('/');
  if (specifier[0] == '@') {
    nameEnd = nameEnd == std::string::npos ? nameEnd : specifier.find('/', nameEnd + 1);
  }
  std::string name = specifier.substr(0, nameEnd);
  std::string subpath = nameEnd == std::string::npos ? "." : "." + specifier.substr(nameEnd);
  auto fail = [&](const std::string& why) {
    return makeError("Cannot resolve '" + specifier + "' imported from " + referrer + ": " + why);
  };
  if (name.empty() || (specifier[0] == '@' && name.find('/') == std::string::npos)) {
    return fail("not a valid package name");
  }
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  for (std::string dir = dirName(referrer);; dir = dirName(dir)) {
    std::string pkgDir = (dir == "/" ? "" : dir) + "/node_modules/" + name;
    if (isDir(pkgDir)) {
      Package pkg{pkgDir, v8::Object::New(iso)};
      std::string text;
      if (readFile(pkgDir + "/package.json", &text)) {
        v8::Local<v8::Value> json;
        v8::TryCatch tc(iso);
        if (!v8::JSON::Parse(ctx, v8Str(iso, text)).ToLocal(&json) || !json->IsObject()) {
          return fail(pkgDir + "/package.json is not valid JSON");
        }
        pkg.json = json.As<v8::Object>();
      }
      std::string path;
      v8::Local<v8::Value> exports = field(iso, pkg.json, "exports");
      if (!exports.IsEmpty() && !exports->IsUndefined() && !exports->IsNull()) {
        if (!resolveExports(iso, pkg, exports, subpath, &path)) {
          return fail("package subpath '" + subpath + "' is not exported by " + pkgDir +
                      "/package.json for the conditions torus matches (torus, workerd, worker, "
                      "browser, import, module, default)");
        }
      } else if (subpath != ".") {
        path = normalize(pkgDir + "/" + subpath);
      } else {
        v8::Local<v8::Value> module = field(iso, pkg.json, "module");
        v8::Local<v8::Value> main = field(iso, pkg.json, "main");
        bool esm = utf8(iso, field(iso, pkg.json, "type")) == "module";
        if (!module.IsEmpty() && module->IsString()) {
          path = normalize(pkgDir + "/" + utf8(iso, module));
        } else if (esm) {
          path = normalize(pkgDir + "/" + (!main.IsEmpty() && main->IsString()
                                                ? utf8(iso, main)
                                                : std::string("index.js")));
        } else {
          return fail("package " + pkgDir +
                      " is CommonJS (its package.json has no \"exports\", \"module\" or "
                      "\"type\": \"module\"); torus loads ES modules only: bundle the app "
                      "(e.g. with esbuild --format=esm)");
        }
      }
      if (!isFile(path)) return fail("package file " + path + " does not exist");
      return ModuleLocation{path, false};
    }
    if (dir == "/") break;
  }
  return fail("no node_modules/" + name +
              " in its folder or any parent; install it with npm, or bundle the app");
}

}  // namespace

bool readFile(const std::string& path, std::string* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::stringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return true;
}

Result<ModuleLocation> resolveModule(v8::Isolate* iso, const std::string& specifier,
                                     const std::string& referrer) {
  if (startsWith(specifier, "data:")) return ModuleLocation{specifier, true};
  if (startsWith(specifier, "file://")) {
    return ModuleLocation{normalize(percentDecode(specifier.substr(7))), false};
  }
  bool fromData = startsWith(referrer, "data:");
  if (startsWith(specifier, "./") || startsWith(specifier, "../")) {
    if (fromData) {
      return makeError("Cannot resolve '" + specifier +
                       "' imported from a data: URL module: relative imports need a file");
    }
    return ModuleLocation{normalize(dirName(referrer) + "/" + specifier), false};
  }
  if (startsWith(specifier, "/")) return ModuleLocation{normalize(specifier), false};
  if (specifier.empty() || specifier.find(':') != std::string::npos) {
    std::string scheme = specifier.substr(0, specifier.find(':') + 1);
    return makeError("Cannot resolve '" + specifier + "' imported from " + referrer + ": " +
                     (scheme == "node:" ? "Node.js built-in modules are not available"
                                        : "'" + scheme + "' imports are not supported") +
                     " (torus imports files, data: URLs and node_modules packages)");
  }
  if (fromData) {
    return makeError("Cannot resolve '" + specifier +
                     "' imported from a data: URL module: packages need a file to start from");
  }
  return resolvePackage(iso, specifier, referrer);
}

Result<DataUrl> decodeDataUrl(std::string_view url) {
  size_t comma = url.find(',');
  if (!startsWith(url, "data:") || comma == std::string_view::npos) {
    return makeError("invalid data: URL (no ',')");
  }
  std::string meta(url.substr(5, comma - 5));
  std::string_view body = url.substr(comma + 1);
  size_t hash = body.find('#');
  if (hash != std::string_view::npos) body = body.substr(0, hash);
  bool base64 = false;
  std::string type = meta.substr(0, meta.find(';'));
  for (size_t at = meta.find(';'); at != std::string::npos; at = meta.find(';', at + 1)) {
    std::string param = meta.substr(at + 1, meta.find(';', at + 1) - at - 1);
    while (!param.empty() && param.front() == ' ') param.erase(0, 1);
    while (!param.empty() && param.back() == ' ') param.pop_back();
    for (char& c : param) c = char(tolower(c));
    if (param == "base64") base64 = true;
  }
  while (!type.empty() && type.front() == ' ') type.erase(0, 1);
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (char& c : type) c = char(tolower(c));
  DataUrl out{type.empty() ? "text/plain" : type, {}};
  std::string decoded = percentDecode(body);
  if (!base64) {
    out.body = std::move(decoded);
  } else {
    std::optional<size_t> n =
        base64::forgivingDecode(reinterpret_cast<uint8_t*>(decoded.data()), decoded.size());
    if (!n) return makeError("invalid data: URL (bad base64)");
    decoded.resize(*n);
    out.body = std::move(decoded);
  }
  return out;
}

namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool isIdent(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '$';
}

// Whether the word ending just before `end` (whitespace skipped) is `word`, as a token.
bool wordBefore(const std::string& s, size_t end, std::string_view word) {
  while (end > 0 && isSpace(s[end - 1])) --end;
  if (end < word.size() || s.compare(end - word.size(), word.size(), word) != 0) return false;
  size_t start = end - word.size();
  return start == 0 || !isIdent(s[start - 1]);
}

// Static imports and re-exports: `from "x" with {` / `import "x" with {`.
bool staticAttributes(const std::string& s, size_t at) {
  size_t i = at;
  while (i > 0 && isSpace(s[i - 1])) --i;
  if (i == 0 || (s[i - 1] != '"' && s[i - 1] != '\'')) return false;
  char quote = s[i - 1];
  size_t open = s.rfind(quote, i - 2 == size_t(-1) ? 0 : i - 2);
  if (open == std::string::npos || i < 2) return false;
  if (!wordBefore(s, open, "from") && !wordBefore(s, open, "import")) return false;
  size_t j = at + 4;
  while (j < s.size() && isSpace(s[j])) ++j;
  return j < s.size() && s[j] == '{';
}

// import(specifier, { with: ... }): the options object's key right after the top-level comma.
void dynamicAttributes(std::string& s, size_t open) {
  int depth = 0;
  for (size_t i = open; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"' || c == '\'' || c == '`') {
      for (++i; i < s.size() && s[i] != c; ++i) {
        if (s[i] == '\\') ++i;
      }
    } else if (c == '(' || c == '[' || c == '{') {
      ++depth;
    } else if (c == ')' || c == ']' || c == '}') {
      if (--depth == 0) return;
    } else if (c == ',' && depth == 1) {
      size_t j = i + 1;
      while (j < s.size() && isSpace(s[j])) ++j;
      if (j >= s.size() || s[j] != '{') return;
      for (++j; j < s.size() && isSpace(s[j]); ++j) {
      }
      if (s.compare(j, 4, "with") != 0) return;
      size_t k = j + 4;
      while (k < s.size() && isSpace(s[k])) ++k;
      if (k < s.size() && s[k] == ':') s.replace(j, 4, "assert");
      return;
    }
  }
}

}  // namespace

std::string rewriteImportAttributes(std::string s) {
  for (size_t at = s.find("with"); at != std::string::npos; at = s.find("with", at + 4)) {
    if ((at > 0 && isIdent(s[at - 1])) || (at + 4 < s.size() && isIdent(s[at + 4]))) continue;
    if (staticAttributes(s, at)) s.replace(at, 4, "assert");
  }
  for (size_t at = s.find("import"); at != std::string::npos; at = s.find("import", at + 6)) {
    if (at > 0 && (isIdent(s[at - 1]) || s[at - 1] == '.')) continue;
    size_t j = at + 6;
    while (j < s.size() && isSpace(s[j])) ++j;
    if (j < s.size() && s[j] == '(') dynamicAttributes(s, j);
  }
  return s;
}

}  // namespace torus::js
