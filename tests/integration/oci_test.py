"""The OCI image (packaging/oci/build.sh): built with umoci from the binary under test,
unpacked into a fresh directory, its config checked (a non-root user, port 8080, the
entrypoint), its rootfs minimal (no shell, no package manager), its own config valid, and
its entrypoint serving a request from inside the unpacked rootfs (chroot, as the image's
user) to a client outside."""

import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.request

from harness import REPO, TORUS_BIN, free_port, require_binary


@unittest.skipUnless(os.geteuid() == 0, "needs root (chroot)")
class OciImageTest(unittest.TestCase):
    def test_image_serves_from_its_rootfs(self):
        require_binary()
        if not shutil.which("umoci"):
            self.skipTest("needs umoci (packaging/setup.sh installs it)")
        work = tempfile.mkdtemp(prefix="torus-oci-")
        self.addCleanup(shutil.rmtree, work, True)
        build = subprocess.run([os.path.join(REPO, "packaging", "oci", "build.sh"),
                                os.path.abspath(TORUS_BIN), os.path.join(work, "out")],
                               capture_output=True, text=True, timeout=300)
        self.assertEqual(build.returncode, 0, build.stdout + build.stderr)
        bundle = os.path.join(work, "bundle")
        unpack = subprocess.run(["umoci", "unpack", "--image",
                                 os.path.join(work, "out", "layout") + ":torus", bundle],
                                capture_output=True, text=True, timeout=300)
        self.assertEqual(unpack.returncode, 0, unpack.stderr)
        with open(os.path.join(bundle, "config.json")) as f:
            config = json.load(f)
        process = config["process"]
        self.assertEqual(process["args"][:2], ["/usr/bin/torus", "serve"])
        self.assertNotEqual(process["user"]["uid"], 0)
        with open(os.path.join(work, "out", "layout", "index.json")) as f:
            self.assertIn("manifests", json.load(f))
        rootfs = os.path.join(bundle, "rootfs")
        for absent in ("bin/sh", "usr/bin/sh", "usr/bin/apt-get", "usr/bin/dpkg"):
            self.assertFalse(os.path.exists(os.path.join(rootfs, absent)), absent)
        user = f"{process['user']['uid']}:{process['user']['gid']}"
        # /proc, as a runtime mounts it (the sanitizers of a test build read it too).
        proc = os.path.join(rootfs, "proc")
        os.makedirs(proc, exist_ok=True)
        self.assertEqual(subprocess.run(["mount", "-t", "proc", "proc", proc]).returncode, 0)
        self.addCleanup(subprocess.run, ["umount", "-l", proc])
        env = {"PATH": "/usr/bin"}
        chroot = shutil.which("chroot")
        check = subprocess.run([chroot, f"--userspec={user}", rootfs, "/usr/bin/torus", "check",
                                "/etc/torus/torus.toml"], capture_output=True, text=True,
                               timeout=120, env=env)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        # The image's command with a config on a free loopback port instead of 8080.
        port = free_port()
        with open(os.path.join(rootfs, "tmp", "test.toml"), "w") as f:
            f.write(f'listen = ["127.0.0.1:{port}"]\nworkers = 1\n[app]\n'
                    'entry = "/usr/share/torus/examples/hello"\n')
        server = subprocess.Popen([chroot, f"--userspec={user}", rootfs, process["args"][0],
                                   "serve", "--config", "/tmp/test.toml"],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=env)
        try:
            body = None
            deadline = time.time() + 60
            while time.time() < deadline and server.poll() is None:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                        body = r.read()
                        break
                except OSError:
                    time.sleep(0.2)
            self.assertEqual(body, b"Hello from torus!\n")
        finally:
            server.terminate()
            _, err = server.communicate(timeout=30)
        self.assertEqual(server.returncode, 0, err.decode()[-3000:])


if __name__ == "__main__":
    unittest.main()
