// crypto.getRandomValues and crypto.randomUUID
// (https://w3c.github.io/webcrypto/#Crypto-method-getRandomValues, #Crypto-method-randomUUID).
// The interface, its brand checks and argument errors are built-in JS
// (js/builtins/04_crypto.js); this file holds the bytes.
//
// Randomness: the kernel's CSPRNG through getrandom(2). Requests up to kPoolBytes / 16 are
// served from a per-realm pool of kPoolBytes refilled by one getrandom call, so a UUID or a
// small array costs no syscall (tests/js/crypto_random_test.cc prints both: ~80 ns per 16
// bytes from the pool against ~300-900 ns for a getrandom call each, on the 2-core dev VM,
// whose getrandom costs ~0.8 us per call plus ~5 ns per byte); served bytes are wiped from
// the pool. Larger requests go to getrandom directly.
// The pool lives in an ArrayBuffer held by the natives, so it dies with the realm.
//
// Thread: the isolate's.
#pragma once

#include <cstddef>
#include <cstdint>

namespace torus::js {

class Natives;

inline constexpr size_t kPoolBytes = 4096;

// Fills out[0, n) from getrandom(2) (retrying EINTR and short reads). False if the kernel
// refuses (ENOSYS); never blocks once the pool is initialized at boot.
bool fillFromKernel(uint8_t* out, size_t n);

// A pool of kernel random bytes. `bytes` is kPoolBytes long; `used` how many are spent.
struct RandomPool {
  uint32_t used = kPoolBytes;
  uint8_t bytes[kPoolBytes];
  bool take(uint8_t* out, size_t n);
};

// Formats 16 random bytes as a version 4 UUID (RFC 9562 section 5.4), setting the version
// and variant bits: 36 characters into out.
void formatUuidV4(uint8_t bytes[16], char out[36]);

// fillRandom(view), randomUUID().
void addCryptoRandomNatives(Natives& natives);

}  // namespace torus::js
