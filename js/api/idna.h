// Domain to ASCII (https://url.spec.whatwg.org/#concept-domain-to-ascii) with UTS #46 of a
// current Unicode version (https://www.unicode.org/reports/tr46/).
//
// ada 2.7.8's own IDNA tables are Unicode 15.0; the URL Standard follows the newest UTS #46.
// This is UTS #46 "Processing" and "ToASCII" with the URL Standard's flags (CheckHyphens false,
// CheckBidi true, CheckJoiners true, UseSTD3ASCIIRules false, Transitional_Processing false,
// VerifyDnsLength false, IgnoreInvalidPunycode false), over tables generated at build time from
// the npm package tr46 (packaging/gen_idna_tables.py; docs/idna.md says why and how). ada keeps
// Punycode and NFC; ada's URL parser calls toAscii through a patch
// (packaging/patches/ada-idna-uts46.patch), so its IDNA tables are no longer used.
//
// Compiled into the ada library target (it is ada's domain-to-ASCII step), not torus_js.
// Pure functions: any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace torus::idna {

// The URL Standard's domain to ASCII for a non-empty, percent-decoded UTF-8 domain, before the
// forbidden-domain-code-point check (the caller's). An all-ASCII domain is returned ASCII-
// lowercased as it is (whatwg/url#914: its xn-- labels are not decoded). nullopt is failure:
// invalid UTF-8, a disallowed code point, invalid Punycode, or a label that fails the validity
// criteria (NFC, no leading combining mark, status, ContextJ, the Bidi Rule).
std::optional<std::string> domainToAscii(std::string_view utf8);

// The Unicode version of the tables (from tr46's package.json), e.g. "17.0.0".
std::string_view unicodeVersion();

}  // namespace torus::idna
