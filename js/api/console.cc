#include "js/api/console.h"

#include <errno.h>
#include <time.h>
#include <unistd.h>

#include <string>

#include "base/check.h"
#include "base/log.h"
#include "js/api/headers.h"
#include "js/binding.h"
#include "js/builtins.h"
#include "js/request_context.h"

namespace torus::js {

namespace {



// One write(2) for the whole line (retried only if the kernel takes part of it).
void writeAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere to report a failing stdout
    }
    p += w;
    n -= size_t(w);
  }
}

// A console line in JSON logs: one object tagged with the app, its worker and the request
// whose code printed it (none at module top level or in a constructed Request's work).
void printJson(v8::Isolate* iso, int fd, v8::Local<v8::String> s) {
  Realm& realm = Realm::from(iso);
  std::string text(size_t(s->Utf8Length(iso)), '\0');
  s->WriteUtf8(iso, text.data(), int(text.size()), nullptr,
               v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  std::string line = "{\"ts\":\"" + logTimestamp() + "\",\"level\":\"" +
                     (fd == 2 ? "warn" : "info") + "\",\"type\":\"console\"";
  if (!realm.appName().empty()) {
    line += ",\"app\":\"";
    appendJsonEscaped(line, realm.appName());
    line += "\",\"worker\":" + std::to_string(realm.worker());
  }
  if (RequestContext* rc = RequestContext::current(iso)) {
    line += ",\"request\":\"" + std::to_string(realm.worker()) + "-" + std::to_string(rc->id()) + "\"";
  }
  line += ",\"msg\":\"";
  appendJsonEscaped(line, text);
  line += "\"}\n";
  writeAll(fd, line.data(), line.size());
}

// print(toStderr, string): the string and a newline, as UTF-8 (in JSON logs, a JSON line).
void print(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  int fd = info[0]->BooleanValue(iso) ? 2 : 1;
  v8::Local<v8::String> s;
  if (!info[1]->ToString(iso->GetCurrentContext()).ToLocal(&s)) return;
  if (logFormat() == LogFormat::kJson) return printJson(iso, fd, s);
  size_t len = size_t(s->Utf8Length(iso));
  char small[512];
  std::string big;
  char* buf = small;
  if (len + 1 > sizeof(small)) {
    big.resize(len + 1);
    buf = big.data();
  }
  s->WriteUtf8(iso, buf, int(len), nullptr,
               v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  buf[len] = '\n';
  writeAll(fd, buf, len + 1);
}

// typeOf(value): what `typeof` cannot tell, from V8's own type checks.
void typeOf(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Realm& realm = Realm::from(info.GetIsolate());
  v8::Local<v8::Value> v = info[0];
  const char* t = "";
  if (v->IsFunction()) {
    if (v->IsAsyncFunction() && v->IsGeneratorFunction()) {
      t = "asyncgeneratorfunction";
    } else if (v->IsAsyncFunction()) {
      t = "asyncfunction";
    } else if (v->IsGeneratorFunction()) {
      t = "generatorfunction";
    } else {
      t = "function";
    }
  } else if (v->IsMap()) {
    t = "map";
  } else if (v->IsSet()) {
    t = "set";
  } else if (v->IsWeakMap()) {
    t = "weakmap";
  } else if (v->IsWeakSet()) {
    t = "weakset";
  } else if (v->IsDate()) {
    t = "date";
  } else if (v->IsRegExp()) {
    t = "regexp";
  } else if (v->IsPromise()) {
    t = "promise";
  } else if (v->IsTypedArray()) {
    t = "typedarray";
  } else if (v->IsArrayBuffer()) {
    t = "arraybuffer";
  } else if (v->IsSharedArrayBuffer()) {
    t = "sharedarraybuffer";
  } else if (v->IsDataView()) {
    t = "dataview";
  } else if (v->IsNativeError()) {
    t = "error";
  } else if (v->IsNumberObject()) {
    t = "number";
  } else if (v->IsStringObject()) {
    t = "string";
  } else if (v->IsBooleanObject()) {
    t = "boolean";
  } else if (v->IsBigIntObject()) {
    t = "bigint";
  } else if (v->IsSymbolObject()) {
    t = "symbol";
  } else if (v->IsMapIterator()) {
    t = "mapiterator";
  } else if (v->IsSetIterator()) {
    t = "setiterator";
  } else if (v->IsArgumentsObject()) {
    t = "arguments";
  } else if (v->IsModuleNamespaceObject()) {
    t = "module";
  } else if (v->IsExternal()) {
    t = "external";
  } else if (Wrappable::unwrap<Headers>(v)) {
    t = "headers";
  }
  info.GetReturnValue().Set(realm.internalized(t));
}

// proxyDetails(value): undefined, or [target, handler] (target null once revoked).
void proxyDetails(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (!info[0]->IsProxy()) return;
  v8::Isolate* iso = info.GetIsolate();
  v8::Local<v8::Proxy> p = info[0].As<v8::Proxy>();
  v8::Local<v8::Value> pair[2] = {v8::Null(iso), v8::Null(iso)};
  if (!p->IsRevoked()) {
    pair[0] = p->GetTarget();
    pair[1] = p->GetHandler();
  }
  info.GetReturnValue().Set(v8::Array::New(iso, pair, 2));
}

// promiseDetails(promise): [state, result] with state 0 pending, 1 fulfilled, 2 rejected.
void promiseDetails(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (!info[0]->IsPromise()) return;
  v8::Isolate* iso = info.GetIsolate();
  v8::Local<v8::Promise> p = info[0].As<v8::Promise>();
  v8::Promise::PromiseState state = p->State();
  int code = state == v8::Promise::kPending ? 0 : state == v8::Promise::kFulfilled ? 1 : 2;
  v8::Local<v8::Value> pair[2] = {v8::Integer::New(iso, code),
                                  code == 0 ? v8::Undefined(iso).As<v8::Value>() : p->Result()};
  info.GetReturnValue().Set(v8::Array::New(iso, pair, 2));
}

// previewEntries(iteratorOrWeakCollection): [entries, isKeyValue], without advancing it.
void previewEntries(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (!info[0]->IsObject()) return;
  v8::Isolate* iso = info.GetIsolate();
  bool isKeyValue = false;
  v8::Local<v8::Array> entries;
  if (!info[0].As<v8::Object>()->PreviewEntries(&isKeyValue).ToLocal(&entries)) return;
  v8::Local<v8::Value> pair[2] = {entries, v8::Boolean::New(iso, isKeyValue)};
  info.GetReturnValue().Set(v8::Array::New(iso, pair, 2));
}

// now(): monotonic milliseconds, for console.time.
void now(const v8::FunctionCallbackInfo<v8::Value>& info) {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  info.GetReturnValue().Set(double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6);
}

}  // namespace

void addConsoleNatives(Natives& natives) {
  natives.add("print", print);
  natives.add("typeOf", typeOf);
  natives.add("proxyDetails", proxyDetails);
  natives.add("promiseDetails", promiseDetails);
  natives.add("previewEntries", previewEntries);
  natives.add("now", now);
}

}  // namespace torus::js
