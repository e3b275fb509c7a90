#include "js/api/body.h"

#include <cstring>

#include "js/api/headers.h"

namespace torus::js {
namespace {

// UTF-8 decode drops a leading byte order mark (Encoding §"UTF-8 decode").
std::string_view withoutBom(std::string_view s) {
  return s.substr(0, 3) == "\xEF\xBB\xBF" ? s.substr(3) : s;
}

// A new Uint8Array over a copy of bytes (through the isolate's ArrayBuffer allocator, so
// its limit applies).
v8::Local<v8::Uint8Array> newBytes(Realm& realm, std::string_view bytes) {
  auto buffer = v8::ArrayBuffer::New(realm.isolate(), bytes.size());
  if (!bytes.empty()) memcpy(buffer->GetBackingStore()->Data(), bytes.data(), bytes.size());
  return v8::Uint8Array::New(buffer, 0, bytes.size());
}

// The bytes of a Uint8Array made by a built-in helper.
void copyView(v8::Local<v8::Value> v, std::string* out) {
  if (!v->IsArrayBufferView()) {
    out->clear();
    return;
  }
  auto view = v.As<v8::ArrayBufferView>();
  out->resize(view->ByteLength());
  if (!out->empty()) view->CopyContents(out->data(), out->size());
}

}  // namespace

JsResult<void> Body::extract(Realm& realm, v8::Local<v8::Value> init, std::string* contentType) {
  contentType->clear();
  if (init->IsNullOrUndefined()) return {};
  if (init->IsArrayBufferView()) {
    auto view = init.As<v8::ArrayBufferView>();
    bytes_.resize(view->ByteLength());
    if (!bytes_.empty()) view->CopyContents(bytes_.data(), bytes_.size());
    hasBody_ = true;
    return {};
  }
  if (init->IsArrayBuffer()) {
    auto buffer = init.As<v8::ArrayBuffer>();
    bytes_.assign(static_cast<const char*>(buffer->Data()), buffer->ByteLength());
    hasBody_ = true;
    return {};
  }
  v8::Isolate* iso = realm.isolate();
  v8::Local<v8::Context> ctx = realm.context();
  if (init->IsObject()) {
    // Blob/File, FormData, URLSearchParams: serialised by the built-ins that own them.
    v8::Local<v8::Function> extractBody = realm.helper("extractBody");
    v8::Local<v8::Value> result;
    if (!extractBody.IsEmpty()) {
      if (!extractBody->Call(ctx, v8::Undefined(iso), 1, &init).ToLocal(&result)) {
        return JsError::pending();
      }
      if (result->IsObject()) {
        auto o = result.As<v8::Object>();
        v8::Local<v8::Value> bytes, type;
        if (!o->Get(ctx, realm.internalized("bytes")).ToLocal(&bytes) ||
            !o->Get(ctx, realm.internalized("contentType")).ToLocal(&type)) {
          return JsError::pending();
        }
        copyView(bytes, &bytes_);
        if (type->IsString()) *contentType = utf8(iso, type);
        hasBody_ = true;
        return {};
      }
    }
  }
  // USVString: ToString, lone surrogates as U+FFFD.
  v8::Local<v8::String> s;
  if (!init->ToString(ctx).ToLocal(&s)) return JsError::pending();
  hasBody_ = true;
  *contentType = "text/plain;charset=UTF-8";
  if (s->IsOneByte()) {
    // Latin-1 storage: if it is all ASCII, those bytes are the UTF-8.
    bytes_.resize(size_t(s->Length()));
    s->WriteOneByte(iso, reinterpret_cast<uint8_t*>(bytes_.data()), 0, s->Length(),
                    v8::String::NO_NULL_TERMINATION);
    bool ascii = true;
    for (unsigned char c : bytes_) ascii &= c < 0x80;
    if (ascii) return {};
  }
  bytes_.resize(size_t(s->Utf8Length(iso)));
  s->WriteUtf8(iso, bytes_.data(), int(bytes_.size()), nullptr,
               v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  return {};
}

const char* Body::consumerName(Consumer kind) {
  switch (kind) {
    case Consumer::kArrayBuffer: return "arrayBuffer";
    case Consumer::kBlob: return "blob";
    case Consumer::kBytes: return "bytes";
    case Consumer::kFormData: return "formData";
    case Consumer::kJson: return "json";
    case Consumer::kText: return "text";
  }
  return "";
}

JsResult<v8::Local<v8::Value>> Body::consume(Realm& realm, Consumer kind, const char* cls,
                                             const char* member) {
  // Messages are made only on failure: text() on the request path allocates nothing here.
  auto failure = [&](const char* what) {
    return JsError::type(std::string("Failed to execute '") + member + "' on '" + cls +
                         "': " + what);
  };
  if (used_) return failure("body stream already read");
  JsError err;
  if (!loadBytes(&err)) return err;
  used_ = hasBody_;  // a null body is never "used"
  std::string bytes = std::move(bytes_);
  bytes_ = std::string();
  v8::Isolate* iso = realm.isolate();
  v8::Local<v8::Context> ctx = realm.context();
  switch (kind) {
    case Consumer::kText:
      return v8Str(iso, withoutBom(bytes)).As<v8::Value>();
    case Consumer::kJson: {
      v8::Local<v8::Value> value;
      if (!v8::JSON::Parse(ctx, v8Str(iso, withoutBom(bytes))).ToLocal(&value)) {
        return JsError::pending();  // the SyntaxError
      }
      return value;
    }
    case Consumer::kArrayBuffer:
      return newBytes(realm, bytes)->Buffer().As<v8::Value>();
    case Consumer::kBytes:
      return newBytes(realm, bytes).As<v8::Value>();
    case Consumer::kBlob:
    case Consumer::kFormData: {
      // The MIME type comes from the Content-Type header as it is now (it may have been
      // changed since the body was set).
      Headers* headers = bodyHeaders(realm);
      std::optional<std::string> type = headers ? headers->get("content-type") : std::nullopt;
      v8::Local<v8::Value> typeValue =
          type ? latin1String(iso, *type).As<v8::Value>() : v8::Null(iso).As<v8::Value>();
      v8::Local<v8::Function> helper =
          realm.helper(kind == Consumer::kBlob ? "makeBlob" : "parseFormData");
      if (helper.IsEmpty()) return failure("not available in this realm");
      if (kind == Consumer::kBlob && !type) typeValue = v8::String::Empty(iso);
      v8::Local<v8::Value> args[] = {newBytes(realm, bytes), typeValue};
      v8::Local<v8::Value> result;
      if (!helper->Call(ctx, v8::Undefined(iso), 2, args).ToLocal(&result)) {
        return JsError::pending();
      }
      return result;
    }
  }
  return failure("unknown consumer");
}

}  // namespace torus::js
