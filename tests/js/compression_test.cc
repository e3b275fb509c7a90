// The Compression Standard's codecs (js/api/compression.cc): each format round-trips against
// zlib's (or brotli's) own output in both directions, gzip output is read by a real
// `gzip -d`, corrupt, trailing and truncated input fail with messages, and an inflate bomb
// comes out in bounded chunks. The JS natives (createCompressor) are driven through the
// realm; the streams on top are tested by tests/integration/js/compression.test.js and the
// WPT compression area.
#include "js/api/compression.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <brotli/decode.h>
#include <brotli/encode.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "js/builtins.h"
#include "realm_fixture.h"

namespace torus::js {
namespace {

using compression::Codec;
using compression::Direction;
using compression::Format;

using Bytes = std::vector<uint8_t>;

constexpr Format kFormats[] = {Format::kDeflate, Format::kDeflateRaw, Format::kGzip,
                               Format::kBrotli};

int zlibWindowBits(Format f) {
  return f == Format::kDeflate ? 15 : f == Format::kDeflateRaw ? -15 : 31;
}

// Text that compresses but not trivially.
Bytes sampleText(size_t n) {
  Bytes out;
  std::mt19937 rng(42);
  const char* words[] = {"stream ", "torus ", "deflate ", "gzip ", "chunk ", "the ", "of ", "\n"};
  while (out.size() < n) {
    const char* w = words[rng() % 8];
    out.insert(out.end(), w, w + std::strlen(w));
  }
  out.resize(n);
  return out;
}

Bytes randomBytes(size_t n) {
  Bytes out(n);
  std::mt19937 rng(7);
  for (auto& b : out) b = uint8_t(rng());
  return out;
}

struct CodecOutput {
  Bytes bytes;
  std::string error;  // empty when it succeeded
  size_t largestCall = 0;
};

// Runs a codec over input fed in pieces of `piece` bytes, then finishes.
CodecOutput runCodec(Format f, Direction d, const Bytes& input, size_t piece = 1 << 20) {
  Codec codec(f, d);
  EXPECT_TRUE(codec.ok());
  CodecOutput result;
  Bytes buf(compression::kChunkBytes);
  auto pump = [&](bool finish) {
    for (;;) {
      size_t written = 0;
      Codec::Status s = codec.run(buf, finish, &written);
      result.bytes.insert(result.bytes.end(), buf.begin(), buf.begin() + written);
      if (s == Codec::Status::kError) {
        result.error = codec.error();
        return false;
      }
      if (s == Codec::Status::kOutputFull) continue;
      return true;
    }
  };
  for (size_t pos = 0; pos < input.size(); pos += piece) {
    size_t n = std::min(piece, input.size() - pos);
    codec.setInput(std::span(input.data() + pos, n));
    if (!pump(false)) return result;
  }
  pump(true);
  return result;
}

Bytes zlibCompress(Format f, const Bytes& input) {
  if (f == Format::kBrotli) {
    Bytes out(BrotliEncoderMaxCompressedSize(input.size()) + 16);
    size_t n = out.size();
    EXPECT_TRUE(BrotliEncoderCompress(9, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC,
                                      input.size(), input.data(), &n, out.data()));
    out.resize(n);
    return out;
  }
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 9, Z_DEFLATED, zlibWindowBits(f), 9, Z_DEFAULT_STRATEGY), Z_OK);
  Bytes out(deflateBound(&z, input.size()));
  z.next_in = const_cast<Bytef*>(input.data());
  z.avail_in = uInt(input.size());
  z.next_out = out.data();
  z.avail_out = uInt(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

Bytes zlibDecompress(Format f, const Bytes& input, int* rcOut = nullptr) {
  if (f == Format::kBrotli) {
    BrotliDecoderState* d = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
    Bytes out, buf(1 << 16);
    const uint8_t* in = input.data();
    size_t availIn = input.size();
    BrotliDecoderResult rc;
    do {
      uint8_t* next = buf.data();
      size_t availOut = buf.size();
      rc = BrotliDecoderDecompressStream(d, &availIn, &in, &availOut, &next, nullptr);
      out.insert(out.end(), buf.data(), next);
    } while (rc == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT);
    EXPECT_EQ(rc, BROTLI_DECODER_RESULT_SUCCESS);
    EXPECT_EQ(availIn, 0u);
    BrotliDecoderDestroyInstance(d);
    return out;
  }
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, zlibWindowBits(f)), Z_OK);
  Bytes out;
  Bytes buf(1 << 16);
  z.next_in = const_cast<Bytef*>(input.data());
  z.avail_in = uInt(input.size());
  int rc;
  do {
    z.next_out = buf.data();
    z.avail_out = uInt(buf.size());
    rc = inflate(&z, Z_NO_FLUSH);
    out.insert(out.end(), buf.begin(), buf.end() - z.avail_out);
  } while (rc == Z_OK);
  if (rcOut) *rcOut = rc;
  EXPECT_EQ(rc, Z_STREAM_END);
  EXPECT_EQ(z.avail_in, 0u);
  inflateEnd(&z);
  return out;
}

TEST(Compression, FormatNames) {
  EXPECT_EQ(compression::formatForName("gzip"), Format::kGzip);
  EXPECT_EQ(compression::formatForName("deflate"), Format::kDeflate);
  EXPECT_EQ(compression::formatForName("deflate-raw"), Format::kDeflateRaw);
  EXPECT_EQ(compression::formatForName("GZIP"), std::nullopt);  // enum values are exact
  EXPECT_EQ(compression::formatForName("brotli"), Format::kBrotli);
  EXPECT_EQ(compression::formatForName("br"), std::nullopt);
  EXPECT_EQ(compression::formatForName(""), std::nullopt);
}

TEST(Compression, CompressedOutputReadsWithZlib) {
  for (Format f : kFormats) {
    for (const Bytes& input :
         {Bytes{}, sampleText(100), sampleText(3 << 20), randomBytes(300000)}) {
      CodecOutput c = runCodec(f, Direction::kCompress, input, 100000);
      ASSERT_EQ(c.error, "");
      EXPECT_EQ(zlibDecompress(f, c.bytes), input) << int(f) << " " << input.size();
    }
  }
}

TEST(Compression, DecompressesZlibOutput) {
  for (Format f : kFormats) {
    for (const Bytes& input : {Bytes{}, sampleText(1), sampleText(2 << 20), randomBytes(200000)}) {
      Bytes compressed = zlibCompress(f, input);
      // Whole, and fed one byte at a time for a small input (every split point).
      CodecOutput d = runCodec(f, Direction::kDecompress, compressed);
      ASSERT_EQ(d.error, "");
      EXPECT_EQ(d.bytes, input);
      if (compressed.size() < 5000) {
        CodecOutput bytewise = runCodec(f, Direction::kDecompress, compressed, 1);
        ASSERT_EQ(bytewise.error, "");
        EXPECT_EQ(bytewise.bytes, input);
      }
    }
  }
}

TEST(Compression, GzipOutputReadsWithGzipCommand) {
  Bytes input = sampleText(1 << 20);
  CodecOutput c = runCodec(Format::kGzip, Direction::kCompress, input);
  ASSERT_EQ(c.error, "");
  char path[] = "/tmp/torus_compression_testXXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, c.bytes.data(), c.bytes.size()), ssize_t(c.bytes.size()));
  close(fd);
  std::string cmd = std::string("gzip -dc < ") + path;
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  Bytes out;
  uint8_t buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.insert(out.end(), buf, buf + n);
  int status = pclose(p);
  unlink(path);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) GTEST_SKIP() << "no gzip command";
  EXPECT_EQ(status, 0);
  EXPECT_EQ(out, input);
}

TEST(Compression, CorruptInputFails) {
  Bytes input = sampleText(10000);
  for (Format f : kFormats) {
    Bytes compressed = zlibCompress(f, input);
    Bytes bad = compressed;
    if (f == Format::kDeflateRaw) {
      bad[0] = 0x07;  // BFINAL with the reserved block type 11 (raw data has no checksum)
    } else if (f == Format::kBrotli) {
      bad[0] = 0x11;  // WBITS 17 with a reserved 3-bit code (brotli has no checksum either)
      bad[1] = 0x01;
    } else {
      bad[bad.size() / 2] ^= 0x55;  // caught by the Adler-32 or CRC-32 if not before
    }
    CodecOutput d = runCodec(f, Direction::kDecompress, bad);
    EXPECT_NE(d.error, "") << int(f);
  }
  CodecOutput header = runCodec(Format::kGzip, Direction::kDecompress, Bytes{1, 2, 3, 4, 5, 6});
  EXPECT_EQ(header.error, "Failed to decompress gzip data: the input is corrupt (incorrect "
                          "header check).");
  CodecOutput zheader = runCodec(Format::kDeflate, Direction::kDecompress, Bytes{0x78, 0x00});
  EXPECT_NE(zheader.error.find("incorrect header check"), std::string::npos);
}

TEST(Compression, TrailingGarbageFails) {
  Bytes input = sampleText(5000);
  for (Format f : kFormats) {
    Bytes compressed = zlibCompress(f, input);
    compressed.push_back(0);
    CodecOutput d = runCodec(f, Direction::kDecompress, compressed);
    EXPECT_NE(d.error.find("Junk found after the end"), std::string::npos) << d.error;
    // The output before the end still came out.
    EXPECT_EQ(d.bytes, input);
  }
  // Garbage in a later piece, and an empty piece after the end (allowed).
  Codec codec(Format::kGzip, Direction::kDecompress);
  Bytes compressed = zlibCompress(Format::kGzip, input);
  Bytes buf(compression::kChunkBytes);
  size_t written;
  codec.setInput(compressed);
  EXPECT_EQ(codec.run(buf, false, &written), Codec::Status::kEnd);
  codec.setInput({});
  EXPECT_EQ(codec.run(buf, false, &written), Codec::Status::kEnd);
  Bytes junk{1};
  codec.setInput(junk);
  EXPECT_EQ(codec.run(buf, false, &written), Codec::Status::kError);
  EXPECT_FALSE(codec.ok());  // the z_stream is freed at the error
}

TEST(Compression, TruncatedInputFailsAtFinish) {
  Bytes input = sampleText(20000);
  for (Format f : kFormats) {
    Bytes compressed = zlibCompress(f, input);
    compressed.resize(compressed.size() - 3);
    CodecOutput d = runCodec(f, Direction::kDecompress, compressed);
    EXPECT_NE(d.error.find("the input ended before the end"), std::string::npos) << d.error;
    CodecOutput empty = runCodec(f, Direction::kDecompress, Bytes{});
    EXPECT_NE(empty.error.find("the input ended before the end"), std::string::npos);
  }
}

// ---- the JS natives ----

class CompressionNatives : public RealmTest {
 protected:
  void SetUp() override {
    RealmTest::SetUp();
    // The natives object for the scripts of these tests (user code never sees it).
    ASSERT_TRUE(
        ctx()->Global()->Set(ctx(), v8Str(iso(), "natives"), realm_->natives()).FromJust());
  }
};

TEST_F(CompressionNatives, RoundTripThroughPush) {
  EXPECT_EQ(run(R"(
    const input = new Uint8Array(300000).map((_, i) => (i * 7) % 13 + 65);
    const c = natives.createCompressor('gzip', false);
    const parts = [...c.push(input.subarray(0, 1000)), ...c.push(input.subarray(1000))];
    while (c.pending) parts.push(...c.push());
    parts.push(...c.finish());
    const d = natives.createCompressor('gzip', true);
    const out = [];
    for (const p of parts) { out.push(...d.push(p)); while (d.pending) out.push(...d.push()); }
    out.push(...d.finish());
    const bytes = new Uint8Array(out.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of out) { bytes.set(p, at); at += p.length; }
    [parts.every(p => p instanceof Uint8Array), out.every(p => p.length <= 65536),
     bytes.length, bytes.every((b, i) => b === input[i])].join();
  )"), "true,true,300000,true");
  EXPECT_EQ(run("natives.createCompressor('br', false)"), "undefined");
}

TEST_F(CompressionNatives, ErrorsAreTypeErrors) {
  EXPECT_EQ(run(R"(
    const d = natives.createCompressor('deflate', true);
    try { d.push(new Uint8Array([1, 2, 3])); 'no error' } catch (e) { `${e.name}: ${e.message}` }
  )"), "TypeError: Failed to decompress deflate data: the input is corrupt (incorrect header "
       "check).");
  // After an error the object keeps failing.
  EXPECT_EQ(run(R"(
    const e = natives.createCompressor('deflate', true);
    try { e.push(new Uint8Array([1, 2, 3])); } catch {}
    try { e.finish(); 'no error' } catch (err) { err.name }
  )"), "TypeError");
  EXPECT_EQ(run(R"(
    const t = natives.createCompressor('gzip', true);
    t.push(new Uint8Array([31, 139, 8, 0]));
    try { t.finish(); 'no error' } catch (err) { err.message }
  )"), "Failed to decompress gzip data: the input ended before the end of the compressed stream.");
  // Output before trailing garbage comes first; the next call throws.
  EXPECT_EQ(run(R"(
    const g = natives.createCompressor('deflate', true);
    const out = g.push(new Uint8Array([120, 156, 75, 52, 48, 52, 50, 54, 49, 53, 3, 0, 8, 136,
                                       1, 199, 0]));
    const text = String.fromCharCode(...out[0]);
    let err = 'none';
    if (g.pending) { try { g.push(); } catch (e) { err = e.message; } }
    `${text} ${err}`;
  )"), "a0123456 Junk found after the end of the compressed deflate data.");
}

// The codec's memory (about 256 KiB of deflate state) is told to V8 as external memory and
// goes as soon as a stream finishes or fails; an abandoned one goes with its wrapper.
TEST_F(CompressionNatives, CodecMemoryIsReleased) {
  // What natives reported through AdjustAmountOfExternalAllocatedMemory (a change of 0
  // returns the total).
  auto external = [&] { return iso()->AdjustAmountOfExternalAllocatedMemory(0); };
  int64_t base = external();
  size_t liveBase = realm_->liveWrappables();
  run("globalThis.held = [];"
      "for (let i = 0; i < 8; i++) held.push(natives.createCompressor('gzip', false));");
  int64_t open = external();
  EXPECT_GT(open - base, 8 * 200 * 1024) << "deflate state counted";
  // Finished: freed now, while the wrappers are still referenced.
  run("for (const c of held) c.finish();");
  EXPECT_LT(external() - base, 8 * 16 * 1024);
  run("held.length = 0;");
  // Errored: freed at the error.
  run("globalThis.bad = natives.createCompressor('deflate', true);"
      "try { bad.push(new Uint8Array([9, 9])); } catch {}");
  EXPECT_LT(external() - base, 8 * 16 * 1024);
  // Cancelled or aborted (close()): freed now; later calls throw.
  run("globalThis.cancelled = natives.createCompressor('gzip', false);"
      "cancelled.push(new Uint8Array(9));");
  EXPECT_GT(external() - base, 200 * 1024);
  EXPECT_EQ(run("cancelled.close(); try { cancelled.push(new Uint8Array(1)); 'no error' }"
                "catch (e) { e.name }"),
            "TypeError");
  EXPECT_LT(external() - base, 8 * 16 * 1024);
  // Abandoned mid-stream: freed by the second-pass weak callback after a GC.
  run("for (let i = 0; i < 8; i++)"
      "  natives.createCompressor('deflate', false).push(new Uint8Array(10));");
  EXPECT_GT(external() - base, 8 * 200 * 1024);
  run("delete globalThis.bad; delete globalThis.cancelled;");
  for (int i = 0; i < 3; i++) {
    iso()->LowMemoryNotification();
    realm_->checkpoint();
  }
  EXPECT_LT(external() - base, 8 * 16 * 1024);
  EXPECT_LE(realm_->liveWrappables(), liveBase);
}

// A gzip of 1 GiB of zeros (about 1 MiB) comes out of push() in 64 KiB chunks, at most
// 16 per call, and memory stays bounded while JS drops them.
TEST_F(CompressionNatives, InflateBombComesOutInBoundedChunks) {
  constexpr size_t kTotal = size_t(1) << 30;
  Bytes compressed;
  {
    z_stream z{};
    ASSERT_EQ(deflateInit2(&z, 9, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY), Z_OK);
    Bytes zeros(1 << 20);
    Bytes buf(1 << 16);
    for (size_t done = 0; done < kTotal; done += zeros.size()) {
      z.next_in = zeros.data();
      z.avail_in = uInt(zeros.size());
      bool last = done + zeros.size() == kTotal;
      do {
        z.next_out = buf.data();
        z.avail_out = uInt(buf.size());
        deflate(&z, last ? Z_FINISH : Z_NO_FLUSH);
        compressed.insert(compressed.end(), buf.begin(), buf.end() - z.avail_out);
      } while (z.avail_out == 0);
    }
    deflateEnd(&z);
  }
  ASSERT_LT(compressed.size(), size_t(2) << 20);
  auto ab = v8::ArrayBuffer::New(iso(), compressed.size());
  std::memcpy(ab->GetBackingStore()->Data(), compressed.data(), compressed.size());
  ASSERT_TRUE(ctx()->Global()->Set(ctx(), v8Str(iso(), "bomb"), ab).FromJust());
  EXPECT_EQ(run(R"(
    const d = natives.createCompressor('gzip', true);
    let total = 0, calls = 0, biggestChunk = 0, mostPerCall = 0, nonZero = 0;
    const take = (parts) => {
      calls++;
      let n = 0;
      for (const p of parts) {
        n += p.length;
        biggestChunk = Math.max(biggestChunk, p.length);
        if (p[0] !== 0 || p[p.length - 1] !== 0) nonZero++;
      }
      mostPerCall = Math.max(mostPerCall, n);
      total += n;
    };
    take(d.push(new Uint8Array(bomb)));
    while (d.pending) take(d.push());
    take(d.finish());
    [total, biggestChunk, mostPerCall, nonZero, calls > 1000].join();
  )"), std::to_string(kTotal) + ",65536,1048576,0,true");
}

}  // namespace
}  // namespace torus::js
