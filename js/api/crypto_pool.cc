#include "js/api/crypto_pool.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "js/api/crypto_bytes.h"
#include "js/binding.h"
#include "js/runtime.h"

namespace torus::js {

namespace {

// The process's helper threads: started on first use, never stopped (they sleep on the
// condition variable; the process exits around them).
CryptoPoolOptions gPoolOptions;

class Pool {
 public:
  static Pool& get() {
    static Pool* pool = new Pool(gPoolOptions);
    return *pool;
  }
  // False when queueLimit tasks already wait.
  bool submit(std::function<void()> task) {
    {
      std::lock_guard lock(mu_);
      if (tasks_.size() >= queueLimit_) return false;
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
    return true;
  }

 private:
  explicit Pool(const CryptoPoolOptions& options) : queueLimit_(options.queueLimit) {
    // By default half the cores (the workers have the others), at least one, at most four.
    unsigned n = options.threads ? options.threads
                                 : std::clamp(std::thread::hardware_concurrency() / 2, 1u, 4u);
    for (unsigned i = 0; i < n; ++i) std::thread([this] { serve(); }).detach();
  }
  void serve() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return !tasks_.empty(); });
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }
  size_t queueLimit_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
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
    pending_.emplace(id, v8::Global<v8::Promise::Resolver>(iso, resolver));
    loop_->addExternal(1);
    std::shared_ptr<CryptoJobs> self = shared_from_this();
    auto task = [self, id, work = std::move(work)]() mutable { self->report(id, work()); };
    if (!Pool::get().submit(task)) task();
    return resolver->GetPromise();
  }

  void detach() {
    {
      std::lock_guard lock(mu_);
      loop_ = nullptr;
    }
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
      v8::Local<v8::Promise::Resolver> resolver = it->second.Get(iso);
      pending_.erase(it);
      settleOne(iso, ctx, resolver, std::move(out));
    }
  }

 private:
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
    loop_->addExternal(-1);
    results_.emplace_back(id, std::move(out));
    if (!queued_) {
      queued_ = true;
      runtime_->queue(this);
    }
  }

  Runtime* runtime_;
  std::mutex mu_;
  engine::Loop* loop_;
  uint64_t nextId_ = 1;
  bool queued_ = false;
  std::unordered_map<uint64_t, v8::Global<v8::Promise::Resolver>> pending_;
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
