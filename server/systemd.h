// systemd integration of `torus serve` on libsystemd (sd-daemon(3)): readiness and state
// notifications (Type=notify, sd_notify(3)), the watchdog fed only while every worker's loop
// answers, and socket activation (sd_listen_fds_with_names(3), systemd.socket(5)).
//
// Everything here is a no-op when the process was not started by a service manager: no
// NOTIFY_SOCKET, no WATCHDOG_USEC, no LISTEN_FDS.
//
// Thread: the main thread (the one that waits for signals in server/main.cc).
#pragma once

#include <signal.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "server/options.h"
#include "server/worker.h"

namespace torus::server::systemd {

// A listening socket passed by the service manager (LISTEN_FDS), with its
// FileDescriptorName= ("http", "https", or systemd's default "unknown"/the unit name).
struct PassedSocket {
  int fd;
  std::string name;
};

// Takes the sockets passed to this process (LISTEN_PID must be ours) and unsets LISTEN_FDS,
// LISTEN_PID and LISTEN_FDNAMES so that nothing started later inherits them. Each one must
// be a listening SOCK_STREAM socket. None passed: an empty list.
Result<std::vector<PassedSocket>> takeListenSockets();

// Matches passed sockets to the listeners of `options` (plain ones, then TLS ones, the order
// of server/worker.h): first by the address a socket is bound to (getsockname against the
// resolved --listen/--https-listen address), then by name: "http" takes the first unmatched
// --listen address, "https" the first unmatched --https-listen one (whose address is then
// replaced by the socket's, for the log and STATUS=). A socket matching neither is served
// too, as an extra listener appended to options.listen (or to options.httpsListen when its
// name is "https"). Returns, for each listener in order, the passed fd to serve or -1 (bind
// the address as usual). The caller owns the fds.
std::vector<int> assignListenSockets(const std::vector<PassedSocket>& passed,
                                     ServeOptions& options);

// What `torus serve` does with passed sockets: takes them, drops the default listener
// (127.0.0.1:8080) when neither the command line (argv) nor the config gave one, and assigns
// them (above). Returns, for each listener of `options` in order, the passed fd or -1; an
// error if a socket is not a listening one, or one named "https" has no certificate.
Result<std::vector<int>> adoptListenSockets(int argc, char** argv, ServeOptions& options);

// The sd_notify(3) side: readiness, reloads, stop, status lines and the watchdog.
class Notifier {
 public:
  // Reads NOTIFY_SOCKET and the watchdog settings (WATCHDOG_USEC, WATCHDOG_PID) once.
  Notifier();

  // Under a service manager that listens for notifications.
  bool active() const { return active_; }
  // Microseconds between watchdog pings (half of WATCHDOG_USEC), 0 when the watchdog is off.
  uint64_t watchdogIntervalUs() const { return intervalUs_; }

  void status(const std::string& text) const;
  // READY=1 with a status line and MAINPID.
  void ready(const std::string& statusText) const;
  // RELOADING=1 with MONOTONIC_USEC (the clock systemd compares against), and a status.
  void reloading(const std::string& statusText) const;
  void stopping(const std::string& statusText) const;
  void watchdogPing() const;

 private:
  bool active_ = false;
  uint64_t intervalUs_ = 0;
};

// The watchdog's view of the worker loops: the main thread posts a probe to every worker
// (Worker::probe) and a worker answers when its loop runs the posted task. A loop that is
// wedged (a handler spinning without a CPU limit, a deadlock) never answers.
class Watchdog {
 public:
  explicit Watchdog(const std::vector<std::unique_ptr<Worker>>& workers);

  // Posts a probe to every worker and waits until all have answered: each loop has turned
  // since, so every listener's accept is armed and every earlier post (a TLS reload) has
  // run. False after timeoutMs, with the workers that did not answer logged.
  bool awaitRound(uint64_t timeoutMs);

  // Waits for one of `signals` like sigwait(3), feeding the watchdog meanwhile: every
  // notifier.watchdogIntervalUs() it pings WATCHDOG=1 if every worker answered the probe
  // posted at the previous tick, and withholds the ping otherwise (logging the stuck
  // workers) so that systemd restarts a wedged service (WatchdogSec=).
  int waitForSignal(const sigset_t& signals, const Notifier& notifier);

 private:
  bool tick(uint64_t nowUs, uint64_t intervalUs);
  void postProbes();

  const std::vector<std::unique_ptr<Worker>>& workers_;
  uint64_t seq_ = 0;                  // the last probe posted
  uint64_t nextTickUs_ = 0;           // CLOCK_MONOTONIC of the next watchdog tick
  std::vector<uint64_t> stuckSince_;  // per worker: when it stopped answering, or 0
};

}  // namespace torus::server::systemd
