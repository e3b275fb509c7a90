#include "js/api/request.h"

#include <strings.h>

#include <algorithm>
#include <cstring>

#include "js/api/url.h"

namespace torus::js {

void ExecutionContext::describe(ClassBuilder<ExecutionContext>& c) {
  c.method<&ExecutionContext::waitUntil>("waitUntil");
  c.method<&ExecutionContext::passThroughOnException>("passThroughOnException");
}

void ExecutionContext::waitUntil(Realm& realm, v8::Local<v8::Value> promise) {
  // The context is reachable (this native is alive), so it has not ended.
  context_->ref();
  realm.waitUntil(promise, [](void* rc) { static_cast<RequestContext*>(rc)->unref(); },
                  context_);
}

void Request::describe(ClassBuilder<Request>& c) {
  c.constructor<&Request::construct>();
  // Attributes and operations in the IDL's order (Request, then the Body mixin).
  c.getter<&Request::method>("method");
  c.getter<&Request::url>("url");
  c.getter<&Request::headers>("headers");
  c.getter<&Request::destination>("destination");
  c.getter<&Request::referrer>("referrer");
  c.getter<&Request::referrerPolicy>("referrerPolicy");
  c.getter<&Request::mode>("mode");
  c.getter<&Request::credentials>("credentials");
  c.getter<&Request::cache>("cache");
  c.getter<&Request::redirect>("redirect");
  c.getter<&Request::integrity>("integrity");
  c.getter<&Request::keepalive>("keepalive");
  c.getter<&Request::isReloadNavigation>("isReloadNavigation");
  c.getter<&Request::isHistoryNavigation>("isHistoryNavigation");
  c.getter<&Request::signal>("signal");
  c.getter<&Request::duplex>("duplex");
  c.getter<&Request::cf>("cf");
  c.method<&Request::clone>("clone");
  describeBody(c);
}

namespace {

constexpr const char* kConstruct = "Failed to construct 'Request': ";

bool isToken(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c <= 0x20 || c >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", c)) return false;
  }
  return true;
}

// https://fetch.spec.whatwg.org/#concept-method-normalize
std::string normalizeMethod(std::string m) {
  static const char* kNormal[] = {"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"};
  for (const char* n : kNormal) {
    if (strcasecmp(m.c_str(), n) == 0) return n;
  }
  return m;
}

bool isForbiddenMethod(const std::string& m) {
  return !strcasecmp(m.c_str(), "CONNECT") || !strcasecmp(m.c_str(), "TRACE") ||
         !strcasecmp(m.c_str(), "TRACK");
}

// A serialized URL has credentials when its authority holds an '@' (the userinfo's own '@'s
// are percent-encoded).
bool hasCredentials(std::string_view href) {
  size_t scheme = href.find(':');
  if (scheme == std::string_view::npos || href.substr(scheme + 1, 2) != "//") return false;
  std::string_view rest = href.substr(scheme + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  return authority.find('@') != std::string_view::npos;
}

// "Failed to construct 'Request': " and m.
JsError constructError(std::string m) { return JsError::type(std::string(kConstruct) + m); }

// A new AbortSignal following parent (null: a fresh one), from the built-ins.
JsResult<v8::Local<v8::Value>> newSignal(Realm& realm, v8::Local<v8::Value> parent) {
  return callHelper(realm, "requestSignal", parent);
}

}  // namespace

Request::Request(RequestContext* incoming) : context_(incoming) {
  if (incoming->bodySource) {
    kind_ = Kind::kSource;  // still arriving
  } else if (!incoming->body().empty()) {
    kind_ = Kind::kBytes;
    bodyLoaded_ = false;  // read from the context on first use
  }
}

Request::~Request() {
  if (!context_ && !wrapped_) delete headers_;
}

void Request::attached(Realm& realm) {
  // The signal made by the constructor moves onto the wrapper, where the GC sees it.
  wrapped_ = true;
  if (!signalRef_.IsEmpty()) {
    setTraced(realm, kSignalSlot, signalRef_.Get(realm.isolate()));
    signalRef_.Reset();
  }
  setTraced(realm, kHeadersSlot, wrap(realm, headers_));
  attachBody(realm);
}

std::string_view Request::methodText() const {
  return context_ ? context_->method() : std::string_view(method_);
}

std::string_view Request::urlText() {
  if (!context_) return url_;
  if (incomingUrl_.empty()) {
    std::string_view target = context_->target();
    if (!target.empty() && target[0] != '/') {
      return target;  // absolute-form (not kept: the context may move it to its own heap)
    } else {
      std::string_view host = context_->host().empty() ? "localhost" : context_->host();
      std::string_view scheme = context_->head().tlsVersion.empty() ? "http://" : "https://";
      size_t n = scheme.size() + host.size() + target.size();
      char* p = static_cast<char*>(context_->heap().allocate(n, 1));
      memcpy(p, scheme.data(), scheme.size());
      memcpy(p + scheme.size(), host.data(), host.size());
      memcpy(p + scheme.size() + host.size(), target.data(), target.size());
      incomingUrl_ = {p, n};
    }
  }
  return incomingUrl_;
}

void Request::copyState(Request& other) {
  method_ = other.methodText();
  url_ = other.urlText();
  referrer_ = other.referrer_;
  integrity_ = other.integrity_;
  mode_ = other.mode_;
  credentials_ = other.credentials_;
  cache_ = other.cache_;
  redirect_ = other.redirect_;
  referrerPolicy_ = other.referrerPolicy_;
  keepalive_ = other.keepalive_;
}

// https://fetch.spec.whatwg.org/#dom-request
JsResult<Request*> Request::construct(Realm& realm, std::variant<Request*, std::string> input,
                                      RequestInit init) {
  std::unique_ptr<Request> r(new Request());
  Request* other = nullptr;
  v8::Local<v8::Value> parentSignal = v8::Null(realm.isolate());
  r->headers_ = Headers::create();
  if (auto* url = std::get_if<std::string>(&input)) {
    std::optional<std::string> parsed = parseUrl(*url, realm.baseUrl());
    if (!parsed) return constructError("Invalid URL '" + *url + "'");
    if (hasCredentials(*parsed)) {
      return constructError("Request cannot be constructed from a URL that includes "
                         "credentials: '" + *url + "'");
    }
    r->url_ = std::move(*parsed);
  } else {
    other = std::get<Request*>(input);
    Headers* h = other->ensureHeaders(realm);
    if (!h) return constructError("the input request has ended");
    r->copyState(*other);
    r->headers_->copyFrom(*h);
    parentSignal = other->ensureSignal(realm);
    if (parentSignal.IsEmpty()) return JsError::pending();
  }
  if (init.window && !(*init.window)->IsNull()) {
    return constructError("'window' must be null");
  }
  if (!init.empty()) {
    // A request made from another with new init is not a navigation, and its referrer
    // starts over.
    if (r->mode_ == RequestMode::kNavigate) r->mode_ = RequestMode::kSameOrigin;
    r->referrer_ = "about:client";
    r->referrerPolicy_ = ReferrerPolicy::kEmpty;
  }
  if (init.referrer) {
    if (init.referrer->empty()) {
      r->referrer_.clear();  // no-referrer
    } else {
      std::optional<std::string> parsed = parseUrl(*init.referrer, realm.baseUrl());
      if (!parsed) return constructError("Referrer '" + *init.referrer + "' is not a valid URL.");
      // about:client is the client; with no origin on a server, any other URL is kept.
      r->referrer_ = std::move(*parsed);
    }
  }
  if (init.referrerPolicy) r->referrerPolicy_ = *init.referrerPolicy;
  if (init.mode) {
    if (*init.mode == RequestMode::kNavigate) {
      return constructError("Cannot construct a Request with a RequestInit whose mode member is "
                         "set as 'navigate'.");
    }
    r->mode_ = *init.mode;
  }
  if (init.credentials) r->credentials_ = *init.credentials;
  if (init.cache) r->cache_ = *init.cache;
  if (r->cache_ == RequestCache::kOnlyIfCached && r->mode_ != RequestMode::kSameOrigin) {
    return constructError("'only-if-cached' can be set only with 'same-origin' mode");
  }
  if (init.redirect) r->redirect_ = *init.redirect;
  if (init.integrity) r->integrity_ = *init.integrity;
  if (init.keepalive) r->keepalive_ = *init.keepalive;
  if (init.method) {
    std::string m = init.method->value;
    if (!isToken(m)) return constructError("'" + m + "' is not a valid HTTP method.");
    if (isForbiddenMethod(m)) return constructError("'" + m + "' HTTP method is unsupported.");
    r->method_ = normalizeMethod(std::move(m));
  }
  if (init.signal) {
    v8::Local<v8::Value> s = *init.signal;
    if (!s->IsNull()) {
      JsResult<v8::Local<v8::Value>> yes = callHelper(realm, "isAbortSignal", s);
      if (!yes.ok()) return yes.error();
      if (!yes.value()->IsTrue()) {
        return JsError::type("Failed to construct 'Request': Failed to read the 'signal' "
                             "property from 'RequestInit': The provided value is not of type "
                             "'AbortSignal'.");
      }
    }
    parentSignal = s;
  }
  if (r->mode_ == RequestMode::kNoCors) {
    if (r->method_ != "GET" && r->method_ != "HEAD" && r->method_ != "POST") {
      return constructError("'" + r->method_ + "' is unsupported in no-cors mode.");
    }
  }
  JsResult<v8::Local<v8::Value>> signal = newSignal(realm, parentSignal);
  if (!signal.ok()) return signal.error();
  r->signalRef_.Reset(realm.isolate(), signal.value());
  bool noCors = r->mode_ == RequestMode::kNoCors;
  if (init.headers || noCors) {
    // The init's headers replace the input's; in no-cors mode only safelisted ones stay.
    Headers* fresh =
        Headers::create(noCors ? Headers::Guard::kRequestNoCors : Headers::Guard::kNone);
    JsResult<void> ok;
    if (init.headers) {
      ok = fresh->fill(*init.headers);
    } else {
      fresh->copyFrom(*r->headers_);
    }
    if (!ok.ok()) {
      delete fresh;
      return ok.error();
    }
    delete r->headers_;
    r->headers_ = fresh;
  }
  bool inputHasBody = other && other->hasBody();
  bool initHasBody = init.body && !(*init.body)->IsNullOrUndefined();
  if ((initHasBody || inputHasBody) && (r->method_ == "GET" || r->method_ == "HEAD")) {
    return constructError("Request with GET/HEAD method cannot have body.");
  }
  if (initHasBody) {
    std::string_view contentType;
    JsResult<void> ok = r->extract(realm, *init.body, &contentType, kConstruct);
    if (!ok.ok()) return ok.error();
    if (r->isStream() && r->keepalive_) {
      return constructError("keepalive cannot be set for a ReadableStream body");
    }
    if (r->isStream() && !init.duplex) {
      return constructError("The duplex member must be specified for a request with a "
                            "streaming body");
    }
    if (!contentType.empty() && !r->headers_->has("content-type")) {
      r->headers_->appendTrusted("content-type", contentType);
    }
  }
  bool streamBody = initHasBody ? r->isStream() : inputHasBody && other->isStream();
  if (streamBody && r->mode_ != RequestMode::kSameOrigin && r->mode_ != RequestMode::kCors) {
    return constructError("a request with a streaming body must have mode 'same-origin' or "
                          "'cors'");
  }
  if (!initHasBody && inputHasBody) {
    // The new request takes the input's body; the input is disturbed.
    if (other->unusable(realm)) {
      return constructError("Cannot construct a Request with a Request object that has "
                            "already been used.");
    }
    JsResult<void> moved = other->moveBodyInto(realm, *r, kConstruct);
    if (!moved.ok()) return moved.error();
  }
  return r.release();
}

Headers* Request::ensureHeaders(Realm& realm) {
  if (headers_) return headers_;
  if (!context_) return nullptr;
  headers_ = Headers::create();
  for (const net::HttpHeader& h : context_->headers()) headers_->appendTrusted(h.name, h.value);
  headers_->setGuard(Headers::Guard::kImmutable);
  headersRef_.Reset(realm.isolate(), wrap(realm, headers_));
  return headers_;
}

JsResult<v8::Local<v8::Value>> Request::headers(Realm& realm) {
  if (wrapped_) return traced(realm, kHeadersSlot);
  if (!ensureHeaders(realm)) {
    return JsError::type("Request.headers: the request has ended (its response was sent)");
  }
  return headersRef_.Get(realm.isolate());
}

v8::Local<v8::Value> Request::ensureSignal(Realm& realm) {
  if (wrapped_) return traced(realm, kSignalSlot);
  if (signalRef_.IsEmpty()) {
    // An incoming request's signal: made on first use; aborted when the client goes away
    // before the response (HttpApp::onAbort).
    JsResult<v8::Local<v8::Value>> s = newSignal(realm, v8::Null(realm.isolate()));
    if (!s.ok()) {
      throwError(realm.isolate(), s.error());
      return {};
    }
    signalRef_.Reset(realm.isolate(), s.value());
  }
  return signalRef_.Get(realm.isolate());
}

v8::Local<v8::Value> Request::cf(Realm& realm) {
  v8::Isolate* iso = realm.isolate();
  if (!context_) return v8::Undefined(iso);
  if (cfRef_.IsEmpty()) {
    const net::HttpRequest& head = context_->head();
    v8::Local<v8::Context> ctx = realm.context();
    v8::Local<v8::Object> cf = v8::Object::New(iso);
    auto set = [&](const char* name, std::string_view value) {
      cf->CreateDataProperty(ctx, realm.internalized(name), toJs(realm, value)).IsJust();
    };
    set("httpProtocol", head.versionMinor == 0 ? "HTTP/1.0" : "HTTP/1.1");
    if (!head.tlsVersion.empty()) {
      set("tlsVersion", head.tlsVersion);
      set("tlsCipher", head.tlsCipher);
      set("tlsServerName", head.tlsServerName);
    }
    cfRef_.Reset(iso, cf);
  }
  return cfRef_.Get(iso);
}

JsResult<v8::Local<v8::Value>> Request::signal(Realm& realm) {
  v8::Local<v8::Value> s = ensureSignal(realm);
  if (s.IsEmpty()) return JsError::pending();
  return s;
}

bool Request::loadBytes(JsError* err) {
  if (bodyLoaded_) return true;
  bytes_.assign(context_->body());
  bodyLoaded_ = true;
  return true;
}

JsResult<v8::Local<v8::Value>> Request::fetchParts(Realm& realm) {
  if (unusable(realm)) {
    return JsError::type("Failed to execute 'fetch': the Request's body is already used");
  }
  v8::Isolate* iso = realm.isolate();
  v8::Local<v8::Context> ctx = realm.context();
  Headers* h = ensureHeaders(realm);
  if (!h) return JsError::type("fetch: the input request has ended");
  const auto& list = h->list();
  v8::Local<v8::Array> flat = v8::Array::New(iso, int(list.size() * 2));
  uint32_t i = 0;
  for (const auto& e : list) {
    flat->Set(ctx, i++, latin1String(iso, e.name)).Check();
    flat->Set(ctx, i++, latin1String(iso, e.value)).Check();
  }
  v8::Local<v8::Value> body = v8::Null(iso);
  if (kind_ == Kind::kBytes) {
    JsError err;
    if (!loadBytes(&err)) return err;
    std::string bytes = take();
    auto buffer = v8::ArrayBuffer::New(iso, bytes.size());
    if (!bytes.empty()) memcpy(buffer->Data(), bytes.data(), bytes.size());
    body = v8::Uint8Array::New(buffer, 0, bytes.size());
  } else if (kind_ != Kind::kNone) {
    JsResult<v8::Local<v8::Value>> stream = Body::body(realm);
    if (!stream.ok()) return stream.error();
    body = stream.value();
  }
  v8::Local<v8::Value> signal = ensureSignal(realm);
  if (signal.IsEmpty()) return JsError::pending();
  v8::Local<v8::Value> parts[] = {
      latin1String(iso, methodText()), v8Str(iso, urlText()), flat, body,
      v8::Integer::New(iso, int(redirect_)), signal, v8::Boolean::New(iso, keepalive_)};
  return v8::Array::New(iso, parts, 7).As<v8::Value>();
}

// https://fetch.spec.whatwg.org/#dom-request-clone
JsResult<v8::Local<v8::Value>> Request::clone(Realm& realm) {
  constexpr const char* kClone = "Failed to execute 'clone' on 'Request': ";
  if (unusable(realm)) return JsError::type(std::string(kClone) + "body is used");
  Headers* h = ensureHeaders(realm);
  if (!h) return JsError::type(std::string(kClone) + "the request has ended");
  v8::Local<v8::Value> parent = ensureSignal(realm);
  if (parent.IsEmpty()) return JsError::pending();
  JsResult<v8::Local<v8::Value>> signal = newSignal(realm, parent);
  if (!signal.ok()) return signal.error();
  std::unique_ptr<Request> r(new Request());
  r->copyState(*this);
  r->headers_ = Headers::create(h->guard());
  r->headers_->copyFrom(*h);
  JsResult<void> cloned = cloneBodyInto(realm, *r, kClone);
  if (!cloned.ok()) return cloned.error();
  r->signalRef_.Reset(realm.isolate(), signal.value());
  Request* raw = r.release();
  v8::Local<v8::Object> obj = wrap(realm, raw);
  raw->attached(realm);
  return obj.As<v8::Value>();
}

}  // namespace torus::js
