"""Catalogers beyond the OS databases, end to end through `bulwark sbom` on
crafted images: cargo-auditable Rust binaries (real ELF files made with gcc
and objcopy, the `.dep-v0` section zlib-compressed JSON as cargo auditable
writes it), Ruby gemspecs from Debian's own ruby packages, bun.lock, and
requirements.txt `-r` includes; also `bulwark fs` on a project folder."""
import io
import json
import pathlib
import shutil
import subprocess
import tarfile
import zlib

import pytest

import imgcraft
from conftest import run

AUDIT = {"packages": [
    {"name": "adler", "version": "1.0.2", "source": "crates.io"},
    {"name": "cc", "version": "1.0.83", "source": "crates.io", "kind": "build"},
    {"name": "rustls", "version": "0.21.7", "source": "registry"},
    {"name": "hello", "version": "0.1.0", "source": "local", "dependencies": [0, 1, 2], "root": True}],
    "format": 1}

BUN = """{
  "lockfileVersion": 1,
  "workspaces": { "": { "name": "web", "dependencies": { "chalk": "^4.1.0", }, }, },
  // JSONC: comments and trailing commas
  "packages": {
    "chalk": ["chalk@4.1.2", "", { "dependencies": { "supports-color": "^7.1.0" } }, "sha512-x"],
    "supports-color": ["supports-color@7.2.0", "", {}, "sha512-y"],
    "tool": ["tool@github:acme/tool#0a1b2c3", {}, "acme-tool-0a1b2c3"],
  },
}
"""


def tar_of(entries):
    """entries: (name, bytes or None for a dir, mode)."""
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, data, mode in entries:
            ti = tarfile.TarInfo(name)
            ti.mtime = 1700000000
            ti.mode = mode
            if data is None:
                ti.type = tarfile.DIRTYPE
                tf.addfile(ti)
            else:
                ti.size = len(data)
                tf.addfile(ti, io.BytesIO(data))
    return bio.getvalue()


@pytest.fixture(scope="module")
def rust_bins(tmp_path_factory):
    """Two real ELF binaries carrying the audit data: one where objcopy adds
    the section, one where the compiler places it in a loaded segment (as
    cargo auditable's linker section does)."""
    for tool in ("gcc", "objcopy"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} not installed")
    d = tmp_path_factory.mktemp("rust")
    z = zlib.compress(json.dumps(AUDIT, separators=(",", ":")).encode(), 9)
    (d / "dep.z").write_bytes(z)
    (d / "main.c").write_text('#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n')
    subprocess.run(["gcc", "-O2", "-o", d / "plain", d / "main.c"], check=True)
    subprocess.run(["objcopy", "--add-section", f".dep-v0={d / 'dep.z'}", d / "plain", d / "objcopied"],
                   check=True)
    arr = ",".join(str(b) for b in z)
    (d / "sect.c").write_text(
        '#include <stdio.h>\n__attribute__((section(".dep-v0"), used)) static const unsigned char dep[] = {'
        + arr + '};\nint main(void) { puts("hi"); return 0; }\n')
    subprocess.run(["gcc", "-O2", "-o", d / "sectioned", d / "sect.c"], check=True)
    out = subprocess.run(["objdump", "-h", d / "objcopied"], capture_output=True, text=True).stdout
    assert ".dep-v0" in out
    return d


@pytest.fixture(scope="module")
def gemspecs(tmp_path_factory):
    """Real gemspecs from Debian's ruby-rack and rake packages (downloaded,
    unpacked with dpkg-deb, never installed)."""
    d = tmp_path_factory.mktemp("gems")
    p = subprocess.run(["apt-get", "download", "ruby-rack", "rake"], cwd=d, capture_output=True, text=True)
    debs = list(d.glob("*.deb"))
    if p.returncode != 0 or len(debs) != 2:
        pytest.skip(f"cannot download ruby-rack/rake: {p.stderr[-300:]}")
    for deb in debs:
        subprocess.run(["dpkg-deb", "-x", deb, d / "root"], check=True)
    specs = {s.name: s.read_bytes() for s in (d / "root").rglob("specifications/*.gemspec")}
    assert any(n.startswith("rack-") for n in specs) and any(n.startswith("rake-") for n in specs)
    return specs


@pytest.fixture(scope="module")
def image(tmp_path_factory, rust_bins, gemspecs):
    base = [("usr", None, 0o755), ("usr/bin", None, 0o755), ("usr/lib", None, 0o755), ("usr/local", None, 0o755),
            ("usr/local/bin", None, 0o755),
            ("usr/bin/objcopied", (rust_bins / "objcopied").read_bytes(), 0o755),
            ("usr/local/bin/sectioned", (rust_bins / "sectioned").read_bytes(), 0o755),
            ("usr/bin/plain", (rust_bins / "plain").read_bytes(), 0o755),
            ("usr/share", None, 0o755), ("usr/share/rubygems-integration", None, 0o755),
            ("usr/share/rubygems-integration/all", None, 0o755),
            ("usr/share/rubygems-integration/all/specifications", None, 0o755),
            ("app", None, 0o755), ("app/requirements", None, 0o755),
            ("app/bun.lock", BUN.encode(), 0o644),
            ("app/requirements.txt", b"flask==2.0.1\n-r requirements/base.txt\n-r gone.txt\n", 0o644),
            ("app/requirements/base.txt", b"django==4.2.1  # the web framework\n", 0o644),
            # an installed package's own development requirements are not the image's
            ("usr/lib/python3", None, 0o755), ("usr/lib/python3/dist-packages", None, 0o755),
            ("usr/lib/python3/dist-packages/tool", None, 0o755),
            ("usr/lib/python3/dist-packages/tool/test-requirements.txt", b"pytest==7.0.0\n", 0o644)]
    for name, data in gemspecs.items():
        base.append(("usr/share/rubygems-integration/all/specifications/" + name, data, 0o644))
    # a later layer deletes one Rust binary: its packages must go
    top = [("usr", None, 0o755), ("usr/bin", None, 0o755), ("usr/bin/.wh.objcopied", b"", 0o644)]
    d = tmp_path_factory.mktemp("img")
    one = imgcraft.oci_layout(d / "one", [tar_of(base)])
    two = imgcraft.oci_layout(d / "two", [tar_of(base), tar_of(top)])
    return one, two


def sbom(bulwark, ref):
    p = run(bulwark, "sbom", "-f", "json", ref)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout), p.stderr


def have(doc, typ, name, version, location=None):
    return [p for p in doc["packages"] if p["type"] == typ and p["name"] == name and p.get("version") == version
            and (location is None or p.get("location") == location)]


def test_cargo_auditable(bulwark, image):
    doc, _ = sbom(bulwark, image[0])
    for loc in ("/usr/bin/objcopied", "/usr/local/bin/sectioned"):
        for name, ver in (("adler", "1.0.2"), ("cc", "1.0.83"), ("rustls", "0.21.7"), ("hello", "0.1.0")):
            assert have(doc, "cargo", name, ver, loc), (name, loc, doc["packages"])
    # the binary without the section reports nothing
    assert not [p for p in doc["packages"] if p.get("location") == "/usr/bin/plain"]
    adler = have(doc, "cargo", "adler", "1.0.2")[0]
    assert adler["purl"] == "pkg:cargo/adler@1.0.2"


def test_cargo_auditable_whiteout(bulwark, image):
    doc, _ = sbom(bulwark, image[1])
    assert not [p for p in doc["packages"] if p.get("location") == "/usr/bin/objcopied"]
    assert have(doc, "cargo", "rustls", "0.21.7", "/usr/local/bin/sectioned")


def test_gemspecs(bulwark, image, gemspecs):
    doc, _ = sbom(bulwark, image[0])
    for name in gemspecs:
        gem, ver = name[:-len(".gemspec")].rsplit("-", 1)
        found = have(doc, "gem", gem, ver)
        assert found, (gem, ver)
        assert found[0]["purl"] == f"pkg:gem/{gem}@{ver}"
        assert found[0].get("license") == "MIT"


def test_bun_and_requirements(bulwark, image):
    doc, err = sbom(bulwark, image[0])
    assert have(doc, "npm", "chalk", "4.1.2", "/app/bun.lock")
    assert have(doc, "npm", "supports-color", "7.2.0", "/app/bun.lock")
    assert [p for p in doc["packages"] if p["name"] == "tool" and p.get("location") == "/app/bun.lock"]
    assert not [p for p in doc["packages"] if p["name"] == "web"]
    # flask from requirements.txt, django both through the include and from base.txt itself
    assert have(doc, "pypi", "flask", "2.0.1", "/app/requirements.txt")
    assert have(doc, "pypi", "django", "4.2.1", "/app/requirements.txt")
    assert have(doc, "pypi", "django", "4.2.1", "/app/requirements/base.txt")
    assert not have(doc, "pypi", "pytest", "7.0.0")
    # the missing include is a warning naming file and line, not a failure
    assert "/app/requirements.txt:3" in err and "gone.txt" in err


def test_fs_folder(bulwark, tmp_path, rust_bins):
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements.txt").write_text("-r requirements/prod.txt\n")
    (tmp_path / "requirements" / "prod.txt").write_text("-r ../requirements/common.txt\nrequests==2.31.0\n")
    (tmp_path / "requirements" / "common.txt").write_text("urllib3==2.0.7\n")
    (tmp_path / "bun.lock").write_text(BUN)
    (tmp_path / "bin").mkdir()
    shutil.copy(rust_bins / "sectioned", tmp_path / "bin" / "tool")
    p = run(bulwark, "fs", "-f", "json", tmp_path)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert have(doc, "pypi", "urllib3", "2.0.7", "/requirements.txt")
    assert have(doc, "pypi", "requests", "2.31.0", "/requirements.txt")
    assert have(doc, "npm", "chalk", "4.1.2", "/bun.lock")
    assert have(doc, "cargo", "adler", "1.0.2", "/bin/tool")


def test_bad_inputs(bulwark, tmp_path):
    """Malformed files: a warning naming the file, exit 0, the rest found."""
    (tmp_path / "bun.lock").write_text('{"packages": {"x": [1], "y": ["y@1.0.0"]}}')
    (tmp_path / "specifications").mkdir()
    (tmp_path / "specifications" / "broken-1.0.gemspec").write_text("Gem::Specification.new do |s|\nend\n")
    (tmp_path / "bin").mkdir()
    elf = bytearray(pathlib.Path("/bin/true").read_bytes())
    # a zlib stream that claims to be audit data but is cut short
    elf += zlib.compress(json.dumps(AUDIT).encode(), 9)[:40]
    (tmp_path / "bin" / "cut").write_bytes(bytes(elf))
    (tmp_path / "bin" / "cut").chmod(0o755)
    p = run(bulwark, "fs", "-f", "json", tmp_path)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert have(doc, "npm", "y", "1.0.0")
    assert "/bun.lock" in p.stderr and "`x`" in p.stderr
    assert "broken-1.0.gemspec" in p.stderr
    assert not [q for q in doc["packages"] if q["type"] == "cargo"]
