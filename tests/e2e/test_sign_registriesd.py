# SPDX-License-Identifier: Apache-2.0
"""registries.d(5) `use-sigstore-attachments` and sigstoreSigned policies:
`bulwark policy check` reads a registry image's cosign attachments only when
the most specific scope that sets the key (else default-docker) says true,
as containers/image does; `bulwark sign/verify --key` ignore registries.d,
as cosign does. Each case is compared with `skopeo copy --policy
--registries.d`: whether skopeo finds no signature, or reads the attachments
(Debian's skopeo then refuses them, its sigstore support being disabled,
which still shows that it read them)."""

import json
import shutil
import subprocess

import pytest

from test_sign import START_REGISTRY, env, fails, keygen, ok, run, start_registry  # noqa: F401
from test_sign_policy import tiny_layout

pytestmark = pytest.mark.skipif(
    not (shutil.which("skopeo") and shutil.which("docker-registry")),
    reason="needs skopeo and docker-registry")

REJECT = [{"type": "reject"}]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    base = tmp_path_factory.mktemp("regd")
    layout = base / "tiny.oci"
    tiny_layout(layout)
    info = start_registry(base / "state")
    try:
        reg = info["REGISTRY"]
        for repo in ("team/app", "team/unsigned", "other/app"):
            subprocess.run(["skopeo", "copy", "-q", "--dest-tls-verify=false",
                            f"oci:{layout}:v1", f"docker://{reg}/{repo}:v1"], check=True,
                           capture_output=True, timeout=300)
        yield {"reg": reg, "base": base}
    finally:
        subprocess.run([START_REGISTRY, "--stop", info["REGISTRY_DIR"]], capture_output=True,
                       timeout=60)


def regd(path, text):
    path.mkdir(parents=True, exist_ok=True)
    if text is not None:
        (path / "sigstore.yaml").write_text(text)
    return path


def skopeo_sees(policy, regdir, ref, dest):
    """What skopeo makes of ref: "accepted"; "none" when it found no
    signature (it did not read attachments, or there are none); "read" when
    it read sigstore attachments and then refused to check them (Debian's
    skopeo: "sigstore disabled"); None for anything else."""
    p = subprocess.run(["skopeo", "copy", "-q", "--src-tls-verify=false", "--policy",
                        str(policy), "--registries.d", str(regdir), f"docker://{ref}",
                        f"dir:{dest}"], capture_output=True, text=True, timeout=300)
    if p.returncode == 0:
        return "accepted"
    if "A signature was required, but no signature exists" in p.stderr:
        return "none"
    if "sigstore disabled" in p.stderr:
        return "read"
    return None


def test_use_sigstore_attachments(bulwark, env, world, tmp_path):
    reg = world["reg"]
    host = reg.split(":")[0]
    key, pub = keygen(bulwark, env, tmp_path)
    # Signed without any registries.d (cosign ignores it): and with one that
    # says false, which must not matter to sign --key either.
    no = regd(tmp_path / "no", "default-docker:\n  use-sigstore-attachments: false\n")
    ok(run(bulwark, "sign", f"{reg}/team/app:v1", "--key", key, "--insecure", env=env))
    ok(run(bulwark, "sign", f"{reg}/other/app:v1", "--key", key, "--insecure",
           "--registries.d", no, env=env))
    for repo in ("team/app", "other/app"):
        for d in (None, no):
            extra = ["--registries.d", d] if d else []
            out = ok(run(bulwark, "verify", f"{reg}/{repo}:v1", "--key", pub, "--insecure",
                         *extra, env=env))
            assert json.loads(out)[0]["critical"]["identity"]["docker-reference"] == \
                f"{reg}/{repo}"

    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"default": REJECT, "transports": {"docker": {"": [{
        "type": "sigstoreSigned", "keyPath": str(pub),
        "signedIdentity": {"type": "matchRepository"}}]}}}))
    app, unsigned, other = f"{reg}/team/app:v1", f"{reg}/team/unsigned:v1", f"{reg}/other/app:v1"
    T = "use-sigstore-attachments: true"
    F = "use-sigstore-attachments: false"
    cases = [
        # (name, registries.d text or None for an empty directory, ref, accepted)
        ("absent-empty-dir", None, app, False),
        ("absent-file-without-key", "default-docker:\n  lookaside: file:///nowhere\n", app,
         False),
        ("default-false", f"default-docker:\n  {F}\n", app, False),
        ("default-true", f"default-docker:\n  {T}\n", app, True),
        ("default-true-unsigned", f"default-docker:\n  {T}\n", unsigned, False),
        ("host-true", f"docker:\n  {reg}:\n    {T}\n", app, True),
        ("namespace-true", f"docker:\n  {reg}/team:\n    {T}\n", app, True),
        ("namespace-true-other-ns", f"docker:\n  {reg}/team:\n    {T}\n", other, False),
        ("repo-true", f"docker:\n  {reg}/team/app:\n    {T}\n", app, True),
        ("tag-true", f"docker:\n  {reg}/team/app:v1:\n    {T}\n", app, True),
        ("other-tag-true", f"docker:\n  {reg}/team/app:v2:\n    {T}\n", app, False),
        ("other-repo-true", f"docker:\n  {reg}/team/unsigned:\n    {T}\n", app, False),
        ("prefix-is-not-namespace", f"docker:\n  {reg}/tea:\n    {T}\n", app, False),
        ("scope-false-beats-default-true",
         f"default-docker:\n  {T}\ndocker:\n  {reg}/team:\n    {F}\n", app, False),
        ("scope-false-other-ns-default-true",
         f"default-docker:\n  {T}\ndocker:\n  {reg}/team:\n    {F}\n", other, True),
        ("repo-true-beats-namespace-false",
         f"docker:\n  {reg}/team:\n    {F}\n  {reg}/team/app:\n    {T}\n", app, True),
        ("namespace-false-beats-host-true",
         f"docker:\n  {reg}:\n    {T}\n  {reg}/team:\n    {F}\n", app, False),
        # A scope that sets only the lookaside does not hide default-docker's
        # use-sigstore-attachments: each key from the most specific scope
        # that sets it.
        ("scope-without-key-falls-to-default",
         f"default-docker:\n  {T}\ndocker:\n  {reg}/team/app:\n    lookaside: file:///x\n",
         app, True),
        ("unrelated-host-true", f"docker:\n  quay.io:\n    {T}\n", app, False),
        ("yaml-1.1-bool", "default-docker:\n  use-sigstore-attachments: yes\n", app, True),
    ]
    if host != reg:  # HOST:PORT is the host scope; the bare host is another
        cases.append(("host-without-port", f"docker:\n  {host}:\n    {T}\n", app, False))
    compared = 0
    bad = []
    for i, (name, text, ref, want) in enumerate(cases):
        d = regd(tmp_path / f"regd-{i}", text)
        p = run(bulwark, "policy", "check", ref, "--policy", policy, "--registries.d", d,
                "--insecure", env=env)
        assert p.returncode in (0, 1), (name, p.stdout, p.stderr)
        got = p.returncode == 0
        if got != want:
            bad.append((name, want, p.stdout, p.stderr))
        if not got and ref != unsigned:
            assert "no signature exists" in p.stdout, (name, p.stdout)
        # bulwark's answer, as skopeo would put it.
        mine = "accepted" if got else "none" if "no signature" in p.stdout else "read"
        sk = skopeo_sees(policy, d, ref, tmp_path / f"out{i}")
        if sk is not None:
            compared += 1
            # Debian's skopeo cannot verify what it read: "read" there is
            # bulwark's accepted (or refused for a bad signature).
            if not (sk == mine or (sk == "read" and mine == "accepted")):
                bad.append((name, "skopeo", sk, p.stdout))
    assert not bad, bad
    # Debian's skopeo reads attachments per registries.d, then says "sigstore
    # disabled": it decides whether they are read in every case.
    assert compared == len(cases), (compared, len(cases))


def test_use_sigstore_attachments_invalid(bulwark, env, world, tmp_path):
    reg = world["reg"]
    _, pub = keygen(bulwark, env, tmp_path)
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"default": [{
        "type": "sigstoreSigned", "keyPath": str(pub),
        "signedIdentity": {"type": "matchRepository"}}]}))
    for text in ('default-docker:\n  use-sigstore-attachments: "true"\n',
                 "default-docker:\n  use-sigstore-attachments: maybe\n",
                 f"docker:\n  {reg}:\n    use-sigstore-attachments: [true]\n"):
        d = regd(tmp_path / f"bad{abs(hash(text))}", text)
        fails(run(bulwark, "policy", "check", f"{reg}/team/app:v1", "--policy", policy,
                  "--registries.d", d, "--insecure", env=env), 3,
              "use-sigstore-attachments")
    # insecureAcceptAnything and reject need no registries.d: an invalid
    # one is not read for them.
    accept = tmp_path / "accept.json"
    accept.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
    ok(run(bulwark, "policy", "check", f"{reg}/team/app:v1", "--policy", accept,
           "--registries.d", d, "--insecure", env=env))
