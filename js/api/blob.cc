#include "js/api/blob.h"

#include <errno.h>
#include <sys/random.h>

#include <climits>
#include <memory>
#include <string>
#include <string_view>

#include "js/api/multipart.h"
#include "js/binding.h"
#include "js/builtins.h"

namespace torus::js {

namespace {

// The bytes of an ArrayBufferView, valid for the call. V8 keeps small typed arrays on its heap
// without a backing store; those are copied out instead of being given one.
class ViewBytes {
 public:
  explicit ViewBytes(v8::Local<v8::ArrayBufferView> view) : size_(view->ByteLength()) {
    if (!view->HasBuffer() && size_ <= sizeof(small_)) {
      view->CopyContents(small_, size_);
      data_ = small_;
    } else if (size_ > 0) {
      store_ = view->Buffer()->GetBackingStore();
      data_ = static_cast<const char*>(store_->Data()) + view->ByteOffset();
    }
  }
  std::string_view bytes() const { return {data_, size_}; }

 private:
  char small_[64];
  std::shared_ptr<v8::BackingStore> store_;
  const char* data_ = small_;
  size_t size_;
};

void throwType(v8::Isolate* iso, const std::string& message) {
  throwError(iso, JsError::type(message));
}

// A UTF-8 string for JS (invalid sequences become U+FFFD), or empty with a RangeError
// thrown when it is longer than V8's longest string.
v8::MaybeLocal<v8::String> decode(v8::Isolate* iso, std::string_view s) {
  v8::Local<v8::String> out;
  if (s.size() <= size_t(INT_MAX) &&
      v8::String::NewFromUtf8(iso, s.data(), v8::NewStringType::kNormal, int(s.size()))
          .ToLocal(&out)) {
    return out;
  }
  throwError(iso, JsError::range("The text is longer than the longest string (" +
                                 std::to_string(v8::String::kMaxLength) + " characters)."));
  return {};
}

// utf8Length(string): the length of its UTF-8 form (a lone surrogate counts as U+FFFD).
void utf8Length(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (!info[0]->IsString()) return throwType(info.GetIsolate(), "utf8Length: not a string");
  info.GetReturnValue().Set(info[0].As<v8::String>()->Utf8Length(info.GetIsolate()));
}

// utf8Write(string, uint8Array, offset, nativeEndings): writes the string's UTF-8 form (sized
// by utf8Length) into the array from offset; with nativeEndings, CRLF and CR become LF (the File
// API's "convert line endings to native" on a POSIX system). Returns the bytes written.
void utf8Write(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  if (!info[0]->IsString() || !info[1]->IsUint8Array() || !info[2]->IsNumber()) {
    return throwType(iso, "utf8Write: expected (string, Uint8Array, offset)");
  }
  auto target = info[1].As<v8::Uint8Array>();
  size_t length = target->ByteLength();
  double offset = info[2].As<v8::Number>()->Value();
  if (!(offset >= 0 && offset <= double(length))) return throwType(iso, "utf8Write: bad offset");
  size_t capacity = length - size_t(offset);
  if (capacity == 0) return info.GetReturnValue().Set(0);
  auto store = target->Buffer()->GetBackingStore();
  char* p = static_cast<char*>(store->Data()) + target->ByteOffset() + size_t(offset);
  int written = info[0].As<v8::String>()->WriteUtf8(
      iso, p, int(capacity > size_t(INT_MAX) ? INT_MAX : capacity), nullptr,
      v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  size_t n = size_t(written);
  if (info[3]->BooleanValue(iso)) {
    size_t o = 0;
    for (size_t i = 0; i < n; ++i) {
      if (p[i] == '\r') {
        p[o++] = '\n';
        if (i + 1 < n && p[i + 1] == '\n') ++i;
      } else {
        p[o++] = p[i];
      }
    }
    n = o;
  }
  info.GetReturnValue().Set(double(n));
}

// utf8Decode(view, keepBom): https://encoding.spec.whatwg.org/#utf-8-decode (a leading BOM
// dropped unless keepBom; invalid sequences as U+FFFD).
void utf8Decode(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  if (!info[0]->IsArrayBufferView()) return throwType(iso, "utf8Decode: not a view");
  ViewBytes view(info[0].As<v8::ArrayBufferView>());
  std::string_view s = view.bytes();
  if (!info[1]->BooleanValue(iso) && s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
  v8::Local<v8::String> out;
  if (decode(iso, s).ToLocal(&out)) info.GetReturnValue().Set(out);
}

// parseFormBody(view, contentType): the entries of a multipart/form-data or
// application/x-www-form-urlencoded body, as [name, value] for a string and
// [name, filename, contentType|null, offset, length] for a file (its bytes are
// view[offset, offset + length)); a TypeError for a malformed body, a limit exceeded or a
// Content-Type that is neither.
void parseFormBody(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  if (!info[0]->IsArrayBufferView()) return throwType(iso, "parseFormBody: not a view");
  ViewBytes view(info[0].As<v8::ArrayBufferView>());
  multipart::FormType type = multipart::formType(utf8(iso, info[1]));
  v8::Local<v8::Array> out = v8::Array::New(iso);
  uint32_t index = 0;
  auto str = [&](std::string_view s, v8::Local<v8::Value>* v) {
    v8::Local<v8::String> js;
    if (!decode(iso, s).ToLocal(&js)) return false;
    *v = js;
    return true;
  };
  auto push = [&](v8::Local<v8::Value>* items, size_t n) {
    out->Set(ctx, index++, v8::Array::New(iso, items, n)).Check();
  };
  if (type.kind == multipart::FormKind::kUrlencoded) {
    auto pairs = multipart::parseUrlencoded(view.bytes());
    if (!pairs.ok()) return throwType(iso, pairs.error());
    for (const auto& [name, value] : pairs.value()) {
      v8::Local<v8::Value> items[2];
      if (!str(name, &items[0]) || !str(value, &items[1])) return;
      push(items, 2);
    }
  } else if (type.kind == multipart::FormKind::kMultipart) {
    auto parts = multipart::parse(view.bytes(), type.boundary);
    if (!parts.ok()) return throwType(iso, parts.error());
    for (const multipart::Part& p : parts.value()) {
      v8::Local<v8::Value> items[5];
      if (!str(p.name, &items[0])) return;
      if (!p.isFile) {
        if (!str(view.bytes().substr(p.bodyOffset, p.bodyLength), &items[1])) return;
        push(items, 2);
        continue;
      }
      if (!str(p.filename, &items[1])) return;
      if (p.hasContentType) {
        if (!str(p.contentType, &items[2])) return;
      } else {
        items[2] = v8::Null(iso);
      }
      items[3] = v8::Number::New(iso, double(p.bodyOffset));
      items[4] = v8::Number::New(iso, double(p.bodyLength));
      push(items, 5);
    }
  } else {
    return throwType(iso, multipart::kMalformed);
  }
  info.GetReturnValue().Set(out);
}

// formBoundary(): "----formdata-torus-" and 32 random hex digits.
void formBoundary(const v8::FunctionCallbackInfo<v8::Value>& info) {
  unsigned char random[16] = {};
  size_t got = 0;
  while (got < sizeof(random)) {
    ssize_t n = getrandom(random + got, sizeof(random) - got, 0);
    if (n > 0) {
      got += size_t(n);
    } else if (errno != EINTR) {
      break;  // no entropy source: a zero tail still gives a valid boundary
    }
  }
  static const char kHex[] = "0123456789abcdef";
  std::string s = "----formdata-torus-";
  for (unsigned char c : random) {
    s.push_back(kHex[c >> 4]);
    s.push_back(kHex[c & 15]);
  }
  info.GetReturnValue().Set(v8Str(info.GetIsolate(), s));
}

}  // namespace

void addBlobNatives(Natives& natives) {
  natives.add("utf8Length", utf8Length);
  natives.add("utf8Write", utf8Write);
  natives.add("utf8Decode", utf8Decode);
  natives.add("parseFormBody", parseFormBody);
  natives.add("formBoundary", formBoundary);
}

}  // namespace torus::js
