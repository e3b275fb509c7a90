#include "js/http_app.h"

#include <algorithm>

#include "base/log.h"
#include "js/api/response.h"
#include "js/binding.h"
#include "js/body_io.h"

namespace torus::js {

namespace {

// Settlements of a request's body I/O: queued by completions (net's callbacks), run by the
// drain. The request's context lives while one is queued, so the object (in its heap) does.
class ContextSettlement : public Settlement {
 public:
  ContextSettlement(Runtime& runtime, RequestContext* rc) : runtime_(runtime), rc_(rc) {}
  void queueOnce() {
    if (queued_) return;
    queued_ = true;
    rc_->ref();
    runtime_.queue(this);
  }

 protected:
  virtual void run(Realm& realm) = 0;
  RequestContext* context() const { return rc_; }

 private:
  void settle(Realm& realm) final {
    queued_ = false;
    RequestContext* rc = rc_;
    run(realm);
    rc->unref();  // may end the context, and with it this object: nothing after
  }
  Runtime& runtime_;
  RequestContext* rc_;
  bool queued_ = false;
};

// An incoming request body still arriving: read from the exchange's body buffer.
class ExchangeBodySource final : public BodySource, public ContextSettlement {
 public:
  ExchangeBodySource(Runtime& runtime, RequestContext* rc, net::Exchange* ex)
      : ContextSettlement(runtime, rc), ex_(ex), declared_(ex->request().contentLength) {}
  ~ExchangeBodySource() {
    if (listener_) listener_->onSourceGone();
  }

  size_t read(char* out, size_t max) override {
    return ex_ ? ex_->readBody({out, max}) : 0;
  }
  size_t buffered() const override { return ex_ ? ex_->bodyBuffered() : 0; }
  std::span<const char> peek() override { return ex_ ? ex_->peekBody() : std::span<const char>(); }
  void consume(size_t n) override {
    if (ex_) ex_->consumeBody(n);
  }
  bool ended() const override { return ex_ ? ex_->bodyEnded() : ended_; }
  std::string_view error() const override {
    if (ex_ && ex_->bodyError()) {
      return ex_->bodyError() == 413 ? "it is larger than the server's body size limit"
                                     : "its framing is invalid";
    }
    return error_;
  }
  int64_t declaredLength() const override { return declared_; }
  // Nothing more is read: the connection stops reading at the body buffer's mark, and the
  // rest is discarded when the response ends (net's linger), as for any unread body.
  void cancel() override {}

  // net's news (onBodyData), and the exchange's end.
  void news() {
    if (listener_) queueOnce();
  }
  void exchangeEnded(bool aborted) {
    ended_ = ex_->bodyEnded() && !ex_->bodyError();
    if (!ended_ && error_.empty()) {
      error_ = aborted ? "the client went away" : "the response was sent before it was read";
    }
    ex_ = nullptr;
    news();
  }

 private:
  void run(Realm& realm) override {
    if (listener_) listener_->onBodyNews(realm);
  }
  net::Exchange* ex_;
  int64_t declared_;
  bool ended_ = false;
  std::string error_;
};

// A response body on its way to the exchange. A stream: the built-in pump (55_body.js)
// writes through a BodyWriter while the connection's send queue wants more, and waits for
// onWritable otherwise. A source (a fetch() response returned as it is, a proxy): bytes move
// from the source's buffer to the send queue natively, no JS per chunk, at the pace of the
// slower side (the source's reader pauses while the queue is full).
class ExchangeSink final : public BodySink, public BodyListener, public ContextSettlement {
 public:
  ExchangeSink(Runtime& runtime, RequestContext* rc, net::Exchange* ex)
      : ContextSettlement(runtime, rc), ex_(ex) {}
  ~ExchangeSink() {
    if (writer_) writer_->sinkGone();
    if (source_) source_->setListener(nullptr);
  }

  void startFromSource(Realm& realm, BodySource* source) {
    source_ = source;
    source->setListener(this);
    v8::Local<v8::Object> holder = source->holder(realm);
    if (!holder.IsEmpty()) holder_.Reset(realm.isolate(), holder);
    pump();
  }
  void onBodyNews(Realm& realm) override { pump(); }
  void onSourceGone() override {
    source_ = nullptr;
    if (ex_ && !done_) ex_->abortStream();
    done_ = true;
  }

  void start(Realm& realm, v8::Local<v8::Value> stream) {
    v8::Isolate* iso = realm.isolate();
    writer_ = new BodyWriter(this);
    v8::Local<v8::Value> args[] = {stream, wrap(realm, writer_)};
    JsResult<v8::Local<v8::Value>> cancel = callHelper(realm, "pumpBody", 2, args);
    if (!cancel.ok() || !cancel.value()->IsFunction()) {
      if (ex_) ex_->abortStream();
      return;
    }
    cancel_.Reset(iso, cancel.value().As<v8::Function>());
  }

  Write write(const char* data, size_t len, std::shared_ptr<v8::BackingStore> keep) override {
    if (!ex_ || ex_->streamAborted()) return Write::kGone;
    bool queued = keep ? ex_->writeChunk({data, len}, holdBackingStore(std::move(keep)))
                       : ex_->writeChunkCopy({data, len});
    if (!queued) return Write::kGone;
    return ex_->wantsMore() ? Write::kMore : Write::kFull;
  }
  void writerGone(BodyWriter* writer) override {
    if (writer_ == writer) writer_ = nullptr;
  }
  void end() override {
    done_ = true;
    if (ex_) ex_->endStream();
  }
  void abort(Realm& realm, v8::Local<v8::Value> reason) override {
    done_ = true;
    std::string what = "Response body stream failed mid-body";
    if (RequestContext* rc = context()) {
      what += " (" + std::string(rc->method()) + " " + std::string(rc->target()) + ")";
    }
    realm.reportError(what.c_str(), reason);
    if (ex_) ex_->abortStream();
  }

  // net: the queue drained below its mark.
  void writable() {
    wantWritable_ = true;
    queueOnce();
  }
  void exchangeEnded(bool aborted) {
    ex_ = nullptr;
    if (source_) {
      if (!done_) source_->cancel();
      finishSource();
      return;
    }
    if (aborted && !done_) {
      cancelWanted_ = true;
      queueOnce();
    }
  }

 private:
  // Source mode: moves what is buffered while the send queue wants more.
  void pump() {
    while (ex_ && source_ && !done_) {
      if (!source_->error().empty()) {
        LOG_WARN("response body source failed mid-body (%.*s %.*s): %.*s",
                 int(context()->method().size()), context()->method().data(),
                 int(context()->target().size()), context()->target().data(),
                 int(source_->error().size()), source_->error().data());
        finishSource();
        ex_->abortStream();
        return;
      }
      std::span<const char> bytes = source_->peek();
      if (bytes.empty()) {
        if (source_->ended()) {
          finishSource();
          ex_->endStream();
        }
        return;
      }
      // The queue is at its mark (a write found it so: onWritable resumes): the bytes wait
      // in the source, whose producer pauses in turn.
      if (!ex_->wantsMore()) return;
      bool queued = ex_->writeChunkCopy(bytes);
      source_->consume(bytes.size());
      if (!queued) {
        finishSource();
        return;
      }
    }
  }
  void finishSource() {
    done_ = true;
    source_->setListener(nullptr);
    source_ = nullptr;
    holder_.Reset();
  }

  void run(Realm& realm) override {
    if (source_) {
      wantWritable_ = false;
      pump();
      return;
    }
    if (cancelWanted_) {
      cancelWanted_ = false;
      done_ = true;
      if (writer_) writer_->sinkGone();
      if (!cancel_.IsEmpty()) {
        v8::Isolate* iso = realm.isolate();
        v8::Local<v8::Value> reason = v8::Exception::Error(
            v8Str(iso, "the client went away before the response body was sent"));
        v8::TryCatch tc(iso);
        cancel_.Get(iso)->Call(realm.context(), v8::Undefined(iso), 1, &reason).IsEmpty();
        cancel_.Reset();
      }
      return;
    }
    if (wantWritable_ && writer_) {
      wantWritable_ = false;
      writer_->writable(realm);
    }
  }
  net::Exchange* ex_;
  BodySource* source_ = nullptr;   // source mode
  v8::Global<v8::Object> holder_;  // keeps a GC-owned source alive while it is sent
  BodyWriter* writer_ = nullptr;  // owned by its wrapper
  v8::Global<v8::Function> cancel_;
  bool done_ = false;
  bool wantWritable_ = false;
  bool cancelWanted_ = false;
};

}  // namespace

Result<std::unique_ptr<HttpApp>> HttpApp::create(
    Runtime& runtime, v8::Local<v8::Module> module, const std::string& entry,
    const std::vector<std::pair<std::string, std::string>>& env) {
  Realm& realm = runtime.realm();
  v8::Isolate* iso = realm.isolate();
  v8::Local<v8::Context> ctx = realm.context();
  auto ns = module->GetModuleNamespace().As<v8::Object>();
  v8::Local<v8::Value> def;
  if (!ns->Get(ctx, realm.internalized("default")).ToLocal(&def) || !def->IsObject()) {
    return makeError(entry + ": the module has no default export; expected "
                             "`export default { fetch(request, env, ctx) { ... } }`");
  }
  v8::Local<v8::Value> fetch;
  if (!def.As<v8::Object>()->Get(ctx, realm.internalized("fetch")).ToLocal(&fetch) ||
      !fetch->IsFunction()) {
    return makeError(entry + ": the default export has no fetch(request, env, ctx) method");
  }
  std::unique_ptr<HttpApp> app(new HttpApp(runtime));
  app->handler_.Reset(iso, def.As<v8::Object>());
  app->fetch_.Reset(iso, fetch.As<v8::Function>());
  v8::Local<v8::Object> envObject = v8::Object::New(iso);
  for (const auto& [name, value] : env) {
    envObject->Set(ctx, v8Str(iso, name), v8Str(iso, value)).Check();
  }
  app->env_.Reset(iso, envObject);
  runtime.addParticipant(app.get());
  return app;
}

HttpApp::~HttpApp() {
  runtime_.removeParticipant(this);
  realm_.makeCurrent();
  // Contexts still alive (waitUntil work at a forced stop) end now; no JS runs after this.
  v8::HandleScope scope(realm_.isolate());
  for (auto& rc : contexts_) {
    while (rc->refs() > 0) rc->unref();
  }
}

bool HttpApp::beforeCheckpoint() {
  if (ready_.empty()) return false;
  starting_.swap(ready_);  // fetch() may not add to ready_, but keep both capacities
  for (net::Exchange* ex : starting_) start(ex);
  starting_.clear();
  return true;
}

void HttpApp::start(net::Exchange* ex) {
  v8::Isolate* iso = realm_.isolate();
  v8::Local<v8::Context> ctx = realm_.context();
  if (liveContexts_ >= runtime_.options().maxRequestContexts) {
    // Overloaded (waitUntil work piling up): refuse before any JS runs.
    ++stats_.refused;
    ex->respondText(503, "Service Unavailable: too many requests in progress");
    return;
  }
  ++stats_.started;
  ++inFlight_;
  RequestContext* rc;
  if (free_.empty()) {
    contexts_.push_back(std::make_unique<RequestContext>(realm_, *this, blocks_));
    rc = contexts_.back().get();
  } else {
    rc = free_.back();
    free_.pop_back();
  }
  ++liveContexts_;
  rc->begin(ex, ex->id());
  ex->userData = rc;
  // Both natives live in the context's heap; JS reaches them through slots released when
  // the context ends.
  rc->slot = realm_.acquireSlot();
  rc->requestSlot = realm_.acquireSlot();
  v8::Local<v8::Object> ctxObj =
      wrapInSlot(realm_, rc->heap().make<ExecutionContext>(rc), rc->slot);
  if (!ex->bodyComplete()) {
    auto* source = rc->heap().make<ExchangeBodySource>(runtime_, rc, ex);
    rc->bodySource = source;
  }
  rc->request = rc->heap().make<Request>(rc);
  v8::Local<v8::Object> reqObj = wrapInSlot(realm_, rc->request, rc->requestSlot);
  v8::Local<v8::Value> args[] = {reqObj, env_.Get(iso), ctxObj};
  v8::TryCatch tc(iso);
  v8::Local<v8::Value> result;
  bool threw;
  {
    // Promise jobs queued from here on carry the Request: an unhandled rejection in them is
    // logged with its method and URL (Runtime::reportRejections), timers they set join its
    // context (RequestContext::current).
    RequestContext::Scope tagged(ctx, reqObj);
    threw = !fetch_.Get(iso)->Call(ctx, handler_.Get(iso), 3, args).ToLocal(&result);
  }
  if (threw) {
    fail(ctxObj, tc.Exception(), "Uncaught exception in fetch handler");
    return;
  }
  if (result->IsPromise()) {
    pending_.push_back({ctxObj, result.As<v8::Promise>()});
  } else {
    finish(ctxObj, result);
  }
}

bool HttpApp::afterCheckpoint() {
  startedPumps_ = false;
  if (pending_.empty()) return false;
  checking_.swap(pending_);
  v8::Local<v8::Context> ctx = realm_.context();
  for (Pending& p : checking_) {
    switch (p.promise->State()) {
      case v8::Promise::kFulfilled:
        finish(p.ctx, p.promise->Result());
        break;
      case v8::Promise::kRejected:
        p.promise->MarkAsHandled();
        fail(p.ctx, p.promise->Result(), "Uncaught (in promise) from fetch handler");
        break;
      case v8::Promise::kPending: {
        // Slow path: a later checkpoint settles it.
        auto onOk = v8::Function::New(ctx, [](const v8::FunctionCallbackInfo<v8::Value>& i) {
                      onSettled(i, true);
                    }, p.ctx).ToLocalChecked();
        auto onErr = v8::Function::New(ctx, [](const v8::FunctionCallbackInfo<v8::Value>& i) {
                       onSettled(i, false);
                     }, p.ctx).ToLocalChecked();
        p.promise->Then(ctx, onOk, onErr).IsEmpty();  // only fails on termination
        break;
      }
    }
  }
  checking_.clear();
  return startedPumps_;
}

void HttpApp::onSettled(const v8::FunctionCallbackInfo<v8::Value>& info, bool fulfilled) {
  v8::Local<v8::Object> ctxObj = info.Data().As<v8::Object>();
  auto* ec = Wrappable::unwrap<ExecutionContext>(ctxObj);
  if (!ec) return;  // its request has ended (the client went away): nothing to answer
  auto* app = static_cast<HttpApp*>(&ec->requestContext()->owner());
  ++app->stats_.asyncSettled;
  if (fulfilled) {
    app->finish(ctxObj, info[0]);
  } else {
    app->fail(ctxObj, info[0], "Uncaught (in promise) from fetch handler");
  }
}

void HttpApp::finish(v8::Local<v8::Object> ctxObj, v8::Local<v8::Value> value) {
  auto* ec = Wrappable::unwrap<ExecutionContext>(ctxObj);
  net::Exchange* ex = ec ? ec->requestContext()->exchange() : nullptr;
  if (!ex || ex->responded()) return;  // the client went away meanwhile
  Response* r = Wrappable::unwrap<Response>(value);
  if (!r) {
    LOG_ERROR("fetch handler returned %s instead of a Response",
              realm_.describe(value).c_str());
    respondError(ex, 500);
    return;
  }
  if (r->statusCode() == 0 || r->unusable(realm_)) {
    LOG_ERROR("fetch handler returned %s", r->statusCode() == 0
                                               ? "Response.error()"
                                               : "a Response whose body was already used");
    respondError(ex, 500);
    return;
  }
  RequestContext* rc = ec->requestContext();
  // Headers and a small body are copied by respond(); a larger body moves into the request
  // heap, which keeps it until the last byte is sent.
  alloc::RequestHeap& heap = ex->heap();
  const auto& list = r->headerList()->list();
  auto* headers =
      static_cast<net::HttpHeader*>(heap.allocate(sizeof(net::HttpHeader) * (list.size() + 1)));
  size_t n = 0;
  for (const auto& e : list) headers[n++] = {e.name, e.value};
  if (r->isStream() || r->isSourceBody()) {
    // Sent as it is produced: with the app's Content-Length if it declared one (held to
    // it by the server), else chunked.
    int64_t length = -1;
    if (std::optional<std::string> declared = r->headerList()->get("content-length")) {
      char* end = nullptr;
      long long v = strtoll(declared->c_str(), &end, 10);
      if (!declared->empty() && *end == '\0' && v >= 0 && (*declared)[0] != '-') length = v;
    }
    --inFlight_;
    rc->answered = true;
    auto* sink = rc->heap().make<ExchangeSink>(runtime_, rc, ex);
    rc->bodySink = sink;
    ex->startStream(r->statusCode(), {headers, n}, r->statusMessage(), length);
    // A source passed on as it is (a fetch() body, a request body: `new Response(r.body,
    // r)`) is sent natively, as a source body is.
    BodySource* source = r->isSourceBody() ? r->takeSource()
                                           : takeStreamSource(realm_, r->stream(realm_));
    if (source) {
      sink->startFromSource(realm_, source);
    } else {
      sink->start(realm_, r->stream(realm_));
    }
    startedPumps_ = true;
    return;
  }
  std::string body = r->take();
  std::string_view bytes = body;
  if (body.size() > net::Exchange::kCopiedBodyBytes) {
    bytes = *heap.make<std::string>(std::move(body));  // moved, not copied
  }
  --inFlight_;
  rc->answered = true;
  // A statusText reaches the status line (copied into the head there); an empty one gives
  // the standard reason.
  ex->respond(r->statusCode(), {headers, n}, {bytes.data(), bytes.size()}, r->statusMessage());
}

void HttpApp::fail(v8::Local<v8::Object> ctxObj, v8::Local<v8::Value> exception,
                   const char* what) {
  // Terminated at a limit: the owner answers every request (answerAll), nothing to report.
  if (runtime_.terminated() != Runtime::Termination::kNone) return;
  realm_.reportError(what, exception);
  auto* ec = Wrappable::unwrap<ExecutionContext>(ctxObj);
  net::Exchange* ex = ec ? ec->requestContext()->exchange() : nullptr;
  if (ex && !ex->responded()) respondError(ex, 500);
}

void HttpApp::respondError(net::Exchange* ex, int status) {
  ++stats_.failed;
  --inFlight_;
  if (auto* rc = static_cast<RequestContext*>(ex->userData)) rc->answered = true;
  ex->respondText(status, net::statusReason(status));
}

void HttpApp::answer(net::Exchange* ex, int status, std::string_view message) {
  if (ex->responded()) return;
  auto* rc = static_cast<RequestContext*>(ex->userData);
  if (rc && !rc->answered) {
    rc->answered = true;
    --inFlight_;
  }
  ex->respondText(status, message);
}

void HttpApp::answerAll(int status, std::string_view message) {
  for (net::Exchange* ex : ready_) ex->respondText(status, message);  // never started
  ready_.clear();
  for (auto& rc : contexts_) {
    net::Exchange* ex = rc->exchange();
    if (!ex) continue;
    if (!ex->responded()) {
      answer(ex, status, message);
    } else {
      ex->abortStream();
    }
  }
}

void HttpApp::onDone(net::Exchange* ex) {
  realm_.makeCurrent();
  auto* rc = static_cast<RequestContext*>(ex->userData);
  if (!rc) return;  // answered by the server itself before it started
  ex->userData = nullptr;
  if (!rc->answered) --inFlight_;  // the server answered (a body over its limit)
  endBodies(rc, false);
  if (rc->refs() > 1) ++stats_.outlived;
  rc->exchangeEnded(false);
}

void HttpApp::onAbort(net::Exchange* ex) {
  realm_.makeCurrent();
  auto* rc = static_cast<RequestContext*>(ex->userData);
  if (!rc) {
    // Aborted before this drain's end started it (the client reset right after sending):
    // it must not be started, its memory is about to be recycled.
    ready_.erase(std::remove(ready_.begin(), ready_.end(), ex), ready_.end());
    return;
  }
  if (!rc->answered) --inFlight_;
  if (!ex->responded()) abortSignal(rc);
  ex->userData = nullptr;
  endBodies(rc, true);
  if (rc->refs() > 1) ++stats_.outlived;
  rc->exchangeEnded(true);
}

namespace {

// Aborts an incoming request's signal in the next drain: its listeners are JS, which does
// not run inside the completion that told of the disconnect. The context lives until then,
// so that they can still read the request.
struct AbortRequestSignal final : Settlement {
  RequestContext* rc;
  v8::Global<v8::Value> signal;
  void settle(Realm& realm) override {
    v8::TryCatch tc(realm.isolate());  // a listener's exception is reported by EventTarget
    (void)callHelper(realm, "abortRequestSignal", signal.Get(realm.isolate()));
    rc->unref();
    delete this;
  }
};

}  // namespace

void HttpApp::abortSignal(RequestContext* rc) {
  v8::HandleScope scope(realm_.isolate());
  v8::Local<v8::Value> signal = rc->request->madeSignal(realm_.isolate());
  if (signal.IsEmpty()) return;
  auto* s = new AbortRequestSignal;
  s->rc = rc;
  rc->ref();
  s->signal.Reset(realm_.isolate(), signal);
  runtime_.queue(s);
}

void HttpApp::endBodies(RequestContext* rc, bool aborted) {
  if (rc->bodySource) static_cast<ExchangeBodySource*>(rc->bodySource)->exchangeEnded(aborted);
  if (rc->bodySink) static_cast<ExchangeSink*>(rc->bodySink)->exchangeEnded(aborted);
}

void HttpApp::onBodyData(net::Exchange* ex) {
  realm_.makeCurrent();
  auto* rc = static_cast<RequestContext*>(ex->userData);
  if (rc && rc->bodySource) static_cast<ExchangeBodySource*>(rc->bodySource)->news();
}

void HttpApp::onWritable(net::Exchange* ex) {
  realm_.makeCurrent();
  auto* rc = static_cast<RequestContext*>(ex->userData);
  if (rc && rc->bodySink) static_cast<ExchangeSink*>(rc->bodySink)->writable();
}

void HttpApp::contextEnded(RequestContext* rc) {
  --liveContexts_;
  free_.push_back(rc);
}

}  // namespace torus::js
