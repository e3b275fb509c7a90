// The Body mixin shared by Request and Response (https://fetch.spec.whatwg.org/#body-mixin):
// the body's bytes, bodyUsed, and the consumers arrayBuffer(), blob(), bytes(), formData(),
// json(), text().
//
// A body is whole bytes for now (ReadableStream is issue 6): a string body is held as UTF-8,
// a BufferSource body as a copy of its bytes (the spec copies too), a Blob, FormData or
// URLSearchParams body as the bytes the built-ins serialise it to (the realm helper
// "extractBody", js/builtins/31_formdata.js). Until streams exist, `body` is null.
//
// Thread: the isolate's.
#pragma once

#include <v8.h>

#include <string>
#include <string_view>

#include "js/binding.h"

namespace torus::js {

class Headers;

class Body {
 public:
  // https://fetch.spec.whatwg.org/#concept-bodyinit-extract for every BodyInit but
  // ReadableStream: null/undefined (no body), ArrayBuffer, view, Blob/File, FormData,
  // URLSearchParams; any other value is converted to a USVString. *contentType gets the type
  // the spec implies ("" if none). `what` prefixes messages ("Failed to construct 'Request'").
  JsResult<void> extract(Realm& realm, v8::Local<v8::Value> init, std::string* contentType);

  bool hasBody() const { return hasBody_; }
  bool used() const { return used_; }
  void setBytes(std::string bytes) {
    bytes_ = std::move(bytes);
    hasBody_ = true;
  }

  // Hands the bytes over (for sending); marks the body used.
  std::string take() {
    used_ = true;
    return std::move(bytes_);
  }
  std::string_view peek() const { return bytes_; }

  enum class Consumer { kArrayBuffer, kBlob, kBytes, kFormData, kJson, kText };

  // The mixin's members as the binding calls them on a Request or a Response (`type` names
  // the class in messages); describeBody() below declares them.
  v8::Local<v8::Value> body(Realm& realm) const { return v8::Null(realm.isolate()); }
  bool bodyUsed(Realm&) const { return used_; }
  template <Consumer kind, const WrapperType* type>
  JsResult<v8::Local<v8::Value>> consumeAs(Realm& realm) {
    return consume(realm, kind, type->name, consumerName(kind));
  }

 protected:
  static const char* consumerName(Consumer kind);

  // https://fetch.spec.whatwg.org/#concept-body-consume-body: the consumer's value (the
  // binding's promiseMethod resolves the promise with it), or the error it rejects with: a
  // TypeError when the body is used, a JSON SyntaxError, parseFormData's TypeError. Marks
  // the body used. `cls` and `member` name the operation in messages.
  JsResult<v8::Local<v8::Value>> consume(Realm& realm, Consumer kind, const char* cls,
                                         const char* member);

  // The headers whose Content-Type gives blob() its type and formData() its parser (null
  // when they can no longer be read).
  virtual Headers* bodyHeaders(Realm& realm) = 0;
  // Subclasses whose bytes arrive lazily (an incoming request) fill them in here; false
  // with *err set when they are no longer available.
  virtual bool loadBytes(JsError* err) { return true; }
  virtual ~Body() = default;

  std::string bytes_;
  bool hasBody_ = false;
  bool used_ = false;
};

// Declares the Body mixin on T's class (T derives from Body): body (null until streams,
// issue 6), bodyUsed, and the promise-returning consumers.
template <typename T>
void describeBody(ClassBuilder<T>& c) {
  using C = Body::Consumer;
  c.template getter<&Body::body>("body");
  c.template getter<&Body::bodyUsed>("bodyUsed");
  c.template promiseMethod<&Body::consumeAs<C::kArrayBuffer, &T::kType>>("arrayBuffer");
  c.template promiseMethod<&Body::consumeAs<C::kBlob, &T::kType>>("blob");
  c.template promiseMethod<&Body::consumeAs<C::kBytes, &T::kType>>("bytes");
  c.template promiseMethod<&Body::consumeAs<C::kFormData, &T::kType>>("formData");
  c.template promiseMethod<&Body::consumeAs<C::kJson, &T::kType>>("json");
  c.template promiseMethod<&Body::consumeAs<C::kText, &T::kType>>("text");
}

}  // namespace torus::js
