# SPDX-License-Identifier: Apache-2.0
"""`bulwark policy check` against `skopeo copy --policy` on the same images
and policies (containers-policy.json(5)), and sigstoreSigned against
bulwark's own signatures and containers/image's cosign fixtures."""

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from test_sign import (FIXTURES, START_REGISTRY, env, fails, keygen, materialize,  # noqa: F401
                       needs_corpus, ok, run, start_registry)

pytestmark = pytest.mark.skipif(
    not (shutil.which("skopeo") and shutil.which("docker-registry")),
    reason="needs skopeo and docker-registry")


def blob(layout, data):
    d = hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256" / d).write_bytes(data)
    return "sha256:" + d, len(data)


def tiny_layout(path, tag="v1"):
    """A one-file OCI image, small enough to copy in every case."""
    (path / "blobs" / "sha256").mkdir(parents=True)
    (path / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as t:
        info = tarfile.TarInfo("hello")
        info.size = 5
        t.addfile(info, io.BytesIO(b"hello"))
    tar = raw.getvalue()
    layer = gzip.compress(tar, mtime=0)
    ld, ls = blob(path, layer)
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "rootfs": {"type": "layers",
                                 "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]},
                      "config": {}}).encode()
    cd, cs = blob(path, cfg)
    man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                 "digest": cd, "size": cs},
                      "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                  "digest": ld, "size": ls}]}).encode()
    md, ms = blob(path, man)
    (path / "index.json").write_text(json.dumps({
        "schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
            "annotations": {"org.opencontainers.image.ref.name": tag}}]}))
    return md


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    base = tmp_path_factory.mktemp("policy")
    layout = base / "tiny.oci"
    tiny_layout(layout)
    info = start_registry(base / "state")
    try:
        reg = info["REGISTRY"]
        for repo in ("team/app", "team/other", "solo"):
            subprocess.run(["skopeo", "copy", "-q", "--dest-tls-verify=false",
                            f"oci:{layout}:v1", f"docker://{reg}/{repo}:v1"], check=True,
                           capture_output=True, timeout=300)
        yield {"reg": reg, "layout": layout, "base": base}
    finally:
        subprocess.run([START_REGISTRY, "--stop", info["REGISTRY_DIR"]], capture_output=True,
                       timeout=60)


ACCEPT = [{"type": "insecureAcceptAnything"}]
REJECT = [{"type": "reject"}]


def cases(reg, layout):
    """(name, policy, reference): skopeo and bulwark must agree on each."""
    docker = f"{reg}/team/app:v1"
    host = reg.split(":")[0]
    out = []

    def add(name, default, transports, ref):
        out.append((name, {"default": default, "transports": transports}, ref))

    for ref_name, ref in (("docker", docker), ("oci", f"oci:{layout}:v1")):
        add(f"{ref_name}-default-accept", ACCEPT, {}, ref)
        add(f"{ref_name}-default-reject", REJECT, {}, ref)
        add(f"{ref_name}-empty-transport-falls-to-default", REJECT,
            {"docker": {}, "oci": {}}, ref)
    # docker scopes: the most specific wins.
    add("docker-transport-default", REJECT, {"docker": {"": ACCEPT}}, docker)
    add("docker-transport-default-reject", ACCEPT, {"docker": {"": REJECT}}, docker)
    add("docker-host", REJECT, {"docker": {reg: ACCEPT, "": REJECT}}, docker)
    add("docker-namespace", REJECT, {"docker": {f"{reg}/team": ACCEPT, reg: REJECT}}, docker)
    add("docker-namespace-rejects", ACCEPT,
        {"docker": {f"{reg}/team": REJECT, reg: ACCEPT}}, docker)
    add("docker-repo-beats-namespace", REJECT,
        {"docker": {f"{reg}/team/app": ACCEPT, f"{reg}/team": REJECT}}, docker)
    add("docker-repo-rejects", ACCEPT,
        {"docker": {f"{reg}/team/app": REJECT, f"{reg}/team": ACCEPT}}, docker)
    add("docker-tag-beats-repo", REJECT,
        {"docker": {f"{reg}/team/app:v1": ACCEPT, f"{reg}/team/app": REJECT}}, docker)
    add("docker-other-tag", ACCEPT,
        {"docker": {f"{reg}/team/app:v2": ACCEPT, f"{reg}/team/app": REJECT}}, docker)
    add("docker-other-repo", ACCEPT, {"docker": {f"{reg}/team/other": REJECT}}, docker)
    add("docker-other-repo-scope-only", REJECT, {"docker": {f"{reg}/team/other": ACCEPT}}, docker)
    add("docker-unrelated-host", REJECT, {"docker": {"quay.io": ACCEPT}}, docker)
    add("docker-oci-transport-ignored", REJECT, {"oci": {"": ACCEPT}}, docker)
    add("docker-accept-and-reject", ACCEPT,
        {"docker": {f"{reg}/team/app": ACCEPT + REJECT}}, docker)
    add("docker-single-repo", REJECT, {"docker": {f"{reg}/solo": ACCEPT}}, f"{reg}/solo:v1")
    add("docker-prefix-is-not-namespace", REJECT, {"docker": {f"{reg}/tea": ACCEPT}}, docker)
    _ = host
    # oci scopes: the layout's path, with its tag, and its parents.
    add("oci-path", REJECT, {"oci": {str(layout): ACCEPT}}, f"oci:{layout}:v1")
    # The tag is not part of a layout's identity: this scope never matches.
    add("oci-path-tag-ignored", REJECT, {"oci": {f"{layout}:v1": ACCEPT}}, f"oci:{layout}:v1")
    add("oci-parent-dir", REJECT, {"oci": {str(layout.parent): ACCEPT}}, f"oci:{layout}:v1")
    add("oci-parent-rejects", ACCEPT, {"oci": {str(layout.parent): REJECT}}, f"oci:{layout}:v1")
    add("oci-transport-default", REJECT, {"oci": {"": ACCEPT}}, f"oci:{layout}:v1")
    add("oci-docker-transport-ignored", REJECT, {"docker": {"": ACCEPT}}, f"oci:{layout}:v1")
    return out


def skopeo_accepts(policy_file, ref, dest):
    src = f"docker://{ref}" if not ref.startswith("oci:") else ref
    p = subprocess.run(["skopeo", "copy", "-q", "--src-tls-verify=false", "--policy",
                        str(policy_file), src, f"dir:{dest}"], capture_output=True, text=True,
                       timeout=300)
    if p.returncode != 0:
        assert "rejected" in p.stderr or "Source image rejected" in p.stderr, p.stderr
    return p.returncode == 0


def test_policy_matches_skopeo(bulwark, env, world, tmp_path):
    """Every case: the same answer from both; and both answers occur."""
    seen = {True: 0, False: 0}
    mismatches = []
    for i, (name, policy, ref) in enumerate(cases(world["reg"], world["layout"])):
        pf = tmp_path / f"{name}.json"
        pf.write_text(json.dumps(policy))
        want = skopeo_accepts(pf, ref, tmp_path / f"out{i}")
        p = run(bulwark, "policy", "check", ref, "--policy", pf, "--insecure", env=env)
        assert p.returncode in (0, 1), (name, p.stderr)
        got = p.returncode == 0
        assert p.stdout.startswith("accepted" if got else "rejected:"), p.stdout
        if got != want:
            mismatches.append((name, want, got, p.stdout, p.stderr))
        seen[want] += 1
    assert not mismatches, mismatches
    assert seen[True] >= 10 and seen[False] >= 10, seen


def test_policy_invalid(bulwark, env, world, tmp_path):
    ref = f"oci:{world['layout']}:v1"
    for bad in ('{"transports":{}}', '[]', '{"default":[]}',
                '{"default":[{"type":"frobnicate"}]}', '{"default":[{}]}', "{"):
        pf = tmp_path / "p.json"
        pf.write_text(bad)
        p = run(bulwark, "policy", "check", ref, "--policy", pf, env=env)
        assert p.returncode == 3 and "policy" in p.stderr, (bad, p.stdout, p.stderr)


def test_sigstore_signed_registry(bulwark, env, world, tmp_path):
    """sigstoreSigned against bulwark's own signatures, with each
    signedIdentity type (containers-policy.json(5))."""
    reg = world["reg"]
    key, pub = keygen(bulwark, env, tmp_path)
    _, other_pub = keygen(bulwark, env, tmp_path, "other")
    ok(run(bulwark, "sign", f"{reg}/team/app:v1", "--key", key, "--insecure", env=env))
    keydata = __import__("base64").b64encode(pub.read_bytes()).decode()
    # As containers/image, cosign attachments count only where registries.d
    # enables them (test_sign_registriesd.py covers the scopes).
    regd = tmp_path / "registries.d"
    regd.mkdir()
    (regd / "sigstore.yaml").write_text("default-docker:\n  use-sigstore-attachments: true\n")

    def check(req, ref=f"{reg}/team/app:v1"):
        pf = tmp_path / "p.json"
        pf.write_text(json.dumps({"default": REJECT,
                                  "transports": {"docker": {f"{reg}/team": [req]}}}))
        p = run(bulwark, "policy", "check", ref, "--policy", pf, "--insecure",
                "--registries.d", regd, env=env)
        assert p.returncode in (0, 1), p.stderr
        return p.returncode == 0

    sig = {"type": "sigstoreSigned", "keyPath": str(pub)}
    # cosign payloads name the repository only: by tag, matchRepoDigestOrExact
    # and matchExact want the tag too; by digest, the repository is enough.
    assert not check(sig)
    digest = json.loads(subprocess.run(
        ["skopeo", "inspect", "--tls-verify=false", f"docker://{reg}/team/app:v1"],
        capture_output=True, text=True, check=True).stdout)["Digest"]
    assert check(sig, f"{reg}/team/app@{digest}")
    assert check(dict(sig, signedIdentity={"type": "matchRepository"}))
    assert not check(dict(sig, signedIdentity={"type": "matchExact"}))
    assert check(dict(sig, signedIdentity={"type": "exactRepository",
                                          "dockerRepository": f"{reg}/team/app"}))
    assert not check(dict(sig, signedIdentity={"type": "exactRepository",
                                              "dockerRepository": f"{reg}/team/other"}))
    assert check(dict(sig, signedIdentity={"type": "exactReference",
                                          "dockerReference": f"{reg}/team/app"}))
    assert check({"type": "sigstoreSigned", "keyData": keydata,
                  "signedIdentity": {"type": "matchRepository"}})
    assert check({"type": "sigstoreSigned", "keyPaths": [str(other_pub), str(pub)],
                  "signedIdentity": {"type": "matchRepository"}})
    assert not check(dict(sig, keyPath=str(other_pub), signedIdentity={"type": "matchRepository"}))
    # Unsigned image in the same scope: refused.
    assert not check(dict(sig, signedIdentity={"type": "matchRepository"}),
                     f"{reg}/team/other:v1")
    # remapIdentity: team/other is checked as if it were team/app.
    ok(run(bulwark, "sign", f"{reg}/team/other:v1", "--key", key, "--insecure", "--identity",
           f"{reg}/team/app", env=env))
    assert check(dict(sig, signedIdentity={"type": "remapIdentity", "prefix": f"{reg}/team/other",
                                          "signedPrefix": f"{reg}/team/app"}),
                 f"{reg}/team/other@{digest}")


@needs_corpus
def test_sigstore_signed_cosign_fixtures(bulwark, env, tmp_path):
    """containers/image's cosign fixtures through a sigstoreSigned policy
    (dir: has no docker reference, so exactRepository names it)."""
    repo = "192.168.64.2:5000/cosign-signed-single-sample"
    expect = {"dir-img-cosign-valid": True, "dir-img-cosign-valid-2": True,
              "dir-img-cosign-mixed": True, "dir-img-cosign-modified-manifest": False,
              "dir-img-cosign-manifest-digest-error": False,
              "dir-img-cosign-other-attachment": False, "dir-img-cosign-fulcio-rekor-valid": False}
    for name, want in expect.items():
        d = materialize(name, tmp_path / name)
        pf = tmp_path / f"{name}.json"
        pf.write_text(json.dumps({"default": REJECT, "transports": {"dir": {"": [{
            "type": "sigstoreSigned", "keyPath": str(FIXTURES / "cosign.pub"),
            "signedIdentity": {"type": "exactRepository", "dockerRepository": repo}}]}}}))
        p = run(bulwark, "policy", "check", f"dir:{d}", "--policy", pf, env=env)
        assert (p.returncode == 0) == want, (name, p.stdout, p.stderr)
        # matchRepository needs a docker reference, which dir: lacks.
        pf.write_text(json.dumps({"default": REJECT, "transports": {"dir": {"": [{
            "type": "sigstoreSigned", "keyPath": str(FIXTURES / "cosign.pub"),
            "signedIdentity": {"type": "matchRepository"}}]}}}))
        fails(run(bulwark, "policy", "check", f"dir:{d}", "--policy", pf, env=env), 1)
