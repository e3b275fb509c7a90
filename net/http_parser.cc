#include "net/http_parser.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "base/check.h"
#include "net/chunk_scanner.h"
#include "llhttp.h"

namespace torus::net {
namespace {

using Status = HttpParser::Status;

// Where the current message is. kIdle covers the empty lines llhttp skips before a request.
enum class Phase : uint8_t { kIdle, kHead, kBody, kComplete };

// Header fields the parser itself interprets.
enum class Kind : uint8_t { kOther, kHost, kContentLength, kTransferEncoding, kExpect };

// A header line while the head is still arriving: offsets into the head buffer, which may
// move as it grows. Views are made once, at headers-complete.
struct FieldRef {
  uint32_t nameOff;
  uint32_t nameLen;
  uint32_t valueOff;
  uint32_t valueLen;
};

constexpr char kEmptyInput[1] = {0};
constexpr uint32_t kInitialFields = 16;
constexpr size_t kInitialHeadBytes = 512;
constexpr size_t kVersionMax = 8;
constexpr size_t kWindow = 8;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c; }

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool isOws(char c) { return c == ' ' || c == '\t'; }

// A set of bytes: ALPHA, DIGIT and `extra`.
struct ByteSet {
  bool has[256] = {};
  constexpr explicit ByteSet(const char* extra) {
    for (int c = '0'; c <= '9'; ++c) has[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) has[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) has[c] = true;
    for (const char* p = extra; *p; ++p) has[static_cast<unsigned char>(*p)] = true;
  }
  bool all(const char* p, size_t n) const {
    for (size_t i = 0; i < n; ++i) {
      if (!has[static_cast<unsigned char>(p[i])]) return false;
    }
    return true;
  }
};

// Host (RFC 9110 7.2): uri-host [ ":" port ], i.e. reg-name, IPv4 or IP-literal characters.
// Checked as a character set, which is what keeps the value safe to route and log.
constexpr ByteSet kHostChars("-._~!$&'()*+,;=:[]%");


Kind classify(std::string_view name) {
  switch (name.size()) {
    case 4:
      return equalsIgnoreCase(name, "host") ? Kind::kHost : Kind::kOther;
    case 6:
      return equalsIgnoreCase(name, "expect") ? Kind::kExpect : Kind::kOther;
    case 14:
      return equalsIgnoreCase(name, "content-length") ? Kind::kContentLength : Kind::kOther;
    case 17:
      return equalsIgnoreCase(name, "transfer-encoding") ? Kind::kTransferEncoding : Kind::kOther;
    default:
      return Kind::kOther;
  }
}

}  // namespace

struct HttpParser::Impl {
  // Which callback paused llhttp.
  enum class Pause : uint8_t { kNone, kHead, kMessage };
  // How the head bytes seen so far end (a CRLF may straddle two feeds).
  enum class Carry : uint8_t { kNone, kCr, kCrLf };

  explicit Impl(HttpParser* owner, const HttpLimits& l) : self(owner), limits(l) {
    llhttp_init(&parser, HTTP_REQUEST, &kSettings);
    parser.data = this;
  }

  // ---- llhttp callbacks ----
  static Impl& from(llhttp_t* p) { return *static_cast<Impl*>(p->data); }

  static int onMessageBegin(llhttp_t* p) {
    from(p).phase = Phase::kHead;
    return 0;
  }

  static int onMethodComplete(llhttp_t* p) {
    if (p->method == HTTP_CONNECT) return from(p).fail(501, "CONNECT not supported");
    return 0;
  }

  static int onUrl(llhttp_t* p, const char* at, size_t n) {
    Impl& s = from(p);
    if (n == 0) return 0;
    if (n > s.limits.maxTargetBytes - s.targetLen) return s.fail(414, "request target too long");
    // Loose llhttp takes HTAB and FF inside the target, where other parsers see a separator.
    // (Raw bytes >= 0x80 are let through, as nginx does; URL parsing percent-encodes them.)
    for (size_t i = 0; i < n; ++i) {
      if (at[i] == '\t' || at[i] == '\f') return s.fail(400, "invalid request target");
    }
    if (s.targetLen == 0) s.targetOff = static_cast<uint32_t>(s.head->size());
    s.head->append(at, n);
    s.targetLen += static_cast<uint32_t>(n);
    return 0;
  }

  static int onVersion(llhttp_t* p, const char* at, size_t n) {
    Impl& s = from(p);
    if (n == 0) return 0;
    // llhttp 8 also takes RTSP/x.y and ICE/x.y: the five bytes before the version must be
    // "HTTP/". They may lie in earlier input, which the window keeps.
    if (s.versionLen == 0) {
      char proto[5];
      const size_t here = std::min<size_t>(5, static_cast<size_t>(at - s.feedBegin));
      const size_t before = 5 - here;
      if (before > s.windowLen) return s.fail(400, "not an HTTP request");
      memcpy(proto, s.window + s.windowLen - before, before);
      memcpy(proto + before, at - here, here);
      if (memcmp(proto, "HTTP/", 5) != 0) return s.fail(400, "not an HTTP request");
    }
    for (size_t i = 0; i < n && s.versionLen < kVersionMax; ++i) s.version[s.versionLen++] = at[i];
    return 0;
  }

  static int onVersionComplete(llhttp_t* p) {
    if (p->http_major != 1 || p->http_minor > 1) {
      return from(p).fail(505, "HTTP version not supported");
    }
    return 0;
  }

  static int onHeaderField(llhttp_t* p, const char* at, size_t n) {
    Impl& s = from(p);
    if (n == 0) return 0;
    // Field names are tokens (RFC 9110 5.6.2). llhttp checks the character set, except that
    // in loose mode it lets spaces through ("Bad Name: v"); those are refused here.
    if (memchr(at, ' ', n) != nullptr) return s.fail(400, "invalid header field name");
    if (!s.inField) {
      s.inField = true;
      if (s.phase == Phase::kBody) {
        // A trailer field: counted, not kept (HttpRequest has no trailers).
        if (++s.trailerCount > s.limits.maxHeaderCount) {
          return s.fail(431, "too many trailer fields");
        }
        return 0;
      }
      if (s.fieldCount == s.limits.maxHeaderCount) return s.fail(431, "too many header fields");
      if (s.fieldCount == s.fieldCap) s.growFields();
      s.fields[s.fieldCount++] = FieldRef{static_cast<uint32_t>(s.head->size()), 0, 0, 0};
    }
    if (s.phase == Phase::kBody) return 0;
    s.head->append(at, n);
    s.fields[s.fieldCount - 1].nameLen += static_cast<uint32_t>(n);
    return 0;
  }

  static int onHeaderFieldComplete(llhttp_t* p) {
    Impl& s = from(p);
    if (!s.inField) return s.fail(400, "invalid header field");  // empty name
    s.inField = false;
    if (s.phase == Phase::kBody) return 0;
    const FieldRef& f = s.fields[s.fieldCount - 1];
    s.kind = classify(s.view(f.nameOff, f.nameLen));
    return 0;
  }

  static int onHeaderValue(llhttp_t* p, const char* at, size_t n) {
    Impl& s = from(p);
    if (n == 0) return 0;
    if (s.phase == Phase::kBody || s.fieldCount == 0) return 0;
    FieldRef& f = s.fields[s.fieldCount - 1];
    if (!s.inValue) {
      s.inValue = true;
      f.valueOff = static_cast<uint32_t>(s.head->size());
    }
    s.head->append(at, n);
    f.valueLen += static_cast<uint32_t>(n);
    return 0;
  }

  static int onHeaderValueComplete(llhttp_t* p) {
    Impl& s = from(p);
    s.inValue = false;
    if (s.phase == Phase::kBody || s.fieldCount == 0) return 0;
    FieldRef& f = s.fields[s.fieldCount - 1];
    // llhttp drops leading OWS; trailing OWS stays in the span.
    const char* v = s.head->data() + f.valueOff;
    while (f.valueLen > 0 && isOws(v[0])) {
      ++v;
      ++f.valueOff;
      --f.valueLen;
    }
    while (f.valueLen > 0 && isOws(v[f.valueLen - 1])) --f.valueLen;
    if (f.valueLen == 0) f.valueOff = 0;
    const std::string_view value = s.view(f.valueOff, f.valueLen);
    switch (s.kind) {
      case Kind::kHost:
        if (++s.hostCount > 1) return s.fail(400, "multiple Host headers");
        if (!kHostChars.all(value.data(), value.size())) return s.fail(400, "invalid Host header");
        s.hostField = s.fieldCount - 1;
        break;
      case Kind::kContentLength:
        // llhttp parses the value and refuses lists and duplicates.
        ++s.contentLengthCount;
        if (s.transferEncodingCount > 0) {
          return s.fail(400, "Content-Length with Transfer-Encoding");
        }
        break;
      case Kind::kTransferEncoding:
        ++s.transferEncodingCount;
        if (s.contentLengthCount > 0) return s.fail(400, "Content-Length with Transfer-Encoding");
        s.teChunked = equalsIgnoreCase(value, "chunked");
        break;
      case Kind::kExpect:
        if (equalsIgnoreCase(value, "100-continue")) s.expectContinue = true;
        break;
      case Kind::kOther:
        break;
    }
    s.kind = Kind::kOther;
    return 0;
  }

  static int onHeadersComplete(llhttp_t* p) {
    Impl& s = from(p);
    // HTTP/0.9 ("GET /") reaches here without a version callback.
    if (p->http_major != 1 || p->http_minor > 1) return s.fail(505, "HTTP version not supported");
    const bool http11 = p->http_minor == 1;
    if (s.hostCount == 0 && http11) return s.fail(400, "missing Host header");
    const bool llhttpChunked = (p->flags & F_CHUNKED) != 0;
    if (s.transferEncodingCount > 0) {
      if (s.contentLengthCount > 0) return s.fail(400, "Content-Length with Transfer-Encoding");
      // RFC 9112 6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
      if (!http11) return s.fail(400, "Transfer-Encoding in HTTP/1.0");
      // Only a single, bare "chunked" (RFC 9112 6.3; no other codings are implemented).
      if (s.transferEncodingCount > 1 || !s.teChunked) {
        return s.fail(501, "unsupported Transfer-Encoding");
      }
    }
    if (llhttpChunked != (s.transferEncodingCount > 0)) {
      return s.fail(400, "invalid Transfer-Encoding");  // never expected: llhttp disagrees
    }
    int64_t contentLength = -1;
    if (p->flags & F_CONTENT_LENGTH) {
      if (p->content_length > s.limits.maxBodyBytes) return s.fail(413, "request body too large");
      contentLength = static_cast<int64_t>(p->content_length);
    }

    HttpRequest& r = *s.self->request_;
    r.method = llhttp_method_name(static_cast<llhttp_method_t>(p->method));
    r.target = s.view(s.targetOff, s.targetLen);
    r.versionMajor = p->http_major;
    r.versionMinor = p->http_minor;
    if (s.fieldCount > 0) {
      auto* headers = static_cast<HttpHeader*>(
          s.heap->allocate(sizeof(HttpHeader) * s.fieldCount, alignof(HttpHeader)));
      for (uint32_t i = 0; i < s.fieldCount; ++i) {
        const FieldRef& f = s.fields[i];
        new (&headers[i]) HttpHeader{s.view(f.nameOff, f.nameLen), s.view(f.valueOff, f.valueLen)};
      }
      r.headers = headers;
      r.headerCount = s.fieldCount;
      if (s.hostCount == 1) r.host = headers[s.hostField].value;
    }
    r.keepAlive = llhttp_should_keep_alive(p) != 0;
    // RFC 9110 10.1.1: a server ignores 100-continue from an HTTP/1.0 client.
    r.expectContinue = s.expectContinue && http11;
    r.chunked = llhttpChunked;
    r.contentLength = contentLength;
    // Reserve what was announced, up to 1 MiB: a head alone must not claim 100 MiB.
    if (contentLength > 0) r.body->reserve(std::min<size_t>(size_t(contentLength), 1 << 20));
    if (llhttpChunked) s.chunks.start(s.limits.maxHeadBytes);

    // Upgrade requests are ordinary requests here: without this llhttp would stop at
    // HPE_PAUSED_UPGRADE after the message and treat what follows as another protocol.
    p->upgrade = 0;
    s.phase = Phase::kBody;
    s.pause = Pause::kHead;
    return HPE_PAUSED;
  }

  static int onChunkHeader(llhttp_t* p) {
    Impl& s = from(p);
    // Refuse an oversized chunk when its size arrives, not after reading it.
    if (p->content_length > s.bodyLimit - s.bodyBytes) {
      return s.fail(413, "request body too large");
    }
    return 0;
  }

  static int onBody(llhttp_t* p, const char* at, size_t n) {
    Impl& s = from(p);
    if (n > s.bodyLimit - s.bodyBytes) return s.fail(413, "request body too large");
    s.bodyBytes += n;
    if (s.bodyFn) {
      s.bodyFn(s.bodyArg, at, n);
    } else {
      s.self->request_->body->append(at, n);
    }
    return 0;
  }

  static int onMessageComplete(llhttp_t* p) {
    from(p).pause = Pause::kMessage;
    return HPE_PAUSED;
  }

  static const llhttp_settings_t kSettings;

  // ---- helpers ----
  int fail(int status, const char* reason) {
    // The first refusal wins; llhttp reports callback errors under its own codes.
    if (!failed) {
      self->error_ = HttpError{status, reason};
      failed = true;
    }
    return HPE_USER;
  }

  std::string_view view(uint32_t off, uint32_t len) const {
    return len == 0 ? std::string_view() : std::string_view(head->data() + off, len);
  }

  void growFields() {
    const uint32_t cap = fieldCap == 0 ? kInitialFields : fieldCap * 2;
    auto* grown = static_cast<FieldRef*>(heap->allocate(sizeof(FieldRef) * cap, alignof(FieldRef)));
    if (fieldCount > 0) memcpy(grown, fields, sizeof(FieldRef) * fieldCount);
    fields = grown;  // the old array stays with the heap
    fieldCap = cap;
  }

  // Keeps the last kWindow bytes llhttp consumed, for checks that look behind a span.
  void remember(const char* p, size_t n) {
    if (n >= kWindow) {
      memcpy(window, p + n - kWindow, kWindow);
      windowLen = kWindow;
      return;
    }
    const size_t keep = std::min<size_t>(windowLen, kWindow - n);
    memmove(window, window + windowLen - keep, keep);
    memcpy(window + keep, p, n);
    windowLen = static_cast<uint8_t>(keep + n);
  }

  // Two rules for head bytes that loose llhttp does not hold:
  // - every CR starts a CRLF: it takes a bare CR as the end of an empty header value or of
  //   the header block, which a strict peer would not;
  // - no line starts with SP or HTAB: that is obs-fold (RFC 9112 5.2), which llhttp joins
  //   into the previous value. Refused, as it is a classic way to hide a header from one side.
  // llhttp itself refuses a bare LF anywhere a fold could follow it (after a header value, or
  // after the request line when a space follows), so only lines after a CRLF need looking at.
  // One memchr pass; `carry` holds a CR or CRLF that ended the previous input.
  const char* checkHeadBytes(const char* p, size_t n) {
    if (n == 0) return nullptr;
    const char* end = p + n;
    const char* q = p;
    if (carry == Carry::kCr) {
      if (p[0] != '\n') return "bare CR in request head";
      if (n == 1) {
        carry = Carry::kCrLf;
        return nullptr;
      }
      if (isOws(p[1])) return "obsolete line folding";
      q = p + 1;
    } else if (carry == Carry::kCrLf) {
      if (isOws(p[0])) return "obsolete line folding";
    }
    carry = Carry::kNone;
    while ((q = static_cast<const char*>(memchr(q, '\r', static_cast<size_t>(end - q))))) {
      if (q + 1 == end) {
        carry = Carry::kCr;
        break;
      }
      if (q[1] != '\n') return "bare CR in request head";
      if (q + 2 == end) {
        carry = Carry::kCrLf;
        break;
      }
      if (isOws(q[2])) return "obsolete line folding";
      q += 2;
    }
    return nullptr;
  }

  // Checks the bytes llhttp consumed in one execute; false with error set on a refusal.
  bool checkConsumed(bool inHead, const char* p, size_t n) {
    if (inHead) {
      const char* bad = checkHeadBytes(p, n);
      return bad == nullptr || setError(400, bad);
    }
    if (self->request_->chunked) {
      HttpError e;
      if (!chunks.scan(p, n, &e)) return setError(e.status, e.reason);
    }
    return true;
  }

  bool setError(int status, const char* reason) {
    self->error_ = HttpError{status, reason};
    failed = true;
    return false;
  }

  // Maps an error llhttp found by itself.
  HttpError mapError(llhttp_errno_t err) const {
    const bool inBody = phase == Phase::kBody;
    switch (err) {
      case HPE_INVALID_VERSION: {
        // A well-formed HTTP/x.y that llhttp does not know is unsupported, not malformed.
        // (The same code covers a bad line end after a good version.)
        const bool wellFormed = versionLen == 3 && version[0] >= '0' && version[0] <= '9' &&
                                version[1] == '.' && version[2] >= '0' && version[2] <= '9';
        const bool known = wellFormed && version[0] == '1' && version[2] <= '1';
        if (wellFormed && !known) return {505, "HTTP version not supported"};
        return {400, "malformed request line"};
      }
      case HPE_PAUSED_H2_UPGRADE:
        return {505, "HTTP version not supported"};
      case HPE_UNEXPECTED_CONTENT_LENGTH:
        if (transferEncodingCount > 0) return {400, "Content-Length with Transfer-Encoding"};
        return {400, "duplicate Content-Length"};
      case HPE_INVALID_CONTENT_LENGTH:
        return {400, "invalid Content-Length"};
      case HPE_INVALID_TRANSFER_ENCODING:
        if (contentLengthCount > 0) return {400, "Content-Length with Transfer-Encoding"};
        return {501, "unsupported Transfer-Encoding"};
      case HPE_INVALID_CHUNK_SIZE:
        return {400, "invalid chunk size"};
      case HPE_INVALID_METHOD:
        return {400, "invalid method"};
      case HPE_INVALID_URL:
        return {400, "invalid request target"};
      case HPE_INVALID_HEADER_TOKEN:
        return {400, "invalid header field"};
      case HPE_UNEXPECTED_SPACE:
        return {400, "unexpected whitespace"};
      case HPE_INVALID_CONSTANT:
        return inBody ? HttpError{400, "bad chunk framing"}
                      : HttpError{400, "malformed request line"};
      default:
        return inBody ? HttpError{400, "bad chunk framing"} : HttpError{400, "malformed request"};
    }
  }

  void startMessage(alloc::RequestHeap& h) {
    heap = &h;
    phase = Phase::kIdle;
    pause = Pause::kNone;
    failed = false;
    headBytes = 0;
    bodyBytes = 0;
    bodyLimit = limits.maxBodyBytes;
    bodyFn = nullptr;
    bodyArg = nullptr;
    head = h.make<alloc::HeapBuffer>(h);
    fields = nullptr;
    fieldCap = 0;
    fieldCount = 0;
    growFields();
    // After the fields so that the head buffer, the latest allocation, can grow in place.
    head->reserve(kInitialHeadBytes);
    targetOff = 0;
    targetLen = 0;
    inField = false;
    inValue = false;
    kind = Kind::kOther;
    hostCount = 0;
    hostField = 0;
    contentLengthCount = 0;
    transferEncodingCount = 0;
    trailerCount = 0;
    teChunked = false;
    expectContinue = false;
    versionLen = 0;
    windowLen = 0;
    carry = Carry::kNone;
    feedBegin = kEmptyInput;
    // A fresh llhttp state per message: nothing from the previous message (its pause, its
    // Connection flags) can leak into this one.
    llhttp_reset(&parser);
  }

  HttpParser* self;
  HttpLimits limits;
  llhttp_t parser;
  alloc::RequestHeap* heap = nullptr;
  alloc::HeapBuffer* head = nullptr;  // target, header names and values
  FieldRef* fields = nullptr;
  uint32_t fieldCap = 0;
  uint32_t fieldCount = 0;
  Phase phase = Phase::kIdle;
  Pause pause = Pause::kNone;
  bool failed = false;
  bool inField = false;
  bool inValue = false;
  bool teChunked = false;
  bool expectContinue = false;
  Carry carry = Carry::kNone;  // how the head bytes so far end
  Kind kind = Kind::kOther;
  size_t headBytes = 0;
  uint64_t bodyBytes = 0;
  uint64_t bodyLimit = 0;  // limits.maxBodyBytes, or lower (limitBody)
  HttpParser::BodyFn bodyFn = nullptr;  // streamBody(): where body bytes go instead
  void* bodyArg = nullptr;
  uint32_t targetOff = 0;
  uint32_t targetLen = 0;
  uint32_t hostCount = 0;
  uint32_t hostField = 0;
  uint32_t contentLengthCount = 0;
  uint32_t transferEncodingCount = 0;
  size_t trailerCount = 0;
  detail::ChunkScanner chunks;
  const char* feedBegin = kEmptyInput;
  char version[kVersionMax];
  uint8_t versionLen = 0;
  char window[kWindow];
  uint8_t windowLen = 0;
};

const llhttp_settings_t HttpParser::Impl::kSettings = {
    .on_message_begin = &Impl::onMessageBegin,
    .on_url = &Impl::onUrl,
    .on_status = nullptr,
    .on_method = nullptr,
    .on_version = &Impl::onVersion,
    .on_header_field = &Impl::onHeaderField,
    .on_header_value = &Impl::onHeaderValue,
    .on_chunk_extension_name = nullptr,
    .on_chunk_extension_value = nullptr,
    .on_headers_complete = &Impl::onHeadersComplete,
    .on_body = &Impl::onBody,
    .on_message_complete = &Impl::onMessageComplete,
    .on_url_complete = nullptr,
    .on_status_complete = nullptr,
    .on_method_complete = &Impl::onMethodComplete,
    .on_version_complete = &Impl::onVersionComplete,
    .on_header_field_complete = &Impl::onHeaderFieldComplete,
    .on_header_value_complete = &Impl::onHeaderValueComplete,
    .on_chunk_extension_name_complete = nullptr,
    .on_chunk_extension_value_complete = nullptr,
    .on_chunk_header = &Impl::onChunkHeader,
    .on_chunk_complete = nullptr,
    .on_reset = nullptr,
};

HttpParser::HttpParser(const HttpLimits& limits) : impl_(new Impl(this, limits)) {
  // Offsets into the head are 32-bit.
  TORUS_CHECK(limits.maxHeadBytes < (1u << 31));
}

HttpParser::~HttpParser() { delete impl_; }

void HttpParser::reset(alloc::RequestHeap& heap) {
  error_ = HttpError();
  request_ = heap.make<HttpRequest>();
  request_->body = heap.make<alloc::HeapBuffer>(heap);
  impl_->startMessage(heap);
}

HttpParser::Status HttpParser::feed(const char* data, size_t len, size_t* consumed) {
  Impl& s = *impl_;
  *consumed = 0;
  TORUS_CHECK_MSG(s.heap != nullptr, "HttpParser::feed() before reset()");
  if (s.failed) return Status::kError;
  TORUS_CHECK_MSG(s.phase != Phase::kComplete, "HttpParser::feed() after kMessageComplete");
  if (data == nullptr) {
    TORUS_CHECK(len == 0);
    data = kEmptyInput;  // llhttp treats a null span start as "no span"
  }

  size_t off = 0;
  for (;;) {
    const char* p = data + off;
    size_t n = len - off;
    const bool inHead = s.phase == Phase::kIdle || s.phase == Phase::kHead;
    // llhttp never sees more head than the limit allows; the head-complete pause stops it
    // at the end of the head, so everything it takes while inHead is head.
    bool capped = false;
    if (inHead && n > s.limits.maxHeadBytes - s.headBytes) {
      n = s.limits.maxHeadBytes - s.headBytes;
      capped = true;
    }
    s.feedBegin = p;
    s.pause = Impl::Pause::kNone;
    const llhttp_errno_t err = llhttp_execute(&s.parser, p, n);
    size_t used = n;
    if (err != HPE_OK) {
      // Where llhttp stopped: the pause point, or the error (clamped, to be safe).
      const char* pos = llhttp_get_error_pos(&s.parser);
      used = (pos >= p && pos <= p + n) ? static_cast<size_t>(pos - p) : 0;
    }
    if (!s.failed) s.checkConsumed(inHead, p, used);
    s.remember(p, used);
    if (inHead) s.headBytes += used;
    off += used;
    *consumed = off;

    if (s.failed) return Status::kError;
    switch (err) {
      case HPE_OK:
        if (capped) {
          s.setError(431, "request head too large");
          return Status::kError;
        }
        return Status::kNeedMore;
      case HPE_PAUSED:
        llhttp_resume(&s.parser);
        if (s.pause == Impl::Pause::kHead) return Status::kHeadersComplete;
        if (s.pause == Impl::Pause::kMessage) {
          if (request_->chunked && !s.chunks.done()) {
            s.setError(400, "bad chunk framing");  // never expected: llhttp disagrees
            return Status::kError;
          }
          s.phase = Phase::kComplete;
          return Status::kMessageComplete;
        }
        break;  // no other callback pauses; go on
      case HPE_PAUSED_UPGRADE:
        // Not reached (upgrade is cleared at headers-complete); never stall on it.
        llhttp_resume_after_upgrade(&s.parser);
        break;
      default: {
        const HttpError e = s.mapError(err);
        s.setError(e.status, e.reason);
        return Status::kError;
      }
    }
  }
}

void HttpParser::streamBody(BodyFn fn, void* arg) {
  impl_->bodyFn = fn;
  impl_->bodyArg = arg;
}

uint64_t HttpParser::bodyBytes() const { return impl_->bodyBytes; }

bool HttpParser::limitBody(uint64_t maxBytes) {
  impl_->bodyLimit = std::min(impl_->bodyLimit, maxBytes);
  return impl_->bodyBytes <= impl_->bodyLimit;
}

bool HttpParser::inMessage() const {
  return impl_->phase == Phase::kHead || impl_->phase == Phase::kBody;
}

bool HttpParser::headComplete() const {
  return impl_->phase == Phase::kBody || impl_->phase == Phase::kComplete;
}

}  // namespace torus::net
