"""Packages found by `bulwark sbom` equal what the real tools report on the
unpacked root file system of the same image (umoci unpack): dpkg-query for
Debian packages, npm ls for node_modules, importlib.metadata for Python
site-packages; plus the same result from every image format and from dir:."""
import json
import os
import pathlib
import shutil
import subprocess

import pytest

from conftest import run

FORMATS = ["oci:{d}/debian-multi.oci:v1", "oci-archive:{d}/debian-multi.oci.tar:v1",
           "docker-archive:{d}/debian-multi.docker.tar", "oci:{d}/debian-multi.zstd.oci:v1"]


def sbom_json(bulwark, ref):
    p = run(bulwark, "sbom", "-f", "json", ref, check=0)
    return json.loads(p.stdout)


@pytest.fixture(scope="session")
def multi(bulwark, images):
    return sbom_json(bulwark, f"oci:{images}/debian-multi.oci:v1")


@pytest.fixture(scope="session")
def rootfs(images, tmp_path_factory):
    if not shutil.which("umoci"):
        pytest.skip("umoci not installed")
    bundle = tmp_path_factory.mktemp("unpack") / "bundle"
    subprocess.run(["umoci", "unpack", "--rootless", "--image", f"{images}/debian-multi.oci:v1",
                    str(bundle)], check=True, capture_output=True)
    return bundle / "rootfs"


def pkgs(doc, typ):
    return [p for p in doc["packages"] if p["type"] == typ]


def test_dpkg_equals_dpkg_query(multi, rootfs):
    out = subprocess.run(
        ["dpkg-query", f"--admindir={rootfs}/var/lib/dpkg", "-W", "-f",
         "${db:Status-Abbrev}\t${Package}\t${Version}\t${Architecture}\t${source:Package}\t"
         "${source:Version}\n"], check=True, capture_output=True, text=True).stdout
    want = set()
    for line in out.splitlines():
        st, name, ver, arch, src, srcver = line.split("\t")
        if st.strip() == "ii":
            want.add((name, ver, arch, src, srcver))
    got = {(p["name"], p["version"], p["arch"], p["source_name"], p["source_version"])
           for p in pkgs(multi, "deb")}
    assert len(want) > 100
    assert got == want
    assert multi["os"]["id"] == "debian" and multi["os"]["version_id"] == "12"


def test_deb_purls(multi):
    for p in pkgs(multi, "deb"):
        assert p["purl"].startswith(f"pkg:deb/debian/{p['name'].replace('+', '%2B')}@")
        assert "distro=debian-12" in p["purl"]


def test_npm_equals_npm_ls(multi, rootfs):
    if not shutil.which("npm"):
        pytest.skip("npm not installed")
    p = subprocess.run(["npm", "ls", "--all", "--json", "--offline"], cwd=rootfs / "srv/app",
                       capture_output=True, text=True)
    tree = json.loads(p.stdout)
    want = set()

    def walk(deps):
        for name, d in (deps or {}).items():
            if "version" in d and not d.get("missing"):
                want.add((name, d["version"]))
            walk(d.get("dependencies"))
    walk(tree.get("dependencies"))
    got = {(p["name"], p["version"]) for p in pkgs(multi, "npm")}
    assert len(want) > 50
    # npm ls leaves out optional platform packages of other platforms (not
    # installed) and shows deduplicated packages once: compare as sets.
    assert want <= got, sorted(want - got)[:10]
    extra = got - want
    assert all(n.startswith("@esbuild/") or n.startswith("@bufbuild/") for n, _ in extra), extra


def test_python_equals_importlib_metadata(multi, rootfs):
    dirs = [str(d) for d in list(rootfs.glob("opt/venv/lib/python3*/site-packages")) +
            list(rootfs.glob("usr/lib/python3/dist-packages")) +
            list(rootfs.glob("usr/lib/python3.*/site-packages"))]
    code = ("import importlib.metadata as m, json, sys\n"
            "print(json.dumps(sorted({(d.metadata['Name'], d.version, str(d._path)) for d in "
            "m.distributions(path=sys.argv[1:])})))")
    out = subprocess.run(["/usr/bin/python3", "-c", code, *dirs], check=True, capture_output=True,
                         text=True).stdout
    # What dpkg installed is listed once, as its deb (as Trivy does).
    owned = set()
    for lst in (rootfs / "var/lib/dpkg/info").glob("*.list"):
        owned |= {str(rootfs) + line for line in lst.read_text().splitlines()}
    want = {(n, v) for n, v, path in json.loads(out) if path not in owned}
    assert len(want) < len(json.loads(out))
    got = {(p["name"], p["version"]) for p in pkgs(multi, "pypi")}
    assert want and got == want
    # The deletion layer removed setuptools' dist-info from the venv.
    assert not any(p["name"] == "setuptools" and "/opt/venv/" in p["location"]
                   for p in pkgs(multi, "pypi"))


def test_go_binaries(multi, rootfs):
    go = pkgs(multi, "golang")
    esbuild = [p for p in go if p["location"].endswith("/bin/esbuild")]
    assert any(p["name"] == "stdlib" for p in esbuild)
    if not shutil.which("go"):
        return
    for loc in {p["location"] for p in go}:
        out = subprocess.run(["go", "version", "-m", f"{rootfs}{loc}"], capture_output=True,
                             text=True).stdout
        want = set()
        for line in out.splitlines():
            f = line.strip().split("\t")
            if f[0] in ("mod", "dep"):
                want.add((f[1], f[2]))
            elif f[0] == "=>":
                want.discard(max(want))  # replaced (rare); good enough
                want.add((f[1], f[2]))
        got = {(p["name"], p["version"]) for p in go if p["location"] == loc and p["name"] != "stdlib"}
        assert got == want, loc


@pytest.mark.parametrize("fmt", FORMATS[1:])
def test_same_packages_from_every_format(bulwark, images, multi, fmt):
    doc = sbom_json(bulwark, fmt.format(d=images))
    key = lambda d: sorted((p["type"], p["name"], p["version"], p["location"]) for p in d["packages"])
    assert key(doc) == key(multi)


def test_dir_source_matches(bulwark, multi, rootfs):
    doc = sbom_json(bulwark, f"dir:{rootfs}")
    key = lambda d: sorted((p["type"], p["name"], p["version"], p["location"]) for p in d["packages"])
    assert key(doc) == key(multi)


def test_minbase(bulwark, images):
    doc = sbom_json(bulwark, f"oci:{images}/debian-minbase.oci:v1")
    info = (images / "debian-minbase.info.txt").read_text()
    assert {p["type"] for p in doc["packages"]} == {"deb"}
    n = [l for l in info.splitlines() if "dpkg" in l.lower()]
    if n:
        digits = [int(t) for t in n[0].replace(":", " ").split() if t.isdigit()]
        if digits:
            assert len(doc["packages"]) == digits[-1]


def test_cyclonedx_structure(bulwark, images):
    p = run(bulwark, "sbom", "--format", "cyclonedx", "--scanners", "none",
            f"oci:{images}/debian-multi.oci:v1", check=0)
    d = json.loads(p.stdout)
    assert d["bomFormat"] == "CycloneDX" and d["specVersion"] == "1.6"
    assert d["serialNumber"].startswith("urn:uuid:")
    root = d["metadata"]["component"]
    assert root["type"] == "container" and root["purl"].startswith("pkg:oci/")
    refs = {c["bom-ref"] for c in d["components"]}
    assert len(refs) == len(d["components"])
    os_c = [c for c in d["components"] if c["type"] == "operating-system"]
    assert os_c and os_c[0]["name"] == "debian"
    for dep in d["dependencies"]:
        assert dep["ref"] in refs | {root["bom-ref"]}
        assert set(dep["dependsOn"]) <= refs
    assert all(c.get("purl", "pkg:").startswith("pkg:") for c in d["components"])


def test_spdx_structure(bulwark, images):
    p = run(bulwark, "sbom", "-f", "spdx-json", f"oci:{images}/debian-multi.oci:v1", check=0)
    d = json.loads(p.stdout)
    assert d["spdxVersion"] == "SPDX-2.3" and d["dataLicense"] == "CC0-1.0"
    assert d["SPDXID"] == "SPDXRef-DOCUMENT"
    ids = [x["SPDXID"] for x in d["packages"]]
    assert len(set(ids)) == len(ids)
    for x in d["packages"]:
        assert x["downloadLocation"] and "name" in x
        assert all(c.isalnum() or c in ".-" for c in x["SPDXID"][len("SPDXRef-"):])
    for r in d["relationships"]:
        assert r["spdxElementId"] in set(ids) | {"SPDXRef-DOCUMENT"}
        assert r["relatedSpdxElement"] in ids


def test_bad_format_is_usage_error(bulwark, images):
    p = run(bulwark, "sbom", "-f", "xml", f"oci:{images}/debian-minbase.oci:v1")
    assert p.returncode == 2


def _jar_coordinates(path):
    """What a jar says it is, read with Python's zipfile: every
    pom.properties, else the manifest's Implementation-Title/Version."""
    import zipfile
    out = set()
    with zipfile.ZipFile(path) as z:
        for n in z.namelist():
            if n.startswith("META-INF/maven/") and n.endswith("/pom.properties"):
                props = dict(line.split("=", 1) for line in z.read(n).decode().splitlines()
                             if "=" in line and not line.startswith("#"))
                out.add((f"{props['groupId']}:{props['artifactId']}", props["version"]))
        if not out:
            mf = dict(line.split(": ", 1) for line in z.read("META-INF/MANIFEST.MF").decode().splitlines()
                      if ": " in line)
            t = mf.get("Implementation-Title")
            out.add((f"{mf.get('Implementation-Vendor-Id', t)}:{t}", mf["Implementation-Version"]))
    return out


def test_jars_equal_their_metadata(multi, rootfs):
    want = set()
    for jar in sorted((rootfs / "opt/java-app/lib").glob("*.jar")):
        want |= _jar_coordinates(jar)
    got = {(p["name"], p["version"]) for p in pkgs(multi, "maven")}
    assert want and got == want
    assert all(p["location"].startswith("/opt/java-app/lib/") for p in pkgs(multi, "maven"))


def test_debian_python_packages_are_listed_once_as_their_deb(multi):
    pypi = {p["name"]: p for p in pkgs(multi, "pypi")}
    assert "requests" not in pypi  # python3-requests' dist-info: the deb stands for it
    assert any(p["name"] == "python3-requests" for p in pkgs(multi, "deb"))
    assert "/opt/venv/" in pypi["pip"]["location"]  # installed by pip into the venv, not by dpkg
    assert all("owner" not in p for p in multi["packages"])


def test_fs_reads_project_lockfiles(bulwark, tmp_path):
    (tmp_path / "Cargo.lock").write_text('version = 3\n\n[[package]]\nname = "syn"\nversion = "1.0.73"\n')
    (tmp_path / "go.mod").write_text("module example.com/x\n\ngo 1.22\n\nrequire github.com/pkg/errors v0.9.1\n")
    (tmp_path / "web").mkdir()
    (tmp_path / "web/yarn.lock").write_text('# yarn lockfile v1\n\n\nleft-pad@^1.3.0:\n  version "1.3.0"\n')
    (tmp_path / "Pipfile.lock").write_text('{"default": {"six": {"version": "==1.16.0"}}, "develop": {}}')
    p = run(bulwark, "fs", "-f", "json", str(tmp_path), check=0)
    got = {(x["type"], x["name"], x["version"], x["location"]) for x in json.loads(p.stdout)["packages"]}
    assert got == {
        ("cargo", "syn", "1.0.73", "/Cargo.lock"),
        ("golang", "github.com/pkg/errors", "0.9.1", "/go.mod"),
        ("golang", "stdlib", "1.22", "/go.mod"),
        ("npm", "left-pad", "1.3.0", "/web/yarn.lock"),
        ("pypi", "six", "1.16.0", "/Pipfile.lock"),
    }


def test_fs_bad_lockfile_warns_and_goes_on(bulwark, tmp_path):
    (tmp_path / "poetry.lock").write_text("this is not toml\n")
    (tmp_path / "composer.lock").write_text('{"packages": [{"name": "a/b", "version": "1.0.0"}]}')
    p = run(bulwark, "fs", "-f", "json", str(tmp_path), check=0)
    assert "poetry.lock" in p.stderr
    assert [(x["name"], x["version"]) for x in json.loads(p.stdout)["packages"]] == [("a/b", "1.0.0")]
