// WHATWG Fetch `Headers` (https://fetch.spec.whatwg.org/#headers-class).
//
// The header list is a vector of (lowercase name, value) entries in insertion order, scanned
// linearly: real header counts are small. Names and values are bytes (WebIDL ByteString: one
// byte per code unit, Latin-1 when shown to JS), exactly as they go on the wire.
//
// Ownership: create() returns a native owned by the caller until wrap<Headers>(realm, h)
// hands it to a JS wrapper (then the wrapper owns it, see Wrappable). A Headers built by
// `new Headers()` in JS is owned by its wrapper from the start.
//
// Thread: the isolate's.
#pragma once

#include <v8.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "js/binding.h"

namespace torus::js {

class Headers : public Wrappable {
 public:
  static constexpr WrapperType kType{"Headers"};
  static void describe(ClassBuilder<Headers>& c);

  // https://fetch.spec.whatwg.org/#concept-headers-guard. A server has no forbidden
  // request- or response-header names (as workerd and Deno), so "request" and "response" are
  // kNone; kRequestNoCors keeps only no-CORS-safelisted request-headers (a Request with mode
  // "no-cors"), silently, as the spec says.
  enum class Guard { kNone, kImmutable, kRequestNoCors };

  struct Entry {
    std::string name;  // lowercase
    std::string value;
  };

  // A new, empty Headers owned by the caller until wrap<Headers>(realm, h) gives it to a
  // JS wrapper (or the caller deletes it).
  static Headers* create(Guard g = Guard::kNone);

  // https://fetch.spec.whatwg.org/#typedefdef-headersinit
  using HeadersInit =
      std::variant<std::vector<std::vector<ByteString>>, Record<ByteString, ByteString>>;

  // https://fetch.spec.whatwg.org/#concept-headers-fill: init is a Headers, a sequence of
  // [name, value] sequences, or a record<ByteString, ByteString>. Validates like append();
  // ignores an immutable guard (fill runs while an object is being built) but not
  // "request-no-cors". On a JS exception thrown
  // by init's iterators or getters the error is JsError::pending().
  JsResult<void> fill(Realm& realm, v8::Local<v8::Value> init);
  // The same for an init already converted (a dictionary member).
  JsResult<void> fill(const HeadersInit& init);
  // Appends every entry of other's list (already valid) that this guard allows.
  void copyFrom(const Headers& other);

  // Already-validated bytes (e.g. from the HTTP parser): no checks, no guard. The name is
  // lowercased here.
  void appendTrusted(std::string_view name, std::string_view value);
  // Replaces every value of the name with one value (or appends it). No checks, no guard.
  void setTrusted(std::string_view lowercaseName, std::string_view value);
  // The values of the name combined with ", ", or nullopt if absent.
  std::optional<std::string> get(std::string_view lowercaseName) const;
  bool has(std::string_view lowercaseName) const;

  Guard guard() const { return guard_; }
  void setGuard(Guard g) { guard_ = g; }

  // The raw header list, for serialization: lowercase names, insertion order, one entry per
  // appended value (set-cookie never combined).
  const std::vector<Entry>& list() const { return list_; }
  // https://fetch.spec.whatwg.org/#concept-header-list-sort-and-combine: what JS iterates
  // (names sorted, values of a name combined with ", ", set-cookie values kept apart).
  // Cached; the reference is valid until the next mutation.
  const std::vector<Entry>& sortedAndCombined() const;

 private:
  friend class ClassBuilder<Headers>;
  explicit Headers(Guard g) : guard_(g) {}

  // ---- the JS surface (C++ names follow JS where they do not clash with the API above) ----
  static JsResult<Headers*> construct(Realm& realm, Optional<v8::Local<v8::Value>> init);
  JsResult<void> append(Realm& realm, ByteString name, ByteString value);
  JsResult<void> jsDelete(Realm& realm, ByteString name);
  JsResult<v8::Local<v8::Value>> jsGet(Realm& realm, ByteString name);
  v8::Local<v8::Value> getSetCookie(Realm& realm);
  JsResult<bool> jsHas(Realm& realm, ByteString name);
  JsResult<void> jsSet(Realm& realm, ByteString name, ByteString value);

  // Validates and normalizes one pair of an init and appends it (no guard).
  JsResult<void> appendInit(std::string_view name, std::string_view value);
  // Validates and normalizes (name, value) for `member` and checks the guard.
  JsResult<void> appendChecked(const char* member, std::string_view name, std::string_view value);
  void remove(std::string_view lowercaseName);
  // Under the "request-no-cors" guard: whether appending (name, value) keeps the header a
  // no-CORS-safelisted request-header (https://fetch.spec.whatwg.org/#dom-headers-append).
  bool noCorsAllowsAppend(std::string_view name, std::string_view value) const;
  void changed() {
    sortedValid_ = false;
    ++version_;
  }

  std::vector<Entry> list_;
  mutable std::vector<Entry> sorted_;
  mutable bool sortedValid_ = false;
  uint32_t version_ = 0;  // bumped by every change: the JS iteration list is cached against it
  friend void headersList(const v8::FunctionCallbackInfo<v8::Value>& info);
  Guard guard_;
};

class Natives;
// For js/builtins/41_headers.js, Headers' pair iterator in JS: headersList(h), the sorted and
// combined list as an array of [name, value] arrays, cached on h's wrapper until h changes;
// isHeaders(v).
void addHeadersNatives(Natives& natives);
void headersList(const v8::FunctionCallbackInfo<v8::Value>& info);


}  // namespace torus::js
