// The Body mixin shared by Request and Response (Fetch §5 "Body mixin"): the body's bytes,
// bodyUsed, and the consumers text(), json(), arrayBuffer().
//
// A body is whole bytes for now (streams come with ReadableStream): a string body is held as
// UTF-8, a BufferSource body as a copy of its bytes (the spec copies too).
#pragma once

#include <v8.h>

#include <string>
#include <string_view>

#include "js/binding.h"

namespace torus::js {

class Body {
 public:
  // Extracts a BodyInit: null/undefined (no body), string, ArrayBuffer, view; any other
  // object is stringified. *contentType gets the type the spec implies ("" if none).
  JsResult<void> extract(Realm& realm, v8::Local<v8::Value> init, std::string* contentType);

  bool hasBody() const { return hasBody_; }
  bool used() const { return used_; }
  void setBytes(std::string bytes) {
    bytes_ = std::move(bytes);
    hasBody_ = true;
  }

  // The consumers: each marks the body used and returns a promise (rejected with a
  // TypeError if it was already used). `source` names the class in messages.
  v8::Local<v8::Value> text(Realm& realm, const char* source);
  v8::Local<v8::Value> json(Realm& realm, const char* source);
  v8::Local<v8::Value> arrayBuffer(Realm& realm, const char* source);

  // Hands the bytes over (for sending); marks the body used.
  std::string take() {
    used_ = true;
    return std::move(bytes_);
  }
  std::string_view peek() const { return bytes_; }

 protected:
  // Subclasses whose bytes arrive lazily (an incoming request) fill them in here; false
  // with *err set when they are no longer available.
  virtual bool loadBytes(JsError* err) { return true; }
  virtual ~Body() = default;

  std::string bytes_;
  bool hasBody_ = false;
  bool used_ = false;

 private:
  bool consume(Realm& realm, const char* source, v8::Local<v8::Promise::Resolver>* resolver);
};

}  // namespace torus::js
