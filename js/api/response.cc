#include "js/api/response.h"

namespace torus::js {

void Response::describe(ClassBuilder<Response>& c) {
  c.constructor<&Response::construct>();
  c.staticMethod<&Response::json>("json");
  c.staticMethod<&Response::redirect>("redirect");
  c.staticMethod<&Response::error>("error");
  c.getter<&Response::status>("status");
  c.getter<&Response::statusText>("statusText");
  c.getter<&Response::ok>("ok");
  c.getter<&Response::redirected>("redirected");
  c.getter<&Response::type>("type");
  c.getter<&Response::url>("url");
  c.getter<&Response::headers>("headers");
  c.getter<&Response::bodyUsed>("bodyUsed");
  c.method<&Response::text>("text");
  c.method<&Response::jsonBody>("json");
  c.method<&Response::arrayBuffer>("arrayBuffer");
  c.method<&Response::clone>("clone");
}

Response* Response::create(Realm& realm) {
  auto* r = new Response();
  r->headers_ = Headers::create();
  return r;
}

namespace {

// reason-phrase = *( HTAB / SP / VCHAR / obs-text )
bool validReason(std::string_view s) {
  for (unsigned char c : s) {
    if (c != '\t' && (c < 0x20 || c == 0x7f)) return false;
  }
  return true;
}

v8::Local<v8::Value> get(Realm& realm, v8::Local<v8::Object> o, const char* key) {
  return o->Get(realm.context(), realm.internalized(key)).FromMaybe(v8::Local<v8::Value>());
}

}  // namespace

JsResult<void> Response::init(Realm& realm, v8::Local<v8::Value> init,
                              const std::string& contentType) {
  if (!init.IsEmpty() && !init->IsNullOrUndefined()) {
    if (!init->IsObject()) {
      return JsError::type("Failed to construct 'Response': The provided value is not of "
                           "type 'ResponseInit'.");
    }
    // A getter or conversion that throws leaves its exception pending: JsError::pending().
    auto o = init.As<v8::Object>();
    v8::Local<v8::Value> status = get(realm, o, "status");
    if (status.IsEmpty()) return JsError::pending();
    if (!status->IsUndefined()) {
      double d;
      if (!status->NumberValue(realm.context()).To(&d)) return JsError::pending();
      if (!(d >= 200 && d <= 599) || d != double(int32_t(d))) {
        return JsError::range("Failed to construct 'Response': The status provided (" +
                              utf8(realm.isolate(), status) +
                              ") is outside the range [200, 599].");
      }
      status_ = int32_t(d);
    }
    v8::Local<v8::Value> text = get(realm, o, "statusText");
    if (text.IsEmpty()) return JsError::pending();
    if (!text->IsUndefined()) {
      statusText_ = utf8(realm.isolate(), text);
      if (!validReason(statusText_)) {
        return JsError::type("Failed to construct 'Response': Invalid statusText.");
      }
    }
    v8::Local<v8::Value> headers = get(realm, o, "headers");
    if (headers.IsEmpty()) return JsError::pending();
    if (!headers->IsUndefined()) {
      JsResult<void> r = headers_->fill(realm, headers);
      if (!r.ok()) return r;
    }
  }
  if (hasBody_ && (status_ == 204 || status_ == 205 || status_ == 304)) {
    return JsError::type("Failed to construct 'Response': Response with null body status "
                         "cannot have body");
  }
  if (!contentType.empty() && !headers_->has("content-type")) {
    headers_->appendTrusted("content-type", contentType);
  }
  return {};
}

JsResult<Response*> Response::construct(Realm& realm, Optional<v8::Local<v8::Value>> body,
                                        Optional<v8::Local<v8::Value>> init) {
  Response* r = create(realm);
  std::string contentType;
  JsResult<void> ok = body ? r->extract(realm, *body, &contentType) : JsResult<void>();
  if (ok.ok()) ok = r->init(realm, init.value_or(v8::Local<v8::Value>()), contentType);
  if (!ok.ok()) {
    delete r;
    return ok.error();
  }
  return r;
}

JsResult<v8::Local<v8::Value>> Response::json(Realm& realm, v8::Local<v8::Value> data,
                                              Optional<v8::Local<v8::Value>> init) {
  v8::Local<v8::String> text;
  if (!v8::JSON::Stringify(realm.context(), data).ToLocal(&text)) {
    return JsError::pending();  // a cycle, a BigInt, a throwing toJSON
  }
  if (text.IsEmpty() || data->IsUndefined() || data->IsFunction() || data->IsSymbol()) {
    return JsError::type("Failed to execute 'json' on 'Response': The data is not "
                         "JSON-serializable.");
  }
  Response* r = create(realm);
  r->hasBody_ = true;
  r->bytes_ = utf8(realm.isolate(), text);
  JsResult<void> ok = r->init(realm, init.value_or(v8::Local<v8::Value>()), "application/json");
  if (!ok.ok()) {
    delete r;
    return ok.error();
  }
  return wrap(realm, r).As<v8::Value>();
}

JsResult<v8::Local<v8::Value>> Response::redirect(Realm& realm, std::string url,
                                                  Optional<int32_t> status) {
  int32_t code = status.value_or(302);
  if (code != 301 && code != 302 && code != 303 && code != 307 && code != 308) {
    return JsError::range("Failed to execute 'redirect' on 'Response': Invalid status code " +
                          std::to_string(code));
  }
  if (url.find(':') == std::string::npos || url.find_first_of("\r\n") != std::string::npos) {
    return JsError::type("Failed to execute 'redirect' on 'Response': Invalid URL '" + url +
                         "'");
  }
  Response* r = create(realm);
  r->status_ = code;
  r->headers_->appendTrusted("location", url);
  r->headers_->setGuard(Headers::Guard::kImmutable);
  return wrap(realm, r).As<v8::Value>();
}

JsResult<v8::Local<v8::Value>> Response::error(Realm& realm) {
  Response* r = create(realm);
  r->status_ = 0;
  r->type_ = "error";
  r->headers_->setGuard(Headers::Guard::kImmutable);
  return wrap(realm, r).As<v8::Value>();
}

Response::~Response() {
  if (!headersWrapped_) delete headers_;
}

v8::Local<v8::Value> Response::headers(Realm& realm) {
  if (!headersWrapped_) {
    setTraced(realm, kHeadersSlot, wrap(realm, headers_));
    headersWrapped_ = true;
  }
  return traced(realm, kHeadersSlot);
}

JsResult<v8::Local<v8::Value>> Response::clone(Realm& realm) {
  if (used_) return JsError::type("Failed to execute 'clone' on 'Response': body is used");
  Response* r = create(realm);
  r->status_ = status_;
  r->statusText_ = statusText_;
  r->type_ = type_;
  r->hasBody_ = hasBody_;
  r->bytes_ = bytes_;
  for (const auto& e : headers_->list()) r->headers_->appendTrusted(e.name, e.value);
  return wrap(realm, r).As<v8::Value>();
}

}  // namespace torus::js
