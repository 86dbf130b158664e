# SPDX-License-Identifier: Apache-2.0
"""Vulnerability reports of debian-multi in every format: SARIF 2.1.0 and
CycloneDX 1.6 checked against their official JSON schemas (fetched from npm
by scripts/fetch-schemas), JUnit read back with an XML parser, and the
table, --output and --exit-code gates; also the SBOM and config commands'
SARIF, CycloneDX and SPDX outputs against the same schemas (SPDX 2.3's
from tests/data/schemas)."""
import json
import pathlib
import xml.etree.ElementTree as ET

import pytest

import schemas
import vulnfix
from conftest import run

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ctx(bulwark, images, shared, tmp_path_factory):
    db = vulnfix.advisory_db(bulwark, shared, tmp_path_factory)
    scan = vulnfix.direct_scan(bulwark, db, images)
    assert len(scan["findings"]) > 100, "debian-multi should have many findings"
    return {"db": db, "ref": vulnfix.image_ref(images), "scan": scan}


def report(bulwark, ctx, fmt, *extra, check=0):
    p = run(bulwark, "image", "--scanners", "vuln", "--db", ctx["db"], "-f", fmt, *extra, ctx["ref"],
            check=check)
    return p.stdout


def test_sarif_validates_and_covers_every_finding(bulwark, ctx):
    doc = json.loads(report(bulwark, ctx, "sarif"))
    schemas.assert_valid("sarif", doc)
    run_ = doc["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    results = run_["results"]
    assert len(results) == len(ctx["scan"]["findings"])
    assert {r["id"] for r in rules} == {f["id"] for f in ctx["scan"]["findings"]}
    for res in results:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert not uri.startswith("/") and " " not in uri
    sev = {f["id"]: f["severity"] for f in ctx["scan"]["findings"]}
    for r in rules:
        want = {"CRITICAL": "9.5", "HIGH": "8.0", "MEDIUM": "5.5", "LOW": "2.0"}.get(sev[r["id"]], "0.0")
        assert r["properties"]["security-severity"] == want


def test_cyclonedx_validates_and_links_findings_to_components(bulwark, ctx):
    doc = json.loads(report(bulwark, ctx, "cyclonedx"))
    schemas.assert_valid("cyclonedx", doc)
    assert doc["specVersion"] == "1.6"
    comps = {c["bom-ref"]: c for c in doc["components"]}
    got = set()
    for v in doc["vulnerabilities"]:
        assert v["ratings"] and all("severity" in r for r in v["ratings"])
        assert v["source"]["name"] and v["source"]["url"].endswith(v["id"])
        for a in v["affects"]:
            c = comps[a["ref"]]
            assert a["versions"][0]["status"] == "affected"
            got.add((c.get("purl"), v["id"]))
    want = {(f["purl"], f["id"]) for f in ctx["scan"]["findings"]}
    assert got == want
    # The distro's own rating is a rating of its own, method "other".
    deb = [f for f in ctx["scan"]["findings"] if f["severity_source"] == "debian"]
    assert deb, "debian-multi has findings rated by Debian"
    byid = {v["id"]: v for v in doc["vulnerabilities"]}
    f = deb[0]
    r = [r for r in byid[f["id"]]["ratings"] if r.get("source", {}).get("name") == "debian"][0]
    assert r["method"] == "other" and r["severity"] == f["severity"].lower().replace("negligible", "info")


def test_junit_one_suite_per_target_one_failure_per_finding(bulwark, ctx):
    root = ET.fromstring(report(bulwark, ctx, "junit"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    findings = ctx["scan"]["findings"]
    assert sum(int(s.get("failures")) for s in suites) == len(findings)
    assert sum(len(s.findall("testcase")) for s in suites) == len(findings)
    os_suite = suites[0]
    assert os_suite.get("name").endswith("(debian 12)")
    n_os = sum(1 for f in findings if f["type"] == "deb")
    assert int(os_suite.get("tests")) == n_os
    lang_files = {f["location"] for f in findings if f["type"] != "deb"}
    assert {s.get("name") for s in suites[1:]} == lang_files
    for s in suites:
        for tc in s.findall("testcase"):
            assert tc.find("failure") is not None
            assert tc.get("name").startswith("[")
    names = {tc.get("name") for s in suites for tc in s.findall("testcase")}
    assert {f"[{f['severity']}] {f['id']}" for f in findings} == names


def test_junit_without_findings_still_has_the_target(bulwark, ctx, tmp_path):
    ign = tmp_path / "ignore"
    ign.write_text("".join(f"{f['id']}\n" for f in ctx["scan"]["findings"]))
    root = ET.fromstring(report(bulwark, ctx, "junit", "--ignorefile", ign))
    suites = root.findall("testsuite")
    assert len(suites) == 1 and suites[0].get("tests") == "0" and suites[0].get("failures") == "0"


def test_table_counts_and_output_file(bulwark, ctx, tmp_path):
    out = tmp_path / "r.txt"
    p = run(bulwark, "image", "--scanners", "vuln", "--db", ctx["db"], "-o", out, ctx["ref"], check=0)
    assert p.stdout == ""
    text = out.read_text()
    assert f"Total: {len(ctx['scan']['findings'])} (" in text
    assert "(debian 12)" in text.splitlines()[0]


def test_exit_code_follows_severity_filter(bulwark, ctx):
    findings = ctx["scan"]["findings"]
    crit = [f for f in findings if f["severity"] == "CRITICAL"]
    p = run(bulwark, "image", "--scanners", "vuln", "--db", ctx["db"], "-f", "json", "--severity",
            "CRITICAL", "--exit-code", "7", ctx["ref"])
    assert p.returncode == (7 if crit else 0), p.stderr
    assert len(json.loads(p.stdout)["findings"]) == len(crit)
    p = run(bulwark, "image", "--scanners", "vuln", "--db", ctx["db"], "--severity", "UNKNOWN,LOW",
            "--exit-code", "9", "--ignore-unfixed", "-f", "json", ctx["ref"])
    shown = json.loads(p.stdout)["findings"]
    assert all(f["fixed_version"] and f["severity"] in ("UNKNOWN", "LOW") for f in shown)
    assert p.returncode == (9 if shown else 0)


def test_vuln_command_takes_the_same_formats(bulwark, ctx):
    p = run(bulwark, "vuln", "--db", ctx["db"], "-f", "cyclonedx", ctx["ref"], check=0)
    schemas.assert_valid("cyclonedx", json.loads(p.stdout))
    p = run(bulwark, "vuln", "--db", ctx["db"], "-f", "xml", ctx["ref"], check=2)
    assert "unknown format" in p.stderr


def test_sbom_outputs_validate(bulwark, images):
    for cmd in (("sbom",), ("image", "--scanners", "none")):
        for fmt, kind in (("cyclonedx", "cyclonedx"), ("spdx-json", "spdx")):
            p = run(bulwark, *cmd, "-f", fmt, f"oci:{images}/debian-multi.oci:v1", check=0)
            schemas.assert_valid(kind, json.loads(p.stdout))


def test_config_sarif_validates(bulwark, images):
    data = ROOT / "tests" / "data" / "config"
    p = run(bulwark, "config", "-f", "sarif", data)
    assert p.returncode in (0, 3), p.stderr
    doc = json.loads(p.stdout)
    assert doc["runs"][0]["results"], "the config fixtures have findings"
    schemas.assert_valid("sarif", doc)
    p = run(bulwark, "image", "--scanners", "config", "-f", "sarif", f"oci:{images}/debian-multi.oci:v1")
    schemas.assert_valid("sarif", json.loads(p.stdout))


def test_schema_check_catches_a_broken_document(bulwark, ctx):
    """The validation itself can fail: a report with a bad severity does."""
    doc = json.loads(report(bulwark, ctx, "cyclonedx"))
    doc["vulnerabilities"][0]["ratings"][0]["severity"] = "severe"
    assert schemas.errors("cyclonedx", doc)
    sarif = json.loads(report(bulwark, ctx, "sarif"))
    sarif["runs"][0]["results"][0]["level"] = "fatal"
    assert schemas.errors("sarif", sarif)
