# SPDX-License-Identifier: Apache-2.0
"""Alpine secdb imported natively gives the same findings as OSV's Alpine
records for the same CVEs; malicious-package records are CRITICAL."""
import json
import zipfile

import pytest

import imgcraft
from conftest import run

# An Alpine 3.18 image's apk database: binary package, version, origin.
APKS = [
    ("libcrypto3", "3.1.0-r0", "openssl"),
    ("libssl3", "3.1.0-r0", "openssl"),
    ("busybox", "1.36.0-r0", "busybox"),
    ("curl", "8.0.0-r0", "curl"),
    ("libcurl", "8.0.0-r0", "curl"),
    ("zlib", "1.2.13-r0", "zlib"),
    ("musl", "1.2.4-r0", "musl"),
    ("libexpat", "2.5.0-r0", "expat"),
    ("libxml2", "2.11.3-r0", "libxml2"),
    ("apk-tools", "2.14.0-r0", "apk-tools"),
    ("ncurses-libs", "6.4_p20230506-r0", "ncurses"),
    ("sqlite-libs", "3.41.2-r0", "sqlite"),
]


def alpine_image(dest):
    installed = "".join(f"P:{p}\nV:{v}\nA:x86_64\no:{o}\n\n" for p, v, o in APKS)
    layer = imgcraft.tar_bytes([
        ("etc", "dir", None),
        ("etc/os-release", "file", 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.18.4\n'),
        ("lib", "dir", None), ("lib/apk", "dir", None), ("lib/apk/db", "dir", None),
        ("lib/apk/db/installed", "file", installed),
    ])
    return imgcraft.oci_layout(dest, [layer])


def findings(bulwark, db, ref):
    doc = json.loads(run(bulwark, "vuln", "--db", db, "-f", "json", ref, check=0).stdout)
    return doc["findings"]


def cve_of(f):
    ids = [f["id"]] + f["aliases"]
    cves = sorted({i.replace("ALPINE-", "") for i in ids if i.replace("ALPINE-", "").startswith("CVE-")})
    return cves[0] if cves else None


def test_secdb_matches_osv_alpine(bulwark, shared, tmp_path):
    secdb = shared / "vulndata" / "native" / "alpine-secdb" / "secdb.zip"
    osv = shared / "vulndata" / "osv" / "Alpine" / "all.zip"
    if not secdb.exists():
        pytest.skip("no shared vulndata")
    ref = alpine_image(tmp_path / "alpine.oci")
    r = run(bulwark, "db", "import", "--db", tmp_path / "sec.db", secdb, check=0)
    run(bulwark, "db", "import", "--db", tmp_path / "osv.db", osv, check=0)
    info = run(bulwark, "db", "info", "--db", tmp_path / "sec.db", check=0).stdout
    assert "Alpine:v3.18" in info and "Alpine:v3.21" in info
    a = findings(bulwark, tmp_path / "sec.db", ref)
    b = findings(bulwark, tmp_path / "osv.db", ref)
    assert len(a) > 20
    key = lambda f: (f["package"], cve_of(f), f["fixed_version"], f["status"])
    sa = {key(f) for f in a if cve_of(f)}
    sb = {key(f) for f in b if cve_of(f)}
    # Compared where both sources know the CVE.
    both = {k[1] for k in sa} & {k[1] for k in sb}
    assert len(both) > 20
    assert {k for k in sa if k[1] in both} == {k for k in sb if k[1] in both}
    # Origin matching: the openssl advisories reach libssl3 and libcrypto3.
    assert {"libssl3", "libcrypto3"} <= {f["package"] for f in a if f["advisory_package"] == "openssl"}


def test_secdb_zero_means_not_affected(bulwark, tmp_path):
    # Key "0": the package was never affected; a real fix is still reported.
    doc = {"distroversion": "v3.18", "reponame": "main", "packages": [
        {"pkg": {"name": "zlib", "secfixes": {"0": ["CVE-2099-0001"], "1.3-r0": ["CVE-2099-0002 XSA-1"]}}}]}
    p = tmp_path / "main.json"
    p.write_text(json.dumps(doc))
    run(bulwark, "db", "import", "--db", tmp_path / "z.db", p, check=0)
    ref = alpine_image(tmp_path / "img.oci")
    got = findings(bulwark, tmp_path / "z.db", ref)
    assert [(f["id"], f["package"], f["fixed_version"]) for f in got] == [("ALPINE-CVE-2099-0002", "zlib", "1.3-r0")]
    assert set(got[0]["aliases"]) == {"CVE-2099-0002", "XSA-1"}


def test_secdb_without_distroversion_rejected(bulwark, tmp_path):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps({"packages": [{"pkg": {"name": "x", "secfixes": {"1-r0": ["CVE-2099-1"]}}}]}))
    r = run(bulwark, "db", "import", "--db", tmp_path / "b.db", p)
    assert r.returncode == 3 and "bad.json" in r.stderr and "distroversion" in r.stderr
    assert not (tmp_path / "b.db").exists()


def node_image(dest, pkgs):
    entries = [("app", "dir", None), ("app/node_modules", "dir", None)]
    for name, ver in pkgs:
        entries += [(f"app/node_modules/{name}", "dir", None),
                    (f"app/node_modules/{name}/package.json", "file",
                     json.dumps({"name": name, "version": ver}))]
    return imgcraft.oci_layout(dest, [imgcraft.tar_bytes(entries)])


def test_malicious_records_are_critical(bulwark, tmp_path):
    recs = [
        # A MAL record that rates itself LOW: still CRITICAL.
        {"id": "MAL-2099-7", "modified": "2025-01-01T00:00:00Z",
         "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:L"}],
         "database_specific": {"severity": "LOW"},
         "affected": [{"package": {"ecosystem": "npm", "name": "evil-pkg"}, "versions": ["1.0.0"]}]},
        # A GHSA malware advisory, known by its CWE.
        {"id": "GHSA-aaaa-bbbb-cccc", "modified": "2025-01-01T00:00:00Z",
         "database_specific": {"cwe_ids": ["CWE-506"], "severity": "MODERATE"},
         "affected": [{"package": {"ecosystem": "npm", "name": "stealer"},
                       "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}]},
        # An ordinary advisory: the advisory's own rating.
        {"id": "GHSA-dddd-eeee-ffff", "modified": "2025-01-01T00:00:00Z",
         "database_specific": {"severity": "MODERATE"},
         "affected": [{"package": {"ecosystem": "npm", "name": "leftpad"},
                       "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "2.0.0"}]}]}]},
    ]
    src = tmp_path / "osv"
    src.mkdir()
    for r in recs:
        (src / (r["id"] + ".json")).write_text(json.dumps(r))
    run(bulwark, "db", "import", "--db", tmp_path / "m.db", src, check=0)
    ref = node_image(tmp_path / "n.oci", [("evil-pkg", "1.0.0"), ("stealer", "0.1.0"), ("leftpad", "1.0.0")])
    got = {f["id"]: f for f in findings(bulwark, tmp_path / "m.db", ref)}
    assert set(got) == {"MAL-2099-7", "GHSA-aaaa-bbbb-cccc", "GHSA-dddd-eeee-ffff"}
    for i in ("MAL-2099-7", "GHSA-aaaa-bbbb-cccc"):
        assert got[i]["severity"] == "CRITICAL" and got[i]["severity_source"] == "malicious"
    assert got["GHSA-dddd-eeee-ffff"]["severity"] == "MEDIUM"
    assert got["GHSA-dddd-eeee-ffff"]["severity_source"] == "advisory"


def test_osv_mal_records_in_shared_npm_zip(bulwark, shared, tmp_path):
    z = shared / "vulndata" / "osv" / "npm" / "all.zip"
    if not z.exists():
        pytest.skip("no shared vulndata")
    with zipfile.ZipFile(z) as zf:
        name = next(n for n in sorted(zf.namelist()) if n.startswith("MAL-"))
        rec = json.loads(zf.read(name))
    a = next(a for a in rec["affected"] if a["package"]["ecosystem"] == "npm")
    ver = (a.get("versions") or ["1.0.0"])[0]
    (tmp_path / name).write_bytes(json.dumps(rec).encode())
    run(bulwark, "db", "import", "--db", tmp_path / "r.db", tmp_path / name, check=0)
    ref = node_image(tmp_path / "r.oci", [(a["package"]["name"], ver)])
    got = findings(bulwark, tmp_path / "r.db", ref)
    assert [(f["id"], f["severity"], f["severity_source"]) for f in got] == [(rec["id"], "CRITICAL", "malicious")]
