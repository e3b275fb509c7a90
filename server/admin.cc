#include "server/admin.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <future>

#include "base/log.h"
#include "engine/loop.h"
#include "net/http_server.h"
#include "server/metrics.h"
#include "server/worker.h"

namespace torus::server {

namespace {

constexpr uint32_t kCollectTimeoutMs = 1000;

}  // namespace

class AdminServer::Handler final : public net::RequestHandler {
  // One /metrics or /healthz request waiting for the workers' answers.
  struct Collection {
    Handler* handler = nullptr;  // null once the handler is gone
    net::Exchange* ex = nullptr;
    bool metrics = false;
    bool done = false;
    uint64_t deadlineMs = 0;
    std::vector<WorkerMetrics> answers;
  };
 public:
  Handler(AdminServer& admin, engine::Loop& loop) : admin_(admin), loop_(loop) {}
  ~Handler() override {
    for (auto& c : pending_) c->handler = nullptr;  // answers still on their way are dropped
  }

  void onRequest(net::Exchange* ex) override {
    const net::HttpRequest& req = ex->request();
    std::string_view path = req.target.substr(0, req.target.find('?'));
    if (path == "/reload") {
      if (req.method != "POST") return ex->respondText(405, "Method Not Allowed: POST /reload");
      // The main thread reloads on SIGHUP (one path for the signal, systemctl and this).
      kill(getpid(), SIGHUP);
      return ex->respondText(202, "reload requested: GET /config tells its outcome");
    }
    if (req.method != "GET" && req.method != "HEAD") {
      return ex->respondText(405, "Method Not Allowed: POST /reload; the others are GET");
    }
    if (path == "/config") {
      std::string text = admin_.configStatus();
      char* body = static_cast<char*>(ex->heap().allocate(text.size(), 1));
      memcpy(body, text.data(), text.size());
      net::HttpHeader type{"Content-Type", "text/plain; charset=utf-8"};
      return ex->respond(200, {&type, 1}, {body, text.size()});
    }
    if (path == "/readyz") {
      if (admin_.stopping_.load()) return ex->respondText(503, "stopping");
      return ex->respondText(200, "ready");
    }
    if (path != "/metrics" && path != "/healthz") {
      return ex->respondText(404, "Not Found: /metrics, /healthz, /readyz, /config, POST /reload");
    }
    auto c = std::make_shared<Collection>();
    c->handler = this;
    c->ex = ex;
    c->metrics = path == "/metrics";
    c->deadlineMs = loop_.nowMs() + kCollectTimeoutMs;
    pending_.push_back(c);
    for (Worker* w : admin_.workers_) {
      w->collect(loop_, [c](const WorkerMetrics& m) {
        if (!c->handler || c->done) return;
        c->answers.push_back(m);
        if (c->answers.size() == c->handler->admin_.workers_.size()) c->handler->finish(*c);
      });
    }
    if (admin_.workers_.empty()) finish(*c);
    // Workers that do not answer in time are left out (checked a few times a second).
    if (!tick_.armed()) tick_.arm(kTickMs);
  }
  void onDone(net::Exchange* ex) override { forget(ex); }
  void onAbort(net::Exchange* ex) override { forget(ex); }

 private:
  void forget(net::Exchange* ex) {
    for (auto& c : pending_) {
      if (c->ex == ex) c->done = true;  // gone: answers that come later are dropped
    }
  }

  void finish(Collection& c) {
    if (c.done) return;
    c.done = true;
    std::sort(c.answers.begin(), c.answers.end(),
              [](const WorkerMetrics& a, const WorkerMetrics& b) { return a.worker < b.worker; });
    if (c.metrics) {
      std::string text = prometheusText(c.answers);
      char* body = static_cast<char*>(c.ex->heap().allocate(text.size(), 1));
      memcpy(body, text.data(), text.size());
      net::HttpHeader type{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"};
      c.ex->respond(200, {&type, 1}, {body, text.size()});
      return;
    }
    std::vector<bool> answered(admin_.workers_.size());
    for (const WorkerMetrics& m : c.answers) {
      if (m.worker < answered.size()) answered[m.worker] = true;
    }
    std::string missing;
    for (size_t i = 0; i < answered.size(); ++i) {
      if (!answered[i]) missing += (missing.empty() ? "" : ", ") + std::to_string(i);
    }
    if (missing.empty()) return c.ex->respondText(200, "ok");
    c.ex->respondText(503, "worker(s) " + missing + " did not answer within " +
                               std::to_string(kCollectTimeoutMs) + " ms");
  }

  static constexpr uint32_t kTickMs = 100;

  void onTick() {
    for (auto& c : pending_) {
      if (!c->done && loop_.nowMs() >= c->deadlineMs) finish(*c);
    }
    std::erase_if(pending_, [](const auto& c) { return c->done; });
    if (!pending_.empty()) tick_.arm(kTickMs);
  }

  AdminServer& admin_;
  engine::Loop& loop_;
  std::vector<std::shared_ptr<Collection>> pending_;
  engine::MemberTimer<Handler, &Handler::onTick> tick_{loop_, this};
};

Result<std::unique_ptr<AdminServer>> AdminServer::start(int fd, const ServeOptions& options,
                                                        std::vector<Worker*> workers) {
  std::unique_ptr<AdminServer> admin(new AdminServer());
  admin->options_ = &options;
  admin->workers_ = std::move(workers);
  std::promise<Result<void>> ready;
  std::future<Result<void>> started = ready.get_future();
  AdminServer* self = admin.get();
  admin->thread_ = std::thread([self, fd, &ready] { self->run(fd, &ready); });
  Result<void> r = started.get();
  if (!r.ok()) {
    admin->thread_.join();
    return makeError(r.error());
  }
  return admin;
}

void AdminServer::run(int fd, std::promise<Result<void>>* ready) {
  auto created = engine::Loop::create(engine::LoopOptions{64, 16, 4096});
  if (!created.ok()) {
    ready->set_value(makeError("admin listener: " + created.error()));
    return;
  }
  std::unique_ptr<engine::Loop> loop = std::move(created).value();
  {
    Handler handler(*this, *loop);
    net::ServerOptions http;
    http.maxConnections = 64;
    net::HttpServer server(*loop, http, handler);
    server.start(fd);
    loop_.set(loop.get());
    ready->set_value(Result<void>());
    loop->run();
    loop_.set(nullptr);
    server.closeAll();
    for (int i = 0; i < 100 && loop->pendingOperations() > 0; ++i) loop->runOnce(10);
  }
  close(fd);
}

void AdminServer::stop() {
  loop_.with([](engine::Loop& loop) { loop.stop(); });
  if (thread_.joinable()) thread_.join();
}

AdminServer::~AdminServer() { stop(); }

void AdminServer::setConfigStatus(std::string text) {
  std::lock_guard lock(statusMutex_);
  status_ = std::move(text);
}

std::string AdminServer::configStatus() {
  std::lock_guard lock(statusMutex_);
  return status_;
}

}  // namespace torus::server
