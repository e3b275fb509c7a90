// HttpClient against torus's own HttpServer on loopback (a loop thread of its own, as in
// production an upstream is another process): one request at a time on a pooled keep-alive
// connection (the latency of a round trip through both), 64 at a time over the pool (the
// client's throughput per worker thread), and a 1 MiB response read through the body buffer.
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "net/dns.h"
#include "net/http_client.h"
#include "net/http_server.h"

namespace torus::net {
namespace {

class Handler : public RequestHandler {
 public:
  void onRequest(Exchange* ex) override {
    static const HttpHeader kText[] = {{"content-type", "text/plain"}};
    static const std::string big(1 << 20, 'b');
    if (ex->request().target == "/big") {
      ex->respond(200, kText, {big.data(), big.size()});
    } else {
      ex->respond(200, kText, {"hello world", 11});
    }
  }
  void onDone(Exchange*) override {}
  void onAbort(Exchange*) override {}
};

class Upstream {
 public:
  Upstream() {
    std::promise<void> ready;
    thread_ = std::thread([&] {
      loop_ = std::move(engine::Loop::create({}).value());
      fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
      listen(fd_, 1024);
      socklen_t len = sizeof a;
      getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
      port = ntohs(a.sin_port);
      server_ = std::make_unique<HttpServer>(*loop_, ServerOptions(), handler_);
      server_->start(fd_);
      ready.set_value();
      loop_->run();
      server_->stopAccepting();
      server_->closeAll();
      for (int i = 0; i < 100 && loop_->pendingOperations() > 0; ++i) loop_->runOnce(10);
      server_.reset();
      loop_.reset();
      ::close(fd_);
    });
    ready.get_future().get();
  }
  ~Upstream() {
    loop_->stop();
    thread_.join();
  }
  uint16_t port = 0;

 private:
  Handler handler_;
  std::unique_ptr<engine::Loop> loop_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  int fd_ = -1;
};

// Reads each body as it comes and closes at its end.
class Reader : public ClientHandler {
 public:
  void onHead(ClientExchange* ex) override { onBodyData(ex); }
  void onBodyData(ClientExchange* ex) override {
    char buf[16384];
    while (size_t n = ex->readBody(buf)) bytes += n;
    if (ex->bodyEnded()) {
      ++done;
      ex->close();
    }
  }
  void onError(ClientExchange* ex, const ClientError&) override {
    ++done;
    ++errors;
    ex->close();
  }
  size_t done = 0;
  size_t errors = 0;
  uint64_t bytes = 0;
};

struct Setup {
  explicit Setup(ClientOptions options = {}) {
    loop = std::move(engine::Loop::create({}).value());
    resolver = std::move(Resolver::create(*loop, {}).value());
    client = std::make_unique<HttpClient>(*loop, *resolver, options);
  }
  ~Setup() {
    client->closeIdle();
    for (int i = 0; i < 100 && loop->pendingOperations(); ++i) loop->runOnce(10);
    client.reset();
  }
  void run(int count, std::string_view target) {
    size_t goal = reader.done + size_t(count);
    ClientRequest req;
    req.host = "127.0.0.1";
    req.port = up.port;
    req.target = target;
    for (int i = 0; i < count; ++i) {
      if (!client->start(req, reader).ok()) abort();
    }
    while (reader.done < goal) loop->runOnce(-1);
  }
  Upstream up;
  std::unique_ptr<engine::Loop> loop;
  std::unique_ptr<Resolver> resolver;
  std::unique_ptr<HttpClient> client;
  Reader reader;
};

void BM_SequentialKeepAlive(benchmark::State& state) {
  Setup s;
  s.run(1, "/");
  for (auto _ : state) s.run(1, "/");
  if (s.reader.errors) state.SkipWithError("request failed");
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_SequentialKeepAlive)->UseRealTime();

// range(0): maxIdlePerOrigin. Below the burst, each round closes and reopens the rest.
void BM_Concurrent64(benchmark::State& state) {
  ClientOptions options;
  options.maxIdlePerOrigin = uint32_t(state.range(0));
  Setup s(options);
  s.run(64, "/");
  for (auto _ : state) s.run(64, "/");
  if (s.reader.errors) state.SkipWithError("request failed");
  state.SetItemsProcessed(int64_t(state.iterations()) * 64);
}
BENCHMARK(BM_Concurrent64)->Arg(32)->Arg(64)->UseRealTime();

void BM_OneMiBResponse(benchmark::State& state) {
  Setup s;
  s.run(1, "/big");
  for (auto _ : state) s.run(1, "/big");
  if (s.reader.errors) state.SkipWithError("request failed");
  state.SetBytesProcessed(int64_t(state.iterations()) << 20);
}
BENCHMARK(BM_OneMiBResponse)->UseRealTime();

}  // namespace
}  // namespace torus::net
