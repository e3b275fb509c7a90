// The event loop of one worker thread: one io_uring ring, completion-driven; or, where
// io_uring is blocked (seccomp, kernel.io_uring_disabled, RLIMIT_MEMLOCK), an epoll set that
// performs the same operations on readiness (engine/epoll.h) and reports them the same way.
//
// net/ and js/ see only the operations below (accept, recv, send, socket, connect, poll,
// close, timers, wakeups, the per-drain hook); every io_uring and epoll detail stays in
// engine/. The backend is chosen at create() (LoopOptions::backend, the TORUS_IO variable).
//
// Each turn: submit what the previous turn produced and wait; drain the whole completion
// queue, dispatching each completion to its Operation; expire due timers; run the drain
// hooks once (js/ starts requests and runs one microtask checkpoint there).
//
// Thread: a Loop is created, run and destroyed on its worker thread. Only post() and stop()
// may be called from other threads.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "base/histogram.h"
#include "base/result.h"

namespace torus::engine {

class Loop;

// What one completion reports. result: >= 0 success value (a new fd, a byte count), < 0 a
// -errno. more: the operation stays armed (multishot) and will complete again.
struct Completion {
  int32_t result;
  bool more;
  // recv only: the received bytes, valid during the callback only (the buffer goes back to
  // the kernel right after it returns).
  std::span<const char> data;
};

// The object an operation's completions go to. Must stay alive while pending(): for a
// multishot operation until the completion with more == false, after a cancel until its
// final completion. One Operation has at most one request in flight.
class Operation {
 public:
  using Fn = void (*)(Operation* op, const Completion& c);
  explicit Operation(Fn fn) : fn_(fn) {}
  Operation(const Operation&) = delete;
  Operation& operator=(const Operation&) = delete;
  bool pending() const { return pending_; }

 private:
  friend class Loop;
  Fn fn_;
  bool pending_ = false;
  int32_t immediateResult_ = 0;  // a result known at submit (Loop::immediate)
  // epoll backend only (engine/epoll.cc): the fd it is armed on (-1: not armed), its kind,
  // the events it waits for, its place in the fd's list of armed operations, a send's iovecs.
  uint8_t epKind_ = 0;
  int epFd_ = -1;
  uint32_t epEvents_ = 0;
  uint32_t epIovCount_ = 0;
  const iovec* epIov_ = nullptr;
  Operation* epNext_ = nullptr;
  Operation* epPrev_ = nullptr;
  iovec faultIov_{};  // a send shortened by fault injection (base/fault.h)
};

// An Operation that calls Owner::*method. Members of a connection use this: no allocation,
// no virtual call.
template <typename Owner, void (Owner::*method)(const Completion&)>
class MemberOperation : public Operation {
 public:
  explicit MemberOperation(Owner* owner)
      : Operation([](Operation* op, const Completion& c) {
          auto* self = static_cast<MemberOperation*>(op);
          (self->owner_->*method)(c);
        }),
        owner_(owner) {}

 private:
  Owner* owner_;
};

// A one-shot timer. Fires at most once per arm(); re-arming moves it. Must be cancelled (or
// have fired) before it is destroyed; the destructor cancels if armed.
class Timer {
 public:
  using Fn = void (*)(Timer* timer);
  Timer(Loop& loop, Fn fn) : loop_(&loop), fn_(fn) {}
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Fires after delayMs from now.
  void arm(uint64_t delayMs);
  void cancel();
  bool armed() const { return index_ != kNotArmed; }

 private:
  friend class Loop;
  static constexpr size_t kNotArmed = ~size_t{0};
  Loop* loop_;
  Fn fn_;
  uint64_t deadlineUs_ = 0;
  uint64_t seq_ = 0;
  size_t index_ = kNotArmed;
};

template <typename Owner, void (Owner::*method)()>
class MemberTimer : public Timer {
 public:
  MemberTimer(Loop& loop, Owner* owner)
      : Timer(loop,
              [](Timer* t) {
                auto* self = static_cast<MemberTimer*>(t);
                (self->owner_->*method)();
              }),
        owner_(owner) {}

 private:
  Owner* owner_;
};

// Which kernel interface a Loop runs on. kAuto: the TORUS_IO environment variable decides
// ("uring", "epoll" or "auto"); auto (or no variable) tries io_uring and falls back to epoll
// when no ring can be made (Loop::fallbackReason says why).
enum class Backend { kAuto, kUring, kEpoll };

struct LoopOptions {
  unsigned ringEntries = 1024;       // SQ size; the CQ is 4x
  unsigned recvBufferCount = 512;    // provided buffers for multishot recv (power of two)
  // Bytes each. 32 KiB: a streamed upload echoed by JS moved 27% faster than with 16 KiB
  // (fewer, larger chunks); hello world unchanged (docs/benchmarks.md).
  unsigned recvBufferSize = 32768;
  Backend backend = Backend::kAuto;
};

// Upper bounds (µs) of the drain-time histogram's buckets.
inline constexpr uint64_t kDrainBucketsUs[] = {50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 100000};

// Counters, for the per-worker stats line, /metrics and the benchmarks.
struct LoopStats {
  uint64_t turns = 0;        // submit-and-wait rounds
  uint64_t completions = 0;  // CQEs dispatched
  uint64_t drainsWithWork = 0;
  // Drains by time (µs): from the wait's return through the completions' callbacks, fired
  // timers and the drain hooks (JS: settlements, the checkpoint, the flush).
  Histogram<kDrainBucketsUs> drain;
};

class Loop {
 public:
  // Creates the ring (or the epoll set, per options.backend and TORUS_IO). On failure the
  // message names the cause (ENOSYS, EPERM, kernel.io_uring_disabled, RLIMIT_MEMLOCK) and
  // the fix; a TORUS_IO other than uring/epoll/auto is an error naming the allowed values.
  static Result<std::unique_ptr<Loop>> create(const LoopOptions& options);
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  // Runs until stop(). Returns when the loop has been asked to stop.
  void run();
  // Asks run() to return after the current turn. Thread-safe.
  void stop();
  // Runs one turn (wait at most timeoutMs for a completion; 0 = don't wait). For tests.
  void runOnce(int timeoutMs);

  // Multishot accept on a listening socket: completes with a new fd per connection (or
  // -errno). Re-armed by the caller when a completion says more == false.
  void accept(int listenFd, Operation* op);
  // One accept, then more == false: for a listening socket several rings share (one passed
  // by systemd), where a multishot accept would let one ring take every connection.
  void acceptOnce(int listenFd, Operation* op);
  // Multishot recv into the provided-buffer ring: completes with byte counts and data;
  // 0 = peer closed; -ENOBUFS = out of buffers (more == false, the caller re-arms).
  void recv(int fd, Operation* op);
  // One recv into one provided buffer (at most recvBufferSize bytes), then more == false:
  // for a reader that must bound what it takes (a connection whose body buffer is nearly
  // full), where a multishot recv would drain the whole socket before a cancel lands.
  void recvOnce(int fd, Operation* op);
  // Sends the iovecs (send(2) for one, writev for several). The iovecs, not only the bytes,
  // must stay valid until the completion. A short send completes with the count sent: the
  // caller resumes.
  void send(int fd, const iovec* iov, size_t iovCount, Operation* op);
  // Creates a socket (SOCK_NONBLOCK and SOCK_CLOEXEC added): completes with the new fd or
  // -errno. On kernels without IORING_OP_SOCKET (< 5.19) it is made at once and the result
  // still arrives as a completion, so callers have one path.
  void socket(int domain, int type, int protocol, Operation* op);
  // Connects fd to addr; completes with 0 or -errno (-ECONNREFUSED, -ETIMEDOUT, -ENETUNREACH,
  // ...). addr must stay valid until the completion (the kernel may read it when the
  // request is issued, after this call). Bound the wait with a Timer and cancel().
  void connect(int fd, const sockaddr* addr, socklen_t len, Operation* op);
  // Multishot poll for `events` (POLLIN, POLLOUT): completes with the revents mask each time
  // fd is ready, more == true while it stays armed; cancel() ends it (for c-ares' sockets).
  void poll(int fd, uint32_t events, Operation* op);
  // Cancels a pending operation; its final completion still arrives (-ECANCELED or a result).
  void cancel(Operation* op);
  // Closes fd on the ring; nothing is reported. On epoll the fd leaves the epoll set and is
  // closed at once; an operation still armed on it never touches it again and completes with
  // -ECANCELED at the next turn (callers cancel and wait first, as on io_uring).
  void close(int fd);

  // Called once at the end of every turn that dispatched at least one completion or timer,
  // in the order of their slots (registration order, except that a new hook takes the slot
  // of a removed one). Returns an id for removeDrainHook (an owner that dies before the loop
  // must remove its hook). A hook may add or remove hooks.
  size_t addDrainHook(std::function<void()> hook);
  void removeDrainHook(size_t id);

  // Runs fn on this loop's thread at its next turn. Thread-safe: the one way other threads
  // talk to a worker (control messages: stop, reload).
  void post(std::function<void()> fn);

  // Milliseconds of CLOCK_MONOTONIC, cached once per turn.
  uint64_t nowMs() const { return nowUs_ / 1000; }
  // Seconds since the epoch (CLOCK_REALTIME), cached once per turn (for the Date header).
  int64_t wallSeconds() const { return wallSeconds_; }

  const LoopStats& stats() const { return stats_; }
  // One line naming the ring features in use (or the epoll backend and why), for the
  // startup log.
  const std::string& features() const { return features_; }
  // "io_uring" or "epoll".
  const char* backend() const { return epoll_ ? "epoll" : "io_uring"; }
  // Why io_uring was not used when kAuto fell back to epoll (the ring's error); empty when
  // there was no fallback.
  const std::string& fallbackReason() const { return fallbackReason_; }
  // Pending operations (accept, recv, send...) and armed timers: the loop is idle when both
  // are zero and no post() is waiting.
  size_t pendingOperations() const { return pendingOps_ - (wakeOp_.pending() ? 1 : 0); }
  size_t armedTimers() const { return timers_.size(); }
  // Operations and timers that wait for nothing anybody awaits (an idle pooled connection's
  // recv and idle timer), counted by their owner: a loop run "until idle" (`torus run`)
  // ends when only these remain.
  void addBackground(int delta) { background_ += delta; }
  // Work running elsewhere whose result comes back by post() (a crypto job on a helper
  // thread), counted by its owner: the loop is not idle while any is out.
  void addExternal(int delta) { external_ += delta; }
  // Pending operations, armed timers and external work beyond the background ones.
  bool hasForegroundWork() const {
    return pendingOperations() + armedTimers() + size_t(external_) > size_t(background_);
  }

 private:
  friend class Timer;
  struct Ring;
  struct Epoll;  // engine/epoll.h
  Loop();
  static Result<std::unique_ptr<Loop>> createUring(const LoopOptions& options);
  static Result<std::unique_ptr<Loop>> createEpoll(const LoopOptions& options,
                                                   std::string fallbackReason);

  void armTimer(Timer* t, uint64_t deadlineUs);
  void disarmTimer(Timer* t);
  void siftUp(size_t i);
  void siftDown(size_t i);
  void placeTimer(size_t i, Timer* t);
  static bool before(const Timer* a, const Timer* b);
  bool expireTimers();
  void updateClock();
  size_t turnRing(int timeoutMs);  // the ring's wait and dispatch; returns the completions
  void dispatch(uint64_t userData, int32_t res, uint32_t flags);
  void armWakeup();
  void wake();  // makes the eventfd readable: the next turn runs the mailbox and sees stop()
  void onWakeup(const Completion& c);
  void runMailbox();
  void submitOp(Operation* op);
  // Ends or advances op with c: a final completion (more == false) makes it not pending
  // first, so the callback may re-arm it.
  void complete(Operation* op, const Completion& c);
  // Completes op with `result` through the ring at the next turn (never inside the caller).
  void immediate(Operation* op, int32_t result);

  std::unique_ptr<Ring> ring_;    // io_uring; null on epoll
  std::unique_ptr<Epoll> epoll_;  // epoll; null on io_uring (every operation tests it)
  std::string fallbackReason_;
  std::vector<std::function<void()>> drainHooks_;
  std::vector<Timer*> timers_;  // binary min-heap on (deadline, seq)
  uint64_t timerSeq_ = 0;
  uint64_t nowUs_ = 0;
  int64_t wallSeconds_ = 0;
  size_t pendingOps_ = 0;
  int64_t background_ = 0;
  int64_t external_ = 0;
  LoopStats stats_;
  std::string features_;

  // Cross-thread mailbox, woken through an eventfd read on the ring.
  int wakeFd_ = -1;
  uint64_t wakeValue_ = 0;
  MemberOperation<Loop, &Loop::onWakeup> wakeOp_{this};
  std::mutex mailboxMutex_;
  std::vector<std::function<void()>> mailbox_;
  std::atomic<bool> stopRequested_{false};
};

// How other threads reach a loop that its own thread makes and destroys (a worker's, the
// admin listener's): Loop::post and Loop::stop are thread-safe, the loop's lifetime is not.
// The loop's thread set()s it once it serves and set(nullptr)s it before the loop goes,
// which waits for a with() in progress; with() runs f only while the loop is there.
class LoopRef {
 public:
  void set(Loop* loop) {
    std::lock_guard<std::mutex> hold(mutex_);
    loop_ = loop;
  }
  template <typename F>
  bool with(F&& f) {
    std::lock_guard<std::mutex> hold(mutex_);
    if (!loop_) return false;
    f(*loop_);
    return true;
  }

 private:
  std::mutex mutex_;
  Loop* loop_ = nullptr;
};

}  // namespace torus::engine
