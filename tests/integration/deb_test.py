"""The Debian package: cpack builds it from the build under test, a clean Debian 12 root is
made with mmdebstrap, and apt installs the package there (its Depends resolved from the
archive): the user exists, the files are in place, nothing got enabled, and the installed
binary serves the installed example app to a client outside the root."""

import glob
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.request

from harness import TORUS_BIN, free_port, require_binary

BUILD = os.path.dirname(os.path.dirname(os.path.abspath(TORUS_BIN)))


def run(*args, timeout=600, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, **kw)


@unittest.skipUnless(os.geteuid() == 0, "needs root (chroot, mounts)")
class DebTest(unittest.TestCase):
    def setUp(self):
        require_binary()
        if not shutil.which("cpack") or not shutil.which("mmdebstrap"):
            self.skipTest("needs cpack and mmdebstrap (packaging/setup.sh installs them)")
        self.root = tempfile.mkdtemp(prefix="torus-deb-root-")
        self.mounts = []
        self.addCleanup(self.cleanup)

    def cleanup(self):
        for m in reversed(self.mounts):
            run("umount", "-l", m)
        shutil.rmtree(self.root, True)

    def chroot(self, *args, user=None, timeout=600):
        spec = [f"--userspec={user}:{user}"] if user else []
        return run("chroot", *spec, self.root, *args, timeout=timeout,
                   env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive"})

    def test_installs_and_serves_on_a_clean_debian_12(self):
        out = os.path.join(BUILD, "pkg")
        made = run("cpack", "--config", os.path.join(BUILD, "CPackConfig.cmake"), "-B", out)
        self.assertEqual(made.returncode, 0, made.stdout + made.stderr)
        deb = sorted(glob.glob(os.path.join(out, "torus_*.deb")), key=os.path.getmtime)[-1]
        # A clean bookworm root, made once per build dir.
        tarball = os.path.join(BUILD, "debian12-root.tar")
        if not os.path.exists(tarball):
            partial = tarball[:-len(".tar")] + ".partial.tar"  # the suffix says "a tarball"
            r = run("mmdebstrap", "--variant=apt", "--quiet", "bookworm", partial)
            if r.returncode != 0:
                self.skipTest("mmdebstrap could not make a root: " + r.stderr[-500:])
            os.rename(partial, tarball)
        self.assertEqual(run("tar", "-xf", tarball, "-C", self.root).returncode, 0)
        for m in ("proc", "dev"):
            target = os.path.join(self.root, m)
            r = run("mount", "--rbind" if m == "dev" else "-t", *(["/dev"] if m == "dev" else ["proc", "proc"]), target)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.mounts.append(target)
        shutil.copy("/etc/resolv.conf", os.path.join(self.root, "etc", "resolv.conf"))
        shutil.copy(deb, os.path.join(self.root, "tmp", "torus.deb"))
        r = self.chroot("apt-get", "update", "-q")  # mmdebstrap leaves no package lists
        self.assertEqual(r.returncode, 0, r.stdout[-2000:] + r.stderr[-2000:])
        r = self.chroot("apt-get", "install", "-y", "-q", "--no-install-recommends", "/tmp/torus.deb")
        self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr[-3000:])

        self.assertEqual(self.chroot("getent", "passwd", "torus").returncode, 0)
        for path in ("usr/bin/torus", "usr/lib/torus/libnode.so.108", "etc/torus/torus.toml",
                     "usr/lib/systemd/system/torus.service", "usr/lib/systemd/system/torus.socket",
                     "usr/share/man/man1/torus.1.gz", "usr/share/torus/examples/hello/app.js"):
            self.assertTrue(os.path.exists(os.path.join(self.root, path)), path)
        wants = glob.glob(os.path.join(self.root, "etc/systemd/system/*.wants/torus.*"))
        self.assertEqual(wants, [], "the package enabled a unit")
        conffiles = self.chroot("dpkg-query", "-W", "-f=${Conffiles}", "torus").stdout
        self.assertIn("/etc/torus/torus.toml", conffiles)
        version = self.chroot("torus", "--version")
        self.assertEqual(version.returncode, 0, version.stderr)
        self.assertIn("torus", version.stdout + version.stderr)
        check = self.chroot("torus", "check", "/etc/torus/torus.toml", user="torus")
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)

        port = free_port()
        server = subprocess.Popen(
            [shutil.which("chroot"), "--userspec=torus:torus", self.root, "/usr/bin/torus", "serve",
             "/usr/share/torus/examples/hello", "--listen", f"127.0.0.1:{port}", "--workers", "1"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={"PATH": "/usr/bin:/bin"})
        try:
            body = None
            deadline = time.time() + 60
            while time.time() < deadline and server.poll() is None:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
                        body = resp.read()
                        break
                except OSError:
                    time.sleep(0.2)
            self.assertIsNotNone(body, "the installed torus did not serve")
            self.assertIn(b"Hello", body)
        finally:
            server.terminate()
            _, err = server.communicate(timeout=30)
        self.assertEqual(server.returncode, 0, err.decode()[-3000:])


if __name__ == "__main__":
    unittest.main()
