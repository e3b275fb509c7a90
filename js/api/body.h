// The Body mixin shared by Request and Response (https://fetch.spec.whatwg.org/#body-mixin):
// the body, bodyUsed, and the consumers arrayBuffer(), blob(), bytes(), formData(), json(),
// text().
//
// A body is one of:
//   - none (null);
//   - whole bytes: a string as UTF-8, a BufferSource as a copy of its bytes (the spec copies
//     too), a Blob, FormData or URLSearchParams as the bytes the built-ins serialise it to
//     (the realm helper "extractBody", js/builtins/31_formdata.js), an incoming request body
//     that had fully arrived with its head;
//   - a source: an incoming request body still arriving (js/body_io.h's BodySource);
//   - a ReadableStream: given by the app, or made when JS first reads `body` from one of the
//     others (js/builtins/55_body.js). No stream object exists unless JS asks for one: the
//     consumers read bytes and sources natively.
// Consuming a source reads it natively as it arrives: with a declared length, into one
// backing store of that size that arrayBuffer()/bytes() hand over without a copy.
//
// Thread: the isolate's.
#pragma once

#include <v8.h>

#include <memory>
#include <string>
#include <string_view>

#include "js/binding.h"
#include "js/body_io.h"

namespace torus::js {

class Headers;
class Natives;

class Body {
 public:
  // https://fetch.spec.whatwg.org/#concept-bodyinit-extract: null/undefined (no body),
  // ArrayBuffer, view, Blob/File, FormData, URLSearchParams, ReadableStream (a TypeError if
  // it is locked or disturbed); any other value is converted to a USVString. *contentType
  // gets the type the spec implies ("" if none), valid while this body lives (a literal, or
  // a Blob's or FormData's type kept here: no allocation for the common string body).
  // `what` prefixes messages.
  JsResult<void> extract(Realm& realm, v8::Local<v8::Value> init, std::string_view* contentType,
                         const char* what);

  bool hasBody() const { return kind_ != Kind::kNone; }
  bool isStream() const { return kind_ == Kind::kStream; }
  // Whole bytes or none: take() gives them (for sending).
  bool isBytes() const { return kind_ == Kind::kBytes || kind_ == Kind::kNone; }
  // Used: consumed, or a stream that is disturbed or locked (it cannot be sent or read).
  bool unusable(Realm& realm);
  void setBytes(std::string bytes) {
    bytes_ = std::move(bytes);
    kind_ = Kind::kBytes;
  }

  // Hands the whole bytes over (for sending); marks the body used.
  std::string take() {
    used_ = true;
    return std::move(bytes_);
  }
  // The stream of a stream body.
  v8::Local<v8::Value> stream(Realm& realm);

  enum class Consumer { kArrayBuffer, kBlob, kBytes, kFormData, kJson, kText };

  // The mixin's members as the binding calls them on a Request or a Response (`type` names
  // the class in messages); describeBody() below declares them.
  JsResult<v8::Local<v8::Value>> body(Realm& realm);
  bool bodyUsed(Realm& realm);
  template <Consumer kind, const WrapperType* type>
  JsResult<v8::Local<v8::Value>> consumeAs(Realm& realm) {
    return consume(realm, kind, type, consumerName(kind));
  }

  // The consumer's value from whole bytes (store: the same bytes in a backing store that
  // arrayBuffer()/bytes() may take over; may be null).
  JsResult<v8::Local<v8::Value>> convert(Realm& realm, Consumer kind, std::string_view bytes,
                                         std::shared_ptr<v8::BackingStore> store);

 protected:
  static const char* consumerName(Consumer kind);

  // https://fetch.spec.whatwg.org/#concept-body-consume-body: the consumer's value or a
  // promise of it (the binding's promiseMethod resolves the promise with it), or the error it
  // rejects with: a TypeError when the body is used, a JSON SyntaxError, parseFormData's
  // TypeError. Marks the body used. `type` and `member` name the operation in messages.
  JsResult<v8::Local<v8::Value>> consume(Realm& realm, Consumer kind, const WrapperType* type,
                                         const char* member);

  // clone(): `to` gets a copy of this body (a stream body is teed: this one keeps the first
  // branch). `what` prefixes messages.
  JsResult<void> cloneBodyInto(Realm& realm, Body& to, const char* what);
  // The Request constructor: `to` takes this body; this one is used from then on.
  JsResult<void> moveBodyInto(Realm& realm, Body& to, const char* what);
  // Moves a stream held before the owner had its wrapper onto the wrapper (call from the
  // owner's attached()).
  void attachBody(Realm& realm);

  // The headers whose Content-Type gives blob() its type and formData() its parser (null
  // when they can no longer be read).
  virtual Headers* bodyHeaders(Realm& realm) = 0;
  // Subclasses whose bytes arrive lazily (an incoming request) fill them in here; false
  // with *err set when they are no longer available.
  virtual bool loadBytes(JsError* err) { return true; }
  // A source body's source (an incoming request's), or null once it is gone.
  virtual BodySource* bodySource() { return nullptr; }
  // The owner when its wrapper can hold the stream in a traced slot (streamSlot()), else
  // null: the stream is held by a handle until the owner ends (incoming requests).
  virtual Wrappable* bodyOwner() = 0;
  virtual int streamSlot() const = 0;
  // A JS object that unwraps to the owner while it lives (for callbacks that run later).
  virtual v8::Local<v8::Object> bodyHandle(Realm& realm) = 0;
  virtual ~Body() = default;

  void setStream(Realm& realm, v8::Local<v8::Value> stream);
  // Turns a bytes or source body into a stream body.
  JsResult<v8::Local<v8::Value>> makeStream(Realm& realm);

  enum class Kind : uint8_t { kNone, kBytes, kSource, kStream };
  Kind kind_ = Kind::kNone;
  std::string bytes_;
  std::string extractedType_;  // extract()'s content type when it is not a literal
  bool used_ = false;
  v8::Global<v8::Value> streamRef_;  // the stream until attachBody(), or for good
};

// Declares the Body mixin on T's class (T derives from Body): body, bodyUsed, and the
// promise-returning consumers.
template <typename T>
void describeBody(ClassBuilder<T>& c) {
  using C = Body::Consumer;
  c.template getter<&Body::body>("body");
  c.template getter<&Body::bodyUsed>("bodyUsed");
  c.template promiseMethod<&Body::consumeAs<C::kArrayBuffer, &T::kType>>("arrayBuffer");
  c.template promiseMethod<&Body::consumeAs<C::kBlob, &T::kType>>("blob");
  c.template promiseMethod<&Body::consumeAs<C::kBytes, &T::kType>>("bytes");
  c.template promiseMethod<&Body::consumeAs<C::kFormData, &T::kType>>("formData");
  c.template promiseMethod<&Body::consumeAs<C::kJson, &T::kType>>("json");
  c.template promiseMethod<&Body::consumeAs<C::kText, &T::kType>>("text");
}

// A streamed body's way to its sink (js/body_io.h) for the built-in pump
// (js/builtins/55_body.js 'pumpBody'): natives.bodyWriterWrite/Ready/End/Abort. Owned by its
// wrapper; the sink's owner detaches it (sinkGone) when the sink ends first.
class BodyWriter : public Wrappable {
 public:
  static constexpr WrapperType kType{"BodyWriter"};
  static void describe(ClassBuilder<BodyWriter>&) {}
  explicit BodyWriter(BodySink* sink) : sink_(sink) {}
  ~BodyWriter() override;
  // The sink can take more again: resolves a pending ready promise.
  void writable(Realm& realm);
  void sinkGone() { sink_ = nullptr; }
  BodySink* sink() const { return sink_; }

 private:
  friend struct BodyNatives;
  BodySink* sink_;
  v8::Global<v8::Promise::Resolver> ready_;
};

// A byte ReadableStream reading source as it arrives (55_body.js 'sourceStream').
JsResult<v8::Local<v8::Value>> sourceBodyStream(Realm& realm, BodySource* source);

// When stream is a byte stream made by sourceBodyStream() that nobody has read or locked:
// locks it and hands its source over (for a native reader: the HTTP glue sends a response
// whose body is a fetch() body or a request body passed on as it is, without JS per chunk).
// Else null.
BodySource* takeStreamSource(Realm& realm, v8::Local<v8::Value> stream);

// natives.bodySourceRead/Cancel and bodyWriter*.
void addBodyNatives(Natives& natives);

}  // namespace torus::js
