# SPDX-License-Identifier: Apache-2.0
"""Attestations (cosign's format: an in-toto statement in a DSSE envelope
at `sha256-<hex>.att`), and opening a layout that holds signatures."""

import base64
import json
import shutil
import subprocess

import pytest

from test_sign import env, fails, keygen, ok, registry, run, skopeo  # noqa: F401
from test_sign_gpg import make_layout

MT_DSSE = "application/vnd.dsse.envelope.v1+json"


def att_manifest(layout, digest):
    idx = json.loads((layout / "index.json").read_text())
    tag = f"sha256-{digest[7:]}.att"
    ent = [m for m in idx["manifests"]
           if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag]
    assert len(ent) == 1, idx
    return json.loads((layout / "blobs" / "sha256" / ent[0]["digest"][7:]).read_bytes())


def pae(body):
    t = b"application/vnd.in-toto+json"
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)


def test_attest_layout(bulwark, env, tmp_path):
    layout = tmp_path / "img.oci"
    digest = make_layout(layout, b"hello")
    key, pub = keygen(bulwark, env, tmp_path)
    _, other = keygen(bulwark, env, tmp_path, "other")
    pred = tmp_path / "bom.json"
    pred.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6",
                                "components": []}))
    out = ok(run(bulwark, "attest", f"oci:{layout}:v1", "--key", key, "--predicate", pred,
                 "--type", "cyclonedx", env=env))
    assert out.split() == [digest, f"sha256-{digest[7:]}.att"]
    m = att_manifest(layout, digest)
    assert len(m["layers"]) == 1
    layer = m["layers"][0]
    assert layer["mediaType"] == MT_DSSE
    assert layer["annotations"]["predicateType"] == "https://cyclonedx.org/bom"
    env_blob = (layout / "blobs" / "sha256" / layer["digest"][7:]).read_bytes()
    envelope = json.loads(env_blob)
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    body = base64.b64decode(envelope["payload"])
    st = json.loads(body)
    assert st["_type"] == "https://in-toto.io/Statement/v0.1"
    assert st["subject"][0]["digest"] == {"sha256": digest[7:]}
    assert st["predicate"]["bomFormat"] == "CycloneDX"
    # openssl checks the DSSE signature over the PAE.
    (tmp_path / "pae").write_bytes(pae(body))
    (tmp_path / "sig").write_bytes(base64.b64decode(envelope["signatures"][0]["sig"]))
    subprocess.run(["openssl", "dgst", "-sha256", "-verify", pub, "-signature",
                    tmp_path / "sig", tmp_path / "pae"], check=True, capture_output=True)

    v = json.loads(ok(run(bulwark, "verify-attestation", f"oci:{layout}:v1", "--key", pub,
                          env=env)))
    assert v[0]["predicateType"] == "https://cyclonedx.org/bom"
    ok(run(bulwark, "verify-attestation", f"oci:{layout}:v1", "--key", pub, "--type",
           "cyclonedx", env=env))
    fails(run(bulwark, "verify-attestation", f"oci:{layout}:v1", "--key", pub, "--type",
              "spdxjson", env=env), 1, "predicate type")
    fails(run(bulwark, "verify-attestation", f"oci:{layout}:v1", "--key", other, env=env), 1,
          "no signature of the envelope verifies")

    # A custom predicate is wrapped as cosign does; a second attestation
    # appends.
    txt = tmp_path / "note.txt"
    txt.write_text("scanned: clean\n")
    ok(run(bulwark, "attest", f"oci:{layout}:v1", "--key", key, "--predicate", txt, env=env))
    v = json.loads(ok(run(bulwark, "verify-attestation", f"oci:{layout}:v1", "--key", pub,
                          env=env)))
    assert len(v) == 2
    assert v[1]["predicate"]["Data"] == "scanned: clean\n"

    # A statement for another digest, signed by the right key: refused.
    other_st = dict(st, subject=[{"name": "x", "digest": {"sha256": "0" * 64}}])
    body2 = json.dumps(other_st).encode()
    (tmp_path / "pae2").write_bytes(pae(body2))
    p = subprocess.run(["openssl", "pkey", "-in", key, "-passin", "pass:pw"],
                       capture_output=True)
    _ = p
    envelope["payload"] = base64.b64encode(body2).decode()
    tampered = json.dumps(envelope).encode()
    (layout / "blobs" / "sha256" / layer["digest"][7:]).chmod(0o644)
    (layout / "blobs" / "sha256" / layer["digest"][7:]).write_bytes(tampered)
    p = run(bulwark, "verify-attestation", f"oci:{layout}:v1", "--key", pub, "--type",
            "cyclonedx", env=env)
    fails(p, 1)
    assert "does not match its digest" in p.stderr

    # Bad input.
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    fails(run(bulwark, "attest", f"oci:{layout}:v1", "--key", key, "--predicate", bad,
              "--type", "cyclonedx", env=env), 3, "not JSON")
    fails(run(bulwark, "attest", f"oci:{layout}:v1", "--key", key, "--predicate", pred,
              "--type", "frob", env=env), 2, "unknown --type")


def test_signed_layout_opens_untagged(bulwark, env, tmp_path):
    """Signing and attesting add `sha256-<hex>.sig/.att` entries to the
    layout's index.json; opening the layout without a tag still finds its
    one image."""
    layout = tmp_path / "img.oci"
    digest = make_layout(layout, b"hello")
    key, pub = keygen(bulwark, env, tmp_path)
    before = json.loads(ok(run(bulwark, "image", "inspect", f"oci:{layout}", "--format", "json",
                               env=env)))
    ok(run(bulwark, "sign", f"oci:{layout}:v1", "--key", key, env=env))
    pred = tmp_path / "p.txt"
    pred.write_text("x")
    ok(run(bulwark, "attest", f"oci:{layout}:v1", "--key", key, "--predicate", pred, env=env))
    idx = json.loads((layout / "index.json").read_text())
    assert len(idx["manifests"]) == 3
    after = json.loads(ok(run(bulwark, "image", "inspect", f"oci:{layout}", "--format", "json", env=env)))
    assert json.dumps(before, sort_keys=True).count(digest) >= 1
    assert json.dumps(after, sort_keys=True).count(digest) >= 1
    ok(run(bulwark, "verify", f"oci:{layout}", "--key", pub, env=env))
    # Two real images untagged are still ambiguous.
    idx["manifests"].append(dict(idx["manifests"][0], annotations={
        "org.opencontainers.image.ref.name": "v2"}))
    (layout / "index.json").write_text(json.dumps(idx))
    p = run(bulwark, "image", "inspect", f"oci:{layout}", "--format", "json", env=env)
    assert p.returncode != 0


@pytest.mark.skipif(not shutil.which("skopeo"), reason="needs skopeo")
def test_attest_registry(bulwark, env, registry, tmp_path):
    reg = registry["REGISTRY"]
    key, pub = keygen(bulwark, env, tmp_path)
    pred = tmp_path / "vuln.json"
    pred.write_text(json.dumps({"scanner": {"uri": "bulwark", "result": {}}}))
    out = ok(run(bulwark, "attest", f"{reg}/test/other:v1", "--key", key, "--predicate", pred,
                 "--type", "vuln", "--insecure", env=env))
    digest, tag = out.split()
    raw = json.loads(skopeo("inspect", "--raw", "--tls-verify=false",
                            f"docker://{reg}/test/other:{tag}").stdout)
    assert raw["layers"][0]["mediaType"] == MT_DSSE
    assert raw["layers"][0]["annotations"]["predicateType"] == \
        "https://cosign.sigstore.dev/attestation/vuln/v1"
    v = json.loads(ok(run(bulwark, "verify-attestation", f"{reg}/test/other:v1", "--key", pub,
                          "--insecure", env=env)))
    assert v[0]["subject"][0]["name"] == f"{reg}/test/other"
    assert v[0]["subject"][0]["digest"]["sha256"] == digest[7:]
    fails(run(bulwark, "verify-attestation", f"{reg}/test/minbase:v1", "--key", pub,
              "--insecure", env=env), 1, "no attestations")
