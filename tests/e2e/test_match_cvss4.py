# SPDX-License-Identifier: Apache-2.0
"""CVSS v4.0 in the advisory store and the reports: a record that carries
only a CVSS_V4 vector is rated by its v4.0 score (severity_source "cvss4"),
after the distro's and the advisory's own ratings and the CVSS v3 score;
both vectors and scores reach JSON, SARIF and CycloneDX (method CVSSv4).

Expected scores are not bulwark's: FIRST's published scores for the
vectors named in tests/unit/test-cvss.c, and for the three RUSTSEC vectors
of ../shared/vulndata the score @pandatix/js-cvss 0.4.4 (an independent
implementation of FIRST's calculator) gives."""
import json
import sqlite3
import zipfile

import pytest

import imgcraft
import schemas
from conftest import run

FULL = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"  # 9.3 (FIRST)
EU = "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:U"  # 4.1 (FIRST)
V3 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:N/A:N"  # 4.3


def rec(rid, name, sev=(), rating=None):
    r = {"id": rid, "modified": "2025-01-01T00:00:00Z",
         "affected": [{"package": {"ecosystem": "crates.io", "name": name},
                       "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "9.0.0"}]}]}]}
    if sev:
        r["severity"] = [{"type": t, "score": s} for t, s in sev]
    if rating:
        r["database_specific"] = {"severity": rating}
    return r


def cargo_image(dest, pkgs):
    lock = "version = 3\n" + "".join(f'\n[[package]]\nname = "{n}"\nversion = "{v}"\n' for n, v in pkgs)
    return imgcraft.oci_layout(dest, [imgcraft.tar_bytes([("app", "dir", None),
                                                          ("app/Cargo.lock", "file", lock)])])


def scan(bulwark, db, ref, fmt):
    return json.loads(run(bulwark, "vuln", "--db", db, "-f", fmt, ref, check=0).stdout)


@pytest.fixture(scope="module")
def crafted(bulwark, tmp_path_factory):
    d = tmp_path_factory.mktemp("cvss4")
    recs = [
        rec("RUSTSEC-2099-0001", "only-v4", [("CVSS_V4", FULL)]),
        rec("RUSTSEC-2099-0002", "only-v4-eu", [("CVSS_V4", EU)]),
        rec("RUSTSEC-2099-0003", "both", [("CVSS_V4", FULL), ("CVSS_V3", V3)]),
        rec("GHSA-aaaa-bbbb-0004", "rated", [("CVSS_V4", FULL)], rating="LOW"),
        rec("RUSTSEC-2099-0005", "broken-v4", [("CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H")]),
    ]
    src = d / "osv"
    src.mkdir()
    for r in recs:
        (src / (r["id"] + ".json")).write_text(json.dumps(r))
    imp = run(bulwark, "db", "import", "--db", d / "c.db", src, check=0)
    ref = cargo_image(d / "img", [(r["affected"][0]["package"]["name"], "1.0.0") for r in recs])
    return d / "c.db", ref, imp


def test_import_stores_both_vectors_and_scores(crafted):
    db, _, imp = crafted
    # The malformed vector is named with its record and kept without a score.
    assert "RUSTSEC-2099-0005" in imp.stderr and "`VI` is missing" in imp.stderr
    c = sqlite3.connect(db)
    rows = {r[0]: r[1:] for r in c.execute("SELECT id, cvss3, cvss3_score, cvss4, cvss4_score FROM advisory")}
    assert rows["RUSTSEC-2099-0001"] == (None, None, FULL, 9.3)
    assert rows["RUSTSEC-2099-0002"] == (None, None, EU, 4.1)
    assert rows["RUSTSEC-2099-0003"] == (V3, 4.3, FULL, 9.3)
    assert rows["RUSTSEC-2099-0005"][2:] == ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H", None)


def test_severity_order_and_json(bulwark, crafted):
    db, ref, _ = crafted
    got = {f["id"]: f for f in scan(bulwark, db, ref, "json")["findings"]}
    f = got["RUSTSEC-2099-0001"]
    assert (f["severity"], f["severity_source"], f["cvss4"], f["cvss4_score"]) == ("CRITICAL", "cvss4", FULL, 9.3)
    assert f["cvss"] is None and f["cvss_score"] is None
    f = got["RUSTSEC-2099-0002"]
    assert (f["severity"], f["severity_source"], f["cvss4_score"]) == ("MEDIUM", "cvss4", 4.1)
    # v3 comes before v4.
    f = got["RUSTSEC-2099-0003"]
    assert (f["severity"], f["severity_source"], f["cvss_score"], f["cvss4_score"]) == ("MEDIUM", "cvss", 4.3, 9.3)
    # The advisory's own rating comes before both.
    f = got["GHSA-aaaa-bbbb-0004"]
    assert (f["severity"], f["severity_source"], f["cvss4_score"]) == ("LOW", "advisory", 9.3)
    # A vector that does not score rates nothing.
    f = got["RUSTSEC-2099-0005"]
    assert (f["severity"], f["severity_source"], f["cvss4_score"]) == ("UNKNOWN", None, None)


def test_cyclonedx_ratings(bulwark, crafted):
    db, ref, _ = crafted
    doc = scan(bulwark, db, ref, "cyclonedx")
    schemas.assert_valid("cyclonedx", doc)
    v = {x["id"]: x for x in doc["vulnerabilities"]}
    r = [x for x in v["RUSTSEC-2099-0001"]["ratings"] if x.get("method") == "CVSSv4"]
    assert r and r[0]["score"] == 9.3 and r[0]["severity"] == "critical" and r[0]["vector"] == FULL
    methods = {x.get("method"): x.get("score") for x in v["RUSTSEC-2099-0003"]["ratings"]}
    assert methods == {"CVSSv31": 4.3, "CVSSv4": 9.3}


def test_sarif_properties(bulwark, crafted):
    db, ref, _ = crafted
    doc = scan(bulwark, db, ref, "sarif")
    schemas.assert_valid("sarif", doc)
    rules = {r["id"]: r["properties"] for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    p = rules["RUSTSEC-2099-0002"]
    assert p["cvssv40_vector"] == EU and p["cvssv40_score"] == 4.1 and p["security-severity"] == "5.5"
    p = rules["RUSTSEC-2099-0003"]
    assert p["cvssv3_baseScore"] == 4.3 and p["cvssv40_score"] == 9.3 and p["security-severity"] == "5.5"


# RUSTSEC records of the shared crates.io zip that carry only a v4.0 vector
# and no other rating; scores from @pandatix/js-cvss 0.4.4.
RUSTSEC_V4 = {
    "RUSTSEC-2024-0445": ("cap-primitives", "3.4.0", 2.3, "LOW"),
    "RUSTSEC-2025-0138": ("deno", "2.2.4", 5.5, "MEDIUM"),
    "RUSTSEC-2025-0149": ("below", "0.8.0", 7.3, "HIGH"),
}


def test_shared_rustsec_v4_only_records(bulwark, shared, tmp_path):
    z = shared / "vulndata" / "osv" / "crates.io" / "all.zip"
    if not z.exists():
        pytest.skip("no shared vulndata")
    with zipfile.ZipFile(z) as zf:
        for rid in RUSTSEC_V4:
            r = json.loads(zf.read(rid + ".json"))
            types = {s["type"] for s in r.get("severity", [])}
            assert types == {"CVSS_V4"} and not (r.get("database_specific") or {}).get("severity")
    run(bulwark, "db", "import", "--db", tmp_path / "r.db", z, check=0)
    ref = cargo_image(tmp_path / "img", [(n, v) for n, v, _, _ in RUSTSEC_V4.values()])
    got = {f["id"]: f for f in scan(bulwark, tmp_path / "r.db", ref, "json")["findings"]}
    for rid, (name, _, score, sev) in RUSTSEC_V4.items():
        f = got[rid]
        assert (f["package"], f["severity_source"], f["cvss4_score"], f["severity"]) == (name, "cvss4", score, sev)
