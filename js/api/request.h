// Fetch `Request` (https://fetch.spec.whatwg.org/#request-class), and the per-request
// ExecutionContext (`ctx`, the handler's third argument).
//
// An incoming Request and its ExecutionContext live in the exchange's request heap and are
// reached from JS through slots (checked handles, js/realm.h): once the exchange has ended
// (response sent, client gone) the slots are released and any use from JS is a TypeError
// instead of a use of released request memory. Neither costs a V8 global handle.
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
  net::Exchange* exchange() const { return exchange_; }

  // The slots through which JS reaches this context and its Request; released together
  // when the exchange ends.
  Slot* slot = nullptr;
  Slot* requestSlot = nullptr;

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
  // The Request for an incoming exchange, in its request heap; everything is read from the
  // parsed request on demand.
  explicit Request(ExecutionContext* incoming);
  Request() = default;

  std::string_view method(Realm&) const { return methodText(); }
  std::string_view url(Realm&) { return urlText(); }
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
  std::string_view methodText() const;
  std::string_view urlText();

  std::string method_ = "GET";  // constructed requests
  std::string url_;
  std::string_view incomingUrl_;  // in the request heap, made on first use
  Headers* headers_ = nullptr;
  v8::Global<v8::Object> headersRef_;
  ExecutionContext* context_ = nullptr;  // incoming requests only
  bool bodyLoaded_ = true;
};

}  // namespace torus::js
