// Fetch `Request` (https://fetch.spec.whatwg.org/#request-class), and the per-request
// ExecutionContext (`ctx`, the handler's third argument).
//
// An incoming Request and its ExecutionContext live in their request context's heap
// (js/request_context.h) and are reached from JS through slots (checked handles,
// js/realm.h): once the context has ended (response sent and no waitUntil work, body stream
// or operation left) the slots are released and any use from JS is a TypeError instead of a
// use of released request memory. Neither costs a V8 global handle; the URL, headers, body
// and signal of an incoming request are made from the parsed request only when JS first asks
// for them.
//
// A Request made by `new Request(input, init)` or clone() is owned by its wrapper; its
// Headers and AbortSignal live in traced slots of that wrapper.
//
// Server deviations (as workerd and Deno): the "request" headers guard filters no forbidden
// request-header names, there is no origin (a referrer URL is kept as given, never replaced
// by "client" for being cross-origin), and relative URLs have no base to resolve against.
//
// Thread: the isolate's.
#pragma once

#include <cstdint>
#include <string>

#include "js/api/body.h"
#include "js/api/headers.h"
#include "js/binding.h"
#include "js/request_context.h"

namespace torus::js {

class ExecutionContext : public Wrappable {
 public:
  static constexpr WrapperType kType{"ExecutionContext"};
  static void describe(ClassBuilder<ExecutionContext>& c);

  explicit ExecutionContext(RequestContext* rc) : context_(rc) {}
  RequestContext* requestContext() const { return context_; }

  // ctx.waitUntil(promise): work that may go on after the response; the request's context
  // (its `request`, its timers) lives until the promise settles. A rejection is logged.
  void waitUntil(Realm& realm, v8::Local<v8::Value> promise);
  void passThroughOnException(Realm& realm) {}

 private:
  RequestContext* context_;
};

// The enums of RequestInit (https://fetch.spec.whatwg.org/#requestinit), in IDL order.
enum class RequestMode : uint8_t { kNavigate, kSameOrigin, kNoCors, kCors };
enum class RequestCredentials : uint8_t { kOmit, kSameOrigin, kInclude };
enum class RequestCache : uint8_t {
  kDefault, kNoStore, kReload, kNoCache, kForceCache, kOnlyIfCached
};
enum class RequestRedirect : uint8_t { kFollow, kError, kManual };
enum class RequestDuplex : uint8_t { kHalf };
enum class RequestPriority : uint8_t { kHigh, kLow, kAuto };
// https://w3c.github.io/webappsec-referrer-policy/#enumdef-referrerpolicy
enum class ReferrerPolicy : uint8_t {
  kEmpty, kNoReferrer, kNoReferrerWhenDowngrade, kSameOrigin, kOrigin, kStrictOrigin,
  kOriginWhenCrossOrigin, kStrictOriginWhenCrossOrigin, kUnsafeUrl
};

template <>
struct EnumValues<RequestMode> {
  static constexpr const char* kName = "RequestMode";
  static constexpr std::string_view kValues[] = {"navigate", "same-origin", "no-cors", "cors"};
};
template <>
struct EnumValues<RequestCredentials> {
  static constexpr const char* kName = "RequestCredentials";
  static constexpr std::string_view kValues[] = {"omit", "same-origin", "include"};
};
template <>
struct EnumValues<RequestCache> {
  static constexpr const char* kName = "RequestCache";
  static constexpr std::string_view kValues[] = {"default",  "no-store",    "reload",
                                                 "no-cache", "force-cache", "only-if-cached"};
};
template <>
struct EnumValues<RequestRedirect> {
  static constexpr const char* kName = "RequestRedirect";
  static constexpr std::string_view kValues[] = {"follow", "error", "manual"};
};
template <>
struct EnumValues<RequestDuplex> {
  static constexpr const char* kName = "RequestDuplex";
  static constexpr std::string_view kValues[] = {"half"};
};
template <>
struct EnumValues<RequestPriority> {
  static constexpr const char* kName = "RequestPriority";
  static constexpr std::string_view kValues[] = {"high", "low", "auto"};
};
template <>
struct EnumValues<ReferrerPolicy> {
  static constexpr const char* kName = "ReferrerPolicy";
  static constexpr std::string_view kValues[] = {"",
                                                 "no-referrer",
                                                 "no-referrer-when-downgrade",
                                                 "same-origin",
                                                 "origin",
                                                 "strict-origin",
                                                 "origin-when-cross-origin",
                                                 "strict-origin-when-cross-origin",
                                                 "unsafe-url"};
};

// https://fetch.spec.whatwg.org/#requestinit. body, signal and window are `any` here and
// checked by the constructor (BodyInit is extracted, AbortSignal? brand-checked, window must
// be null), after the other members were read in the spec's order.
struct RequestInit {
  static constexpr const char* kName = "RequestInit";
  Optional<v8::Local<v8::Value>> body;
  Optional<RequestCache> cache;
  Optional<RequestCredentials> credentials;
  Optional<RequestDuplex> duplex;
  Optional<Headers::HeadersInit> headers;
  Optional<std::string> integrity;
  Optional<bool> keepalive;
  Optional<ByteString> method;
  Optional<RequestMode> mode;
  Optional<RequestPriority> priority;
  Optional<RequestRedirect> redirect;
  Optional<std::string> referrer;
  Optional<ReferrerPolicy> referrerPolicy;
  Optional<v8::Local<v8::Value>> signal;
  Optional<v8::Local<v8::Value>> window;
  static constexpr auto members() {
    return std::tuple(field("body", &RequestInit::body), field("cache", &RequestInit::cache),
                      field("credentials", &RequestInit::credentials),
                      field("duplex", &RequestInit::duplex),
                      field("headers", &RequestInit::headers),
                      field("integrity", &RequestInit::integrity),
                      field("keepalive", &RequestInit::keepalive),
                      field("method", &RequestInit::method), field("mode", &RequestInit::mode),
                      field("priority", &RequestInit::priority),
                      field("redirect", &RequestInit::redirect),
                      field("referrer", &RequestInit::referrer),
                      field("referrerPolicy", &RequestInit::referrerPolicy),
                      field("signal", &RequestInit::signal), field("window", &RequestInit::window));
  }
  bool empty() const {
    return !body && !cache && !credentials && !duplex && !headers && !integrity && !keepalive &&
           !method && !mode && !priority && !redirect && !referrer && !referrerPolicy &&
           !signal && !window;
  }
};

class Request : public Wrappable, public Body {
 public:
  static constexpr WrapperType kType{"Request"};
  static void describe(ClassBuilder<Request>& c);

  // new Request(input, init): input is a USVString or a Request.
  static JsResult<Request*> construct(Realm& realm, std::variant<Request*, std::string> input,
                                      RequestInit init);
  // The Request for an incoming exchange, in its context's heap; everything is read from
  // the parsed request on demand.
  explicit Request(RequestContext* incoming);
  Request() = default;
  ~Request() override;
  void attached(Realm& realm);

  std::string_view method(Realm&) const { return methodText(); }
  std::string_view url(Realm&) { return urlText(); }
  JsResult<v8::Local<v8::Value>> headers(Realm& realm);
  std::string destination(Realm&) const { return ""; }
  std::string_view referrer(Realm&) const { return referrer_; }
  ReferrerPolicy referrerPolicy(Realm&) const { return referrerPolicy_; }
  RequestMode mode(Realm&) const { return mode_; }
  RequestCredentials credentials(Realm&) const { return credentials_; }
  RequestCache cache(Realm&) const { return cache_; }
  RequestRedirect redirect(Realm&) const { return redirect_; }
  std::string_view integrity(Realm&) const { return integrity_; }
  bool keepalive(Realm&) const { return keepalive_; }
  bool isReloadNavigation(Realm&) const { return false; }
  bool isHistoryNavigation(Realm&) const { return false; }
  JsResult<v8::Local<v8::Value>> signal(Realm& realm);
  // workerd's request.cf, for incoming requests: {httpProtocol} on plain HTTP, plus
  // tlsVersion, tlsCipher and tlsServerName over TLS; made on first use. Undefined for
  // constructed requests.
  v8::Local<v8::Value> cf(Realm& realm);
  RequestDuplex duplex(Realm&) const { return RequestDuplex::kHalf; }
  JsResult<v8::Local<v8::Value>> clone(Realm& realm);

  // What fetch() sends (js/api/fetch.cc's requestParts): [method, url, headers (a flat
  // [name, value, ...] list of the raw header list), body (null, a Uint8Array of whole
  // bytes, or a ReadableStream), redirect mode, signal, keepalive]. The body is taken: it is
  // used from then on.
  JsResult<v8::Local<v8::Value>> fetchParts(Realm& realm);

  // The context of an incoming request, null for a constructed one.
  RequestContext* incomingContext() const { return context_; }
  // An incoming request's signal if JS made it (empty otherwise): the HTTP glue aborts it
  // when the client goes away before the response is sent.
  v8::Local<v8::Value> madeSignal(v8::Isolate* iso) const {
    return signalRef_.IsEmpty() ? v8::Local<v8::Value>() : signalRef_.Get(iso);
  }

 private:
  bool loadBytes(JsError* err) override;
  Headers* bodyHeaders(Realm& realm) override { return ensureHeaders(realm); }
  BodySource* bodySource() override { return context_ ? context_->bodySource : nullptr; }
  Wrappable* bodyOwner() override { return wrapped_ ? this : nullptr; }
  int streamSlot() const override { return kStreamSlot; }
  v8::Local<v8::Object> bodyHandle(Realm& realm) override {
    return wrapped_ ? wrapper(realm.isolate()) : wrapInSlot(realm, this, context_->requestSlot);
  }
  Headers* ensureHeaders(Realm& realm);
  // This request's AbortSignal (made on first use for an incoming request), or empty.
  v8::Local<v8::Value> ensureSignal(Realm& realm);
  std::string_view methodText() const;
  std::string_view urlText();
  // Copies everything but the body, headers and signal from other.
  void copyState(Request& other);

  enum : int { kHeadersSlot = 0, kSignalSlot = 1, kStreamSlot = 2 };  // traced slots

  std::string method_ = "GET";  // constructed requests
  std::string url_;
  std::string referrer_ = "about:client";  // what the getter returns
  std::string integrity_;
  std::string_view incomingUrl_;  // in the request heap, made on first use
  RequestMode mode_ = RequestMode::kCors;
  RequestCredentials credentials_ = RequestCredentials::kSameOrigin;
  RequestCache cache_ = RequestCache::kDefault;
  RequestRedirect redirect_ = RequestRedirect::kFollow;
  ReferrerPolicy referrerPolicy_ = ReferrerPolicy::kEmpty;
  bool keepalive_ = false;
  bool bodyLoaded_ = true;
  bool wrapped_ = false;  // attached to its own wrapper: headers and signal are traced
  // A constructed request's Headers: owned here until the request's wrapper exists.
  Headers* headers_ = nullptr;
  // Incoming requests (no wrapper of their own: they are bound through a slot) keep their
  // Headers wrapper and signal here once made; constructed ones only until attached().
  v8::Global<v8::Value> headersRef_;
  v8::Global<v8::Value> signalRef_;
  v8::Global<v8::Value> cfRef_;
  RequestContext* context_ = nullptr;  // incoming requests only
};

}  // namespace torus::js
