// The streams built-in's exports for other built-ins (internals.streams, js/builtins/
// 50_streams.js): what fetch bodies and CompressionStream use, which user code cannot reach
// (and WPT does not test). Each test drives the operations from JS with `S` bound to
// internals.streams, drains the microtasks, then reads what the promises left in globals.
#include <gtest/gtest.h>

#include "js/builtins.h"
#include "tests/js/realm_fixture.h"

namespace torus::js {
namespace {

class StreamsTest : public RealmTest {
 protected:
  void SetUp() override {
    RealmTest::SetUp();
    ASSERT_EQ(run("typeof ReadableStream"), "function");  // runs the lazy file
    v8::Local<v8::Value> streams =
        realm_->internals()->Get(ctx(), v8Str(iso(), "streams")).ToLocalChecked();
    ASSERT_TRUE(streams->IsObject());
    ctx()->Global()->Set(ctx(), v8Str(iso(), "S"), streams).Check();
  }
  // Runs code, then the microtasks it queued, then returns `expr`.
  std::string settle(const std::string& code, const std::string& expr) {
    std::string r = run(code);
    if (r.rfind("threw", 0) == 0) return r;
    for (int i = 0; i < 10; ++i) iso()->PerformMicrotaskCheckpoint();
    return run(expr);
  }
};

TEST_F(StreamsTest, ExportsTheListedOperations) {
  for (const char* name :
       {"IsReadableStream", "IsReadableStreamLocked", "IsReadableStreamDisturbed",
        "ReadableStreamCancel", "ReadableStreamTee", "AcquireReadableStreamDefaultReader",
        "ReadableStreamDefaultReaderRead", "ReadableStreamClose", "ReadableStreamError",
        "CreateReadableStream", "CreateReadableByteStream",
        "ReadableByteStreamControllerEnqueue", "ReadableByteStreamControllerClose",
        "ReadableByteStreamControllerError", "ReadableByteStreamControllerGetBYOBRequestView",
        "ReadableByteStreamControllerRespond", "CreateWritableStream",
        "AcquireWritableStreamDefaultWriter", "WritableStreamDefaultWriterWrite",
        "CreateTransformStream", "ReadableStreamPipeTo", "readAllBytes"}) {
    EXPECT_EQ(run(std::string("typeof S.") + name), "function") << name;
  }
}

TEST_F(StreamsTest, ReadAllBytesOfAByteStreamFromAlgorithms) {
  EXPECT_EQ(settle(R"(
    let n = 0;
    globalThis.desired = [];
    const rs = S.CreateReadableByteStream({
      highWaterMark: 4,
      pull(c) {
        desired.push(S.ReadableByteStreamControllerGetDesiredSize(c));
        if (n === 3) { S.ReadableByteStreamControllerClose(c); return; }
        S.ReadableByteStreamControllerEnqueue(c, new Uint8Array([n++, 9]));
      },
    });
    globalThis.before = S.IsReadableStreamDisturbed(rs);
    S.readAllBytes(rs).then((u8) => { globalThis.result = [...u8].join(); });
    globalThis.after = [S.IsReadableStreamDisturbed(rs), S.IsReadableStreamLocked(rs)].join();
  )", "[before, after, result].join(' | ')"),
            "false | true,true | 0,9,1,9,2,9");
}

TEST_F(StreamsTest, ReadAllBytesOfManyQueuedChunksDoesNotRecurse) {
  // Every chunk is queued before the read starts: the spec's read-loop would recurse once
  // per chunk.
  EXPECT_EQ(settle(R"(
    const rs = S.CreateReadableStream(() => {}, () => {}, () => {});
    for (let i = 0; i < 200000; i++) {
      S.ReadableStreamDefaultControllerEnqueue(rs, new Uint8Array([i & 255]));
    }
    S.ReadableStreamDefaultControllerClose(rs);
    S.readAllBytes(rs).then((u8) => { globalThis.result = u8.length + ' ' + u8[257]; },
      (e) => { globalThis.result = String(e); });
  )", "result"),
            "200000 1");
}

TEST_F(StreamsTest, ReadAllBytesRejectsANonUint8ArrayChunk) {
  EXPECT_EQ(settle(R"(
    const rs = S.CreateReadableStream(() => {}, () => {}, () => {});
    S.ReadableStreamDefaultControllerEnqueue(rs, 'text');
    S.readAllBytes(rs).catch((e) => { globalThis.result = e.constructor.name; });
  )", "result"),
            "TypeError");
}

TEST_F(StreamsTest, TeeCancelsTheSourceWithBothReasons) {
  EXPECT_EQ(settle(R"(
    globalThis.reason = null;
    const rs = S.CreateReadableStream(() => {}, () => {}, (r) => { globalThis.reason = r; });
    const [a, b] = S.ReadableStreamTee(rs, false);
    S.ReadableStreamCancel(a, 'x');
    S.ReadableStreamCancel(b, 'y');
  )", "JSON.stringify(reason)"),
            "[\"x\",\"y\"]");
}

TEST_F(StreamsTest, TransformStreamFromAlgorithmsAndAPipe) {
  EXPECT_EQ(settle(R"(
    globalThis.out = [];
    const ts = S.CreateTransformStream({
      transform(chunk, enqueue) { enqueue(chunk + 1); },
      flush(enqueue) { enqueue('end'); },
    });
    const ws = S.CreateWritableStream(() => {}, (chunk) => { out.push(chunk); }, () => {},
      () => {});
    const rs = S.CreateReadableStream(() => {}, () => {}, () => {});
    S.ReadableStreamDefaultControllerEnqueue(rs, 1);
    S.ReadableStreamDefaultControllerEnqueue(rs, 2);
    S.ReadableStreamDefaultControllerClose(rs);
    S.ReadableStreamPipeTo(rs, ts.writable, false, false, false);
    S.ReadableStreamPipeTo(ts.readable, ws).then(() => { out.push('done'); });
  )", "out.join()"),
            "2,3,end,done");
}

TEST_F(StreamsTest, ReadRequestsAndWriters) {
  EXPECT_EQ(settle(R"(
    globalThis.log = [];
    const rs = S.CreateReadableStream(() => {}, () => {}, () => {});
    const reader = S.AcquireReadableStreamDefaultReader(rs);
    S.ReadableStreamDefaultReaderRead(reader, {
      chunkSteps(c) { log.push('chunk ' + c); },
      closeSteps() { log.push('close'); },
      errorSteps(e) { log.push('error ' + e); },
    });
    S.ReadableStreamDefaultControllerEnqueue(rs, 'a');
    S.ReadableStreamDefaultReaderRead(reader, {
      chunkSteps(c) { log.push('chunk ' + c); },
      closeSteps() { log.push('close'); },
      errorSteps(e) { log.push('error ' + e); },
    });
    S.ReadableStreamError(rs, 'boom');
    const ws = S.CreateWritableStream(() => {}, () => {}, () => {}, () => {});
    const writer = S.AcquireWritableStreamDefaultWriter(ws);
    log.push('desired ' + S.WritableStreamDefaultWriterGetDesiredSize(writer));
    S.WritableStreamDefaultWriterWrite(writer, 'w').then(() => log.push('written'));
    S.WritableStreamDefaultWriterClose(writer).then(() => log.push('closed'));
  )", "log.join()"),
            "chunk a,error boom,desired 1,written,closed");
}

}  // namespace
}  // namespace torus::js
