#include "js/api/events.h"

#include <string>

#include "js/binding.h"
#include "js/builtins.h"

namespace torus::js {
namespace {

void errorLocation(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  v8::Local<v8::Message> msg = v8::Exception::CreateMessage(iso, info[0]);
  v8::Local<v8::Value> out[4] = {v8::String::Empty(iso), v8::String::Empty(iso),
                                 v8::Integer::New(iso, 0), v8::Integer::New(iso, 0)};
  if (!msg.IsEmpty()) {
    out[0] = msg->Get();
    v8::Local<v8::Value> name = msg->GetScriptResourceName();
    if (name->IsString()) out[1] = name;
    out[2] = v8::Integer::New(iso, msg->GetLineNumber(ctx).FromMaybe(0));
    int column = msg->GetStartColumn(ctx).FromMaybe(-1);
    out[3] = v8::Integer::New(iso, column + 1);
  }
  info.GetReturnValue().Set(v8::Array::New(iso, out, 4));
}

void logUncaught(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  std::string what = utf8(iso, info[0]);
  Realm::from(iso).reportError(what.c_str(), info[1]);
}

}  // namespace

void addEventNatives(Natives& natives) {
  natives.add("errorLocation", errorLocation);
  natives.add("logUncaught", logUncaught);
}

}  // namespace torus::js
