// A GoogleTest fixture that runs an HttpServer with a Handler on a real ring, on a loop thread
// of its own, listening on a loopback port (tests/net/*_test.cc). The ring belongs to the
// thread that creates it (SINGLE_ISSUER): everything is made, run and torn down there.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "engine/loop.h"
#include "net/http_server.h"

namespace torus::net {

template <typename Handler>
class ServerOnLoopThread : public ::testing::Test {
 protected:
  // Called on the loop thread: before the server is made / once it is, before it starts.
  virtual void configure(Handler&) {}
  virtual void attach(Handler&, HttpServer&) {}

  void SetUp() override {
    std::promise<std::string> ready;
    auto started = ready.get_future();
    thread_ = std::thread([this, &ready] {
      auto loop = engine::Loop::create({});
      if (!loop.ok()) {
        ready.set_value(loop.error());
        return;
      }
      loop_ = std::move(loop).value();
      listenFd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      bind(listenFd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
      listen(listenFd_, 16);
      socklen_t len = sizeof a;
      getsockname(listenFd_, reinterpret_cast<sockaddr*>(&a), &len);
      port_ = ntohs(a.sin_port);
      handler_ = std::make_unique<Handler>(*loop_);
      configure(*handler_);
      server_ = std::make_unique<HttpServer>(*loop_, options_, *handler_);
      attach(*handler_, *server_);
      server_->start(listenFd_);
      ready.set_value("");
      loop_->run();
      // Teardown, still on this thread: close what is left and let the cancels complete.
      server_->stopAccepting();
      server_->closeAll();
      for (int i = 0; i < 100 && loop_->pendingOperations() > 0; ++i) loop_->runOnce(10);
      server_.reset();
      handler_.reset();
      loop_.reset();
      close(listenFd_);
    });
    std::string err = started.get();
    if (!err.empty()) {
      thread_.join();
      GTEST_SKIP() << err;
    }
  }
  void TearDown() override {
    if (!thread_.joinable()) return;
    loop_->stop();
    thread_.join();
  }

  // A client socket connected to the server; rcvbuf: its SO_RCVBUF (0: the default); reads
  // time out after readTimeoutS.
  int connectClient(int rcvbuf = 0, int readTimeoutS = 5) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (rcvbuf) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port_);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    timeval tv{readTimeoutS, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
  }

  ServerOptions options_;
  std::unique_ptr<engine::Loop> loop_;
  std::unique_ptr<Handler> handler_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  int listenFd_ = -1;
  uint16_t port_ = 0;
};

}  // namespace torus::net
