// LD_PRELOAD shim for wrk (bench/tls/run.py, the "full" handshake load): wrk reconnects a
// closed connection with SSL_clear() on the same SSL object, which keeps the negotiated
// session, so every reconnect offers it and resumes (an abbreviated handshake). This SSL_clear
// also drops the session, so each new connection does a full handshake.
// Build: cc -shared -fPIC -O2 -o no_resume.so no_resume.c -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>

int SSL_clear(void* ssl) {
  static int (*real_clear)(void*);
  static int (*set_session)(void*, void*);
  if (!real_clear) {
    real_clear = (int (*)(void*))dlsym(RTLD_NEXT, "SSL_clear");
    set_session = (int (*)(void*, void*))dlsym(RTLD_NEXT, "SSL_set_session");
  }
  int ret = real_clear(ssl);
  if (set_session) set_session(ssl, NULL);
  return ret;
}
