// The seams between bodies (Request, Response: js/api/body.h) and where their bytes come from
// or go to. Web API classes see only these; js/http_app.cc implements them over net's
// Exchange for an incoming request and its response, and the fetch client will implement
// them over its own connections.
//
// Thread: the isolate's.
#pragma once

#include <v8.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "net/http_server.h"  // PieceOwner

namespace torus::js {

class BodyWriter;
class Realm;

// Told when a source has news: bytes to read, its end, or its failure. Called from a drain
// (a Settlement, js/runtime.h), never inside the completion that brought the news, so JS may
// run.
class BodyListener {
 public:
  virtual void onBodyNews(Realm& realm) = 0;
  // The source is gone (its request ended): the listener must not use it any more.
  virtual void onSourceGone() = 0;

 protected:
  ~BodyListener() = default;
};

// A body that arrives over time (a request body still being received). Reading drops what is
// read and makes room for more: the producer pauses while the buffer is full, so memory is
// bounded by the source's buffer, not by the body.
class BodySource {
 public:
  // Copies up to max buffered bytes into out and drops them; returns the count.
  virtual size_t read(char* out, size_t max) = 0;
  // Bytes ready to read now.
  virtual size_t buffered() const = 0;
  // The oldest buffered bytes without a copy (empty: none now), valid until consume() or
  // read(); consume(n) drops n of them. For a native reader that copies them elsewhere
  // anyway (into a send queue).
  virtual std::span<const char> peek() = 0;
  virtual void consume(size_t n) = 0;
  // Every byte has arrived (buffered ones may remain).
  virtual bool ended() const = 0;
  // Why the body failed (non-empty), e.g. over the body size limit or the client went away.
  virtual std::string_view error() const = 0;
  // The length the sender declared, or -1.
  virtual int64_t declaredLength() const = 0;
  // The reader is gone or gave up (stream cancelled): the rest is discarded.
  virtual void cancel() = 0;
  // A JS object that keeps this source alive (its owner's wrapper), which readers hold
  // while they read: for sources the GC owns (a fetch() response's). Empty for sources
  // owned elsewhere (an incoming request's: onSourceGone says when it ends).
  virtual v8::Local<v8::Object> holder(Realm& realm) { return {}; }
  // What a failed read rejects with when it is a JS value (an abort reason); empty: a
  // TypeError naming error().
  virtual v8::Local<v8::Value> errorValue(Realm& realm) { return {}; }
  // At most one listener; null to stop listening.
  void setListener(BodyListener* listener) { listener_ = listener; }
  BodyListener* listener() const { return listener_; }

 protected:
  ~BodySource() = default;
  BodyListener* listener_ = nullptr;
};

// A net::PieceOwner that keeps `store` alive until the bytes it holds are acknowledged (or
// dropped): a chunk sent from a JS buffer without a copy.
inline net::PieceOwner holdBackingStore(std::shared_ptr<v8::BackingStore> store) {
  return net::PieceOwner{
      [](void* p) { delete static_cast<std::shared_ptr<v8::BackingStore>*>(p); },
      new std::shared_ptr<v8::BackingStore>(std::move(store))};
}

// Where a streamed body goes (a response being sent). write() queues a chunk; the sink says
// when it wants more.
class BodySink {
 public:
  enum class Write { kMore, kFull, kGone };
  // Queues the bytes: sent from `keep` (held until they are acknowledged) when given, else
  // copied. kFull: wait for the sink's owner to say it is writable.
  virtual Write write(const char* data, size_t len, std::shared_ptr<v8::BackingStore> keep) = 0;
  // The body ended normally.
  virtual void end() = 0;
  // The body failed mid-way with `reason`: the receiver must be able to tell (no clean
  // end), and the failure is logged with what it was for.
  virtual void abort(Realm& realm, v8::Local<v8::Value> reason) = 0;
  // The writer feeding this sink (js/api/body.h's BodyWriter) was collected: forget it.
  virtual void writerGone(BodyWriter* writer) = 0;

 protected:
  ~BodySink() = default;
};

}  // namespace torus::js
