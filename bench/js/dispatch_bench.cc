// The JS side of a request, without sockets: a fetch handler called with a Request, its
// Response read back, in a real isolate. Side by side: one microtask checkpoint per request
// (what a naive embedder does) against one checkpoint per batch of 16 (torus's per-drain
// batching under load); and Headers built from a parsed request.
#include <benchmark/benchmark.h>

#include <memory>

#include "engine/loop.h"
#include "js/api/headers.h"
#include "js/api/response.h"
#include "js/binding.h"
#include "js/realm.h"
#include "js/runtime.h"

namespace torus::js {
namespace {

struct Env {
  Env() {
    static V8Process* v8 = new V8Process();  // once per process, never torn down
    (void)v8;
    loop = std::move(engine::Loop::create({}).value());
    runtime = std::make_unique<Runtime>(*loop, RuntimeOptions{});
  }
  Realm& realm() { return runtime->realm(); }
  v8::Local<v8::Function> compile(const char* source) {
    auto r = runtime->evalScript(std::string("globalThis.__f = ") + source, "bench");
    v8::Local<v8::Context> ctx = realm().context();
    return ctx->Global()
        ->Get(ctx, realm().internalized("__f"))
        .ToLocalChecked()
        .As<v8::Function>();
  }
  std::unique_ptr<engine::Loop> loop;
  std::unique_ptr<Runtime> runtime;
};

Env& env() {
  static Env* e = new Env();
  return *e;
}

// An async handler: `async fetch(req) { return new Response("hi") }`, awaited the way
// HttpApp does (promise state read after the checkpoint).
void dispatch(benchmark::State& state, int batch) {
  Env& e = env();
  v8::Isolate* iso = e.realm().isolate();
  v8::HandleScope outer(iso);
  v8::Local<v8::Function> fetch =
      e.compile("async function fetch(req) { return new Response('Hello from torus!\\n'); }");
  v8::Local<v8::Context> ctx = e.realm().context();
  std::vector<v8::Local<v8::Promise>> pending;
  for (auto _ : state) {
    v8::HandleScope scope(iso);
    for (int i = 0; i < batch; ++i) {
      v8::Local<v8::Value> arg = v8::Undefined(iso);
      pending.push_back(fetch->Call(ctx, ctx->Global(), 1, &arg).ToLocalChecked()
                            .As<v8::Promise>());
    }
    e.realm().checkpoint();
    for (auto p : pending) {
      Response* r = Wrappable::unwrap<Response>(p->Result());
      benchmark::DoNotOptimize(r->take());
    }
    pending.clear();
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK_CAPTURE(dispatch, checkpoint_per_request, 1);
BENCHMARK_CAPTURE(dispatch, checkpoint_per_16_requests, 16);

// Headers of a typical wrk/browser request, built natively as an incoming Request does,
// then read from JS with get().
void headersFromRequest(benchmark::State& state) {
  Env& e = env();
  v8::Isolate* iso = e.realm().isolate();
  v8::HandleScope outer(iso);
  v8::Local<v8::Function> read = e.compile(
      "function read(h) { return h.get('user-agent').length + h.get('accept').length; }");
  v8::Local<v8::Context> ctx = e.realm().context();
  static const std::pair<const char*, const char*> kHeaders[] = {
      {"Host", "127.0.0.1:8080"}, {"User-Agent", "Mozilla/5.0 (X11; Linux x86_64)"},
      {"Accept", "text/html,application/xhtml+xml"}, {"Accept-Encoding", "gzip, deflate"},
      {"Accept-Language", "en-US,en;q=0.5"}, {"Connection", "keep-alive"}};
  for (auto _ : state) {
    v8::HandleScope scope(iso);
    Headers* h = Headers::create(Headers::Guard::kImmutable);
    for (auto& [n, v] : kHeaders) h->appendTrusted(n, v);
    v8::Local<v8::Value> obj = wrap(e.realm(), h);
    benchmark::DoNotOptimize(read->Call(ctx, ctx->Global(), 1, &obj).ToLocalChecked());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(headersFromRequest);

// `new Headers({...})` and iteration, all in JS.
void headersInJs(benchmark::State& state) {
  Env& e = env();
  v8::Isolate* iso = e.realm().isolate();
  v8::HandleScope outer(iso);
  v8::Local<v8::Function> run = e.compile(
      "function run() { const h = new Headers({'content-type': 'text/plain', 'x-a': '1',"
      " 'cache-control': 'no-store'}); h.append('x-a', '2'); let n = 0;"
      " for (const [k, v] of h) n += k.length + v.length; return n; }");
  v8::Local<v8::Context> ctx = e.realm().context();
  for (auto _ : state) {
    v8::HandleScope scope(iso);
    benchmark::DoNotOptimize(run->Call(ctx, ctx->Global(), 0, nullptr).ToLocalChecked());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(headersInJs);

}  // namespace
}  // namespace torus::js
