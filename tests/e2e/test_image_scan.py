"""`bulwark image [OPTIONS] REF`: the Trivy-style scan entry point, handing
packages to `sbom` and the image config to the Dockerfile checks."""
import json

from conftest import run
from imgcraft import oci_layout, sha, tar_bytes


def config_findings(bulwark, ref):
    p = run(bulwark, "image", "--scanners", "config", "-f", "json", ref, check=0)
    doc = json.loads(p.stdout)
    return {f["id"] if "id" in f else f["check"]["id"]: f for f in doc.get("findings", [])}, doc


def test_config_scan_of_test_image(bulwark, images):
    ids, doc = config_findings(bulwark, "oci:%s/debian-multi.oci:v1" % images)
    # No USER in the config: runs as root. Its history's apt-get install
    # lines are judged as RUN instructions.
    assert "DF-ROOT-USER" in ids
    assert "DF-DL3008" in ids
    assert "DF-SSH-PORT" not in ids


def test_config_scan_of_crafted_image(bulwark, tmp_path):
    def cfg(parts):
        c = parts["config"]["config"]
        c["User"] = "1000"
        c["ExposedPorts"] = {"22/tcp": {}, "8080/tcp": {}}
        c["Env"] = ["PATH=/usr/bin", "DB_PASSWORD=hunter2"]
        c["Healthcheck"] = {"Test": ["CMD-SHELL", "true"]}
        parts["config"]["history"] = [{"created_by": "/bin/sh -c curl -s https://example.com/i.sh | sh"}]
        cb = json.dumps(parts["config"]).encode()
        parts["blobs"][sha(cb)] = cb
        parts["manifest"]["config"].update(digest=sha(cb), size=len(cb))
        mb = json.dumps(parts["manifest"]).encode()
        parts["manifest_bytes"] = mb
        parts["index"]["manifests"][0].update(digest=sha(mb), size=len(mb))
    ref = oci_layout(tmp_path / "img", [tar_bytes([("etc", "dir", None)])], tamper=cfg)
    ids, _ = config_findings(bulwark, ref)
    assert "DF-ROOT-USER" not in ids
    assert "DF-SSH-PORT" in ids
    assert "DF-DL3064" in ids  # secret in ENV
    assert "DF-CURL-PIPE-SHELL" in ids
    assert "DF-DL3057" not in ids  # it has a HEALTHCHECK
    # The gate: --exit-code with --severity, as Trivy does.
    p = run(bulwark, "image", "--scanners", "config", "--severity", "HIGH,CRITICAL", "--exit-code", "5", ref)
    assert p.returncode == 5
    p = run(bulwark, "image", "--scanners", "config", "--severity", "CRITICAL", "--exit-code", "5", ref)
    assert p.returncode == 0


def test_default_scan_lists_packages(bulwark, images):
    p = run(bulwark, "image", "-f", "cyclonedx", "--scanners", "none",
            "oci:%s/debian-minbase.oci:v1" % images, check=0)
    bom = json.loads(p.stdout)
    assert bom["bomFormat"] == "CycloneDX"
    assert any(c.get("name") == "dpkg" for c in bom["components"])
    p = run(bulwark, "image", "--scanners", "secret", "oci:%s/debian-minbase.oci:v1" % images)
    assert p.returncode == 2 and "not available yet" in p.stderr
