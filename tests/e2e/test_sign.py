# SPDX-License-Identifier: Apache-2.0
"""Keys, cosign signatures and their verification, end to end.

Debian's skopeo is built without sigstore, so cosign compatibility is shown
against cosign's own artifacts (its key fixtures, containers/image's cosign
signature fixtures) and an independent verifier (`openssl dgst -verify`),
with the registry read back by skopeo and curl.

Exit codes: 0 verified, 1 nothing verified, 3 bad input (key, password).
"""

import base64
import hashlib
import json
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

IMAGES = Path(os.environ.get("BULWARK_TEST_IMAGES", "/var/tmp/bulwark-test-images"))
SHARED = Path(os.environ.get("BULWARK_SHARED", Path(__file__).resolve().parents[3] / "shared"))
START_REGISTRY = str(SHARED / "tools" / "start-test-registry")
CORPUS = SHARED / "corpus" / "signing"
FIXTURES = CORPUS / "containers-image" / "signature" / "fixtures"
COSIGN_KEYS = CORPUS / "cosign" / "keys_test_fixtures.json"
COSIGN_KEYS_PASSWORD = "hello"  # cosign pkg/cosign/keys_test.go

MT_SIMPLESIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
SIG_ANNOTATION = "dev.cosignproject.cosign/signature"
SCRUBBED_ENV = ("REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "DOCKER_CONFIG", "SSL_CERT_FILE",
                "COSIGN_PASSWORD", "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                "all_proxy", "ALL_PROXY")
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))

needs_registry = pytest.mark.skipif(
    not (shutil.which("docker-registry") and os.access(START_REGISTRY, os.X_OK)
         and shutil.which("skopeo") and (IMAGES / "debian-minbase.oci").is_dir()),
    reason="needs docker-registry, skopeo, start-test-registry and the test images")
needs_corpus = pytest.mark.skipif(not FIXTURES.is_dir(), reason="signing corpus missing")


# ---------------------------------------------------------------- helpers

@pytest.fixture
def env(tmp_path):
    e = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    home = tmp_path / "home"
    home.mkdir()
    e["HOME"] = str(home)
    e["COSIGN_PASSWORD"] = "pw"
    return e


def run(bulwark, *args, env, cwd=None, timeout=300):
    return subprocess.run([str(bulwark), *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=timeout)


def ok(p):
    assert p.returncode == 0, f"exit {p.returncode}\nstdout: {p.stdout[-2000:]}\nstderr: {p.stderr}"
    return p.stdout


def fails(p, code, *needles):
    assert p.returncode == code, (
        f"expected exit {code}, got {p.returncode}\nstdout: {p.stdout[-2000:]}\nstderr: {p.stderr}")
    for n in needles:
        assert n in p.stderr, f"{n!r} not in stderr: {p.stderr}"
    return p.stderr


def read_fixture(path):
    """A containers/image fixture's bytes: `.b64` copies decoded, and the
    files that were symlinks (stored as their relative target) followed."""
    for _ in range(5):
        b64 = path.with_name(path.name + ".b64")
        data = path.read_bytes() if path.exists() else base64.b64decode(b64.read_bytes())
        text = data.strip()
        if data.startswith(b"../") and b"\n" not in text and len(data) < 256:
            path = path.parent / text.decode()
            continue
        return data
    raise RuntimeError(f"symlink loop at {path}")


def materialize(name, out):
    """Copies containers/image fixture directory `name` to out, decoded."""
    src = FIXTURES / name
    out.mkdir(parents=True)
    for f in src.iterdir():
        n = f.name[:-4] if f.name.endswith(".b64") else f.name
        (out / n).write_bytes(read_fixture(src / n))
    return out


def keygen(bulwark, env, d, name="cosign"):
    ok(run(bulwark, "key", "generate", "--output-key-prefix", d / name, env=env))
    return d / f"{name}.key", d / f"{name}.pub"


def start_registry(state_dir, auth=False):
    args = [START_REGISTRY, "--dir", str(state_dir)] + (["--auth"] if auth else [])
    out = subprocess.run(args, check=True, capture_output=True, text=True, timeout=120).stdout
    return dict(line.split("=", 1) for line in out.splitlines()
                if "=" in line and not line.startswith("#"))


def skopeo(*args, check=True):
    return subprocess.run(["skopeo", *map(str, args)], capture_output=True, text=True,
                          check=check, timeout=600)


def http_get(url):
    with NO_PROXY.open(url, timeout=30) as r:
        return r.read()


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """docker-registry on loopback (plain HTTP) holding debian-minbase at
    test/minbase:v1 and test/other:v1."""
    if not (shutil.which("docker-registry") and shutil.which("skopeo")
            and (IMAGES / "debian-minbase.oci").is_dir()):
        pytest.skip("needs docker-registry, skopeo and the test images")
    info = start_registry(tmp_path_factory.mktemp("sign-reg") / "state")
    try:
        reg = info["REGISTRY"]
        for repo in ("test/minbase", "test/other", "test/append", "test/replay"):
            skopeo("copy", "-q", "--dest-tls-verify=false",
                   f"oci:{IMAGES}/debian-minbase.oci:v1", f"docker://{reg}/{repo}:v1")
        yield info
    finally:
        subprocess.run([START_REGISTRY, "--stop", info["REGISTRY_DIR"]], capture_output=True,
                       timeout=60)


# ---------------------------------------------------------------- keys

def test_key_generate_formats(bulwark, env, tmp_path):
    key, pub = keygen(bulwark, env, tmp_path)
    text = key.read_text()
    assert text.startswith("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n")
    body = "".join(text.splitlines()[1:-1])
    envelope = json.loads(base64.b64decode(body))
    assert envelope["kdf"]["name"] == "scrypt"
    assert envelope["kdf"]["params"] == {"N": 32768, "r": 8, "p": 1}
    assert len(base64.b64decode(envelope["kdf"]["salt"])) == 32
    assert envelope["cipher"]["name"] == "nacl/secretbox"
    assert len(base64.b64decode(envelope["cipher"]["nonce"])) == 24
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    # The public key is a PKIX P-256 key that openssl reads.
    out = subprocess.run(["openssl", "pkey", "-pubin", "-in", pub, "-noout", "-text"],
                         capture_output=True, text=True, check=True).stdout
    assert "P-256" in out or "prime256v1" in out
    # The private key opens with its password and gives the same public key.
    assert ok(run(bulwark, "key", "public", key, env=env)) == pub.read_text()
    # Refuses to overwrite.
    fails(run(bulwark, "key", "generate", "--output-key-prefix", tmp_path / "cosign", env=env),
          1, "--force")


def test_key_wrong_password(bulwark, env, tmp_path):
    key, _ = keygen(bulwark, env, tmp_path)
    e = dict(env, COSIGN_PASSWORD="wrong")
    fails(run(bulwark, "key", "public", key, env=e), 3, "wrong password")
    e = dict(env)
    del e["COSIGN_PASSWORD"]
    p = subprocess.run([bulwark, "key", "public", key], capture_output=True, text=True, env=e,
                       stdin=subprocess.DEVNULL)
    assert p.returncode != 0 and "COSIGN_PASSWORD" in p.stderr


@needs_corpus
def test_cosign_key_fixtures(bulwark, env, tmp_path):
    """Every key in cosign's key tests: the valid ones (and cosign's own
    encrypted keys, password `hello`) load; the invalid ones are refused
    with a reason, as cosign refuses them."""
    keys = json.loads(COSIGN_KEYS.read_text())["keys"]
    e = dict(env, COSIGN_PASSWORD=COSIGN_KEYS_PASSWORD)
    loaded = refused = 0
    for name, pem in keys.items():
        f = tmp_path / f"{name}.pem"
        f.write_text(pem)
        p = run(bulwark, "key", "public", f, env=e)
        if name.startswith("invalid"):
            assert p.returncode == 3 and "error:" in p.stderr, (name, p.stderr)
            refused += 1
        else:
            assert p.returncode == 0, (name, p.stderr)
            assert p.stdout.startswith("-----BEGIN PUBLIC KEY-----")
            loaded += 1
    assert loaded == 11 and refused == 6
    # cosign's encrypted keys with a wrong password: a clear refusal.
    f = tmp_path / "pemsigstorekey.pem"
    fails(run(bulwark, "key", "public", f, env=dict(env, COSIGN_PASSWORD="nope")), 3,
          "wrong password")


@needs_corpus
def test_key_import_roundtrip(bulwark, env, tmp_path):
    keys = json.loads(COSIGN_KEYS.read_text())["keys"]
    src = tmp_path / "ec.pem"
    src.write_text(keys["validecp256"])
    ok(run(bulwark, "key", "import", src, "--output-key-prefix", tmp_path / "imp", env=env))
    want = subprocess.run(["openssl", "pkey", "-in", src, "-pubout"], capture_output=True,
                          text=True, check=True).stdout
    assert ok(run(bulwark, "key", "public", tmp_path / "imp.key", env=env)) == want


# ---------------------------------------------------------------- cosign fixtures

# containers/image's cosign attachments: (fixture, key, identity, verified count).
COSIGN_DIR_CASES = [
    ("dir-img-cosign-valid", "cosign.pub", "192.168.64.2:5000/cosign-signed-single-sample", 1),
    ("dir-img-cosign-valid-2", "cosign.pub", "192.168.64.2:5000/cosign-signed-single-sample", 2),
    ("dir-img-cosign-mixed", "cosign.pub", "192.168.64.2:5000/cosign-signed-single-sample", 1),
    ("dir-img-cosign-valid-with-tag", "cosign.pub", "192.168.64.2:5000/skopeo-signed:tag", 1),
    ("dir-img-cosign-key-rekor-valid", "cosign2.pub", "192.168.64.2:5000/cosign-signed/key-1", 1),
    ("dir-img-cosign-modified-manifest", "cosign.pub",
     "192.168.64.2:5000/cosign-signed-single-sample", 0),
    ("dir-img-cosign-manifest-digest-error", "cosign.pub",
     "192.168.64.2:5000/cosign-signed-single-sample", 0),
    ("dir-img-cosign-other-attachment", "cosign.pub",
     "192.168.64.2:5000/cosign-signed-single-sample", 0),
    # Signed with a Fulcio certificate, not a key: no key verifies them.
    ("dir-img-cosign-fulcio-rekor-valid", "cosign.pub",
     "192.168.64.2:5000/cosign-signed-single-sample", 0),
    ("dir-img-cosign-pki-valid", "cosign.pub", "192.168.64.2:5000/cosign-signed-single-sample", 0),
    # The right signature under the wrong key, and the wrong identity.
    ("dir-img-cosign-valid", "cosign2.pub", "192.168.64.2:5000/cosign-signed-single-sample", 0),
    ("dir-img-cosign-valid", "cosign.pub", "192.168.64.2:5000/someone-else", 0),
    ("dir-img-cosign-valid-with-tag", "cosign.pub", "192.168.64.2:5000/skopeo-signed:other", 0),
]


@needs_corpus
@pytest.mark.parametrize("name,key,identity,count", COSIGN_DIR_CASES)
def test_containers_image_cosign_fixtures(bulwark, env, tmp_path, name, key, identity, count):
    d = materialize(name, tmp_path / name)
    p = run(bulwark, "verify", f"dir:{d}", "--key", FIXTURES / key, "--identity", identity,
            env=env)
    if count:
        payloads = json.loads(ok(p))
        assert len(payloads) == count
        digest = "sha256:" + hashlib.sha256((d / "manifest.json").read_bytes()).hexdigest()
        for pl in payloads:
            assert pl["critical"]["image"]["docker-manifest-digest"] == digest
            assert pl["critical"]["type"] == "cosign container image signature"
    else:
        fails(p, 1, "no valid signature")


@needs_corpus
def test_containers_image_cosign_no_manifest(bulwark, env, tmp_path):
    d = materialize("dir-img-cosign-no-manifest", tmp_path / "nm")
    p = run(bulwark, "verify", f"dir:{d}", "--key", FIXTURES / "cosign.pub", "--identity", "x/y",
            env=env)
    assert p.returncode not in (0,) and "manifest.json" in p.stderr


@needs_corpus
def test_cosign_payload_signature_and_tampering(bulwark, env, tmp_path):
    """The payload and signature inside a cosign attachment verify as a blob
    (as `cosign verify-blob`); a flipped payload byte and a truncated DER
    signature do not."""
    data = read_fixture(FIXTURES / "dir-img-cosign-valid" / "signature-1")
    att = json.loads(data.split(b"\n", 1)[1])
    payload = tmp_path / "payload"
    payload.write_bytes(base64.b64decode(att["payload"]))
    sig = att["annotations"][SIG_ANNOTATION]
    ok(run(bulwark, "verify-blob", payload, "--key", FIXTURES / "cosign.pub", "--signature", sig,
           env=env))
    # openssl agrees.
    der = tmp_path / "sig.der"
    der.write_bytes(base64.b64decode(sig))
    subprocess.run(["openssl", "dgst", "-sha256", "-verify", FIXTURES / "cosign.pub", "-signature",
                    der, payload], check=True, capture_output=True)
    bad = bytearray(payload.read_bytes())
    bad[10] ^= 1
    (tmp_path / "bad").write_bytes(bad)
    fails(run(bulwark, "verify-blob", tmp_path / "bad", "--key", FIXTURES / "cosign.pub",
              "--signature", sig, env=env), 1, "does not verify")
    short = base64.b64encode(base64.b64decode(sig)[:-5]).decode()
    fails(run(bulwark, "verify-blob", payload, "--key", FIXTURES / "cosign.pub", "--signature",
              short, env=env), 1, "does not verify")
    fails(run(bulwark, "verify-blob", payload, "--key", FIXTURES / "cosign.pub", "--signature",
              "not*base64!", env=env), 1, "base64")


def test_verify_blob_openssl_signed(bulwark, env, tmp_path):
    """A signature made by openssl verifies (the direction cosign documents
    as `Sign With OpenSSL, Verify With Cosign`)."""
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out",
                    tmp_path / "o.key"], check=True, capture_output=True)
    subprocess.run(["openssl", "ec", "-in", tmp_path / "o.key", "-pubout", "-out",
                    tmp_path / "o.pub"], check=True, capture_output=True)
    (tmp_path / "blob").write_text("hello")
    subprocess.run(["openssl", "dgst", "-sha256", "-sign", tmp_path / "o.key", "-out",
                    tmp_path / "blob.sig", tmp_path / "blob"], check=True, capture_output=True)
    (tmp_path / "blob.b64").write_text(base64.b64encode((tmp_path / "blob.sig").read_bytes()).decode())
    ok(run(bulwark, "verify-blob", tmp_path / "blob", "--key", tmp_path / "o.pub", "--signature",
           tmp_path / "blob.b64", env=env))


# ---------------------------------------------------------------- registry

def sig_manifest(reg, repo, digest):
    tag = "sha256-" + digest.split(":")[1] + ".sig"
    raw = skopeo("inspect", "--raw", "--tls-verify=false", f"docker://{reg}/{repo}:{tag}").stdout
    return json.loads(raw)


@needs_registry
def test_sign_registry_interop(bulwark, env, tmp_path, registry):
    """Signed by bulwark, checked without bulwark: skopeo reads the `.sig`
    manifest, curl fetches the payload, openssl verifies the signature, and
    the payload names the digest skopeo reports."""
    reg = registry["REGISTRY"]
    key, pub = keygen(bulwark, env, tmp_path)
    ref = f"{reg}/test/minbase:v1"
    out = ok(run(bulwark, "sign", ref, "--key", key, "--insecure", "-a", "env=prod", env=env))
    digest, tag = out.split()
    inspected = json.loads(skopeo("inspect", "--tls-verify=false", f"docker://{ref}").stdout)
    assert inspected["Digest"] == digest
    assert tag == "sha256-" + digest[7:] + ".sig"

    m = sig_manifest(reg, "test/minbase", digest)
    assert m["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert len(m["layers"]) == 1
    layer = m["layers"][0]
    assert layer["mediaType"] == MT_SIMPLESIGNING
    sig = layer["annotations"][SIG_ANNOTATION]
    payload = http_get(f"http://{reg}/v2/test/minbase/blobs/{layer['digest']}")
    assert "sha256:" + hashlib.sha256(payload).hexdigest() == layer["digest"]
    assert len(payload) == layer["size"]
    (tmp_path / "payload").write_bytes(payload)
    (tmp_path / "sig.der").write_bytes(base64.b64decode(sig))
    v = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pub, "-signature",
                        tmp_path / "sig.der", tmp_path / "payload"], capture_output=True, text=True)
    assert v.returncode == 0 and "Verified OK" in v.stdout, v.stdout + v.stderr
    doc = json.loads(payload)
    assert doc == {
        "critical": {"identity": {"docker-reference": f"{reg}/test/minbase"},
                     "image": {"docker-manifest-digest": inspected["Digest"]},
                     "type": "cosign container image signature"},
        "optional": {"env": "prod"}}
    # The config blob the manifest names is there too.
    cfg = http_get(f"http://{reg}/v2/test/minbase/blobs/{m['config']['digest']}")
    assert "sha256:" + hashlib.sha256(cfg).hexdigest() == m["config"]["digest"]

    # bulwark verifies it, with and without the annotation required.
    payloads = json.loads(ok(run(bulwark, "verify", ref, "--key", pub, "--insecure", env=env)))
    assert payloads == [doc]
    ok(run(bulwark, "verify", ref, "--key", pub, "--insecure", "-a", "env=prod", env=env))
    fails(run(bulwark, "verify", ref, "--key", pub, "--insecure", "-a", "env=dev", env=env), 1,
          "env=dev")
    # By digest too.
    ok(run(bulwark, "verify", f"{reg}/test/minbase@{digest}", "--key", pub, "--insecure", env=env))


@needs_registry
def test_sign_appends(bulwark, env, tmp_path, registry):
    reg = registry["REGISTRY"]
    k1, p1 = keygen(bulwark, env, tmp_path, "one")
    k2, p2 = keygen(bulwark, env, tmp_path, "two")
    _, p3 = keygen(bulwark, env, tmp_path, "three")
    ref = f"{reg}/test/append:v1"
    digest = ok(run(bulwark, "sign", ref, "--key", k1, "--insecure", env=env)).split()[0]
    ok(run(bulwark, "sign", ref, "--key", k2, "--insecure", env=env))
    ok(run(bulwark, "sign", ref, "--key", k2, "--insecure", env=env))  # idempotent? new sig
    m = sig_manifest(reg, "test/append", digest)
    assert len(m["layers"]) >= 2
    for pub in (p1, p2):
        ok(run(bulwark, "verify", ref, "--key", pub, "--insecure", env=env))
    fails(run(bulwark, "verify", ref, "--key", p3, "--insecure", env=env), 1,
          "does not verify with this key")


@needs_registry
def test_verify_unsigned_and_replayed(bulwark, env, tmp_path, registry):
    """No signature: refused. A signature copied to another repository with
    its image (same digest) names the first repository: refused."""
    reg = registry["REGISTRY"]
    key, pub = keygen(bulwark, env, tmp_path)
    fails(run(bulwark, "verify", f"{reg}/test/other:v1", "--key", pub, "--insecure", env=env), 1,
          "no signatures")
    digest = ok(run(bulwark, "sign", f"{reg}/test/replay:v1", "--key", key, "--insecure",
                    env=env)).split()[0]
    tag = "sha256-" + digest[7:] + ".sig"
    skopeo("copy", "-q", "--src-tls-verify=false", "--dest-tls-verify=false",
           f"docker://{reg}/test/replay:{tag}", f"docker://{reg}/test/other:{tag}")
    fails(run(bulwark, "verify", f"{reg}/test/other:v1", "--key", pub, "--insecure", env=env), 1,
          "another repository")
    # Unless the identity that was signed is the one asked for.
    ok(run(bulwark, "verify", f"{reg}/test/other:v1", "--key", pub, "--insecure", "--identity",
           f"{reg}/test/replay", env=env))


@needs_registry
def test_sign_auth_registry(bulwark, env, tmp_path_factory, tmp_path):
    """TLS (self-signed CA) and basic auth: credentials from --username and
    --password, trust from SSL_CERT_FILE."""
    info = start_registry(tmp_path_factory.mktemp("sign-auth") / "state", auth=True)
    try:
        reg, user, pw = info["REGISTRY"], info["REGISTRY_USER"], info["REGISTRY_PASSWORD"]
        skopeo("copy", "-q", "--dest-tls-verify=false", "--dest-creds", f"{user}:{pw}",
               f"oci:{IMAGES}/debian-minbase.oci:v1", f"docker://{reg}/test/minbase:v1")
        e = dict(env, SSL_CERT_FILE=info["REGISTRY_CA"])
        key, pub = keygen(bulwark, env, tmp_path)
        ref = f"{reg}/test/minbase:v1"
        fails(run(bulwark, "sign", ref, "--key", key, env=e), 4, "authentication required")
        ok(run(bulwark, "sign", ref, "--key", key, "--username", user, "--password", pw, env=e))
        ok(run(bulwark, "verify", ref, "--key", pub, "--username", user, "--password", pw, env=e))
    finally:
        subprocess.run([START_REGISTRY, "--stop", info["REGISTRY_DIR"]], capture_output=True,
                       timeout=60)


# ---------------------------------------------------------------- OCI layout

@pytest.mark.skipif(not (IMAGES / "debian-minbase.oci").is_dir(), reason="test images missing")
def test_sign_layout(bulwark, env, tmp_path):
    layout = tmp_path / "img.oci"
    shutil.copytree(IMAGES / "debian-minbase.oci", layout)
    key, pub = keygen(bulwark, env, tmp_path)
    ref = f"oci:{layout}:v1"
    digest, tag = ok(run(bulwark, "sign", ref, "--key", key, "-a", "a=b", env=env)).split()
    index = json.loads((layout / "index.json").read_text())
    entry = [m for m in index["manifests"]
             if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag]
    assert len(entry) == 1
    m = json.loads((layout / "blobs" / "sha256" / entry[0]["digest"][7:]).read_text())
    assert m["layers"][0]["mediaType"] == MT_SIMPLESIGNING
    payloads = json.loads(ok(run(bulwark, "verify", ref, "--key", pub, env=env)))
    assert payloads[0]["critical"]["image"]["docker-manifest-digest"] == digest
    # The image itself still opens by its tag.
    ok(run(bulwark, "image", "inspect", ref, env=env))

    # A tampered payload blob is refused: its digest no longer matches.
    blob = layout / "blobs" / "sha256" / m["layers"][0]["digest"][7:]
    data = blob.read_bytes().replace(b'"a":"b"', b'"a":"c"')
    blob.write_bytes(data)
    fails(run(bulwark, "verify", ref, "--key", pub, env=env), 1, "does not match its digest")


@pytest.mark.skipif(not (IMAGES / "debian-minbase.oci").is_dir(), reason="test images missing")
def test_verify_many_layers_refused(bulwark, env, tmp_path):
    """A signature manifest with a thousand layers is refused, not read."""
    layout = tmp_path / "img.oci"
    shutil.copytree(IMAGES / "debian-minbase.oci", layout)
    key, pub = keygen(bulwark, env, tmp_path)
    ref = f"oci:{layout}:v1"
    _, tag = ok(run(bulwark, "sign", ref, "--key", key, env=env)).split()
    index = json.loads((layout / "index.json").read_text())
    entry = [m for m in index["manifests"]
             if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag][0]
    m = json.loads((layout / "blobs" / "sha256" / entry["digest"][7:]).read_text())
    m["layers"] = m["layers"] * 1000
    raw = json.dumps(m).encode()
    d = hashlib.sha256(raw).hexdigest()
    (layout / "blobs" / "sha256" / d).write_bytes(raw)
    entry["digest"], entry["size"] = "sha256:" + d, len(raw)
    (layout / "index.json").write_text(json.dumps(index))
    fails(run(bulwark, "verify", ref, "--key", pub, env=env), 3, "1000 layers")
