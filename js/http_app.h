// The bridge between the HTTP server and the app's `export default { fetch }`.
//
// Requests handed over during a drain (complete, or at the end of their head with the body
// still arriving) are started in beforeCheckpoint(): a request context (js/request_context.h)
// with its Request and ExecutionContext, one call to fetch each. After the drain's one
// microtask checkpoint, afterCheckpoint() sends every response whose promise settled (a
// stream body through its pump, js/builtins/55_body.js); promises still pending get
// then-callbacks and respond from a later checkpoint. A throw, a rejection or a value that
// is not a Response answers 500 (no internals) and logs the error with its stack. The
// incoming body source and the response sink are implemented here over net's Exchange
// (js/body_io.h).
#pragma once

#include <v8.h>

#include <memory>
#include <utility>
#include <vector>

#include "base/result.h"
#include "alloc/request_heap.h"
#include "js/api/request.h"
#include "js/request_context.h"
#include "js/runtime.h"
#include "net/http_server.h"

namespace torus::js {

struct AppStats {
  uint64_t started = 0;      // fetch() calls
  uint64_t asyncSettled = 0; // responses that needed a later checkpoint
  uint64_t failed = 0;       // answered 500 by the runtime
  uint64_t outlived = 0;     // contexts that lived on after their exchange (waitUntil...)
  uint64_t refused = 0;      // answered 503: RuntimeOptions::maxRequestContexts reached
};

class HttpApp : public net::RequestHandler,
                public DrainParticipant,
                public RequestContext::Owner {
 public:
  // Checks that the module's default export has a fetch method; env is the handler's `env`
  // (string properties).
  static Result<std::unique_ptr<HttpApp>> create(Runtime& runtime, v8::Local<v8::Module> module,
                                                 const std::string& entry,
      const std::vector<std::pair<std::string, std::string>>& env = {});
  ~HttpApp() override;

  void onRequest(net::Exchange* ex) override { ready_.push_back(ex); }
  void onDone(net::Exchange* ex) override;
  void onAbort(net::Exchange* ex) override;
  // Requests come at the end of their head when the body is still arriving: request.body
  // streams it (js/api/body.h).
  bool streamsBodies() const override { return true; }
  void onBodyData(net::Exchange* ex) override;
  void onWritable(net::Exchange* ex) override;

  bool beforeCheckpoint() override;
  bool afterCheckpoint() override;

  // Answers ex with `status` and `message` now if it has no response yet (a wall-clock
  // limit passed): the handler's own response, if it comes, is dropped.
  void answer(net::Exchange* ex, int status, std::string_view message);
  // The isolate is being given up (terminated at a limit): every request not answered yet
  // gets `status`, streamed responses are cut off (abortStream). No JS runs.
  void answerAll(int status, std::string_view message);

  const AppStats& stats() const { return stats_; }
  // Requests started and not answered yet.
  size_t inFlight() const { return inFlight_; }
  // Request contexts alive (answered or not).
  size_t liveContexts() const { return liveContexts_; }

 private:
  HttpApp(Runtime& runtime) : runtime_(runtime), realm_(runtime.realm()) {}
  void start(net::Exchange* ex);
  // Sends `value` (should be a Response) for the request of ctxObj.
  void finish(v8::Local<v8::Object> ctxObj, v8::Local<v8::Value> value);
  void fail(v8::Local<v8::Object> ctxObj, v8::Local<v8::Value> exception, const char* what);
  void respondError(net::Exchange* ex, int status);
  void contextEnded(RequestContext* rc) override;
  // The client went away before the response: the request's signal aborts (if JS made it).
  void abortSignal(RequestContext* rc);
  // The exchange ended: the body source and sink of its context learn it.
  void endBodies(RequestContext* rc, bool aborted);
  static void onSettled(const v8::FunctionCallbackInfo<v8::Value>& info, bool fulfilled);

  Runtime& runtime_;
  Realm& realm_;
  v8::Global<v8::Object> handler_;
  v8::Global<v8::Function> fetch_;
  v8::Global<v8::Object> env_;
  std::vector<net::Exchange*> ready_;
  std::vector<net::Exchange*> starting_;
  // Started in this drain with a promise: checked after the checkpoint. Locals: they live
  // in the drain's HandleScope.
  struct Pending {
    v8::Local<v8::Object> ctx;
    v8::Local<v8::Promise> promise;
  };
  std::vector<Pending> pending_;
  std::vector<Pending> checking_;
  size_t inFlight_ = 0;
  bool startedPumps_ = false;  // a response body stream started outside a checkpoint
  size_t liveContexts_ = 0;
  AppStats stats_;
  // Request contexts: their heaps draw from this pool; ended ones wait in free_ for reuse.
  alloc::BlockPool blocks_;
  std::vector<std::unique_ptr<RequestContext>> contexts_;
  std::vector<RequestContext*> free_;
};

}  // namespace torus::js
