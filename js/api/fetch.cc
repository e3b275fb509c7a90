#include "js/api/fetch.h"

#include <ada.h>

#include <strings.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/loop.h"
#include "js/api/base64.h"
#include "js/api/body.h"
#include "js/api/request.h"
#include "js/api/url.h"
#include "js/api/headers.h"
#include "js/api/response.h"
#include "js/binding.h"
#include "js/builtins.h"
#include "js/request_context.h"
#include "js/runtime.h"
#include "net/http_client.h"
#include "net/http_serialize.h"

namespace torus::js {

namespace {

const char* stageName(net::ClientStage s) {
  switch (s) {
    case net::ClientStage::kDns: return "dns";
    case net::ClientStage::kConnect: return "connect";
    case net::ClientStage::kTls: return "tls";
    case net::ClientStage::kSend: return "send";
    case net::ClientStage::kHead: return "head";
    case net::ClientStage::kBody: return "body";
  }
  return "";
}

// The bytes of a JS string as Latin-1 (a ByteString the built-ins already checked).
std::string byteString(v8::Isolate* iso, v8::Local<v8::Value> v) {
  if (!v->IsString()) return {};
  auto s = v.As<v8::String>();
  std::string out(size_t(s->Length()), '\0');
  s->WriteOneByte(iso, reinterpret_cast<uint8_t*>(out.data()), 0, s->Length(),
                  v8::String::NO_NULL_TERMINATION);
  return out;
}


// ---- data: URLs (https://fetch.spec.whatwg.org/#data-url-processor) ----

bool isHttpWhitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool isQuotedStringChars(std::string_view s) {
  for (unsigned char c : s) {
    if (!(c == '\t' || (c >= 0x20 && c != 0x7f))) return false;
  }
  return true;
}
std::string_view trimHttp(std::string_view s) {
  while (!s.empty() && isHttpWhitespace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isHttpWhitespace(s.back())) s.remove_suffix(1);
  return s;
}
std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(tolower(static_cast<unsigned char>(c)));
  return out;
}

// https://mimesniff.spec.whatwg.org/#parse-a-mime-type and its serialization; nullopt on
// failure.
std::optional<std::string> parseMimeType(std::string_view input) {
  input = trimHttp(input);
  size_t slash = input.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string_view type = input.substr(0, slash);
  size_t pos = slash + 1;
  size_t semi = input.find(';', pos);
  std::string_view subtype = input.substr(pos, semi == std::string_view::npos ? input.npos : semi - pos);
  while (!subtype.empty() && isHttpWhitespace(subtype.back())) subtype.remove_suffix(1);
  if (!net::isToken(type) || !net::isToken(subtype)) return std::nullopt;
  std::string out = lower(type) + "/" + lower(subtype);
  std::vector<std::string> names;
  pos = semi == std::string_view::npos ? input.size() : semi;
  while (pos < input.size()) {
    ++pos;  // the ';'
    while (pos < input.size() && isHttpWhitespace(input[pos])) ++pos;
    size_t end = input.find_first_of(";=", pos);
    if (end == std::string_view::npos) end = input.size();
    std::string name = lower(input.substr(pos, end - pos));
    pos = end;
    if (pos >= input.size()) break;
    if (input[pos] == ';') continue;
    ++pos;  // the '='
    if (pos >= input.size()) break;
    std::string value;
    if (input[pos] == '"') {
      ++pos;
      while (pos < input.size()) {
        size_t stop = input.find_first_of("\"\\", pos);
        if (stop == std::string_view::npos) stop = input.size();
        value.append(input.substr(pos, stop - pos));
        pos = stop;
        if (pos >= input.size()) break;
        char q = input[pos++];
        if (q == '\\') {
          if (pos >= input.size()) {
            value += '\\';
            break;
          }
          value += input[pos++];
        } else {
          break;
        }
      }
      size_t next = input.find(';', pos);
      pos = next == std::string_view::npos ? input.size() : next;
    } else {
      size_t next = input.find(';', pos);
      if (next == std::string_view::npos) next = input.size();
      std::string_view v = input.substr(pos, next - pos);
      while (!v.empty() && isHttpWhitespace(v.back())) v.remove_suffix(1);
      pos = next;
      if (v.empty()) continue;
      value = v;
    }
    if (net::isToken(name) && isQuotedStringChars(value) &&
        std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(name);
      out += ";" + name + "=";
      if (net::isToken(value)) {
        out += value;
      } else {
        out += '"';
        for (char c : value) {
          if (c == '"' || c == '\\') out += '\\';
          out += c;
        }
        out += '"';
      }
    }
  }
  return out;
}

// The data: URL processor on a serialized URL: (MIME type, body), or nullopt on failure.
std::optional<std::pair<std::string, std::string>> processDataUrl(std::string_view href) {
  size_t hash = href.find('#');
  if (hash != std::string_view::npos) href = href.substr(0, hash);
  if (href.substr(0, 5) != "data:") return std::nullopt;
  href.remove_prefix(5);
  size_t comma = href.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  std::string mime(trimHttp(href.substr(0, comma)));
  std::string body = percentDecode(href.substr(comma + 1));
  // ";" then spaces then "base64", case-insensitively, at the end.
  size_t end = mime.size();
  if (end >= 6 && strcasecmp(mime.c_str() + end - 6, "base64") == 0) {
    size_t at = end - 6;
    while (at > 0 && mime[at - 1] == ' ') --at;
    if (at > 0 && mime[at - 1] == ';') {
      mime.resize(at - 1);
      std::optional<size_t> n =
          base64::forgivingDecode(reinterpret_cast<uint8_t*>(body.data()), body.size());
      if (!n) return std::nullopt;
      body.resize(*n);
    }
  }
  if (!mime.empty() && mime[0] == ';') mime.insert(0, "text/plain");
  std::optional<std::string> parsed = parseMimeType(mime);
  return std::pair(parsed ? std::move(*parsed) : std::string("text/plain;charset=US-ASCII"),
                   std::move(body));
}

// One hop: a request on the worker's client and its response. See fetch.h for its life.
class FetchCall final : public Wrappable,
                        public net::ClientHandler,
                        public BodySource,
                        public BodySink,
                        public Cancelable,
                        public Settlement {
 public:
  static constexpr WrapperType kType{"FetchCall"};
  static void describe(ClassBuilder<FetchCall>&) {}
  // Traced: the JS `done` callback, and the head promise's resolver (no global handle per
  // fetch).
  enum : int { kDoneSlot = 0, kHeadSlot = 1 };

  FetchCall(Runtime& runtime, std::string origin)
      : runtime_(runtime), origin_(std::move(origin)), timer_(runtime.loop(), this) {}
  ~FetchCall() override {
    dying_ = true;
    closeExchange();
    if (listener_) listener_->onSourceGone();
    if (writer_) writer_->sinkGone();
  }

  // Starts the hop; false with *error set when it cannot (nothing to close then).
  bool start(const net::ClientRequest& request, uint32_t timeoutMs, std::string* error) {
    net::HttpClient* client = runtime_.options().httpClient;
    if (!client) {
      *error = "fetch is not available here (no HTTP client on this worker)";
      return false;
    }
    Result<net::ClientExchange*> started = client->start(request, *this);
    if (!started.ok()) {
      *error = started.error();
      return false;
    }
    ex_ = started.value();
    if (timeoutMs > 0) {
      timeoutMs_ = timeoutMs;
      timer_.arm(timeoutMs);
    }
    return true;
  }

  void setHeadPromise(Realm& realm, v8::Local<v8::Promise::Resolver> r) {
    setTraced(realm, kHeadSlot, r);
    headPending_ = true;
    updateStrength();
  }
  BodyWriter* makeWriter() {
    writer_ = new BodyWriter(this);
    return writer_;
  }

  // fetchAbort: stops everything; the promise or the body fails with reason (undefined: a
  // redirect's body nobody will read is dropped).
  void abortFetch(Realm& realm, v8::Local<v8::Value> reason) {
    if (!ex_) return;  // finished, failed or cancelled already
    if (reason->IsUndefined()) {
      cancel();
      return;
    }
    abortReason_.Reset(realm.isolate(), reason);
    fail("the fetch was aborted");
    closeExchange();
  }

  // ---- net::ClientHandler: completions, settled in the drain ----
  void onHead(net::ClientExchange* ex) override {
    headArrived_ = true;
    news();
  }
  void onBodyData(net::ClientExchange* ex) override { news(); }
  void onWritable(net::ClientExchange* ex) override {
    wantWritable_ = true;
    news();
  }
  void onError(net::ClientExchange* ex, const net::ClientError& e) override {
    stage_ = e.stage;
    fail(e.message);
  }

  // ---- BodySource: the response body ----
  size_t read(char* out, size_t max) override {
    if (!ex_) return 0;
    size_t n = ex_->readBody({out, max});
    finishIfRead();
    return n;
  }
  size_t buffered() const override { return ex_ && error_.empty() ? ex_->bodyBuffered() : 0; }
  std::span<const char> peek() override {
    return ex_ && error_.empty() ? ex_->peekBody() : std::span<const char>();
  }
  void consume(size_t n) override {
    if (!ex_) return;
    ex_->consumeBody(n);
    finishIfRead();
  }
  bool ended() const override {
    return bodyEnded_ || (ex_ && error_.empty() && ex_->bodyEnded());
  }
  std::string_view error() const override { return error_; }
  int64_t declaredLength() const override { return declared_; }
  void cancel() override {
    if (!ex_) return;
    closeExchange();
  }
  v8::Local<v8::Object> holder(Realm& realm) override { return wrapper(realm.isolate()); }
  v8::Local<v8::Value> errorValue(Realm& realm) override {
    if (!abortReason_.IsEmpty()) return abortReason_.Get(realm.isolate());
    return {};
  }

  // ---- BodySink: the request body, pumped by 55_body.js ----
  Write write(const char* data, size_t len, std::shared_ptr<v8::BackingStore> keep) override {
    if (!ex_ || !error_.empty()) return Write::kGone;
    bool queued = keep ? ex_->writeBody({data, len}, holdBackingStore(std::move(keep)))
                       : ex_->writeBodyCopy({data, len});
    if (!queued) return Write::kGone;
    return ex_->wantsMore() ? Write::kMore : Write::kFull;
  }
  void writerGone(BodyWriter* writer) override {
    if (writer_ == writer) writer_ = nullptr;
  }
  void end() override {
    if (ex_) ex_->endBody();
  }
  void abort(Realm& realm, v8::Local<v8::Value> reason) override {
    // The request body stream errored: the fetch fails with a network error whose cause
    // is the stream's error.
    if (!ex_) return;  // finished, failed or cancelled already
    cause_.Reset(realm.isolate(), reason);
    stage_ = net::ClientStage::kSend;
    fail("the request body stream failed");
    closeExchange();
  }

  // The response head, for fetchStart's promise: [status, statusText, Location,
  // Content-Encoding] (undefined when absent). The header list itself goes to the Response
  // natively (takeHeaders), never through JS strings.
  v8::Local<v8::Value> headValue(Realm& realm) {
    v8::Isolate* iso = realm.isolate();
    v8::Local<v8::Value> location = v8::Undefined(iso);
    v8::Local<v8::Value> coding = v8::Undefined(iso);
    for (const net::HttpHeader& h : ex_->headers()) {
      if (h.name.size() == 8 && strncasecmp(h.name.data(), "location", 8) == 0) {
        location = latin1String(iso, h.value);
      } else if (h.name.size() == 16 && strncasecmp(h.name.data(), "content-encoding", 16) == 0) {
        coding = latin1String(iso, h.value);
      }
    }
    v8::Local<v8::Value> parts[] = {v8::Integer::New(iso, ex_->status()),
                                    latin1String(iso, ex_->reason()), location, coding};
    return v8::Array::New(iso, parts, 4);
  }

  // fetchResponse: the head's header list as a new Headers (without Content-Encoding and
  // Content-Length when the body is decoded); then the connection may go back to the pool
  // if the body is already all read.
  Headers* takeHeaders(bool decoded) {
    Headers* h = Headers::create();
    if (ex_) {
      for (const net::HttpHeader& e : ex_->headers()) {
        if (decoded && ((e.name.size() == 16 && strncasecmp(e.name.data(), "content-encoding", 16) == 0) ||
                        (e.name.size() == 14 && strncasecmp(e.name.data(), "content-length", 14) == 0))) {
          continue;
        }
        h->appendTrusted(e.name, e.value);
      }
    }
    finishIfRead();
    return h;
  }

 private:
  void cancelByContext() override {
    // The request that started this fetch has ended: what is left stops.
    if (!ex_) return;  // finished, failed or cancelled already
    fail("the request that started this fetch has ended");
    closeExchange();
  }

  // Queues this call's settlement once.
  void news() {
    if (queued_) return;
    queued_ = true;
    updateStrength();
    runtime_.queue(this);
  }

  void fail(std::string message) {
    if (!error_.empty()) return;
    error_ = std::move(message);
    timer_.cancel();
    news();
  }

  void settle(Realm& realm) override {
    queued_ = false;
    v8::Isolate* iso = realm.isolate();
    v8::HandleScope scope(iso);
    if (headPending_ && (!error_.empty() || headArrived_)) {
      auto r = traced(realm, kHeadSlot).As<v8::Promise::Resolver>();
      setTraced(realm, kHeadSlot, v8::Undefined(iso));
      headPending_ = false;
      if (error_.empty() && ex_) {
        declared_ = ex_->contentLength();
        r->Resolve(realm.context(), headValue(realm)).Check();
      } else {
        r->Reject(realm.context(), failure(realm)).Check();
      }
    }
    if (wantWritable_ && writer_) {
      wantWritable_ = false;
      writer_->writable(realm);
    }
    if (listener_) listener_->onBodyNews(realm);
    if (!ex_ && !doneNotified_) {
      doneNotified_ = true;
      v8::Local<v8::Value> fn = traced(realm, kDoneSlot);
      if (fn->IsFunction()) {
        setTraced(realm, kDoneSlot, v8::Undefined(iso));
        v8::TryCatch tc(iso);
        fn.As<v8::Function>()->Call(realm.context(), v8::Undefined(iso), 0, nullptr).IsEmpty();
      }
    }
    if (!error_.empty() && ex_) closeExchange();
    updateStrength();
  }

  // The value a failure rejects with: the abort reason, or a TypeError with a cause.
  v8::Local<v8::Value> failure(Realm& realm) {
    v8::Isolate* iso = realm.isolate();
    if (!abortReason_.IsEmpty()) return abortReason_.Get(iso);
    v8::Local<v8::Context> ctx = realm.context();
    std::string text = "fetch failed: " + error_;
    if (!origin_.empty()) text += " (" + origin_ + ")";
    v8::Local<v8::Value> cause;
    if (!cause_.IsEmpty()) {
      cause = cause_.Get(iso);
    } else {
      cause = v8::Exception::Error(v8Str(iso, error_));
      cause.As<v8::Object>()
          ->Set(ctx, realm.internalized("stage"), v8Str(iso, stageName(stage_)))
          .Check();
    }
    v8::Local<v8::Value> e = v8::Exception::TypeError(v8Str(iso, text));
    e.As<v8::Object>()->Set(ctx, realm.internalized("cause"), cause).Check();
    return e;
  }

  // The response body was read to its end: the connection goes back to the pool now, not
  // when the collector finds this call.
  void finishIfRead() {
    if (!ex_ || !error_.empty() || !headArrived_ || headPending_) return;
    if (ex_->bodyEnded() && ex_->bodyBuffered() == 0) {
      bodyEnded_ = true;
      closeExchange();
    }
  }

  // Closes the exchange; JS hears that the call is done (its `done` callback) in the next
  // settlement, unless this call is being collected.
  void closeExchange() {
    timer_.cancel();
    unlink();
    if (net::ClientExchange* ex = ex_) {
      ex_ = nullptr;
      ex->close();
    }
    if (dying_) return;
    if (!doneNotified_) news();
    updateStrength();
  }

  void onTimeout() {
    stage_ = headArrived_ ? net::ClientStage::kBody : net::ClientStage::kHead;
    fail("timed out after " + std::to_string(timeoutMs_) + " ms (the fetch timeout)");
    closeExchange();
  }

  // Strong while JS awaits something only this call settles.
  void updateStrength() {
    bool strong = queued_ || headPending_;
    if (strong != strong_) {
      strong_ = strong;
      setStrong(strong);
    }
  }

  Runtime& runtime_;
  std::string origin_;  // for messages: "GET http://host:port/path"
  net::ClientExchange* ex_ = nullptr;
  BodyWriter* writer_ = nullptr;  // owned by its wrapper
  bool headPending_ = false;  // the head promise (traced: kHeadSlot) is unsettled
  v8::Global<v8::Value> abortReason_;
  v8::Global<v8::Value> cause_;
  std::string error_;
  net::ClientStage stage_ = net::ClientStage::kConnect;
  int64_t declared_ = -1;
  uint32_t timeoutMs_ = 0;
  bool headArrived_ = false;
  bool bodyEnded_ = false;
  bool queued_ = false;
  bool strong_ = false;
  bool wantWritable_ = false;
  bool dying_ = false;
  bool doneNotified_ = false;
  engine::MemberTimer<FetchCall, &FetchCall::onTimeout> timer_;
};

struct FetchNatives {
  // fetchStart(https, host, port, method, target, headers, body, length, retryable,
  //            timeoutMs, origin, done, freshConnection)
  static void start(const v8::FunctionCallbackInfo<v8::Value>& info) {
    v8::Isolate* iso = info.GetIsolate();
    Realm& realm = Realm::from(iso);
    auto* runtime = static_cast<Runtime*>(iso->GetData(1));
    v8::Local<v8::Context> ctx = realm.context();
    if (!runtime) {
      realm.throwError(JsError::type("fetch failed: fetch is not available in this realm"));
      return;
    }
    std::string host = utf8(iso, info[1]);
    std::string method = byteString(iso, info[3]);
    std::string target = utf8(iso, info[4]);
    std::vector<std::string> strings;
    if (info[5]->IsArray()) {
      auto flat = info[5].As<v8::Array>();
      strings.reserve(flat->Length());
      for (uint32_t i = 0; i < flat->Length(); ++i) {
        strings.push_back(byteString(iso, flat->Get(ctx, i).ToLocalChecked()));
      }
    }
    std::vector<net::HttpHeader> headers;
    for (size_t i = 0; i + 1 < strings.size(); i += 2) {
      headers.push_back({strings[i], strings[i + 1]});
    }
    net::ClientRequest req;
    req.https = info[0]->IsTrue();
    req.host = host;
    req.port = uint16_t(info[2]->Uint32Value(ctx).FromMaybe(0));
    req.method = method;
    req.target = target;
    req.headers = headers;
    std::shared_ptr<v8::BackingStore> store;
    if (info[6]->IsUint8Array()) {
      auto view = info[6].As<v8::Uint8Array>();
      store = view->Buffer()->GetBackingStore();
      req.body = {static_cast<const char*>(store->Data()) + view->ByteOffset(),
                  view->ByteLength()};
    } else if (info[6]->IsTrue()) {
      req.streamBody = true;
    }
    req.contentLength = int64_t(info[7]->IntegerValue(ctx).FromMaybe(-1));
    req.retryable = info[8]->IsTrue();
    req.freshConnection = info[12]->IsTrue();
    uint32_t timeoutMs = info[9]->Uint32Value(ctx).FromMaybe(0);

    auto call = std::make_unique<FetchCall>(*runtime, utf8(iso, info[10]));
    std::string error;
    if (!call->start(req, timeoutMs, &error)) {
      realm.throwError(JsError::type("fetch failed: " + error));
      return;
    }
    FetchCall* raw = call.release();
    v8::Local<v8::Object> obj = wrap(realm, raw);
    if (RequestContext* rc = RequestContext::current(iso)) rc->add(raw);
    auto resolver = v8::Promise::Resolver::New(ctx).ToLocalChecked();
    raw->setHeadPromise(realm, resolver);
    if (info[11]->IsFunction()) raw->setTraced(realm, FetchCall::kDoneSlot, info[11]);
    v8::Local<v8::Value> pair[] = {obj, resolver->GetPromise()};
    info.GetReturnValue().Set(v8::Array::New(iso, pair, 2));
  }


  // requestParts(request): Request::fetchParts; undefined when request is not a Request.
  static void requestParts(const v8::FunctionCallbackInfo<v8::Value>& info) {
    Realm& realm = Realm::from(info.GetIsolate());
    auto* r = Wrappable::unwrap<Request>(info[0]);
    if (!r) return;
    JsResult<v8::Local<v8::Value>> parts = r->fetchParts(realm);
    if (parts.ok()) {
      info.GetReturnValue().Set(parts.value());
    } else if (parts.error().kind != JsError::Kind::kPending) {
      realm.throwError(parts.error());
    }
  }

  // fetchUrl(input, base?) -> [href without fragment, protocol, hostname (IPv6 without
  // brackets), port (the scheme's default when absent), path and query, host, has
  // credentials] or null. Without base, relative to the realm's base URL (--location).
  static void url(const v8::FunctionCallbackInfo<v8::Value>& info) {
    v8::Isolate* iso = info.GetIsolate();
    std::string input = utf8(iso, info[0]);
    ada::result<ada::url_aggregator> parsed;
    if (info.Length() > 1 && info[1]->IsString()) {
      std::string base = utf8(iso, info[1]);
      auto b = ada::parse<ada::url_aggregator>(base);
      if (!b) return info.GetReturnValue().SetNull();
      parsed = ada::parse<ada::url_aggregator>(input, &*b);
    } else if (std::optional<std::string_view> realmBase = Realm::from(iso).baseUrl()) {
      auto b = ada::parse<ada::url_aggregator>(*realmBase);
      parsed = b ? ada::parse<ada::url_aggregator>(input, &*b) : ada::parse<ada::url_aggregator>(input);
    } else {
      parsed = ada::parse<ada::url_aggregator>(input);
    }
    if (!parsed) return info.GetReturnValue().SetNull();
    const ada::url_aggregator& u = *parsed;
    std::string href(u.get_href());
    if (size_t hash = href.find('#'); hash != std::string::npos) href.resize(hash);
    std::string hostname(u.get_hostname());
    if (hostname.size() > 1 && hostname.front() == '[') {
      hostname = hostname.substr(1, hostname.size() - 2);
    }
    std::string_view protocol = u.get_protocol();
    int port = u.get_port().empty() ? (protocol == "https:" ? 443 : 80)
                                    : atoi(std::string(u.get_port()).c_str());
    std::string target = std::string(u.get_pathname()) + std::string(u.get_search());
    bool credentials = u.has_credentials();
    v8::Local<v8::Value> parts[] = {v8Str(iso, href),     v8Str(iso, protocol),
                                    v8Str(iso, hostname), v8::Integer::New(iso, port),
                                    v8Str(iso, target),   v8Str(iso, u.get_host()),
                                    v8::Boolean::New(iso, credentials)};
    info.GetReturnValue().Set(v8::Array::New(iso, parts, 7));
  }

  // fetchDataUrl(href) -> [mimeType, Uint8Array] or null (a network error).
  static void dataUrl(const v8::FunctionCallbackInfo<v8::Value>& info) {
    v8::Isolate* iso = info.GetIsolate();
    auto result = processDataUrl(utf8(iso, info[0]));
    if (!result) return info.GetReturnValue().SetNull();
    auto buffer = v8::ArrayBuffer::New(iso, result->second.size());
    if (!result->second.empty()) {
      memcpy(buffer->Data(), result->second.data(), result->second.size());
    }
    v8::Local<v8::Value> parts[] = {v8Str(iso, result->first),
                                    v8::Uint8Array::New(buffer, 0, result->second.size())};
    info.GetReturnValue().Set(v8::Array::New(iso, parts, 2));
  }

  // fetchBodyStream(call) -> the response body as a byte stream (to decode it).
  static void bodyStream(const v8::FunctionCallbackInfo<v8::Value>& info) {
    Realm& realm = Realm::from(info.GetIsolate());
    auto* call = Wrappable::unwrap<FetchCall>(info[0]);
    if (!call) return;
    JsResult<v8::Local<v8::Value>> s = sourceBodyStream(realm, call);
    if (s.ok()) info.GetReturnValue().Set(s.value());
  }

  static void bodyWriter(const v8::FunctionCallbackInfo<v8::Value>& info) {
    Realm& realm = Realm::from(info.GetIsolate());
    auto* call = Wrappable::unwrap<FetchCall>(info[0]);
    if (!call) return;
    info.GetReturnValue().Set(wrap(realm, call->makeWriter()));
  }

  static void abort(const v8::FunctionCallbackInfo<v8::Value>& info) {
    Realm& realm = Realm::from(info.GetIsolate());
    if (auto* call = Wrappable::unwrap<FetchCall>(info[0])) call->abortFetch(realm, info[1]);
  }

  // fetchResponse(call | null, status, statusText, headers, url, redirected, stream,
  //               decoded): headers a flat list, or undefined for the call's own.
  static void response(const v8::FunctionCallbackInfo<v8::Value>& info) {
    v8::Isolate* iso = info.GetIsolate();
    Realm& realm = Realm::from(iso);
    v8::Local<v8::Context> ctx = realm.context();
    auto* call = Wrappable::unwrap<FetchCall>(info[0]);
    Headers* headers;
    if (info[3]->IsArray()) {
      headers = Headers::create();
      auto flat = info[3].As<v8::Array>();
      for (uint32_t i = 0; i + 1 < flat->Length(); i += 2) {
        headers->appendTrusted(byteString(iso, flat->Get(ctx, i).ToLocalChecked()),
                               byteString(iso, flat->Get(ctx, i + 1).ToLocalChecked()));
      }
    } else if (call) {
      headers = call->takeHeaders(info[7]->IsTrue());
    } else {
      headers = Headers::create();
    }
    v8::Local<v8::Value> stream = info[6];
    v8::Local<v8::Object> holder;
    if (call) holder = call->wrapper(iso);
    info.GetReturnValue().Set(Response::fromFetch(
        realm, int(info[1]->Int32Value(ctx).FromMaybe(200)), byteString(iso, info[2]),
        headers, utf8(iso, info[4]), info[5]->IsTrue(),
        call && stream->IsUndefined() ? static_cast<BodySource*>(call) : nullptr, holder,
        stream->IsUndefined() ? v8::Local<v8::Value>() : stream));
  }
};

}  // namespace

void addFetchNatives(Natives& natives) {
  v8::Isolate* iso = v8::Isolate::GetCurrent();
  auto* runtime = static_cast<Runtime*>(iso->GetData(1));
  uint32_t timeoutMs = runtime ? runtime->options().fetchTimeoutMs : 0;
  natives.set("fetchTimeoutMs", v8::Integer::NewFromUnsigned(iso, timeoutMs));
  natives.add("requestParts", &FetchNatives::requestParts);
  natives.add("fetchUrl", &FetchNatives::url);
  natives.add("fetchDataUrl", &FetchNatives::dataUrl);
  natives.add("fetchBodyStream", &FetchNatives::bodyStream);
  natives.add("fetchStart", &FetchNatives::start);
  natives.add("fetchBodyWriter", &FetchNatives::bodyWriter);
  natives.add("fetchAbort", &FetchNatives::abort);
  natives.add("fetchResponse", &FetchNatives::response);
}

}  // namespace torus::js
