# SPDX-License-Identifier: Apache-2.0
"""GPG simple signing (containers-signature(5)) against skopeo itself:
containers/image's GPG fixtures, images signed by `skopeo copy --sign-by`
and by `bulwark sign --gpg-key` in a file:// (and http://) lookaside named
by registries.d, and `bulwark policy check` vs `skopeo copy --policy` on a
table of signedBy policies."""

import base64
import gzip
import hashlib
import http.server
import io
import json
import os
import shutil
import subprocess
import tarfile
import threading
from functools import partial
from pathlib import Path

import pytest

from test_sign import (FIXTURES, START_REGISTRY, env, fails, needs_corpus, ok,  # noqa: F401
                       read_fixture, run, start_registry)

needs_tools = pytest.mark.skipif(
    not (shutil.which("skopeo") and shutil.which("docker-registry") and shutil.which("gpg")),
    reason="needs skopeo, docker-registry and gpg")

ACCEPT = [{"type": "insecureAcceptAnything"}]
REJECT = [{"type": "reject"}]
IDENTITY = "testing/manifest"


# ---------------------------------------------------------------- fixtures

def fixture_dir(tmp, sig_name, manifest="image.manifest.json"):
    d = tmp / ("sig-" + sig_name)
    d.mkdir()
    (d / "manifest.json").write_bytes(read_fixture(FIXTURES / manifest))
    (d / "signature-1").write_bytes(read_fixture(FIXTURES / sig_name))
    return d


def write_key(tmp, name):
    p = tmp / name
    p.write_bytes(read_fixture(FIXTURES / name))
    return p


# (signature fixture, keyring, accepted?): containers/image's
# mechanism_gpgme_test.go and policy_eval_signedby_test.go verdicts.
GPG_FIXTURES = [
    ("image.signature", "public-key.gpg", True),
    ("image.signature", "pubring.gpg", True),
    ("image.signature", "public-key-1.gpg", True),
    ("image.signature", "public-key-2.gpg", False),
    ("no-optional-fields.signature", "public-key.gpg", True),
    ("subkey.signature", "public-key-with-subkey.gpg", True),
    ("subkey.signature-v3", "public-key-with-subkey.gpg", True),
    ("subkey-revoked.signature", "public-key-with-revoked-subkey.gpg", False),
    ("subkey-revoked.signature-v3", "public-key-with-revoked-subkey.gpg", False),
    ("corrupt.signature", "public-key.gpg", False),
    ("corrupt.signature-v3", "public-key.gpg", False),
    ("expired.signature", "public-key.gpg", False),
    ("unknown-key.signature", "public-key.gpg", False),
    ("unknown-key.signature-v3", "public-key.gpg", False),
    ("invalid-blob.signature", "public-key.gpg", False),
    ("invalid-blob.signature-v3", "public-key.gpg", False),
    ("invalid-reference.signature", "public-key.gpg", False),
    ("unsigned-encrypted.signature", "public-key.gpg", False),
    ("unsigned-literal.signature", "public-key.gpg", False),
    ("unknown-cosign-key.signature", "public-key.gpg", False),
]

DIR_FIXTURES = [
    ("dir-img-valid", "public-key.gpg", True),
    ("dir-img-valid-2", "public-key.gpg", True),
    ("dir-img-mixed", "public-key.gpg", True),
    ("dir-img-valid-subkey", "public-key-with-subkey.gpg", True),
    ("dir-img-valid-subkey", "public-key.gpg", False),
    ("dir-img-modified-manifest", "public-key.gpg", False),
    ("dir-img-manifest-digest-error", "public-key.gpg", False),
    ("dir-img-no-manifest", "public-key.gpg", False),
    ("dir-img-unsigned", "public-key.gpg", False),
]


@needs_corpus
def test_gpg_signature_fixtures(bulwark, env, tmp_path):
    results = []
    for sig, key, want in GPG_FIXTURES:
        d = fixture_dir(tmp_path, sig) if not (tmp_path / ("sig-" + sig)).exists() \
            else tmp_path / ("sig-" + sig)
        k = write_key(tmp_path, key)
        p = run(bulwark, "verify", f"dir:{d}", "--gpg-keyring", k, "--identity", IDENTITY,
                env=env)
        assert p.returncode in (0, 1), (sig, key, p.stderr)
        results.append((sig, key, want, p.returncode == 0, p.stderr.strip()[-300:]))
    wrong = [r for r in results if r[2] != r[3]]
    assert not wrong, wrong
    # Refusals say why.
    why = {r[0]: r[4] for r in results if not r[2]}
    assert "expired" in why["expired.signature"]
    assert "revoked" in why["subkey-revoked.signature"]
    assert "bad signature" in why["corrupt.signature"]
    assert "not in the keyring" in why["unknown-key.signature"]
    assert "not JSON" in why["invalid-blob.signature"]
    assert "encrypted" in why["unsigned-encrypted.signature"]


@needs_corpus
def test_gpg_dir_fixtures(bulwark, env, tmp_path):
    from test_sign import materialize
    wrong = []
    for name, key, want in DIR_FIXTURES:
        d = tmp_path / name
        if not d.exists():
            materialize(name, d)
        k = write_key(tmp_path, key)
        p = run(bulwark, "verify", f"dir:{d}", "--gpg-keyring", k, "--identity",
                f"{IDENTITY}:latest", env=env)
        if (p.returncode == 0) != want:
            wrong.append((name, key, want, p.stderr))
        # The same through a signedBy policy (dir: has no docker reference:
        # exactReference names the identity).
        pf = tmp_path / "p.json"
        pf.write_text(json.dumps({"default": REJECT, "transports": {"dir": {"": [{
            "type": "signedBy", "keyType": "GPGKeys", "keyPath": str(k),
            "signedIdentity": {"type": "exactReference",
                               "dockerReference": f"{IDENTITY}:latest"}}]}}}))
        p = run(bulwark, "policy", "check", f"dir:{d}", "--policy", pf, env=env)
        assert p.returncode in (0, 1, 3), p.stderr
        if (p.returncode == 0) != want:
            wrong.append(("policy", name, key, want, p.stdout, p.stderr))
        if want:
            # skopeo agrees on the accepted ones.
            out = tmp_path / f"copy-{name}-{key}"
            s = subprocess.run(["skopeo", "copy", "-q", "--policy", str(pf), f"dir:{d}",
                                f"dir:{out}"], capture_output=True, text=True, timeout=120)
            _ = s  # skopeo cannot copy the fixtures' blobs (they have none)
    assert not wrong, wrong


def test_bad_openpgp_input(bulwark, env, tmp_path):
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "manifest.json").write_text('{"schemaVersion":2}')
    key = tmp_path / "k.gpg"
    key.write_bytes(read_fixture(FIXTURES / "public-key.gpg"))
    cases = {b"garbage that is not OpenPGP": "not a packet header",
             b"\x89\x01": "truncated",
             b"\xac\x04" + b"x" * 4: "literal data without a signature",
             b"\xa3\x01" + b"x" * 4: "OpenPGP signature",
             b"\x89\x7f\xff": "longer than the data",
             b"": "empty"}
    for data, needle in cases.items():
        (tmp_path / "img" / "signature-1").write_bytes(data)
        p = run(bulwark, "verify", f"dir:{tmp_path / 'img'}", "--gpg-keyring", key,
                "--identity", IDENTITY, env=env)
        fails(p, 1, needle)
    # A keyring that holds no key.
    bad = tmp_path / "bad.gpg"
    bad.write_bytes(b"\x99\x00\x01x")
    fails(run(bulwark, "verify", f"dir:{tmp_path / 'img'}", "--gpg-keyring", bad, env=env), 3,
          "no OpenPGP public key")


# ---------------------------------------------------------------- images

def blob(layout, data):
    d = hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256" / d).write_bytes(data)
    return "sha256:" + d, len(data)


def make_layout(path, content, tag="v1"):
    (path / "blobs" / "sha256").mkdir(parents=True)
    (path / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as t:
        info = tarfile.TarInfo("hello")
        info.size = len(content)
        t.addfile(info, io.BytesIO(content))
    tar = raw.getvalue()
    ld, ls = blob(path, gzip.compress(tar, mtime=0))
    cd, cs = blob(path, json.dumps({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers",
                   "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]}}).encode())
    md, ms = blob(path, json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd,
                   "size": cs},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": ld,
                    "size": ls}]}).encode())
    (path / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
        "annotations": {"org.opencontainers.image.ref.name": tag}}]}))
    return md


def gpg_key(home, name):
    spec = (f"%no-protection\nKey-Type: EDDSA\nKey-Curve: ed25519\nKey-Usage: sign\n"
            f"Name-Real: {name}\nName-Email: {name}@example.com\nExpire-Date: 0\n%commit\n")
    subprocess.run(["gpg", "--batch", "--gen-key"], input=spec, text=True, check=True,
                   capture_output=True, env=dict(os.environ, GNUPGHOME=str(home)), timeout=120)
    out = subprocess.run(["gpg", "--batch", "--with-colons", "--list-secret-keys",
                          f"{name}@example.com"], capture_output=True, text=True, check=True,
                         env=dict(os.environ, GNUPGHOME=str(home))).stdout
    fpr = [line.split(":")[9] for line in out.splitlines() if line.startswith("fpr:")][0]
    pub = home.parent / f"{name}.gpg"
    with open(pub, "wb") as f:
        subprocess.run(["gpg", "--batch", "--export", fpr], stdout=f, check=True,
                       env=dict(os.environ, GNUPGHOME=str(home)))
    return fpr, pub


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    if not (shutil.which("skopeo") and shutil.which("docker-registry") and shutil.which("gpg")):
        pytest.skip("needs skopeo, docker-registry and gpg")
    base = tmp_path_factory.mktemp("gpg")
    home = base / "gnupg"
    home.mkdir(mode=0o700)
    fpr_a, pub_a = gpg_key(home, "alice")
    fpr_b, pub_b = gpg_key(home, "bob")
    lookaside = base / "lookaside"
    regd = base / "registries.d"
    regd.mkdir()
    (regd / "default.yaml").write_text(f"default-docker:\n  lookaside: file://{lookaside}\n")
    accept = base / "accept.json"
    accept.write_text(json.dumps({"default": ACCEPT}))
    layout, layout2 = base / "one.oci", base / "two.oci"
    make_layout(layout, b"hello")
    make_layout(layout2, b"changed")
    info = start_registry(base / "state")
    genv = dict(os.environ, GNUPGHOME=str(home))
    try:
        reg = info["REGISTRY"]

        def copy(src, dest, *extra):
            subprocess.run(["skopeo", "--registries.d", str(regd), "copy", "-q", "--policy",
                            str(accept), "--dest-tls-verify=false", *extra, src,
                            f"docker://{reg}/{dest}"], check=True, capture_output=True,
                           env=genv, timeout=300)

        copy(f"oci:{layout}:v1", "team/app:v1", "--sign-by", fpr_a)
        copy(f"oci:{layout}:v1", "team/bw:v1")
        copy(f"oci:{layout}:v1", "team/unsigned:v1")
        copy(f"oci:{layout}:v1", "team/other:v1", "--sign-by", fpr_b)
        copy(f"oci:{layout}:v1", "team/changed:v1", "--sign-by", fpr_a)
        copy(f"oci:{layout2}:v1", "team/changed:v1")
        digest = "sha256:" + next((lookaside / "team").glob("app@sha256=*")).name.split("=")[1]
        digest2 = make_layout(base / "probe.oci", b"changed")
        # The changed image gets the old signature copied beside it: its
        # payload names the old digest.
        old = lookaside / "team" / f"changed@sha256={digest[7:]}"
        new = lookaside / "team" / f"changed@sha256={digest2[7:]}"
        new.mkdir(parents=True)
        shutil.copy(old / "signature-1", new / "signature-1")
        yield {"reg": reg, "home": home, "fpr_a": fpr_a, "fpr_b": fpr_b, "pub_a": pub_a,
               "pub_b": pub_b, "regd": regd, "lookaside": lookaside, "digest": digest,
               "base": base, "genv": genv}
    finally:
        subprocess.run(["gpgconf", "--kill", "all"], env=genv, capture_output=True)
        subprocess.run([START_REGISTRY, "--stop", info["REGISTRY_DIR"]], capture_output=True,
                       timeout=60)


def skopeo_accepts(world, policy, ref, dest, regd=None):
    p = subprocess.run(["skopeo", "--registries.d", str(regd or world["regd"]), "copy", "-q",
                        "--src-tls-verify=false", "--policy", str(policy), f"docker://{ref}",
                        f"dir:{dest}"], capture_output=True, text=True, timeout=300)
    if p.returncode:
        assert "rejected" in p.stderr or "signature" in p.stderr, p.stderr
    return p.returncode == 0


def bulwark_accepts(bulwark, env, world, policy, ref, regd=None):
    p = run(bulwark, "policy", "check", ref, "--policy", policy, "--insecure",
            "--registries.d", regd or world["regd"], env=env)
    assert p.returncode in (0, 1), (ref, p.stdout, p.stderr)
    return p.returncode == 0


@needs_tools
def test_sign_with_bulwark_then_skopeo_accepts(bulwark, env, world, tmp_path):
    reg = world["reg"]
    env = dict(env, GNUPGHOME=str(world["home"]))
    out = ok(run(bulwark, "sign", f"{reg}/team/bw:v1", "--gpg-key", world["fpr_a"],
                 "--insecure", "--registries.d", world["regd"], env=env))
    digest, path = out.split()
    assert path == str(world["lookaside"] / "team" / f"bw@{digest.replace(':', '=')}"
                       / "signature-1")
    # gpg itself reads it: an OpenPGP message of an atomic payload.
    dec = subprocess.run(["gpg", "--batch", "--decrypt", path], capture_output=True,
                         env=world["genv"], check=True).stdout
    payload = json.loads(dec)
    assert payload["critical"] == {"type": "atomic container signature",
                                   "image": {"docker-manifest-digest": digest},
                                   "identity": {"docker-reference": f"{reg}/team/bw:v1"}}
    pol = tmp_path / "p.json"
    pol.write_text(json.dumps({"default": REJECT, "transports": {"docker": {"": [{
        "type": "signedBy", "keyType": "GPGKeys", "keyPath": str(world["pub_a"])}]}}}))
    assert skopeo_accepts(world, pol, f"{reg}/team/bw:v1", tmp_path / "o")
    assert bulwark_accepts(bulwark, env, world, pol, f"{reg}/team/bw:v1")
    # And bulwark verify.
    v = json.loads(ok(run(bulwark, "verify", f"{reg}/team/bw:v1", "--gpg-keyring",
                          world["pub_a"], "--insecure", "--registries.d", world["regd"],
                          env=env)))
    assert v[0]["fingerprint"] == world["fpr_a"]


@needs_tools
def test_skopeo_signed_verifies(bulwark, env, world, tmp_path):
    reg = world["reg"]
    common = ["--insecure", "--registries.d", world["regd"]]
    v = json.loads(ok(run(bulwark, "verify", f"{reg}/team/app:v1", "--gpg-keyring",
                          world["pub_a"], *common, env=env)))
    assert v[0]["payload"]["critical"]["identity"]["docker-reference"] == f"{reg}/team/app:v1"
    assert v[0]["payload"]["critical"]["image"]["docker-manifest-digest"] == world["digest"]
    # By digest: the repository is enough.
    ok(run(bulwark, "verify", f"{reg}/team/app@{world['digest']}", "--gpg-keyring",
           world["pub_a"], *common, env=env))
    # Another key, unsigned, changed after signing, another tag: refused.
    fails(run(bulwark, "verify", f"{reg}/team/app:v1", "--gpg-keyring", world["pub_b"],
              *common, env=env), 1, "not in the keyring")
    fails(run(bulwark, "verify", f"{reg}/team/unsigned:v1", "--gpg-keyring", world["pub_a"],
              *common, env=env), 1, "no signatures")
    fails(run(bulwark, "verify", f"{reg}/team/other:v1", "--gpg-keyring", world["pub_a"],
              *common, env=env), 1, "not in the keyring")
    fails(run(bulwark, "verify", f"{reg}/team/changed:v1", "--gpg-keyring", world["pub_a"],
              *common, env=env), 1, "not the image's")


@needs_tools
def test_http_lookaside(bulwark, env, world, tmp_path):
    """lookaside over http:// (read-only, as in containers/image), served
    from the file:// staging tree."""
    srv = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(Quiet, directory=str(world["lookaside"])))
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        regd = tmp_path / "regd"
        regd.mkdir()
        (regd / "a.yaml").write_text(
            f"docker:\n  {world['reg']}/team:\n"
            f"    lookaside: http://127.0.0.1:{srv.server_address[1]}\n"
            f"    lookaside-staging: file://{world['lookaside']}\n")
        e = dict(env, no_proxy="*")
        ok(run(bulwark, "verify", f"{world['reg']}/team/app:v1", "--gpg-keyring",
               world["pub_a"], "--insecure", "--registries.d", regd, env=e))
        fails(run(bulwark, "verify", f"{world['reg']}/team/unsigned:v1", "--gpg-keyring",
                  world["pub_a"], "--insecure", "--registries.d", regd, env=e), 1)
        pol = tmp_path / "p.json"
        pol.write_text(json.dumps({"default": [{"type": "signedBy", "keyType": "GPGKeys",
                                                "keyPath": str(world["pub_a"])}]}))
        assert skopeo_accepts(world, pol, f"{world['reg']}/team/app:v1", tmp_path / "o", regd)
        assert bulwark_accepts(bulwark, e, world, pol, f"{world['reg']}/team/app:v1", regd)
        # Writing needs file://: with only an http lookaside, signing refuses.
        (regd / "a.yaml").write_text(
            f"docker:\n  {world['reg']}/team:\n"
            f"    lookaside: http://127.0.0.1:{srv.server_address[1]}\n")
        fails(run(bulwark, "sign", f"{world['reg']}/team/bw:v1", "--gpg-key", world["fpr_a"],
                  "--insecure", "--registries.d", regd,
                  env=dict(e, GNUPGHOME=str(world["home"]))), 3, "file://")
    finally:
        srv.shutdown()


def signed_by(world, key="a", **kw):
    req = {"type": "signedBy", "keyType": "GPGKeys"}
    if key == "a":
        req["keyPath"] = str(world["pub_a"])
    elif key == "b":
        req["keyPath"] = str(world["pub_b"])
    elif key == "ba":
        req["keyPaths"] = [str(world["pub_b"]), str(world["pub_a"])]
    elif key == "data":
        req["keyData"] = base64.b64encode(world["pub_a"].read_bytes()).decode()
    req.update(kw)
    return req


def policy_cases(world):
    reg = world["reg"]
    app, d = f"{reg}/team/app:v1", world["digest"]
    by_digest = f"{reg}/team/app@{d}"
    out = []

    def add(name, reqs, ref, scope=None):
        tr = {"docker": {scope or f"{reg}/team": reqs}}
        out.append((name, {"default": REJECT, "transports": tr}, ref))

    add("key-a", [signed_by(world)], app)
    add("key-b", [signed_by(world, "b")], app)
    add("key-paths", [signed_by(world, "ba")], app)
    add("key-data", [signed_by(world, "data")], app)
    add("by-digest", [signed_by(world)], by_digest)
    add("by-digest-other-key", [signed_by(world, "b")], by_digest)
    add("unsigned", [signed_by(world)], f"{reg}/team/unsigned:v1")
    add("other-key-image", [signed_by(world)], f"{reg}/team/other:v1")
    add("other-key-image-b", [signed_by(world, "b")], f"{reg}/team/other:v1")
    add("changed", [signed_by(world)], f"{reg}/team/changed:v1")
    add("and-accept", [signed_by(world)] + ACCEPT, app)
    add("and-reject", [signed_by(world)] + REJECT, app)
    add("match-repository", [signed_by(world, signedIdentity={"type": "matchRepository"})],
        app)
    add("match-exact", [signed_by(world, signedIdentity={"type": "matchExact"})], app)
    add("match-exact-digest", [signed_by(world, signedIdentity={"type": "matchExact"})],
        by_digest)
    add("exact-reference", [signed_by(world, signedIdentity={
        "type": "exactReference", "dockerReference": app})], app)
    add("exact-reference-other", [signed_by(world, signedIdentity={
        "type": "exactReference", "dockerReference": f"{reg}/team/app:v2"})], app)
    add("exact-repository", [signed_by(world, signedIdentity={
        "type": "exactRepository", "dockerRepository": f"{reg}/team/app"})], app)
    add("exact-repository-other", [signed_by(world, signedIdentity={
        "type": "exactRepository", "dockerRepository": f"{reg}/team/other"})], app)
    # team/other signed with b under its own name: remapped to team/app it
    # no longer matches; team/app remapped onto itself does.
    add("remap-other", [signed_by(world, "b", signedIdentity={
        "type": "remapIdentity", "prefix": f"{reg}/team/other",
        "signedPrefix": f"{reg}/team/app"})], f"{reg}/team/other:v1")
    add("remap-same", [signed_by(world, signedIdentity={
        "type": "remapIdentity", "prefix": f"{reg}/team", "signedPrefix": f"{reg}/team"})],
        app)
    add("scope-accepts-unsigned", ACCEPT, f"{reg}/team/unsigned:v1",
        scope=f"{reg}/team/unsigned")
    add("repo-scope-beats-namespace", [signed_by(world)], f"{reg}/team/unsigned:v1",
        scope=f"{reg}/team/unsigned")
    return out


@needs_tools
def test_signed_by_policy_matches_skopeo(bulwark, env, world, tmp_path):
    seen = {True: 0, False: 0}
    mismatches = []
    for i, (name, policy, ref) in enumerate(policy_cases(world)):
        pf = tmp_path / f"{name}.json"
        pf.write_text(json.dumps(policy))
        want = skopeo_accepts(world, pf, ref, tmp_path / f"o{i}")
        got = bulwark_accepts(bulwark, env, world, pf, ref)
        if got != want:
            mismatches.append((name, want, got))
        seen[want] += 1
    assert not mismatches, mismatches
    assert seen[True] >= 8 and seen[False] >= 8, seen


@needs_tools
def test_signed_by_invalid(bulwark, env, world, tmp_path):
    ref = f"{world['reg']}/team/app:v1"
    for req in ({"type": "signedBy", "keyPath": str(world["pub_a"])},
                {"type": "signedBy", "keyType": "GPGKeys"},
                {"type": "signedBy", "keyType": "frob", "keyPath": str(world["pub_a"])},
                {"type": "signedBy", "keyType": "GPGKeys", "keyData": "!!!"},
                {"type": "signedBy", "keyType": "GPGKeys", "keyPath": str(world["pub_a"]),
                 "keyData": "eA=="}):
        pf = tmp_path / "p.json"
        pf.write_text(json.dumps({"default": [req]}))
        p = run(bulwark, "policy", "check", ref, "--policy", pf, "--insecure",
                "--registries.d", world["regd"], env=env)
        assert p.returncode == 3, (req, p.stdout, p.stderr)
