// Fetch `Request` (https://fetch.spec.whatwg.org/#request-class), and the per-request
// ExecutionContext (`ctx`, the handler's third argument).
//
// An incoming Request reads its head and body from the net::Exchange through its
// ExecutionContext, a checked handle: once the exchange has ended (response sent, client
// gone) the handle is cleared, and reading what was not yet read is a TypeError instead of
// a use of released request memory.
#pragma once

#include <string>

#include "js/api/body.h"
#include "js/api/headers.h"
#include "js/binding.h"
#include "net/http_server.h"

namespace torus::js {

class ExecutionContext : public Wrappable {
 public:
  static constexpr WrapperType kType{"ExecutionContext"};
  static void describe(ClassBuilder<ExecutionContext>& c);

  explicit ExecutionContext(net::Exchange* ex) : exchange_(ex) {}
  // null once the exchange has ended.
  net::Exchange* exchange() const { return exchange_; }
  void detach() { exchange_ = nullptr; }

  // ctx.waitUntil(promise): work that may go on after the response.
  void waitUntil(Realm& realm, v8::Local<v8::Value> promise);
  void passThroughOnException(Realm& realm) {}

 private:
  net::Exchange* exchange_;
};

class Request : public Wrappable, public Body {
 public:
  static constexpr WrapperType kType{"Request"};
  static void describe(ClassBuilder<Request>& c);

  static JsResult<Request*> construct(Realm& realm, v8::Local<v8::Value> input,
                                      Optional<v8::Local<v8::Value>> init);
  // The Request for an incoming exchange (method and URL copied now, the rest on demand).
  static Request* incoming(Realm& realm, ExecutionContext* ctx, v8::Local<v8::Object> ctxObj);

  ByteString method(Realm&) const { return {method_}; }
  std::string url(Realm&) const { return url_; }
  JsResult<v8::Local<v8::Value>> headers(Realm& realm);
  bool bodyUsed(Realm&) const { return used_; }
  std::string redirect(Realm&) const { return "follow"; }
  v8::Local<v8::Value> text(Realm& realm) { return Body::text(realm, "Request.text"); }
  v8::Local<v8::Value> json(Realm& realm) { return Body::json(realm, "Request.json"); }
  v8::Local<v8::Value> arrayBuffer(Realm& realm) {
    return Body::arrayBuffer(realm, "Request.arrayBuffer");
  }
  JsResult<v8::Local<v8::Value>> clone(Realm& realm);

 private:
  bool loadBytes(JsError* err) override;
  Headers* ensureHeaders(Realm& realm);

  std::string method_ = "GET";
  std::string url_;
  Headers* headers_ = nullptr;
  v8::Global<v8::Object> headersRef_;
  ExecutionContext* context_ = nullptr;  // incoming requests only
  v8::Global<v8::Object> contextRef_;
  bool bodyLoaded_ = true;
};

}  // namespace torus::js
