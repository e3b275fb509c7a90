// The Compression Standard's data path (https://compression.spec.whatwg.org/): the formats
// "deflate" (RFC 1950, zlib), "deflate-raw" (RFC 1951) and "gzip" (RFC 1952) on zlib, and
// "brotli" (RFC 7932) on libbrotli, in both directions. CompressionStream and
// DecompressionStream themselves are built-in JavaScript (js/builtins/51_compression.js):
// TransformStreams whose transforms call the native object added here.
//
// Bounded output: a codec writes into the caller's buffer and stops when it is full, so one
// run never makes more than one buffer of output whatever the input's ratio. The natives
// hand JS pieces of at most kChunkBytes, at most 16 per call, and say when more is pending;
// the JS side asks for more only when the readable side's queue has room (a 1 GiB inflate
// bomb is 1 GiB of 64 KiB chunks at the reader's pace, never one 1 GiB buffer). Unread input
// is copied into the codec only when a call stops early (so a chunk the caller detaches or
// reuses afterwards cannot change what comes out).
//
// Errors (all TypeErrors for JS): corrupt input, bytes after the end of the compressed stream
// (trailing garbage), input that ends before the stream does (at finish()).
//
// Lifetime: a Codec owns its zlib or brotli state and frees it when it finishes, fails, or is
// destroyed. The JS-visible Compressor (natives.createCompressor) is owned by its wrapper: it
// frees the codec's state as soon as the stream is finished or errored, and otherwise when
// the wrapper is collected (the second-pass weak callback of js/binding.h) or the realm goes
// away. Thread: any for Codec (no V8); the natives run on the isolate's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace torus::js {

class Natives;

namespace compression {

// https://compression.spec.whatwg.org/#enumdef-compressionformat
enum class Format : uint8_t { kDeflate, kDeflateRaw, kGzip, kBrotli };
// The format named exactly name (the enum's values are case-sensitive), or nullopt.
std::optional<Format> formatForName(std::string_view name);

enum class Direction : uint8_t { kCompress, kDecompress };

// The size of the output pieces the natives hand to JS.
inline constexpr size_t kChunkBytes = 64 * 1024;

// One compression or decompression stream: zlib (deflate or inflate) with the format's
// framing, or a brotli encoder or decoder.
class Codec {
 public:
  enum class Status {
    kNeedInput,   // the input is consumed and no output is pending: give more (or finish)
    kOutputFull,  // out is full: call again (with the same or no new input) for more
    kEnd,         // finish: the last output is written; decompression: the stream ended
    kError,       // error() says why; the codec is closed
  };

  Codec(Format format, Direction direction);
  ~Codec();
  Codec(const Codec&) = delete;
  Codec& operator=(const Codec&) = delete;

  // False when the library could not set up the stream (out of memory); error() says so.
  bool ok() const { return stream_ != nullptr; }
  Direction direction() const { return direction_; }

  // Sets the next input, read in place: it must stay valid until run() reports kNeedInput,
  // kEnd or kError, or until retainInput(). Only when the previous input is consumed.
  void setInput(std::span<const uint8_t> in);
  // Unread bytes of the current input.
  size_t pendingInput() const;
  // Copies the unread input into the codec, so the caller's buffer may go away.
  void retainInput();

  // Runs the codec into out[0, out.size()), writing *written bytes. finish: no more input will
  // come (compression writes the stream's end; decompression reports a truncated stream as
  // an error). Decompression reports kEnd when the compressed stream ends, and an error when
  // input remains after that end or comes later (trailing garbage).
  Status run(std::span<uint8_t> out, bool finish, size_t* written);

  // Why the last run() failed (a message for a TypeError).
  const std::string& error() const { return error_; }
  // Frees the library's state now (the codec reports kError afterwards).
  void close();
  // Bytes the library allocated for this stream (for V8's external memory accounting).
  size_t memoryBytes() const { return memoryBytes_; }

 private:
  struct Stream;
  Status fail(std::string message);
  Status runZlib(std::span<uint8_t> out, bool finish, size_t* written);
  Status runBrotli(std::span<uint8_t> out, bool finish, size_t* written);
  Status ended();
  Status truncated();

  std::unique_ptr<Stream> stream_;
  Direction direction_;
  Format format_;
  bool ended_ = false;  // decompression: the compressed stream's end was read
  const uint8_t* next_ = nullptr;  // the unread input
  size_t avail_ = 0;
  std::vector<uint8_t> retained_;
  std::string error_;
  size_t memoryBytes_ = 0;
};

}  // namespace compression

// createCompressor(format, decompress) -> a Compressor with push(chunk?), finish(), close()
// and the `pending` attribute (for 51_compression.js).
void addCompressionNatives(Natives& natives);

}  // namespace torus::js
