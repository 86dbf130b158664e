# SPDX-License-Identifier: Apache-2.0
"""rpm distributions: packages matched by source RPM (and, for Red Hat, by
binary RPM too) in the ecosystems OSV files them under, with rpm's own
version order. Crafted OCI images carry real rpm databases from
../shared/corpus/pkgdb (SLE 15 BCI's NDB Packages.db, an EL8 Berkeley DB
Packages holding libuuid, a Packages with an epoch) and the os-release of
the distribution. The OSV records are written by hand in the shape each
distribution publishes (SUSE: ecosystem per product module with a
`binaries` list; Rocky/Alma: source package per major release; Red Hat:
binary RPMs per CPE stream, versions with an explicit epoch); their ids are
crafted (year 2099), the versions around the installed ones.

Expected findings are computed here, independently of bulwark: packages
from the corpus's expected.json (the peers' own test tables), the source
RPM split by hand, and every comparison made by rpm itself
(`rpm --eval '%{lua: print(rpm.vercmp(a, b))}'`)."""
import functools
import json
import re
import shutil
import subprocess

import pytest

import imgcraft
from conftest import run


@functools.lru_cache(maxsize=None)
def vercmp(a, b):
    out = subprocess.run(["rpm", "--eval", f'%{{lua: print(rpm.vercmp("{a}", "{b}"))}}'],
                         capture_output=True, text=True, check=True).stdout.strip()
    return int(out)


@pytest.fixture(scope="module", autouse=True)
def need_rpm():
    if not shutil.which("rpm"):
        pytest.skip("rpm not installed (scripts/install-deps installs it)")


def corpus_pkgs(shared, fixture):
    for e in json.loads((shared / "corpus" / "pkgdb" / "expected.json").read_text()):
        if e["fixture"] == fixture:
            return e["expected"]
    pytest.skip(f"{fixture} not in the corpus sample")


def srpm_split(srpm):
    """name, version-release of a source RPM file name."""
    m = re.fullmatch(r"(.+)-([^-]+)-([^-]+)\.src\.rpm", srpm)
    return m.group(1), f"{m.group(2)}-{m.group(3)}"


def evr(p, vr=None):
    vr = vr or (f"{p['version']}-{p['release']}" if p.get("release") else p["version"])
    return f"{p['epoch']}:{vr}" if p.get("epoch") else vr


def expected(pkgs, records, ecosystems, by_binary=False):
    """(binary package, advisory id, fixed or None) for every affected
    entry of an applicable ecosystem that covers an installed package."""
    out = set()
    for rec in records:
        for aff in rec["affected"]:
            if aff["package"]["ecosystem"] not in ecosystems:
                continue
            for p in pkgs:
                src, src_vr = srpm_split(p["source_rpm"]) if p.get("source_rpm") else (p["name"], None)
                keys = [(src, evr(p, src_vr))]
                if by_binary and p["name"] != src:
                    keys.append((p["name"], evr(p)))
                for name, v in keys:
                    if aff["package"]["name"] != name:
                        continue
                    for rng in aff["ranges"]:
                        ev = {k: x for e in rng["events"] for k, x in e.items()}
                        lo = ev.get("introduced", "0")
                        if (lo == "0" or vercmp(v, lo) >= 0) and ("fixed" not in ev or vercmp(v, ev["fixed"]) < 0):
                            out.add((p["name"], rec["id"], ev.get("fixed")))
    return out


def image(dest, dbpath, dbfile, os_release):
    entries = [("etc", "dir", None), ("etc/os-release", "file", os_release)]
    parts = dbpath.split("/")
    for i in range(1, len(parts)):
        entries.append(("/".join(parts[:i]), "dir", None))
    entries.append((dbpath, "file", dbfile.read_bytes()))
    return imgcraft.oci_layout(dest, [imgcraft.tar_bytes(entries)])


def scan(bulwark, tmp_path, records, ref, *extra):
    src = tmp_path / "osv"
    src.mkdir()
    for r in records:
        (src / (r["id"].replace(":", "_") + ".json")).write_text(json.dumps(r))
    run(bulwark, "db", "import", "--db", tmp_path / "r.db", src, check=0)
    doc = json.loads(run(bulwark, "vuln", "--db", tmp_path / "r.db", "-f", "json", ref, *extra, check=0).stdout)
    return doc


def got_set(doc):
    return {(f["package"], f["id"], f["fixed_version"]) for f in doc["findings"]}


def osv(rid, affected, aliases=()):
    return {"schema_version": "1.6.0", "id": rid, "modified": "2099-01-02T00:00:00Z",
            "published": "2099-01-01T00:00:00Z", "upstream": list(aliases), "summary": "crafted",
            "affected": affected}


def ecos_range(*events):
    return [{"type": "ECOSYSTEM", "events": [dict([e]) for e in events]}]


# ------------------------------------------------------------------ SUSE

SLES_OS = ('NAME="SLES"\nVERSION="15-SP3"\nVERSION_ID="15.3"\nPRETTY_NAME="SUSE Linux Enterprise Server 15 SP3"\n'
           'ID="sles"\nID_LIKE="suse"\nCPE_NAME="cpe:/o:suse:sles:15:sp3"\n')
BASESYSTEM = "SUSE:Linux Enterprise Module for Basesystem 15 SP3"


def suse_aff(eco, name, fixed, binaries, introduced="0"):
    a = {"package": {"ecosystem": eco, "name": name,
                     "purl": f"pkg:rpm/suse/{name}&distro={eco.split(':', 1)[1].replace(' ', '%20')}"},
         "ranges": ecos_range(("introduced", introduced), *([("fixed", fixed)] if fixed else []))}
    a["ecosystem_specific"] = {"binaries": [{b: fixed or "" for b in binaries}]}
    return a


SUSE_RECORDS = [
    # zlib's fix above the installed 1.2.11-3.21.1: affected (libz1).
    osv("SUSE-SU-2099:0001-1", [suse_aff(BASESYSTEM, "zlib", "1.2.11-3.24.1", ["libz1", "zlib-devel"])],
        ["CVE-2018-25032"]),
    # bash fixed at exactly the installed version, filed under the LTSS
    # product of the same release: not affected.
    osv("SUSE-SU-2099:0002-1", [suse_aff("SUSE:Linux Enterprise Server 15 SP3-LTSS", "bash", "4.4-19.6.1",
                                         ["bash", "libreadline7"])]),
    # elfutils, one release (the same package, three binaries installed).
    osv("SUSE-SU-2099:0003-1", [suse_aff("SUSE:Linux Enterprise Server 15 SP3", "elfutils", "0.168-4.5.4",
                                         ["libelf1", "libdw1", "libebl-plugins"])]),
    # Not yet fixed in SP3: affected without a fixed version.
    osv("SUSE-SU-2099:0004-1", [suse_aff(BASESYSTEM, "libgcrypt", None, ["libgcrypt20"])]),
    # Other releases and products: never for this image, though their
    # versions would say affected.
    osv("SUSE-SU-2099:0005-1", [suse_aff("SUSE:Linux Enterprise Server 15 SP4", "glibc", "2.31-150300.9.9.1", ["glibc"]),
                                suse_aff("SUSE:Linux Enterprise Server 5 SP3", "glibc", "9.9-1", ["glibc"]),
                                suse_aff("SUSE:Linux Enterprise Server 15 SP30", "glibc", "9.9-1", ["glibc"]),
                                suse_aff("openSUSE:Leap 15.3", "glibc", "9.9-1", ["glibc"])]),
    # A fix whose release compares by rpm's segment rules, not as text:
    # 20.10.1 < 20.9.2 as text, but newer for rpm: not affected.
    osv("SUSE-SU-2099:0006-1", [suse_aff(BASESYSTEM, "pcre", "8.45-20.9.2", ["libpcre1"])]),
    # introduced after the installed version: not affected.
    osv("SUSE-SU-2099:0007-1", [suse_aff(BASESYSTEM, "xz", "5.2.3-4.3.9", ["liblzma5"], introduced="5.2.3-4.3.5")]),
]
SUSE_APPLIES = {BASESYSTEM, "SUSE:Linux Enterprise Server 15 SP3-LTSS", "SUSE:Linux Enterprise Server 15 SP3"}


def test_sles_by_source_rpm_and_product_release(bulwark, shared, tmp_path):
    fx = "knqyf263__go-rpmdb/pkg/testdata/sle15-bci/Packages.db"
    pkgs = corpus_pkgs(shared, fx)
    ref = image(tmp_path / "img", "usr/lib/sysimage/rpm/Packages.db", shared / "corpus" / "pkgdb" / fx, SLES_OS)
    doc = scan(bulwark, tmp_path, SUSE_RECORDS, ref)
    want = expected(pkgs, SUSE_RECORDS, SUSE_APPLIES)
    # What the records were written to show.
    assert {(p, i) for p, i, _ in want} == {
        ("libz1", "SUSE-SU-2099:0001-1"), ("libelf1", "SUSE-SU-2099:0003-1"), ("libdw1", "SUSE-SU-2099:0003-1"),
        ("libebl-plugins", "SUSE-SU-2099:0003-1"), ("libgcrypt20", "SUSE-SU-2099:0004-1")}
    assert got_set(doc) == want
    f = {(x["package"], x["id"]): x for x in doc["findings"]}
    z = f[("libz1", "SUSE-SU-2099:0001-1")]
    assert z["advisory_package"] == "zlib" and z["installed_version"] == "1.2.11-3.21.1"
    assert z["ecosystem"] == BASESYSTEM and z["status"] == "fixed" and "CVE-2018-25032" in z["aliases"]
    assert f[("libgcrypt20", "SUSE-SU-2099:0004-1")]["status"] == "affected"
    assert doc["os"]["ecosystem"] == "SUSE:Linux Enterprise Server 15 SP3"


def test_sles_ignore_unfixed(bulwark, shared, tmp_path):
    fx = "knqyf263__go-rpmdb/pkg/testdata/sle15-bci/Packages.db"
    corpus_pkgs(shared, fx)
    ref = image(tmp_path / "img", "usr/lib/sysimage/rpm/Packages.db", shared / "corpus" / "pkgdb" / fx, SLES_OS)
    doc = scan(bulwark, tmp_path, SUSE_RECORDS, ref, "--ignore-unfixed")
    assert all(f["fixed_version"] for f in doc["findings"]) and doc["findings"]


# ------------------------------------------------------------------ EL8 (libuuid)

def el_image(tmp_path, shared, os_release):
    fx = "knqyf263__go-rpmdb/pkg/testdata/libuuid/Packages"
    pkgs = corpus_pkgs(shared, fx)
    return pkgs, image(tmp_path / "img", "var/lib/rpm/Packages", shared / "corpus" / "pkgdb" / fx, os_release)


def src_aff(eco, name, *events):
    return {"package": {"ecosystem": eco, "name": name}, "ranges": ecos_range(*events)}


EL_RECORDS = [
    osv("RLSA-2099:0001", [src_aff("Rocky Linux:8", "util-linux", ("introduced", "0"), ("fixed", "2.32.1-43.el8")),
                           src_aff("Rocky Linux:9", "util-linux", ("introduced", "0"), ("fixed", "2.37.4-18.el9"))]),
    osv("RLSA-2099:0002", [src_aff("Rocky Linux:8", "util-linux", ("introduced", "0"), ("fixed", "2.32.1-42.el8_8"))]),
    # el8_8 sorts above el8 for rpm (one more segment): not affected.
    osv("RLSA-2099:0003", [src_aff("Rocky Linux:8", "util-linux", ("introduced", "0"), ("fixed", "2.32.1-42.el8"))]),
    # The binary's name is not what Rocky files: never matched.
    osv("RLSA-2099:0004", [src_aff("Rocky Linux:8", "libuuid", ("introduced", "0"), ("fixed", "9.9-1.el8"))]),
    osv("ALSA-2099:0005", [src_aff("AlmaLinux:8", "util-linux", ("introduced", "0"), ("fixed", "2.32.1-44.el8_9"))]),
    # Red Hat names binary RPMs per stream, with the epoch written out.
    osv("RHSA-2099:0006", [src_aff("Red Hat:enterprise_linux:8::baseos", "libuuid", ("introduced", "0"),
                                   ("fixed", "0:2.32.1-44.el8_9"))]),
    osv("RHSA-2099:0007", [src_aff("Red Hat:enterprise_linux:8::appstream", "util-linux", ("introduced", "0"),
                                   ("fixed", "0:2.32.1-46.el8"))]),
    osv("RHSA-2099:0008", [src_aff("Red Hat:enterprise_linux:9::baseos", "libuuid", ("introduced", "0"),
                                   ("fixed", "0:2.37.4-18.el9"))]),
]


@pytest.mark.parametrize("os_release,applies,by_binary,eco", [
    ('NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="8.8"\n'
     'PRETTY_NAME="Rocky Linux 8.8 (Green Obsidian)"\n', {"Rocky Linux:8"}, False, "Rocky Linux:8"),
    ('NAME="AlmaLinux"\nID="almalinux"\nID_LIKE="rhel centos fedora"\nVERSION_ID="8.8"\n',
     {"AlmaLinux:8"}, False, "AlmaLinux:8"),
    ('NAME="Red Hat Enterprise Linux"\nID="rhel"\nID_LIKE="fedora"\nVERSION_ID="8.8"\n'
     'CPE_NAME="cpe:/o:redhat:enterprise_linux:8::baseos"\n',
     {"Red Hat:enterprise_linux:8::baseos", "Red Hat:enterprise_linux:8::appstream"}, True,
     "Red Hat:enterprise_linux:8::baseos"),
])
def test_el8_release_and_names(bulwark, shared, tmp_path, os_release, applies, by_binary, eco):
    pkgs, ref = el_image(tmp_path, shared, os_release)
    doc = scan(bulwark, tmp_path, EL_RECORDS, ref)
    want = expected(pkgs, EL_RECORDS, applies, by_binary)
    assert want, "the records were written to hit each distribution"
    assert got_set(doc) == want
    assert doc["os"]["ecosystem"] == eco
    assert all(f["installed_version"] == "2.32.1-42.el8_8" for f in doc["findings"])


# ------------------------------------------------------------------ epoch

def test_epoch_orders_first(bulwark, shared, tmp_path):
    """hello 1:0.0.1-rls: a fix at 0.0.2-1 (epoch 0) is older, one at
    1:0.0.2-1 newer, whatever the version says."""
    fx = "google__osv-scalibr/extractor/filesystem/os/rpm/testdata/Packages_epoch"
    pkgs = corpus_pkgs(shared, fx)
    ref = image(tmp_path / "img", "var/lib/rpm/Packages", shared / "corpus" / "pkgdb" / fx,
                'NAME="AlmaLinux"\nID="almalinux"\nVERSION_ID="9.3"\n')
    recs = [osv("ALSA-2099:0101", [src_aff("AlmaLinux:9", "hello", ("introduced", "0"), ("fixed", "0.0.2-1"))]),
            osv("ALSA-2099:0102", [src_aff("AlmaLinux:9", "hello", ("introduced", "0"), ("fixed", "1:0.0.2-1"))]),
            osv("ALSA-2099:0103", [src_aff("AlmaLinux:9", "hello", ("introduced", "1:0.0.1-rls"),
                                           ("fixed", "1:0.0.1-rls.1"))])]
    doc = scan(bulwark, tmp_path, recs, ref)
    want = expected(pkgs, recs, {"AlmaLinux:9"})
    assert {i for _, i, _ in want} == {"ALSA-2099:0102", "ALSA-2099:0103"}
    assert got_set(doc) == want
    assert {f["installed_version"] for f in doc["findings"]} == {"1:0.0.1-rls"}


def test_unknown_rpm_distro_matches_nothing(bulwark, shared, tmp_path):
    """Fedora has no OSV ecosystem: its packages are not compared with
    another distribution's advisories."""
    _, ref = el_image(tmp_path, shared, 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=39\n')
    doc = scan(bulwark, tmp_path, EL_RECORDS, ref)
    assert doc["findings"] == []
