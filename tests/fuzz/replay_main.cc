// The replay driver shared by every fuzz target in normal (non-libFuzzer) builds: runs the
// target over each seed of a corpus directory and over deterministic mutations of them
// (bytes flipped, inserted, deleted, duplicated, spliced from another seed), so that CTest
// exercises each target under ASan/UBSan with gcc, no clang needed.
//
//   <name>_fuzz_replay [--mutations N] DIR_OR_FILE...
//
// A file argument is run as it is (to reproduce a libFuzzer crash in a gcc build). A target
// may define LLVMFuzzerInitialize, called first as libFuzzer does.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);
extern "C" __attribute__((weak)) void __sanitizer_set_death_callback(void (*callback)(void));

namespace {

bool readFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  *out = s.str();
  return true;
}

// Files of a directory in name order (so that runs are reproducible), or the path itself.
bool collect(const std::string& path, std::vector<std::string>* files) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    exit(2);
  }
  if (!S_ISDIR(st.st_mode)) {
    files->push_back(path);
    return false;
  }
  DIR* d = opendir(path.c_str());
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') names.push_back(e->d_name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) files->push_back(path + "/" + n);
  return true;
}

uint64_t state = 0x9E3779B97F4A7C15ull;
uint64_t next() {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

// Bytes that matter to the formats under test (HTTP, chunks, TOML, multipart, URLs).
const char kInteresting[] = "\r\n:;= \t0123456789abcdefxXHTP/.,\"'[]{}#%@?&-_\\\0\x80\xff\x7f";

std::string mutate(const std::string& seed, const std::vector<std::string>& seeds) {
  std::string s = seed;
  int edits = 1 + int(next() % 6);
  for (int e = 0; e < edits; ++e) {
    if (s.empty()) {
      s.push_back(char(next()));
      continue;
    }
    size_t at = next() % s.size();
    switch (next() % 7) {
      case 0: s[at] = kInteresting[next() % (sizeof kInteresting - 1)]; break;
      case 1: s.insert(at, 1, kInteresting[next() % (sizeof kInteresting - 1)]); break;
      case 2: s.erase(at, 1 + next() % 8); break;
      case 3: s.insert(at, s.substr(at, next() % 64)); break;
      case 4: s[at] = char(s[at] ^ (1 << (next() % 8))); break;
      case 5: s[at] = char(next()); break;
      case 6: {  // splice: a piece of another seed
        const std::string& o = seeds[next() % seeds.size()];
        if (o.empty()) break;
        size_t from = next() % o.size();
        s.insert(at, o.substr(from, next() % 128));
        break;
      }
    }
  }
  if (s.size() > 65536) s.resize(65536);
  return s;
}

// The input running now, saved to replay-crash.bin in the working directory when the target
// traps, aborts or a sanitizer reports (run the binary on that file to reproduce).
const std::string* current = nullptr;
void saveCurrent() {
  if (!current) return;
  int fd = open("replay-crash.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    (void)!write(fd, current->data(), current->size());
    close(fd);
    const char msg[] = "replay: the failing input is in replay-crash.bin\n";
    (void)!write(2, msg, sizeof msg - 1);
  }
  current = nullptr;
}
void onSignal(int sig) {
  saveCurrent();
  signal(sig, SIG_DFL);
  raise(sig);
}

void run(const std::string& s) {
  // A copy of exactly the input's size: ASan sees a read one past the end.
  std::vector<uint8_t> buf(s.begin(), s.end());
  current = &s;
  LLVMFuzzerTestOneInput(buf.data(), buf.size());
  current = nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  for (int sig : {SIGILL, SIGABRT, SIGSEGV, SIGBUS, SIGFPE}) signal(sig, onSignal);
  if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(saveCurrent);
  long mutations = 2000;
  std::vector<std::string> files;
  bool sawDir = false;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--mutations") == 0 && i + 1 < argc) {
      mutations = atol(argv[++i]);
    } else {
      sawDir |= collect(argv[i], &files);
    }
  }
  std::vector<std::string> seeds;
  for (const std::string& f : files) {
    std::string s;
    if (!readFile(f, &s)) {
      fprintf(stderr, "replay: cannot read %s\n", f.c_str());
      return 2;
    }
    seeds.push_back(std::move(s));
  }
  if (seeds.empty()) {
    fprintf(stderr, "usage: %s [--mutations N] DIR_OR_FILE...\n", argv[0]);
    return 2;
  }
  auto start = std::chrono::steady_clock::now();
  for (const std::string& s : seeds) run(s);
  // Files named one by one are reproductions: run as they are, not mutated.
  if (!sawDir) mutations = 0;
  for (long i = 0; i < mutations; ++i) run(mutate(seeds[size_t(i) % seeds.size()], seeds));
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  printf("%s: %zu seeds + %ld mutations, no invariant broken (%.0f ms)\n", argv[0], seeds.size(),
         mutations, ms);
  return 0;
}
