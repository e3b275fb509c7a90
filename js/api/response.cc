#include "js/api/response.h"

#include "js/api/url.h"

namespace torus::js {

void Response::describe(ClassBuilder<Response>& c) {
  c.constructor<&Response::construct>();
  c.staticMethod<&Response::error>("error");
  c.staticMethod<&Response::redirect>("redirect");
  c.staticMethod<&Response::json>("json");
  c.getter<&Response::type>("type");
  c.getter<&Response::url>("url");
  c.getter<&Response::redirected>("redirected");
  c.getter<&Response::status>("status");
  c.getter<&Response::ok>("ok");
  c.getter<&Response::statusText>("statusText");
  c.getter<&Response::headers>("headers");
  c.method<&Response::clone>("clone");
  describeBody(c);
}

v8::Local<v8::Value> Response::wrapNew(Realm& realm, Response* r) {
  v8::Local<v8::Object> obj = wrap(realm, r);
  r->attached(realm);
  return obj;
}

Response* Response::create() {
  auto* r = new Response();
  r->headers_ = Headers::create();
  return r;
}

namespace {

// reason-phrase = *( HTAB / SP / VCHAR / obs-text ), on Latin-1 bytes.
bool validReason(std::string_view s) {
  for (unsigned char c : s) {
    if (c != '\t' && (c < 0x20 || c == 0x7f)) return false;
  }
  return true;
}

bool isNullBodyStatus(int s) { return s == 101 || s == 103 || s == 204 || s == 205 || s == 304; }

bool isRedirectStatus(int s) { return s == 301 || s == 302 || s == 303 || s == 307 || s == 308; }

}  // namespace

JsResult<void> Response::initialize(const ResponseInit& init, std::string_view contentType,
                                    const char* what) {
  if (init.status < 200 || init.status > 599) {
    return JsError::range(std::string(what) + "The status provided (" +
                          std::to_string(init.status) + ") is outside the range [200, 599].");
  }
  if (!validReason(init.statusText.value)) {
    return JsError::type(std::string(what) + "Invalid statusText.");
  }
  status_ = init.status;
  if (!init.statusText.value.empty()) statusText_ = init.statusText.value;
  if (init.headers) {
    JsResult<void> r = headers_->fill(*init.headers);
    if (!r.ok()) return r;
  }
  return setBodyType(contentType, what);
}

JsResult<void> Response::setBodyType(std::string_view contentType, const char* what) {
  if (hasBody()) {
    if (isNullBodyStatus(status_)) {
      return JsError::type(std::string(what) +
                           "Response with null body status cannot have body");
    }
    if (!contentType.empty() && !headers_->has("content-type")) {
      headers_->appendTrusted("content-type", contentType);
    }
  }
  return {};
}

JsResult<void> Response::initialize(Realm& realm, Optional<v8::Local<v8::Value>> init,
                                    std::string_view contentType, const char* member,
                                    const char* what) {
  // No init: every default (status 200, no statusText, no headers) is already in place.
  if (!init || (*init)->IsNullOrUndefined()) return setBodyType(contentType, what);
  ResponseInit dict;
  if (!Converter<ResponseInit>::from(ArgContext{realm, "Response", member, 2}, *init, &dict)) {
    return JsError::pending();
  }
  return initialize(dict, contentType, what);
}

// https://fetch.spec.whatwg.org/#dom-response
JsResult<Response*> Response::construct(Realm& realm, Optional<v8::Local<v8::Value>> body,
                                        Optional<v8::Local<v8::Value>> init) {
  std::unique_ptr<Response> r(create());
  std::string_view contentType;
  if (body) {
    JsResult<void> ok = r->extract(realm, *body, &contentType, "Failed to construct 'Response': ");
    if (!ok.ok()) return ok.error();
  }
  JsResult<void> ok =
      r->initialize(realm, init, contentType, "constructor", "Failed to construct 'Response': ");
  if (!ok.ok()) return ok.error();
  return r.release();
}

// https://fetch.spec.whatwg.org/#dom-response-json
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
  std::unique_ptr<Response> r(create());
  std::string_view contentType;
  JsResult<void> ok = r->extract(realm, text, &contentType, "Failed to execute 'json' on 'Response': ");
  if (ok.ok()) {
    ok = r->initialize(realm, init, "application/json", "json",
                       "Failed to execute 'json' on 'Response': ");
  }
  if (!ok.ok()) return ok.error();
  return wrapNew(realm, r.release());
}

// https://fetch.spec.whatwg.org/#dom-response-redirect
JsResult<v8::Local<v8::Value>> Response::redirect(Realm& realm, std::string url,
                                                  Optional<uint16_t> status) {
  std::optional<std::string> parsed = parseUrl(url, realm.baseUrl());
  if (!parsed) {
    return JsError::type("Failed to execute 'redirect' on 'Response': Invalid URL '" + url +
                         "'");
  }
  int code = status.value_or(302);
  if (!isRedirectStatus(code)) {
    return JsError::range("Failed to execute 'redirect' on 'Response': Invalid status code " +
                          std::to_string(code));
  }
  Response* r = create();
  r->status_ = code;
  r->headers_->appendTrusted("location", *parsed);
  r->headers_->setGuard(Headers::Guard::kImmutable);
  return wrapNew(realm, r);
}

// https://fetch.spec.whatwg.org/#dom-response-error
JsResult<v8::Local<v8::Value>> Response::error(Realm& realm) {
  Response* r = create();
  r->status_ = 0;
  r->type_ = ResponseType::kError;
  r->headers_->setGuard(Headers::Guard::kImmutable);
  return wrapNew(realm, r);
}

v8::Local<v8::Value> Response::fromFetch(Realm& realm, int status, std::string statusText,
                                         Headers* headers, std::string url, bool redirected,
                                         BodySource* source, v8::Local<v8::Object> holder,
                                         v8::Local<v8::Value> stream) {
  auto* r = new Response();
  r->headers_ = headers;
  headers->setGuard(Headers::Guard::kImmutable);
  r->status_ = status;
  r->statusText_ = std::move(statusText);
  r->type_ = ResponseType::kBasic;
  r->url_ = std::move(url);
  r->redirected_ = redirected;
  v8::Local<v8::Value> obj = wrapNew(realm, r);
  if (!stream.IsEmpty() && stream->IsArrayBufferView()) {
    // Whole bytes (a data: or blob: URL's): no stream unless JS asks for `body`.
    auto view = stream.As<v8::ArrayBufferView>();
    std::string bytes(view->ByteLength(), '\0');
    if (!bytes.empty()) view->CopyContents(bytes.data(), bytes.size());
    r->setBytes(std::move(bytes));
  } else if (!stream.IsEmpty() && !stream->IsNullOrUndefined()) {
    r->kind_ = Kind::kStream;
    r->setStream(realm, stream);
  } else if (source) {
    r->kind_ = Kind::kSource;
    r->source_ = source;
    r->setTraced(realm, kSourceSlot, holder);
  }
  return obj;
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

// https://fetch.spec.whatwg.org/#dom-response-clone
JsResult<v8::Local<v8::Value>> Response::clone(Realm& realm) {
  constexpr const char* kClone = "Failed to execute 'clone' on 'Response': ";
  if (unusable(realm)) return JsError::type(std::string(kClone) + "body is used");
  std::unique_ptr<Response> r(create());
  r->status_ = status_;
  r->statusText_ = statusText_;
  r->type_ = type_;
  r->url_ = url_;
  r->redirected_ = redirected_;
  JsResult<void> cloned = cloneBodyInto(realm, *r, kClone);
  if (!cloned.ok()) return cloned.error();
  r->headers_->copyFrom(*headers_);
  r->headers_->setGuard(headers_->guard());
  return wrapNew(realm, r.release());
}

}  // namespace torus::js
