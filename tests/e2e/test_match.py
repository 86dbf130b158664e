# SPDX-License-Identifier: Apache-2.0
"""bulwark image --scanners vuln on debian-multi, against findings computed
independently: the Debian OSV records of ../shared/vulndata read with
zipfile, binary -> source from dpkg-query on a `umoci unpack` of the image,
and Debian's own ordering from `dpkg --compare-versions`. Compared both ways."""
import functools
import json
import pathlib
import shutil
import subprocess
import zipfile

import pytest

from conftest import run

ROOT = pathlib.Path(__file__).resolve().parents[2]
ECO = "Debian:12"
HEADERS = {"linux-libc-dev"}
KERNELS = ("linux-image-",)


@functools.lru_cache(maxsize=None)
def dpkg_lt(a, b):
    """a < b in dpkg ordering, from dpkg itself."""
    return subprocess.run(["dpkg", "--compare-versions", a, "lt", b]).returncode == 0


def osv_affected(version, events):
    """Interval reading of one OSV range: each introduced opens, the next
    fixed / last_affected closes. Returns (affected, fixed version or None)."""
    start = None
    for e in events:
        if "introduced" in e:
            start = e["introduced"]
        elif start is not None and ("fixed" in e or "last_affected" in e):
            lo_ok = start == "0" or not dpkg_lt(version, start)
            if "fixed" in e:
                if lo_ok and dpkg_lt(version, e["fixed"]):
                    return True, e["fixed"]
            elif lo_ok and not dpkg_lt(e["last_affected"], version):
                return True, None
            start = None
    if start is not None and (start == "0" or not dpkg_lt(version, start)):
        return True, None
    return False, None


@pytest.fixture(scope="module")
def setup(bulwark, images, shared, tmp_path_factory):
    for tool in ("umoci", "dpkg", "dpkg-query"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} not installed")
    zpath = shared / "vulndata" / "osv" / "Debian" / "all.zip"
    if not zpath.exists():
        pytest.skip("no shared vulndata")
    d = tmp_path_factory.mktemp("match")
    db = d / "d.db"
    run(bulwark, "db", "import", "--db", db, zpath, check=0)

    subprocess.run(["umoci", "unpack", "--image", f"{images}/debian-multi.oci:v1", str(d / "b")],
                   check=True, capture_output=True)
    admin = d / "b" / "rootfs" / "var" / "lib" / "dpkg"
    out = subprocess.run(["dpkg-query", f"--admindir={admin}", "-W", "-f",
                          "${Package} ${Source} ${Version}\n"],
                         check=True, capture_output=True, text=True).stdout
    pkgs = {}  # binary -> (version, source, source version)
    for line in out.splitlines():
        parts = line.split(" ")
        name, version, mid = parts[0], parts[-1], " ".join(parts[1:-1]).strip()
        src, srcver = name, version
        if mid:
            src = mid.split(" ")[0]
            if "(" in mid:
                srcver = mid[mid.index("(") + 1:mid.index(")")]
        pkgs[name] = (version, src, srcver)

    # Debian:12 affected entries by source package, read straight from the zip.
    by_src = {}
    wanted = {v[1] for v in pkgs.values()}
    with zipfile.ZipFile(zpath) as z:
        for member in z.namelist():
            rec = json.loads(z.read(member))
            if rec.get("withdrawn"):
                continue
            for aff in rec.get("affected", []):
                p = aff.get("package", {})
                if p.get("ecosystem") == ECO and p.get("name") in wanted:
                    by_src.setdefault(p["name"], []).append((rec["id"], aff))

    has_kernel = any(n.startswith(KERNELS) for n in pkgs)
    expected = {}  # (binary, id) -> fixed version or None
    for name, (version, src, srcver) in pkgs.items():
        if name in HEADERS and not has_kernel:
            continue
        for vid, aff in by_src.get(src, []):
            hit, fixed = False, None
            if srcver in aff.get("versions", []):
                hit = True
            for rg in aff.get("ranges", []):
                if rg.get("type") != "ECOSYSTEM":
                    continue
                h, f = osv_affected(srcver, rg["events"])
                if h:
                    hit = True
                    if f and (fixed is None or dpkg_lt(f, fixed)):
                        fixed = f
            if hit:
                key = (name, vid)
                # Several entries of one advisory merge; unfixed wins.
                if key in expected and (expected[key] is None or fixed is None):
                    fixed = None
                expected[key] = fixed

    r = run(bulwark, "image", "--scanners", "vuln", "--db", db, "-f", "json",
            f"oci:{images}/debian-multi.oci:v1")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    return {"db": db, "pkgs": pkgs, "expected": expected, "doc": doc, "by_src": by_src,
            "images": images}


def dpkg_findings(doc):
    return [f for f in doc["findings"] if f["type"] == "deb"]


def test_same_findings_both_ways(setup):
    got = {(f["package"], f["id"]): f for f in dpkg_findings(setup["doc"])}
    exp = setup["expected"]
    missing = sorted(set(exp) - set(got))
    extra = sorted(set(got) - set(exp))
    print(f"expected {len(exp)} produced {len(got)}")
    assert not missing, f"{len(missing)} missing: {missing[:20]}"
    assert not extra, f"{len(extra)} extra: {extra[:20]}"
    assert exp, "no findings at all: the comparison proves nothing"
    for key, fixed in exp.items():
        f = got[key]
        assert f["fixed_version"] == fixed, key
        assert f["status"] == ("fixed" if fixed else f["status"]), key
        if fixed is None:
            assert f["status"] in ("affected", "end-of-life"), key


def test_finding_fields(setup):
    doc = setup["doc"]
    assert doc["os"]["ecosystem"] == ECO
    for f in dpkg_findings(doc):
        assert f["ecosystem"] == ECO
        version, src, srcver = setup["pkgs"][f["package"]]
        assert f["installed_version"] == version
        assert f["advisory_package"] == src
        assert f["matched_version"] == srcver
        assert f["location"] == "/var/lib/dpkg/status"
        assert isinstance(f["layer"], int) and f["layer"] >= 0
        assert isinstance(f["aliases"], list)
        assert f["severity"] in ("UNKNOWN", "NEGLIGIBLE", "LOW", "MEDIUM", "HIGH", "CRITICAL")
        if f["severity"] != "UNKNOWN":
            assert f["severity_source"] in ("debian", "cvss")


def test_binary_and_source_differ(setup):
    """libssl3 is built from openssl: advisories name openssl."""
    pkgs, exp = setup["pkgs"], setup["expected"]
    if "libssl3" not in pkgs:
        pytest.skip("no libssl3 in the image")
    assert pkgs["libssl3"][1] == "openssl"
    ids = {i for (p, i) in exp if p == "libssl3"}
    got = {f["id"] for f in dpkg_findings(setup["doc"]) if f["package"] == "libssl3"}
    assert ids and got == ids
    assert all(f["advisory_package"] == "openssl"
               for f in dpkg_findings(setup["doc"]) if f["package"] == "libssl3")


def test_epoch(setup):
    """Packages whose compared version carries an epoch match exactly as dpkg orders them."""
    pkgs, exp = setup["pkgs"], setup["expected"]
    epoch = [n for n, v in pkgs.items() if ":" in v[2] and setup["by_src"].get(v[1])]
    assert epoch, "no package with an epoch and advisories"
    got = {(f["package"], f["id"]) for f in dpkg_findings(setup["doc"])}
    for n in epoch:
        assert {k for k in exp if k[0] == n} == {k for k in got if k[0] == n}, n
    # At least one of them has a finding, so the epoch is not just parsed
    # but carried through to the report.
    assert any(f["package"] in epoch and ":" in f["installed_version"]
               for f in dpkg_findings(setup["doc"]))


def test_tilde(setup):
    pkgs, exp = setup["pkgs"], setup["expected"]
    tilde = [n for n, v in pkgs.items() if "~" in v[2]]
    if not tilde:
        pytest.skip("no `~` version in the image")
    got = {(f["package"], f["id"]) for f in dpkg_findings(setup["doc"])}
    for n in tilde:
        assert {k for k in exp if k[0] == n} == {k for k in got if k[0] == n}, n
    # dpkg itself agrees that ~ sorts first, the case the comparison hinges on.
    assert dpkg_lt("1.0~rc1", "1.0")


def upstream(v):
    """The upstream part of a Debian version: no epoch, no revision."""
    v = v.split(":", 1)[-1]
    return v.rsplit("-", 1)[0] if "-" in v else v


def test_backported_fix(setup):
    """A Debian security update carries a fix into an older upstream version
    (`+deb12uN`/`~deb12uN`): the advisory's fixed version is that revision,
    upstream-lower than later releases, and the installed package at or past
    it is not reported, while one below it is."""
    pkgs, by_src = setup["pkgs"], setup["by_src"]
    got = {(f["package"], f["id"]) for f in dpkg_findings(setup["doc"])}
    fixed_here = []  # (binary, id): fixed by a deb12u revision the image has
    for name, (version, src, srcver) in pkgs.items():
        if "deb12u" not in srcver:
            continue
        for vid, aff in by_src.get(src, []):
            for rg in aff.get("ranges", []):
                for e in rg.get("events", []):
                    f = e.get("fixed")
                    if f and "deb12u" in f and not dpkg_lt(srcver, f):
                        fixed_here.append((name, vid, f))
    assert fixed_here, "no package of the image carries a backported fix"
    for name, vid, f in fixed_here:
        affected_otherwise = (name, vid) in setup["expected"]
        if not affected_otherwise:
            assert (name, vid) not in got, (name, vid, f)
    # The backported revision sorts below the next upstream release, so a
    # comparison of upstream versions alone would call these affected.
    name, vid, f = fixed_here[0]
    assert dpkg_lt(f, upstream(f) + ".1-1"), f


def test_kernel_headers(setup, bulwark):
    pkgs = setup["pkgs"]
    got = {f["package"] for f in dpkg_findings(setup["doc"])}
    if "linux-libc-dev" in pkgs:
        assert "linux-libc-dev" not in got
    r = run(bulwark, "vuln", "--db", setup["db"], "--include-kernel-headers", "-f", "json",
            f"oci:{setup['images']}/debian-multi.oci:v1", check=0)
    n = len(json.loads(r.stdout)["findings"])
    assert n >= len(setup["doc"]["findings"])


def test_ignore_unfixed_severity_exit_code(setup, bulwark, tmp_path):
    ref = f"oci:{setup['images']}/debian-multi.oci:v1"
    all_ = setup["doc"]["findings"]
    r = run(bulwark, "vuln", "--db", setup["db"], "--ignore-unfixed", "-f", "json", ref, check=0)
    assert all(f["fixed_version"] for f in json.loads(r.stdout)["findings"])
    r = run(bulwark, "vuln", "--db", setup["db"], "--severity", "HIGH,CRITICAL", "-f", "json", ref, check=0)
    sel = json.loads(r.stdout)["findings"]
    assert len(sel) == sum(f["severity"] in ("HIGH", "CRITICAL") for f in all_)
    r = run(bulwark, "vuln", "--db", setup["db"], "--exit-code", "7", ref)
    assert r.returncode == (7 if all_ else 0)
    # An ignorefile drops ids; an expired rule does not.
    if all_:
        ig = tmp_path / "ignore"
        first = all_[0]["id"]
        ig.write_text(f"# test\n{first}\nCVE-0000-0000 exp:2000-01-01\n")
        r = run(bulwark, "vuln", "--db", setup["db"], "--ignorefile", ig, "-f", "json", ref, check=0)
        left = json.loads(r.stdout)["findings"]
        assert first not in {f["id"] for f in left}
        assert len(left) == len(all_) - sum(f["id"] == first for f in all_)


def test_sarif(setup, bulwark):
    r = run(bulwark, "vuln", "--db", setup["db"], "-f", "sarif",
            f"oci:{setup['images']}/debian-multi.oci:v1", check=0)
    doc = json.loads(r.stdout)
    assert doc["version"] == "2.1.0"
    run0 = doc["runs"][0]
    assert len(run0["results"]) == len(setup["doc"]["findings"])
    rules = {x["id"] for x in run0["tool"]["driver"]["rules"]}
    assert {x["ruleId"] for x in run0["results"]} <= rules
    for x in run0["results"]:
        assert x["level"] in ("error", "warning", "note")
        assert x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]


def test_no_database(bulwark, images, tmp_path):
    r = run(bulwark, "image", "--scanners", "vuln", "--db", tmp_path / "none.db",
            f"oci:{images}/debian-multi.oci:v1")
    assert r.returncode != 0
    assert "bulwark db import" in r.stderr
