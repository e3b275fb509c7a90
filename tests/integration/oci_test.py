"""The OCI image (packaging/oci/build.sh): built with umoci from the binary under test,
unpacked into a fresh directory, its config checked (a non-root user, port 8080, the
entrypoint), its rootfs minimal (no shell, no package manager), its own config valid, and
its entrypoint serving a request from a container (runc) to a client outside: refused
io_uring under the container engines' default seccomp profile, on io_uring under the
image's own (packaging/oci/seccomp.py)."""

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
        unmounted = False
        try:
            check = subprocess.run([shutil.which("chroot"), f"--userspec={user}", rootfs,
                                    "/usr/bin/torus", "check", "/etc/torus/torus.toml"],
                                   capture_output=True, text=True, timeout=120,
                                   env={"PATH": "/usr/bin"})
            self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        finally:
            unmounted = subprocess.run(["umount", proc]).returncode == 0
        self.assertTrue(unmounted)
        if not shutil.which("runc"):
            self.skipTest("needs runc (packaging/setup.sh installs it)")
        # The image's command in a real container runtime (runc), on the host's network
        # namespace and a free loopback port instead of 8080. The container engines' default
        # seccomp profile blocks io_uring (so --io uring refuses to start); the image's
        # profile allows it, and everything else stays as the engines ship it.
        port = free_port()
        with open(os.path.join(rootfs, "etc", "torus", "test.toml"), "w") as f:
            f.write(f'listen = ["127.0.0.1:{port}"]\nworkers = 1\n[app]\n'
                    'entry = "/usr/share/torus/examples/hello"\n')
        with open("/usr/share/containers/seccomp.json") as f:
            engines_default = json.load(f)
        with open(os.path.join(work, "out", "seccomp.json")) as f:
            ours = json.load(f)
        serve = [process["args"][0], "serve", "--config", "/etc/torus/test.toml", "--io", "uring"]

        blocked = self.container(bundle, config, serve, engines_default)
        _, err = blocked.communicate(timeout=120)
        self.assertEqual(blocked.returncode, 1, err.decode()[-3000:])
        self.assertIn("io_uring", err.decode())

        server = self.container(bundle, config, serve, ours)
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
            subprocess.run(["runc", "kill", self.id, "TERM"], capture_output=True)
            _, err = server.communicate(timeout=30)
        self.assertEqual(server.returncode, 0, err.decode()[-3000:])
        self.assertNotIn("serving on epoll", err.decode())

    def container(self, bundle, config, args, seccomp):
        """`runc run` of the bundle with ARGS as its process and SECCOMP as its profile."""
        config = json.loads(json.dumps(config))
        config["process"]["args"] = args
        config["process"]["terminal"] = False
        config["linux"]["namespaces"] = [n for n in config["linux"]["namespaces"]
                                         if n["type"] != "network"]
        config["linux"]["seccomp"] = seccomp
        with open(os.path.join(bundle, "config.json"), "w") as f:
            json.dump(config, f)
        self.id = f"torus-oci-test-{os.getpid()}-{time.monotonic_ns()}"
        self.addCleanup(subprocess.run, ["runc", "delete", "-f", self.id], capture_output=True)
        return subprocess.Popen(["runc", "run", "--bundle", bundle, self.id],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)


if __name__ == "__main__":
    unittest.main()
