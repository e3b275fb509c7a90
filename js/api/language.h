// Natives for the language level built-ins (js/builtins/00_language.js): what ES2024
// ArrayBuffer.prototype.transfer / transferToFixedLength / detached need and JS cannot do
// (detach a buffer, move its backing store). V8 10.2 runs without --harmony-rab-gsab (see
// docs/api.md), so every buffer is fixed-length.
//
// Thread: the isolate's.
#pragma once

namespace torus::js {

class Natives;

// arrayBufferDetached(ab), arrayBufferDetachable(ab), arrayBufferMove(src) -> a new buffer
// on src's backing store (no copy), arrayBufferCopyAndDetach(src, dst).
void addLanguageNatives(Natives& natives);

}  // namespace torus::js
