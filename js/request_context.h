// A request's JS-side life (like workerd's IoContext): the link to its HTTP exchange, which
// may end first, its own request heap, and what the request started that must stop with it
// (its timers and in-flight operations: the cancel list).
//
// A context lives while any of these holds a reference: the response is unsent (the
// exchange's), a `ctx.waitUntil` promise is pending, a body stream is open, an operation is
// in flight. When the last one goes it ends: it cancels what is left on its cancel list,
// releases the slots through which JS reaches its Request and `ctx` (later uses are
// TypeErrors), and releases its heap in one step. References are an intrusive, non-atomic
// count (one thread).
//
// While the exchange lives, the request's head and whole body are read from it; when the
// exchange ends before the context (work in waitUntil after the response was sent, or the
// client went away), the context first copies them into its own heap, so `request` stays
// usable for as long as the context lives.
//
// The JS code running on behalf of a request is tagged with it through V8's
// continuation-preserved embedder data (the request's wrapper), set around the fetch call
// and around timer callbacks and carried by V8 through promise jobs: current() finds the
// context of the running code (timers use it to join their request's cancel list).
//
// Thread: the isolate's.
#pragma once

#include <v8.h>

#include <cstdint>
#include <span>
#include <string_view>

#include "alloc/request_heap.h"
#include "net/http_server.h"

namespace torus::js {

class BodySink;
class BodySource;
class Realm;
class Request;
class RequestContext;
struct Slot;

// Something a request started that ends with it unless it finishes first: a timer, an
// operation in flight. Linked on its context's cancel list while it is pending.
class Cancelable {
 public:
  Cancelable() = default;
  Cancelable(const Cancelable&) = delete;
  Cancelable& operator=(const Cancelable&) = delete;
  // The context it belongs to, or null (not linked).
  RequestContext* requestContext() const { return owner_; }
  // Leaves the context's list (finished first, or cleared); no-op when not linked.
  void unlink();

 protected:
  ~Cancelable() { unlink(); }
  // The context ended: stop. Already unlinked when called; may destroy this.
  virtual void cancelByContext() = 0;

 private:
  friend class RequestContext;
  RequestContext* owner_ = nullptr;
  Cancelable* prev_ = nullptr;
  Cancelable* next_ = nullptr;
};

class RequestContext {
 public:
  // What ends a context: its owner (js/http_app.cc) recycles it.
  class Owner {
   public:
    // rc has ended (cancelled its list, released its slots and heap): it may be reused.
    virtual void contextEnded(RequestContext* rc) = 0;

   protected:
    ~Owner() = default;
  };

  RequestContext(Realm& realm, Owner& owner, alloc::BlockPool& pool)
      : realm_(realm), owner_(owner), heap_(pool) {}
  RequestContext(const RequestContext&) = delete;
  RequestContext& operator=(const RequestContext&) = delete;

  // Starts a context for a new exchange, holding the exchange's reference.
  void begin(net::Exchange* ex, uint64_t id);
  // The exchange, or null once it has ended (the response was sent or the client went away).
  net::Exchange* exchange() const { return exchange_; }
  // The exchange ended (onDone/onAbort): copies what the request still needs, drops the
  // exchange's reference. aborted: the client went away before the response was sent.
  void exchangeEnded(bool aborted);
  bool aborted() const { return aborted_; }

  // The parsed request head and its whole body (empty: none), valid for the context's life.
  std::string_view method() const { return request_.method; }
  std::string_view target() const { return request_.target; }
  std::string_view host() const { return request_.host; }
  // The whole head (version, TLS metadata: net/http_parser.h).
  const net::HttpRequest& head() const { return request_; }
  std::span<const net::HttpHeader> headers() const {
    return {request_.headers, request_.headerCount};
  }
  std::string_view body() const { return body_; }

  // This context's own memory: lives until the context ends (not only the exchange).
  alloc::RequestHeap& heap() { return heap_; }

  void ref() { ++refs_; }
  // Drops a reference; the last one ends the context now.
  void unref();
  uint32_t refs() const { return refs_; }

  void add(Cancelable* c);
  // Cancelables on the list (for tests and stats).
  size_t pendingCancelables() const { return cancelableCount_; }

  Owner& owner() const { return owner_; }

  // A number per request, unique per worker (logs).
  uint64_t id() const { return id_; }

  // The slots through which JS reaches the request's `ctx` and `request` (acquired by the
  // owner at the start, released by the context at its end).
  Slot* slot = nullptr;
  Slot* requestSlot = nullptr;
  // The incoming Request (in the heap), set by the owner.
  Request* request = nullptr;
  // The request body while it is still arriving (in the heap, set by the owner), or null:
  // the whole body is body().
  BodySource* bodySource = nullptr;
  // Where a streamed response body goes (in the heap, set by the owner), or null.
  BodySink* bodySink = nullptr;
  // The owner has answered the request (its response started).
  bool answered = false;

  // The context of the JS code running now (tagged by the embedder data V8 carries through
  // promise jobs), or null: module top level, a constructed Request's work, or a request that
  // has ended.
  static RequestContext* current(v8::Isolate* iso);
  // Tags the code run in a scope with a context (null: untagged), restoring what was before.
  class Scope {
   public:
    Scope(v8::Local<v8::Context> context, v8::Local<v8::Value> tag);
    ~Scope();

   private:
    v8::Local<v8::Context> context_;
    v8::Local<v8::Value> previous_;
  };

 private:
  friend class Cancelable;
  void end();

  Realm& realm_;
  Owner& owner_;
  alloc::RequestHeap heap_;
  net::Exchange* exchange_ = nullptr;
  net::HttpRequest request_;  // the exchange's head, then the context's copy of it
  std::string_view body_;
  uint32_t refs_ = 0;
  bool aborted_ = false;
  uint64_t id_ = 0;
  Cancelable* cancelables_ = nullptr;
  size_t cancelableCount_ = 0;
};

}  // namespace torus::js
