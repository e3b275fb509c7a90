// The epoll backend of Loop (engine/loop.h), for hosts where io_uring is blocked: the same
// operations, performed with ordinary syscalls when epoll reports readiness, completed the
// same way (from the loop's turn, never inside the call that submitted them).
//
// Each fd is registered once, level-triggered, for the union of what the operations armed
// on it wait for (a connection's recv and send, c-ares' poll); the registration is brought
// up to date lazily, once per turn before the wait, so an operation that completes and is
// re-armed in its callback costs no epoll_ctl. Each turn delivers, in order: the
// completions queued since the last turn (results known at submit: a send that went out at
// once, a socket, a cancel's -ECANCELED), then the operations whose fds are ready.
//
// Internal to engine/: loop.cc and epoll.cc include it; nobody else does.
#pragma once

#include <sys/epoll.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/loop.h"

namespace torus::engine {

struct Loop::Epoll {
  explicit Epoll(Loop& loop) : loop(loop) {}
  ~Epoll();
  Epoll(const Epoll&) = delete;
  Epoll& operator=(const Epoll&) = delete;

  // Creates the epoll set and the recv buffer, and registers the loop's eventfd.
  Result<void> init(const LoopOptions& options, int wakeFd);

  void accept(int fd, Operation* op, bool multishot);
  void recv(int fd, Operation* op, bool multishot);
  void send(int fd, const iovec* iov, size_t iovCount, Operation* op);
  void connect(int fd, const sockaddr* addr, socklen_t len, Operation* op);
  void poll(int fd, uint32_t events, Operation* op);
  void cancel(Operation* op);
  void close(int fd);
  // Completes op (already submitted) with result at the next turn.
  void queue(Operation* op, int32_t result);

  // One turn's I/O: update the registrations, wait at most timeoutMs (< 0: forever; 0 when
  // completions are queued), then deliver. Returns the completions delivered.
  size_t turn(int timeoutMs);

  // What an fd has armed and how it is registered.
  struct FdState {
    Operation* head = nullptr;  // armed operations
    uint32_t registered = 0;    // events as registered with epoll (0: not in the set)
    uint32_t gen = 0;           // bumped by close: events of an earlier registration are stale
    bool dirty = false;         // in dirty_: the registration may not match the operations
    // The last operation left since the last flush: the fd may have been closed behind the
    // loop's back (c-ares closes its own sockets) and its number reused, so a registration
    // that seems to match is checked with the kernel (EPOLL_CTL_MOD, ENOENT: add it again).
    bool emptied = false;
  };

  FdState& state(int fd);
  void arm(int fd, Operation* op, uint8_t kind, uint32_t events);
  void unlink(Operation* op);
  void markDirty(int fd);
  void flush();
  void failFd(int fd, int err);
  // Runs what op waits for now that its fd reported revents; returns completions delivered.
  size_t perform(Operation* op, int fd, uint32_t revents);
  void deliver(Operation* op, int32_t result, bool more, std::span<const char> data = {});
  bool armedOn(const Operation* op, int fd) const;

  Loop& loop;
  int epfd = -1;
  int wakeFd = -1;
  std::unique_ptr<char[]> buffer;  // recv data, valid during one callback
  size_t bufferSize = 0;
  std::vector<FdState> fds;
  std::vector<int> dirty;
  std::vector<Operation*> queued;      // completions for the next turn (results in the ops)
  std::vector<Operation*> delivering;  // the turn's batch of queued
  std::vector<epoll_event> events;
};

}  // namespace torus::engine
