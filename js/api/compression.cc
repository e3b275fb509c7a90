#include "js/api/compression.h"

#include <v8.h>
#include <brotli/decode.h>
#include <brotli/encode.h>
#include <zlib.h>

#include <cctype>
#include <climits>
#include <cstring>
#include <utility>

#include "alloc/bytes.h"
#include "base/check.h"
#include "js/binding.h"
#include "js/builtins.h"

namespace torus::js {

namespace compression {

std::optional<Format> formatForName(std::string_view name) {
  if (name == "deflate") return Format::kDeflate;
  if (name == "deflate-raw") return Format::kDeflateRaw;
  if (name == "gzip") return Format::kGzip;
  if (name == "brotli") return Format::kBrotli;
  return std::nullopt;
}

namespace {

// zlib's windowBits: 15 (the largest window) with the format's framing: zlib header and
// Adler-32 (deflate), none (deflate-raw, negative), gzip header and CRC-32 (+16).
int windowBits(Format f) {
  switch (f) {
    case Format::kDeflate: return 15;
    case Format::kDeflateRaw: return -15;
    case Format::kGzip: return 15 + 16;
    case Format::kBrotli: break;
  }
  return 15;
}

const char* formatName(Format f) {
  switch (f) {
    case Format::kDeflate: return "deflate";
    case Format::kDeflateRaw: return "deflate-raw";
    case Format::kGzip: return "gzip";
    case Format::kBrotli: return "brotli";
  }
  return "?";
}

// Brotli's quality for CompressionStream: 5, a streaming middle ground (about zlib's level 6
// in speed, smaller output); the library's default 11 is tens of times slower.
constexpr int kBrotliQuality = 5;

}  // namespace

// The library's state, with its allocations routed through alloc/ and counted.
struct Codec::Stream {
  z_stream z{};
  BrotliEncoderState* encoder = nullptr;
  BrotliDecoderState* decoder = nullptr;
  Codec* owner = nullptr;

  void* allocate(size_t n) {
    void* p = alloc::allocateBytes(n);
    if (p) owner->memoryBytes_ += alloc::usableSize(p);
    return p;
  }
  void release(void* p) {
    if (!p) return;
    owner->memoryBytes_ -= alloc::usableSize(p);
    alloc::freeBytes(p);
  }
  static voidpf zlibAllocate(voidpf opaque, uInt items, uInt size) {
    if (size != 0 && items > SIZE_MAX / size) return Z_NULL;
    return static_cast<Stream*>(opaque)->allocate(size_t(items) * size);
  }
  static void zlibRelease(voidpf opaque, voidpf p) { static_cast<Stream*>(opaque)->release(p); }
  static void* brotliAllocate(void* opaque, size_t n) {
    return static_cast<Stream*>(opaque)->allocate(n);
  }
  static void brotliRelease(void* opaque, void* p) { static_cast<Stream*>(opaque)->release(p); }
};

Codec::Codec(Format format, Direction direction)
    : stream_(std::make_unique<Stream>()), direction_(direction), format_(format) {
  stream_->owner = this;
  bool ok;
  int rc = Z_OK;
  if (format == Format::kBrotli) {
    if (direction == Direction::kCompress) {
      stream_->encoder = BrotliEncoderCreateInstance(&Stream::brotliAllocate,
                                                     &Stream::brotliRelease, stream_.get());
      ok = stream_->encoder &&
           BrotliEncoderSetParameter(stream_->encoder, BROTLI_PARAM_QUALITY, kBrotliQuality);
    } else {
      stream_->decoder = BrotliDecoderCreateInstance(&Stream::brotliAllocate,
                                                     &Stream::brotliRelease, stream_.get());
      ok = stream_->decoder != nullptr;
    }
  } else {
    z_stream& z = stream_->z;
    z.zalloc = &Stream::zlibAllocate;
    z.zfree = &Stream::zlibRelease;
    z.opaque = stream_.get();
    // Level 6 and memLevel 8 are zlib's defaults (what browsers use for CompressionStream).
    rc = direction == Direction::kCompress
             ? deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, windowBits(format), 8,
                            Z_DEFAULT_STRATEGY)
             : inflateInit2(&z, windowBits(format));
    ok = rc == Z_OK;
    if (!ok) z.zalloc = nullptr;  // nothing for close() to end
  }
  if (!ok) {
    close();
    error_ = std::string("Failed to set up the ") + formatName(format) + " stream: " +
             (rc == Z_OK || rc == Z_MEM_ERROR ? "out of memory." : "bad parameters.");
  }
}

Codec::~Codec() { close(); }

void Codec::close() {
  if (!stream_) return;
  if (format_ == Format::kBrotli) {
    if (stream_->encoder) BrotliEncoderDestroyInstance(stream_->encoder);
    if (stream_->decoder) BrotliDecoderDestroyInstance(stream_->decoder);
  } else if (stream_->z.zalloc) {
    if (direction_ == Direction::kCompress) {
      deflateEnd(&stream_->z);
    } else {
      inflateEnd(&stream_->z);
    }
  }
  stream_.reset();
  next_ = nullptr;
  avail_ = 0;
  retained_.clear();
  retained_.shrink_to_fit();
}

void Codec::setInput(std::span<const uint8_t> in) {
  TORUS_CHECK(pendingInput() == 0);
  retained_.clear();
  if (!stream_) return;
  next_ = in.data();
  avail_ = in.size();
}

size_t Codec::pendingInput() const { return stream_ ? avail_ : 0; }

void Codec::retainInput() {
  if (!stream_ || avail_ == 0) return;
  if (!retained_.empty() && next_ >= retained_.data() &&
      next_ < retained_.data() + retained_.size()) {
    return;  // already ours
  }
  retained_.assign(next_, next_ + avail_);
  next_ = retained_.data();
}

Codec::Status Codec::fail(std::string message) {
  error_ = std::move(message);
  close();
  return Status::kError;
}

Codec::Status Codec::run(std::span<uint8_t> out, bool finish, size_t* written) {
  *written = 0;
  if (!stream_) {
    if (error_.empty()) error_ = "The stream is already closed.";
    return Status::kError;
  }
  if (direction_ == Direction::kDecompress && ended_) {
    // https://compression.spec.whatwg.org/#decompress-and-enqueue-a-chunk: input after the
    // end of the compressed stream is an error (an empty chunk is not).
    if (avail_ > 0) {
      return fail(std::string("Junk found after the end of the compressed ") +
                  formatName(format_) + " data.");
    }
    return Status::kEnd;
  }
  return format_ == Format::kBrotli ? runBrotli(out, finish, written)
                                    : runZlib(out, finish, written);
}

Codec::Status Codec::runZlib(std::span<uint8_t> out, bool finish, size_t* written) {
  z_stream& z = stream_->z;
  z.next_out = out.data();
  size_t outSize = std::min(out.size(), size_t(UINT_MAX));
  z.avail_out = uInt(outSize);
  for (;;) {
    // zlib counts input in 32 bits: a larger input goes in pieces.
    uInt piece = uInt(std::min(avail_, size_t(UINT_MAX)));
    z.next_in = const_cast<Bytef*>(next_);
    z.avail_in = piece;
    bool lastPiece = piece == avail_;
    int rc;
    if (direction_ == Direction::kCompress) {
      rc = deflate(&z, finish && lastPiece ? Z_FINISH : Z_NO_FLUSH);
    } else {
      rc = inflate(&z, Z_NO_FLUSH);
    }
    next_ = z.next_in;
    avail_ -= piece - z.avail_in;
    *written = outSize - z.avail_out;
    if (direction_ == Direction::kCompress) {
      // deflate: Z_OK (progress), Z_BUF_ERROR (no progress possible), Z_STREAM_END (done).
      if (rc == Z_STREAM_END) {
        close();
        return Status::kEnd;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return fail(std::string("Failed to compress: ") + (z.msg ? z.msg : "zlib error") + ".");
      }
      if (z.avail_out == 0) return Status::kOutputFull;
      if (avail_ == 0 && !finish) return Status::kNeedInput;
      continue;  // more input beyond 4 GiB, or finishing: deflate again
    }
    // inflate: Z_OK (progress), Z_BUF_ERROR (no progress: needs input or output room),
    // Z_STREAM_END, or an error.
    if (rc == Z_STREAM_END) return ended();
    if (rc == Z_NEED_DICT) {
      return fail(std::string("Failed to decompress ") + formatName(format_) +
                  " data: it needs a preset dictionary.");
    }
    if (rc == Z_DATA_ERROR) {
      return fail(std::string("Failed to decompress ") + formatName(format_) +
                  " data: the input is corrupt (" + (z.msg ? z.msg : "invalid data") + ").");
    }
    if (rc == Z_MEM_ERROR) {
      return fail(std::string("Failed to decompress ") + formatName(format_) +
                  " data: out of memory.");
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return fail(std::string("Failed to decompress ") + formatName(format_) + " data.");
    }
    if (z.avail_out == 0) return Status::kOutputFull;
    if (avail_ == 0) return finish ? truncated() : Status::kNeedInput;
  }
}

Codec::Status Codec::runBrotli(std::span<uint8_t> out, bool finish, size_t* written) {
  uint8_t* nextOut = out.data();
  size_t availOut = out.size();
  if (direction_ == Direction::kCompress) {
    BrotliEncoderState* e = stream_->encoder;
    for (;;) {
      if (!BrotliEncoderCompressStream(e, finish ? BROTLI_OPERATION_FINISH
                                                 : BROTLI_OPERATION_PROCESS,
                                       &avail_, &next_, &availOut, &nextOut, nullptr)) {
        return fail("Failed to compress: the brotli encoder failed.");
      }
      *written = out.size() - availOut;
      if (finish && BrotliEncoderIsFinished(e)) {
        close();
        return Status::kEnd;
      }
      if (availOut == 0) return Status::kOutputFull;
      if (!finish && avail_ == 0 && !BrotliEncoderHasMoreOutput(e)) return Status::kNeedInput;
    }
  }
  BrotliDecoderState* d = stream_->decoder;
  BrotliDecoderResult rc =
      BrotliDecoderDecompressStream(d, &avail_, &next_, &availOut, &nextOut, nullptr);
  *written = out.size() - availOut;
  switch (rc) {
    case BROTLI_DECODER_RESULT_SUCCESS:
      return ended();
    case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT:
      return Status::kOutputFull;
    case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
      return finish ? truncated() : Status::kNeedInput;
    case BROTLI_DECODER_RESULT_ERROR:
      break;
  }
  std::string why = BrotliDecoderErrorString(BrotliDecoderGetErrorCode(d));
  // "_ERROR_FORMAT_PADDING_1" -> "format padding 1"
  while (!why.empty() && why[0] == '_') why.erase(0, 1);
  if (why.rfind("ERROR_", 0) == 0) why.erase(0, 6);
  for (char& c : why) c = c == '_' ? ' ' : char(std::tolower(static_cast<unsigned char>(c)));
  return fail("Failed to decompress brotli data: the input is corrupt (" + why + ").");
}

// The compressed stream ended: input left over is trailing garbage. The output before the
// end is the caller's; the error comes with it (the spec enqueues, then throws).
Codec::Status Codec::ended() {
  ended_ = true;
  if (avail_ > 0) {
    return fail(std::string("Junk found after the end of the compressed ") +
                formatName(format_) + " data.");
  }
  return Status::kEnd;
}

Codec::Status Codec::truncated() {
  return fail(std::string("Failed to decompress ") + formatName(format_) +
              " data: the input ended before the end of the compressed stream.");
}

}  // namespace compression

namespace {

using compression::Codec;

// The most output one push()/finish() makes before it returns and asks to be called again
// (`pending`): 16 chunks. The JS side waits for room in the readable side's queue between
// calls, so a stream holds about this much beyond its queue, whatever the input's ratio.
constexpr size_t kMaxBytesPerCall = 16 * compression::kChunkBytes;

// The native behind a CompressionStream or DecompressionStream (for 51_compression.js).
class Compressor : public Wrappable {
 public:
  static constexpr WrapperType kType{"Compressor"};
  static void describe(ClassBuilder<Compressor>& c) {
    c.method<&Compressor::push>("push");
    c.method<&Compressor::finish>("finish");
    c.getter<&Compressor::pending>("pending");
    c.method<&Compressor::close>("close");
  }

  Compressor(v8::Isolate* iso, compression::Format format, compression::Direction direction)
      : iso_(iso), codec_(format, direction) {
    account();
  }
  ~Compressor() override {
    releaseSpare();
    codec_.close();
    account();
  }

  bool setupFailed() const { return !codec_.ok(); }
  const std::string& setupError() const { return codec_.error(); }

  // push(chunk): the output of a chunk (an array of Uint8Arrays, each at most 64 KiB, maybe
  // none). push() without a chunk continues while `pending`. Throws the TypeError of corrupt
  // input; an error found after some output was made is thrown by the next call instead.
  JsResult<std::vector<v8::Local<v8::Value>>> push(Realm& realm, Optional<BufferSource> chunk) {
    if (chunk) {
      if (pending_) return JsError::type("push(chunk) while output is pending.");
      if (!failed_) codec_.setInput(std::span(
          reinterpret_cast<const uint8_t*>(chunk->bytes.data()), chunk->bytes.size()));
    }
    return drain(realm, false);
  }

  // finish(): the last output; after push() stopped asking for more (`pending` false).
  // Decompression: a TypeError when the compressed stream has not ended. `pending` again
  // means finish() must be called once more.
  JsResult<std::vector<v8::Local<v8::Value>>> finish(Realm& realm) {
    if (pending_ && !finishing_ && !failed_) {
      return JsError::type("finish() while push() output is pending.");
    }
    finishing_ = true;
    return drain(realm, true);
  }

  // True when the last call stopped early: call it again (push() or finish()) for the rest,
  // or for the error found after its output.
  bool pending(Realm&) const { return pending_; }

  // close(): the stream was cancelled or aborted; frees the codec now (later calls throw).
  void close(Realm&) {
    pending_ = false;
    done();
  }

 private:
  JsResult<std::vector<v8::Local<v8::Value>>> drain(Realm& realm, bool finish) {
    std::vector<v8::Local<v8::Value>> out;
    pending_ = false;
    if (failed_) {
      done();
      return JsError::type(codec_.error());
    }
    size_t total = 0;
    for (;;) {
      if (!spare_ && !(spare_ = allocate(compression::kChunkBytes))) {
        return JsError::range("Array buffer allocation failed");
      }
      size_t written = 0;
      Codec::Status status =
          codec_.run(std::span(spare_, compression::kChunkBytes), finish, &written);
      if (written > 0) {
        v8::Local<v8::Value> piece;
        if (!take(written, &piece)) return JsError::range("Array buffer allocation failed");
        out.push_back(piece);
        total += written;
      }
      if (status == Codec::Status::kError) {
        failed_ = true;
        if (out.empty()) {
          done();
          return JsError::type(codec_.error());
        }
        pending_ = true;  // the next call throws it
        account();
        break;
      }
      if (status == Codec::Status::kEnd) {
        // Compression's end, or decompression's: finish() frees the stream now; push()
        // keeps it to tell an empty chunk after the end from trailing garbage.
        if (finish) done();
        break;
      }
      if (status == Codec::Status::kNeedInput) break;
      // kOutputFull
      if (total >= kMaxBytesPerCall) {
        codec_.retainInput();
        pending_ = true;
        break;
      }
    }
    account();
    return out;
  }

  // A Uint8Array of the first n bytes of spare_: spare_ itself when full, else a copy (the
  // 64 KiB block is kept for the next output).
  bool take(size_t n, v8::Local<v8::Value>* piece) {
    v8::ArrayBuffer::Allocator* allocator = iso_->GetArrayBufferAllocator();
    void* data;
    if (n == compression::kChunkBytes) {
      data = spare_;
      spare_ = nullptr;
    } else {
      if (!(data = allocate(n))) return false;
      std::memcpy(data, spare_, n);
    }
    auto store = v8::ArrayBuffer::NewBackingStore(
        data, n,
        [](void* p, size_t len, void* a) {
          static_cast<v8::ArrayBuffer::Allocator*>(a)->Free(p, len);
        },
        allocator);
    *piece = v8::Uint8Array::New(v8::ArrayBuffer::New(iso_, std::move(store)), 0, n);
    return true;
  }

  // From the isolate's allocator (counted against the realm's ArrayBuffer limit),
  // uninitialized: zlib writes every byte handed out.
  uint8_t* allocate(size_t n) {
    return static_cast<uint8_t*>(iso_->GetArrayBufferAllocator()->AllocateUninitialized(n));
  }
  void releaseSpare() {
    if (spare_) iso_->GetArrayBufferAllocator()->Free(spare_, compression::kChunkBytes);
    spare_ = nullptr;
  }
  // Finished or failed: the z_stream and the output block go now, not at GC.
  void done() {
    releaseSpare();
    codec_.close();
    account();
  }
  // Tells V8 how much native memory this object holds, so the GC weighs it.
  void account() {
    int64_t now = int64_t(codec_.memoryBytes()) + (spare_ ? int64_t(compression::kChunkBytes) : 0);
    if (now != accounted_) iso_->AdjustAmountOfExternalAllocatedMemory(now - accounted_);
    accounted_ = now;
  }

  v8::Isolate* iso_;
  Codec codec_;
  uint8_t* spare_ = nullptr;  // a kChunkBytes block from the ArrayBuffer allocator
  int64_t accounted_ = 0;
  bool pending_ = false;
  bool failed_ = false;
  bool finishing_ = false;
};

// createCompressor(format string, decompress boolean): a Compressor, or undefined for a
// format that is not a CompressionFormat.
void createCompressor(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  Realm& realm = Realm::from(iso);
  TORUS_CHECK(info[0]->IsString());
  std::optional<compression::Format> format = compression::formatForName(utf8(iso, info[0]));
  if (!format) return;
  auto direction = info[1]->BooleanValue(iso) ? compression::Direction::kDecompress
                                              : compression::Direction::kCompress;
  auto* c = new Compressor(iso, *format, direction);
  if (c->setupFailed()) {
    JsError err = JsError::range(c->setupError());
    delete c;
    return realm.throwError(err);
  }
  info.GetReturnValue().Set(wrap(realm, c));
}

}  // namespace

void addCompressionNatives(Natives& natives) {
  natives.add("createCompressor", createCompressor);
}

}  // namespace torus::js
