#include "js/api/compression.h"

#include <v8.h>
#include <zlib.h>

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
  }
  return 15;
}

const char* formatName(Format f) {
  switch (f) {
    case Format::kDeflate: return "deflate";
    case Format::kDeflateRaw: return "deflate-raw";
    case Format::kGzip: return "gzip";
  }
  return "?";
}

}  // namespace

// The z_stream, with zlib's allocations routed through alloc/ and counted.
struct Codec::Stream {
  z_stream z{};
  Codec* owner = nullptr;

  static voidpf allocate(voidpf opaque, uInt items, uInt size) {
    auto* s = static_cast<Stream*>(opaque);
    if (size != 0 && items > SIZE_MAX / size) return Z_NULL;
    void* p = alloc::allocateBytes(size_t(items) * size);
    if (p) s->owner->memoryBytes_ += alloc::usableSize(p);
    return p;
  }
  static void release(voidpf opaque, voidpf p) {
    auto* s = static_cast<Stream*>(opaque);
    s->owner->memoryBytes_ -= alloc::usableSize(p);
    alloc::freeBytes(p);
  }
};

Codec::Codec(Format format, Direction direction)
    : stream_(std::make_unique<Stream>()), direction_(direction), format_(format) {
  stream_->owner = this;
  z_stream& z = stream_->z;
  z.zalloc = &Stream::allocate;
  z.zfree = &Stream::release;
  z.opaque = stream_.get();
  // Level 6 and memLevel 8 are zlib's defaults (what browsers use for CompressionStream).
  int rc = direction == Direction::kCompress
               ? deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, windowBits(format), 8,
                              Z_DEFAULT_STRATEGY)
               : inflateInit2(&z, windowBits(format));
  if (rc != Z_OK) {
    stream_.reset();
    error_ = std::string("Failed to set up the ") + formatName(format) + " stream: " +
             (rc == Z_MEM_ERROR ? "out of memory." : "zlib refused its parameters.");
  }
}

Codec::~Codec() { close(); }

void Codec::close() {
  if (!stream_) return;
  if (direction_ == Direction::kCompress) {
    deflateEnd(&stream_->z);
  } else {
    inflateEnd(&stream_->z);
  }
  stream_.reset();
  retained_.clear();
  retained_.shrink_to_fit();
}

void Codec::setInput(std::span<const uint8_t> in) {
  TORUS_CHECK(pendingInput() == 0);
  retained_.clear();
  if (!stream_) return;
  // zlib's avail_in is 32 bits: run() feeds a larger input in pieces (next_in/avail_in are
  // refilled from rest_ as they drain).
  stream_->z.next_in = const_cast<Bytef*>(in.data());
  size_t first = std::min(in.size(), size_t(UINT_MAX));
  stream_->z.avail_in = uInt(first);
  rest_ = in.size() - first;
}

size_t Codec::pendingInput() const {
  return stream_ ? size_t(stream_->z.avail_in) + rest_ : 0;
}

void Codec::retainInput() {
  if (!stream_ || pendingInput() == 0) return;
  const uint8_t* p = stream_->z.next_in;
  size_t n = pendingInput();
  if (!retained_.empty() && p >= retained_.data() && p < retained_.data() + retained_.size()) {
    return;  // already ours
  }
  retained_.assign(p, p + n);
  stream_->z.next_in = retained_.data();
  size_t first = std::min(n, size_t(UINT_MAX));
  stream_->z.avail_in = uInt(first);
  rest_ = n - first;
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
  z_stream& z = stream_->z;
  z.next_out = out.data();
  size_t outSize = std::min(out.size(), size_t(UINT_MAX));
  z.avail_out = uInt(outSize);

  if (direction_ == Direction::kDecompress && ended_) {
    // https://compression.spec.whatwg.org/#decompress-and-enqueue-a-chunk: input after the
    // end of the compressed stream is an error (an empty chunk is not).
    if (pendingInput() > 0) {
      return fail(std::string("Junk found after the end of the compressed ") +
                  formatName(format_) + " data.");
    }
    return Status::kEnd;
  }

  for (;;) {
    if (z.avail_in == 0 && rest_ > 0) {
      size_t next = std::min(rest_, size_t(UINT_MAX));
      z.avail_in = uInt(next);
      rest_ -= next;
    }
    bool lastInput = rest_ == 0;
    int rc;
    if (direction_ == Direction::kCompress) {
      rc = deflate(&z, finish && lastInput ? Z_FINISH : Z_NO_FLUSH);
    } else {
      rc = inflate(&z, Z_NO_FLUSH);
    }
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
      if (z.avail_in == 0 && rest_ == 0 && !finish) return Status::kNeedInput;
      continue;  // more input in rest_, or finishing: deflate again
    }
    // inflate: Z_OK (progress), Z_BUF_ERROR (no progress: needs input or output room),
    // Z_STREAM_END, or an error.
    if (rc == Z_STREAM_END) {
      ended_ = true;
      if (pendingInput() > 0) {
        // The output before the end is the caller's; the error comes with it (the spec
        // enqueues, then throws).
        return fail(std::string("Junk found after the end of the compressed ") +
                    formatName(format_) + " data.");
      }
      return Status::kEnd;
    }
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
    if (z.avail_in == 0 && rest_ == 0) {
      if (finish) {
        return fail(std::string("Failed to decompress ") + formatName(format_) +
                    " data: the input ended before the end of the compressed stream.");
      }
      return Status::kNeedInput;
    }
  }
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
// format other than deflate, deflate-raw and gzip.
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
