// Fetch `Response` (https://fetch.spec.whatwg.org/#response-class).
//
// Server behaviour (as workerd and Deno): the "response" headers guard filters nothing
// (there are no forbidden response-header names on a server; Set-Cookie is the app's to
// send), and a statusText reaches the status line on the wire (js/http_app.cc).
//
// Thread: the isolate's.
#pragma once

#include <cstdint>
#include <string>

#include "js/api/body.h"
#include "js/api/headers.h"
#include "js/binding.h"

namespace torus::js {

// https://fetch.spec.whatwg.org/#responseinit
struct ResponseInit {
  static constexpr const char* kName = "ResponseInit";
  Optional<Headers::HeadersInit> headers;
  uint16_t status = 200;
  ByteString statusText;
  static constexpr auto members() {
    return std::tuple(field("headers", &ResponseInit::headers),
                      field("status", &ResponseInit::status),
                      field("statusText", &ResponseInit::statusText));
  }
};

enum class ResponseType : uint8_t { kBasic, kCors, kDefault, kError, kOpaque, kOpaqueRedirect };
template <>
struct EnumValues<ResponseType> {
  static constexpr const char* kName = "ResponseType";
  static constexpr std::string_view kValues[] = {"basic", "cors",   "default",
                                                 "error", "opaque", "opaqueredirect"};
};

class Response : public Wrappable, public Body {
 public:
  static constexpr WrapperType kType{"Response"};
  static void describe(ClassBuilder<Response>& c);

  // init is converted to a ResponseInit here, not by the binding, so that the common
  // `new Response(body)` skips the dictionary entirely.
  static JsResult<Response*> construct(Realm& realm, Optional<v8::Local<v8::Value>> body,
                                       Optional<v8::Local<v8::Value>> init);
  ~Response() override;
  static JsResult<v8::Local<v8::Value>> error(Realm& realm);
  static JsResult<v8::Local<v8::Value>> redirect(Realm& realm, std::string url,
                                                 Optional<uint16_t> status);
  static JsResult<v8::Local<v8::Value>> json(Realm& realm, v8::Local<v8::Value> data,
                                             Optional<v8::Local<v8::Value>> init);

  ResponseType type(Realm&) const { return type_; }
  std::string_view url(Realm&) const { return url_; }
  bool redirected(Realm&) const { return redirected_; }
  int32_t status(Realm&) const { return status_; }
  bool ok(Realm&) const { return status_ >= 200 && status_ <= 299; }
  ByteString statusText(Realm&) const { return {statusText_}; }
  v8::Local<v8::Value> headers(Realm& realm);
  JsResult<v8::Local<v8::Value>> clone(Realm& realm);

  // Bound to its wrapper (the binding's hook; also called after wrap()).
  void attached(Realm& realm) {
    wrapped_ = true;
    attachBody(realm);
  }

  // For the HTTP glue.
  int statusCode() const { return status_; }
  // The status message as given (Latin-1 bytes, a valid reason-phrase), or empty: the
  // status line then carries the standard reason.
  std::string_view statusMessage() const { return statusText_; }
  Headers* headerList() const { return headers_; }

  // A response fetch() received (js/api/fetch.cc): type "basic", immutable headers (given,
  // already valid), url, redirected. Its body is `source` (kept alive through its owner's
  // JS object `holder`, held in a traced slot), or `stream` (a ReadableStream, or a
  // Uint8Array of whole bytes), or none when both are empty.
  static v8::Local<v8::Value> fromFetch(Realm& realm, int status, std::string statusText,
                                        Headers* headers, std::string url, bool redirected,
                                        BodySource* source, v8::Local<v8::Object> holder,
                                        v8::Local<v8::Value> stream);
  // A body still arriving from its source (a fetch() response whose body nobody read yet).
  bool isSourceBody() const { return kind_ == Kind::kSource; }
  // Hands the source over (to be sent natively): the body is used from then on.
  BodySource* takeSource() {
    used_ = true;
    return source_;
  }

 private:
  // https://fetch.spec.whatwg.org/#initialize-a-response, with the body already extracted
  // (hasBody_) and the Content-Type it implies ("" for none). `what` prefixes messages (a
  // literal: nothing is allocated unless there is an error).
  JsResult<void> initialize(const ResponseInit& init, std::string_view contentType,
                            const char* what);
  // The same from the JS value of the init argument (argument 2 of `member`; undefined:
  // every default).
  JsResult<void> initialize(Realm& realm, Optional<v8::Local<v8::Value>> init,
                            std::string_view contentType, const char* member, const char* what);
  // The end of initialize: a null-body status refuses the body, whose type becomes the
  // Content-Type unless the headers have one.
  JsResult<void> setBodyType(std::string_view contentType, const char* what);
  Headers* bodyHeaders(Realm&) override { return headers_; }
  BodySource* bodySource() override { return source_; }
  Wrappable* bodyOwner() override { return wrapped_ ? this : nullptr; }
  int streamSlot() const override { return kStreamSlot; }
  v8::Local<v8::Object> bodyHandle(Realm& realm) override { return wrapper(realm.isolate()); }
  static Response* create();
  // The wrapper of a Response made here (not by the constructor), attached.
  static v8::Local<v8::Value> wrapNew(Realm& realm, Response* r);

  int32_t status_ = 200;
  std::string statusText_;
  ResponseType type_ = ResponseType::kDefault;
  // Owned here until JS first reads `headers`; from then on by its wrapper, which is kept
  // traced on ours. Most responses are sent without their headers ever reaching JS.
  Headers* headers_ = nullptr;
  bool headersWrapped_ = false;
  bool wrapped_ = false;  // attached to its wrapper: the body stream is traced there
  bool redirected_ = false;
  std::string url_;  // the response URL (fetch), serialized; empty: null
  BodySource* source_ = nullptr;  // a fetch() response's body while it is a source
  enum : int { kHeadersSlot = 0, kStreamSlot = 1, kSourceSlot = 2 };  // traced slots
};

}  // namespace torus::js
