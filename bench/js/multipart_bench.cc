// Parsing a 1 MiB multipart/form-data body (bench/js/multipart_form.js: 64 fields of 1 KiB,
// 4 files of 240 KiB): the C++ parser alone, and the whole of what Response#formData() will
// do through the realm's 'parseFormData' helper (parse, decode the fields, copy the files out,
// build the FormData). bench/js/multipart_vs_node.sh runs it next to Node's undici.
#include <benchmark/benchmark.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "base/check.h"
#include "js/api/multipart.h"
#include "js/binding.h"
#include "js/globals.h"
#include "js/realm.h"

namespace torus::js {
namespace {

struct Env {
  Env() {
    static V8Process* v8 = new V8Process();  // once per process, never torn down
    (void)v8;
    realm = std::make_unique<Realm>(RealmOptions{});
    v8::HandleScope scope(realm->isolate());
    installGlobals(*realm);
    std::ifstream in(TORUS_BENCH_FORM);
    std::stringstream src;
    src << in.rdbuf();
    v8::Local<v8::Context> ctx = realm->context();
    v8::Local<v8::Script> script =
        v8::Script::Compile(ctx, v8Str(realm->isolate(), src.str() +
                                                            "\nglobalThis.__form = makeMultipartForm();"))
            .ToLocalChecked();
    script->Run(ctx).ToLocalChecked();
    v8::Local<v8::Object> form =
        ctx->Global()->Get(ctx, realm->internalized("__form")).ToLocalChecked().As<v8::Object>();
    body.Reset(realm->isolate(),
               form->Get(ctx, realm->internalized("body")).ToLocalChecked().As<v8::Uint8Array>());
    contentType = utf8(realm->isolate(),
                       form->Get(ctx, realm->internalized("contentType")).ToLocalChecked());
    auto u8 = body.Get(realm->isolate());
    bytes.resize(u8->ByteLength());
    u8->CopyContents(bytes.data(), bytes.size());
  }
  std::unique_ptr<Realm> realm;
  v8::Global<v8::Uint8Array> body;
  std::string contentType;
  std::string bytes;
};

Env& env() {
  static Env* e = new Env();
  return *e;
}

void BM_MultipartParseNative(benchmark::State& state) {
  Env& e = env();
  multipart::FormType type = multipart::formType(e.contentType);
  for (auto _ : state) {
    auto parts = multipart::parse(e.bytes, type.boundary);
    TORUS_CHECK(parts.ok() && parts->size() == 68);
    benchmark::DoNotOptimize(parts);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(e.bytes.size()));
}
BENCHMARK(BM_MultipartParseNative);

void BM_MultipartParseFormData(benchmark::State& state) {
  Env& e = env();
  v8::Isolate* iso = e.realm->isolate();
  v8::HandleScope outer(iso);
  v8::Local<v8::Context> ctx = e.realm->context();
  v8::Local<v8::Function> parse = e.realm->helper("parseFormData");
  v8::Local<v8::Value> args[] = {e.body.Get(iso), v8Str(iso, e.contentType)};
  for (auto _ : state) {
    v8::HandleScope scope(iso);
    v8::Local<v8::Value> fd = parse->Call(ctx, v8::Undefined(iso), 2, args).ToLocalChecked();
    benchmark::DoNotOptimize(fd);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(e.bytes.size()));
}
BENCHMARK(BM_MultipartParseFormData);

}  // namespace
}  // namespace torus::js
