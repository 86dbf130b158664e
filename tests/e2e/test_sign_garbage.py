# SPDX-License-Identifier: Apache-2.0
"""A registry that answers garbage to signature lookups: `verify` and
`policy check` refuse with a reason, never crash and never accept."""
import hashlib
import http.server
import json
import os
import socketserver
import subprocess
import threading

import pytest

DIGEST = "sha256:" + "ab" * 32


class Garbage(http.server.BaseHTTPRequestHandler):
    mode = "garbage"

    def log_message(self, *a):
        pass

    def do_GET(self):
        if self.path == "/v2/":
            self.send_response(200)
            self.end_headers()
            return
        if "/manifests/v1" in self.path or ("/manifests/" + DIGEST) in self.path:
            # A real-looking image manifest, so the image itself resolves.
            cfg = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
            man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                              "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                         "digest": "sha256:" + hashlib.sha256(cfg).hexdigest(),
                                         "size": len(cfg)}, "layers": []}).encode()
            self.server.manifest = man
            self.server.config = cfg
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
            self.send_header("Docker-Content-Digest", "sha256:" + hashlib.sha256(man).hexdigest())
            self.end_headers()
            self.wfile.write(man)
            return
        if "/blobs/" in self.path and getattr(self.server, "config", None) and \
                self.path.endswith(hashlib.sha256(self.server.config).hexdigest()):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(self.server.config)
            return
        # Everything else (the .sig manifest, its blobs): garbage.
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
        self.end_headers()
        self.wfile.write(os.urandom(3000) if self.mode == "garbage" else b'{"schemaVersion": 2, "layers": 7}')

    do_HEAD = do_GET


@pytest.fixture(params=["garbage", "wrongshape"])
def server(request):
    handler = type("H", (Garbage,), {"mode": request.param})
    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield "127.0.0.1:%d" % srv.server_address[1]
    srv.shutdown()
    srv.server_close()


def test_verify_refuses_garbage(bulwark, server, tmp_path):
    env = dict(os.environ, HOME=str(tmp_path), COSIGN_PASSWORD="pw")
    subprocess.run([bulwark, "key", "generate", "--output-key-prefix", str(tmp_path / "k")],
                   env=env, check=True, capture_output=True, timeout=120)
    p = subprocess.run([bulwark, "verify", "--insecure", "--key", str(tmp_path / "k.pub"),
                        "%s/test/img:v1" % server], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode not in (0,), p.stdout
    assert p.returncode < 128, p.stderr  # no crash
    assert p.stderr.strip() and "Sanitizer" not in p.stderr
    assert p.stdout.strip() in ("", "[]")

    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"default": [{"type": "sigstoreSigned", "keyPath": str(tmp_path / "k.pub")}]}))
    regd = tmp_path / "registries.d"
    regd.mkdir()
    (regd / "default.yaml").write_text("default-docker:\n  use-sigstore-attachments: true\n")
    p = subprocess.run([bulwark, "policy", "check", "--insecure", "--policy", str(policy), "--registries.d",
                        str(regd), "%s/test/img:v1" % server], env=env, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode != 0 and p.returncode < 128, (p.returncode, p.stdout, p.stderr)
    assert "accept" not in p.stdout.lower() or "reject" in p.stdout.lower()
