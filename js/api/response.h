// Fetch `Response` (https://fetch.spec.whatwg.org/#response-class).
#pragma once

#include <string>

#include "js/api/body.h"
#include "js/api/headers.h"
#include "js/binding.h"

namespace torus::js {

class Response : public Wrappable, public Body {
 public:
  static constexpr WrapperType kType{"Response"};
  static void describe(ClassBuilder<Response>& c);

  static JsResult<Response*> construct(Realm& realm, Optional<v8::Local<v8::Value>> body,
                                       Optional<v8::Local<v8::Value>> init);
  static JsResult<v8::Local<v8::Value>> json(Realm& realm, v8::Local<v8::Value> data,
                                             Optional<v8::Local<v8::Value>> init);
  static JsResult<v8::Local<v8::Value>> redirect(Realm& realm, std::string url,
                                                 Optional<int32_t> status);
  static JsResult<v8::Local<v8::Value>> error(Realm& realm);

  int32_t status(Realm&) const { return status_; }
  ByteString statusText(Realm&) const { return {statusText_}; }
  bool ok(Realm&) const { return status_ >= 200 && status_ <= 299; }
  bool redirected(Realm&) const { return false; }
  std::string type(Realm&) const { return type_; }
  std::string url(Realm&) const { return ""; }
  v8::Local<v8::Value> headers(Realm& realm);
  bool bodyUsed(Realm&) const { return used_; }
  v8::Local<v8::Value> text(Realm& realm) { return Body::text(realm, "Response.text"); }
  v8::Local<v8::Value> jsonBody(Realm& realm) { return Body::json(realm, "Response.json"); }
  v8::Local<v8::Value> arrayBuffer(Realm& realm) {
    return Body::arrayBuffer(realm, "Response.arrayBuffer");
  }
  JsResult<v8::Local<v8::Value>> clone(Realm& realm);

  // For the HTTP glue.
  int statusCode() const { return status_; }
  Headers* headerList() const { return headers_; }

 private:
  // Applies a ResponseInit dictionary (status, statusText, headers) and the body's implied
  // Content-Type.
  JsResult<void> init(Realm& realm, v8::Local<v8::Value> init, const std::string& contentType);
  static Response* create(Realm& realm);
  ~Response() override;

  int32_t status_ = 200;
  std::string statusText_;
  std::string type_ = "default";
  // Owned here until JS first reads `headers`; from then on by its wrapper, which is kept
  // traced on ours. Most responses are sent without their headers ever reaching JS.
  Headers* headers_ = nullptr;
  bool headersWrapped_ = false;
  enum : int { kHeadersSlot = 0 };  // traced slots
};

}  // namespace torus::js
