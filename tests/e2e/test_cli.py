"""Command-line behaviour: help, version, usage errors, exit codes, colour."""
import os
import subprocess

from conftest import run


def test_help_and_version(bulwark):
    p = run(bulwark, "--help", check=0)
    assert "Usage: bulwark" in p.stdout and "image" in p.stdout and "Exit codes" in p.stdout
    p = run(bulwark, "--version", check=0)
    assert p.stdout.startswith("bulwark ")
    for cmd in (["image", "--help"], ["image", "inspect", "--help"], ["image", "files", "--help"]):
        p = run(bulwark, *cmd, check=0)
        assert p.stdout.startswith("Usage: bulwark image")


def test_usage_errors(bulwark):
    p = run(bulwark)
    assert p.returncode == 2
    p = run(bulwark, "frobnicate")
    assert p.returncode == 2 and "unknown command `frobnicate`" in p.stderr
    p = run(bulwark, "image", "inspect")
    assert p.returncode == 2 and "expected one image reference" in p.stderr
    p = run(bulwark, "image", "inspect", "--format", "xml", "x")
    assert p.returncode == 2 and "unknown format `xml`" in p.stderr
    p = run(bulwark, "image", "files", "--bogus", "x")
    assert p.returncode == 2


def test_error_printed_once_with_context(bulwark, tmp_path):
    bad = tmp_path / "bad.tar"
    bad.write_bytes(b"this is not a tar file at all" * 40)
    p = run(bulwark, "image", "inspect", str(bad))
    assert p.returncode == 3
    assert p.stderr.count("error:") == 1
    assert str(bad) in p.stderr


def test_no_color_and_tty(bulwark, tmp_path):
    # Under a pseudo-terminal the error is coloured unless NO_COLOR is set.
    script = ["script", "-qec", "%s image inspect /nonexistent-image-path.tar" % bulwark, "/dev/null"]
    env = dict(os.environ, TERM="xterm")
    out = subprocess.run(script, capture_output=True, text=True, env=env).stdout
    assert "\033[1;31merror:" in out
    env["NO_COLOR"] = "1"
    out = subprocess.run(script, capture_output=True, text=True, env=env).stdout
    assert "\033[" not in out and "error:" in out


def test_quiet_and_debug(bulwark, images):
    ref = "oci:%s/debian-minbase.oci:v1" % images
    p = run(bulwark, "image", "files", "--debug", ref, "/etc/hostname", check=0)
    assert "debug:" in p.stderr and "entries" in p.stderr
    p = run(bulwark, "--quiet", "image", "files", ref, "/etc/hostname", check=0)
    assert p.stderr == ""
