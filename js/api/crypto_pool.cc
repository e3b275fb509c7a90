#include "js/api/crypto_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "base/fault.h"
#include "base/log.h"
#include "engine/loop.h"
#include "js/api/crypto_bytes.h"
#include "js/binding.h"
#include "js/runtime.h"

namespace torus::js {

namespace {

// The process's helper threads: started on first use, never stopped (they sleep on the
// condition variable; the process exits around them). A job's state says whether its owner
// still waits for it: a job that timed out while queued is skipped, and the thread of one
// that timed out while running has been replaced (replace()) and ends when the job returns.
CryptoPoolOptions gPoolOptions;

enum JobState : int { kQueued, kRunning, kDone, kAbandoned };
using JobStatePtr = std::shared_ptr<std::atomic<int>>;

// Marks a job its owner gave up on as abandoned if it is still queued or running; returns
// which of the two it was, or kDone when it finished first (its outcome is on the way).
int abandon(std::atomic<int>& state) {
  int s = state.load();
  while ((s == kQueued || s == kRunning) && !state.compare_exchange_weak(s, kAbandoned)) {
  }
  return s;
}

// Threads started beyond the configured count to stand in for ones stuck in a job.
constexpr unsigned kMaxReplacements = 16;

class Pool {
 public:
  static Pool& get() {
    static Pool* pool = new Pool(gPoolOptions);
    return *pool;
  }
  // False when queueLimit tasks already wait.
  bool submit(JobStatePtr state, std::function<void()> task) {
    {
      std::lock_guard lock(mu_);
      if (tasks_.size() >= queueLimit_) return false;
      tasks_.push_back({std::move(state), std::move(task)});
    }
    cv_.notify_one();
    return true;
  }
  // A running job was given up on: another thread takes its thread's place, unless
  // kMaxReplacements are already standing in. False when none could be started.
  bool replace() {
    std::lock_guard lock(mu_);
    if (threads_ >= target_ + kMaxReplacements) return false;
    start();
    return true;
  }

 private:
  struct Task {
    JobStatePtr state;
    std::function<void()> run;
  };
  explicit Pool(const CryptoPoolOptions& options) : queueLimit_(options.queueLimit) {
    // By default half the cores (the workers have the others), at least one, at most four.
    target_ = options.threads ? options.threads
                              : std::clamp(std::thread::hardware_concurrency() / 2, 1u, 4u);
    std::lock_guard lock(mu_);
    for (unsigned i = 0; i < target_; ++i) start();
  }
  void start() {  // under mu_
    ++threads_;
    std::thread([this] { serve(); }).detach();
  }
  void serve() {
    for (;;) {
      Task task;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return !tasks_.empty(); });
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      int queued = kQueued;
      if (!task.state->compare_exchange_strong(queued, kRunning)) continue;  // timed out
      if (fault::at(fault::Point::kCryptoJob).kind == fault::Kind::kHang) {
        for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
      }
      task.run();
      int running = kRunning;
      if (!task.state->compare_exchange_strong(running, kDone)) {
        // Abandoned while it ran: a replacement serves in this thread's place.
        std::lock_guard lock(mu_);
        --threads_;
        return;
      }
    }
  }
  size_t queueLimit_;
  unsigned target_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> tasks_;
  unsigned threads_ = 0;
};

void settleOne(v8::Isolate* iso, v8::Local<v8::Context> ctx,
               v8::Local<v8::Promise::Resolver> resolver, CryptoOutcome&& out) {
  if (!out.errorName.empty()) {
    resolver->Reject(ctx, errorValue(iso, JsError::dom(out.errorName, out.message))).Check();
    return;
  }
  v8::Local<v8::Value> value;
  if (out.values.size() == 1) {
    value = toArrayBuffer(iso, std::move(out.values[0]));
  } else {
    v8::Local<v8::Array> array = v8::Array::New(iso, int(out.values.size()));
    for (size_t i = 0; i < out.values.size(); ++i) {
      array->Set(ctx, uint32_t(i), toArrayBuffer(iso, std::move(out.values[i]))).Check();
    }
    value = array;
  }
  resolver->Resolve(ctx, value).Check();
}

}  // namespace

// Loop thread, except `loop` (read by helpers under mu_).
class CryptoJobs final : public Settlement, public std::enable_shared_from_this<CryptoJobs> {
 public:
  explicit CryptoJobs(Runtime& runtime) : runtime_(&runtime), loop_(&runtime.loop()) {}

  v8::Local<v8::Promise> start(v8::Isolate* iso, CryptoWork work) {
    v8::Local<v8::Context> ctx = iso->GetCurrentContext();
    v8::Local<v8::Promise::Resolver> resolver = v8::Promise::Resolver::New(ctx).ToLocalChecked();
    uint64_t id = nextId_++;
    auto state = std::make_shared<std::atomic<int>>(kQueued);
    uint64_t timeoutMs = gPoolOptions.jobTimeoutMs;
    pending_.emplace(id, Job{v8::Global<v8::Promise::Resolver>(iso, resolver), state,
                             timeoutMs ? loop_->nowMs() + timeoutMs : 0, false});
    loop_->addExternal(1);
    std::shared_ptr<CryptoJobs> self = shared_from_this();
    auto task = [self, id, work = std::move(work)]() mutable { self->report(id, work()); };
    if (Pool::get().submit(state, task)) {
      if (timeoutMs && !timer_.armed()) timer_.arm(timeoutMs);
    } else {
      *state = kDone;
      task();
    }
    return resolver->GetPromise();
  }

  void detach() {
    {
      std::lock_guard lock(mu_);
      loop_ = nullptr;
    }
    timer_.cancel();
    runtime_ = nullptr;
    pending_.clear();
    results_.clear();
  }

  void settle(Realm& realm) override {
    queued_ = false;
    v8::Isolate* iso = realm.isolate();
    v8::Local<v8::Context> ctx = realm.context();
    v8::Context::Scope scope(ctx);
    std::vector<std::pair<uint64_t, CryptoOutcome>> results = std::move(results_);
    results_.clear();
    for (auto& [id, out] : results) {
      auto it = pending_.find(id);
      if (it == pending_.end()) continue;
      v8::Local<v8::Promise::Resolver> resolver = it->second.resolver.Get(iso);
      pending_.erase(it);
      settleOne(iso, ctx, resolver, std::move(out));
    }
    if (pending_.empty()) timer_.cancel();
  }

 private:
  struct Job {
    v8::Global<v8::Promise::Resolver> resolver;
    JobStatePtr state;
    uint64_t deadlineMs;  // 0: none
    bool finished;        // its outcome is in results_
  };

  // Any thread: hands the outcome to the loop.
  void report(uint64_t id, CryptoOutcome&& out) {
    std::lock_guard lock(mu_);
    if (!loop_) return;
    loop_->post([self = shared_from_this(), id, out = std::move(out)]() mutable {
      self->finished(id, std::move(out));
    });
  }
  // Loop thread.
  void finished(uint64_t id, CryptoOutcome&& out) {
    if (!runtime_) return;
    auto it = pending_.find(id);
    if (it == pending_.end() || it->second.finished) return;  // timed out before
    it->second.finished = true;
    loop_->addExternal(-1);
    results_.emplace_back(id, std::move(out));
    queueSettle();
  }
  void queueSettle() {
    if (!queued_) {
      queued_ = true;
      runtime_->queue(this);
    }
  }
  // Loop thread: jobs past their deadline are given up on (a helper thread that never
  // returns must not hold its request forever): rejected with an OperationError, and a
  // running one's thread replaced.
  void onTimeout() {
    uint64_t now = loop_->nowMs();
    uint64_t next = 0;
    for (auto& [id, job] : pending_) {
      if (job.finished || job.deadlineMs == 0) continue;
      if (job.deadlineMs > now) {
        next = next ? std::min(next, job.deadlineMs) : job.deadlineMs;
        continue;
      }
      int was = abandon(*job.state);
      if (was == kDone) continue;
      bool wasQueued = was == kQueued;
      bool replaced = !wasQueued && Pool::get().replace();
      LOG_WARN("crypto: a job %s for %llu ms: rejected%s", wasQueued ? "waited" : "ran",
               (unsigned long long)gPoolOptions.jobTimeoutMs,
               wasQueued ? "" : replaced ? "; its helper thread is replaced"
                                         : "; its helper thread could not be replaced (16 "
                                           "already stand in)");
      job.finished = true;
      loop_->addExternal(-1);
      CryptoOutcome out;
      out.errorName = "OperationError";
      out.message = "the operation did not finish within runtime.crypto_job_timeout_ms (" +
                    std::to_string(gPoolOptions.jobTimeoutMs) + " ms)";
      results_.emplace_back(id, std::move(out));
      queueSettle();
    }
    if (next) timer_.arm(next > now ? next - now : 0);
  }

  Runtime* runtime_;
  std::mutex mu_;
  engine::Loop* loop_;
  engine::MemberTimer<CryptoJobs, &CryptoJobs::onTimeout> timer_{*loop_, this};
  uint64_t nextId_ = 1;
  bool queued_ = false;
  std::unordered_map<uint64_t, Job> pending_;
  std::vector<std::pair<uint64_t, CryptoOutcome>> results_;
};

void configureCryptoPool(const CryptoPoolOptions& options) { gPoolOptions = options; }

std::shared_ptr<CryptoJobs> makeCryptoJobs(Runtime& runtime) {
  return std::make_shared<CryptoJobs>(runtime);
}

void detachCryptoJobs(CryptoJobs& jobs) { jobs.detach(); }

v8::Local<v8::Promise> startCryptoJob(v8::Isolate* iso, CryptoWork work) {
  auto* runtime = static_cast<Runtime*>(iso->GetData(1));
  if (!runtime) {
    // No worker loop (a bare realm in a unit test): run it here.
    v8::Local<v8::Context> ctx = iso->GetCurrentContext();
    v8::Local<v8::Promise::Resolver> resolver = v8::Promise::Resolver::New(ctx).ToLocalChecked();
    settleOne(iso, ctx, resolver, work());
    return resolver->GetPromise();
  }
  return runtime->cryptoJobs().start(iso, std::move(work));
}

}  // namespace torus::js
