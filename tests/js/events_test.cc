// Built-in events and abort (js/builtins/11_event.js, 12_abort.js, js/api/events.cc): that
// their state, all in JS, is collected with its objects, and the natives they use.
#include <gtest/gtest.h>

#include "js/builtins.h"
#include "tests/js/realm_fixture.h"

namespace torus::js {
namespace {

class EventsTest : public RealmTest {
 protected:
  // Used heap after a full, memory-reducing GC (and with no WeakRef target kept for the
  // current job, as a microtask checkpoint would leave it).
  size_t usedHeapAfterGc() {
    iso()->ClearKeptObjects();
    iso()->LowMemoryNotification();
    v8::HeapStatistics hs;
    iso()->GetHeapStatistics(&hs);
    return hs.used_heap_size();
  }
  std::string abortLinks(const char* signalExpr) {
    v8::Local<v8::Object> internals = realm_->internals();
    v8::Local<v8::Object> abort =
        internals->Get(ctx(), v8Str(iso(), "abort")).ToLocalChecked().As<v8::Object>();
    v8::Local<v8::Function> links =
        abort->Get(ctx(), v8Str(iso(), "links")).ToLocalChecked().As<v8::Function>();
    v8::Local<v8::Value> signal =
        v8::Script::Compile(ctx(), v8Str(iso(), signalExpr)).ToLocalChecked()->Run(ctx())
            .ToLocalChecked();
    return utf8(iso(), links->Call(ctx(), v8::Undefined(iso()), 1, &signal).ToLocalChecked());
  }
};

// The V8 heap is not instrumented by ASan, so the count is the same in every preset.
constexpr int kTargets = 1'000'000;

TEST_F(EventsTest, TargetsWithListenersClosingOverThemAreCollected) {
  ASSERT_EQ(run("globalThis.keep = null; new EventTarget().dispatchEvent(new Event('x'))"),
            "true");
  size_t baseline = usedHeapAfterGc();
  ASSERT_EQ(run("globalThis.keep = [];"
                "for (let i = 0; i < " + std::to_string(kTargets) + "; ++i) {"
                "  const t = new EventTarget();"
                "  t.addEventListener('ping', () => t.dispatchEvent(new Event('pong')));"
                "  t.addEventListener('pong', { handleEvent() { return t; } }, { once: true });"
                "  keep.push(t);"
                "}"
                "keep[7].dispatchEvent(new Event('ping'))"),
            "true");
  size_t full = usedHeapAfterGc();
  EXPECT_GT(full, baseline + size_t(kTargets) * 100) << "the targets were not all alive";
  run("globalThis.keep = null");
  size_t after = usedHeapAfterGc();
  EXPECT_LT(after, baseline + (1 << 20)) << "baseline " << baseline << ", with targets " << full;
}

TEST_F(EventsTest, SignalsFollowingTheirListenersAreCollected) {
  // A listener with a signal: the signal's abort algorithm references the target.
  run("globalThis.keep = null");
  size_t baseline = usedHeapAfterGc();
  run("globalThis.keep = [];"
      "for (let i = 0; i < 200000; ++i) {"
      "  const t = new EventTarget(); const c = new AbortController();"
      "  t.addEventListener('x', () => c, { signal: c.signal });"
      "  c.signal.onabort = () => t;"
      "  keep.push(t);"
      "}");
  run("globalThis.keep = null");
  EXPECT_LT(usedHeapAfterGc(), baseline + (1 << 20));
}

TEST_F(EventsTest, DependentSignalsAreHeldWeaklyBySources) {
  run("globalThis.root = new AbortController(); globalThis.fired = 0;");
  size_t baseline = usedHeapAfterGc();
  // Unobserved dependents of a long-lived signal: collected, and their links swept.
  run("for (let i = 0; i < 200000; ++i) AbortSignal.any([root.signal, AbortSignal.any([root.signal])]);");
  EXPECT_EQ(abortLinks("root.signal"), "400000,0") << "alive while their job runs";
  usedHeapAfterGc();
  // New links, made in small jobs as requests would, sweep the dead ones as they go: the
  // links stay bounded (about twice a round's) instead of growing with every link made.
  usedHeapAfterGc();
  size_t settled = 0;
  for (int round = 0; round < 20; ++round) {
    for (int job = 0; job < 100; ++job) {
      run("for (let i = 0; i < 200; ++i) AbortSignal.any([root.signal]);");
      iso()->ClearKeptObjects();
    }
    size_t heap = usedHeapAfterGc();
    if (round == 4) settled = heap;
  }
  std::string weak = abortLinks("root.signal");
  EXPECT_LT(std::stoi(weak), 60000) << weak << " after 400000 links of 420000 made";
  EXPECT_LT(usedHeapAfterGc(), settled + (1 << 20)) << "grows with the links made";

  // Observed dependents stay alive while their source does, and fire.
  run("for (let i = 0; i < 1000; ++i) {"
      "  const s = AbortSignal.any([root.signal]);"
      "  s.addEventListener('abort', () => { ++fired; });"
      "}"
      "for (let i = 0; i < 1000; ++i) AbortSignal.any([root.signal]).onabort = () => { ++fired; };"
      "for (let i = 0; i < 1000; ++i) {"  // observed, then not
      "  const s = AbortSignal.any([root.signal]); const f = () => { fired += 1000; };"
      "  s.addEventListener('abort', f); s.removeEventListener('abort', f);"
      "}");
  usedHeapAfterGc();
  std::string links = abortLinks("root.signal");
  EXPECT_EQ(links.substr(links.find(',')), ",2000") << links;
  EXPECT_EQ(run("root.abort(); fired"), "2000");
  EXPECT_EQ(abortLinks("root.signal"), "0,0");
}

TEST_F(EventsTest, ErrorLocationNamesTheThrowSite) {
  v8::Local<v8::Object> natives = realm_->natives();
  v8::Local<v8::Function> loc =
      natives->Get(ctx(), v8Str(iso(), "errorLocation")).ToLocalChecked().As<v8::Function>();
  v8::ScriptOrigin origin(iso(), v8Str(iso(), "file:///app.js"));
  v8::Local<v8::Value> error = v8::Script::Compile(ctx(), v8Str(iso(), "\n  new TypeError('x')"),
                                                   &origin)
                                   .ToLocalChecked()
                                   ->Run(ctx())
                                   .ToLocalChecked();
  v8::Local<v8::Value> out = loc->Call(ctx(), v8::Undefined(iso()), 1, &error).ToLocalChecked();
  EXPECT_EQ(utf8(iso(), out), "Uncaught TypeError: x,file:///app.js,2,3");
}

TEST_F(EventsTest, ReportErrorDispatchesOnTheGlobalAndLogsWhenNotCanceled) {
  EXPECT_EQ(run("let seen = [];"
                "addEventListener('error', (e) => { seen.push(e.message, e.error.message); "
                "  e.preventDefault(); });"
                "reportError(new Error('boom')); seen.join('|')"),
            "Uncaught Error: boom|boom");
  EXPECT_EQ(realm_->errorsReported(), 0u);
  run("onerror = () => false; removeEventListener('error', globalThis.listener);"
      "globalThis.onerror = null; reportError(1)");
  EXPECT_EQ(realm_->errorsReported(), 0u) << "the first listener still cancels";
  run("onerror = (message, file, line, col, error) => error === 2;"
      "reportError(2); reportError(3)");
  EXPECT_EQ(realm_->errorsReported(), 0u);
}

}  // namespace
}  // namespace torus::js
