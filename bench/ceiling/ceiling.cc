// The ceiling: the least an io_uring HTTP/1.1 hello-world server can do on this machine, with
// no JS, no parser and no allocation per request. bench/wrk/run.py measures it beside torus,
// so torus's requests per server-CPU-second read as a fraction of what the kernel and the
// ring allow (issue 10's target: >= 85% for hello world).
//
//   ceiling PORT
//
// Same ring setup as torus's engine (single issuer, deferred task work, a 4x CQ), multishot
// accept and multishot recv into a ring of provided buffers, one send per recv that carries
// the response of every request head ("\r\n\r\n") it completes. The responses are byte for
// byte torus's for examples/hello (GET /json: its JSON; any other: hello world), Date
// included (refreshed once a second). It trusts its client
// (wrk): no limits, no bodies, no timeouts; "Connection: close" (the benchmark's start-up
// probe) ends the connection after its response.
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr unsigned kEntries = 1024;
constexpr unsigned kBuffers = 512;
constexpr unsigned kBufferSize = 32768;
constexpr unsigned kGroup = 0;

enum Kind : uint64_t { kAccept = 1, kRecv = 2, kSend = 3 };
uint64_t tag(Kind kind, int fd) { return (uint64_t(fd) << 8) | kind; }

struct Conn {
  std::string out;   // responses queued while a send is in flight
  std::string sending;
  bool inFlight = false;
  bool closing = false;  // closed by the peer while a send was in flight
  bool closeAfter = false;  // the client said Connection: close (run.py's start-up probe)
  int matched = 0;   // how much of "\r\n\r\n" the previous bytes ended with
  bool atHead = true;  // the next byte starts a request head
  bool json = false;   // the head being read asks for /json
};

io_uring ring;
io_uring_buf_ring* bufRing;
char* buffers;
std::vector<Conn> conns;
std::string response;      // GET / (any path but /json)
std::string jsonResponse;  // GET /json: examples/hello's Response.json
time_t responseSecond = 0;

void refreshResponses() {
  time_t now = time(nullptr);
  if (now == responseSecond) return;
  responseSecond = now;
  tm t;
  gmtime_r(&now, &t);
  char date[64];
  strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &t);
  response = std::string("HTTP/1.1 200 OK\r\ncontent-type: text/plain;charset=UTF-8\r\nDate: ") +
             date + "\r\nContent-Length: 18\r\n\r\nHello from torus!\n";
  jsonResponse = std::string("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nDate: ") +
                 date + "\r\nContent-Length: 32\r\n\r\n{\"hello\":\"world\",\"method\":\"GET\"}";
}

io_uring_sqe* sqe() {
  io_uring_sqe* s = io_uring_get_sqe(&ring);
  if (!s) {
    io_uring_submit(&ring);
    s = io_uring_get_sqe(&ring);
  }
  return s;
}

void armRecv(int fd) {
  io_uring_sqe* s = sqe();
  io_uring_prep_recv_multishot(s, fd, nullptr, 0, 0);
  s->flags |= IOSQE_BUFFER_SELECT;
  s->buf_group = kGroup;
  io_uring_sqe_set_data64(s, tag(kRecv, fd));
}

void startSend(int fd, Conn& c) {
  c.sending.swap(c.out);
  c.out.clear();
  c.inFlight = true;
  io_uring_sqe* s = sqe();
  io_uring_prep_send(s, fd, c.sending.data(), c.sending.size(), MSG_NOSIGNAL);
  io_uring_sqe_set_data64(s, tag(kSend, fd));
}

void closeConn(int fd) {
  if (conns[fd].inFlight) {  // the kernel may still read c.sending: close after it
    conns[fd].closing = true;
    return;
  }
  conns[fd] = Conn{};
  io_uring_sqe* s = sqe();
  io_uring_prep_close(s, fd);
  io_uring_sqe_set_data64(s, 0);
}

void onRecv(int fd, const char* data, size_t n) {
  Conn& c = conns[fd];
  static const char kEnd[] = "\r\n\r\n";
  bool answered = false;
  refreshResponses();
  for (size_t i = 0; i < n; ++i) {
    if (c.atHead) {  // a request line split right here is taken for GET /
      c.json = n - i >= 10 && memcmp(data + i, "GET /json ", 10) == 0;
      c.atHead = false;
    }
    if (data[i] == kEnd[c.matched]) {
      if (++c.matched == 4) {
        c.out += c.json ? jsonResponse : response;
        answered = true;
        c.matched = 0;
        c.atHead = true;
      }
    } else {
      c.matched = data[i] == '\r' ? 1 : 0;
    }
  }
  if (!answered) return;
  if (memmem(data, n, "Connection: close", 17)) c.closeAfter = true;
  if (!c.inFlight) startSend(fd, c);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: ceiling PORT\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(atoi(argv[1])));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) || listen(lfd, 4096)) {
    perror("ceiling: bind/listen");
    return 1;
  }
  io_uring_params p{};
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
  p.cq_entries = kEntries * 4;
  if (int err = io_uring_queue_init_params(kEntries, &ring, &p); err < 0) {
    fprintf(stderr, "ceiling: io_uring_queue_init: %s\n", strerror(-err));
    return 1;
  }
  // By hand, as the engine does (liburing 2.3 has no io_uring_setup_buf_ring).
  bufRing = static_cast<io_uring_buf_ring*>(mmap(nullptr, kBuffers * sizeof(io_uring_buf),
                                                 PROT_READ | PROT_WRITE,
                                                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  io_uring_buf_ring_init(bufRing);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uintptr_t>(bufRing);
  reg.ring_entries = kBuffers;
  reg.bgid = kGroup;
  if (int err = io_uring_register_buf_ring(&ring, &reg, 0); err < 0) {
    fprintf(stderr, "ceiling: buffer ring: %s\n", strerror(-err));
    return 1;
  }
  buffers = static_cast<char*>(aligned_alloc(4096, size_t(kBuffers) * kBufferSize));
  for (unsigned i = 0; i < kBuffers; ++i) {
    io_uring_buf_ring_add(bufRing, buffers + size_t(i) * kBufferSize, kBufferSize, i,
                          io_uring_buf_ring_mask(kBuffers), i);
  }
  io_uring_buf_ring_advance(bufRing, kBuffers);
  conns.resize(65536);

  io_uring_sqe* s = sqe();
  io_uring_prep_multishot_accept(s, lfd, nullptr, nullptr, 0);
  io_uring_sqe_set_data64(s, tag(kAccept, lfd));
  fprintf(stderr, "ceiling: serving on 127.0.0.1:%s\n", argv[1]);

  for (;;) {
    io_uring_submit_and_wait(&ring, 1);
    unsigned head, seen = 0, returned = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring, head, cqe) {
      ++seen;
      uint64_t ud = cqe->user_data;
      int fd = int(ud >> 8);
      int res = cqe->res;
      switch (Kind(ud & 0xff)) {
        case kAccept:
          if (res >= 0) {
            setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            armRecv(res);
          }
          if (!(cqe->flags & IORING_CQE_F_MORE)) {
            io_uring_sqe* a = sqe();
            io_uring_prep_multishot_accept(a, lfd, nullptr, nullptr, 0);
            io_uring_sqe_set_data64(a, tag(kAccept, lfd));
          }
          break;
        case kRecv:
          if (cqe->flags & IORING_CQE_F_BUFFER) {
            unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
            if (res > 0) onRecv(fd, buffers + size_t(bid) * kBufferSize, size_t(res));
            io_uring_buf_ring_add(bufRing, buffers + size_t(bid) * kBufferSize, kBufferSize,
                                  bid, io_uring_buf_ring_mask(kBuffers), returned++);
          }
          if (res == 0 || (res < 0 && res != -ENOBUFS)) {
            closeConn(fd);
          } else if (!(cqe->flags & IORING_CQE_F_MORE)) {
            armRecv(fd);
          }
          break;
        case kSend: {
          Conn& c = conns[fd];
          c.inFlight = false;
          if (c.closing) {
            closeConn(fd);
            break;
          }
          if (res < 0) break;  // the recv side sees the reset and closes
          if (size_t(res) < c.sending.size()) {  // short: send the rest first
            c.sending.erase(0, size_t(res));
            c.out.insert(0, c.sending);
          }
          c.sending.clear();
          if (c.closeAfter && c.out.empty()) {
            shutdown(fd, SHUT_WR);
            break;
          }
          if (!c.out.empty()) startSend(fd, c);
          break;
        }
      }
    }
    io_uring_cq_advance(&ring, seen);
    if (returned) io_uring_buf_ring_advance(bufRing, int(returned));
  }
}
