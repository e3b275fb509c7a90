"""When no io_uring ring can be created: with --io uring (or TORUS_IO=uring) torus exits 1
with a message naming the cause and the fix; with auto (the default) it serves on epoll and
says why in its log and in /metrics. The cause is made real: a seccomp filter, installed in
the child before exec, makes io_uring_setup fail with EPERM (as Docker's default profile
does) or ENOSYS (a kernel without io_uring)."""

import ctypes
import errno
import os
import platform
import struct
import subprocess
import unittest
import urllib.request

from harness import APPS, TORUS_BIN, free_port, require_binary, sanitizer_report

SYS_IO_URING_SETUP = 425  # the same number on every architecture since Linux 5.1
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_ALLOW = 0x7FFF0000


def deny_io_uring(err):
    """A preexec_fn: from here on io_uring_setup fails with `err`; nothing else changes."""
    def install():
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
        # struct sock_filter {u16 code; u8 jt; u8 jf; u32 k;}
        program = b"".join([
            struct.pack("HBBI", 0x20, 0, 0, 0),                      # ld [nr]
            struct.pack("HBBI", 0x15, 0, 1, SYS_IO_URING_SETUP),     # jeq io_uring_setup
            struct.pack("HBBI", 0x06, 0, 0, SECCOMP_RET_ERRNO | err),
            struct.pack("HBBI", 0x06, 0, 0, SECCOMP_RET_ALLOW),
        ])
        buf = ctypes.create_string_buffer(program)
        fprog = struct.pack("HxxxxxxP", len(program) // 8, ctypes.addressof(buf))
        fbuf = ctypes.create_string_buffer(fprog)
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")
        if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fbuf), 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "PR_SET_SECCOMP")
    return install


@unittest.skipUnless(platform.machine() == "x86_64", "the filter is written for x86_64")
class RingFailureTest(unittest.TestCase):
    def setUp(self):
        require_binary()

    def run_denied(self, err, *args):
        env = dict(os.environ, TORUS_IO="uring")
        p = subprocess.run([TORUS_BIN, *args], stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=60, preexec_fn=deny_io_uring(err), env=env)
        out = p.stderr.decode("utf-8", "replace")
        self.assertEqual(p.returncode, 1, out)
        self.assertIsNone(sanitizer_report(out), out)
        self.assertNotIn("serving", out)
        return out

    def test_seccomp_eperm_names_the_profile(self):
        out = self.run_denied(errno.EPERM, "serve", os.path.join(APPS, "echo"), "--workers",
                              "1", "--listen", "127.0.0.1:0")
        self.assertIn("cannot create an io_uring ring", out)
        self.assertIn("Operation not permitted", out)
        self.assertIn("seccomp", out)

    def test_enosys_names_the_kernel(self):
        out = self.run_denied(errno.ENOSYS, "eval", "1")
        self.assertIn("cannot create an io_uring ring", out)
        self.assertIn("kernel has no io_uring", out)


    def test_auto_falls_back_to_epoll_and_says_why(self):
        port, admin = free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if k != "TORUS_IO"}
        p = subprocess.Popen([TORUS_BIN, "serve", os.path.join(APPS, "echo"), "--workers", "1",
                              "--listen", f"127.0.0.1:{port}", "--admin-listen",
                              f"127.0.0.1:{admin}", "--log-format", "text"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, preexec_fn=deny_io_uring(errno.EPERM), env=env)
        try:
            lines = []
            for line in p.stderr:
                lines.append(line.decode())
                # The line that says it serves, not the warning "serving on epoll: ..."
                # logged before the listeners are up.
                if lines[-1].startswith("torus info: serving "):
                    break
            text = "".join(lines)
            self.assertIn("serving on epoll: io_uring is unavailable", text)
            self.assertIn("Operation not permitted", text)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/info", timeout=10) as r:
                self.assertEqual(r.status, 200)
            with urllib.request.urlopen(f"http://127.0.0.1:{admin}/metrics", timeout=10) as r:
                self.assertIn('torus_io_backend{backend="epoll"} 1', r.read().decode())
        finally:
            p.terminate()
            rest = p.communicate(timeout=30)[1].decode()
        self.assertEqual(p.returncode, 0, rest)
        self.assertIsNone(sanitizer_report(rest), rest)


if __name__ == "__main__":
    unittest.main()
