#include "js/runtime.h"

#include <limits.h>
#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/log.h"
#include "js/binding.h"
#include "js/globals.h"
#include "js/module_resolver.h"

namespace torus::js {

Runtime::Runtime(engine::Loop& loop, const RuntimeOptions& options)
    : loop_(loop), options_(options), realm_(std::make_unique<Realm>(options.realm)) {
  v8::Isolate* iso = realm_->isolate();
  v8::HandleScope scope(iso);
  iso->SetHostInitializeImportMetaObjectCallback(&Runtime::initImportMeta);
  iso->SetHostImportModuleDynamicallyCallback(&Runtime::dynamicImport);
  iso->SetPromiseRejectCallback(&Runtime::onPromiseReject);
  reportedMark_.Set(iso, v8::Private::New(iso));
  iso->SetData(1, this);

  installGlobals(*realm_);
  timers_ = std::make_unique<Timers>(*realm_, loop_, options.maxTimers);
  timers_->install();
  if (options.realm.maxHeapBytes) iso->AddNearHeapLimitCallback(&Runtime::nearHeapLimit, this);
  drainHook_ = loop_.addDrainHook([this] { drain(); });
}

void Runtime::terminate(Termination why) {
  Termination none = Termination::kNone;
  if (!terminated_.compare_exchange_strong(none, why, std::memory_order_acq_rel)) return;
  realm_->isolate()->TerminateExecution();
}

size_t Runtime::nearHeapLimit(void* data, size_t current, size_t initial) {
  auto* self = static_cast<Runtime*>(data);
  self->terminate(Termination::kHeap);
  // Room to unwind; the isolate is recycled as soon as the drain ends.
  return current + std::max<size_t>(initial / 2, 16u << 20);
}

void Runtime::leaveJs() {
  enterJs();
  Termination why = terminated();
  if (why == Termination::kNone || dead_) return;
  dead_ = true;
  if (onTerminated_) onTerminated_(why);
}

Runtime::~Runtime() {
  loop_.removeDrainHook(drainHook_);
  realm_->makeCurrent();
  v8::HandleScope scope(realm_->isolate());
  if (cryptoJobs_) detachCryptoJobs(*cryptoJobs_);
  timers_.reset();
  rejections_.clear();
  handledLater_.clear();
  modulesByHash_.clear();
  modulesByKey_.clear();
  realm_.reset();
}

std::vector<std::string> Runtime::moduleFiles() const {
  std::vector<std::string> files;
  for (const auto& [key, record] : modulesByKey_) {
    if (!record->path.empty() && record->path[0] == '/') files.push_back(record->path);
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

void Runtime::drain() {
  if (dead_) return;
  realm_->makeCurrent();
  enterJs();
  struct Leave {
    Runtime* self;
    ~Leave() { self->leaveJs(); }
  } leave{this};
  v8::HandleScope scope(realm_->isolate());
  bool ranJs = false;
  if (timers_->hasFired()) {
    timers_->runFired();
    ranJs = true;
  }
  for (size_t i = 0; i < participants_.size(); ++i) {
    if (participants_[i]->beforeCheckpoint()) ranJs = true;
  }
  // In order; one a settlement queues (rare) runs in this drain too.
  while (Settlement* s = settlementHead_) {
    settlementHead_ = s->nextSettlement_;
    if (!settlementHead_) settlementTail_ = nullptr;
    s->nextSettlement_ = nullptr;
    ++settlementsRun_;
    ranJs = true;
    v8::HandleScope inner(realm_->isolate());
    s->settle(*realm_);
  }
  // No JS ran, so no microtask can be queued: skip the checkpoint.
  if (!ranJs) return;
  realm_->checkpoint();
  // Responses that started streaming run their pumps' first steps in a checkpoint of their
  // own (bounded: what keeps queueing waits for the next drain).
  for (int round = 0; round < 4 && afterCheckpoint(); ++round) realm_->checkpoint();
  // Listeners of 'unhandledrejection' are a task: their microtasks run before the drain
  // ends (and may reject more promises; bounded, the rest waits for the next drain).
  for (int round = 0; round < 8 && hasRejections(); ++round) {
    if (!reportRejections()) break;
    realm_->checkpoint();
    if (afterCheckpoint()) realm_->checkpoint();
  }
}

bool Runtime::afterCheckpoint() {
  bool ranJs = false;
  for (size_t i = 0; i < participants_.size(); ++i) {
    if (participants_[i]->afterCheckpoint()) ranJs = true;
  }
  return ranJs;
}

void Runtime::addParticipant(DrainParticipant* p) { participants_.push_back(p); }

void Runtime::removeParticipant(DrainParticipant* p) {
  participants_.erase(std::remove(participants_.begin(), participants_.end(), p),
                      participants_.end());
}

CryptoJobs& Runtime::cryptoJobs() {
  if (!cryptoJobs_) cryptoJobs_ = makeCryptoJobs(*this);
  return *cryptoJobs_;
}

void Runtime::queue(Settlement* s) {
  if (settlementTail_) {
    settlementTail_->nextSettlement_ = s;
  } else {
    settlementHead_ = s;
  }
  settlementTail_ = s;
}

void Runtime::runUntilIdle() {
  while (loop_.hasForegroundWork()) loop_.runOnce(-1);
}

// ---- errors ----

std::string Runtime::formatException(v8::TryCatch& tc) {
  v8::Isolate* iso = realm_->isolate();
  v8::Local<v8::Context> ctx = realm_->context();
  v8::Local<v8::Message> msg = tc.Message();
  std::string out;
  if (!msg.IsEmpty()) {
    std::string file = utf8(iso, msg->GetScriptResourceName());
    int line = msg->GetLineNumber(ctx).FromMaybe(0);
    int col = msg->GetStartColumn(ctx).FromMaybe(0) + 1;
    out = file + ":" + std::to_string(line) + ":" + std::to_string(col) + ": ";
    v8::Local<v8::String> source;
    if (msg->GetSourceLine(ctx).ToLocal(&source)) {
      std::string text = utf8(iso, source);
      if (text.size() < 300) {
        out += utf8(iso, msg->Get()) + "\n    " + text + "\n    " +
               std::string(size_t(std::max(col - 1, 0)), ' ') + "^";
        v8::Local<v8::Value> stack;
        if (tc.StackTrace(ctx).ToLocal(&stack) && stack->IsString()) {
          std::string s = utf8(iso, stack);
          size_t nl = s.find('\n');
          if (nl != std::string::npos) out += s.substr(nl);
        }
        return out;
      }
    }
  }
  return out + realm_->describe(tc.Exception());
}

void Runtime::onPromiseReject(v8::PromiseRejectMessage message) {
  v8::Local<v8::Promise> promise = message.GetPromise();
  v8::Isolate* iso = promise->GetIsolate();
  auto* self = static_cast<Runtime*>(iso->GetData(1));
  switch (message.GetEvent()) {
    case v8::kPromiseRejectWithNoHandler:
      self->rejections_.push_back(
          {v8::Global<v8::Promise>(iso, promise), v8::Global<v8::Value>(iso, message.GetValue()),
           v8::Global<v8::Value>(
               iso, iso->GetCurrentContext()->GetContinuationPreservedEmbedderData())});
      break;
    case v8::kPromiseHandlerAddedAfterReject: {
      auto& list = self->rejections_;
      for (auto it = list.begin(); it != list.end(); ++it) {
        if (it->promise == promise) {
          list.erase(it);
          return;
        }
      }
      // Reported as unhandled in an earlier drain: 'rejectionhandled' follows (once: V8 calls
      // this only for the first handler).
      v8::Local<v8::Context> ctx = iso->GetCurrentContext();
      v8::Local<v8::Private> mark = self->reportedMark_.Get(iso);
      if (promise->HasPrivate(ctx, mark).FromMaybe(false)) {
        promise->DeletePrivate(ctx, mark).Check();
        self->handledLater_.emplace_back(iso, promise);
      }
      break;
    }
    default:
      break;
  }
}

bool Runtime::reportRejections() {
  v8::Isolate* iso = realm_->isolate();
  v8::Local<v8::Context> ctx = realm_->context();
  bool ranJs = false;
  // Not loaded (js/builtins/11_event.js is lazy): no listener can exist.
  auto handled = std::move(handledLater_);
  handledLater_.clear();
  v8::Local<v8::Function> handledEvent = realm_->helper("rejectionHandled", false);
  for (size_t i = 0; i < handled.size() && !handledEvent.IsEmpty(); ++i) {
    v8::HandleScope scope(iso);
    v8::TryCatch tc(iso);
    v8::Local<v8::Promise> promise = handled[i].Get(iso);
    v8::Local<v8::Value> args[] = {promise, promise->Result()};
    ranJs = true;
    if (handledEvent->Call(ctx, v8::Undefined(iso), 2, args).IsEmpty() && tc.HasTerminated()) {
      return ranJs;
    }
  }
  auto list = std::move(rejections_);
  rejections_.clear();
  v8::Local<v8::Function> dispatch = realm_->helper("unhandledRejection", false);
  v8::Local<v8::Private> mark = reportedMark_.Get(iso);
  for (Rejection& r : list) {
    v8::HandleScope scope(iso);
    v8::Local<v8::Promise> promise = r.promise.Get(iso);
    // Handled meanwhile by the runtime itself (MarkAsHandled: a fetch handler's rejection
    // already answered 500 and was logged), or by user code, so not unhandled.
    if (promise->HasHandler()) continue;
    v8::Local<v8::Value> reason = r.reason.Get(iso);
    bool canceled = false;
    if (!dispatch.IsEmpty()) {
      ranJs = true;
      v8::TryCatch tc(iso);
      v8::Local<v8::Value> args[] = {promise, reason};
      v8::Local<v8::Value> notCanceled;
      if (dispatch->Call(ctx, v8::Undefined(iso), 2, args).ToLocal(&notCanceled)) {
        canceled = !notCanceled->BooleanValue(iso);  // preventDefault()
      } else if (tc.HasTerminated()) {
        return ranJs;
      }
    }
    // Still unhandled after the listeners (canceled or not): a handler added later is
    // announced by 'rejectionhandled'.
    if (!promise->HasHandler()) promise->SetPrivate(ctx, mark, v8::True(iso)).Check();
    if (canceled) continue;
    std::string what = "Unhandled promise rejection";
    std::string request = requestOf(r.during.Get(iso));
    if (!request.empty()) what += " (in " + request + ")";
    realm_->reportError(what.c_str(), reason);
  }
  return ranJs;
}

// "GET http://host/path" for the Request object a rejection descends from (HttpApp sets it
// as the continuation-preserved embedder data of its fetch call); "" if none, or if the
// request has ended since.
std::string Runtime::requestOf(v8::Local<v8::Value> during) {
  if (during.IsEmpty() || !during->IsObject()) return "";
  v8::Isolate* iso = realm_->isolate();
  v8::Local<v8::Context> ctx = realm_->context();
  v8::TryCatch tc(iso);
  v8::Local<v8::Object> request = during.As<v8::Object>();
  v8::Local<v8::Value> method, url;
  if (!request->Get(ctx, realm_->internalized("method")).ToLocal(&method) ||
      !request->Get(ctx, realm_->internalized("url")).ToLocal(&url) || !method->IsString() ||
      !url->IsString()) {
    return "a request that has ended";
  }
  return utf8(iso, method) + " " + utf8(iso, url);
}

// ---- modules ----

namespace {

// The module type an import asks for through its attributes (`with { type: "json" }`):
// entries are [key, value, (source offset)] groups of `stride`.
Result<bool> wantsJson(v8::Isolate* iso, v8::Local<v8::FixedArray> attributes, int stride) {
  bool json = false;
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  for (int i = 0; i + 1 < attributes->Length(); i += stride) {
    std::string key = utf8(iso, attributes->Get(ctx, i).As<v8::Value>());
    std::string value = utf8(iso, attributes->Get(ctx, i + 1).As<v8::Value>());
    if (key != "type") return makeError("unsupported import attribute '" + key + "'");
    if (value != "json") return makeError("unsupported module type '" + value + "'");
    json = true;
  }
  return json;
}

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Result<v8::Local<v8::Module>> Runtime::compileModule(const ModuleLocation& where, bool json) {
  v8::Isolate* iso = realm_->isolate();
  v8::Local<v8::Context> ctx = realm_->context();
  std::string key = (json ? "json:" : "") + where.key;
  auto it = modulesByKey_.find(key);
  if (it != modulesByKey_.end()) return it->second->module.Get(iso);
  std::string source;
  bool jsonContent = false;
  // A data: URL's own text, shortened, names it in messages and stack traces.
  std::string name = where.key;
  if (where.isDataUrl) {
    Result<DataUrl> data = decodeDataUrl(where.key);
    if (!data.ok()) return makeError("cannot import '" + where.key.substr(0, 64) + "': " + data.error());
    jsonContent = data->mimeType == "application/json";
    if (!jsonContent && data->mimeType != "text/javascript" &&
        data->mimeType != "application/javascript") {
      return makeError("cannot import a data: URL of type '" + data->mimeType +
                       "' (text/javascript or application/json)");
    }
    source = std::move(data->body);
    if (name.size() > 64) name = name.substr(0, 61) + "...";
  } else {
    if (!readFile(where.key, &source)) {
      return makeError("cannot read module '" + where.key + "': " + strerror(errno));
    }
    jsonContent = endsWith(where.key, ".json");
  }
  if (jsonContent && !json) {
    return makeError("'" + name + "' is a JSON module: import it with { type: \"json\" }");
  }
  auto record = std::make_unique<ModuleRecord>();
  record->path = where.key;
  v8::Local<v8::Module> module;
  v8::TryCatch tc(iso);
  if (json) {
    v8::Local<v8::Value> value;
    if (!v8::JSON::Parse(ctx, v8Str(iso, source)).ToLocal(&value)) {
      return makeError(name + ": invalid JSON module: " + realm_->describe(tc.Exception()));
    }
    record->json.Reset(iso, value);
    v8::Local<v8::String> exports[] = {realm_->internalized("default")};
    module = v8::Module::CreateSyntheticModule(
        iso, v8Str(iso, name), std::vector<v8::Local<v8::String>>(exports, exports + 1),
        &Runtime::evaluateJsonModule);
  } else {
    v8::ScriptOrigin origin(iso, v8Str(iso, name), 0, 0, false, -1, {}, false, false, true);
    v8::ScriptCompiler::Source src(v8Str(iso, rewriteImportAttributes(std::move(source))),
                                   origin);
    if (!v8::ScriptCompiler::CompileModule(iso, &src).ToLocal(&module)) {
      return makeError(formatException(tc));
    }
  }
  record->module.Reset(iso, module);
  modulesByHash_.emplace(module->GetIdentityHash(), record.get());
  modulesByKey_.emplace(key, std::move(record));
  return module;
}

v8::MaybeLocal<v8::Value> Runtime::evaluateJsonModule(v8::Local<v8::Context> context,
                                                      v8::Local<v8::Module> module) {
  v8::Isolate* iso = context->GetIsolate();
  auto* self = static_cast<Runtime*>(iso->GetData(1));
  const ModuleRecord* rec = self->recordFor(module);
  if (module->SetSyntheticModuleExport(iso, self->realm_->internalized("default"),
                                       rec->json.Get(iso))
          .IsNothing()) {
    return {};
  }
  auto resolver = v8::Promise::Resolver::New(context).ToLocalChecked();
  resolver->Resolve(context, v8::Undefined(iso)).Check();
  return resolver->GetPromise();
}

const Runtime::ModuleRecord* Runtime::recordFor(v8::Local<v8::Module> module) {
  auto range = modulesByHash_.equal_range(module->GetIdentityHash());
  for (auto it = range.first; it != range.second; ++it) {
    if (it->second->module == module) return it->second;
  }
  return nullptr;
}

v8::MaybeLocal<v8::Module> Runtime::resolve(v8::Local<v8::Context> context,
                                            v8::Local<v8::String> specifier,
                                            v8::Local<v8::FixedArray> assertions,
                                            v8::Local<v8::Module> referrer) {
  v8::Isolate* iso = context->GetIsolate();
  auto* self = static_cast<Runtime*>(iso->GetData(1));
  const ModuleRecord* from = self->recordFor(referrer);
  std::string spec = utf8(iso, specifier);
  std::string fromPath = from ? from->path : "<unknown>";
  auto fail = [&](const std::string& text, bool typeError) -> v8::MaybeLocal<v8::Module> {
    if (self->loadError_.empty()) self->loadError_ = text;
    v8::Local<v8::String> msg = v8Str(iso, text);
    iso->ThrowException(typeError ? v8::Exception::TypeError(msg) : v8::Exception::Error(msg));
    return {};
  };
  Result<bool> json = wantsJson(iso, assertions, 3);
  if (!json.ok()) return fail("Cannot import '" + spec + "' from " + fromPath + ": " + json.error(), true);
  Result<ModuleLocation> where = resolveModule(iso, spec, fromPath);
  if (!where.ok()) return fail(where.error(), true);
  Result<v8::Local<v8::Module>> m = self->compileModule(*where, *json);
  if (!m.ok()) {
    std::string text = m.error();
    if (text.rfind("cannot read module", 0) == 0) {
      text = "Cannot find module '" + where->key + "' imported from " + fromPath;
    }
    return fail(text, false);
  }
  return *m;
}

void Runtime::initImportMeta(v8::Local<v8::Context> context, v8::Local<v8::Module> module,
                             v8::Local<v8::Object> meta) {
  v8::Isolate* iso = context->GetIsolate();
  auto* self = static_cast<Runtime*>(iso->GetData(1));
  const ModuleRecord* rec = self->recordFor(module);
  if (!rec) return;
  std::string url = rec->path.rfind("data:", 0) == 0 ? rec->path : "file://" + rec->path;
  meta->CreateDataProperty(context, self->realm_->internalized("url"), v8Str(iso, url)).Check();
}

// import(): links and starts the module without turning the loop (it runs inside JS); the
// promise settles with the module's evaluation, to its namespace.
v8::MaybeLocal<v8::Promise> Runtime::dynamicImport(v8::Local<v8::Context> context,
                                                   v8::Local<v8::Data> options,
                                                   v8::Local<v8::Value> resourceName,
                                                   v8::Local<v8::String> specifier,
                                                   v8::Local<v8::FixedArray> assertions) {
  v8::Isolate* iso = context->GetIsolate();
  auto* self = static_cast<Runtime*>(iso->GetData(1));
  std::string from = utf8(iso, resourceName);
  if (from.empty() || (from[0] != '/' && from.rfind("data:", 0) != 0)) {
    char cwd[PATH_MAX];
    from = std::string(getcwd(cwd, sizeof cwd) ? cwd : ".") + "/[eval]";
  }
  std::string spec = utf8(iso, specifier);
  v8::Local<v8::Promise> evaluation;
  Result<bool> json = wantsJson(iso, assertions, 2);
  Result<ModuleLocation> where = resolveModule(iso, spec, from);
  Result<v8::Local<v8::Module>> m =
      !json.ok()    ? Result<v8::Local<v8::Module>>(makeError("Cannot import '" + spec +
                                                               "' from " + from + ": " +
                                                               json.error()))
      : !where.ok() ? Result<v8::Local<v8::Module>>(makeError(where.error()))
                    : self->startModule(*where, *json, &evaluation);
  if (!m.ok()) {
    auto resolver = v8::Promise::Resolver::New(context).ToLocalChecked();
    bool typeError = !json.ok() || !where.ok();
    v8::Local<v8::String> msg = v8Str(iso, m.error());
    resolver->Reject(context, typeError ? v8::Exception::TypeError(msg) : v8::Exception::Error(msg))
        .Check();
    return resolver->GetPromise();
  }
  auto toNamespace = v8::Function::New(
                         context,
                         [](const v8::FunctionCallbackInfo<v8::Value>& info) {
                           info.GetReturnValue().Set(info.Data());
                         },
                         (*m)->GetModuleNamespace())
                         .ToLocalChecked();
  return evaluation->Then(context, toNamespace);
}

Result<v8::Local<v8::Module>> Runtime::startModule(const ModuleLocation& where, bool json,
                                                   v8::Local<v8::Promise>* evaluation) {
  v8::Isolate* iso = realm_->isolate();
  v8::Local<v8::Context> ctx = realm_->context();
  Result<v8::Local<v8::Module>> compiled = compileModule(where, json);
  if (!compiled.ok()) return compiled;
  v8::Local<v8::Module> module = *compiled;
  loadError_.clear();
  if (module->GetStatus() == v8::Module::kUninstantiated) {
    v8::TryCatch tc(iso);
    if (!module->InstantiateModule(ctx, &Runtime::resolve).FromMaybe(false)) {
      std::string err = loadError_.empty() ? formatException(tc) : loadError_;
      loadError_.clear();
      return makeError(err);
    }
  }
  if (module->GetStatus() == v8::Module::kInstantiated) {
    v8::TryCatch tc(iso);
    v8::Local<v8::Value> result;
    if (!module->Evaluate(ctx).ToLocal(&result)) return makeError(formatException(tc));
    *evaluation = result.As<v8::Promise>();
  } else {
    // Evaluated (or evaluating) before, by another import: settled with it.
    auto resolver = v8::Promise::Resolver::New(ctx).ToLocalChecked();
    if (module->GetStatus() == v8::Module::kErrored) {
      resolver->Reject(ctx, module->GetException()).Check();
    } else {
      resolver->Resolve(ctx, v8::Undefined(iso)).Check();
    }
    *evaluation = resolver->GetPromise();
  }
  return module;
}

Result<v8::Global<v8::Module>> Runtime::loadModule(const std::string& file, bool mayTurnLoop) {
  realm_->makeCurrent();
  v8::Isolate* iso = realm_->isolate();
  v8::HandleScope scope(iso);
  char resolved[PATH_MAX];
  if (!realpath(file.c_str(), resolved)) {
    return makeError("cannot open '" + file + "': " + strerror(errno));
  }
  v8::Local<v8::Promise> promise;
  enterJs();  // the watchdog sees a module that never finishes its evaluation
  Result<v8::Local<v8::Module>> started =
      startModule(ModuleLocation{resolved, false}, endsWith(resolved, ".json"), &promise);
  if (!started.ok()) {
    leaveJs();
    return makeError(started.error());
  }
  v8::Local<v8::Module> module = *started;
  // Top-level await: turn the loop until the evaluation promise settles.
  promise->MarkAsHandled();  // a rejection is reported below as the module's error, once
  realm_->checkpoint();
  leaveJs();
  if (dead_) return makeError(std::string(resolved) + ": terminated at a limit while loading");
  if (promise->State() == v8::Promise::kPending && !mayTurnLoop) {
    return makeError(std::string(resolved) +
                     ": top-level await still pending after evaluation: a module awaiting I/O "
                     "at import loads only at startup, not on a reload");
  }
  while (promise->State() == v8::Promise::kPending &&
         loop_.hasForegroundWork()) {
    loop_.runOnce(-1);
  }
  if (promise->State() == v8::Promise::kPending) {
    return makeError(std::string(resolved) + ": top-level await never settled");
  }
  if (module->GetStatus() == v8::Module::kErrored) {
    v8::Local<v8::Value> exception = module->GetException();
    // The rejection of the evaluation promise is this error: don't report it twice.
    rejections_.clear();
    realm_->noteError();
    std::string text = realm_->describe(exception);
    return makeError("error while evaluating " + std::string(resolved) + ": " + text);
  }
  if (hasRejections() && reportRejections()) realm_->checkpoint();
  return v8::Global<v8::Module>(iso, module);
}

Result<std::string> Runtime::evalScript(const std::string& code, const std::string& name) {
  realm_->makeCurrent();
  v8::Isolate* iso = realm_->isolate();
  v8::HandleScope scope(iso);
  v8::Local<v8::Context> ctx = realm_->context();
  v8::TryCatch tc(iso);
  v8::ScriptOrigin origin(iso, v8Str(iso, name));
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> result;
  if (!v8::Script::Compile(ctx, v8Str(iso, code), &origin).ToLocal(&script) ||
      !script->Run(ctx).ToLocal(&result)) {
    realm_->noteError();
    return makeError(formatException(tc));
  }
  realm_->checkpoint();
  if (hasRejections() && reportRejections()) realm_->checkpoint();
  return realm_->describe(result);
}

}  // namespace torus::js
