# SPDX-License-Identifier: Apache-2.0
"""The registry source, end to end.

Two kinds of server:
  - docker-registry on loopback (started with start-test-registry): plain
    HTTP, and TLS with a self-signed CA and htpasswd basic auth. Images are
    pushed with skopeo; a multi-platform index is built and pushed here.
  - FakeRegistry, a small Distribution API server in this file that serves
    one image from an OCI layout and misbehaves on purpose: 5xx, 404, 401
    without a challenge, dropped and stalled transfers, a corrupt blob, a
    manifest that is too large, bearer-token auth. HangServer accepts
    connections and never answers.

Exit codes: 3 image/input error (not found, corrupt), 4 registry/network
error (auth, TLS, timeout, 5xx).
"""

import base64
import gzip
import hashlib
import http.server
import io
import json
import os
import re
import shutil
import socket
import subprocess
import tarfile
import threading
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

IMAGES = Path(os.environ.get("BULWARK_TEST_IMAGES", "/var/tmp/bulwark-test-images"))
SHARED = Path(os.environ.get("BULWARK_SHARED", Path(__file__).resolve().parents[3] / "shared"))
START_REGISTRY = str(SHARED / "tools" / "start-test-registry")

MT_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MT_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"

EXIT_INPUT = 3
EXIT_NETWORK = 4

# Environment variables that would let the host's own setup leak into a test.
SCRUBBED_ENV = ("REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "DOCKER_CONFIG", "SSL_CERT_FILE",
                "SSL_CERT_DIR", "CURL_CA_BUNDLE", "http_proxy", "https_proxy", "HTTP_PROXY",
                "HTTPS_PROXY", "all_proxy", "ALL_PROXY")

needs_registry = pytest.mark.skipif(
    not (shutil.which("docker-registry") and os.access(START_REGISTRY, os.X_OK)
         and shutil.which("skopeo")),
    reason="needs docker-registry, skopeo and start-test-registry")
needs_images = pytest.mark.skipif(
    not (IMAGES / "debian-multi.info.txt").exists(),
    reason=f"test images not built in {IMAGES}")

NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# ---------------------------------------------------------------- helpers

def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layout_manifest(layout, tag):
    """(digest, size, media type) of the manifest tagged tag in an OCI layout."""
    index = json.loads((layout / "index.json").read_text())
    for m in index["manifests"]:
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
            return m["digest"], m["size"], m["mediaType"]
    raise KeyError(tag)


@pytest.fixture
def env(tmp_path):
    """A clean environment: an empty HOME, no auth files, no proxies, no CA."""
    e = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    home = tmp_path / "home"
    home.mkdir()
    e["HOME"] = str(home)
    return e


def run(bulwark, *args, env, timeout=300):
    return subprocess.run([str(bulwark), *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=timeout)


def ok(p):
    assert p.returncode == 0, f"exit {p.returncode}\nstdout: {p.stdout[-2000:]}\nstderr: {p.stderr}"
    return p.stdout


def fails(p, code, *needles):
    assert p.returncode == code, (
        f"expected exit {code}, got {p.returncode}\nstdout: {p.stdout[-2000:]}\nstderr: {p.stderr}")
    for n in needles:
        assert n in p.stderr, f"{n!r} not in stderr: {p.stderr}"
    return p.stderr


def inspect_json(bulwark, ref, *args, env):
    out = ok(run(bulwark, "image", "inspect", ref, "--format", "json", *args, env=env))
    return out, json.loads(out)


def auth_b64(user, password):
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def write_auth_file(path, key, user, password):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"auths": {key: {"auth": auth_b64(user, password)}}}))


# ---------------------------------------------------------------- docker-registry

def start_registry(state_dir, auth=False):
    args = [START_REGISTRY, "--dir", str(state_dir)] + (["--auth"] if auth else [])
    out = subprocess.run(args, check=True, capture_output=True, text=True, timeout=120).stdout
    info = {}
    for line in out.splitlines():
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            info[k] = v
    return info


def stop_registry(info):
    subprocess.run([START_REGISTRY, "--stop", info["REGISTRY_DIR"]], capture_output=True,
                   timeout=60)


def skopeo_push(src, dest, creds=None):
    cmd = ["skopeo", "copy", "-q", "--dest-tls-verify=false"]
    if creds:
        cmd += ["--dest-creds", creds]
    subprocess.run(cmd + [src, dest], check=True, capture_output=True, timeout=600)


def http_push_blob(reg, repo, data):
    digest = sha256(data)
    req = urllib.request.Request(f"http://{reg}/v2/{repo}/blobs/uploads/", data=b"", method="POST")
    with NO_PROXY.open(req, timeout=30) as r:
        loc = urllib.parse.urljoin(f"http://{reg}/", r.headers["Location"])
    sep = "&" if "?" in loc else "?"
    req = urllib.request.Request(f"{loc}{sep}digest={urllib.parse.quote(digest)}", data=data,
                                 method="PUT",
                                 headers={"Content-Type": "application/octet-stream"})
    with NO_PROXY.open(req, timeout=30) as r:
        assert r.status == 201
    return digest


def http_put_manifest(reg, repo, ref, body, media_type):
    req = urllib.request.Request(f"http://{reg}/v2/{repo}/manifests/{ref}", data=body,
                                 method="PUT", headers={"Content-Type": media_type})
    with NO_PROXY.open(req, timeout=30) as r:
        assert r.status == 201
    return sha256(body)


def tiny_arm64_image(reg, repo):
    """Pushes a one-file linux/arm64 image; returns (manifest bytes, digest)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tf:
        content = b"hello from arm64\n"
        ti = tarfile.TarInfo("hello-arm64.txt")
        ti.size = len(content)
        ti.mtime = 1700000000
        tf.addfile(ti, io.BytesIO(content))
    tar = raw.getvalue()
    layer = gzip.compress(tar, mtime=0)
    config = json.dumps({
        "architecture": "arm64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [sha256(tar)]},
    }).encode()
    layer_digest = http_push_blob(reg, repo, layer)
    config_digest = http_push_blob(reg, repo, config)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
        "config": {"mediaType": MT_OCI_CONFIG, "digest": config_digest, "size": len(config)},
        "layers": [{"mediaType": MT_OCI_LAYER_GZIP, "digest": layer_digest, "size": len(layer)}],
    }).encode()
    return manifest, http_put_manifest(reg, repo, "arm64", manifest, MT_OCI_MANIFEST)


@pytest.fixture(scope="module")
def plain_registry(tmp_path_factory):
    """docker-registry over plain HTTP with debian-multi:v1 and a two-platform
    index test-images/multiarch:multi (linux/amd64 = debian-minbase, linux/arm64
    = a one-file image)."""
    if not (shutil.which("docker-registry") and shutil.which("skopeo")):
        pytest.skip("needs docker-registry and skopeo")
    if not (IMAGES / "debian-multi.info.txt").exists():
        pytest.skip(f"test images not built in {IMAGES}")
    info = start_registry(tmp_path_factory.mktemp("plain") / "state")
    try:
        reg = info["REGISTRY"]
        skopeo_push(f"oci:{IMAGES}/debian-multi.oci:v1", f"docker://{reg}/test-images/debian-multi:v1")
        repo = "test-images/multiarch"
        skopeo_push(f"oci:{IMAGES}/debian-minbase.oci:v1", f"docker://{reg}/{repo}:amd64")
        amd64_digest, amd64_size, amd64_mt = layout_manifest(IMAGES / "debian-minbase.oci", "v1")
        arm64_manifest, arm64_digest = tiny_arm64_image(reg, repo)
        index = json.dumps({
            "schemaVersion": 2, "mediaType": MT_OCI_INDEX,
            "manifests": [
                {"mediaType": amd64_mt, "digest": amd64_digest, "size": amd64_size,
                 "platform": {"os": "linux", "architecture": "amd64"}},
                {"mediaType": MT_OCI_MANIFEST, "digest": arm64_digest, "size": len(arm64_manifest),
                 "platform": {"os": "linux", "architecture": "arm64"}},
            ],
        }).encode()
        index_digest = http_put_manifest(reg, repo, "multi", index, MT_OCI_INDEX)
        info.update(AMD64=amd64_digest, ARM64=arm64_digest, INDEX=index_digest)
        yield info
    finally:
        stop_registry(info)


@pytest.fixture(scope="module")
def auth_registry(tmp_path_factory):
    """docker-registry over TLS (self-signed CA) with basic auth, holding
    test-images/debian-minbase:v1."""
    if not (shutil.which("docker-registry") and shutil.which("skopeo")):
        pytest.skip("needs docker-registry and skopeo")
    if not (IMAGES / "debian-minbase.oci").is_dir():
        pytest.skip(f"test images not built in {IMAGES}")
    info = start_registry(tmp_path_factory.mktemp("auth") / "state", auth=True)
    try:
        skopeo_push(f"oci:{IMAGES}/debian-minbase.oci:v1",
                    f"docker://{info['REGISTRY']}/test-images/debian-minbase:v1",
                    creds=f"{info['REGISTRY_USER']}:{info['REGISTRY_PASSWORD']}")
        info["REF"] = f"{info['REGISTRY']}/test-images/debian-minbase:v1"
        yield info
    finally:
        stop_registry(info)


@pytest.fixture(scope="module")
def layout_files():
    """`image files` of the layouts, the reference for registry reads."""
    cache = {}

    def get(bulwark, name):
        if name not in cache:
            e = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
            cache[name] = ok(run(bulwark, "image", "files", f"oci:{IMAGES}/{name}.oci:v1", env=e))
        return cache[name]
    return get


# ---------------------------------------------------------------- plain HTTP registry

def test_plain_inspect_digest_matches_skopeo(bulwark, plain_registry, env):
    reg = plain_registry["REGISTRY"]
    ref = f"{reg}/test-images/debian-multi:v1"
    sk = json.loads(subprocess.run(
        ["skopeo", "inspect", "--tls-verify=false", f"docker://{ref}"],
        check=True, capture_output=True, text=True, timeout=120).stdout)
    out, _ = inspect_json(bulwark, ref, "--insecure", env=env)
    assert sk["Digest"] in out
    info = (IMAGES / "debian-multi.info.txt").read_text()
    assert f"oci_manifest_digest={sk['Digest']}" in info
    for m in re.finditer(r"^layer (sha256:[0-9a-f]{64})", info, re.M):
        assert m.group(1) in out


def test_plain_files_match_layout(bulwark, plain_registry, env, layout_files):
    ref = f"{plain_registry['REGISTRY']}/test-images/debian-multi:v1"
    out = ok(run(bulwark, "image", "files", ref, "--insecure", env=env))
    assert out == layout_files(bulwark, "debian-multi")
    assert len(out.splitlines()) > 10000


def test_plain_files_json(bulwark, plain_registry, env):
    ref = f"{plain_registry['REGISTRY']}/test-images/debian-multi:v1"
    out = ok(run(bulwark, "image", "files", ref, "--insecure", "--format", "json", env=env))
    json.loads(out)
    assert "/etc/os-release" in out or "etc/os-release" in out


def test_plain_by_digest(bulwark, plain_registry, env):
    digest, _, _ = layout_manifest(IMAGES / "debian-multi.oci", "v1")
    ref = f"{plain_registry['REGISTRY']}/test-images/debian-multi@{digest}"
    out, _ = inspect_json(bulwark, ref, "--insecure", env=env)
    assert digest in out


def test_plain_without_insecure_is_a_tls_error(bulwark, plain_registry, env):
    ref = f"{plain_registry['REGISTRY']}/test-images/debian-multi:v1"
    err = fails(run(bulwark, "image", "inspect", ref, env=env), EXIT_NETWORK, "--insecure")
    assert "TLS" in err


def test_plain_unknown_tag_is_not_found(bulwark, plain_registry, env):
    reg = plain_registry["REGISTRY"]
    fails(run(bulwark, "image", "inspect", f"{reg}/test-images/debian-multi:nope", "--insecure",
              env=env),
          EXIT_INPUT, f"registry {reg}", "test-images/debian-multi:nope", "not found (404)")


def test_plain_unknown_repository_is_not_found(bulwark, plain_registry, env):
    reg = plain_registry["REGISTRY"]
    fails(run(bulwark, "image", "inspect", f"{reg}/test-images/absent:v1", "--insecure", env=env),
          EXIT_INPUT, "not found (404)")


def test_index_selects_arm64(bulwark, plain_registry, env):
    ref = f"{plain_registry['REGISTRY']}/test-images/multiarch:multi"
    out, _ = inspect_json(bulwark, ref, "--insecure", "--platform", "linux/arm64", env=env)
    assert plain_registry["ARM64"] in out
    assert "linux/arm64" in out
    assert plain_registry["AMD64"] not in out
    files = ok(run(bulwark, "image", "files", ref, "--insecure", "--platform", "linux/arm64",
                   env=env))
    assert "hello-arm64.txt" in files
    assert "os-release" not in files


def test_index_selects_amd64(bulwark, plain_registry, env):
    ref = f"{plain_registry['REGISTRY']}/test-images/multiarch:multi"
    out, _ = inspect_json(bulwark, ref, "--insecure", "--platform", "linux/amd64", env=env)
    assert plain_registry["AMD64"] in out
    assert "linux/amd64" in out


def test_index_unknown_platform_lists_available(bulwark, plain_registry, env):
    ref = f"{plain_registry['REGISTRY']}/test-images/multiarch:multi"
    fails(run(bulwark, "image", "inspect", ref, "--insecure", "--platform", "linux/s390x", env=env),
          EXIT_INPUT, "linux/s390x", "linux/amd64", "linux/arm64")


# ---------------------------------------------------------------- TLS + basic auth registry

def tls_env(env, info):
    e = dict(env)
    e["SSL_CERT_FILE"] = info["REGISTRY_CA"]
    return e


def assert_minbase(out):
    digest, _, _ = layout_manifest(IMAGES / "debian-minbase.oci", "v1")
    assert digest in out


def test_auth_docker_config(bulwark, auth_registry, env):
    e = tls_env(env, auth_registry)
    write_auth_file(Path(e["HOME"]) / ".docker" / "config.json", auth_registry["REGISTRY"],
                    auth_registry["REGISTRY_USER"], auth_registry["REGISTRY_PASSWORD"])
    out, _ = inspect_json(bulwark, auth_registry["REF"], env=e)
    assert_minbase(out)


def test_auth_docker_config_url_key(bulwark, auth_registry, env):
    e = tls_env(env, auth_registry)
    write_auth_file(Path(e["HOME"]) / ".docker" / "config.json",
                    f"https://{auth_registry['REGISTRY']}/v1/",
                    auth_registry["REGISTRY_USER"], auth_registry["REGISTRY_PASSWORD"])
    out, _ = inspect_json(bulwark, auth_registry["REF"], env=e)
    assert_minbase(out)


def test_auth_xdg_runtime_dir(bulwark, auth_registry, env, tmp_path):
    e = tls_env(env, auth_registry)
    e["XDG_RUNTIME_DIR"] = str(tmp_path / "run")
    write_auth_file(tmp_path / "run" / "containers" / "auth.json", auth_registry["REGISTRY"],
                    auth_registry["REGISTRY_USER"], auth_registry["REGISTRY_PASSWORD"])
    out, _ = inspect_json(bulwark, auth_registry["REF"], env=e)
    assert_minbase(out)


def test_auth_registry_auth_file_comes_first(bulwark, auth_registry, env, tmp_path):
    e = tls_env(env, auth_registry)
    e["REGISTRY_AUTH_FILE"] = str(tmp_path / "auth.json")
    write_auth_file(tmp_path / "auth.json", auth_registry["REGISTRY"],
                    auth_registry["REGISTRY_USER"], auth_registry["REGISTRY_PASSWORD"])
    # A wrong password further down the list must not be used.
    write_auth_file(Path(e["HOME"]) / ".docker" / "config.json", auth_registry["REGISTRY"],
                    auth_registry["REGISTRY_USER"], "wrong")
    out, _ = inspect_json(bulwark, auth_registry["REF"], env=e)
    assert_minbase(out)


def test_auth_command_line(bulwark, auth_registry, env):
    e = tls_env(env, auth_registry)
    out = ok(run(bulwark, "image", "files", auth_registry["REF"],
                 "--username", auth_registry["REGISTRY_USER"],
                 "--password", auth_registry["REGISTRY_PASSWORD"], env=e))
    assert "etc/os-release" in out


def test_auth_wrong_password(bulwark, auth_registry, env):
    e = tls_env(env, auth_registry)
    write_auth_file(Path(e["HOME"]) / ".docker" / "config.json", auth_registry["REGISTRY"],
                    auth_registry["REGISTRY_USER"], "not-the-password")
    err = fails(run(bulwark, "image", "inspect", auth_registry["REF"], env=e), EXIT_NETWORK,
                f"registry {auth_registry['REGISTRY']}", "rejected",
                auth_registry["REGISTRY_USER"])
    assert "not-the-password" not in err


def test_auth_wrong_password_command_line(bulwark, auth_registry, env):
    e = tls_env(env, auth_registry)
    fails(run(bulwark, "image", "inspect", auth_registry["REF"], "--username", "tester",
              "--password", "nope", env=e),
          EXIT_NETWORK, "rejected")


def test_auth_no_credentials(bulwark, auth_registry, env):
    e = tls_env(env, auth_registry)
    fails(run(bulwark, "image", "inspect", auth_registry["REF"], env=e), EXIT_NETWORK,
          f"registry {auth_registry['REGISTRY']}", "authentication required",
          "test-images/debian-minbase", "no credentials found")


def test_auth_credentials_for_another_host_are_not_used(bulwark, auth_registry, env):
    e = tls_env(env, auth_registry)
    write_auth_file(Path(e["HOME"]) / ".docker" / "config.json", "registry.example.com",
                    auth_registry["REGISTRY_USER"], auth_registry["REGISTRY_PASSWORD"])
    fails(run(bulwark, "image", "inspect", auth_registry["REF"], env=e), EXIT_NETWORK,
          "no credentials found")


def test_tls_self_signed_without_trust(bulwark, auth_registry, env):
    err = fails(run(bulwark, "image", "inspect", auth_registry["REF"],
                    "--username", auth_registry["REGISTRY_USER"],
                    "--password", auth_registry["REGISTRY_PASSWORD"], env=env),
                EXIT_NETWORK, "certificate", "--insecure")
    assert auth_registry["REGISTRY"] in err


def test_tls_insecure_skips_verification(bulwark, auth_registry, env):
    out, _ = inspect_json(bulwark, auth_registry["REF"], "--insecure",
                          "--username", auth_registry["REGISTRY_USER"],
                          "--password", auth_registry["REGISTRY_PASSWORD"], env=env)
    assert_minbase(out)


def test_tls_ca_from_certs_d(bulwark, auth_registry, env):
    # The host's own certs.d: the directory is named after this test
    # registry's random port, and removed afterwards (with certs.d itself
    # when this test made it).
    root = Path("/etc/containers/certs.d")
    made_root = not root.exists()
    d = root / auth_registry["REGISTRY"]
    try:
        d.mkdir(parents=True)
    except OSError as e:
        pytest.skip(f"cannot write {root}: {e}")
    try:
        shutil.copy(auth_registry["REGISTRY_CA"], d / "ca.crt")
        out, _ = inspect_json(bulwark, auth_registry["REF"],
                              "--username", auth_registry["REGISTRY_USER"],
                              "--password", auth_registry["REGISTRY_PASSWORD"], env=env)
        assert_minbase(out)
    finally:
        shutil.rmtree(d, ignore_errors=True)
        if made_root:
            try:
                root.rmdir()
            except OSError:
                pass


# ---------------------------------------------------------------- a registry that misbehaves

class FakeRegistry:
    """Serves the image tagged v1 of an OCI layout as test/img:v1 over plain
    HTTP, answering the way `mode` says:

      ok             properly (ranges honoured)
      500            500 to everything
      flaky          503 to the first two requests, then ok
      404            404 with a Distribution error body to manifests
      401            401 without any WWW-Authenticate header
      drop           the first GET of the layer stops a third of the way in
      drop-norange   the same, and ranges are ignored (200 with the whole blob)
      stall          every GET of the layer stops after 64 KiB and hangs
      bad-blob       the layer with one byte changed (so its digest differs)
      huge-manifest  a 5 MiB manifest
      bearer         token auth: /token issues a token (to user/password when
                     set), which /v2/ then requires

    With redirect=True, blob GETs are redirected (307) to /storage/ on
    "localhost" instead of 127.0.0.1: another host, as registries send blobs
    to a storage service, so the Authorization header must not follow.
    """

    REPO = "test/img"

    def __init__(self, layout, mode="ok", user=None, password=None, token_key="token",
                 redirect=False, expire=False):
        self.layout = layout
        self.mode = mode
        self.redirect = redirect
        self.expire = expire  # bearer: the token stops working once the config is served
        self.token = None     # the one token /v2/ accepts
        self.user, self.password, self.token_key = user, password, token_key
        self.manifest_digest, _, self.manifest_mt = layout_manifest(layout, "v1")
        manifest = json.loads(self.blob_path(self.manifest_digest).read_bytes())
        self.config_digest = manifest["config"]["digest"]
        self.layer_digest = max(manifest["layers"], key=lambda l: l["size"])["digest"]
        self.requests = []
        self.token_queries = []
        self.lock = threading.Lock()
        self.count = 0
        self.dropped = False
        self.release = threading.Event()
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def handle(self):
                # bulwark --insecure tries TLS first; a ClientHello here
                # gets the connection closed, as a plain HTTP server would
                # (without waiting for a line that may never come).
                try:
                    if self.rfile.peek(1)[:1] == b"\x16":
                        return
                except OSError:
                    return
                try:
                    super().handle()
                except (ConnectionResetError, BrokenPipeError):
                    pass

            def do_GET(self):
                try:
                    fake.serve(self)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.addr = f"127.0.0.1:{self.server.server_address[1]}"
        self.ref = f"{self.addr}/{self.REPO}:v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def blob_path(self, digest):
        return self.layout / "blobs" / "sha256" / digest.split(":", 1)[1]

    @staticmethod
    def send(h, status, body=b"", ctype="application/json", headers=()):
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        h.send_header("Docker-Distribution-API-Version", "registry/2.0")
        for k, v in headers:
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    @staticmethod
    def errors(code, message):
        return json.dumps({"errors": [{"code": code, "message": message}]}).encode()

    def serve(self, h):
        path = urllib.parse.urlsplit(h.path).path
        with self.lock:
            self.count += 1
            n = self.count
            self.requests.append((path, dict(h.headers.items())))
        mode = self.mode
        if path == "/token":
            return self.serve_token(h)
        m = re.fullmatch(r"/storage/(sha256:[0-9a-f]{64})", path)
        if m and self.redirect and self.blob_path(m.group(1)).exists():
            return self.serve_blob(h, m.group(1))
        if mode == "500":
            return self.send(h, 500, self.errors("INTERNAL", "the fake is broken"))
        if mode == "flaky" and n <= 2:
            return self.send(h, 503, self.errors("UNAVAILABLE", "try later"))
        if mode == "401":
            return self.send(h, 401, self.errors("UNAUTHORIZED", "go away"))
        if mode == "bearer" and (self.token is None
                                 or h.headers.get("Authorization") != f"Bearer {self.token}"):
            challenge = (f'Bearer realm="http://{self.addr}/token",service="fake-registry",'
                         f'scope="repository:{self.REPO}:pull"')
            return self.send(h, 401, self.errors("UNAUTHORIZED", "token required"),
                             headers=[("WWW-Authenticate", challenge)])
        if path == "/v2/":
            return self.send(h, 200, b"{}")
        m = re.fullmatch(r"/v2/(.+)/manifests/([^/]+)", path)
        if m:
            if mode == "404" or m.group(1) != self.REPO:
                return self.send(h, 404, self.errors("MANIFEST_UNKNOWN", "no such manifest here"))
            if mode == "huge-manifest":
                return self.send(h, 200, b" " * (5 << 20), ctype=MT_OCI_MANIFEST)
            if m.group(2) not in ("v1", self.manifest_digest):
                return self.send(h, 404, self.errors("MANIFEST_UNKNOWN", "manifest unknown"))
            body = self.blob_path(self.manifest_digest).read_bytes()
            return self.send(h, 200, body, ctype=self.manifest_mt,
                             headers=[("Docker-Content-Digest", self.manifest_digest)])
        m = re.fullmatch(r"/v2/(.+)/blobs/(sha256:[0-9a-f]{64})", path)
        if m and m.group(1) == self.REPO and self.blob_path(m.group(2)).exists():
            if self.redirect:
                port = self.addr.rsplit(":", 1)[1]
                return self.send(h, 307, b"", headers=[
                    ("Location", f"http://localhost:{port}/storage/{m.group(2)}?X-Sig=abc")])
            return self.serve_blob(h, m.group(2))
        return self.send(h, 404, self.errors("BLOB_UNKNOWN", "blob unknown"))

    def serve_token(self, h):
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(h.path).query)
        with self.lock:
            self.token_queries.append(q)
            token = f"tok-{len(self.token_queries)}-" + "x" * 40
        if self.user is not None:
            want = "Basic " + auth_b64(self.user, self.password)
            if h.headers.get("Authorization") != want:
                return self.send(h, 401, json.dumps({"details": "incorrect password"}).encode())
        self.token = token
        return self.send(h, 200, json.dumps({self.token_key: token, "expires_in": 300}).encode())

    def serve_blob(self, h, digest):
        p = self.blob_path(digest)
        size = p.stat().st_size
        is_layer = digest == self.layer_digest
        start = 0
        rng = h.headers.get("Range")
        if rng and self.mode != "drop-norange":
            start = int(re.fullmatch(r"bytes=(\d+)-", rng).group(1))
        cut = None
        if is_layer and self.mode in ("drop", "drop-norange"):
            with self.lock:
                if not self.dropped:
                    self.dropped = True
                    cut = size // 3
        if is_layer and self.mode == "stall":
            cut = start + 65536
        h.send_response(206 if start else 200)
        h.send_header("Content-Type", "application/octet-stream")
        h.send_header("Content-Length", str(size - start))
        if start:
            h.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        h.send_header("Docker-Content-Digest", digest)
        h.end_headers()
        with open(p, "rb") as f:
            f.seek(start)
            pos = start
            while True:
                want = 1 << 18
                if cut is not None:
                    want = min(want, cut - pos)
                chunk = f.read(want) if want > 0 else b""
                if not chunk:
                    break
                if is_layer and self.mode == "bad-blob" and pos <= 4 < pos + len(chunk):
                    # Byte 4 of a gzip stream is its MTIME, which no
                    # decompressor checks: only the digest can tell.
                    b = bytearray(chunk)
                    b[4 - pos] ^= 0xff
                    chunk = bytes(b)
                h.wfile.write(chunk)
                pos += len(chunk)
        if self.expire and digest == self.config_digest:
            self.token = None
            self.expire = False
        if cut is not None:
            h.wfile.flush()
            if self.mode == "stall":
                self.release.wait(120)
            h.close_connection = True

    def layer_requests(self):
        """Headers of the requests that got layer bytes."""
        prefix = "/storage/" if self.redirect else "/v2/"
        return [hd for path, hd in self.requests
                if path.startswith(prefix) and path.endswith(self.layer_digest)]


class HangServer:
    """Accepts connections and never says a word."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.addr = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.conns = []
        self.thread = threading.Thread(target=self.accept, daemon=True)
        self.thread.start()

    def accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)

    def close(self):
        for c in self.conns:
            c.close()
        self.sock.close()


@pytest.fixture
def fake(request):
    """fake(mode, **kw) -> a running FakeRegistry serving debian-minbase (or
    image=NAME), stopped after the test."""
    if not (IMAGES / "debian-minbase.oci").is_dir():
        pytest.skip(f"test images not built in {IMAGES}")
    started = []

    def make(mode="ok", image="debian-minbase", **kw):
        f = FakeRegistry(IMAGES / f"{image}.oci", mode, **kw)
        started.append(f)
        return f
    yield make
    for f in started:
        f.close()


def test_fake_ok(bulwark, fake, env, layout_files):
    f = fake("ok")
    out = ok(run(bulwark, "image", "files", f.ref, "--insecure", env=env))
    assert out == layout_files(bulwark, "debian-minbase")
    accept = [hd.get("Accept", "") for path, hd in f.requests if "/manifests/" in path]
    assert accept and all(MT_OCI_INDEX in a and MT_OCI_MANIFEST in a for a in accept)
    assert all(
        "application/vnd.docker.distribution.manifest.list.v2+json" in a
        and "application/vnd.docker.distribution.manifest.v2+json" in a for a in accept)


def test_fake_server_error_after_retries(bulwark, fake, env):
    f = fake("500")
    fails(run(bulwark, "image", "inspect", f.ref, "--insecure", env=env, timeout=60),
          EXIT_NETWORK, f"registry {f.addr}", "test/img:v1", "server error 500 after 3 retries",
          "the fake is broken")
    # The first try and three retries.
    assert len(f.requests) == 4


def test_fake_transient_errors_are_retried(bulwark, fake, env):
    f = fake("flaky")
    out, _ = inspect_json(bulwark, f.ref, "--insecure", env=env)
    assert f.manifest_digest in out


def test_fake_not_found(bulwark, fake, env):
    f = fake("404")
    fails(run(bulwark, "image", "inspect", f.ref, "--insecure", env=env), EXIT_INPUT,
          f"registry {f.addr}", "manifest `test/img:v1`", "not found (404)",
          "no such manifest here")


def test_fake_401_without_challenge(bulwark, fake, env):
    f = fake("401")
    fails(run(bulwark, "image", "inspect", f.ref, "--insecure", env=env), EXIT_NETWORK,
          f"registry {f.addr}", "authentication required", "no credentials found")


def test_fake_401_without_challenge_rejects_credentials(bulwark, fake, env):
    f = fake("401")
    fails(run(bulwark, "image", "inspect", f.ref, "--insecure", "--username", "u",
              "--password", "p", env=env),
          EXIT_NETWORK, "rejected")


def test_hang_times_out(bulwark, env):
    h = HangServer()
    try:
        # run() raises if bulwark is still waiting after 30 s.
        p = run(bulwark, "image", "inspect", f"{h.addr}/test/img:v1", "--insecure",
                "--timeout", "2", env=env, timeout=30)
        fails(p, EXIT_NETWORK, "timed out", h.addr)
    finally:
        h.close()


def test_stall_mid_blob_times_out(bulwark, fake, env):
    f = fake("stall")
    p = run(bulwark, "image", "files", f.ref, "--insecure", "--timeout", "2", env=env, timeout=60)
    fails(p, EXIT_NETWORK, "timed out", f.layer_digest)
    # Each stall made progress, so each was resumed from where it stopped.
    ranges = [hd.get("Range") for hd in f.layer_requests()]
    assert ranges[0] is None
    assert ranges[1:] == [f"bytes={65536 * i}-" for i in range(1, len(ranges))]


def test_drop_mid_blob_resumes(bulwark, fake, env, layout_files):
    f = fake("drop")
    out = ok(run(bulwark, "image", "files", f.ref, "--insecure", env=env))
    assert out == layout_files(bulwark, "debian-minbase")
    size = f.blob_path(f.layer_digest).stat().st_size
    ranges = [hd.get("Range") for hd in f.layer_requests()]
    assert ranges == [None, f"bytes={size // 3}-"]


def test_drop_mid_blob_resumes_without_range_support(bulwark, fake, env, layout_files):
    f = fake("drop-norange")
    out = ok(run(bulwark, "image", "files", f.ref, "--insecure", env=env))
    assert out == layout_files(bulwark, "debian-minbase")
    assert len(f.layer_requests()) == 2


def test_drop_after_redirect_resumes(bulwark, fake, env, layout_files):
    f = fake("drop", redirect=True)
    out = ok(run(bulwark, "image", "files", f.ref, "--insecure", env=env))
    assert out == layout_files(bulwark, "debian-minbase")
    size = f.blob_path(f.layer_digest).stat().st_size
    ranges = [hd.get("Range") for hd in f.layer_requests()]
    assert ranges == [None, f"bytes={size // 3}-"]


def test_corrupt_blob_is_named(bulwark, fake, env):
    f = fake("bad-blob")
    p = run(bulwark, "image", "files", f.ref, "--insecure", env=env)
    fails(p, EXIT_INPUT, f.layer_digest)
    assert "digest" in p.stderr


def test_huge_manifest_is_refused(bulwark, fake, env):
    f = fake("huge-manifest")
    fails(run(bulwark, "image", "inspect", f.ref, "--insecure", env=env), EXIT_INPUT,
          "manifest `test/img:v1`", "larger than")


def test_bearer_token_anonymous(bulwark, fake, env):
    f = fake("bearer")
    out, _ = inspect_json(bulwark, f.ref, "--insecure", env=env)
    assert f.manifest_digest in out
    assert f.token_queries
    q = f.token_queries[0]
    assert q["scope"] == [f"repository:{f.REPO}:pull"]
    assert q["service"] == ["fake-registry"]
    # One token serves every request (it is cached).
    assert len(f.token_queries) == 1


def test_bearer_token_with_credentials(bulwark, fake, env):
    f = fake("bearer", user="alice", password="s3cret", token_key="access_token")
    write_auth_file(Path(env["HOME"]) / ".docker" / "config.json", f.addr, "alice", "s3cret")
    out = ok(run(bulwark, "image", "files", f.ref, "--insecure", env=env))
    assert "etc/os-release" in out
    assert len(f.token_queries) == 1


def test_bearer_token_not_sent_to_blob_storage(bulwark, fake, env, layout_files):
    f = fake("bearer", redirect=True)
    out = ok(run(bulwark, "image", "files", f.ref, "--insecure", env=env))
    assert out == layout_files(bulwark, "debian-minbase")
    storage = [hd for path, hd in f.requests if path.startswith("/storage/")]
    assert len(storage) == 2  # the config and the layer
    assert not any("Authorization" in hd for hd in storage)
    v2 = [hd for path, hd in f.requests if path.startswith("/v2/")]
    assert any(hd.get("Authorization", "").startswith("Bearer tok-1-") for hd in v2)


def test_bearer_token_expires_while_layers_stream(bulwark, fake, env, layout_files):
    # All five layers start at once with a token that has just expired: they
    # all get 401, one of them fetches a new token, and the others use it.
    f = fake("bearer", image="debian-multi", expire=True)
    out = ok(run(bulwark, "image", "files", f.ref, "--insecure", env=env))
    assert out == layout_files(bulwark, "debian-multi")
    assert len(f.token_queries) == 2


def test_bearer_token_needs_credentials(bulwark, fake, env):
    f = fake("bearer", user="alice", password="s3cret")
    fails(run(bulwark, "image", "inspect", f.ref, "--insecure", env=env), EXIT_NETWORK,
          "authentication required", "no credentials found")


def test_bearer_token_wrong_credentials(bulwark, fake, env):
    f = fake("bearer", user="alice", password="s3cret")
    fails(run(bulwark, "image", "inspect", f.ref, "--insecure", "--username", "alice",
              "--password", "wrong", env=env),
          EXIT_NETWORK, "rejected", "alice")
