# SPDX-License-Identifier: Apache-2.0
"""bulwark sbom FILE scans the packages of a CycloneDX or SPDX JSON SBOM,
as `trivy sbom` does; rootfs and fs --scanners vuln scan an unpacked root
file system. Round trips: SBOMs bulwark writes of debian-multi (and an SPDX
one stripped of the source-package hints, as other tools write them) give
exactly the findings of the direct image scan, and so does the image
unpacked with umoci. Also SBOMs written here in Trivy's shape, and bad
documents. bulwark's SPDX output and the hand-written SPDX 2.3 here
validate against the official schema."""
import json
import shutil
import subprocess

import pytest

import schemas
import vulnfix
from conftest import run


@pytest.fixture(scope="module")
def ctx(bulwark, images, shared, tmp_path_factory):
    db = vulnfix.advisory_db(bulwark, shared, tmp_path_factory)
    scan = vulnfix.direct_scan(bulwark, db, images)
    d = tmp_path_factory.mktemp("sbomscan")
    ref = vulnfix.image_ref(images)
    for fmt, name in (("cyclonedx", "bom.cdx.json"), ("spdx-json", "bom.spdx.json")):
        run(bulwark, "sbom", "-f", fmt, "-o", d / name, ref, check=0)
    return {"db": db, "scan": scan, "dir": d, "images": images}


def sbom_scan(bulwark, ctx, path, *extra, check=0):
    p = run(bulwark, "sbom", "--db", ctx["db"], "-f", "json", *extra, path, check=check)
    return json.loads(p.stdout) if check == 0 else p


@pytest.mark.parametrize("name", ["bom.cdx.json", "bom.spdx.json"])
def test_round_trip_equals_image_scan(bulwark, ctx, name):
    out = sbom_scan(bulwark, ctx, ctx["dir"] / name)
    want = vulnfix.keys(ctx["scan"]["findings"])
    assert len(want) > 100
    assert vulnfix.keys(out["findings"]) == want
    assert len(out["findings"]) == len(ctx["scan"]["findings"])
    assert out["os"]["ecosystem"] == "Debian:12"


def test_spdx_without_source_hints(bulwark, ctx):
    """Other tools' SPDX: the source package from the PURL's upstream
    qualifier, its version from the binary's (less a binNMU suffix)."""
    doc = json.loads((ctx["dir"] / "bom.spdx.json").read_text())
    n = 0
    for p in doc["packages"]:
        n += p.pop("sourceInfo", None) is not None
    assert n > 50
    path = ctx["dir"] / "plain.spdx.json"
    path.write_text(json.dumps(doc))
    out = sbom_scan(bulwark, ctx, path)
    assert vulnfix.keys(out["findings"]) == vulnfix.keys(ctx["scan"]["findings"])


def test_trivy_shaped_cyclonedx_1_4(bulwark, ctx, tmp_path):
    """A CycloneDX 1.4 BOM as Trivy writes it: the OS as a component, the
    epoch in a qualifier, the source package in aquasecurity:trivy
    properties, the distro qualifier with a point release."""
    pkgs = {f["package"]: f for f in ctx["scan"]["findings"] if f["type"] == "deb"}
    lib = pkgs["libssl3"]
    npm = next(f for f in ctx["scan"]["findings"] if f["type"] == "npm")
    ver = lib["installed_version"]
    up, rel = ver.rsplit("-", 1)
    bom = {
        "bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1,
        "metadata": {"component": {"type": "container", "name": "example", "bom-ref": "root"}},
        "components": [
            {"bom-ref": "os", "type": "operating-system", "name": "debian", "version": "12.4"},
            {"bom-ref": "a", "type": "library", "name": "libssl3", "version": ver,
             "purl": f"pkg:deb/debian/libssl3@{ver.replace('+', '%2B')}?arch=amd64&distro=debian-12.4",
             "properties": [{"name": "aquasecurity:trivy:SrcName", "value": "openssl"},
                            {"name": "aquasecurity:trivy:SrcVersion", "value": up},
                            {"name": "aquasecurity:trivy:SrcRelease", "value": rel}]},
            {"bom-ref": "b", "type": "library", "name": npm["package"], "version": npm["installed_version"],
             "purl": npm["purl"]},
            {"bom-ref": "c", "type": "library", "name": "junk", "purl": "not a purl"},
        ],
    }
    path = tmp_path / "trivy.cdx.json"
    path.write_text(json.dumps(bom))
    out = sbom_scan(bulwark, ctx, path)
    got = {(f["package"], f["id"]) for f in out["findings"]}
    want = {(f["package"], f["id"]) for f in ctx["scan"]["findings"]
            if f["package"] == "libssl3" or f["purl"] == npm["purl"]}
    assert got == want
    assert out["os"] == {"id": "debian", "version_id": "12.4", "ecosystem": "Debian:12"}


def spdx_doc(name, packages):
    """A hand-written SPDX 2.3 document describing its first package."""
    return {
        "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
        "name": name, "documentNamespace": f"https://example.com/{name}-1",
        "creationInfo": {"created": "2024-01-01T00:00:00Z", "creators": ["Tool: hand"]},
        "documentDescribes": [packages[0]["SPDXID"]], "packages": packages,
    }


def test_hand_written_spdx_2_3(bulwark, ctx, tmp_path):
    py = next(f for f in ctx["scan"]["findings"] if f["type"] == "pypi")
    doc = spdx_doc("app", [
        {"SPDXID": "SPDXRef-app", "name": "app", "downloadLocation": "NOASSERTION",
         "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                           "referenceLocator": "pkg:generic/app@1.0"}]},
        {"SPDXID": "SPDXRef-p1", "name": py["package"], "versionInfo": py["installed_version"],
         "downloadLocation": "NOASSERTION",
         "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                           "referenceLocator": py["purl"]}]},
    ])
    schemas.assert_valid("spdx", doc)
    path = tmp_path / "app.spdx.json"
    path.write_text(json.dumps(doc))
    out = sbom_scan(bulwark, ctx, path)
    want = {f["id"] for f in ctx["scan"]["findings"] if f["purl"] == py["purl"]}
    assert {f["id"] for f in out["findings"]} == want
    # SARIF of an SBOM scan names the SBOM when a package has no file.
    p = run(bulwark, "sbom", "--db", ctx["db"], "-f", "sarif", path, check=0)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in json.loads(p.stdout)["runs"][0]["results"]}
    assert uris == {str(path).lstrip("/")}


@pytest.mark.parametrize("purpose", ["OPERATING_SYSTEM", "OPERATING-SYSTEM"])
def test_spdx_os_package_names_the_distro(bulwark, ctx, tmp_path, purpose):
    """The OS as a package, as SPDX 2.3 spells its purpose (bulwark's
    output) and as Trivy does; the deb PURL carries no distro qualifier, so
    only that package tells the release."""
    lib = next(f for f in ctx["scan"]["findings"] if f["package"] == "libssl3")
    ver = lib["installed_version"]
    doc = spdx_doc("example", [
        {"SPDXID": "SPDXRef-Image", "name": "example", "downloadLocation": "NOASSERTION",
         "primaryPackagePurpose": "CONTAINER"},
        {"SPDXID": "SPDXRef-OS", "name": "debian", "versionInfo": "12.4",
         "downloadLocation": "NOASSERTION", "primaryPackagePurpose": purpose},
        {"SPDXID": "SPDXRef-p1", "name": "libssl3", "versionInfo": ver, "downloadLocation": "NOASSERTION",
         "sourceInfo": f"built package from: openssl {ver}",
         "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                           "referenceLocator": f"pkg:deb/debian/libssl3@{ver.replace('+', '%2B')}?arch=amd64"}]},
    ])
    doc["relationships"] = [
        {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-Image"},
        {"spdxElementId": "SPDXRef-Image", "relationshipType": "CONTAINS", "relatedSpdxElement": "SPDXRef-OS"},
        {"spdxElementId": "SPDXRef-OS", "relationshipType": "CONTAINS", "relatedSpdxElement": "SPDXRef-p1"},
    ]
    # Trivy's spelling is what the official schema rejects.
    assert bool(schemas.errors("spdx", doc)) == (purpose == "OPERATING-SYSTEM")
    path = tmp_path / "os.spdx.json"
    path.write_text(json.dumps(doc))
    out = sbom_scan(bulwark, ctx, path)
    assert out["os"] == {"id": "debian", "version_id": "12.4", "ecosystem": "Debian:12"}
    assert {f["id"] for f in out["findings"]} == {f["id"] for f in ctx["scan"]["findings"]
                                                   if f["package"] == "libssl3"}


def test_image_archive_is_not_taken_for_an_sbom(bulwark, ctx):
    p = run(bulwark, "sbom", "-f", "json", f"{ctx['images']}/debian-multi.docker.tar", check=0)
    assert json.loads(p.stdout)["count"] > 50


@pytest.mark.parametrize("text,msg", [
    ('{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [', "line"),
    ('{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": {}}', "components is not an array"),
    ('{"bomFormat": "CycloneDX", "components": []}', "specVersion"),
    ('{"spdxVersion": "SPDX-3.0", "packages": []}', "not SPDX 2.x"),
    ('{"spdxVersion": "SPDX-2.3", "packages": [1]}', "package 1 is not an object"),
])
def test_bad_sbom_is_an_input_error(bulwark, ctx, tmp_path, text, msg):
    path = tmp_path / "bad.json"
    path.write_text(text)
    p = sbom_scan(bulwark, ctx, path, check=None)
    assert p.returncode == 3, (p.returncode, p.stderr)
    assert "bad.json" in p.stderr and msg in p.stderr


def test_deep_nesting_is_bounded(bulwark, ctx, tmp_path):
    comp = {"type": "library", "name": "x", "purl": "pkg:npm/x@1.0.0"}
    for _ in range(40):
        comp = {"type": "library", "name": "x", "purl": "pkg:npm/x@1.0.0", "components": [comp]}
    path = tmp_path / "deep.json"
    path.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [comp]}))
    p = sbom_scan(bulwark, ctx, path, check=None)
    assert p.returncode != 0 and "nested deeper" in p.stderr


def test_sbom_scan_rejects_sbom_formats(bulwark, ctx):
    p = sbom_scan(bulwark, ctx, ctx["dir"] / "bom.cdx.json", "-f", "spdx-json", check=None)
    assert p.returncode == 2 and "unknown format" in p.stderr


@pytest.fixture(scope="module")
def rootfs(ctx, tmp_path_factory):
    if not shutil.which("umoci"):
        pytest.skip("umoci not installed")
    d = tmp_path_factory.mktemp("rootfs") / "b"
    subprocess.run(["umoci", "unpack", "--image", f"{ctx['images']}/debian-multi.oci:v1", str(d)],
                   check=True, capture_output=True)
    return d / "rootfs"


@pytest.mark.parametrize("cmd", ["rootfs", "fs"])
def test_rootfs_and_fs_equal_image_scan(bulwark, ctx, rootfs, cmd):
    p = run(bulwark, cmd, "--scanners", "vuln", "--db", ctx["db"], "-f", "json", rootfs, check=0)
    out = json.loads(p.stdout)
    assert vulnfix.keys(out["findings"]) == vulnfix.keys(ctx["scan"]["findings"])
    # Without --scanners vuln, rootfs lists packages as fs does.
    p = run(bulwark, cmd, "-f", "json", rootfs, check=0)
    assert json.loads(p.stdout)["count"] > 50
