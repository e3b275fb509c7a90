#include "server/apps.h"

#include <time.h>

#include <algorithm>
#include <chrono>

#include "base/log.h"
#include "js/builtins.h"

namespace torus::server {

// ---- CpuWatchdog ----

CpuWatchdog& CpuWatchdog::instance() {
  static CpuWatchdog* watchdog = new CpuWatchdog;  // lives until exit: workers may outlive main
  return *watchdog;
}

namespace {

uint64_t clockNs(clockid_t clock) {
  timespec ts;
  if (clock_gettime(clock, &ts) != 0) return 0;
  return uint64_t(ts.tv_sec) * 1'000'000'000 + uint64_t(ts.tv_nsec);
}

}  // namespace

void CpuWatchdog::watch(js::Runtime* runtime, uint64_t limitMs) {
  clockid_t clock;
  if (pthread_getcpuclockid(pthread_self(), &clock) != 0) clock = CLOCK_MONOTONIC;
  std::lock_guard lock(mu_);
  entries_.push_back({runtime, clock, limitMs * 1'000'000});
  if (!thread_.joinable()) {
    thread_ = std::thread([this] { run(); });
    thread_.detach();
  }
  wake_.notify_one();
}

void CpuWatchdog::unwatch(js::Runtime* runtime) {
  std::lock_guard lock(mu_);
  std::erase_if(entries_, [&](const Entry& e) { return e.runtime == runtime; });
}

void CpuWatchdog::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (entries_.empty()) {
      wake_.wait(lock);
      continue;
    }
    // Looks at a tenth of the smallest limit (at least every 50 ms, at most every 1 ms): a
    // stretch is stopped within about 10% past its limit.
    uint64_t tickNs = 50'000'000;
    for (const Entry& e : entries_) tickNs = std::min(tickNs, e.limitNs / 10);
    tickNs = std::max<uint64_t>(tickNs, 1'000'000);
    wake_.wait_for(lock, std::chrono::nanoseconds(tickNs));
    for (Entry& e : entries_) {
      uint32_t now = e.runtime->jsEntries();
      if (!(now & 1)) {
        e.seen = now;
        continue;
      }
      uint64_t cpu = clockNs(e.clock);
      if (now != e.seen) {
        e.seen = now;
        e.sinceNs = cpu;
      } else if (cpu - e.sinceNs >= e.limitNs) {
        e.runtime->terminate(js::Runtime::Termination::kCpu);
      }
    }
  }
}

// ---- AppSet ----

Result<void> checkApp(engine::Loop& loop, const js::RuntimeOptions& options, const AppOptions& a) {
  js::Runtime runtime(loop, options);
  v8::HandleScope scope(runtime.realm().isolate());
  auto module = runtime.loadModule(a.entry);
  if (!module.ok()) return makeError(module.error());
  auto app = js::HttpApp::create(runtime, module->Get(runtime.realm().isolate()), a.entry, a.env);
  if (!app.ok()) return makeError(app.error());
  return Result<void>();
}

namespace {

// FNV-1a of a file's bytes (0 if it cannot be read): enough to see that a module changed.
uint64_t fileHash(const std::string& path) {
  FILE* f = fopen(path.c_str(), "rb");
  if (!f) return 0;
  uint64_t h = 1469598103934665603ull;
  char buf[16384];
  for (size_t n; (n = fread(buf, 1, sizeof buf, f)) > 0;) {
    for (size_t i = 0; i < n; ++i) h = (h ^ uint8_t(buf[i])) * 1099511628211ull;
  }
  fclose(f);
  return h;
}

}  // namespace

struct AppSet::Slot {
  AppOptions options;
  std::unique_ptr<Instance> current;
  AppCounters counters;
  // Stats of instances already freed.
  uint64_t failed = 0, refused = 0;
  bool restarting = false;  // a replacement for a terminated instance is being loaded
};

struct AppSet::Instance {
  std::shared_ptr<Slot> slot;
  std::unique_ptr<js::Runtime> runtime;
  std::unique_ptr<js::HttpApp> app;
  size_t routed = 0;        // exchanges handed to it and not ended
  bool terminated = false;  // given up: frees once its exchanges end, waitUntil or not
  uint64_t retireDeadlineMs = 0;
  // wall_ms: the exchanges without a response yet, with their deadlines.
  std::unordered_map<net::Exchange*, uint64_t> wall;
  bool watched = false;
  // The module files it loaded, with a hash of each one's content when loaded.
  std::vector<std::pair<std::string, uint64_t>> modules;

  ~Instance() {
    app.reset();
    if (watched) CpuWatchdog::instance().unwatch(runtime.get());
    runtime.reset();
  }
};

AppSet::AppSet(engine::Loop& loop, unsigned worker, const js::RuntimeOptions& runtime,
               uint32_t retireTimeoutMs)
    : loop_(loop), worker_(worker), runtimeOptions_(runtime), retireTimeoutMs_(retireTimeoutMs) {
  drainHook_ = loop_.addDrainHook([this] { free(); });
}

AppSet::~AppSet() {
  loop_.removeDrainHook(drainHook_);
  retiring_.clear();
  for (auto& s : slots_) s->current.reset();  // an instance holds its slot: break the cycle
  slots_.clear();
}

Result<std::unique_ptr<AppSet::Instance>> AppSet::load(const std::shared_ptr<Slot>& slot) {
  const AppOptions& a = slot->options;
  auto instance = std::make_unique<Instance>();
  instance->slot = slot;
  js::RuntimeOptions options = runtimeOptions_;
  if (a.limits.heapMb) options.realm.maxHeapBytes = size_t(a.limits.heapMb) << 20;
  options.realm.appName = a.name;
  options.realm.worker = worker_;
  auto started = std::chrono::steady_clock::now();
  instance->runtime = std::make_unique<js::Runtime>(loop_, options);
  js::Runtime& runtime = *instance->runtime;
  LOG_DEBUG("app '%s' (worker %u): isolate ready in %.2f ms, %zu of %zu built-ins run from the "
            "code cache",
            a.name.c_str(), worker_,
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
                .count(),
            runtime.realm().builtinsCached(), js::builtinsRun(runtime.realm()));
  if (a.limits.cpuMs) {
    CpuWatchdog::instance().watch(&runtime, a.limits.cpuMs);
    instance->watched = true;
  }
  v8::HandleScope scope(runtime.realm().isolate());
  auto module = runtime.loadModule(a.entry, !serving_);
  if (!module.ok()) return makeError("app '" + a.name + "': " + module.error());
  auto app = js::HttpApp::create(runtime, module->Get(runtime.realm().isolate()), a.entry, a.env);
  if (!app.ok()) return makeError("app '" + a.name + "': " + app.error());
  instance->app = std::move(app).value();
  for (std::string& file : runtime.moduleFiles()) {
    uint64_t h = fileHash(file);
    instance->modules.emplace_back(std::move(file), h);
  }
  Instance* raw = instance.get();
  runtime.setOnTerminated([this, raw](js::Runtime::Termination why) { onTerminated(raw, why); });
  return instance;
}

Result<void> AppSet::apply(const ServeOptions& options) {
  // The same module files with the same content.
  auto sameCode = [](const Instance& instance) {
    return std::all_of(instance.modules.begin(), instance.modules.end(),
                       [](const auto& m) { return fileHash(m.first) == m.second; });
  };
  // Everything new is loaded before anything changes: a failure leaves the old set serving.
  std::vector<std::shared_ptr<Slot>> next;
  std::vector<std::unique_ptr<Instance>> loaded;  // for next[i] when it needs a new one
  for (size_t i = 0; i < options.apps.size(); ++i) {
    const AppOptions& a = options.apps[i];
    auto old = std::find_if(slots_.begin(), slots_.end(),
                            [&](const auto& s) { return s->options.name == a.name; });
    std::shared_ptr<Slot> slot;
    if (old != slots_.end()) {
      slot = *old;
    } else {
      slot = std::make_shared<Slot>();
      slot->options = a;
    }
    std::unique_ptr<Instance> instance;
    if (old == slots_.end() || !(slot->options == a) || !slot->current ||
        !sameCode(*slot->current)) {
      auto fresh = std::make_shared<Slot>();  // loaded with the new options
      fresh->options = a;
      auto made = load(fresh);
      if (!made.ok()) return makeError(made.error());
      instance = std::move(made).value();
    }
    next.push_back(slot);
    loaded.push_back(std::move(instance));
  }
  // Swap: new requests go to the new instances; old ones finish what they hold.
  for (auto& s : slots_) {
    if (std::find(next.begin(), next.end(), s) == next.end() && s->current) {
      retire(std::move(s->current), false);
    }
  }
  for (size_t i = 0; i < next.size(); ++i) {
    Slot& slot = *next[i];
    slot.options = options.apps[i];
    if (!loaded[i]) continue;
    loaded[i]->slot = next[i];
    if (slot.current) {
      ++slot.counters.reloads;
      retire(std::move(slot.current), false);
    }
    slot.current = std::move(loaded[i]);
  }
  slots_ = std::move(next);
  default_ = slots_.front().get();
  for (auto& s : slots_) {
    if (s->options.name == options.defaultApp) default_ = s.get();
  }
  unknownHost_ = options.unknownHost;
  buildRoutes();
  serving_ = true;
  return Result<void>();
}

void AppSet::buildRoutes() {
  routes_.clear();
  for (auto& s : slots_) {
    const AppOptions& a = s->options;
    std::vector<std::string> hosts = a.hosts.empty() ? std::vector<std::string>{""} : a.hosts;
    std::vector<std::string> paths = a.paths.empty() ? std::vector<std::string>{"/"} : a.paths;
    for (const std::string& h : hosts) {
      for (std::string p : paths) {
        if (p.size() > 1 && p.back() == '/') p.pop_back();
        routes_.push_back({h, p, s.get()});
      }
    }
  }
  auto tier = [](const Route& r) { return r.host.empty() ? 2 : r.host[0] == '*' ? 1 : 0; };
  std::stable_sort(routes_.begin(), routes_.end(), [&](const Route& a, const Route& b) {
    if (tier(a) != tier(b)) return tier(a) < tier(b);
    if (a.host.size() != b.host.size()) return a.host.size() > b.host.size();
    return a.path.size() > b.path.size();
  });
  singleRoute_ = routes_.size() == 1 && routes_[0].host.empty() && routes_[0].path == "/";
}

namespace {

bool pathMatches(std::string_view prefix, std::string_view path) {
  if (prefix == "/") return true;
  if (path.substr(0, prefix.size()) != prefix) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

bool hostMatches(const std::string& pattern, std::string_view host) {
  if (pattern[0] != '*') return pattern == host;
  std::string_view suffix = std::string_view(pattern).substr(1);  // ".example.com"
  return host.size() > suffix.size() && host.substr(host.size() - suffix.size()) == suffix;
}

// The Host header's name: lowercase, without its port; empty if it is not a plausible name.
std::string_view hostName(std::string_view host, char (&buf)[256]) {
  size_t end = host.size();
  if (!host.empty() && host[0] == '[') {
    end = host.find(']');
    end = end == std::string_view::npos ? 0 : end + 1;
  } else if (size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    end = colon;
  }
  if (end == 0 || end > sizeof buf) return {};
  for (size_t i = 0; i < end; ++i) buf[i] = char(tolower((unsigned char)host[i]));
  size_t n = end;
  if (n > 1 && buf[n - 1] == '.') --n;  // "example.com." is example.com
  return {buf, n};
}

// The path of a request-target: origin-form up to '?', or the path of an absolute-form one.
std::string_view targetPath(std::string_view target) {
  if (target.empty() || target[0] != '/') {
    size_t scheme = target.find("://");
    if (scheme == std::string_view::npos) return "/";
    size_t slash = target.find('/', scheme + 3);
    if (slash == std::string_view::npos) return "/";
    target = target.substr(slash);
  }
  return target.substr(0, target.find('?'));
}

}  // namespace

const AppSet::Route* AppSet::match(std::string_view host, std::string_view path,
                                   bool* hostKnown) const {
  for (const Route& r : routes_) {
    if (!r.host.empty()) {
      if (host.empty() || !hostMatches(r.host, host)) continue;
      *hostKnown = true;
    }
    if (pathMatches(r.path, path)) return &r;
  }
  return nullptr;
}

AppSet::Slot* AppSet::route(net::Exchange* ex) {
  const net::HttpRequest& req = ex->request();
  char buf[256];
  std::string_view host = hostName(req.host, buf);
  std::string_view path = targetPath(req.target);
  bool hostKnown = false;
  const Route* r = match(host, path, &hostKnown);
  if (r && !req.tlsServerName.empty() && req.tlsServerName != host) {
    // HTTPS: the connection was made for the SNI name; a Host of another app is misdirected
    // (RFC 9110 §15.5.20).
    char sniBuf[256];
    bool sniKnown = false;
    const Route* bySni = match(hostName(req.tlsServerName, sniBuf), path, &sniKnown);
    if (bySni && bySni->slot != r->slot) {
      ex->respondText(421, "Misdirected Request: this connection is for another app (TLS "
                           "server name and Host differ)");
      return nullptr;
    }
  }
  if (r) return r->slot;
  if (hostKnown) {
    ex->respondText(404, "Not Found: no app serves this path on this host");
    return nullptr;
  }
  switch (unknownHost_) {
    case UnknownHost::kDefaultApp:
      return default_;
    case UnknownHost::k421:
      ex->respondText(421, "Misdirected Request: no app serves this host");
      return nullptr;
    case UnknownHost::k404:
      ex->respondText(404, "Not Found: no app serves this host");
      return nullptr;
  }
  return nullptr;
}

void AppSet::onRequest(net::Exchange* ex) {
  Slot* slot = singleRoute_ ? routes_[0].slot : route(ex);
  if (!slot) return;
  ++slot->counters.requests;
  Instance* instance = slot->current.get();
  if (!instance) {
    ex->respondText(503, "Service Unavailable: the app is restarting");
    return;
  }
  const AppLimits& limits = slot->options.limits;
  if (limits.maxConcurrent && instance->routed >= limits.maxConcurrent) {
    ++slot->counters.kills[kKillConcurrency];
    ex->respondText(503, "Service Unavailable: the app has max_concurrent requests in flight");
    return;
  }
  if (limits.maxBodyBytes) {
    const net::HttpRequest& req = ex->request();
    int64_t size = ex->bodyComplete() ? int64_t(req.body->size()) : req.contentLength;
    // A streamed body of unknown length (chunked) is held to the limit as it arrives.
    if (size > int64_t(limits.maxBodyBytes) || !ex->limitBody(limits.maxBodyBytes)) {
      ++slot->counters.kills[kKillBody];
      ex->respondText(413, "Content Too Large: over the app's max_body_bytes");
      return;
    }
  }
  ex->routeData = instance;
  ex->routeName = slot->options.name;
  ex->routeStartMs = loop_.nowMs();
  ++instance->routed;
  if (limits.wallMs) {
    instance->wall[ex] = loop_.nowMs() + limits.wallMs;
    if (!sweepTimer_.armed()) sweepTimer_.arm(std::max<uint64_t>(limits.wallMs / 10, 5));
  }
  instance->app->onRequest(ex);
}

void AppSet::onDone(net::Exchange* ex) {
  auto* instance = static_cast<Instance*>(ex->routeData);
  if (!instance) {
    return;
  }
  AppCounters& counters = instance->slot->counters;
  int status = ex->status();
  if (status >= 100 && status < 600) ++counters.byClass[status / 100];
  uint64_t ms = loop_.nowMs() - ex->routeStartMs;
  counters.latency.record(ms);
  counters.bytesOut += ex->bytesSent();
  countBodyKill(instance, ex);
  --instance->routed;
  if (!instance->wall.empty()) instance->wall.erase(ex);
  instance->app->onDone(ex);
}

// A streamed body cut off at the app's max_body_bytes (Exchange::limitBody).
void AppSet::countBodyKill(Instance* instance, net::Exchange* ex) {
  if (ex->bodyError() == 413 && instance->slot->options.limits.maxBodyBytes) {
    ++instance->slot->counters.kills[kKillBody];
  }
}

void AppSet::onAbort(net::Exchange* ex) {
  auto* instance = static_cast<Instance*>(ex->routeData);
  if (!instance) return;
  countBodyKill(instance, ex);
  --instance->routed;
  if (!instance->wall.empty()) instance->wall.erase(ex);
  instance->app->onAbort(ex);
}

void AppSet::onBodyData(net::Exchange* ex) {
  if (auto* instance = static_cast<Instance*>(ex->routeData)) instance->app->onBodyData(ex);
}

void AppSet::onWritable(net::Exchange* ex) {
  if (auto* instance = static_cast<Instance*>(ex->routeData)) instance->app->onWritable(ex);
}

void AppSet::retire(std::unique_ptr<Instance> instance, bool terminated) {
  instance->terminated = instance->terminated || terminated;
  instance->retireDeadlineMs = loop_.nowMs() + retireTimeoutMs_;
  retiring_.push_back(std::move(instance));
}

void AppSet::onTerminated(Instance* instance, js::Runtime::Termination why) {
  Slot& slot = *instance->slot;
  bool cpu = why == js::Runtime::Termination::kCpu;
  ++slot.counters.kills[cpu ? kKillCpu : kKillHeap];
  ++slot.counters.recycles;
  LOG_WARN("app '%s' (worker %u): %s: the isolate is terminated and recycled; its %zu "
           "request(s) get 503",
           slot.options.name.c_str(), worker_,
           cpu ? ("JS ran past cpu_ms (" + std::to_string(slot.options.limits.cpuMs) + " ms)").c_str()
               : "the isolate's heap reached heap_mb",
           instance->routed);
  instance->app->answerAll(503, cpu ? "Service Unavailable: the app ran past its CPU limit"
                                    : "Service Unavailable: the app ran out of memory");
  instance->terminated = true;
  if (slot.current.get() != instance) return;  // already retiring
  // Retired now (new requests wait for the replacement); the replacement is loaded outside
  // this drain.
  retire(std::move(slot.current), true);
  std::shared_ptr<Slot> shared = instance->slot;
  slot.restarting = true;
  loop_.post([this, shared] {
    shared->restarting = false;
    if (shared->current) return;
    if (std::find(slots_.begin(), slots_.end(), shared) == slots_.end()) return;  // removed
    auto made = load(shared);
    if (!made.ok()) {
      LOG_ERROR("app '%s' (worker %u): recycling failed: %s", shared->options.name.c_str(),
                worker_, made.error().c_str());
      return;
    }
    shared->current = std::move(made).value();
  });
}

void AppSet::sweep() {
  uint64_t now = loop_.nowMs();
  uint64_t next = UINT64_MAX;
  auto check = [&](Instance& instance) {
    for (auto it = instance.wall.begin(); it != instance.wall.end();) {
      net::Exchange* ex = it->first;
      if (ex->responded()) {
        it = instance.wall.erase(it);
      } else if (it->second <= now) {
        ++instance.slot->counters.kills[kKillWall];
        it = instance.wall.erase(it);
        instance.app->answer(ex, 503, "Service Unavailable: no response within the app's wall_ms");
      } else {
        next = std::min(next, it->second);
        ++it;
      }
    }
  };
  for (auto& s : slots_) {
    if (s->current) check(*s->current);
  }
  for (auto& r : retiring_) check(*r);
  if (next != UINT64_MAX) sweepTimer_.arm(std::max<uint64_t>(next - now, 5));
}

void AppSet::free() {
  if (retiring_.empty()) return;
  uint64_t now = loop_.nowMs();
  for (auto it = retiring_.begin(); it != retiring_.end();) {
    Instance& instance = **it;
    if (!instance.terminated && now >= instance.retireDeadlineMs) {
      // Out of time: what it still holds is answered or cut off, then it goes.
      LOG_WARN("app '%s' (worker %u): a retired isolate still had %zu request(s) after %u ms: "
               "answered 503",
               instance.slot->options.name.c_str(), worker_, instance.routed, retireTimeoutMs_);
      instance.app->answerAll(503, "Service Unavailable: the app was reloaded");
      instance.terminated = true;
    }
    bool idle = instance.routed == 0 && (instance.terminated || instance.app->liveContexts() == 0);
    if (!idle) {
      ++it;
      continue;
    }
    Slot& slot = *instance.slot;
    slot.failed += instance.app->stats().failed;
    slot.refused += instance.app->stats().refused;
    it = retiring_.erase(it);  // destroys the isolate
  }
}

size_t AppSet::instances() const {
  size_t n = retiring_.size();
  for (auto& s : slots_) n += s->current ? 1 : 0;
  return n;
}

size_t AppSet::pendingWaitUntil() const {
  size_t n = 0;
  for (auto& s : slots_) {
    if (s->current) n += s->current->runtime->realm().pendingWaitUntil();
  }
  for (auto& r : retiring_) n += r->terminated ? 0 : r->runtime->realm().pendingWaitUntil();
  return n;
}

void AppSet::fill(WorkerMetrics& m) const {
  auto add = [&](AppMetrics& a, const Instance& instance) {
    const js::AppStats& st = instance.app->stats();
    a.failed += st.failed;
    a.refused += st.refused;
    a.inFlight += instance.routed;
    a.liveContexts += instance.app->liveContexts();
    ++a.isolates;
    m.asyncSettled += st.asyncSettled;
    m.outlived += st.outlived;
    m.checkpoints += instance.runtime->realm().checkpoints();
    m.settlements += instance.runtime->settlements();
  };
  for (auto& s : slots_) {
    AppMetrics a;
    a.name = s->options.name;
    a.counters = s->counters;
    a.failed = s->failed;
    a.refused = s->refused;
    if (s->current) {
      add(a, *s->current);
      v8::HeapStatistics heap;
      s->current->runtime->realm().isolate()->GetHeapStatistics(&heap);
      a.heapUsed = heap.used_heap_size();
      a.heapTotal = heap.total_heap_size();
      a.heapLimit = heap.heap_size_limit();
    }
    for (auto& r : retiring_) {
      if (r->slot == s) add(a, *r);
    }
    m.failed += a.failed;
    m.refused += a.refused;
    m.liveContexts += a.liveContexts;
    m.apps.push_back(std::move(a));
  }
}

}  // namespace torus::server
