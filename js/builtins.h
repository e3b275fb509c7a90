// Built-in JavaScript: the spec plumbing that is mostly ordering rules (WebIDL conversions,
// events, abort, console's inspection...) lives in js/builtins/NN_name.js, embedded at build
// time by js/builtins/embed.py and run once per realm, in file-name order, before user code.
//
// Each file is the body of a strict-mode function of two parameters:
//   natives    C++ functions and values for the built-ins (Natives below); user code never
//              gets a reference to it.
//   internals  one plain object shared by all built-ins of the realm, for what one file
//              exports to the next (internals.webidl, internals.EventTarget...).
// Files define globals through internals.webidl.defineGlobal(). They are compiled once per
// process: the first realm produces a code cache per file, later realms (other workers, a
// reload) consume it.
//
// A file may be lazy (header lines `// @lazy NAME...`, `@lazy-get`, `@lazy-replaceable`,
// `@requires FILE...`, `@helpers NAME...`; embed.py reads them): instead of running it, the
// realm gives its globals placeholders — V8 lazy data properties for classes and functions,
// native accessors for attributes — and runs the file (after the lazy files it requires) on
// the first access to any of them, or when C++ asks for a helper it registers. So a new
// isolate pays only for the eager files (the language additions, WebIDL, DOMException,
// structuredClone, console, events, base64), and an app for the APIs it touches. A lazy
// file captures the intrinsics it uses when it first runs, so user code that patched a
// built-in prototype before that is seen by it; console stays eager because it must
// print values truthfully whatever was patched (tests/js/console_test.cc).
//
// Thread: the isolate's; the code cache is shared by all threads (mutex-guarded, filled once).
#pragma once

#include <v8.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "js/realm.h"

namespace torus::js {

struct BuiltinSource {
  const char* name;    // "torus:10_console.js", as stack traces show it
  const char* source;  // the function body
  // Space-separated lists from the file's header lines; all empty for an eager file.
  const char* lazy;
  const char* lazyGet;
  const char* lazyReplaceable;
  const char* required;  // @requires
  const char* helpers;
};
extern const BuiltinSource kBuiltins[];
extern const size_t kBuiltinCount;

// The realm's natives object (created empty on first use, kept for the realm's life), with
// helpers to fill it. C++ modules add to it before runBuiltins(); a module installed later
// (timers, which need the loop) may still add to it, for built-ins that look it up at call
// time.
class Natives {
 public:
  explicit Natives(Realm& realm);
  void add(const char* name, v8::FunctionCallback fn,
           v8::Local<v8::Value> data = v8::Local<v8::Value>());
  void set(const char* name, v8::Local<v8::Value> value);
  v8::Local<v8::Object> object() const { return object_; }

 private:
  Realm& realm_;
  v8::Local<v8::Object> object_;
};

// Runs every eager built-in, in order, and installs the placeholders of the lazy ones. A
// built-in that fails to compile or throws is a bug: it aborts with the file, line and
// message.
void runBuiltins(Realm& realm);

// How many built-in files this realm has run (eager ones and lazy ones touched so far).
size_t builtinsRun(Realm& realm);

// The index of a built-in file (e.g. "50_streams.js"; a missing one is a bug), and whether
// it has run in this realm: a class it defines cannot have instances before. Look the index
// up once (a static), the check is then a bit test.
size_t builtinIndex(const char* file);
bool builtinHasRun(Realm& realm, size_t index);

// The code cache made at build time (js/tools/code_cache_gen.cc runs every built-in in a
// realm and writes it out; the torus executable links it as kEmbeddedCodeCache): one entry
// per file, in kBuiltins order, size 0 for none. Given to useEmbeddedCodeCache() before the
// first realm, it spares the process's first isolate the compile from source; an entry V8
// rejects (another V8, other flags) is set aside and the first realm to need it makes a
// fresh one, as without it.
struct EmbeddedCodeCache {
  const uint8_t* const* data;
  const uint32_t* sizes;
  size_t count;
};
extern const EmbeddedCodeCache kEmbeddedCodeCache;  // defined only in the torus executable
void useEmbeddedCodeCache(const EmbeddedCodeCache& cache);

// For the generator: runs every lazy built-in too (one that cannot run in a bare realm is
// skipped), so the process-wide cache has an entry for each file that ran; then its entries.
void runAllBuiltins(Realm& realm);
std::vector<std::vector<uint8_t>> codeCacheEntries();

// How many built-in files were compiled from the process-wide code cache so far (for tests
// and the startup log).
size_t builtinsFromCodeCache();

}  // namespace torus::js
