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

 protected:
  enum class Consumer { kArrayBuffer, kBlob, kBytes, kFormData, kJson, kText };

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

}  // namespace torus::js
