# SPDX-License-Identifier: Apache-2.0
"""--vex with OpenVEX documents written here per the OpenVEX spec (v0.2.0,
and the v0.0.x shape older tools write): not_affected and fixed statements
suppress the findings they cover, by vulnerability id or alias, for the
image (by digest PURL, digest or reference) and its subcomponents, or for a
package PURL; affected and under_investigation suppress nothing; a later
statement supersedes an earlier one."""
import json

import pytest

import schemas
import vulnfix
from conftest import run

CTX = "https://openvex.dev/ns/v0.2.0"


@pytest.fixture(scope="module")
def ctx(bulwark, images, shared, tmp_path_factory):
    db = vulnfix.advisory_db(bulwark, shared, tmp_path_factory)
    scan = vulnfix.direct_scan(bulwark, db, images)
    ref = vulnfix.image_ref(images)
    digest = json.loads(run(bulwark, "image", "inspect", "-f", "json", ref, check=0).stdout)["manifest_digest"]
    return {"db": db, "ref": ref, "scan": scan, "digest": digest}


def vex_doc(statements, version="v0.2.0"):
    return {"@context": f"https://openvex.dev/ns/{version}", "@id": "https://example.com/vex/test-1",
            "author": "bulwark tests", "timestamp": "2024-01-01T00:00:00Z", "version": 1,
            "statements": statements}


def scan(bulwark, ctx, tmp_path, *docs, fmt="json", check=0):
    args = []
    for i, d in enumerate(docs):
        p = tmp_path / f"vex{i}.json"
        p.write_text(json.dumps(d) if not isinstance(d, str) else d)
        args += ["--vex", p]
    p = run(bulwark, "image", "--scanners", "vuln", "--db", ctx["db"], "-f", fmt, *args, ctx["ref"],
            check=check)
    return p


def shared_source_cve(ctx):
    """A CVE found in both libssl3 and openssl (one source package)."""
    by = {}
    for f in ctx["scan"]["findings"]:
        if f["package"] in ("libssl3", "openssl"):
            by.setdefault(f["id"], {})[f["package"]] = f
    ids = sorted(i for i, v in by.items() if len(v) == 2)
    assert ids, "debian-multi has openssl advisories on both binaries"
    return by[ids[0]]


def aliased_go(ctx):
    for f in ctx["scan"]["findings"]:
        if f["type"] == "golang" and any(a.startswith("CVE-") for a in f["aliases"]):
            return f
    pytest.fail("no Go finding with a CVE alias")


def without_qualifiers(purl):
    return purl.split("?")[0]


def test_subcomponent_and_alias_statements_suppress(bulwark, ctx, tmp_path):
    ssl = shared_source_cve(ctx)
    lib = ssl["libssl3"]
    go = aliased_go(ctx)
    cve = [a for a in go["aliases"] if a.startswith("CVE-")][0]
    image_purl = f"pkg:oci/debian-multi@{ctx['digest'].replace(':', '%3A')}?repository_url=localhost/debian-multi"
    doc = vex_doc([
        {"vulnerability": {"name": lib["id"]},
         "products": [{"@id": image_purl,
                       "subcomponents": [{"@id": without_qualifiers(lib["purl"])}]}],
         "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"},
        {"vulnerability": {"@id": f"https://nvd.nist.gov/vuln/detail/{cve}", "name": cve},
         "products": [{"@id": go["purl"]}], "status": "fixed"},
    ])
    p = scan(bulwark, ctx, tmp_path, doc)
    out = json.loads(p.stdout)
    sup = {(f["package"], f["id"]) for f in out["suppressed"]}
    go_same = {(f["package"], f["id"]) for f in ctx["scan"]["findings"]
               if f["purl"] == go["purl"] and f["id"] == go["id"]}
    assert sup == {("libssl3", lib["id"])} | go_same
    shown = {(f["package"], f["id"]) for f in out["findings"]}
    assert ("openssl", lib["id"]) in shown, "only the named subcomponent is suppressed"
    assert len(out["findings"]) + len(out["suppressed"]) == len(ctx["scan"]["findings"])
    v = [f for f in out["suppressed"] if f["package"] == "libssl3"][0]["vex"]
    assert v["status"] == "not_affected" and v["statement"] == 1


def test_cyclonedx_keeps_suppressed_with_analysis(bulwark, ctx, tmp_path):
    lib = shared_source_cve(ctx)["libssl3"]
    doc = vex_doc([{"vulnerability": {"name": lib["id"]}, "products": [{"@id": ctx["digest"]}],
                    "status": "not_affected", "justification": "vulnerable_code_not_present"}])
    bom = json.loads(scan(bulwark, ctx, tmp_path, doc, fmt="cyclonedx").stdout)
    schemas.assert_valid("cyclonedx", bom)
    an = [v for v in bom["vulnerabilities"] if v["id"] == lib["id"] and "analysis" in v]
    assert len(an) == 1
    assert an[0]["analysis"]["state"] == "not_affected"
    assert an[0]["analysis"]["justification"] == "code_not_present"
    assert all(a["versions"][0]["status"] == "unaffected" for a in an[0]["affects"])
    assert not [v for v in bom["vulnerabilities"] if v["id"] == lib["id"] and "analysis" not in v]
    sarif = json.loads(scan(bulwark, ctx, tmp_path, doc, fmt="sarif").stdout)
    assert lib["id"] not in {r["ruleId"] for r in sarif["runs"][0]["results"]}


def test_affected_and_under_investigation_do_not_suppress(bulwark, ctx, tmp_path):
    lib = shared_source_cve(ctx)["libssl3"]
    doc = vex_doc([
        {"vulnerability": {"name": lib["id"]}, "products": [{"@id": ctx["ref"]}], "status": "affected",
         "action_statement": "upgrade"},
        {"vulnerability": {"name": aliased_go(ctx)["id"]}, "products": [{"@id": ctx["ref"]}],
         "status": "under_investigation"},
    ])
    out = json.loads(scan(bulwark, ctx, tmp_path, doc).stdout)
    assert out["suppressed"] == [] and len(out["findings"]) == len(ctx["scan"]["findings"])


def test_other_image_or_package_is_not_covered(bulwark, ctx, tmp_path):
    lib = shared_source_cve(ctx)["libssl3"]
    other = "pkg:oci/debian-multi@sha256%3A" + "0" * 64
    doc = vex_doc([
        {"vulnerability": {"name": lib["id"]}, "products": [{"@id": other}], "status": "not_affected",
         "justification": "component_not_present"},
        {"vulnerability": {"name": lib["id"]}, "products": [{"@id": "pkg:deb/debian/libssl3@0.0.1-1"}],
         "status": "not_affected", "justification": "component_not_present"},
    ])
    out = json.loads(scan(bulwark, ctx, tmp_path, doc).stdout)
    assert out["suppressed"] == []


def test_later_statement_supersedes_and_vex_is_repeatable(bulwark, ctx, tmp_path):
    lib = shared_source_cve(ctx)["libssl3"]
    first = vex_doc([{"vulnerability": {"name": lib["id"]}, "products": [{"@id": lib["purl"]}],
                      "status": "not_affected", "justification": "component_not_present"}])
    later = vex_doc([{"vulnerability": {"name": lib["id"]}, "products": [{"@id": lib["purl"]}],
                      "status": "affected"}])
    out = json.loads(scan(bulwark, ctx, tmp_path, first).stdout)
    assert [(f["package"], f["id"]) for f in out["suppressed"]] == [("libssl3", lib["id"])]
    out = json.loads(scan(bulwark, ctx, tmp_path, first, later).stdout)
    assert out["suppressed"] == []


def test_openvex_v0_0_x_shape(bulwark, ctx, tmp_path):
    go = aliased_go(ctx)
    doc = vex_doc([{"vulnerability": go["id"], "products": [ctx["ref"]],
                    "subcomponents": [without_qualifiers(go["purl"])], "status": "not_affected",
                    "justification": "inline_mitigations_already_exist"}], version="v0.0.1")
    out = json.loads(scan(bulwark, ctx, tmp_path, doc).stdout)
    assert {f["id"] for f in out["suppressed"]} == {go["id"]}
    assert {f["purl"] for f in out["suppressed"]} == {go["purl"]}


def test_exit_code_counts_only_what_is_shown(bulwark, ctx, tmp_path):
    stmts = [{"vulnerability": {"name": i}, "products": [{"@id": ctx["ref"]}], "status": "fixed"}
             for i in sorted({f["id"] for f in ctx["scan"]["findings"]})]
    p = scan(bulwark, ctx, tmp_path, vex_doc(stmts), fmt="table", check=None)
    p2 = run(bulwark, "image", "--scanners", "vuln", "--db", ctx["db"], "--exit-code", "4", "--vex",
             tmp_path / "vex0.json", ctx["ref"])
    assert p2.returncode == 0, p2.stderr
    assert "Total: 0 (" in p2.stdout and f"Suppressed by VEX: {len(ctx['scan']['findings'])}" in p2.stdout


@pytest.mark.parametrize("text,msg", [
    ("{not json", "line 1"),
    (json.dumps({"statements": []}), "not an OpenVEX document"),
    (json.dumps(vex_doc([{"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "x"}],
                          "status": "maybe"}])), "statement 1: unknown status"),
    (json.dumps(vex_doc([{"vulnerability": {"name": "CVE-1"}, "status": "fixed"}])), "statement 1: no products"),
    (json.dumps(vex_doc([{"products": [{"@id": "x"}], "status": "fixed"}])), "no vulnerability"),
])
def test_bad_vex_is_an_input_error(bulwark, ctx, tmp_path, text, msg):
    p = scan(bulwark, ctx, tmp_path, text, check=None)
    assert p.returncode == 3, (p.returncode, p.stderr)
    assert "vex0.json" in p.stderr and msg in p.stderr
    assert p.stdout == ""


def test_missing_vex_file(bulwark, ctx, tmp_path):
    p = run(bulwark, "image", "--scanners", "vuln", "--db", ctx["db"], "--vex", tmp_path / "nope.json",
            ctx["ref"])
    assert p.returncode != 0 and "nope.json" in p.stderr
