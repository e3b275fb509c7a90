#include "net/http_response_parser.h"

#include <strings.h>

#include <algorithm>
#include <cstring>

#include "base/check.h"
#include "llhttp.h"
#include "net/chunk_scanner.h"

namespace torus::net {
namespace {

using Status = HttpResponseParser::Status;

constexpr char kEmptyInput[1] = {0};

enum class Kind : uint8_t { kOther, kContentLength, kTransferEncoding };

Kind classify(std::string_view name) {
  if (name.size() == 14 && strncasecmp(name.data(), "content-length", 14) == 0) {
    return Kind::kContentLength;
  }
  if (name.size() == 17 && strncasecmp(name.data(), "transfer-encoding", 17) == 0) {
    return Kind::kTransferEncoding;
  }
  return Kind::kOther;
}

struct FieldRef {
  uint32_t nameOff, nameLen, valueOff, valueLen;
};

}  // namespace

struct HttpResponseParser::Impl {
  enum class Pause : uint8_t { kNone, kHead, kMessage };

  Impl(HttpResponseParser* owner, const ResponseLimits& l) : self(owner), limits(l) {
    llhttp_init(&parser, HTTP_RESPONSE, &kSettings);
    parser.data = this;
  }

  static Impl& from(llhttp_t* p) { return *static_cast<Impl*>(p->data); }

  int fail(std::string message) {
    if (!failed) {
      self->error_ = std::move(message);
      failed = true;
    }
    return HPE_USER;
  }

  void append(const char* at, size_t n) {
    std::vector<char>& s = self->response_.storage;
    s.insert(s.end(), at, at + n);
  }
  uint32_t size() const { return uint32_t(self->response_.storage.size()); }

  // A new message (the final response, or an interim one before it).
  void startHead() {
    self->response_ = HttpResponse();
    self->response_.storage.reserve(512);
    fields.clear();
    inField = inValue = false;
    reasonOff = reasonLen = 0;
    contentLengthCount = transferEncodingCount = 0;
    teField = 0;
  }

  static int onMessageBegin(llhttp_t* p) {
    Impl& s = from(p);
    s.self->started_ = true;
    s.inHead = true;
    s.startHead();
    return 0;
  }

  static int onStatus(llhttp_t* p, const char* at, size_t n) {
    Impl& s = from(p);
    if (s.reasonLen == 0) s.reasonOff = s.size();
    s.append(at, n);
    s.reasonLen += uint32_t(n);
    return 0;
  }

  static int onHeaderField(llhttp_t* p, const char* at, size_t n) {
    Impl& s = from(p);
    if (!s.inField) {
      if (s.fields.size() >= s.limits.maxHeaderCount) {
        return s.fail("response has more than " + std::to_string(s.limits.maxHeaderCount) +
                      " header fields");
      }
      s.inField = true;
      s.fields.push_back({s.size(), 0, 0, 0});
    }
    s.append(at, n);
    s.fields.back().nameLen += uint32_t(n);
    return 0;
  }

  static int onHeaderFieldComplete(llhttp_t* p) {
    Impl& s = from(p);
    s.inField = false;
    if (s.fields.empty()) return 0;
    FieldRef& f = s.fields.back();
    f.valueOff = s.size();
    std::string_view name(s.self->response_.storage.data() + f.nameOff, f.nameLen);
    switch (classify(name)) {
      case Kind::kContentLength:
        ++s.contentLengthCount;
        break;
      case Kind::kTransferEncoding:
        ++s.transferEncodingCount;
        s.teField = uint32_t(s.fields.size() - 1);
        break;
      case Kind::kOther:
        break;
    }
    return 0;
  }

  static int onHeaderValue(llhttp_t* p, const char* at, size_t n) {
    Impl& s = from(p);
    if (s.fields.empty()) return 0;
    FieldRef& f = s.fields.back();
    if (f.valueLen == 0) f.valueOff = s.size();
    s.append(at, n);
    f.valueLen += uint32_t(n);
    return 0;
  }

  static int onHeaderValueComplete(llhttp_t* p) {
    Impl& s = from(p);
    if (s.fields.empty()) return 0;
    FieldRef& f = s.fields.back();
    const char* v = s.self->response_.storage.data() + f.valueOff;
    while (f.valueLen > 0 && (v[f.valueLen - 1] == ' ' || v[f.valueLen - 1] == '\t')) --f.valueLen;
    return 0;
  }

  static int onHeadersComplete(llhttp_t* p) {
    Impl& s = from(p);
    HttpResponse& r = s.self->response_;
    const int status = p->status_code;
    if (p->http_major != 1 || p->http_minor > 1) return s.fail("response is not HTTP/1.x");
    if (status < 100 || status > 999) return s.fail("invalid response status");
    if (status == 101) return s.fail("unexpected 101 Switching Protocols");
    const bool interim = status < 200;
    if (s.contentLengthCount > 0 && s.transferEncodingCount > 0) {
      return s.fail("response has both Content-Length and Transfer-Encoding");
    }
    const char* base = r.storage.data();
    if (s.transferEncodingCount > 0) {
      const FieldRef& te = s.fields[s.teField];
      std::string_view v(base + te.valueOff, te.valueLen);
      if (s.transferEncodingCount > 1 || v.size() != 7 || strncasecmp(v.data(), "chunked", 7)) {
        return s.fail("unsupported Transfer-Encoding in response");
      }
    }
    r.status = status;
    r.versionMinor = uint8_t(p->http_minor);
    r.reason = s.reasonLen ? std::string_view(base + s.reasonOff, s.reasonLen) : std::string_view();
    r.headers.clear();
    r.headers.reserve(s.fields.size());
    for (const FieldRef& f : s.fields) {
      r.headers.push_back({std::string_view(base + f.nameOff, f.nameLen),
                           f.valueLen ? std::string_view(base + f.valueOff, f.valueLen)
                                      : std::string_view()});
    }
    r.noBody = interim || status == 204 || status == 304 || s.headRequest;
    if (r.noBody) {
      // RFC 9112 6.3: whatever the head says, these have no body.
      p->flags |= F_SKIPBODY;
    } else {
      r.chunked = (p->flags & F_CHUNKED) != 0;
      if (p->flags & F_CONTENT_LENGTH) {
        if (s.limits.maxBodyBytes && p->content_length > s.limits.maxBodyBytes) {
          return s.fail("response body over " + std::to_string(s.limits.maxBodyBytes) +
                        " bytes (Content-Length: " + std::to_string(p->content_length) + ")");
        }
        r.contentLength = int64_t(p->content_length);
      }
      r.closeDelimited = !r.chunked && !(p->flags & F_CONTENT_LENGTH);
      if (r.chunked) s.chunks.start(s.limits.maxHeadBytes);
    }
    s.headBytesFinal = s.headBytes;
    if (interim) return 0;  // parsed and dropped at its message end
    s.inHead = false;
    s.self->headComplete_ = true;
    s.pause = Pause::kHead;
    return HPE_PAUSED;
  }

  static int onChunkHeader(llhttp_t* p) {
    Impl& s = from(p);
    if (s.limits.maxBodyBytes && p->content_length > s.limits.maxBodyBytes - s.self->bodyBytes_) {
      return s.fail("response body over " + std::to_string(s.limits.maxBodyBytes) + " bytes");
    }
    return 0;
  }

  static int onBody(llhttp_t* p, const char* at, size_t n) {
    Impl& s = from(p);
    if (s.limits.maxBodyBytes && n > s.limits.maxBodyBytes - s.self->bodyBytes_) {
      return s.fail("response body over " + std::to_string(s.limits.maxBodyBytes) + " bytes");
    }
    s.self->bodyBytes_ += n;
    if (s.self->bodyFn_) s.self->bodyFn_(s.self->bodyArg_, at, n);
    return 0;
  }

  static int onMessageComplete(llhttp_t* p) {
    Impl& s = from(p);
    if (!s.self->headComplete_) return 0;  // an interim response: go on to the next
    s.self->response_.keepAlive = llhttp_should_keep_alive(p) != 0 &&
                                  !s.self->response_.closeDelimited;
    s.pause = Pause::kMessage;
    return HPE_PAUSED;
  }

  std::string mapError(llhttp_errno_t err) const {
    switch (err) {
      case HPE_UNEXPECTED_CONTENT_LENGTH:
        if (transferEncodingCount > 0) {
          return "response has both Content-Length and Transfer-Encoding";
        }
        return "response has a duplicate Content-Length";
      case HPE_INVALID_CONTENT_LENGTH:
        return "response has an invalid Content-Length";
      case HPE_INVALID_TRANSFER_ENCODING:
        if (contentLengthCount > 0) return "response has both Content-Length and Transfer-Encoding";
        return "unsupported Transfer-Encoding in response";
      case HPE_INVALID_CHUNK_SIZE:
        return "response has an invalid chunk size";
      case HPE_INVALID_VERSION:
      case HPE_INVALID_CONSTANT:
        return inHead ? "malformed response status line" : "malformed response body framing";
      case HPE_INVALID_STATUS:
        return "invalid response status";
      case HPE_INVALID_HEADER_TOKEN:
        return "invalid response header field";
      default:
        return std::string(inHead ? "malformed response head: " : "malformed response body: ") +
               llhttp_errno_name(err);
    }
  }

  static const llhttp_settings_t kSettings;

  HttpResponseParser* self;
  ResponseLimits limits;
  llhttp_t parser;
  std::vector<FieldRef> fields;
  Pause pause = Pause::kNone;
  bool failed = false;
  bool complete = false;
  bool headRequest = false;
  bool inHead = false;
  bool inField = false;
  bool inValue = false;
  uint32_t reasonOff = 0, reasonLen = 0;
  uint32_t contentLengthCount = 0, transferEncodingCount = 0, teField = 0;
  size_t headBytes = 0;
  size_t headBytesFinal = 0;
  // Loose llhttp takes any bytes as some chunk line ends; a pooled connection must frame a
  // body exactly as the server meant it.
  detail::ChunkScanner chunks;
};

const llhttp_settings_t HttpResponseParser::Impl::kSettings = {
    .on_message_begin = &Impl::onMessageBegin,
    .on_url = nullptr,
    .on_status = &Impl::onStatus,
    .on_method = nullptr,
    .on_version = nullptr,
    .on_header_field = &Impl::onHeaderField,
    .on_header_value = &Impl::onHeaderValue,
    .on_chunk_extension_name = nullptr,
    .on_chunk_extension_value = nullptr,
    .on_headers_complete = &Impl::onHeadersComplete,
    .on_body = &Impl::onBody,
    .on_message_complete = &Impl::onMessageComplete,
    .on_url_complete = nullptr,
    .on_status_complete = nullptr,
    .on_method_complete = nullptr,
    .on_version_complete = nullptr,
    .on_header_field_complete = &Impl::onHeaderFieldComplete,
    .on_header_value_complete = &Impl::onHeaderValueComplete,
    .on_chunk_extension_name_complete = nullptr,
    .on_chunk_extension_value_complete = nullptr,
    .on_chunk_header = &Impl::onChunkHeader,
    .on_chunk_complete = nullptr,
    .on_reset = nullptr,
};

HttpResponseParser::HttpResponseParser(const ResponseLimits& limits)
    : impl_(new Impl(this, limits)) {
  TORUS_CHECK(limits.maxHeadBytes < (1u << 31));
  reset(false);
}

HttpResponseParser::~HttpResponseParser() { delete impl_; }

void HttpResponseParser::reset(bool headRequest) {
  Impl& s = *impl_;
  response_ = HttpResponse();
  error_.clear();
  started_ = headComplete_ = false;
  bodyBytes_ = 0;
  s.fields.clear();
  s.pause = Impl::Pause::kNone;
  s.failed = s.complete = false;
  s.headRequest = headRequest;
  s.inHead = true;
  s.headBytes = s.headBytesFinal = 0;
  s.contentLengthCount = s.transferEncodingCount = 0;
  llhttp_reset(&s.parser);
}

Status HttpResponseParser::feed(const char* data, size_t len, size_t* consumed) {
  Impl& s = *impl_;
  *consumed = 0;
  if (s.failed) return Status::kError;
  TORUS_CHECK_MSG(!s.complete, "HttpResponseParser::feed() after kMessageComplete");
  if (data == nullptr) {
    TORUS_CHECK(len == 0);
    data = kEmptyInput;
  }
  size_t off = 0;
  for (;;) {
    const char* p = data + off;
    size_t n = len - off;
    const bool inHead = s.inHead;
    bool capped = false;
    if (inHead && n > s.limits.maxHeadBytes - s.headBytes) {
      n = s.limits.maxHeadBytes - s.headBytes;
      capped = true;
    }
    s.pause = Impl::Pause::kNone;
    const llhttp_errno_t err = llhttp_execute(&s.parser, p, n);
    size_t used = n;
    if (err != HPE_OK) {
      const char* pos = llhttp_get_error_pos(&s.parser);
      used = (pos >= p && pos <= p + n) ? size_t(pos - p) : 0;
    }
    if (inHead) {
      s.headBytes += used;
    } else if (!s.failed && response_.chunked) {
      HttpError e;
      if (!s.chunks.scan(p, used, &e)) s.fail(std::string("response: ") + e.reason);
    }
    off += used;
    *consumed = off;
    if (s.failed) return Status::kError;
    switch (err) {
      case HPE_OK:
        if (capped && s.inHead) {
          s.fail("response head over " + std::to_string(s.limits.maxHeadBytes) + " bytes");
          return Status::kError;
        }
        if (off < len) break;  // the cap ended with the head: go on with the body
        return Status::kNeedMore;
      case HPE_PAUSED:
        llhttp_resume(&s.parser);
        if (s.pause == Impl::Pause::kHead) return Status::kHeadersComplete;
        if (s.pause == Impl::Pause::kMessage) {
          if (response_.chunked && !s.chunks.done()) {
            s.fail("response: bad chunk framing");
            return Status::kError;
          }
          s.complete = true;
          return Status::kMessageComplete;
        }
        break;
      default:
        s.fail(s.mapError(err));
        return Status::kError;
    }
  }
}

Status HttpResponseParser::finish() {
  Impl& s = *impl_;
  if (s.failed) return Status::kError;
  if (s.complete) return Status::kMessageComplete;
  if (!started_) {
    s.fail("connection closed before the response");
    return Status::kError;
  }
  if (!headComplete_) {
    s.fail("connection closed in the response head");
    return Status::kError;
  }
  if (response_.closeDelimited) {
    s.pause = Impl::Pause::kNone;
    llhttp_errno_t err = llhttp_finish(&s.parser);
    if (err == HPE_OK || err == HPE_PAUSED) {
      response_.keepAlive = false;
      s.complete = true;
      return Status::kMessageComplete;
    }
  }
  s.fail("connection closed before the response body ended (" + std::to_string(bodyBytes_) +
         " bytes" +
         (response_.contentLength >= 0 ? " of " + std::to_string(response_.contentLength) : "") +
         " received)");
  return Status::kError;
}

}  // namespace torus::net
