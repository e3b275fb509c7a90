#include "server/worker.h"

#include <unistd.h>

#include "base/log.h"
#include "js/http_app.h"

namespace torus::server {

Worker::Worker(unsigned index, const ServeOptions& options, std::vector<int> listenFds)
    : index_(index), options_(options), listenFds_(std::move(listenFds)) {}

Worker::~Worker() { join(); }

std::future<Result<void>> Worker::start() {
  std::promise<Result<void>> ready;
  auto future = ready.get_future();
  thread_ = std::thread([this, p = std::move(ready)]() mutable { run(std::move(p)); });
  return future;
}

void Worker::requestStop() {
  stopRequested_.store(true);
  if (engine::Loop* loop = loop_.load()) loop->stop();
}

void Worker::reloadTls() {
  engine::Loop* loop = loop_.load();
  if (!loop) return;
  loop->post([this] {
    if (!servers_) return;
    auto made = net::TlsServerContext::create(options_.tls);
    if (!made.ok()) {
      LOG_WARN("worker %u: TLS reload refused, the old certificates keep serving: %s", index_,
               made.error().c_str());
      return;
    }
    std::shared_ptr<net::TlsServerContext> tls = std::move(made).value();
    for (auto& s : *servers_) {
      if (s->secure()) s->setTls(tls);
    }
    if (index_ == 0) LOG_INFO("TLS certificates reloaded: %s", tls->describe().c_str());
  });
}

void Worker::probe(uint64_t seq) {
  if (engine::Loop* loop = loop_.load()) {
    loop->post([this, seq] { answered_.store(seq, std::memory_order_release); });
  }
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

namespace {

// Stops a worker gracefully: no new connections, idle ones closed, the rest finish their
// requests; at the deadline everything left is closed.
struct Shutdown {
  engine::Loop& loop;
  std::vector<std::unique_ptr<net::HttpServer>>& servers;
  js::Realm& realm;
  bool active = false;
  bool forced = false;

  void begin(uint32_t timeoutMs) {
    active = true;
    for (auto& s : servers) s->stopAccepting();
    deadline.arm(timeoutMs);
    check();
  }
  void onDeadline() {
    size_t open = 0;
    for (auto& s : servers) open += s->connections();
    LOG_WARN("shutdown deadline passed: closing %zu connection(s)", open);
    forced = true;
    for (auto& s : servers) s->closeAll();
  }
  void check() {
    if (!active) return;
    size_t open = 0;
    for (auto& s : servers) open += s->connections();
    if (open == 0 && (forced || realm.pendingWaitUntil() == 0)) loop.stop();
  }
  engine::MemberTimer<Shutdown, &Shutdown::onDeadline> deadline{loop, this};
};

}  // namespace

void Worker::run(std::promise<Result<void>> ready) {
  auto created = engine::Loop::create(options_.loop);
  if (!created.ok()) {
    ready.set_value(makeError(created.error()));
    return;
  }
  std::unique_ptr<engine::Loop> loop = std::move(created).value();
  if (index_ == 0) LOG_INFO("io_uring: %s", loop->features().c_str());
  auto made = Outbound::create(*loop, options_.outbound);
  if (!made.ok()) {
    ready.set_value(makeError(made.error()));
    return;
  }
  std::unique_ptr<Outbound> outbound = std::move(made).value();
  {
    js::RuntimeOptions runtimeOptions = options_.runtime;
    runtimeOptions.httpClient = outbound->client.get();
    js::Runtime runtime(*loop, runtimeOptions);
    v8::HandleScope scope(runtime.realm().isolate());
    auto module = runtime.loadModule(options_.entry);
    if (!module.ok()) {
      ready.set_value(makeError(module.error()));
      return;
    }
    auto app = js::HttpApp::create(runtime, module->Get(runtime.realm().isolate()),
                                   options_.entry, options_.env);
    if (!app.ok()) {
      ready.set_value(makeError(app.error()));
      return;
    }
    std::shared_ptr<net::TlsServerContext> tls;
    if (!options_.httpsListen.empty()) {
      auto made = net::TlsServerContext::create(options_.tls);
      if (!made.ok()) {
        ready.set_value(makeError(made.error()));
        return;
      }
      tls = std::move(made).value();
    }
    std::vector<std::unique_ptr<net::HttpServer>> servers;
    for (size_t i = 0; i < listenFds_.size(); ++i) {
      net::ServerOptions http = options_.http;
      http.worker = index_;
      http.accessLogApp = options_.appName;
      servers.push_back(std::make_unique<net::HttpServer>(*loop, http, **app));
      if (i >= options_.listen.size()) servers.back()->setTls(tls);
      servers.back()->start(listenFds_[i]);
    }
    servers_ = &servers;
    Shutdown shutdown{*loop, servers, runtime.realm()};
    size_t shutdownHook = loop->addDrainHook([&] { shutdown.check(); });
    loop_.store(loop.get());
    ready.set_value(Result<void>());

    // stop() from the main thread ends the first run(); a graceful stop follows, and the
    // second run() lasts until Shutdown::check() sees nothing left.
    if (!stopRequested_.load()) loop->run();
    shutdown.begin(options_.shutdownTimeoutMs);
    loop->run();
    loop_.store(nullptr);
    servers_ = nullptr;

    uint64_t requests = 0, errors = 0;
    size_t poolBlocks = 0, pieces = 0, open = 0;
    net::ServerStats tlsStats;
    for (auto& srv : servers) {
      tlsStats.tlsHandshakes += srv->stats().tlsHandshakes;
      tlsStats.tlsResumed += srv->stats().tlsResumed;
      tlsStats.tlsFailures += srv->stats().tlsFailures;
      tlsStats.tlsHandshakeTimeouts += srv->stats().tlsHandshakeTimeouts;
      requests += srv->stats().requests;
      errors += srv->stats().errors;
      poolBlocks += srv->poolBlocksOutstanding();
      pieces += srv->piecesOutstanding();
      open += srv->connections();
    }
    const js::AppStats& a = (*app)->stats();
    uint64_t checkpoints = runtime.realm().checkpoints();
    const net::ClientStats& fetch = outbound->client->stats();
    // What is still held at the end (connections, request contexts, send/body pool blocks,
    // queued send pieces) is zero after a clean run: the tests check it.
    LOG_INFO("worker %u stats: requests=%llu drains=%llu checkpoints=%llu "
             "checkpoints_per_request=%.3f async=%llu failed=%llu protocol_errors=%llu "
             "outlived=%llu settlements=%llu live_connections=%zu live_contexts=%zu "
             "pool_blocks=%zu send_pieces=%zu fetches=%llu fetch_connections=%llu "
             "fetch_reused=%llu fetch_retries=%llu fetch_refused=%llu",
             index_, (unsigned long long)requests,
             (unsigned long long)loop->stats().drainsWithWork,
             (unsigned long long)checkpoints,
             requests ? double(checkpoints) / double(requests) : 0.0,
             (unsigned long long)a.asyncSettled, (unsigned long long)a.failed,
             (unsigned long long)errors, (unsigned long long)a.outlived,
             (unsigned long long)runtime.settlements(), open, (*app)->liveContexts(),
             poolBlocks, pieces, (unsigned long long)fetch.requests,
             (unsigned long long)fetch.connectionsOpened,
             (unsigned long long)fetch.connectionsReused, (unsigned long long)fetch.retries,
             (unsigned long long)fetch.refused);
    if (tls) {
      LOG_INFO("worker %u tls stats: handshakes=%llu resumed=%llu failures=%llu "
               "handshake_timeouts=%llu",
               index_, (unsigned long long)tlsStats.tlsHandshakes,
               (unsigned long long)tlsStats.tlsResumed, (unsigned long long)tlsStats.tlsFailures,
               (unsigned long long)tlsStats.tlsHandshakeTimeouts);
    }
    // Whatever the ring still holds is torn down with it; connections first.
    for (auto& srv : servers) srv->closeAll();
    for (int i = 0; i < 100 && loop->pendingOperations() > 0; ++i) loop->runOnce(10);
    servers.clear();
    loop->removeDrainHook(shutdownHook);
  }
  outbound.reset();
  for (int i = 0; i < 100 && loop->pendingOperations() > 0; ++i) loop->runOnce(10);
  loop.reset();
}

}  // namespace torus::server
