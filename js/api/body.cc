#include "js/api/body.h"

#include <cstring>

#include "js/api/headers.h"
#include "js/builtins.h"

namespace torus::js {
namespace {

// UTF-8 decode drops a leading byte order mark (Encoding §"UTF-8 decode").
std::string_view withoutBom(std::string_view s) {
  return s.substr(0, 3) == "\xEF\xBB\xBF" ? s.substr(3) : s;
}

// A new Uint8Array over a copy of bytes (through the isolate's ArrayBuffer allocator, so
// its limit applies).
v8::Local<v8::Uint8Array> newBytes(Realm& realm, std::string_view bytes) {
  auto buffer = v8::ArrayBuffer::New(realm.isolate(), bytes.size());
  if (!bytes.empty()) memcpy(buffer->GetBackingStore()->Data(), bytes.data(), bytes.size());
  return v8::Uint8Array::New(buffer, 0, bytes.size());
}

// The bytes of a Uint8Array made by a built-in helper.
void copyView(v8::Local<v8::Value> v, std::string* out) {
  if (!v->IsArrayBufferView()) {
    out->clear();
    return;
  }
  auto view = v.As<v8::ArrayBufferView>();
  out->resize(view->ByteLength());
  if (!out->empty()) view->CopyContents(out->data(), out->size());
}


}  // namespace

JsResult<void> Body::extract(Realm& realm, v8::Local<v8::Value> init,
                             std::string_view* contentType, const char* what) {
  *contentType = {};
  if (init->IsNullOrUndefined()) return {};
  if (init->IsArrayBufferView()) {
    auto view = init.As<v8::ArrayBufferView>();
    bytes_.resize(view->ByteLength());
    if (!bytes_.empty()) view->CopyContents(bytes_.data(), bytes_.size());
    kind_ = Kind::kBytes;
    return {};
  }
  if (init->IsArrayBuffer()) {
    auto buffer = init.As<v8::ArrayBuffer>();
    bytes_.assign(static_cast<const char*>(buffer->Data()), buffer->ByteLength());
    kind_ = Kind::kBytes;
    return {};
  }
  v8::Isolate* iso = realm.isolate();
  v8::Local<v8::Context> ctx = realm.context();
  if (init->IsObject()) {
    // A ReadableStream (only if the streams built-in has run: else there is none).
    static const size_t kStreams = builtinIndex("50_streams.js");
    if (builtinHasRun(realm, kStreams)) {
      JsResult<v8::Local<v8::Value>> state = callHelper(realm, "streamUsable", init);
      if (!state.ok()) return state.error();
      int usable = state.value()->IsInt32() ? state.value().As<v8::Int32>()->Value() : -1;
      if (usable > 0) {
        return JsError::type(std::string(what) + "ReadableStream is locked or disturbed");
      }
      if (usable == 0) {
        kind_ = Kind::kStream;
        setStream(realm, init);
        return {};
      }
    }
    // Blob/File, FormData, URLSearchParams: serialised by the built-ins that own them.
    JsResult<v8::Local<v8::Value>> result = callHelper(realm, "extractBody", init);
    if (!result.ok()) return result.error();
    if (result.value()->IsObject()) {
      auto o = result.value().As<v8::Object>();
      v8::Local<v8::Value> bytes, type;
      if (!o->Get(ctx, realm.internalized("bytes")).ToLocal(&bytes) ||
          !o->Get(ctx, realm.internalized("contentType")).ToLocal(&type)) {
        return JsError::pending();
      }
      copyView(bytes, &bytes_);
      if (type->IsString()) {
        extractedType_ = utf8(iso, type);
        *contentType = extractedType_;
      }
      kind_ = Kind::kBytes;
      return {};
    }
  }
  // USVString: ToString, lone surrogates as U+FFFD.
  v8::Local<v8::String> s;
  if (!init->ToString(ctx).ToLocal(&s)) return JsError::pending();
  kind_ = Kind::kBytes;
  *contentType = "text/plain;charset=UTF-8";
  if (s->IsOneByte()) {
    // Latin-1 storage: if it is all ASCII, those bytes are the UTF-8.
    bytes_.resize(size_t(s->Length()));
    s->WriteOneByte(iso, reinterpret_cast<uint8_t*>(bytes_.data()), 0, s->Length(),
                    v8::String::NO_NULL_TERMINATION);
    bool ascii = true;
    for (unsigned char c : bytes_) ascii &= c < 0x80;
    if (ascii) return {};
  }
  bytes_.resize(size_t(s->Utf8Length(iso)));
  s->WriteUtf8(iso, bytes_.data(), int(bytes_.size()), nullptr,
               v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  return {};
}


const char* Body::consumerName(Consumer kind) {
  switch (kind) {
    case Consumer::kArrayBuffer: return "arrayBuffer";
    case Consumer::kBlob: return "blob";
    case Consumer::kBytes: return "bytes";
    case Consumer::kFormData: return "formData";
    case Consumer::kJson: return "json";
    case Consumer::kText: return "text";
  }
  return "";
}

// ---- sources: an incoming body read as it arrives ----

namespace {

constexpr size_t kChunkBytes = 64 * 1024;
// Stream chunks at least this long are sent from their own buffer.
constexpr size_t kZeroCopyBytes = 8 * 1024;

// Reads a BodySource for a body stream (chunk by chunk: natives.bodySourceRead) or for a
// consumer (the whole body). Owned by its wrapper, which the stream's pull algorithm holds;
// kept strong while a read is pending, so a promise someone awaits is always settled.
class SourceReader : public Wrappable, public BodyListener {
 public:
  static constexpr WrapperType kType{"BodySourceReader"};
  static void describe(ClassBuilder<SourceReader>&) {}

  SourceReader(Realm& realm, BodySource* source) : source_(source) {
    source_->setListener(this);
    v8::Local<v8::Object> holder = source->holder(realm);
    if (!holder.IsEmpty()) holder_.Reset(realm.isolate(), holder);
  }
  ~SourceReader() override {
    if (source_) source_->setListener(nullptr);
  }

  // The next chunk (a Uint8Array, or null at the end) as a promise.
  v8::Local<v8::Promise> readChunk(Realm& realm) {
    auto resolver = v8::Promise::Resolver::New(realm.context()).ToLocalChecked();
    if (!pending_.IsEmpty()) {
      resolver->Reject(realm.context(), v8::Exception::TypeError(v8Str(
          realm.isolate(), "a body read is already pending"))).Check();
      return resolver->GetPromise();
    }
    pending_.Reset(realm.isolate(), resolver);
    setStrong(true);
    step(realm);
    return resolver->GetPromise();
  }

  // The whole body for `kind`, converted by `body` once it is all here.
  v8::Local<v8::Promise> readAll(Realm& realm, Body* body, Body::Consumer kind) {
    auto resolver = v8::Promise::Resolver::New(realm.context()).ToLocalChecked();
    pending_.Reset(realm.isolate(), resolver);
    all_ = true;
    body_ = body;
    kind_ = kind;
    int64_t declared = source_->declaredLength();
    if (declared > 0) {
      store_ = v8::ArrayBuffer::NewBackingStore(realm.isolate(), size_t(declared));
    }
    setStrong(true);
    step(realm);
    return resolver->GetPromise();
  }

  void cancel() {
    if (source_) source_->cancel();
  }

  // Gives the source up to a native reader (a response sent as it is): this reader is done.
  BodySource* release(Realm& realm) {
    BodySource* source = source_;
    if (source) source->setListener(nullptr);
    source_ = nullptr;
    holder_.Reset();
    setTraced(realm, kWatchSlot, v8::Undefined(realm.isolate()));
    return source;
  }

  // watch(fn): fn(reason) is called once when the source fails while no read is pending, so
  // a body stream errors when its network fails (its `closed` rejects) even if nobody reads.
  void watch(Realm& realm, v8::Local<v8::Value> fn) { setTraced(realm, kWatchSlot, fn); }

  void onBodyNews(Realm& realm) override {
    if (!pending_.IsEmpty()) {
      step(realm);
      return;
    }
    if (!source_ || source_->error().empty() || all_) return;
    v8::Isolate* iso = realm.isolate();
    v8::Local<v8::Value> fn = traced(realm, kWatchSlot);
    if (!fn->IsFunction()) return;
    setTraced(realm, kWatchSlot, v8::Undefined(iso));
    v8::Local<v8::Value> reason = failure(realm);
    v8::TryCatch tc(iso);
    fn.As<v8::Function>()->Call(realm.context(), v8::Undefined(iso), 1, &reason).IsEmpty();
  }
  void onSourceGone() override {
    source_ = nullptr;
    body_ = nullptr;
  }

 private:
  // What a read of a failed (or gone) source rejects with: the source's own value (an abort
  // reason), else a TypeError saying why.
  v8::Local<v8::Value> failure(Realm& realm) {
    if (source_) {
      v8::Local<v8::Value> reason = source_->errorValue(realm);
      if (!reason.IsEmpty()) return reason;
    }
    std::string why = source_ ? std::string(source_->error()) : "the request has ended";
    return v8::Exception::TypeError(v8Str(realm.isolate(), "the body could not be read: " + why));
  }

  void step(Realm& realm) {
    v8::Isolate* iso = realm.isolate();
    if (!source_ || !source_->error().empty()) {
      settle(realm, failure(realm), false);
      return;
    }
    if (all_) {
      // Everything buffered moves into the body; the source makes room for more.
      while (size_t n = source_->buffered()) {
        if (store_ && filled_ + n <= store_->ByteLength()) {
          filled_ += source_->read(static_cast<char*>(store_->Data()) + filled_, n);
        } else {
          size_t at = acc_.size();
          acc_.resize(at + n);
          acc_.resize(at + source_->read(acc_.data() + at, n));
        }
      }
      if (!source_->ended()) return;
      source_->setListener(nullptr);
      source_ = nullptr;
      holder_.Reset();
      Body* body = body_;
      body_ = nullptr;
      if (!body) {
        settle(realm, v8::Exception::TypeError(v8Str(iso, "the request has ended")), false);
        return;
      }
      v8::TryCatch tc(iso);
      std::string_view bytes = acc_;
      std::shared_ptr<v8::BackingStore> whole;
      if (acc_.empty() && store_ && filled_ == store_->ByteLength()) {
        bytes = {static_cast<const char*>(store_->Data()), filled_};
        whole = store_;
      } else if (store_) {
        acc_.insert(0, static_cast<const char*>(store_->Data()), filled_);
        bytes = acc_;
      }
      JsResult<v8::Local<v8::Value>> value = body->convert(realm, kind_, bytes, whole);
      store_.reset();
      if (value.ok()) {
        acc_ = std::string();
        settle(realm, value.value(), true);
      } else {
        if (value.error().kind != JsError::Kind::kPending) realm.throwError(value.error());
        acc_ = std::string();
        settle(realm, tc.Exception(), false);
      }
      return;
    }
    size_t n = std::min(source_->buffered(), kChunkBytes);
    if (n > 0) {
      auto buffer = v8::ArrayBuffer::New(iso, n);
      size_t got = source_->read(static_cast<char*>(buffer->Data()), n);
      settle(realm, v8::Uint8Array::New(buffer, 0, got), true);
    } else if (source_->ended()) {
      settle(realm, v8::Null(iso), true);
    }
  }

  void settle(Realm& realm, v8::Local<v8::Value> value, bool ok) {
    v8::Local<v8::Promise::Resolver> r = pending_.Get(realm.isolate());
    pending_.Reset();
    setStrong(false);
    if (ok) {
      r->Resolve(realm.context(), value).IsNothing();
    } else {
      r->Reject(realm.context(), value).IsNothing();
    }
  }

  enum : int { kWatchSlot = 0 };  // traced: the stream's error callback (watch())

  BodySource* source_;
  v8::Global<v8::Object> holder_;  // keeps a GC-owned source alive while this reads it
  v8::Global<v8::Promise::Resolver> pending_;
  bool all_ = false;
  Body* body_ = nullptr;
  Body::Consumer kind_ = Body::Consumer::kText;
  std::shared_ptr<v8::BackingStore> store_;
  size_t filled_ = 0;
  std::string acc_;
};

}  // namespace

// ---- the mixin ----

v8::Local<v8::Value> Body::stream(Realm& realm) {
  if (!streamRef_.IsEmpty()) return streamRef_.Get(realm.isolate());
  Wrappable* owner = bodyOwner();
  return owner ? owner->traced(realm, streamSlot()) : v8::Undefined(realm.isolate()).As<v8::Value>();
}

void Body::setStream(Realm& realm, v8::Local<v8::Value> stream) {
  if (Wrappable* owner = bodyOwner()) {
    streamRef_.Reset();
    owner->setTraced(realm, streamSlot(), stream);
  } else {
    streamRef_.Reset(realm.isolate(), stream);
  }
}

void Body::attachBody(Realm& realm) {
  if (streamRef_.IsEmpty()) return;
  v8::Local<v8::Value> s = streamRef_.Get(realm.isolate());
  setStream(realm, s);
}

JsResult<v8::Local<v8::Value>> Body::makeStream(Realm& realm) {
  JsResult<v8::Local<v8::Value>> made = v8::Local<v8::Value>();
  if (kind_ == Kind::kSource && used_) {
    // A consumer is reading (or has read) the source natively: the stream is locked and
    // disturbed, as when a consumer reads through it; a second reader of the source would
    // take its listener from the consumer's.
    made = callHelper(realm, "bytesStream", v8::Null(realm.isolate()));
  } else if (kind_ == Kind::kSource) {
    BodySource* source = bodySource();
    if (!source) return JsError::type("the request has ended; its body can no longer be read");
    made = sourceBodyStream(realm, source);
  } else {
    JsError err;
    if (!loadBytes(&err)) return err;
    v8::Local<v8::Value> arg = used_ ? v8::Null(realm.isolate()).As<v8::Value>()
                                     : newBytes(realm, bytes_).As<v8::Value>();
    made = callHelper(realm, "bytesStream", arg);
  }
  if (!made.ok()) return made;
  bytes_ = std::string();
  kind_ = Kind::kStream;
  setStream(realm, made.value());
  return made;
}

BodySource* takeStreamSource(Realm& realm, v8::Local<v8::Value> stream) {
  JsResult<v8::Local<v8::Value>> reader = callHelper(realm, "takeSource", stream);
  if (!reader.ok()) return nullptr;
  auto* r = Wrappable::unwrap<SourceReader>(reader.value());
  return r ? r->release(realm) : nullptr;
}

JsResult<v8::Local<v8::Value>> sourceBodyStream(Realm& realm, BodySource* source) {
  auto* reader = new SourceReader(realm, source);
  return callHelper(realm, "sourceStream", wrap(realm, reader));
}

JsResult<v8::Local<v8::Value>> Body::body(Realm& realm) {
  switch (kind_) {
    case Kind::kNone: return v8::Null(realm.isolate()).As<v8::Value>();
    case Kind::kStream: return stream(realm);
    default: return makeStream(realm);
  }
}

namespace {

// 55_body.js's 'streamUsable' of v: -1 not a stream, 0 usable, 1 locked, 2 disturbed; a
// throw (termination) counts as disturbed.
int streamState(Realm& realm, v8::Local<v8::Value> v) {
  JsResult<v8::Local<v8::Value>> s = callHelper(realm, "streamUsable", v);
  if (!s.ok()) return 2;
  return s.value()->IsInt32() ? s.value().As<v8::Int32>()->Value() : -1;
}

}  // namespace

bool Body::bodyUsed(Realm& realm) {
  return kind_ == Kind::kStream ? streamState(realm, stream(realm)) == 2 : used_;
}

bool Body::unusable(Realm& realm) {
  return kind_ == Kind::kStream ? streamState(realm, stream(realm)) != 0 : used_;
}

JsResult<v8::Local<v8::Value>> Body::consume(Realm& realm, Consumer kind,
                                             const WrapperType* type, const char* member) {
  const char* cls = type->name;
  // Messages are made only on failure: text() on the request path allocates nothing here.
  auto failure = [&](const char* what) {
    return JsError::type(std::string("Failed to execute '") + member + "' on '" + cls +
                         "': " + what);
  };
  if (kind_ == Kind::kStream) {
    if (unusable(realm)) return failure("body stream already read");
    // Read through the stream, then convert what it gave.
    JsResult<v8::Local<v8::Value>> all = callHelper(realm, "readAllBytes", stream(realm));
    if (!all.ok()) return all;
    v8::Local<v8::Context> ctx = realm.context();
    // The body is found again through a JS handle to its owner (its wrapper, which the data
    // keeps alive; or, for an incoming request, an object bound to its slot, which finds no
    // native once the request has ended), never through a raw pointer that could dangle.
    v8::Local<v8::Value> data[4] = {
        bodyHandle(realm), v8::Integer::New(realm.isolate(), int(kind)),
        v8::External::New(realm.isolate(), const_cast<WrapperType*>(type)),
        v8::External::New(realm.isolate(), this)};
    auto onBytes = v8::Function::New(
        ctx,
        [](const v8::FunctionCallbackInfo<v8::Value>& info) {
          Realm& realm = Realm::from(info.GetIsolate());
          auto d = info.Data().As<v8::Array>();
          v8::Local<v8::Context> ctx = realm.context();
          auto* type = static_cast<const WrapperType*>(
              d->Get(ctx, 2).ToLocalChecked().As<v8::External>()->Value());
          // The owner is alive (its handle still unwraps), so its Body is.
          auto* self = static_cast<Body*>(
              d->Get(ctx, 3).ToLocalChecked().As<v8::External>()->Value());
          if (!Wrappable::unwrapAs(d->Get(ctx, 0).ToLocalChecked(), type)) {
            realm.throwError(JsError::type("the request has ended; its body can no longer be read"));
            return;
          }
          auto k = Consumer(d->Get(ctx, 1).ToLocalChecked().As<v8::Int32>()->Value());
          // {bytes} with a null prototype (55_body.js 'readAllBytes').
          v8::Local<v8::Value> bytesValue;
          if (!info[0]->IsObject() ||
              !info[0].As<v8::Object>()->Get(ctx, realm.internalized("bytes")).ToLocal(&bytesValue) ||
              !bytesValue->IsUint8Array()) {
            realm.throwError(JsError::type("the body stream did not give bytes"));
            return;
          }
          auto view = bytesValue.As<v8::Uint8Array>();
          std::shared_ptr<v8::BackingStore> store = view->Buffer()->GetBackingStore();
          std::string_view bytes(static_cast<const char*>(store->Data()) + view->ByteOffset(),
                                 view->ByteLength());
          bool whole = view->ByteOffset() == 0 && view->ByteLength() == store->ByteLength();
          JsResult<v8::Local<v8::Value>> value =
              self->convert(realm, k, bytes, whole ? store : nullptr);
          if (value.ok()) {
            info.GetReturnValue().Set(value.value());
          } else if (value.error().kind != JsError::Kind::kPending) {
            realm.throwError(value.error());
          }
        },
        v8::Array::New(realm.isolate(), data, 4)).ToLocalChecked();
    v8::Local<v8::Promise> then;
    if (!all.value().As<v8::Promise>()->Then(ctx, onBytes).ToLocal(&then)) {
      return JsError::pending();
    }
    return then.As<v8::Value>();
  }
  if (used_) return failure("body stream already read");
  if (kind_ == Kind::kSource) {
    BodySource* source = bodySource();
    if (!source) return failure("the request has ended; its body can no longer be read");
    used_ = true;
    auto* reader = new SourceReader(realm, source);
    wrap(realm, reader);
    return reader->readAll(realm, this, kind).As<v8::Value>();
  }
  JsError err;
  if (!loadBytes(&err)) return err;
  used_ = hasBody();  // a null body is never "used"
  std::string bytes = std::move(bytes_);
  bytes_ = std::string();
  return convert(realm, kind, bytes, nullptr);
}

JsResult<v8::Local<v8::Value>> Body::convert(Realm& realm, Consumer kind, std::string_view bytes,
                                             std::shared_ptr<v8::BackingStore> store) {
  v8::Isolate* iso = realm.isolate();
  v8::Local<v8::Context> ctx = realm.context();
  auto u8 = [&]() {
    if (store) return v8::Uint8Array::New(v8::ArrayBuffer::New(iso, store), 0, bytes.size());
    return newBytes(realm, bytes);
  };
  switch (kind) {
    case Consumer::kText:
      return v8Str(iso, withoutBom(bytes)).As<v8::Value>();
    case Consumer::kJson: {
      v8::Local<v8::Value> value;
      if (!v8::JSON::Parse(ctx, v8Str(iso, withoutBom(bytes))).ToLocal(&value)) {
        return JsError::pending();  // the SyntaxError
      }
      return value;
    }
    case Consumer::kArrayBuffer:
      return u8()->Buffer().As<v8::Value>();
    case Consumer::kBytes:
      return u8().As<v8::Value>();
    case Consumer::kBlob:
    case Consumer::kFormData: {
      // The MIME type comes from the Content-Type header as it is now (it may have been
      // changed since the body was set).
      Headers* headers = bodyHeaders(realm);
      std::optional<std::string> type = headers ? headers->get("content-type") : std::nullopt;
      v8::Local<v8::Value> typeValue =
          type ? latin1String(iso, *type).As<v8::Value>() : v8::Null(iso).As<v8::Value>();
      v8::Local<v8::Function> helper =
          realm.helper(kind == Consumer::kBlob ? "makeBlob" : "parseFormData");
      if (helper.IsEmpty()) return JsError::type("Blob and FormData are not available");
      if (kind == Consumer::kBlob && !type) typeValue = v8::String::Empty(iso);
      v8::Local<v8::Value> args[] = {u8(), typeValue};
      v8::Local<v8::Value> result;
      if (!helper->Call(ctx, v8::Undefined(iso), 2, args).ToLocal(&result)) {
        return JsError::pending();
      }
      return result;
    }
  }
  return JsError::type("unknown body consumer");
}

JsResult<void> Body::cloneBodyInto(Realm& realm, Body& to, const char* what) {
  if (kind_ == Kind::kSource) {
    JsResult<v8::Local<v8::Value>> made = makeStream(realm);
    if (!made.ok()) return made.error();
  }
  if (kind_ == Kind::kStream) {
    JsResult<v8::Local<v8::Value>> pair = callHelper(realm, "teeBody", stream(realm));
    if (!pair.ok()) return pair.error();
    v8::Local<v8::Context> ctx = realm.context();
    auto branches = pair.value().As<v8::Array>();
    setStream(realm, branches->Get(ctx, 0).ToLocalChecked());
    to.kind_ = Kind::kStream;
    to.setStream(realm, branches->Get(ctx, 1).ToLocalChecked());
    return {};
  }
  JsError err;
  if (!loadBytes(&err)) return JsError::type(std::string(what) + "the request has ended");
  to.kind_ = kind_;
  to.bytes_ = bytes_;
  return {};
}

JsResult<void> Body::moveBodyInto(Realm& realm, Body& to, const char* what) {
  // https://fetch.spec.whatwg.org/#concept-body-create-proxy: `to` reads this body's stream
  // through an identity transform; this one keeps its (now locked, disturbed) stream.
  if (kind_ != Kind::kStream) {
    JsResult<v8::Local<v8::Value>> made = makeStream(realm);
    if (!made.ok()) return made.error();
  }
  JsResult<v8::Local<v8::Value>> proxy = callHelper(realm, "proxyBody", stream(realm));
  if (!proxy.ok()) return proxy.error();
  to.kind_ = Kind::kStream;
  to.setStream(realm, proxy.value());
  return {};
}

// ---- writers: a stream body on its way to a sink ----

BodyWriter::~BodyWriter() {
  // Collected first (its sink outlives it): the sink must not call it any more.
  if (sink_) sink_->writerGone(this);
}

void BodyWriter::writable(Realm& realm) {
  if (ready_.IsEmpty()) return;
  v8::Local<v8::Promise::Resolver> r = ready_.Get(realm.isolate());
  ready_.Reset();
  setStrong(false);
  r->Resolve(realm.context(), v8::Undefined(realm.isolate())).IsNothing();
}

struct BodyNatives {
  static void sourceRead(const v8::FunctionCallbackInfo<v8::Value>& info) {
    Realm& realm = Realm::from(info.GetIsolate());
    auto* reader = Wrappable::unwrap<SourceReader>(info[0]);
    if (!reader) return;
    info.GetReturnValue().Set(reader->readChunk(realm));
  }
  static void sourceCancel(const v8::FunctionCallbackInfo<v8::Value>& info) {
    if (auto* reader = Wrappable::unwrap<SourceReader>(info[0])) reader->cancel();
  }
  static void sourceWatch(const v8::FunctionCallbackInfo<v8::Value>& info) {
    Realm& realm = Realm::from(info.GetIsolate());
    if (auto* reader = Wrappable::unwrap<SourceReader>(info[0])) reader->watch(realm, info[1]);
  }
  static void writerWrite(const v8::FunctionCallbackInfo<v8::Value>& info) {
    auto* w = Wrappable::unwrap<BodyWriter>(info[0]);
    if (!w || !w->sink_ || !info[1]->IsUint8Array()) {
      info.GetReturnValue().Set(2);
      return;
    }
    auto view = info[1].As<v8::Uint8Array>();
    std::shared_ptr<v8::BackingStore> store = view->Buffer()->GetBackingStore();
    // A large chunk is sent from its buffer, held until sent (no copy): the stream gave it
    // away, as a byte stream's enqueue transfers it; a small one is copied.
    const char* data = static_cast<const char*>(store->Data()) + view->ByteOffset();
    size_t len = view->ByteLength();
    BodySink::Write r =
        w->sink_->write(data, len, len >= kZeroCopyBytes ? store : nullptr);
    info.GetReturnValue().Set(r == BodySink::Write::kMore ? 0 : r == BodySink::Write::kFull ? 1 : 2);
  }
  static void writerReady(const v8::FunctionCallbackInfo<v8::Value>& info) {
    Realm& realm = Realm::from(info.GetIsolate());
    auto* w = Wrappable::unwrap<BodyWriter>(info[0]);
    auto resolver = v8::Promise::Resolver::New(realm.context()).ToLocalChecked();
    info.GetReturnValue().Set(resolver->GetPromise());
    if (!w) return;
    w->ready_.Reset(realm.isolate(), resolver);
    w->setStrong(true);  // the sink resolves it; nothing else may hold the writer meanwhile
  }
  static void writerEnd(const v8::FunctionCallbackInfo<v8::Value>& info) {
    auto* w = Wrappable::unwrap<BodyWriter>(info[0]);
    if (w && w->sink_) w->sink_->end();
  }
  static void writerAbort(const v8::FunctionCallbackInfo<v8::Value>& info) {
    Realm& realm = Realm::from(info.GetIsolate());
    auto* w = Wrappable::unwrap<BodyWriter>(info[0]);
    if (w && w->sink_) w->sink_->abort(realm, info[1]);
  }
};

void addBodyNatives(Natives& natives) {
  natives.add("bodySourceRead", &BodyNatives::sourceRead);
  natives.add("bodySourceCancel", &BodyNatives::sourceCancel);
  natives.add("bodySourceWatch", &BodyNatives::sourceWatch);
  natives.add("bodyWriterWrite", &BodyNatives::writerWrite);
  natives.add("bodyWriterReady", &BodyNatives::writerReady);
  natives.add("bodyWriterEnd", &BodyNatives::writerEnd);
  natives.add("bodyWriterAbort", &BodyNatives::writerAbort);
}

}  // namespace torus::js
