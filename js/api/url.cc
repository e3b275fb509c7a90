#include "js/api/url.h"

#include <ada.h>

#include <cstring>

#include "js/binding.h"
#include "js/builtins.h"

namespace torus::js {

namespace {

// UTF-8 of a JS string with lone surrogates as U+FFFD (the USVString conversion, done while
// encoding instead of in JS), in a stack buffer when it fits.
class UsvUtf8 {
 public:
  UsvUtf8(v8::Isolate* iso, v8::Local<v8::String> s) {
    int length = s->Length();
    if (s->IsOneByte() && size_t(length) <= sizeof(small_)) {
      // Latin-1 is ASCII more often than not: one pass, then UTF-8 only if needed.
      s->WriteOneByte(iso, reinterpret_cast<uint8_t*>(small_), 0, length,
                      v8::String::NO_NULL_TERMINATION);
      bool ascii = true;
      for (int i = 0; i < length; ++i) ascii &= static_cast<unsigned char>(small_[i]) < 0x80;
      if (ascii) {
        data_ = small_;
        size_ = size_t(length);
        return;
      }
    }
    size_ = size_t(s->Utf8Length(iso));
    if (size_ > kMaxUrlInputBytes) {
      tooLong_ = true;
      return;
    }
    if (size_ <= sizeof(small_)) {
      data_ = small_;
    } else {
      big_.resize(size_);
      data_ = big_.data();
    }
    s->WriteUtf8(iso, data_, int(size_), nullptr,
                 v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  }
  UsvUtf8(const UsvUtf8&) = delete;
  UsvUtf8& operator=(const UsvUtf8&) = delete;

  std::string_view view() const { return {data_, size_}; }
  bool tooLong() const { return tooLong_; }

 private:
  char small_[256];
  std::string big_;
  char* data_ = small_;
  size_t size_ = 0;
  bool tooLong_ = false;
};

// ---- the URL Standard since ada 2.7.8 ----
//
// ada 2.7.8 (2023) predates a few changes of the standard that the web-platform-tests check;
// they are applied to its results here (and, for ASCII domains, by the patch to its IDNA
// in packaging/patches/). Each is cheap to detect, so a URL that needs none pays a scan of
// its path at most.

// The URL ada parses from its href with the path replaced by `path` (already encoded).
std::optional<ada::url_aggregator> reparseWithPath(const ada::url_aggregator& url,
                                                   std::string_view path) {
  std::string_view href = url.get_href();
  const ada::url_components& c = url.get_components();
  size_t start = c.pathname_start;
  size_t end = start + url.get_pathname_length();
  std::string fixed;
  fixed.reserve(href.size() + path.size() - (end - start));
  fixed.append(href.substr(0, start)).append(path).append(href.substr(end));
  ada::result<ada::url_aggregator> again = ada::parse<ada::url_aggregator>(fixed);
  if (!again) return std::nullopt;
  return std::move(*again);
}

// Brings a URL ada produced to what the current standard produces:
// - an opaque path's last space before a query or fragment is "%20" (this replaced
//   "potentially strip trailing spaces from an opaque path"), so removing the query or
//   fragment later leaves the path as it is;
// - '^' is in the path percent-encode set.
void conform(ada::url_aggregator& url) {
  std::string_view path = url.get_pathname();
  if (path.empty()) return;
  if (url.has_opaque_path) {
    if (path.back() != ' ' || !(url.has_search() || url.has_hash())) return;
    std::string fixed(path.substr(0, path.size() - 1));
    fixed += "%20";
    if (auto again = reparseWithPath(url, fixed)) url = std::move(*again);
    return;
  }
  if (path.find('^') == std::string_view::npos) return;
  std::string fixed;
  fixed.reserve(path.size() + 8);
  for (char ch : path) {
    if (ch == '^') {
      fixed += "%5E";
    } else {
      fixed += ch;
    }
  }
  if (auto again = reparseWithPath(url, fixed)) url = std::move(*again);
}

bool isTabOrNewline(char c) { return c == '\t' || c == '\n' || c == '\r'; }

// The basic URL parser removes every ASCII tab or newline from its input (the username and
// password setters do not use it: there they are percent-encoded).
std::string_view withoutTabsOrNewlines(std::string_view v, std::string& storage) {
  size_t i = 0;
  while (i < v.size() && !isTabOrNewline(v[i])) ++i;
  if (i == v.size()) return v;
  storage.assign(v.substr(0, i));
  for (; i < v.size(); ++i) {
    if (!isTabOrNewline(v[i])) storage += v[i];
  }
  return storage;
}

// One setter, as the standard runs it; false when the value is refused (the href setter
// fails; the others leave the URL as it was).
bool applySetter(ada::url_aggregator& url, UrlAction action, std::string_view value) {
  std::string storage;
  bool ok = true;
  switch (action) {
    case UrlAction::kHref: ok = url.set_href(value); break;
    case UrlAction::kProtocol: ok = url.set_protocol(value); break;
    case UrlAction::kUsername: ok = url.set_username(value); break;
    case UrlAction::kPassword: ok = url.set_password(value); break;
    case UrlAction::kHost: {
      std::string_view v = withoutTabsOrNewlines(value, storage);
      // The host state fails on a ':' with nothing before it (host-missing).
      if (!v.empty() && v[0] == ':') return false;
      ok = url.set_host(v);
      break;
    }
    case UrlAction::kHostname: ok = url.set_hostname(withoutTabsOrNewlines(value, storage)); break;
    case UrlAction::kPort: {
      std::string_view v = withoutTabsOrNewlines(value, storage);
      // Only the empty string itself clears the port; tabs alone leave it.
      if (v.empty() && !value.empty()) return false;
      ok = url.set_port(v);
      break;
    }
    case UrlAction::kPathname: {
      std::string_view v = withoutTabsOrNewlines(value, storage);
      bool opaque = url.has_opaque_path;
      ok = url.set_pathname(v);
      // A non-empty value always leaves a path of at least one segment ("/..": [""]).
      if (ok && !opaque && !v.empty() && url.get_pathname().empty()) ok = url.set_pathname("/");
      break;
    }
    case UrlAction::kSearch: url.set_search(value); break;
    case UrlAction::kHash: url.set_hash(value); break;
    default: ok = false;
  }
  if (ok) conform(url);
  return ok;
}

ada::result<ada::url_aggregator> parseConformed(std::string_view input,
                                                std::optional<std::string_view> base) {
  ada::result<ada::url_aggregator> url;
  if (base) {
    ada::result<ada::url_aggregator> b = ada::parse<ada::url_aggregator>(*base);
    if (!b) return b;
    url = ada::parse<ada::url_aggregator>(input, &*b);
  } else {
    url = ada::parse<ada::url_aggregator>(input);
  }
  if (url) conform(*url);
  return url;
}

int32_t* components(const v8::FunctionCallbackInfo<v8::Value>& info) {
  return static_cast<int32_t*>(info.Data().As<v8::ArrayBuffer>()->Data());
}

void writeComponents(int32_t* out, const ada::url_aggregator& url) {
  const ada::url_components& c = url.get_components();
  out[int(UrlComponent::kProtocolEnd)] = int32_t(c.protocol_end);
  out[int(UrlComponent::kUsernameEnd)] = int32_t(c.username_end);
  out[int(UrlComponent::kHostStart)] = int32_t(c.host_start);
  out[int(UrlComponent::kHostEnd)] = int32_t(c.host_end);
  out[int(UrlComponent::kPort)] = int32_t(c.port);
  out[int(UrlComponent::kPathnameStart)] = int32_t(c.pathname_start);
  out[int(UrlComponent::kSearchStart)] = int32_t(c.search_start);
  out[int(UrlComponent::kHashStart)] = int32_t(c.hash_start);
  out[int(UrlComponent::kSchemeType)] = int32_t(uint32_t(url.type));
}

// The href as a JS string (a serialized URL is ASCII), or the failure code when even that
// is more than V8 can hold.
void returnHref(const v8::FunctionCallbackInfo<v8::Value>& info, const ada::url_aggregator& url) {
  v8::Isolate* iso = info.GetIsolate();
  std::string_view href = url.get_href();
  v8::Local<v8::String> s;
  if (href.size() > size_t(v8::String::kMaxLength) ||
      !v8::String::NewFromOneByte(iso, reinterpret_cast<const uint8_t*>(href.data()),
                                  v8::NewStringType::kNormal, int(href.size()))
           .ToLocal(&s)) {
    info.GetReturnValue().Set(int(kUrlTooLong));
    return;
  }
  writeComponents(components(info), url);
  info.GetReturnValue().Set(s);
}

// urlParse(input, base?): both already strings (the built-in converts them).
void urlParse(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  if (!info[0]->IsString()) return info.GetReturnValue().Set(int(kUrlInvalid));
  UsvUtf8 input(iso, info[0].As<v8::String>());
  if (input.tooLong()) return info.GetReturnValue().Set(int(kUrlTooLong));
  ada::result<ada::url_aggregator> url;
  if (info[1]->IsString()) {
    UsvUtf8 baseText(iso, info[1].As<v8::String>());
    if (baseText.tooLong()) return info.GetReturnValue().Set(int(kUrlTooLong));
    url = parseConformed(input.view(), baseText.view());
  } else {
    url = parseConformed(input.view(), std::nullopt);
  }
  if (!url) return info.GetReturnValue().Set(int(kUrlInvalid));
  returnHref(info, *url);
}

void urlCanParse(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  if (!info[0]->IsString()) return info.GetReturnValue().Set(false);
  UsvUtf8 input(iso, info[0].As<v8::String>());
  if (input.tooLong()) return info.GetReturnValue().Set(false);
  if (info[1]->IsString()) {
    UsvUtf8 baseText(iso, info[1].As<v8::String>());
    if (baseText.tooLong()) return info.GetReturnValue().Set(false);
    std::string_view base = baseText.view();
    return info.GetReturnValue().Set(ada::can_parse(input.view(), &base));
  }
  info.GetReturnValue().Set(ada::can_parse(input.view()));
}

// urlUpdate(href, action, value): href is one this file produced, so it parses; a setter
// that refuses the value (a failure for href, a no-op for the others) returns kUrlInvalid.
void urlUpdate(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  if (!info[0]->IsString() || !info[1]->IsInt32() || !info[2]->IsString()) {
    return info.GetReturnValue().Set(int(kUrlInvalid));
  }
  UsvUtf8 hrefText(iso, info[0].As<v8::String>());
  UsvUtf8 value(iso, info[2].As<v8::String>());
  if (hrefText.tooLong() || value.tooLong()) return info.GetReturnValue().Set(int(kUrlTooLong));
  ada::result<ada::url_aggregator> url = ada::parse<ada::url_aggregator>(hrefText.view());
  if (!url) return info.GetReturnValue().Set(int(kUrlInvalid));
  bool ok = applySetter(*url, UrlAction(info[1].As<v8::Int32>()->Value()), value.view());
  if (!ok) return info.GetReturnValue().Set(int(kUrlInvalid));
  returnHref(info, *url);
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// https://url.spec.whatwg.org/#percent-decode, with '+' as a space first (the urlencoded
// parser replaces 0x2B before decoding, so "%2B" stays a plus).
void decodeInto(std::string& out, std::string_view in) {
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < in.size() && hexValue(in[i + 1]) >= 0 &&
               hexValue(in[i + 2]) >= 0) {
      out.push_back(char(hexValue(in[i + 1]) * 16 + hexValue(in[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
}

// Calls fn(name, value) for each pair of the urlencoded input, both percent-decoded bytes.
template <typename Fn>
void forEachUrlencodedPair(std::string_view input, Fn&& fn) {
  std::string name, value;
  size_t pos = 0;
  while (pos <= input.size()) {
    size_t amp = input.find('&', pos);
    if (amp == std::string_view::npos) amp = input.size();
    std::string_view seq = input.substr(pos, amp - pos);
    pos = amp + 1;
    if (seq.empty()) continue;
    size_t eq = seq.find('=');
    decodeInto(name, seq.substr(0, eq));
    decodeInto(value, eq == std::string_view::npos ? std::string_view() : seq.substr(eq + 1));
    fn(name, value);
  }
}

v8::MaybeLocal<v8::String> fromUtf8(v8::Isolate* iso, const std::string& s) {
  if (s.size() > size_t(v8::String::kMaxLength)) return {};
  return v8::String::NewFromUtf8(iso, s.data(), v8::NewStringType::kNormal, int(s.size()));
}

// urlencodedParse(string or BufferSource) -> [[name, value], ...]. Strings are UTF-8
// encoded first (lone surrogates as U+FFFD); the decoded bytes become strings through V8's
// UTF-8 decoder, which replaces invalid sequences with U+FFFD as the Encoding standard's
// "UTF-8 decode without BOM" does.
void urlencodedParse(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  std::string owned;
  std::string_view input;
  if (info[0]->IsString()) {
    v8::Local<v8::String> s = info[0].As<v8::String>();
    size_t size = size_t(s->Utf8Length(iso));
    if (size > kMaxUrlencodedBytes) {
      return throwError(iso, JsError::range("urlencoded input longer than " +
                                            std::to_string(kMaxUrlencodedBytes) + " bytes"));
    }
    owned.resize(size);
    s->WriteUtf8(iso, owned.data(), int(owned.size()), nullptr,
                 v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
    input = owned;
  } else if (info[0]->IsArrayBufferView()) {
    v8::Local<v8::ArrayBufferView> view = info[0].As<v8::ArrayBufferView>();
    owned.resize(view->ByteLength());
    view->CopyContents(owned.data(), owned.size());
    input = owned;
  } else if (info[0]->IsArrayBuffer()) {
    v8::Local<v8::ArrayBuffer> ab = info[0].As<v8::ArrayBuffer>();
    input = std::string_view(static_cast<const char*>(ab->Data()), ab->ByteLength());
  } else {
    return throwError(iso, JsError::type("urlencodedParse: not a string or BufferSource"));
  }
  std::vector<v8::Local<v8::Value>> pairs;
  bool failed = false;
  forEachUrlencodedPair(input, [&](const std::string& name, const std::string& value) {
    if (failed) return;
    v8::Local<v8::String> n, v;
    if (!fromUtf8(iso, name).ToLocal(&n) || !fromUtf8(iso, value).ToLocal(&v)) {
      failed = true;
      return;
    }
    v8::Local<v8::Value> pair[] = {n, v};
    pairs.push_back(v8::Array::New(iso, pair, 2));
  });
  if (failed) {
    if (!iso->IsExecutionTerminating()) {
      throwError(iso, JsError::range("urlencoded input too large"));
    }
    return;
  }
  info.GetReturnValue().Set(v8::Array::New(iso, pairs.data(), pairs.size()));
}

// https://url.spec.whatwg.org/#concept-urlencoded-byte-serializer on the UTF-8 of s.
void serializeInto(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        c == '*' || c == '-' || c == '.' || c == '_') {
      out += char(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
}

// urlencodedSerialize([[name, value], ...]) -> string. The names and values are USVStrings
// (the built-in converted them), so the UTF-8 encoder sees no lone surrogate.
void urlencodedSerialize(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  if (!info[0]->IsArray()) return;
  v8::Local<v8::Array> list = info[0].As<v8::Array>();
  std::string out;
  uint32_t n = list->Length();
  for (uint32_t i = 0; i < n; ++i) {
    v8::Local<v8::Value> pair;
    if (!list->Get(ctx, i).ToLocal(&pair) || !pair->IsArray()) return;
    if (i > 0) out += '&';
    for (uint32_t j = 0; j < 2; ++j) {
      v8::Local<v8::Value> v;
      if (!pair.As<v8::Array>()->Get(ctx, j).ToLocal(&v) || !v->IsString()) return;
      UsvUtf8 text(iso, v.As<v8::String>());
      if (text.tooLong() || out.size() > size_t(v8::String::kMaxLength) / 3) {
        return throwError(iso, JsError::range("urlencoded serialization too large"));
      }
      serializeInto(out, text.view());
      if (j == 0) out += '=';
    }
  }
  v8::Local<v8::String> result;
  if (out.size() > size_t(v8::String::kMaxLength) ||
      !v8::String::NewFromOneByte(iso, reinterpret_cast<const uint8_t*>(out.data()),
                                  v8::NewStringType::kNormal, int(out.size()))
           .ToLocal(&result)) {
    return throwError(iso, JsError::range("urlencoded serialization too large"));
  }
  info.GetReturnValue().Set(result);
}

}  // namespace

std::string percentDecode(std::string_view s) {
  auto hexValue = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    int hi, lo;
    if (s[i] == '%' && i + 2 < s.size() && (hi = hexValue(s[i + 1])) >= 0 &&
        (lo = hexValue(s[i + 2])) >= 0) {
      out += char(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

void addUrlNatives(Natives& natives) {
  v8::Isolate* iso = v8::Isolate::GetCurrent();
  v8::Local<v8::ArrayBuffer> buffer =
      v8::ArrayBuffer::New(iso, size_t(UrlComponent::kCount) * sizeof(uint32_t));
  natives.set("urlComponents", v8::Int32Array::New(buffer, 0, size_t(UrlComponent::kCount)));
  natives.set("urlTooLong", v8::Integer::New(iso, kUrlTooLong));
  natives.set("urlMaxInputBytes", v8::Number::New(iso, double(kMaxUrlInputBytes)));
  natives.add("urlParse", urlParse, buffer);
  natives.add("urlUpdate", urlUpdate, buffer);
  natives.add("urlCanParse", urlCanParse);
  natives.add("urlencodedParse", urlencodedParse);
  natives.add("urlencodedSerialize", urlencodedSerialize);
}

std::optional<std::string> parseUrl(std::string_view input, std::optional<std::string_view> base) {
  if (input.size() > kMaxUrlInputBytes || (base && base->size() > kMaxUrlInputBytes)) {
    return std::nullopt;
  }
  ada::result<ada::url_aggregator> url = parseConformed(input, base);
  if (!url) return std::nullopt;
  return std::string(url->get_href());
}

std::optional<std::string> setUrlComponent(std::string_view href, UrlAction action,
                                           std::string_view value) {
  if (href.size() > kMaxUrlInputBytes || value.size() > kMaxUrlInputBytes) return std::nullopt;
  ada::result<ada::url_aggregator> url = ada::parse<ada::url_aggregator>(href);
  if (!url || !applySetter(*url, action, value)) return std::nullopt;
  return std::string(url->get_href());
}

std::vector<std::pair<std::string, std::string>> parseUrlencoded(std::string_view input) {
  std::vector<std::pair<std::string, std::string>> out;
  forEachUrlencodedPair(input, [&](const std::string& name, const std::string& value) {
    out.emplace_back(name, value);
  });
  return out;
}

}  // namespace torus::js
