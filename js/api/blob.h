// The natives behind Blob, File and FormData (js/builtins/30_blob.js, 31_formdata.js): UTF-8
// encoding of string parts (with the "native" line endings of the File API), UTF-8 decoding for
// text(), multipart/form-data and application/x-www-form-urlencoded parsing for formData()
// (js/api/multipart.h), and the random boundary of serialised forms.
// https://w3c.github.io/FileAPI/, https://xhr.spec.whatwg.org/#interface-formdata
//
// Thread: the isolate's.
#pragma once

namespace torus::js {

class Natives;

// utf8Length, utf8Write, utf8Decode, parseFormBody, formBoundary.
void addBlobNatives(Natives& natives);

}  // namespace torus::js
