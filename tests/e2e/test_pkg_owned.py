"""A language package that the OS package manager installed is listed once,
as the OS package: dpkg's info/*.list files and apk's F:/R: file lists name
the files, wherever the layers put the database and the package."""
import json

from conftest import run
from imgcraft import oci_layout, tar_bytes

META = "Metadata-Version: 2.1\nName: {n}\nVersion: {v}\n"
SITE = "usr/lib/python3.12/site-packages"


def packages(bulwark, ref):
    p = run(bulwark, "sbom", "-f", "json", "--no-cache", ref, check=0)
    return sorted((x["type"], x["name"], x["version"]) for x in json.loads(p.stdout)["packages"])


def test_apk_owned_python_package_is_listed_as_the_apk(bulwark, tmp_path):
    installed = ("C:Q1abc=\nP:py3-foo\nV:1.0-r0\nA:x86_64\no:py3-foo\n"
                 f"F:{SITE}/foo-1.0.dist-info\nR:METADATA\nR:RECORD\n\n"
                 "P:musl\nV:1.2.4-r2\nA:x86_64\nF:lib\nR:ld-musl-x86_64.so.1\n")
    layers = [
        [("etc/alpine-release", "file", "3.19.1\n"),
         ("etc/os-release", "file", 'ID=alpine\nVERSION_ID=3.19.1\nNAME="Alpine Linux"\n'),
         ("lib/apk/db/installed", "file", installed),
         (f"{SITE}/foo-1.0.dist-info/METADATA", "file", META.format(n="foo", v="1.0")),
         # pip-installed beside it: not in any file list
         (f"{SITE}/bar-2.0.dist-info/METADATA", "file", META.format(n="bar", v="2.0"))],
    ]
    got = packages(bulwark, oci_layout(tmp_path / "img", [tar_bytes(l) for l in layers]))
    assert got == [("apk", "musl", "1.2.4-r2"), ("apk", "py3-foo", "1.0-r0"), ("pypi", "bar", "2.0")]


def test_dpkg_list_of_a_removed_package_owns_nothing(bulwark, tmp_path):
    """The .list of a deb that the status file no longer has does not hide
    the language package (its owner must be an installed package)."""
    lower = [("var/lib/dpkg/status", "file",
              "Package: python3-foo\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: all\n\n"),
             ("var/lib/dpkg/info/python3-foo.list", "file", f"/usr/lib/python3/dist-packages/foo-1.0.dist-info\n"),
             ("usr/lib/python3/dist-packages/foo-1.0.dist-info/METADATA", "file", META.format(n="foo", v="1.0"))]
    upper = [("var/lib/dpkg/status", "file", "")]
    ref = oci_layout(tmp_path / "img", [tar_bytes(lower), tar_bytes(upper)])
    assert packages(bulwark, ref) == [("pypi", "foo", "1.0")]
    ref1 = oci_layout(tmp_path / "one", [tar_bytes(lower)])
    assert packages(bulwark, ref1) == [("deb", "python3-foo", "1.0-1")]
