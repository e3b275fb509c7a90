#include "js/api/request.h"

#include <algorithm>

namespace torus::js {

void ExecutionContext::describe(ClassBuilder<ExecutionContext>& c) {
  c.method<&ExecutionContext::waitUntil>("waitUntil");
  c.method<&ExecutionContext::passThroughOnException>("passThroughOnException");
}

void ExecutionContext::waitUntil(Realm& realm, v8::Local<v8::Value> promise) {
  realm.waitUntil(promise);
}

void Request::describe(ClassBuilder<Request>& c) {
  c.constructor<&Request::construct>();
  c.getter<&Request::method>("method");
  c.getter<&Request::url>("url");
  c.getter<&Request::headers>("headers");
  c.getter<&Request::bodyUsed>("bodyUsed");
  c.getter<&Request::redirect>("redirect");
  c.method<&Request::text>("text");
  c.method<&Request::json>("json");
  c.method<&Request::arrayBuffer>("arrayBuffer");
  c.method<&Request::clone>("clone");
}

namespace {

bool isToken(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c <= 0x20 || c >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", c)) return false;
  }
  return true;
}

// Methods the spec normalizes to upper case.
std::string normalizeMethod(std::string m) {
  static const char* kNormal[] = {"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"};
  for (const char* n : kNormal) {
    if (strcasecmp(m.c_str(), n) == 0) return n;
  }
  return m;
}

}  // namespace

Request::Request(ExecutionContext* incoming) : context_(incoming) {
  const net::HttpRequest& req = incoming->exchange()->request();
  hasBody_ = req.body && req.body->size() > 0;
  bodyLoaded_ = !hasBody_;
}

std::string_view Request::methodText() const {
  return context_ ? context_->exchange()->request().method : std::string_view(method_);
}

std::string_view Request::urlText() {
  if (!context_) return url_;
  if (incomingUrl_.empty()) {
    net::Exchange* ex = context_->exchange();
    const net::HttpRequest& req = ex->request();
    if (!req.target.empty() && req.target[0] != '/') {
      incomingUrl_ = req.target;  // absolute-form
    } else {
      std::string_view host = req.host.empty() ? "localhost" : req.host;
      size_t n = 7 + host.size() + req.target.size();
      char* p = static_cast<char*>(ex->heap().allocate(n, 1));
      memcpy(p, "http://", 7);
      memcpy(p + 7, host.data(), host.size());
      memcpy(p + 7 + host.size(), req.target.data(), req.target.size());
      incomingUrl_ = {p, n};
    }
  }
  return incomingUrl_;
}

JsResult<Request*> Request::construct(Realm& realm, v8::Local<v8::Value> input,
                                      Optional<v8::Local<v8::Value>> init) {
  auto* r = new Request();
  auto fail = [&](JsError e) -> JsResult<Request*> {
    delete r;
    return e;
  };
  r->headers_ = Headers::create();
  r->headersRef_.Reset(realm.isolate(), wrap(realm, r->headers_));
  if (Request* other = Wrappable::unwrap<Request>(input)) {
    r->method_ = other->methodText();
    r->url_ = other->urlText();
    Headers* h = other->ensureHeaders(realm);
    if (!h) return fail(JsError::type("Failed to construct 'Request': the request has ended"));
    for (const auto& e : h->list()) r->headers_->appendTrusted(e.name, e.value);
    if (other->hasBody_) {
      JsError err;
      if (other->used_ || !other->loadBytes(&err)) {
        return fail(JsError::type("Failed to construct 'Request': body is unusable"));
      }
      r->setBytes(std::move(other->bytes_));
      other->used_ = true;  // the new request took the body
    }
  } else {
    r->url_ = utf8(realm.isolate(), input);
    // A full URL parser arrives with URL; until then an absolute URL is required.
    size_t colon = r->url_.find(':');
    if (colon == std::string::npos || colon == 0 ||
        r->url_.find_first_of(" \r\n\t") != std::string::npos) {
      return fail(JsError::type("Failed to construct 'Request': Invalid URL '" + r->url_ + "'"));
    }
  }
  if (init && (*init)->IsObject()) {
    auto o = (*init).As<v8::Object>();
    v8::Local<v8::Context> ctx = realm.context();
    v8::Local<v8::Value> v;
    if (!o->Get(ctx, realm.internalized("method")).ToLocal(&v)) return fail(JsError::pending());
    if (!v->IsUndefined()) {
      std::string m = utf8(realm.isolate(), v);
      if (!isToken(m)) {
        return fail(JsError::type("Failed to construct 'Request': '" + m +
                                  "' is not a valid HTTP method."));
      }
      m = normalizeMethod(std::move(m));
      if (!strcasecmp(m.c_str(), "CONNECT") || !strcasecmp(m.c_str(), "TRACE") ||
          !strcasecmp(m.c_str(), "TRACK")) {
        return fail(JsError::type("Failed to construct 'Request': '" + m +
                                  "' HTTP method is unsupported."));
      }
      r->method_ = std::move(m);
    }
    if (!o->Get(ctx, realm.internalized("headers")).ToLocal(&v)) return fail(JsError::pending());
    if (!v->IsUndefined()) {
      Headers* fresh = Headers::create();
      r->headersRef_.Reset(realm.isolate(), wrap(realm, fresh));
      r->headers_ = fresh;
      JsResult<void> ok = fresh->fill(realm, v);
      if (!ok.ok()) return fail(ok.error());
    }
    if (!o->Get(ctx, realm.internalized("body")).ToLocal(&v)) return fail(JsError::pending());
    if (!v->IsNullOrUndefined()) {
      if (r->method_ == "GET" || r->method_ == "HEAD") {
        return fail(JsError::type("Failed to construct 'Request': Request with GET/HEAD "
                                  "method cannot have body."));
      }
      std::string contentType;
      JsResult<void> ok = r->extract(realm, v, &contentType);
      if (!ok.ok()) return fail(ok.error());
      if (!contentType.empty() && !r->headers_->has("content-type")) {
        r->headers_->appendTrusted("content-type", contentType);
      }
    }
  }
  return r;
}

Headers* Request::ensureHeaders(Realm& realm) {
  if (headers_) return headers_;
  if (!context_) return nullptr;
  const net::HttpRequest& req = context_->exchange()->request();
  headers_ = Headers::create();
  for (uint32_t i = 0; i < req.headerCount; ++i) {
    headers_->appendTrusted(req.headers[i].name, req.headers[i].value);
  }
  headers_->setGuard(Headers::Guard::kImmutable);
  headersRef_.Reset(realm.isolate(), wrap(realm, headers_));
  return headers_;
}

JsResult<v8::Local<v8::Value>> Request::headers(Realm& realm) {
  if (!ensureHeaders(realm)) {
    return JsError::type("Request.headers: the request has ended (its response was sent)");
  }
  return headersRef_.Get(realm.isolate()).As<v8::Value>();
}

bool Request::loadBytes(JsError* err) {
  if (bodyLoaded_) return true;
  bytes_.assign(context_->exchange()->request().body->view());
  bodyLoaded_ = true;
  return true;
}

JsResult<v8::Local<v8::Value>> Request::clone(Realm& realm) {
  if (used_) return JsError::type("Failed to execute 'clone' on 'Request': body is used");
  JsError err;
  if (!ensureHeaders(realm) || !loadBytes(&err)) {
    return JsError::type("Failed to execute 'clone' on 'Request': the request has ended");
  }
  auto* r = new Request();
  r->method_ = methodText();
  r->url_ = urlText();
  r->headers_ = Headers::create();
  for (const auto& e : headers_->list()) r->headers_->appendTrusted(e.name, e.value);
  r->headersRef_.Reset(realm.isolate(), wrap(realm, r->headers_));
  r->hasBody_ = hasBody_;
  r->bytes_ = bytes_;
  return wrap(realm, r).As<v8::Value>();
}

}  // namespace torus::js
