// URL and URLSearchParams (https://url.spec.whatwg.org/), natives on the ada library.
//
// The classes are built-in JavaScript (js/builtins/20_url.js), as in Node and Deno: a URL
// holds its serialized href and the offsets of its components, and every getter is a slice
// of the href (a serialized URL is ASCII, so ada's byte offsets are UTF-16 indices). ada runs
// only when a URL is parsed or changed:
//   urlParse(input, base?)          -> href, or a failure code (kUrlInvalid, kUrlTooLong)
//   urlUpdate(href, action, value)  -> the new href after a setter, or a failure code
//   urlCanParse(input, base?)       -> boolean
// urlParse and urlUpdate write the components of the result into natives.urlComponents, an
// Int32Array shared with the built-in (so that no object is allocated per parse), in the
// order of UrlComponent below; an omitted component is -1 (ada's 0xffffffff), which keeps
// every offset a small integer in JS.
//
// The application/x-www-form-urlencoded parser (https://url.spec.whatwg.org/#urlencoded-parsing)
// is native too, since it decodes bytes: urlencodedParse(string or BufferSource) -> array of
// [name, value]; urlencodedSerialize([[name, value]...]) -> string is its serializer.
//
// ada 2.7.8 predates a few changes of the standard; url.cc applies them to ada's results
// (opaque paths keep a last space before '?' or '#' as "%20", '^' is percent-encoded in
// paths, setters remove tabs and newlines first). Domain to ASCII is ours (js/api/idna.h:
// UTS #46 of a current Unicode version), called by ada through a patch applied at setup
// (packaging/patches/ada-idna-uts46.patch).
//
// Limits: an input (or base, or setter value) longer than kMaxUrlInputBytes of UTF-8 is
// refused (kUrlTooLong) before ada sees it, so a serialized URL stays far below V8's
// string limit even when every byte is percent-encoded.
//
// Thread: the isolate's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace torus::js {

class Natives;

inline constexpr size_t kMaxUrlInputBytes = size_t(32) << 20;
// A string given to the urlencoded parser (URLSearchParams' constructor) is bounded too:
// its UTF-8 copy and the strings made from it are in memory at once. Bodies are bounded by
// their own limits before they get here.
inline constexpr size_t kMaxUrlencodedBytes = size_t(64) << 20;

// Failure codes urlParse and urlUpdate return instead of an href.
enum UrlFailure : int { kUrlInvalid = 0, kUrlTooLong = 1 };

// Slots of natives.urlComponents.
enum class UrlComponent : int {
  kProtocolEnd,
  kUsernameEnd,
  kHostStart,
  kHostEnd,
  kPort,
  kPathnameStart,
  kSearchStart,
  kHashStart,
  kSchemeType,  // ada::scheme::type: 0 http, 1 not special, 2 https, 3 ws, 4 ftp, 5 wss, 6 file
  kCount
};

// The setter urlUpdate applies (its `action` argument).
enum class UrlAction : int {
  kHref,
  kProtocol,
  kUsername,
  kPassword,
  kHost,
  kHostname,
  kPort,
  kPathname,
  kSearch,
  kHash,
};

// urlParse, urlUpdate, urlCanParse, urlencodedParse, urlComponents, and the constants above
// (urlTooLong, urlMaxInputBytes), urlencodedSerialize.
void addUrlNatives(Natives& natives);

// For other natives (Request, Response.redirect): input parsed against base by the WHATWG
// URL parser; the serialized URL, or nullopt on failure.
std::optional<std::string> parseUrl(std::string_view input,
                                    std::optional<std::string_view> base = std::nullopt);

// A setter applied to href (a serialized URL): the new href, or nullopt when the value is
// refused (the href setter's failure; the other setters then leave the URL unchanged).
std::optional<std::string> setUrlComponent(std::string_view href, UrlAction action,
                                           std::string_view value);

// https://url.spec.whatwg.org/#percent-decode: %XX (hex, either case) becomes its byte; a '%'
// not followed by two hex digits stays as it is.
std::string percentDecode(std::string_view input);

// The application/x-www-form-urlencoded parser on bytes: name/value pairs, as UTF-8 (each
// invalid UTF-8 sequence of the percent-decoded bytes is left for the caller to decode with
// replacement, as V8's UTF-8 string constructor does).
std::vector<std::pair<std::string, std::string>> parseUrlencoded(std::string_view input);

}  // namespace torus::js
