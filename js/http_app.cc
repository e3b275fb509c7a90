#include "js/http_app.h"

#include <algorithm>

#include "base/log.h"
#include "js/api/response.h"
#include "js/binding.h"

namespace torus::js {

Result<std::unique_ptr<HttpApp>> HttpApp::create(Runtime& runtime, v8::Local<v8::Module> module,
                                                 const std::string& entry) {
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
  app->env_.Reset(iso, v8::Object::New(iso));
  runtime.setParticipant(app.get());
  return app;
}

HttpApp::~HttpApp() {
  runtime_.setParticipant(nullptr);
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
  ++stats_.started;
  ++inFlight_;
  RequestContext* rc;
  if (free_.empty()) {
    contexts_.push_back(std::make_unique<RequestContext>(realm_, static_cast<RequestContext::Owner&>(*this), blocks_));
    rc = contexts_.back().get();
  } else {
    rc = free_.back();
    free_.pop_back();
  }
  ++liveContexts_;
  rc->begin(ex, ++nextContextId_);
  ex->userData = rc;
  // Both natives live in the context's heap; JS reaches them through slots released when
  // the context ends.
  rc->slot = realm_.acquireSlot();
  rc->requestSlot = realm_.acquireSlot();
  v8::Local<v8::Object> ctxObj =
      wrapInSlot(realm_, rc->heap().make<ExecutionContext>(rc), rc->slot);
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

void HttpApp::afterCheckpoint() {
  if (pending_.empty()) return;
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
}

void HttpApp::onSettled(const v8::FunctionCallbackInfo<v8::Value>& info, bool fulfilled) {
  Runtime* rt = static_cast<Runtime*>(info.GetIsolate()->GetData(1));
  auto* app = static_cast<HttpApp*>(rt->participant());
  v8::Local<v8::Object> ctxObj = info.Data().As<v8::Object>();
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
  if (r->used() || r->statusCode() == 0) {
    LOG_ERROR("fetch handler returned %s",
              r->used() ? "a Response whose body was already used" : "Response.error()");
    respondError(ex, 500);
    return;
  }
  // Headers and a small body are copied by respond(); a larger body moves into the request
  // heap, which keeps it until the last byte is sent.
  alloc::RequestHeap& heap = ex->heap();
  const auto& list = r->headerList()->list();
  auto* headers =
      static_cast<net::HttpHeader*>(heap.allocate(sizeof(net::HttpHeader) * (list.size() + 1)));
  size_t n = 0;
  for (const auto& e : list) headers[n++] = {e.name, e.value};
  std::string body = r->take();
  std::string_view bytes = body;
  if (body.size() > net::Exchange::kCopiedBodyBytes) {
    bytes = *heap.make<std::string>(std::move(body));  // moved, not copied
  }
  --inFlight_;
  // A statusText reaches the status line (copied into the head there); an empty one gives
  // the standard reason.
  ex->respond(r->statusCode(), {headers, n}, {bytes.data(), bytes.size()}, r->statusMessage());
}

void HttpApp::fail(v8::Local<v8::Object> ctxObj, v8::Local<v8::Value> exception,
                   const char* what) {
  realm_.reportError(what, exception);
  auto* ec = Wrappable::unwrap<ExecutionContext>(ctxObj);
  net::Exchange* ex = ec ? ec->requestContext()->exchange() : nullptr;
  if (ex && !ex->responded()) respondError(ex, 500);
}

void HttpApp::respondError(net::Exchange* ex, int status) {
  ++stats_.failed;
  --inFlight_;
  ex->respondText(status, net::statusReason(status));
}

void HttpApp::onDone(net::Exchange* ex) {
  auto* rc = static_cast<RequestContext*>(ex->userData);
  if (!rc) return;  // answered by the server itself before it started
  ex->userData = nullptr;
  if (rc->refs() > 1) ++stats_.outlived;
  rc->exchangeEnded(false);
}

void HttpApp::onAbort(net::Exchange* ex) {
  auto* rc = static_cast<RequestContext*>(ex->userData);
  if (!rc) {
    // Aborted before this drain's end started it (the client reset right after sending):
    // it must not be started, its memory is about to be recycled.
    ready_.erase(std::remove(ready_.begin(), ready_.end(), ex), ready_.end());
    return;
  }
  if (!ex->responded()) {
    --inFlight_;
    abortSignal(rc);
  }
  ex->userData = nullptr;
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
    v8::Local<v8::Function> abort = realm.helper("abortRequestSignal");
    v8::Local<v8::Value> arg = signal.Get(realm.isolate());
    v8::TryCatch tc(realm.isolate());
    if (!abort.IsEmpty()) abort->Call(realm.context(), v8::Undefined(realm.isolate()), 1, &arg)
        .IsEmpty();  // a listener's exception is reported by EventTarget itself
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

void HttpApp::contextEnded(RequestContext* rc) {
  --liveContexts_;
  free_.push_back(rc);
}

}  // namespace torus::js
