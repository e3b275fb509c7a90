#include "engine/epoll.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>

#include "base/check.h"

namespace torus::engine {
namespace {

// Operation::epKind_ values.
enum Kind : uint8_t {
  kIdle = 0,
  kQueued,  // in Epoll::queued: its result is in immediateResult_
  kAccept,
  kAcceptOnce,
  kRecv,
  kRecvOnce,
  kSend,
  kConnect,
  kPoll,
};

constexpr uint64_t kWakeTag = ~uint64_t{0};  // the eventfd's epoll data
constexpr int kAcceptBatch = 64;             // accepts per readiness per turn
constexpr int kRecvBatch = 4;                // full buffers per readiness per turn
constexpr size_t kSnapshot = 16;             // operations of one fd handled per event

// Listening sockets and sockets the loop did not create (systemd's) may be blocking: an
// accept or connect on them must not wait. recv and send pass MSG_DONTWAIT instead.
void setNonblocking(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0 && !(fl & O_NONBLOCK)) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

// One piece: send(2). Several: sendmsg, which unlike writev takes MSG_NOSIGNAL (at most
// IOV_MAX pieces: more is a short send). Not a socket: writev.
int32_t sendNow(int fd, const iovec* iov, size_t iovCount) {
  ssize_t n;
  do {
    if (iovCount == 1) {
      n = ::send(fd, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL | MSG_DONTWAIT);
    } else {
      msghdr m{};
      m.msg_iov = const_cast<iovec*>(iov);
      m.msg_iovlen = iovCount < IOV_MAX ? iovCount : IOV_MAX;
      n = ::sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    if (n < 0 && errno == ENOTSOCK) {
      setNonblocking(fd);
      n = ::writev(fd, iov, int(iovCount < IOV_MAX ? iovCount : IOV_MAX));
    }
  } while (n < 0 && errno == EINTR);
  if (n < 0) return errno == EWOULDBLOCK ? -EAGAIN : -errno;
  return int32_t(n);
}

}  // namespace

Loop::Epoll::~Epoll() {
  if (epfd >= 0) ::close(epfd);
}

Result<void> Loop::Epoll::init(const LoopOptions& options, int wake) {
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) return makeError("epoll_create1: " + std::string(strerror(errno)));
  TORUS_CHECK_MSG(options.recvBufferSize > 0, "recvBufferSize must be positive");
  bufferSize = options.recvBufferSize;
  buffer = std::make_unique<char[]>(bufferSize);
  events.resize(256);
  wakeFd = wake;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeTag;
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, wakeFd, &ev) != 0) {
    return makeError("epoll_ctl(eventfd): " + std::string(strerror(errno)));
  }
  return {};
}

Loop::Epoll::FdState& Loop::Epoll::state(int fd) {
  TORUS_CHECK_MSG(fd >= 0, "an operation on a negative fd");
  if (size_t(fd) >= fds.size()) fds.resize(std::max(size_t(fd) + 1, fds.size() * 2));
  return fds[size_t(fd)];
}

void Loop::Epoll::markDirty(int fd) {
  FdState& st = fds[size_t(fd)];
  if (st.dirty) return;
  st.dirty = true;
  dirty.push_back(fd);
}

bool Loop::Epoll::armedOn(const Operation* op, int fd) const {
  return op->epFd_ == fd && op->epKind_ >= kAccept;
}

void Loop::Epoll::arm(int fd, Operation* op, uint8_t kind, uint32_t wants) {
  FdState& st = state(fd);
  op->epKind_ = kind;
  op->epFd_ = fd;
  op->epEvents_ = wants;
  op->epPrev_ = nullptr;
  op->epNext_ = st.head;
  if (st.head) st.head->epPrev_ = op;
  st.head = op;
  markDirty(fd);
}

void Loop::Epoll::unlink(Operation* op) {
  FdState& st = fds[size_t(op->epFd_)];
  if (op->epPrev_) {
    op->epPrev_->epNext_ = op->epNext_;
  } else {
    st.head = op->epNext_;
  }
  if (op->epNext_) op->epNext_->epPrev_ = op->epPrev_;
  if (!st.head) st.emptied = true;
  markDirty(op->epFd_);
  op->epNext_ = op->epPrev_ = nullptr;
  op->epFd_ = -1;
  op->epKind_ = kIdle;
}

void Loop::Epoll::queue(Operation* op, int32_t result) {
  op->epKind_ = kQueued;
  op->immediateResult_ = result;
  queued.push_back(op);
}

void Loop::Epoll::deliver(Operation* op, int32_t result, bool more,
                          std::span<const char> data) {
  loop.complete(op, Completion{result, more, data});
}

void Loop::Epoll::accept(int fd, Operation* op, bool multishot) {
  loop.submitOp(op);
  setNonblocking(fd);
  arm(fd, op, multishot ? kAccept : kAcceptOnce, EPOLLIN);
}

void Loop::Epoll::recv(int fd, Operation* op, bool multishot) {
  loop.submitOp(op);
  arm(fd, op, multishot ? kRecv : kRecvOnce, EPOLLIN);
}

void Loop::Epoll::send(int fd, const iovec* iov, size_t iovCount, Operation* op) {
  loop.submitOp(op);
  // Tried at once (a response usually fits the socket buffer); the result still arrives at
  // the next turn. Only a full socket waits for EPOLLOUT.
  int32_t n = sendNow(fd, iov, iovCount);
  if (n != -EAGAIN) {
    queue(op, n);
    return;
  }
  op->epIov_ = iov;
  op->epIovCount_ = uint32_t(iovCount);
  arm(fd, op, kSend, EPOLLOUT);
}

void Loop::Epoll::connect(int fd, const sockaddr* addr, socklen_t len, Operation* op) {
  loop.submitOp(op);
  setNonblocking(fd);
  if (::connect(fd, addr, len) == 0) {
    queue(op, 0);
  } else if (errno == EINPROGRESS || errno == EINTR) {
    arm(fd, op, kConnect, EPOLLOUT);  // done when writable; SO_ERROR says how it went
  } else {
    queue(op, -errno);
  }
}

void Loop::Epoll::poll(int fd, uint32_t wants, Operation* op) {
  loop.submitOp(op);
  // POLLIN/POLLPRI/POLLOUT have the values of EPOLLIN/EPOLLPRI/EPOLLOUT.
  arm(fd, op, kPoll, wants & (POLLIN | POLLPRI | POLLOUT));
}

void Loop::Epoll::cancel(Operation* op) {
  // Queued: its result is its final completion. Armed: it stops waiting now.
  if (op->epFd_ < 0 || op->epKind_ < kAccept) return;
  unlink(op);
  queue(op, -ECANCELED);
}

void Loop::Epoll::close(int fd) {
  if (fd >= 0 && size_t(fd) < fds.size()) {
    FdState& st = fds[size_t(fd)];
    while (st.head) {
      Operation* op = st.head;
      unlink(op);
      queue(op, -ECANCELED);
    }
    // Out of the set before the close: another fd sharing the open file (a listener dup'ed
    // for each worker) would keep the registration alive and reporting.
    if (st.registered) epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nullptr);
    st.registered = 0;
    st.emptied = false;
    ++st.gen;
  }
  ::close(fd);
}

// An fd epoll refuses (a regular file: EPERM; closed: EBADF): its operations fail.
void Loop::Epoll::failFd(int fd, int err) {
  FdState& st = fds[size_t(fd)];
  while (st.head) {
    Operation* op = st.head;
    unlink(op);
    queue(op, -err);
  }
  st.registered = 0;
}

void Loop::Epoll::flush() {
  // Indexes, not iterators: failFd marks the fd dirty again (harmless: nothing is armed).
  for (size_t i = 0; i < dirty.size(); ++i) {
    int fd = dirty[i];
    FdState& st = fds[size_t(fd)];
    st.dirty = false;
    bool unsure = st.emptied;
    st.emptied = false;
    uint32_t wants = 0;
    for (Operation* op = st.head; op; op = op->epNext_) wants |= op->epEvents_;
    if (wants == st.registered && !(unsure && wants)) continue;
    if (wants == 0) {
      // Out of the set: a registered fd reports EPOLLHUP/EPOLLERR even when asked for
      // nothing, which level-triggered would report every turn. ENOENT/EBADF: c-ares
      // closed it itself (the kernel dropped it already).
      epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nullptr);
      st.registered = 0;
      continue;
    }
    epoll_event ev{};
    ev.events = wants;
    ev.data.u64 = uint64_t(uint32_t(fd)) | uint64_t(st.gen) << 32;
    int rc;
    if (st.registered) {
      rc = epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
      // Closed behind our back (c-ares closes its own sockets) and the number reused.
      if (rc != 0 && errno == ENOENT) rc = epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
    } else {
      rc = epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
      if (rc != 0 && errno == EEXIST) rc = epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
    }
    if (rc != 0) {
      failFd(fd, errno);
      continue;
    }
    st.registered = wants;
  }
  dirty.clear();
}

size_t Loop::Epoll::perform(Operation* op, int fd, uint32_t revents) {
  size_t n = 0;
  switch (op->epKind_) {
    case kAccept:
    case kAcceptOnce: {
      bool multishot = op->epKind_ == kAccept;
      for (int i = 0; i < kAcceptBatch && armedOn(op, fd); ++i) {
        int cfd = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0 && errno == EINTR) continue;
        if (cfd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        ++n;
        if (cfd >= 0 && multishot) {
          deliver(op, cfd, true);
          continue;
        }
        // One accept, or an error (EMFILE: the caller backs off): final, as on io_uring.
        int32_t res = cfd >= 0 ? cfd : -errno;
        unlink(op);
        deliver(op, res, false);
        break;
      }
      break;
    }
    case kRecv:
    case kRecvOnce: {
      bool multishot = op->epKind_ == kRecv;
      for (int i = 0; i < kRecvBatch && armedOn(op, fd); ++i) {
        ssize_t got = ::recv(fd, buffer.get(), bufferSize, MSG_DONTWAIT);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        ++n;
        int32_t res = got >= 0 ? int32_t(got) : -errno;
        std::span<const char> data;
        if (got > 0) data = {buffer.get(), size_t(got)};
        if (multishot && got > 0) {
          deliver(op, res, true, data);
          if (size_t(got) < bufferSize) break;  // likely drained: the next turn sees more
          continue;
        }
        unlink(op);  // one buffer, the peer's close (0) or an error: final
        deliver(op, res, false, data);
        break;
      }
      break;
    }
    case kSend: {
      int32_t res = sendNow(fd, op->epIov_, op->epIovCount_);
      if (res == -EAGAIN) break;
      ++n;
      unlink(op);
      deliver(op, res, false);
      break;
    }
    case kConnect: {
      int err = 0;
      socklen_t len = sizeof err;
      if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      ++n;
      unlink(op);
      deliver(op, err ? -err : 0, false);
      break;
    }
    case kPoll: {
      ++n;
      deliver(op, int32_t(revents & (op->epEvents_ | EPOLLERR | EPOLLHUP)), true);
      break;
    }
    default:
      break;
  }
  return n;
}

size_t Loop::Epoll::turn(int timeoutMs) {
  flush();
  if (!queued.empty()) timeoutMs = 0;
  int ready = epoll_wait(epfd, events.data(), int(events.size()), timeoutMs);
  if (ready < 0) ready = 0;  // EINTR: a signal; the turn goes on with what was queued
  ++loop.stats_.turns;
  loop.updateClock();

  size_t count = 0;
  // Completions queued since the last turn, in the order they were queued. Those that
  // their callbacks queue wait for the next turn.
  delivering.swap(queued);
  for (Operation* op : delivering) {
    op->epKind_ = kIdle;
    ++count;
    deliver(op, op->immediateResult_, false);
  }
  delivering.clear();

  for (int i = 0; i < ready; ++i) {
    uint64_t tag = events[size_t(i)].data.u64;
    uint32_t revents = events[size_t(i)].events;
    if (tag == kWakeTag) {
      uint64_t value;
      [[maybe_unused]] ssize_t r = ::read(wakeFd, &value, sizeof value);
      ++count;
      loop.runMailbox();
      continue;
    }
    int fd = int(uint32_t(tag));
    uint32_t gen = uint32_t(tag >> 32);
    if (size_t(fd) >= fds.size() || fds[size_t(fd)].gen != gen) continue;  // closed since
    // The callbacks may cancel, close, re-arm: act on the operations armed now, each only
    // while it is still armed on this fd.
    Operation* ops[kSnapshot];
    size_t k = 0;
    for (Operation* op = fds[size_t(fd)].head; op && k < kSnapshot; op = op->epNext_) {
      ops[k++] = op;
    }
    for (size_t j = 0; j < k; ++j) {
      Operation* op = ops[j];
      if (fds[size_t(fd)].gen != gen || !armedOn(op, fd)) continue;
      if (!(revents & (op->epEvents_ | EPOLLERR | EPOLLHUP))) continue;
      count += perform(op, fd, revents);
    }
  }
  return count;
}

}  // namespace torus::engine
