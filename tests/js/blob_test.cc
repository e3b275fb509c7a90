// The natives of js/api/blob.cc and the realm helpers of 30_blob.js / 31_formdata.js that C++
// (Request/Response, structuredClone) calls: extractBody, parseFormData, makeBlob.
#include "js/api/blob.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/js/realm_fixture.h"

namespace torus::js {
namespace {

class BlobTest : public RealmTest {
 protected:
  void SetUp() override {
    RealmTest::SetUp();
    // Reached from C++ as Request/Response will; published here for the test's scripts.
    for (const char* name : {"extractBody", "parseFormData", "makeBlob", "makeFile", "blobInfo"}) {
      v8::Local<v8::Function> fn = realm_->helper(name);
      ASSERT_FALSE(fn.IsEmpty()) << name;
      ctx()->Global()->Set(ctx(), v8Str(iso(), name), fn).Check();
    }
    run(R"(
      globalThis.bytes = (s) => Uint8Array.from(s, (c) => c.charCodeAt(0));
      globalThis.latin1 = (u8) => String.fromCharCode(...u8);
      globalThis.show = (fd) => [...fd].map(([k, v]) => typeof v === 'string' ? `${k}=${v}`
          : `${k}=File(${v.name}|${v.type}|${latin1(v.__bytes ?? [])})`).join(' ');
      globalThis.parse = (body, ct) => {
        try { return show(parseFormData(bytes(body), ct)); } catch (e) { return `${e.name}: ${e.message}`; }
      };
    )");
  }
};

TEST_F(BlobTest, ExtractBodyOfBlobsAndOthers) {
  EXPECT_EQ(run("const e = extractBody(new Blob(['ab'], {type: 'Text/X'}));"
                "[e.bytes instanceof Uint8Array, latin1(e.bytes), e.contentType].join()"),
            "true,ab,text/x");
  EXPECT_EQ(run("extractBody(new Blob(['ab'])).contentType"), "null");
  EXPECT_EQ(run("extractBody(new File(['x'], 'n', {type: 'a/b'})).contentType"), "a/b");
  EXPECT_EQ(run("[extractBody('str'), extractBody(null), extractBody({}),"
                " extractBody(new Uint8Array(1))].map(String).join()"),
            "undefined,undefined,undefined,undefined");
}

TEST_F(BlobTest, FormDataSerialisesAsTheHtmlSpecSays) {
  EXPECT_EQ(run(R"(
    const fd = new FormData();
    fd.append('a\nb"c', 'v\r1\n2');
    fd.append('f', new File(['D\r\n'], 'x"\ny\r.txt'));
    fd.append('g', new Blob(['é'], { type: 'text/plain' }));
    const { bytes: b, contentType } = extractBody(fd);
    const boundary = contentType.slice('multipart/form-data; boundary='.length);
    const text = latin1(b).replaceAll(boundary, 'B');
    [/^----formdata-torus-[0-9a-f]{32}$/.test(boundary), text].join('|');
  )"),
            "true|--B\r\nContent-Disposition: form-data; name=\"a%0D%0Ab%22c\"\r\n\r\n"
            "v\r\n1\r\n2\r\n"
            "--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x%22%0Ay%0D.txt\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\nD\r\n\r\n"
            "--B\r\nContent-Disposition: form-data; name=\"g\"; filename=\"blob\"\r\n"
            "Content-Type: text/plain\r\n\r\nÃ©\r\n"  // é as Latin-1 of its UTF-8
            "--B--\r\n");
  // Each serialisation draws a new boundary.
  EXPECT_EQ(run("extractBody(new FormData()).contentType !== extractBody(new FormData()).contentType"),
            "true");
}

TEST_F(BlobTest, RoundTrip) {
  EXPECT_EQ(run(R"(
    const fd = new FormData();
    fd.append('name "q"', 'line\nbreak');
    fd.append('€', new File([new Uint8Array([0, 255, 13, 10])], 'f%22.bin', { type: 'x/y' }));
    fd.append('empty', new File([], ''));
    const { bytes: b, contentType } = extractBody(fd);
    const back = parseFormData(b, contentType);
    [...back].map(([k, v]) => typeof v === 'string' ? `${k}=${JSON.stringify(v)}`
        : `${k}=${v.constructor.name}(${v.name}|${v.type}|${v.size})`).join(' ');
  )"),
            "name \"q\"=\"line\\r\\nbreak\" €=File(f\".bin|x/y|4) empty=File(|application/octet-stream|0)");
  // The files' bytes are copies: the body may be reused by the caller.
  EXPECT_EQ(run(R"(
    const fd2 = new FormData();
    fd2.append('f', new File(['abc'], 'n'));
    const ex = extractBody(fd2);
    const file = parseFormData(ex.bytes, ex.contentType).get('f');
    ex.bytes.fill(0);
    let out; file.text().then((t) => { out = t; });
    out === undefined;
  )"),
            "true");
  realm_->checkpoint();
  EXPECT_EQ(run("out"), "abc");
}

TEST_F(BlobTest, ParseEdgeCases) {
  // A preamble and an epilogue are ignored.
  EXPECT_EQ(run("parse('pre\\r\\n--b\\r\\nContent-Disposition: form-data; name=a\\r\\n\\r\\n1\\r\\n"
                "--b--\\r\\nepilogue', 'multipart/form-data; boundary=b')"),
            "a=1");
  // Quoted names and RFC 5987 filenames (the file's bytes are shown through its size).
  EXPECT_EQ(run("const fdq = parseFormData(bytes('--b\\r\\nContent-Disposition: form-data; "
                "name=\"q%22\\\\\"n\"; filename*=UTF-8\\'\\'%E2%82%AC.txt\\r\\n\\r\\nxyz\\r\\n--b--'),"
                " 'multipart/form-data; boundary=\"b\"');"
                "const fq = fdq.get('q\"\"n'); [fq.name, fq.type, fq.size].join()"),
            "€.txt,text/plain,3");
  // Missing close delimiter, bare LFs, unknown type: malformed.
  EXPECT_EQ(run("parse('--b\\r\\nContent-Disposition: form-data; name=a\\r\\n\\r\\n1', "
                "'multipart/form-data; boundary=b')"),
            "TypeError: Failed to parse body as FormData.");
  EXPECT_EQ(run("parse('--b\\nContent-Disposition: form-data; name=a\\n\\n1\\n--b--', "
                "'multipart/form-data; boundary=b')"),
            "TypeError: Failed to parse body as FormData.");
  EXPECT_EQ(run("parse('a=1', 'text/plain')"), "TypeError: Failed to parse body as FormData.");
  EXPECT_EQ(run("parse('a=1', null)"), "TypeError: Failed to parse body as FormData.");
  EXPECT_EQ(run("parse('', 'multipart/form-data')"),
            "TypeError: Failed to parse body as FormData.");
  // Too many parts: a TypeError naming the limit.
  EXPECT_EQ(run("parse('--b\\r\\nContent-Disposition: form-data; name=a\\r\\n\\r\\n\\r\\n'"
                ".repeat(10001) + '--b--', 'multipart/form-data; boundary=b')"),
            "TypeError: Failed to parse body as FormData: the body has too many parts (the limit "
            "is 10000).");
  // Values are UTF-8 decoded with replacement; a BOM is kept.
  EXPECT_EQ(run("JSON.stringify(parseFormData(new Uint8Array([...bytes('--b\\r\\nContent-"
                "Disposition: form-data; name=a\\r\\n\\r\\n'), 0xef, 0xbb, 0xbf, 0xff, ...bytes("
                "'\\r\\n--b--')]), 'multipart/form-data; boundary=b').get('a'))"),
            "\"\xEF\xBB\xBF\xEF\xBF\xBD\"");
}

TEST_F(BlobTest, ParseUrlencoded) {
  EXPECT_EQ(run("parse('a=1&b=x+y&%E2%82%AC=%zz&&c', 'application/x-www-form-urlencoded;charset=UTF-8')"),
            "a=1 b=x y €=%zz c=");
  EXPECT_EQ(run("parse('', 'application/x-www-form-urlencoded')"), "");
}

TEST_F(BlobTest, MakeBlob) {
  EXPECT_EQ(run("const mb = makeBlob(new Uint8Array([104, 105]), 'Text/Plain');"
                "[mb instanceof Blob, mb.size, mb.type].join()"),
            "true,2,text/plain");
  EXPECT_EQ(run("[makeBlob(new Uint8Array(0), null).size, makeBlob(new Uint8Array(0)).type === '']"
                ".join()"),
            "0,true");
}

TEST_F(BlobTest, MakeFileAndBlobInfoRoundTrip) {
  EXPECT_EQ(run("const mf = makeFile(new Uint8Array([1, 2]), 'n.bin', 'A/B', 1234);"
                "const i = blobInfo(mf);"
                "[mf instanceof File, i.name, i.type, i.lastModified, [...i.bytes]].join('|')"),
            "true|n.bin|a/b|1234|1,2");
  EXPECT_EQ(run("const bi = blobInfo(new Blob(['x'], {type: 't/u'}));"
                "[bi.type, 'name' in bi, bi.bytes.length, blobInfo({}), blobInfo('s')].join('|')"),
            "t/u|false|1||");
}

}  // namespace
}  // namespace torus::js
