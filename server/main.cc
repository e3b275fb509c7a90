// torus: serve a WinterTC-style module over HTTP/1.1 on io_uring, one V8 isolate per core.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/fault.h"
#include "base/log.h"
#include "js/api/url.h"
#include "js/builtins.h"
#include "js/http_app.h"
#include "js/realm.h"
#include "js/runtime.h"
#include "server/admin.h"
#include "server/config.h"
#include "server/listen.h"
#include "server/options.h"
#include "server/systemd.h"
#include "server/apps.h"
#include "server/worker.h"

#ifndef TORUS_VERSION
#define TORUS_VERSION "0.0.0"
#endif

namespace torus::server {
namespace {

constexpr const char* kUsage = R"(torus )" TORUS_VERSION R"( - JavaScript web apps on V8 and io_uring

Usage:
  torus serve ENTRY [options]   serve ENTRY's `export default { fetch(request, env, ctx) }`
  torus run FILE                run a module until the event loop is idle
  torus run --location URL ...  the same, with URL as the base of relative request URLs
                                (new Request("/x"), Response.redirect), like Deno's
                                --location; a server has none
  torus run --hosts-file FILE ...  the same, with fetch() resolving names from FILE (hosts(5)
                                format) instead of /etc/hosts; before or after --location
  torus run --script FILE...    run classic scripts in order in one global scope (sloppy
                                mode; top-level declarations are shared, as with <script>
                                tags); an uncaught error in one is reported and the next
                                still runs; then run until the event loop is idle
  torus eval CODE               evaluate CODE and print its value
  torus check CONFIG            check a config file (and the app it names) without serving;
                                every problem as FILE:LINE:COLUMN, exit 1 if any
  torus config-reference        print the config keys as a Markdown table
  torus --version | --help

)";

constexpr const char* kUsageSignals = R"(
Signals: SIGINT/SIGTERM stop accepting, finish in-flight requests, exit 0.
         SIGHUP (with --tls-reload) reloads the TLS certificates.
systemd: Type=notify (READY=1 once every listener accepts; RELOADING=1/READY=1 around a
         SIGHUP, which is always caught then), the watchdog (WatchdogSec=) fed while every
         worker's loop answers, socket activation (systemd/torus.socket); docs/deployment.md.
)";

[[noreturn]] void usageError(const std::string& msg) {
  fprintf(stderr, "torus: %s\nRun 'torus --help' for usage.\n", msg.c_str());
  exit(2);
}

void printUsage(FILE* to) {
  fputs(kUsage, to);
  fputs(serveOptionsHelp().c_str(), to);
  fputs(kUsageSignals, to);
}

// Flags are usage errors (exit 2); a config file's problems are config errors (exit 1).
ServeOptions parseServe(int argc, char** argv) {
  ServeOptions o;
  std::vector<ConfigProblem> problems = parseServeArgs(argc, argv, o);
  if (problems.empty()) problems = finishServeOptions(o);
  if (problems.empty()) return o;
  bool fromFile = false;
  for (const ConfigProblem& p : problems) {
    fprintf(stderr, "torus: %s\n", p.text().c_str());
    fromFile = fromFile || !p.file.empty() || p.environment;
  }
  if (!fromFile) fputs("Run 'torus --help' for usage.\n", stderr);
  exit(fromFile ? 1 : 2);
}

// "app shop (shop/app.js)", or "3 apps: shop, api, admin".
std::string appList(const ServeOptions& o) {
  if (o.apps.size() == 1) return "app " + o.apps[0].name + " (" + o.apps[0].entry + ")";
  std::string names;
  for (const AppOptions& a : o.apps) names += (names.empty() ? "" : ", ") + a.name;
  return std::to_string(o.apps.size()) + " apps: " + names;
}

// A reload's new settings: the command line again (its --config file read anew), checked as
// at start, each app loaded once here. What only a restart can change (listeners, workers,
// the engine) is kept from `running`, with a warning. Returns "" or why it is refused.
std::string prepareReload(int argc, char** argv, const ServeOptions& running, ServeOptions& next) {
  std::vector<ConfigProblem> problems = parseServeArgs(argc, argv, next);
  if (problems.empty()) problems = finishServeOptions(next);
  if (!problems.empty()) {
    std::string text;
    for (const ConfigProblem& p : problems) text += (text.empty() ? "" : "; ") + p.text();
    return text;
  }
  auto same = [](const std::vector<ListenAddress>& a, const std::vector<ListenAddress>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i].host != b[i].host || a[i].port != b[i].port) return false;
    }
    return true;
  };
  if (!same(running.listen, next.listen) || !same(running.httpsListen, next.httpsListen) ||
      !same(running.adminListen, next.adminListen) || running.workers != next.workers) {
    LOG_WARN("reload: listeners and workers change only on a restart; kept as they are");
  }
  if (!running.httpsListen.empty() && next.tls.certificates.empty()) {
    return "the HTTPS listeners need a certificate";
  }
  auto loop = engine::Loop::create(engine::LoopOptions{64, 16, 4096});
  if (!loop.ok()) return loop.error();
  for (const AppOptions& a : next.apps) {
    Result<void> loaded = checkApp(**loop, next.runtime, a);
    if (!loaded.ok()) return "app '" + a.name + "': " + loaded.error();
  }
  return "";
}

int serve(int argc, char** argv) {
  ServeOptions options = parseServe(argc, argv);
  js::configureCryptoPool(options.cryptoPool);
  systemd::Notifier notifier;  // sd_notify(3); does nothing outside a service manager
  // Signals go to this thread only (sigwait below); workers inherit the blocked mask. Under
  // systemd SIGHUP is `systemctl reload` (ExecReload=): caught even without --tls-reload.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);  // reload (server/apps.h); `systemctl reload` under systemd
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  notifier.status("starting: loading " + appList(options));

  // Socket activation: sockets passed by systemd stand in for the listeners they match.
  auto passedFds = systemd::adoptListenSockets(argc, argv, options);
  if (!passedFds.ok()) {
    fprintf(stderr, "torus: %s\n", passedFds.error().c_str());
    return 1;
  }

  // Certificates and keys are checked before anything starts: a clear error, exit 1.
  if (!options.httpsListen.empty()) {
    auto tls = net::TlsServerContext::create(options.tls);
    if (!tls.ok()) {
      fprintf(stderr, "torus: %s\n", tls.error().c_str());
      return 1;
    }
  }

  // One socket per worker per address. A port in use is reported before anything starts.
  std::vector<std::vector<int>> fds(options.workers);
  std::vector<ListenAddress> addresses = options.listen;  // plain first, then TLS (worker.h)
  addresses.insert(addresses.end(), options.httpsListen.begin(), options.httpsListen.end());
  for (size_t a = 0; a < addresses.size(); ++a) {
    const ListenAddress& addr = addresses[a];
    options.sharedListeners.push_back((*passedFds)[a] >= 0);
    if (int passed = (*passedFds)[a]; passed >= 0) {  // every worker's ring accepts on it
      for (unsigned w = 0; w < options.workers; ++w) {
        fds[w].push_back(w == 0 ? passed : fcntl(passed, F_DUPFD_CLOEXEC, 0));
      }
      continue;
    }
    if (addr.port != 0) {
      auto probe = openListener(addr, true);
      if (!probe.ok()) {
        fprintf(stderr, "torus: %s\n", probe.error().c_str());
        return 1;
      }
      close(*probe);
    }
    for (unsigned w = 0; w < options.workers; ++w) {
      auto fd = openListener(addr, false);
      if (!fd.ok()) {
        fprintf(stderr, "torus: %s\n", fd.error().c_str());
        return 1;
      }
      fds[w].push_back(*fd);
    }
  }

  js::V8Process v8;
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::future<Result<void>>> ready;
  for (unsigned w = 0; w < options.workers; ++w) {
    workers.push_back(std::make_unique<Worker>(w, options, fds[w]));
    ready.push_back(workers.back()->start());
  }
  std::string failure;
  for (auto& f : ready) {
    Result<void> r = f.get();
    if (!r.ok() && failure.empty()) failure = r.error();
  }
  if (!failure.empty()) {
    fprintf(stderr, "torus: %s\n", failure.c_str());
    for (auto& w : workers) w->requestStop();
    for (auto& w : workers) w->join();
    return 1;
  }
  std::string where;
  for (const ListenAddress& addr : options.listen) where += " http://" + addr.text() + "/";
  for (const ListenAddress& addr : options.httpsListen) where += " https://" + addr.text() + "/";
  // The admin listener, once the workers it reports on are up.
  std::unique_ptr<AdminServer> admin;
  if (!options.adminListen.empty()) {
    auto fd = openListener(options.adminListen[0], false);
    std::vector<Worker*> list;
    for (auto& w : workers) list.push_back(w.get());
    auto started = fd.ok() ? AdminServer::start(*fd, options, std::move(list))
                           : Result<std::unique_ptr<AdminServer>>(makeError(fd.error()));
    if (!started.ok()) {
      fprintf(stderr, "torus: admin listener: %s\n", started.error().c_str());
      for (auto& w : workers) w->requestStop();
      for (auto& w : workers) w->join();
      return 1;
    }
    admin = std::move(started).value();
    where += " (admin http://" + options.adminListen[0].text() + "/metrics)";
  }
  // READY=1 once every worker's loop has turned, so every listener's accept is armed.
  systemd::Watchdog watchdog(workers);
  watchdog.awaitRound(10'000);
  LOG_INFO("serving %s on%s with %u worker(s)", appList(options).c_str(), where.c_str(),
           options.workers);
  std::string serving = "serving on" + where + " with " + std::to_string(options.workers) +
                        " worker(s)";
  notifier.ready(serving);
  auto configStatus = [&](const ServeOptions& o, const std::string& lastReload) {
    if (!admin) return;
    std::string text;
    for (const AppOptions& a : o.apps) {
      text += "app " + a.name + ": " + a.entry;
      for (const std::string& h : a.hosts) text += " host=" + h;
      for (const std::string& p : a.paths) text += " path=" + p;
      text += "\n";
    }
    text += "last reload: " + (lastReload.empty() ? std::string("none") : lastReload) + "\n";
    admin->setConfigStatus(text);
  };
  configStatus(options, "");

  // Reloads: each config read, checked and applied is kept until the next one is applied
  // (the workers' apps copy what they need; the TLS contexts are rebuilt from it).
  std::unique_ptr<ServeOptions> current;
  int sig = 0;
  for (;;) {
    sig = watchdog.waitForSignal(signals, notifier);
    if (sig != SIGHUP) break;
    notifier.reloading("reloading");
    std::string outcome;
    auto next = std::make_unique<ServeOptions>();
    if (std::string refused = prepareReload(argc, argv, options, *next); !refused.empty()) {
      LOG_WARN("SIGHUP: reload refused, the running apps keep serving: %s", refused.c_str());
      notifier.ready(serving + "; reload refused: " + refused);
      configStatus(current ? *current : options, logTimestamp() + " refused: " + refused);
      continue;
    }
    // Every worker applies it; they check the same files, so one failing means the files
    // changed meanwhile (the others then run the new set: logged, and the next reload
    // evens them out).
    std::mutex mu;
    std::condition_variable cv;
    size_t left = workers.size();
    std::string failure;
    for (auto& w : workers) {
      w->reload(*next, !options.httpsListen.empty(), [&](Result<void> r) {
        std::lock_guard lock(mu);
        if (!r.ok() && failure.empty()) failure = r.error();
        if (--left == 0) cv.notify_one();
      });
    }
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return left == 0; });
    }
    if (!failure.empty()) {
      LOG_WARN("SIGHUP: reload refused by a worker: %s", failure.c_str());
      notifier.ready(serving + "; reload refused: " + failure);
      configStatus(current ? *current : options, logTimestamp() + " refused: " + failure);
      continue;
    }
    current = std::move(next);
    LOG_INFO("SIGHUP: reloaded (%s)", appList(*current).c_str());
    configStatus(*current, logTimestamp() + " ok");
    notifier.ready(serving);
  }
  notifier.stopping("stopping: finishing in-flight requests");
  LOG_INFO("%s: stopping (in-flight requests get %u ms; send it again to quit now)",
           strsignal(sig), options.shutdownTimeoutMs);
  if (admin) admin->setStopping();
  for (auto& w : workers) w->requestStop();
  // A second signal while the workers finish quits at once.
  std::atomic<bool> stopped{false};
  std::thread second([&] {
    timespec tick{0, 100'000'000};
    while (!stopped.load()) {
      int got = sigtimedwait(&signals, nullptr, &tick);
      if (got > 0 && got != SIGHUP) _exit(1);
      notifier.watchdogPing();  // the shutdown is bounded by --shutdown-timeout
    }
  });
  for (auto& w : workers) w->join();
  if (admin) admin->stop();  // after the workers: they may still answer its collections
  stopped.store(true);
  second.join();
  for (auto& list : fds) {
    for (int fd : list) close(fd);
  }
  return 0;
}

// `torus check CONFIG`: the file, the options it gives, then the app loaded as a worker
// loads it (so an import that fails or throws is found before a deploy).
int checkConfig(const std::string& path) {
  ServeOptions options;
  std::vector<ConfigProblem> problems = loadConfigFile(path, options);
  if (options.configPath.empty()) {  // unreadable, or not TOML
    for (const ConfigProblem& p : problems) fprintf(stderr, "%s\n", p.text().c_str());
    return 1;
  }
  std::vector<ConfigProblem> more = finishServeOptions(options);
  problems.insert(problems.end(), more.begin(), more.end());
  if (problems.empty()) {
    auto loop = engine::Loop::create(engine::LoopOptions{64, 16, 4096});
    if (!loop.ok()) {
      fprintf(stderr, "torus: %s\n", loop.error().c_str());
      return 1;
    }
    js::V8Process v8;
    for (size_t i = 0; i < options.apps.size(); ++i) {
      Result<void> loaded = checkApp(**loop, options.runtime, options.apps[i]);
      if (loaded.ok()) continue;
      auto at = options.origins.find("app." + std::to_string(i) + ".entry");
      if (at == options.origins.end()) at = options.origins.find("app." + std::to_string(i));
      problems.push_back({path, at == options.origins.end() ? 1 : at->second.first,
                          at == options.origins.end() ? 1 : at->second.second, loaded.error()});
    }
  }
  for (const ConfigProblem& p : problems) fprintf(stderr, "%s\n", p.text().c_str());
  if (!problems.empty()) return 1;
  printf("%s: ok (%s, %zu HTTP and %zu HTTPS listener(s), %u worker(s))\n", path.c_str(),
         appList(options).c_str(), options.listen.size(), options.httpsListen.size(),
         options.workers);
  return 0;
}

// `torus run FILE`, `torus run --script FILE...` and `torus eval CODE`: one runtime on this
// thread, until idle.
enum class RunMode { kModule, kScripts, kEval };

int runOrEval(RunMode mode, const std::vector<std::string>& args, const std::string& location,
              const std::string& hostsFile) {
  auto loop = engine::Loop::create(engine::LoopOptions{64, 16, 4096});
  if (!loop.ok()) {
    fprintf(stderr, "torus: %s\n", loop.error().c_str());
    return 1;
  }
  js::V8Process v8;
  int code = 0;
  OutboundOptions outboundOptions;
  if (const char* ca = getenv("SSL_CERT_FILE")) outboundOptions.tls.caFile = ca;
  if (!hostsFile.empty()) outboundOptions.dns.hostsFile = hostsFile;
  auto outbound = Outbound::create(**loop, outboundOptions);
  if (!outbound.ok()) {
    fprintf(stderr, "torus: %s\n", outbound.error().c_str());
    return 1;
  }
  {
    js::RuntimeOptions options;
    options.realm.baseUrl = location;
    options.httpClient = (*outbound)->client.get();
    js::Runtime runtime(**loop, options);
    if (mode == RunMode::kEval) {
      auto r = runtime.evalScript(args[0], "[eval]");
      if (!r.ok()) {
        fprintf(stderr, "%s\n", r.error().c_str());
        return 1;
      }
      if (*r != "undefined") printf("%s\n", r->c_str());
    } else if (mode == RunMode::kScripts) {
      // Like a page's <script> elements: each one compiles and runs on its own, so a throw
      // in one does not stop the next (the WPT runner relies on this to report it).
      for (const std::string& file : args) {
        std::ifstream in(file, std::ios::binary);
        if (!in.is_open()) {
          fprintf(stderr, "torus: cannot read '%s'\n", file.c_str());
          return 1;
        }
        std::stringstream source;
        source << in.rdbuf();
        auto r = runtime.evalScript(source.str(), file);
        if (!r.ok()) fprintf(stderr, "%s\n", r.error().c_str());
      }
    } else {
      auto m = runtime.loadModule(args[0]);
      if (!m.ok()) {
        fprintf(stderr, "torus: %s\n", m.error().c_str());
        return 1;
      }
    }
    runtime.runUntilIdle();
    if (runtime.failures() > 0) code = 1;
  }
  fflush(stdout);
  return code;
}

}  // namespace

}  // namespace torus::server

int main(int argc, char** argv) {
  using namespace torus::server;
  signal(SIGPIPE, SIG_IGN);
  if (const char* faults = getenv("TORUS_FAULTS"); faults && *faults) {
    if (auto r = torus::fault::configure(faults); !r) {
      fprintf(stderr, "torus: %s\n", r.error().c_str());
      return 2;
    }
    LOG_WARN("fault injection is on (TORUS_FAULTS=%s): for tests only",
             torus::fault::describe().c_str());
  }
  // Before any isolate: the first one compiles the built-ins from the build's code cache.
  torus::js::useEmbeddedCodeCache(torus::js::kEmbeddedCodeCache);
  if (argc < 2) {
    printUsage(stderr);
    return 2;
  }
  std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    printUsage(stdout);
    return 0;
  }
  if (cmd == "--version" || cmd == "-v") {
    printf("torus %s (V8 %s)\n", TORUS_VERSION, v8::V8::GetVersion());
    return 0;
  }
  if (cmd == "serve") return serve(argc, argv);
  if (cmd == "check") {
    if (argc != 3) usageError("check needs one CONFIG file");
    return checkConfig(argv[2]);
  }
  if (cmd == "config-reference") {
    fputs(configReference().c_str(), stdout);
    return 0;
  }
  // `run --location URL ...`: relative request URLs resolve against URL. `run --hosts-file
  // FILE ...`: fetch() resolves names from FILE instead of /etc/hosts. Either order.
  std::string location;
  std::string hostsFile;
  while (cmd == "run" && argc >= 3) {
    std::string flag = argv[2];
    if (flag != "--location" && flag != "--hosts-file") break;
    if (argc < 4) usageError("run " + flag + " needs a value");
    if (flag == "--location") {
      if (!torus::js::parseUrl(argv[3])) usageError(std::string("invalid --location URL '") + argv[3] + "'");
      location = torus::js::parseUrl(argv[3]).value();
    } else {
      hostsFile = argv[3];
      if (access(hostsFile.c_str(), R_OK) != 0) {
        usageError("cannot read --hosts-file '" + hostsFile + "': " + strerror(errno));
      }
    }
    for (int i = 2; i + 2 < argc; ++i) argv[i] = argv[i + 2];
    argc -= 2;
  }
  if (cmd == "run" && argc >= 3 && std::string(argv[2]) == "--script") {
    if (argc < 4) usageError("run --script needs at least one FILE");
    std::vector<std::string> files(argv + 3, argv + argc);
    for (const std::string& file : files) {
      if (access(file.c_str(), R_OK) != 0) {
        fprintf(stderr, "torus: cannot open '%s': %s\n", file.c_str(), strerror(errno));
        return 1;
      }
    }
    return runOrEval(RunMode::kScripts, files, location, hostsFile);
  }
  if (cmd == "run" || cmd == "eval") {
    if (argc != 3) usageError(cmd + (cmd == "run" ? " needs one FILE" : " needs one CODE"));
    if (cmd == "run" && access(argv[2], R_OK) != 0) {
      fprintf(stderr, "torus: cannot open '%s': %s\n", argv[2], strerror(errno));
      return 1;
    }
    return runOrEval(cmd == "eval" ? RunMode::kEval : RunMode::kModule, {argv[2]}, location, hostsFile);
  }
  usageError("unknown command '" + cmd + "'");
}
