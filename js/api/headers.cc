#include "js/api/headers.h"

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

v8::Local<v8::String> byteString(v8::Isolate* iso, std::string_view s) {
  return v8::String::NewFromOneByte(iso, reinterpret_cast<const uint8_t*>(s.data()),
                                    v8::NewStringType::kNormal, int(s.size()))
      .ToLocalChecked();
}

// WebIDL ByteString conversion for values met while walking `init`. False with an exception
// pending in the isolate.
bool toByteString(Realm& realm, v8::Local<v8::Value> v, std::string* out) {
  ByteString b;
  if (!Converter<ByteString>::from(ArgContext{realm, "Headers", "constructor", 1}, v, &b)) {
    return false;
  }
  *out = std::move(b.value);
  return true;
}

// Runs the iterator protocol over `iterable` with its @@iterator `method`, calling
// onValue(value) -> bool for each value. False with an exception pending.
template <typename F>
bool iterate(Realm& realm, v8::Local<v8::Value> iterable, v8::Local<v8::Function> method,
             F&& onValue) {
  v8::Isolate* iso = realm.isolate();
  v8::Local<v8::Context> ctx = realm.context();
  v8::Local<v8::Value> iter;
  if (!method->Call(ctx, iterable, 0, nullptr).ToLocal(&iter)) return false;
  if (!iter->IsObject()) {
    realm.throwError(JsError::type("Result of the Symbol.iterator method is not an object"));
    return false;
  }
  v8::Local<v8::Value> next;
  if (!iter.As<v8::Object>()->Get(ctx, realm.internalized("next")).ToLocal(&next)) return false;
  if (!next->IsFunction()) {
    realm.throwError(JsError::type("The iterator's 'next' is not a function"));
    return false;
  }
  for (;;) {
    v8::Local<v8::Value> result;
    if (!next.As<v8::Function>()->Call(ctx, iter, 0, nullptr).ToLocal(&result)) return false;
    if (!result->IsObject()) {
      realm.throwError(JsError::type("Iterator result is not an object"));
      return false;
    }
    v8::Local<v8::Object> r = result.As<v8::Object>();
    v8::Local<v8::Value> done;
    if (!r->Get(ctx, realm.internalized("done")).ToLocal(&done)) return false;
    if (done->BooleanValue(iso)) return true;
    v8::Local<v8::Value> value;
    if (!r->Get(ctx, realm.internalized("value")).ToLocal(&value)) return false;
    if (!onValue(value)) return false;
  }
}

// The @@iterator method of v: true with *method empty when v has none; false on an exception.
bool iteratorMethod(Realm& realm, v8::Local<v8::Object> v, v8::Local<v8::Function>* method) {
  v8::Local<v8::Value> m;
  if (!v->Get(realm.context(), v8::Symbol::GetIterator(realm.isolate())).ToLocal(&m)) {
    return false;
  }
  if (m->IsNullOrUndefined()) {
    *method = {};
    return true;
  }
  if (!m->IsFunction()) {
    realm.throwError(JsError::type("Symbol.iterator is not a function"));
    return false;
  }
  *method = m.As<v8::Function>();
  return true;
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
  c.method<&Headers::forEach>("forEach");
  c.iterable<&Headers::entries>("entries");
  c.method<&Headers::keys>("keys");
  c.method<&Headers::values>("values");
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
  appendTrusted(name, value);
  return {};
}

JsResult<void> Headers::fill(Realm& realm, v8::Local<v8::Value> init) {
  if (Headers* other = Wrappable::unwrap<Headers>(init)) {
    if (other == this) return {};
    // The other list is already valid: copy it, combining nothing (a fast path for the
    // spec's iteration, which get() and serialization cannot tell apart).
    list_.insert(list_.end(), other->list_.begin(), other->list_.end());
    changed();
    return {};
  }
  if (!init->IsObject()) {
    return JsError::type(
        "Failed to construct 'Headers': The provided value is not of type "
        "'(record<ByteString, ByteString> or sequence<sequence<ByteString>>)'.");
  }
  v8::Local<v8::Object> obj = init.As<v8::Object>();
  v8::Local<v8::Function> method;
  if (!iteratorMethod(realm, obj, &method)) return JsError::pending();

  if (!method.IsEmpty()) {
    // sequence<sequence<ByteString>>: WebIDL converts the whole value first, then fill
    // checks each pair.
    std::vector<std::vector<std::string>> pairs;
    bool ok = iterate(realm, obj, method, [&](v8::Local<v8::Value> item) {
      if (!item->IsObject()) {
        realm.throwError(JsError::type(
            "Failed to construct 'Headers': The provided value cannot be converted to a "
            "sequence."));
        return false;
      }
      v8::Local<v8::Function> inner;
      if (!iteratorMethod(realm, item.As<v8::Object>(), &inner)) return false;
      if (inner.IsEmpty()) {
        realm.throwError(JsError::type(
            "Failed to construct 'Headers': The provided value cannot be converted to a "
            "sequence."));
        return false;
      }
      std::vector<std::string>& pair = pairs.emplace_back();
      return iterate(realm, item, inner, [&](v8::Local<v8::Value> part) {
        return toByteString(realm, part, &pair.emplace_back());
      });
    });
    if (!ok) return JsError::pending();
    for (const auto& pair : pairs) {
      if (pair.size() != 2) {
        return JsError::type(
            "Failed to construct 'Headers': Header pair must contain exactly two items, got " +
            std::to_string(pair.size()));
      }
      std::string_view value = normalizeValue(pair[1]);
      if (!isHeaderName(pair[0])) return invalidName("constructor", pair[0]);
      if (!isHeaderValue(value)) return invalidValue("constructor", value);
      appendTrusted(pair[0], value);
    }
    return {};
  }

  // record<ByteString, ByteString>: own enumerable keys in property order (a Symbol key
  // fails the ByteString conversion, as WebIDL says).
  v8::Local<v8::Context> ctx = realm.context();
  v8::Local<v8::Array> keys;
  if (!obj->GetPropertyNames(ctx, v8::KeyCollectionMode::kOwnOnly, v8::ONLY_ENUMERABLE,
                             v8::IndexFilter::kIncludeIndices,
                             v8::KeyConversionMode::kConvertToString)
           .ToLocal(&keys)) {
    return JsError::pending();
  }
  std::vector<Entry> record;
  for (uint32_t i = 0; i < keys->Length(); ++i) {
    v8::Local<v8::Value> key, value;
    Entry e;
    if (!keys->Get(ctx, i).ToLocal(&key) || !toByteString(realm, key, &e.name) ||
        !obj->Get(ctx, key).ToLocal(&value) || !toByteString(realm, value, &e.value)) {
      return JsError::pending();
    }
    record.push_back(std::move(e));
  }
  for (const Entry& e : record) {
    std::string_view value = normalizeValue(e.value);
    if (!isHeaderName(e.name)) return invalidName("constructor", e.name);
    if (!isHeaderValue(value)) return invalidValue("constructor", value);
    appendTrusted(e.name, value);
  }
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
  if (has(lower)) remove(lower);
  return {};
}

JsResult<v8::Local<v8::Value>> Headers::jsGet(Realm& realm, ByteString name) {
  if (!isHeaderName(name.value)) return invalidName("get", name.value);
  std::optional<std::string> v = get(lowercase(name.value));
  if (!v) return v8::Null(realm.isolate()).As<v8::Value>();
  return byteString(realm.isolate(), *v).As<v8::Value>();
}

v8::Local<v8::Value> Headers::getSetCookie(Realm& realm) {
  v8::Isolate* iso = realm.isolate();
  std::vector<v8::Local<v8::Value>> out;
  for (const Entry& e : list_) {
    if (e.name == "set-cookie") out.push_back(byteString(iso, e.value));
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
  setTrusted(lowercase(name.value), v);
  return {};
}

JsResult<void> Headers::forEach(Realm& realm, v8::Local<v8::Value> callback,
                                Optional<v8::Local<v8::Value>> thisArg) {
  if (!callback->IsFunction()) {
    return JsError::type(
        "Failed to execute 'forEach' on 'Headers': parameter 1 is not of type 'Function'.");
  }
  v8::Isolate* iso = realm.isolate();
  v8::Local<v8::Object> self = wrapper(iso);
  // The callback may change the headers: the spec re-reads the list after each call.
  for (size_t i = 0;; ++i) {
    const std::vector<Entry>& pairs = sortedAndCombined();
    if (i >= pairs.size()) break;
    v8::Local<v8::Value> args[] = {byteString(iso, pairs[i].value), byteString(iso, pairs[i].name),
                                   self};
    v8::Local<v8::Value> receiver = thisArg.value_or(v8::Undefined(iso).As<v8::Value>());
    if (callback.As<v8::Function>()->Call(realm.context(), receiver, 3, args).IsEmpty()) {
      return JsError::pending();
    }
  }
  return {};
}

v8::Local<v8::Value> Headers::entries(Realm& realm) {
  return wrap(realm, new HeadersIterator(realm, this, HeadersIterator::Kind::kEntries));
}

v8::Local<v8::Value> Headers::keys(Realm& realm) {
  return wrap(realm, new HeadersIterator(realm, this, HeadersIterator::Kind::kKeys));
}

v8::Local<v8::Value> Headers::values(Realm& realm) {
  return wrap(realm, new HeadersIterator(realm, this, HeadersIterator::Kind::kValues));
}

void HeadersIterator::describe(ClassBuilder<HeadersIterator>& c) {
  c.method<&HeadersIterator::next>("next");
  c.iterable<&HeadersIterator::self>(nullptr);
  // WebIDL: the iterator prototype inherits from %IteratorPrototype%.
  Realm& realm = c.realm();
  v8::Local<v8::Context> ctx = realm.context();
  v8::Local<v8::Object> proto = c.tmpl()
                                    ->GetFunction(ctx)
                                    .ToLocalChecked()
                                    ->Get(ctx, realm.internalized("prototype"))
                                    .ToLocalChecked()
                                    .As<v8::Object>();
  v8::Local<v8::Value> arrayIter;
  v8::Local<v8::Array> empty = v8::Array::New(realm.isolate());
  v8::Local<v8::Value> values =
      empty->Get(ctx, v8::Symbol::GetIterator(realm.isolate())).ToLocalChecked();
  if (values.As<v8::Function>()->Call(ctx, empty, 0, nullptr).ToLocal(&arrayIter)) {
    v8::Local<v8::Value> iteratorProto =
        arrayIter.As<v8::Object>()->GetPrototype().As<v8::Object>()->GetPrototype();
    proto->SetPrototype(ctx, iteratorProto).Check();
  }
}

HeadersIterator::HeadersIterator(Realm& realm, Headers* headers, Kind kind)
    : headers_(headers), headersRef_(realm.isolate(), headers->wrapper(realm.isolate())),
      kind_(kind) {}

v8::Local<v8::Value> HeadersIterator::next(Realm& realm) {
  v8::Isolate* iso = realm.isolate();
  v8::Local<v8::Context> ctx = realm.context();
  const std::vector<Headers::Entry>& pairs = headers_->sortedAndCombined();
  v8::Local<v8::Object> result = v8::Object::New(iso);
  bool done = index_ >= pairs.size();
  v8::Local<v8::Value> value = v8::Undefined(iso);
  if (!done) {
    const Headers::Entry& e = pairs[index_++];
    switch (kind_) {
      case Kind::kKeys:
        value = byteString(iso, e.name);
        break;
      case Kind::kValues:
        value = byteString(iso, e.value);
        break;
      case Kind::kEntries: {
        v8::Local<v8::Value> pair[] = {byteString(iso, e.name), byteString(iso, e.value)};
        value = v8::Array::New(iso, pair, 2);
        break;
      }
    }
  }
  result->Set(ctx, realm.internalized("value"), value).Check();
  result->Set(ctx, realm.internalized("done"), v8::Boolean::New(iso, done)).Check();
  return result;
}

}  // namespace torus::js
