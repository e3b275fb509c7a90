#include "engine/loop.h"

#include <signal.h>

#include <errno.h>
#include <liburing.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "base/check.h"
#include "base/fault.h"
#include "base/log.h"
#include "engine/epoll.h"

namespace torus::engine {
namespace {

constexpr int kBufferGroup = 0;
constexpr uint64_t kImmediateBit = 1;

uint64_t monotonicUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

// The message for a ring that cannot be created: the cause and what to do about it.
std::string ringFailure(int err) {
  std::string msg = "cannot create an io_uring ring: " + std::string(strerror(err)) + ". ";
  int disabled = -1;
  if (FILE* f = fopen("/proc/sys/kernel/io_uring_disabled", "r")) {
    if (fscanf(f, "%d", &disabled) != 1) disabled = -1;
    fclose(f);
  }
  if (err == ENOSYS) {
    msg += "The kernel has no io_uring (Linux 6.0 or later is needed, built with "
           "CONFIG_IO_URING).";
  } else if (disabled > 0) {
    msg += "io_uring is disabled by sysctl kernel.io_uring_disabled=" +
           std::to_string(disabled) + ": set it to 0 (sysctl -w kernel.io_uring_disabled=0).";
  } else if (err == EPERM) {
    msg += "A seccomp profile or sandbox blocks io_uring (Docker's default profile does): "
           "run with a profile that allows io_uring_setup/io_uring_enter/io_uring_register.";
  } else if (err == ENOMEM) {
    rlimit rl{};
    getrlimit(RLIMIT_MEMLOCK, &rl);
    msg += "Locked memory is exhausted (RLIMIT_MEMLOCK is " + std::to_string(rl.rlim_cur) +
           " bytes): raise it (ulimit -l, or LimitMEMLOCK= in the systemd unit) or use fewer "
           "or smaller ring entries.";
  }
  return msg;
}

}  // namespace

// The io_uring state: the ring itself and the provided-buffer ring for multishot recv.
struct Loop::Ring {
  io_uring ring{};
  bool initialized = false;
  io_uring_buf_ring* bufRing = nullptr;
  size_t bufRingBytes = 0;
  char* buffers = nullptr;
  size_t buffersBytes = 0;
  unsigned bufferCount = 0;
  unsigned bufferSize = 0;
  unsigned bufferReturns = 0;  // buffers given back since the last advance
  bool hasSocketOp = false;    // IORING_OP_SOCKET (5.19+)

  ~Ring() {
    if (initialized) {
      if (bufRing) io_uring_unregister_buf_ring(&ring, kBufferGroup);
      io_uring_queue_exit(&ring);
    }
    if (bufRing) munmap(bufRing, bufRingBytes);
    if (buffers) munmap(buffers, buffersBytes);
  }

  io_uring_sqe* sqe() {
    io_uring_sqe* s = io_uring_get_sqe(&ring);
    if (s) return s;
    // SQ full: hand what is queued to the kernel and take a fresh slot.
    io_uring_submit(&ring);
    s = io_uring_get_sqe(&ring);
    TORUS_CHECK(s != nullptr);
    return s;
  }

  void giveBack(unsigned bid) {
    io_uring_buf_ring_add(bufRing, buffers + size_t(bid) * bufferSize, bufferSize, bid,
                          io_uring_buf_ring_mask(bufferCount), bufferReturns++);
  }
  void publishBuffers() {
    if (bufferReturns) {
      io_uring_buf_ring_advance(bufRing, bufferReturns);
      bufferReturns = 0;
    }
  }
};

Loop::Loop() : ring_(std::make_unique<Ring>()) {}

Result<std::unique_ptr<Loop>> Loop::create(const LoopOptions& options) {
  // A gathered send is a writev, which has no MSG_NOSIGNAL: a peer that reset would kill the
  // process with SIGPIPE. Every process with a loop ignores it (the server does it in main
  // too; tests and other embedders get it here).
  signal(SIGPIPE, SIG_IGN);
  Backend backend = options.backend;
  if (backend == Backend::kAuto) {
    const char* env = getenv("TORUS_IO");
    std::string v = env ? env : "";
    if (v == "uring") {
      backend = Backend::kUring;
    } else if (v == "epoll") {
      backend = Backend::kEpoll;
    } else if (!v.empty() && v != "auto") {
      return makeError("TORUS_IO=" + v + " is not a backend: use uring, epoll or auto");
    }
  }
  if (backend == Backend::kEpoll) return createEpoll(options, "");
  auto ring = createUring(options);
  if (ring.ok() || backend == Backend::kUring) return ring;
  return createEpoll(options, ring.error());
}

Result<std::unique_ptr<Loop>> Loop::createEpoll(const LoopOptions& options,
                                                std::string fallbackReason) {
  std::unique_ptr<Loop> loop(new Loop());
  loop->ring_.reset();
  loop->epoll_ = std::make_unique<Epoll>(*loop);
  loop->wakeFd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (loop->wakeFd_ < 0) return makeError("eventfd: " + std::string(strerror(errno)));
  auto made = loop->epoll_->init(options, loop->wakeFd_);
  if (!made.ok()) return makeError(made.error());
  loop->features_ = fallbackReason.empty()
                        ? std::string("epoll (chosen)")
                        : "epoll (io_uring unavailable: " + fallbackReason + ")";
  loop->features_ += ", level-triggered, one " + std::to_string(options.recvBufferSize) +
                     "-byte recv buffer";
  loop->fallbackReason_ = std::move(fallbackReason);
  loop->updateClock();
  return loop;
}

Result<std::unique_ptr<Loop>> Loop::createUring(const LoopOptions& options) {
  std::unique_ptr<Loop> loop(new Loop());
  Ring& r = *loop->ring_;

  // Preferred: one submitter thread, task work deferred to our own io_uring_enter (6.1+).
  // Fall back to cooperative task running (5.19+), then to plain.
  const unsigned flagSets[] = {
      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE,
      IORING_SETUP_COOP_TASKRUN | IORING_SETUP_CQSIZE,
      IORING_SETUP_CQSIZE,
  };
  const char* flagNames[] = {"single-issuer+defer-taskrun", "coop-taskrun", "plain"};
  int err = 0;
  size_t chosen = 0;
  for (; chosen < 3; ++chosen) {
    io_uring_params p{};
    p.flags = flagSets[chosen];
    p.cq_entries = options.ringEntries * 4;
    err = io_uring_queue_init_params(options.ringEntries, &r.ring, &p);
    if (err == 0) break;
    if (err != -EINVAL) return makeError(ringFailure(-err));
  }
  if (err != 0) return makeError(ringFailure(-err));
  r.initialized = true;

  io_uring_probe* probe = io_uring_get_probe_ring(&r.ring);
  bool haveOps = probe && io_uring_opcode_supported(probe, IORING_OP_ACCEPT) &&
                 io_uring_opcode_supported(probe, IORING_OP_RECV) &&
                 io_uring_opcode_supported(probe, IORING_OP_SENDMSG) &&
                 io_uring_opcode_supported(probe, IORING_OP_CLOSE) &&
                 io_uring_opcode_supported(probe, IORING_OP_ASYNC_CANCEL) &&
                 io_uring_opcode_supported(probe, IORING_OP_CONNECT) &&
                 io_uring_opcode_supported(probe, IORING_OP_POLL_ADD);
  r.hasSocketOp = probe && io_uring_opcode_supported(probe, IORING_OP_SOCKET);
  if (probe) io_uring_free_probe(probe);
  if (!haveOps) {
    return makeError("the kernel's io_uring lacks accept/recv/sendmsg/close/cancel/connect/poll: "
                     "Linux 6.0 or later is needed");
  }

  // Provided-buffer ring, set up by hand (liburing 2.3 has no io_uring_setup_buf_ring).
  unsigned count = options.recvBufferCount;
  TORUS_CHECK_MSG(count && (count & (count - 1)) == 0 && count <= 32768,
                  "recvBufferCount must be a power of two <= 32768");
  r.bufferCount = count;
  r.bufferSize = options.recvBufferSize;
  long page = sysconf(_SC_PAGESIZE);
  r.bufRingBytes = (count * sizeof(io_uring_buf) + page - 1) / page * page;
  void* ringMem = mmap(nullptr, r.bufRingBytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (ringMem == MAP_FAILED) return makeError("cannot map the recv buffer ring");
  r.bufRing = static_cast<io_uring_buf_ring*>(ringMem);
  r.buffersBytes = size_t(count) * r.bufferSize;
  void* bufMem = mmap(nullptr, r.buffersBytes, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (bufMem == MAP_FAILED) return makeError("cannot map the recv buffers");
  r.buffers = static_cast<char*>(bufMem);
  io_uring_buf_ring_init(r.bufRing);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uintptr_t>(r.bufRing);
  reg.ring_entries = count;
  reg.bgid = kBufferGroup;
  err = io_uring_register_buf_ring(&r.ring, &reg, 0);
  if (err != 0) {
    munmap(r.bufRing, r.bufRingBytes);
    r.bufRing = nullptr;
    return makeError("cannot register a provided-buffer ring (" + std::string(strerror(-err)) +
                     "): Linux 5.19 or later is needed" +
                     (err == -ENOMEM ? "; or raise RLIMIT_MEMLOCK" : ""));
  }
  for (unsigned i = 0; i < count; ++i) r.giveBack(i);
  r.publishBuffers();

  loop->features_ = std::string(flagNames[chosen]) + ", multishot accept+recv, " +
                    std::to_string(count) + "x" + std::to_string(r.bufferSize) +
                    " provided buffers";
  if (!(r.ring.features & IORING_FEAT_EXT_ARG)) loop->features_ += ", no ext-arg wait";

  loop->wakeFd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (loop->wakeFd_ < 0) return makeError("eventfd: " + std::string(strerror(errno)));
  loop->armWakeup();
  loop->updateClock();
  return loop;
}

Loop::~Loop() {
  for (Timer* t : timers_) t->index_ = Timer::kNotArmed;
  timers_.clear();
  ring_.reset();  // exits the ring: the kernel cancels whatever is still in flight
  epoll_.reset();  // operations still armed are dropped, as on the ring
  if (wakeFd_ >= 0) ::close(wakeFd_);
}

void Loop::updateClock() {
  nowUs_ = monotonicUs();
  timespec ts;
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  wallSeconds_ = ts.tv_sec;
}

void Loop::submitOp(Operation* op) {
  TORUS_CHECK_MSG(!op->pending_, "an Operation has one request in flight at a time");
  op->pending_ = true;
  ++pendingOps_;
}

void Loop::complete(Operation* op, const Completion& c) {
  if (!c.more) {
    op->pending_ = false;
    --pendingOps_;
  }
  op->fn_(op, c);
}

void Loop::accept(int listenFd, Operation* op) {
  if (epoll_) [[unlikely]] return epoll_->accept(listenFd, op, true);
  submitOp(op);
  io_uring_sqe* s = ring_->sqe();
  io_uring_prep_multishot_accept(s, listenFd, nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data(s, op);
}

void Loop::acceptOnce(int listenFd, Operation* op) {
  if (epoll_) [[unlikely]] return epoll_->accept(listenFd, op, false);
  submitOp(op);
  io_uring_sqe* s = ring_->sqe();
  io_uring_prep_accept(s, listenFd, nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data(s, op);
}

void Loop::recv(int fd, Operation* op) {
  if (epoll_) [[unlikely]] return epoll_->recv(fd, op, true);
  submitOp(op);
  io_uring_sqe* s = ring_->sqe();
  io_uring_prep_recv_multishot(s, fd, nullptr, 0, 0);
  s->flags |= IOSQE_BUFFER_SELECT;
  s->buf_group = kBufferGroup;
  io_uring_sqe_set_data(s, op);
}

void Loop::recvOnce(int fd, Operation* op) {
  if (epoll_) [[unlikely]] return epoll_->recv(fd, op, false);
  submitOp(op);
  io_uring_sqe* s = ring_->sqe();
  io_uring_prep_recv(s, fd, nullptr, 0, 0);
  s->flags |= IOSQE_BUFFER_SELECT;
  s->buf_group = kBufferGroup;
  io_uring_sqe_set_data(s, op);
}

void Loop::send(int fd, const iovec* iov, size_t iovCount, Operation* op) {
  if (fault::Action f = fault::at(fault::Point::kSend); f.kind != fault::Kind::kNone) [[unlikely]] {
    if (f.kind == fault::Kind::kError) return immediate(op, -f.error);
    // Short: half of the first piece, through a copy the operation keeps until it completes.
    op->faultIov_ = {iov[0].iov_base, iov[0].iov_len > 1 ? iov[0].iov_len / 2 : iov[0].iov_len};
    iov = &op->faultIov_;
    iovCount = 1;
  }
  if (epoll_) [[unlikely]] return epoll_->send(fd, iov, iovCount, op);
  submitOp(op);
  io_uring_sqe* s = ring_->sqe();
  // One piece: send(2) with MSG_NOSIGNAL. Several: writev (the iovec array is read at
  // submit, SUBMIT_STABLE, 5.5+); SIGPIPE is ignored process-wide (Loop::create).
  if (iovCount == 1) {
    io_uring_prep_send(s, fd, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL);
  } else {
    io_uring_prep_writev(s, fd, iov, unsigned(iovCount), 0);
  }
  io_uring_sqe_set_data(s, op);
}

void Loop::socket(int domain, int type, int protocol, Operation* op) {
  type |= SOCK_NONBLOCK | SOCK_CLOEXEC;
  if (epoll_ || !ring_->hasSocketOp) [[unlikely]] {
    int fd = ::socket(domain, type, protocol);
    immediate(op, fd >= 0 ? fd : -errno);
    return;
  }
  submitOp(op);
  io_uring_sqe* s = ring_->sqe();
  io_uring_prep_socket(s, domain, type, protocol, 0);
  io_uring_sqe_set_data(s, op);
}

void Loop::connect(int fd, const sockaddr* addr, socklen_t len, Operation* op) {
  if (epoll_) [[unlikely]] return epoll_->connect(fd, addr, len, op);
  submitOp(op);
  io_uring_sqe* s = ring_->sqe();
  io_uring_prep_connect(s, fd, addr, len);
  io_uring_sqe_set_data(s, op);
}

void Loop::poll(int fd, uint32_t events, Operation* op) {
  if (epoll_) [[unlikely]] return epoll_->poll(fd, events, op);
  submitOp(op);
  io_uring_sqe* s = ring_->sqe();
  io_uring_prep_poll_multishot(s, fd, events);
  io_uring_sqe_set_data(s, op);
}

void Loop::immediate(Operation* op, int32_t result) {
  // Reported through the ring like any completion (a NOP carrying the result), never from
  // inside the call that asked.
  submitOp(op);
  if (epoll_) [[unlikely]] return epoll_->queue(op, result);
  op->immediateResult_ = result;
  io_uring_sqe* s = ring_->sqe();
  io_uring_prep_nop(s);
  // Operations are at least 4-byte aligned: the low bit tags "the result is in the op".
  io_uring_sqe_set_data64(s, reinterpret_cast<uint64_t>(op) | kImmediateBit);
}

void Loop::cancel(Operation* op) {
  if (!op->pending_) return;
  if (epoll_) [[unlikely]] return epoll_->cancel(op);
  io_uring_sqe* s = ring_->sqe();
  io_uring_prep_cancel(s, op, 0);
  io_uring_sqe_set_data(s, nullptr);
}

void Loop::close(int fd) {
  if (epoll_) [[unlikely]] return epoll_->close(fd);
  io_uring_sqe* s = ring_->sqe();
  io_uring_prep_close(s, fd);
  io_uring_sqe_set_data(s, nullptr);
}

size_t Loop::addDrainHook(std::function<void()> hook) {
  // A removed hook's slot is reused: owners that come and go (an app's isolate replaced on
  // every reload) do not grow the list.
  for (size_t i = 0; i < drainHooks_.size(); ++i) {
    if (!drainHooks_[i]) {
      drainHooks_[i] = std::move(hook);
      return i;
    }
  }
  drainHooks_.push_back(std::move(hook));
  return drainHooks_.size() - 1;
}

void Loop::removeDrainHook(size_t id) {
  if (id < drainHooks_.size()) drainHooks_[id] = nullptr;
}

void Loop::post(std::function<void()> fn) {
  {
    std::lock_guard lock(mailboxMutex_);
    mailbox_.push_back(std::move(fn));
  }
  wake();
}

void Loop::stop() {
  stopRequested_.store(true, std::memory_order_release);
  wake();
}

void Loop::wake() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wakeFd_, &one, sizeof one);
}

void Loop::armWakeup() {
  submitOp(&wakeOp_);
  io_uring_sqe* s = ring_->sqe();
  io_uring_prep_read(s, wakeFd_, &wakeValue_, sizeof wakeValue_, 0);
  io_uring_sqe_set_data(s, &wakeOp_);
}

void Loop::onWakeup(const Completion& c) {
  runMailbox();
  if (ring_) armWakeup();
}

void Loop::runMailbox() {
  std::vector<std::function<void()>> work;
  {
    std::lock_guard lock(mailboxMutex_);
    work.swap(mailbox_);
  }
  for (auto& fn : work) fn();
}

void Loop::dispatch(uint64_t userData, int32_t res, uint32_t flags) {
  // Close and cancel requests report nothing; liburing's own wait timeout (kernels without
  // EXT_ARG) is not ours either.
  if (userData == 0 || userData == LIBURING_UDATA_TIMEOUT) return;
  if (userData & kImmediateBit) {
    auto* op = reinterpret_cast<Operation*>(userData & ~kImmediateBit);
    res = op->immediateResult_;
    flags = 0;
    userData = reinterpret_cast<uint64_t>(op);
  }
  auto* op = reinterpret_cast<Operation*>(userData);
  Completion c{res, (flags & IORING_CQE_F_MORE) != 0, {}};
  bool hasBuffer = flags & IORING_CQE_F_BUFFER;
  unsigned bid = flags >> IORING_CQE_BUFFER_SHIFT;
  if (hasBuffer && res > 0) {
    c.data = {ring_->buffers + size_t(bid) * ring_->bufferSize, size_t(res)};
  }
  if (!c.more) {
    op->pending_ = false;
    --pendingOps_;
  }
  op->fn_(op, c);
  if (hasBuffer) ring_->giveBack(bid);
}

void Loop::runOnce(int timeoutMs) {
  // Wait no longer than the earliest timer.
  if (!timers_.empty()) {
    uint64_t due = timers_[0]->deadlineUs_;
    uint64_t now = monotonicUs();
    // Rounded up: waking early would only mean another turn.
    int untilTimer = due <= now ? 0 : int(std::min<uint64_t>((due - now + 999) / 1000, 1u << 30));
    if (timeoutMs < 0 || untilTimer < timeoutMs) timeoutMs = untilTimer;
  }
  size_t dispatched = epoll_ ? epoll_->turn(timeoutMs) : turnRing(timeoutMs);
  stats_.completions += dispatched;
  bool expired = expireTimers();
  if (dispatched || expired) {
    ++stats_.drainsWithWork;
    // By index, each called from a copy: a hook may add or remove hooks (an isolate made
    // or freed during a drain), which may move the list.
    for (size_t i = 0; i < drainHooks_.size(); ++i) {
      if (!drainHooks_[i]) continue;
      std::function<void()> hook = drainHooks_[i];
      hook();
    }
    stats_.drain.record(monotonicUs() - nowUs_);  // nowUs_: read when the wait returned
  }
}

size_t Loop::turnRing(int timeoutMs) {
  io_uring* ring = &ring_->ring;
  io_uring_cqe* cqe = nullptr;
  if (timeoutMs < 0) {
    io_uring_submit_and_wait(ring, 1);
  } else if (timeoutMs == 0) {
    io_uring_submit_and_get_events(ring);
  } else {
    __kernel_timespec ts{timeoutMs / 1000, (timeoutMs % 1000) * 1000000LL};
    io_uring_submit_and_wait_timeout(ring, &cqe, 1, &ts, nullptr);
  }
  ++stats_.turns;
  updateClock();

  // Drain the whole completion queue; completions posted meanwhile by task work that the
  // dispatch itself triggered are picked up by the next peek round.
  size_t dispatched = 0;
  for (;;) {
    unsigned head;
    unsigned seen = 0;
    io_uring_for_each_cqe(ring, head, cqe) {
      uint64_t ud = cqe->user_data;
      int32_t res = cqe->res;
      uint32_t flags = cqe->flags;
      ++seen;
      // Mark the slot consumed before dispatching: a handler may submit and the kernel may
      // post more completions, but it never reuses a slot we have not released.
      dispatch(ud, res, flags);
    }
    if (seen == 0) break;
    io_uring_cq_advance(ring, seen);
    dispatched += seen;
  }
  ring_->publishBuffers();
  return dispatched;
}

void Loop::run() {
  while (!stopRequested_.load(std::memory_order_acquire)) runOnce(-1);
  stopRequested_.store(false, std::memory_order_relaxed);
}

// ---- timers: a binary min-heap ordered by (deadline, arm order) ----

Timer::~Timer() { cancel(); }

// From the time of the call, not of the turn: JS may run long before it arms a timer.
void Timer::arm(uint64_t delayMs) { loop_->armTimer(this, monotonicUs() + delayMs * 1000); }

void Timer::cancel() {
  if (armed()) loop_->disarmTimer(this);
}

// Heap order: earlier deadline first; equal deadlines in arming order.
bool Loop::before(const Timer* a, const Timer* b) {
  return a->deadlineUs_ < b->deadlineUs_ ||
         (a->deadlineUs_ == b->deadlineUs_ && a->seq_ < b->seq_);
}

void Loop::placeTimer(size_t i, Timer* t) {
  timers_[i] = t;
  t->index_ = i;
}

void Loop::siftUp(size_t i) {
  Timer* t = timers_[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    Timer* p = timers_[parent];
    if (!before(t, p)) break;
    placeTimer(i, p);
    i = parent;
  }
  placeTimer(i, t);
}

void Loop::siftDown(size_t i) {
  Timer* t = timers_[i];
  size_t n = timers_.size();
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n) {
      Timer* a = timers_[child];
      Timer* b = timers_[child + 1];
      if (before(b, a)) ++child;
    }
    Timer* c = timers_[child];
    if (!before(c, t)) break;
    placeTimer(i, c);
    i = child;
  }
  placeTimer(i, t);
}

void Loop::armTimer(Timer* t, uint64_t deadlineUs) {
  if (t->armed()) disarmTimer(t);
  t->deadlineUs_ = deadlineUs;
  t->seq_ = ++timerSeq_;
  timers_.push_back(t);
  siftUp(timers_.size() - 1);
}

void Loop::disarmTimer(Timer* t) {
  size_t i = t->index_;
  TORUS_CHECK(i < timers_.size() && timers_[i] == t);
  Timer* last = timers_.back();
  timers_.pop_back();
  t->index_ = Timer::kNotArmed;
  if (last == t) return;
  placeTimer(i, last);
  siftDown(i);
  siftUp(last->index_);
}

bool Loop::expireTimers() {
  bool any = false;
  while (!timers_.empty() && timers_[0]->deadlineUs_ <= nowUs_) {
    Timer* t = timers_[0];
    disarmTimer(t);
    any = true;
    t->fn_(t);  // may re-arm itself or others
  }
  return any;
}

}  // namespace torus::engine
