#include "js/api/headers.h"

#include "js/builtins.h"

#include <algorithm>
#include <array>
#include <numeric>

namespace torus::js {

namespace {

// RFC 9110 tchar.
constexpr std::array<bool, 256> kTokenChars = [] {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}();

bool isHeaderName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!kTokenChars[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

bool isHttpWhitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// https://fetch.spec.whatwg.org/#concept-header-value-normalize
std::string_view normalizeValue(std::string_view v) {
  while (!v.empty() && isHttpWhitespace(v.front())) v.remove_prefix(1);
  while (!v.empty() && isHttpWhitespace(v.back())) v.remove_suffix(1);
  return v;
}

// A normalized value is a header value unless it holds NUL, CR or LF.
bool isHeaderValue(std::string_view v) {
  return v.find_first_of(std::string_view("\0\r\n", 3)) == std::string_view::npos;
}

char asciiLower(char c) { return (c >= 'A' && c <= 'Z') ? char(c + ('a' - 'A')) : c; }

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = asciiLower(c);
  return out;
}

// Error messages are UTF-8; header bytes are Latin-1.
std::string latin1ToUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out += char(c);
    } else {
      out += char(0xC0 | (c >> 6));
      out += char(0x80 | (c & 0x3F));
    }
  }
  return out;
}

std::string failedTo(const char* member) {
  if (std::string_view(member) == "constructor") return "Failed to construct 'Headers': ";
  return std::string("Failed to execute '") + member + "' on 'Headers': ";
}

JsError invalidName(const char* member, std::string_view name) {
  return JsError::type(failedTo(member) + "Invalid header name '" + latin1ToUtf8(name) + "'");
}

JsError invalidValue(const char* member, std::string_view value) {
  return JsError::type(failedTo(member) + "Invalid header value '" + latin1ToUtf8(value) + "'");
}

JsError immutable() { return JsError::type("Headers are immutable"); }

// https://fetch.spec.whatwg.org/#no-cors-safelisted-request-header-name
bool isNoCorsSafelistedName(std::string_view lower) {
  return lower == "accept" || lower == "accept-language" || lower == "content-language" ||
         lower == "content-type";
}

// https://fetch.spec.whatwg.org/#cors-unsafe-request-header-byte
bool isCorsUnsafeByte(unsigned char c) {
  return (c < 0x20 && c != 0x09) || c == 0x7f ||
         std::string_view("\"():<>?@[\\]{}").find(char(c)) != std::string_view::npos;
}

// https://fetch.spec.whatwg.org/#cors-safelisted-request-header for the no-CORS-safelisted
// names (value already normalized).
bool isCorsSafelisted(std::string_view lower, std::string_view value) {
  if (value.size() > 128) return false;
  if (lower == "accept") {
    return std::none_of(value.begin(), value.end(),
                        [](char c) { return isCorsUnsafeByte(static_cast<unsigned char>(c)); });
  }
  if (lower == "accept-language" || lower == "content-language") {
    return std::all_of(value.begin(), value.end(), [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
             std::string_view(" *,-.;=").find(c) != std::string_view::npos;
    });
  }
  if (lower == "content-type") {
    if (std::any_of(value.begin(), value.end(),
                    [](char c) { return isCorsUnsafeByte(static_cast<unsigned char>(c)); })) {
      return false;
    }
    // The MIME type's essence (https://mimesniff.spec.whatwg.org/#parse-a-mime-type).
    std::string essence = lowercase(normalizeValue(value.substr(0, value.find(';'))));
    return essence == "application/x-www-form-urlencoded" ||
           essence == "multipart/form-data" || essence == "text/plain";
  }
  return false;
}

}  // namespace

void Headers::describe(ClassBuilder<Headers>& c) {
  c.constructor<&Headers::construct>();
  c.method<&Headers::append>("append");
  c.method<&Headers::jsDelete>("delete");
  c.method<&Headers::jsGet>("get");
  c.method<&Headers::getSetCookie>("getSetCookie");
  c.method<&Headers::jsHas>("has");
  c.method<&Headers::jsSet>("set");
  // entries/keys/values/forEach/@@iterator: js/builtins/41_headers.js.
}

Headers* Headers::create(Guard g) { return new Headers(g); }

// ---- C++ API ----

void Headers::appendTrusted(std::string_view name, std::string_view value) {
  list_.push_back(Entry{lowercase(name), std::string(value)});
  changed();
}

void Headers::setTrusted(std::string_view lowercaseName, std::string_view value) {
  // https://fetch.spec.whatwg.org/#concept-header-list-set: the first entry takes the value,
  // the others go.
  auto first = std::find_if(list_.begin(), list_.end(),
                            [&](const Entry& e) { return e.name == lowercaseName; });
  if (first == list_.end()) {
    list_.push_back(Entry{std::string(lowercaseName), std::string(value)});
  } else {
    first->value.assign(value);
    list_.erase(std::remove_if(first + 1, list_.end(),
                               [&](const Entry& e) { return e.name == lowercaseName; }),
                list_.end());
  }
  changed();
}

std::optional<std::string> Headers::get(std::string_view lowercaseName) const {
  std::optional<std::string> out;
  for (const Entry& e : list_) {
    if (e.name != lowercaseName) continue;
    if (out) {
      out->append(", ");
      out->append(e.value);
    } else {
      out = e.value;
    }
  }
  return out;
}

bool Headers::has(std::string_view lowercaseName) const {
  for (const Entry& e : list_) {
    if (e.name == lowercaseName) return true;
  }
  return false;
}

void Headers::remove(std::string_view lowercaseName) {
  list_.erase(std::remove_if(list_.begin(), list_.end(),
                             [&](const Entry& e) { return e.name == lowercaseName; }),
              list_.end());
  changed();
}

const std::vector<Headers::Entry>& Headers::sortedAndCombined() const {
  if (sortedValid_) return sorted_;
  sorted_.clear();
  // A stable sort keeps each name's values in list order.
  std::vector<size_t> order(list_.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return list_[a].name < list_[b].name; });
  for (size_t i : order) {
    const Entry& e = list_[i];
    if (!sorted_.empty() && sorted_.back().name == e.name && e.name != "set-cookie") {
      sorted_.back().value.append(", ");
      sorted_.back().value.append(e.value);
    } else {
      sorted_.push_back(e);
    }
  }
  sortedValid_ = true;
  return sorted_;
}

JsResult<void> Headers::appendChecked(const char* member, std::string_view name,
                                      std::string_view value) {
  value = normalizeValue(value);
  if (!isHeaderName(name)) return invalidName(member, name);
  if (!isHeaderValue(value)) return invalidValue(member, value);
  if (guard_ == Guard::kImmutable) return immutable();
  if (guard_ == Guard::kRequestNoCors && !noCorsAllowsAppend(name, value)) return {};
  appendTrusted(name, value);
  return {};
}

bool Headers::noCorsAllowsAppend(std::string_view name, std::string_view value) const {
  std::string lower = lowercase(name);
  if (!isNoCorsSafelistedName(lower)) return false;
  std::optional<std::string> combined = get(lower);
  if (combined) {
    combined->append(", ");
    combined->append(value);
  }
  return isCorsSafelisted(lower, combined ? *combined : value);
}

JsResult<void> Headers::fill(Realm& realm, v8::Local<v8::Value> init) {
  // A Headers init is iterated like any other sequence (its @@iterator may have been
  // replaced, and WebIDL says to call it).
  // HeadersInit: WebIDL converts the whole value first (sequences through their iterators,
  // records key by key), then fill checks each pair.
  HeadersInit converted;
  if (!Converter<HeadersInit>::from(ArgContext{realm, "Headers", "constructor", 1}, init,
                                    &converted)) {
    return JsError::pending();
  }
  return fill(converted);
}

void Headers::copyFrom(const Headers& other) {
  if (&other == this) return;
  if (guard_ == Guard::kRequestNoCors) {
    for (const Entry& e : other.list_) {
      if (noCorsAllowsAppend(e.name, e.value)) appendTrusted(e.name, e.value);
    }
    return;
  }
  list_.insert(list_.end(), other.list_.begin(), other.list_.end());
  changed();
}

JsResult<void> Headers::fill(const HeadersInit& converted) {
  if (auto* pairs = std::get_if<0>(&converted)) {
    for (const auto& pair : *pairs) {
      if (pair.size() != 2) {
        return JsError::type(
            "Failed to construct 'Headers': Header pair must contain exactly two items, got " +
            std::to_string(pair.size()));
      }
      JsResult<void> r = appendInit(pair[0].value, pair[1].value);
      if (!r.ok()) return r;
    }
    return {};
  }
  for (const auto& [name, value] : std::get<1>(converted).entries) {
    JsResult<void> r = appendInit(name.value, value.value);
    if (!r.ok()) return r;
  }
  return {};
}

JsResult<void> Headers::appendInit(std::string_view name, std::string_view value) {
  value = normalizeValue(value);
  if (!isHeaderName(name)) return invalidName("constructor", name);
  if (!isHeaderValue(value)) return invalidValue("constructor", value);
  if (guard_ == Guard::kRequestNoCors && !noCorsAllowsAppend(name, value)) return {};
  appendTrusted(name, value);
  return {};
}

// ---- JS surface ----

JsResult<Headers*> Headers::construct(Realm& realm, Optional<v8::Local<v8::Value>> init) {
  Headers* h = create(Guard::kNone);
  if (init) {
    JsResult<void> r = h->fill(realm, *init);
    if (!r.ok()) {
      delete h;
      return std::move(r.error());
    }
  }
  return h;
}

JsResult<void> Headers::append(Realm& realm, ByteString name, ByteString value) {
  return appendChecked("append", name.value, value.value);
}

JsResult<void> Headers::jsDelete(Realm& realm, ByteString name) {
  if (!isHeaderName(name.value)) return invalidName("delete", name.value);
  if (guard_ == Guard::kImmutable) return immutable();
  std::string lower = lowercase(name.value);
  if (guard_ == Guard::kRequestNoCors && !isNoCorsSafelistedName(lower)) return {};
  if (has(lower)) remove(lower);
  return {};
}

JsResult<v8::Local<v8::Value>> Headers::jsGet(Realm& realm, ByteString name) {
  if (!isHeaderName(name.value)) return invalidName("get", name.value);
  std::optional<std::string> v = get(lowercase(name.value));
  if (!v) return v8::Null(realm.isolate()).As<v8::Value>();
  return latin1String(realm.isolate(), *v).As<v8::Value>();
}

v8::Local<v8::Value> Headers::getSetCookie(Realm& realm) {
  v8::Isolate* iso = realm.isolate();
  std::vector<v8::Local<v8::Value>> out;
  for (const Entry& e : list_) {
    if (e.name == "set-cookie") out.push_back(latin1String(iso, e.value));
  }
  return v8::Array::New(iso, out.data(), out.size());
}

JsResult<bool> Headers::jsHas(Realm& realm, ByteString name) {
  if (!isHeaderName(name.value)) return invalidName("has", name.value);
  return has(lowercase(name.value));
}

JsResult<void> Headers::jsSet(Realm& realm, ByteString name, ByteString value) {
  std::string_view v = normalizeValue(value.value);
  if (!isHeaderName(name.value)) return invalidName("set", name.value);
  if (!isHeaderValue(v)) return invalidValue("set", v);
  if (guard_ == Guard::kImmutable) return immutable();
  std::string lower = lowercase(name.value);
  if (guard_ == Guard::kRequestNoCors &&
      !(isNoCorsSafelistedName(lower) && isCorsSafelisted(lower, v))) {
    return {};
  }
  setTrusted(lower, v);
  return {};
}

// Slots of a Headers wrapper's traced values: the cached iteration list and its version.
enum : int { kListSlot = 0, kListVersionSlot = 1 };

void headersList(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Headers* h = Wrappable::unwrap<Headers>(info[0]);
  if (!h) return;
  v8::Isolate* iso = info.GetIsolate();
  Realm& realm = Realm::from(iso);
  v8::Local<v8::Object> wrapper = info[0].As<v8::Object>();
  v8::Local<v8::Value> cached = Wrappable::traced(realm, wrapper, kListSlot);
  v8::Local<v8::Value> version = Wrappable::traced(realm, wrapper, kListVersionSlot);
  if (cached->IsArray() && version->IsUint32() &&
      version.As<v8::Uint32>()->Value() == h->version_) {
    info.GetReturnValue().Set(cached);
    return;
  }
  const std::vector<Headers::Entry>& pairs = h->sortedAndCombined();
  std::vector<v8::Local<v8::Value>> items;
  items.reserve(pairs.size());
  for (const Headers::Entry& e : pairs) {
    v8::Local<v8::Value> pair[] = {latin1String(iso, e.name), latin1String(iso, e.value)};
    items.push_back(v8::Array::New(iso, pair, 2));
  }
  v8::Local<v8::Array> list = v8::Array::New(iso, items.data(), items.size());
  Wrappable::setTraced(realm, wrapper, kListSlot, list);
  Wrappable::setTraced(realm, wrapper, kListVersionSlot,
                       v8::Integer::NewFromUnsigned(iso, h->version_));
  info.GetReturnValue().Set(list);
}

void addHeadersNatives(Natives& natives) {
  natives.add("headersList", headersList);
  natives.add("isHeaders", [](const v8::FunctionCallbackInfo<v8::Value>& info) {
    info.GetReturnValue().Set(Wrappable::unwrap<Headers>(info[0]) != nullptr);
  });
}

}  // namespace torus::js
