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
  loop_.with([](engine::Loop& loop) { loop.stop(); });
}

void Worker::reload(const ServeOptions& next, bool tls, std::function<void(Result<void>)> done) {
  bool posted = loop_.with([&](engine::Loop& loop) {
    loop.post([this, &next, tls, done = std::move(done)] {
      if (!servers_ || !apps_) return done(makeError("worker stopping"));
      std::shared_ptr<net::TlsServerContext> context;
      if (tls) {
        auto made = net::TlsServerContext::create(next.tls);
        if (!made.ok()) return done(makeError("TLS: " + made.error()));
        context = std::move(made).value();
      }
      Result<void> applied = apps_->apply(next);
      if (!applied.ok()) return done(applied);
      if (context) {
        for (auto& s : *servers_) {
          if (s->secure()) s->setTls(context);
        }
      }
      done(Result<void>());
    });
  });
  if (!posted) done(makeError("worker " + std::to_string(index_) + " is not serving"));
}

void Worker::probe(uint64_t seq) {
  loop_.with([&](engine::Loop& loop) {
    loop.post([this, seq] { answered_.store(seq, std::memory_order_release); });
  });
}

void Worker::collect(engine::Loop& replyTo, std::function<void(const WorkerMetrics&)> done) {
  loop_.with([&](engine::Loop& loop) {
    loop.post([this, &replyTo, done = std::move(done)] {
      WorkerMetrics m;
      if (!fill_) return;  // stopping
      fill_(m);
      replyTo.post([done, m] { done(m); });
    });
  });
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
  AppSet& apps;
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
    if (open == 0 && (forced || apps.pendingWaitUntil() == 0)) loop.stop();
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
  if (index_ == 0) {
    LOG_INFO("%s: %s", loop->backend(), loop->features().c_str());
    if (!loop->fallbackReason().empty()) {
      LOG_WARN("serving on epoll: io_uring is unavailable: %s", loop->fallbackReason().c_str());
    }
  }
  auto made = Outbound::create(*loop, options_.outbound);
  if (!made.ok()) {
    ready.set_value(makeError(made.error()));
    return;
  }
  std::unique_ptr<Outbound> outbound = std::move(made).value();
  {
    js::RuntimeOptions runtimeOptions = options_.runtime;
    runtimeOptions.httpClient = outbound->client.get();
    AppSet apps(*loop, index_, runtimeOptions, options_.shutdownTimeoutMs);
    if (auto applied = apps.apply(options_); !applied.ok()) {
      ready.set_value(applied);
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
      http.sharedListener = i < options_.sharedListeners.size() && options_.sharedListeners[i];
      servers.push_back(std::make_unique<net::HttpServer>(*loop, http, apps));
      if (i >= options_.listen.size()) servers.back()->setTls(tls);
      servers.back()->start(listenFds_[i]);
    }
    servers_ = &servers;
    apps_ = &apps;
    // This worker's counters (loop thread): the stats line at exit, and collect().
    auto fill = [&](WorkerMetrics& m) {
      m.worker = index_;
      m.ioBackend = loop->backend();
      for (auto& srv : servers) {
        const net::ServerStats& st = srv->stats();
        m.accepted += st.accepted;
        m.rejected += st.rejected;
        m.requests += st.requests;
        m.responses += st.responses;
        m.protocolErrors += st.errors;
        m.tlsHandshakes += st.tlsHandshakes;
        m.tlsResumed += st.tlsResumed;
        m.tlsFailures += st.tlsFailures;
        m.tlsHandshakeTimeouts += st.tlsHandshakeTimeouts;
        m.poolBlocks += srv->poolBlocksOutstanding();
        m.sendPieces += srv->piecesOutstanding();
        m.liveConnections += srv->connections();
      }
      const engine::LoopStats& ls = loop->stats();
      m.drains = ls.drainsWithWork;
      m.drain = ls.drain;
      apps.fill(m);
      const net::ClientStats& fetch = outbound->client->stats();
      m.fetches = fetch.requests;
      m.fetchConnections = fetch.connectionsOpened;
      m.fetchReused = fetch.connectionsReused;
      m.fetchRetries = fetch.retries;
      m.fetchRefused = fetch.refused;
    };
    fill_ = fill;
    Shutdown shutdown{*loop, servers, apps};
    size_t shutdownHook = loop->addDrainHook([&] { shutdown.check(); });
    loop_.set(loop.get());
    ready.set_value(Result<void>());

    // stop() from the main thread ends the first run(); a graceful stop follows, and the
    // second run() lasts until Shutdown::check() sees nothing left.
    if (!stopRequested_.load()) loop->run();
    shutdown.begin(options_.shutdownTimeoutMs);
    loop->run();
    loop_.set(nullptr);
    servers_ = nullptr;
    apps_ = nullptr;
    fill_ = nullptr;

    WorkerMetrics m;
    fill(m);
    // What is still held at the end (connections, request contexts, send/body pool blocks,
    // queued send pieces) is zero after a clean run: the tests check it.
    LOG_INFO("worker %u stats: requests=%llu drains=%llu checkpoints=%llu "
             "checkpoints_per_request=%.3f async=%llu failed=%llu protocol_errors=%llu "
             "outlived=%llu settlements=%llu live_connections=%zu live_contexts=%zu "
             "pool_blocks=%zu send_pieces=%zu fetches=%llu fetch_connections=%llu "
             "fetch_reused=%llu fetch_retries=%llu fetch_refused=%llu",
             index_, (unsigned long long)m.requests, (unsigned long long)m.drains,
             (unsigned long long)m.checkpoints,
             m.requests ? double(m.checkpoints) / double(m.requests) : 0.0,
             (unsigned long long)m.asyncSettled, (unsigned long long)m.failed,
             (unsigned long long)m.protocolErrors, (unsigned long long)m.outlived,
             (unsigned long long)m.settlements, m.liveConnections, m.liveContexts, m.poolBlocks,
             m.sendPieces, (unsigned long long)m.fetches, (unsigned long long)m.fetchConnections,
             (unsigned long long)m.fetchReused, (unsigned long long)m.fetchRetries,
             (unsigned long long)m.fetchRefused);
    if (tls) {
      LOG_INFO("worker %u tls stats: handshakes=%llu resumed=%llu failures=%llu "
               "handshake_timeouts=%llu",
               index_, (unsigned long long)m.tlsHandshakes, (unsigned long long)m.tlsResumed,
               (unsigned long long)m.tlsFailures, (unsigned long long)m.tlsHandshakeTimeouts);
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
