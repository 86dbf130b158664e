# SPDX-License-Identifier: Apache-2.0
"""Every SPDX 2.3 document bulwark writes validates against the official
SPDX 2.3 JSON schema (tests/data/schemas/spdx-schema-2.3.json, from
spdx/spdx-spec): SBOMs of debian-minbase and debian-multi in OCI layout and
docker-archive form, `bulwark image --scanners none`, and `bulwark fs` of a
project folder with lockfiles, licences that are not SPDX expressions and
names that are not UTF-8. Beyond the schema, each document holds together
(unique SPDXIDs, relationships between known elements) and its licence
expressions name SPDX licence list ids or LicenseRefs it declares."""
import copy
import json
import re
import shutil

import pytest

import schemas
from conftest import run

IMAGES = ("debian-minbase", "debian-multi")
FORMS = {
    "oci": "oci:{d}/{n}.oci:v1",
    "docker-archive": "docker-archive:{d}/{n}.docker.tar",
}


def spdx_licence_ids():
    """SPDX licence and exception ids: the list CycloneDX ships as its
    spdx.schema.json enum (fetched from npm by scripts/fetch-schemas)."""
    return set(schemas._load(schemas.CDX_REFS[0])["enum"])


def check_document(doc):
    """The schema, then what the schema cannot say. Returns packages by SPDXID."""
    schemas.assert_valid("spdx", doc)
    assert doc["spdxVersion"] == "SPDX-2.3" and doc["dataLicense"] == "CC0-1.0"
    assert doc["SPDXID"] == "SPDXRef-DOCUMENT"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", doc["creationInfo"]["created"])
    assert doc["creationInfo"]["creators"][0].startswith("Tool: bulwark-")
    pkgs = {p["SPDXID"]: p for p in doc["packages"]}
    assert len(pkgs) == len(doc["packages"]), "SPDXIDs repeat"
    for i in pkgs:
        assert re.fullmatch(r"SPDXRef-[A-Za-z0-9.-]+", i), i
    assert doc["documentDescribes"] and set(doc["documentDescribes"]) <= set(pkgs)
    for r in doc["relationships"]:
        assert r["spdxElementId"] in set(pkgs) | {"SPDXRef-DOCUMENT"}
        assert r["relatedSpdxElement"] in pkgs
    contained = {r["relatedSpdxElement"] for r in doc["relationships"]}
    assert set(pkgs) - set(doc["documentDescribes"]) <= contained, "a package hangs loose"
    known = spdx_licence_ids()
    declared = {e["licenseId"] for e in doc.get("hasExtractedLicensingInfos", [])}
    for p in pkgs.values():
        for f in ("licenseDeclared", "licenseConcluded"):
            expr = p.get(f, "NOASSERTION")
            if expr in ("NOASSERTION", "NONE"):
                continue
            for tok in re.split(r"[\s()]+", expr):
                if tok in ("", "AND", "OR", "WITH"):
                    continue
                if tok.startswith("LicenseRef-"):
                    assert tok in declared, f"{p['name']}: {tok} is not declared"
                else:
                    assert tok.rstrip("+") in known, f"{p['name']}: {tok} is not an SPDX licence id"
        for ref in p.get("externalRefs", []):
            if ref["referenceType"] == "purl":
                assert ref["referenceCategory"] == "PACKAGE-MANAGER"
                assert ref["referenceLocator"].startswith("pkg:") and " " not in ref["referenceLocator"]
    return pkgs


def spdx_of(bulwark, *args):
    p = run(bulwark, *args, "-f", "spdx-json", check=0)
    return json.loads(p.stdout)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", IMAGES)
def test_image_sbom_validates(bulwark, images, name, form):
    doc = spdx_of(bulwark, "sbom", FORMS[form].format(d=images, n=name))
    pkgs = check_document(doc)
    info = dict(line.split("=", 1) for line in (images / f"{name}.info.txt").read_text().splitlines()
                if "=" in line and not line.startswith("layer "))
    root = pkgs[doc["documentDescribes"][0]]
    assert root["primaryPackagePurpose"] == "CONTAINER"
    if form == "oci":
        assert root["versionInfo"] == info["oci_manifest_digest"]
    else:  # docker save writes no manifest digest: the config's, the image id
        inspect = run(bulwark, "image", "inspect", FORMS[form].format(d=images, n=name), check=0).stdout
        assert f"Config        {root['versionInfo']}" in inspect
    os_pkg = [p for p in pkgs.values() if p.get("primaryPackagePurpose") == "OPERATING_SYSTEM"]
    assert [(p["name"], p["versionInfo"]) for p in os_pkg] == [("debian", "12")]
    debs = [p for p in pkgs.values() if p.get("externalRefs", [{}])[0].get("referenceLocator", "")
            .startswith("pkg:deb/")]
    assert len(debs) == int(info["dpkg_packages"])
    on_os = {r["relatedSpdxElement"] for r in doc["relationships"] if r["spdxElementId"] == os_pkg[0]["SPDXID"]}
    assert {p["SPDXID"] for p in debs} == on_os


def test_image_command_sbom_validates(bulwark, images):
    ref = f"oci:{images}/debian-multi.oci:v1"
    doc = spdx_of(bulwark, "image", "--scanners", "none", ref)
    check_document(doc)
    again = spdx_of(bulwark, "sbom", ref)
    names = sorted((p["name"], p.get("versionInfo")) for p in doc["packages"])
    assert names == sorted((p["name"], p.get("versionInfo")) for p in again["packages"])
    assert len(names) > 300


def test_fs_of_a_project_folder_validates(bulwark, images, tmp_path):
    shutil.copy(images / "debian-multi.package-lock.json", tmp_path / "package-lock.json")
    (tmp_path / "Cargo.lock").write_text('version = 3\n\n[[package]]\nname = "syn"\nversion = "1.0.73"\n')
    (tmp_path / "go.mod").write_text("module example.com/x\n\ngo 1.22\n\nrequire github.com/pkg/errors v0.9.1\n")
    (tmp_path / "Pipfile.lock").write_text('{"default": {"six": {"version": "==1.16.0"}}, "develop": {}}')
    (tmp_path / "composer.lock").write_text('{"packages": [{"name": "a/b", "version": "1.0.0"}]}')
    (tmp_path / "app").mkdir()
    (tmp_path / "app/requirements.txt").write_bytes(b"caf\xe9==1.0\nrequests==2.31.0\n")
    site = tmp_path / "venv/lib/python3.11/site-packages"
    for pkg, lic in (("alpha", b"GPL \xe9dition"), ("beta", b"GPL/"), ("gamma", b"MIT OR Apache-2.0"),
                     ("delta", b"GPL \xe9dition")):
        (site / f"{pkg}-1.0.dist-info").mkdir(parents=True)
        (site / f"{pkg}-1.0.dist-info/METADATA").write_bytes(
            b"Metadata-Version: 2.1\nName: %s\nVersion: 1.0\nLicense: %s\n\n" % (pkg.encode(), lic))
    doc = spdx_of(bulwark, "fs", str(tmp_path))
    pkgs = check_document(doc)
    by_name = {}
    for p in pkgs.values():
        by_name.setdefault(p["name"], []).append(p)
    for want in ("syn", "github.com/pkg/errors", "six", "a/b", "requests", "express", "lodash", "alpha"):
        assert want in by_name, want
    # Bytes that are not UTF-8 stay in the name instead of dropping it.
    assert "caf\u00e9" in by_name
    # A licence that is no SPDX expression is a LicenseRef with its text.
    extracted = {e["licenseId"]: e["extractedText"] for e in doc["hasExtractedLicensingInfos"]}
    alpha, beta = by_name["alpha"][0]["licenseDeclared"], by_name["beta"][0]["licenseDeclared"]
    assert extracted[alpha] == "GPL \u00e9dition" and extracted[beta] == "GPL/"
    assert alpha != beta and by_name["delta"][0]["licenseDeclared"] == alpha
    assert len(extracted) == 2
    assert by_name["gamma"][0]["licenseDeclared"] == "MIT OR Apache-2.0"
    root = pkgs[doc["documentDescribes"][0]]
    assert root["primaryPackagePurpose"] == "SOURCE"


# Licence strings as packages declare them, and what SPDX 2.3 output makes
# of them: an expression over the SPDX licence list in the list's spelling,
# else (None) a LicenseRef- declared with the text.
LICENCES = [
    ("MIT", "MIT"),
    ("mit", "MIT"),
    ("(MIT OR apache-2.0)  AND BSD-3-Clause", "(MIT OR Apache-2.0) AND BSD-3-Clause"),
    ("GPL-2.0+ WITH Classpath-exception-2.0", "GPL-2.0+ WITH Classpath-exception-2.0"),
    ("GPL-2.0-or-later", "GPL-2.0-or-later"),
    ("BSD", None),                     # no such id
    ("GPLv2+", None),                  # rpm's spelling
    ("GPL-2", None),                   # Debian's
    ("(MIT", None),                    # unbalanced
    ("MIT AND", None),
    ("MIT and Apache-2.0", None),      # operators are upper case
    ("MIT WITH MIT", None),            # WITH takes an exception
    ("(MIT OR Apache-2.0) WITH Classpath-exception-2.0", None),
    ("LicenseRef-foo", None),          # this document would not declare it
]


def test_licences_are_spdx_expressions_or_declared_refs(bulwark, tmp_path):
    site = tmp_path / "site-packages"
    for i, (lic, _) in enumerate(LICENCES):
        (site / f"p{i}-1.0.dist-info").mkdir(parents=True)
        (site / f"p{i}-1.0.dist-info/METADATA").write_text(
            f"Metadata-Version: 2.1\nName: p{i}\nVersion: 1.0\nLicense: {lic}\n\n")
    doc = spdx_of(bulwark, "fs", str(tmp_path))
    check_document(doc)
    got = {p["name"]: p["licenseDeclared"] for p in doc["packages"] if "licenseDeclared" in p}
    extracted = {e["licenseId"]: e["extractedText"] for e in doc.get("hasExtractedLicensingInfos", [])}
    for i, (lic, want) in enumerate(LICENCES):
        if want:
            assert got[f"p{i}"] == want, lic
        else:
            assert got[f"p{i}"].startswith("LicenseRef-") and extracted[got[f"p{i}"]] == lic, lic
    assert len(extracted) == sum(w is None for _, w in LICENCES)


def test_schema_is_the_official_draft_07_one():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(schemas.SPDX.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    assert schema["$id"] == "http://spdx.org/rdf/terms/2.3" and schema["title"] == "SPDX 2.3"
    purposes = schema["properties"]["packages"]["items"]["properties"]["primaryPackagePurpose"]["enum"]
    assert "OPERATING_SYSTEM" in purposes and "OPERATING-SYSTEM" not in purposes


@pytest.fixture(scope="module")
def minbase(bulwark, images):
    return spdx_of(bulwark, "sbom", f"oci:{images}/debian-minbase.oci:v1")


@pytest.mark.parametrize("breakage", [
    ("drop the name of a package", lambda d: d["packages"][1].pop("name")),
    ("drop downloadLocation", lambda d: d["packages"][2].pop("downloadLocation")),
    ("a purpose with a dash", lambda d: d["packages"][1].update(primaryPackagePurpose="OPERATING-SYSTEM")),
    ("a made-up reference category",
     lambda d: d["packages"][2]["externalRefs"][0].update(referenceCategory="PACKAGE_MANAGER_X")),
    ("a made-up relationship", lambda d: d["relationships"][0].update(relationshipType="HAS")),
    ("a relationship without its type", lambda d: d["relationships"][0].pop("relationshipType")),
    ("a checksum algorithm spelt SHA-256",
     lambda d: d["packages"][0].update(checksums=[{"algorithm": "SHA-256", "checksumValue": "00"}])),
    ("no creators", lambda d: d["creationInfo"].update(creators=[])),
    ("a field SPDX does not have", lambda d: d.update(bomFormat="CycloneDX")),
], ids=lambda b: b[0])
def test_broken_document_fails_the_schema(minbase, breakage):
    """The check itself can fail: a document broken on purpose does."""
    doc = copy.deepcopy(minbase)
    assert not schemas.errors("spdx", doc)
    breakage[1](doc)
    assert schemas.errors("spdx", doc)
