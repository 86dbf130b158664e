"""32-bit (ia32 compat) syscalls made with `int $0x80` from a 64-bit
program are decoded like their x86_64 twins: open of /etc/shadow, openat
creating a file, fchmodat setting the setuid bit, unlinkat and setuid32
raise the rules that name them, with the ia32 arguments; a 16-bit uid call
the sensor does not decode is counted as a skipped 32-bit syscall. No
containers: the program runs on the host."""
import shutil
import subprocess
import uuid

import pytest

from test_watch import RULES_DIR, Watch

GCC = shutil.which("gcc")

PROG = r"""
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A non-PIE build keeps these below 4 GiB, where ia32 pointers reach. */
static char path[256];
static const char shadow[] = "/etc/shadow";

static long sys32(long nr, long a, long b, long c, long d)
{
	long ret;

	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d) : "memory");
	return ret;
}

int main(int argc, char **argv)
{
	long fd;

	if (argc < 2 || strlen(argv[1]) >= sizeof(path))
		return 2;
	strcpy(path, argv[1]);
	printf("open %ld\n", sys32(5, (long)shadow, 0 /* O_RDONLY */, 0, 0));
	fd = sys32(295, -100 /* AT_FDCWD */, (long)path, 01 | 0100 /* O_WRONLY|O_CREAT */, 0600);
	printf("openat %ld\n", fd);
	if (argc > 2) /* the opens only */
		return fd < 0;
	printf("fchmodat %ld\n", sys32(306, -100, (long)path, 04755, 0));
	printf("unlinkat %ld\n", sys32(301, -100, (long)path, 0, 0));
	printf("setuid32 %ld\n", sys32(213, getuid(), 0, 0, 0));
	printf("setuid16 %ld\n", sys32(23, getuid(), 0, 0, 0));
	return fd < 0;
}
"""

RULES = """
- rule: bw compat open
  desc: an open or openat of the test's files
  condition: evt.type in (open, openat) and fd.name in ("/etc/shadow", "{path}")
  output: "compat open (evt.type=%evt.type fd.name=%fd.name proc.name=%proc.name)"
  priority: WARNING
- rule: bw compat chmod
  desc: the setuid bit set on the test's file
  condition: evt.type = fchmodat and evt.arg.filename = "{path}"
  output: "compat chmod (evt.type=%evt.type evt.arg.filename=%evt.arg.filename evt.arg.mode=%evt.arg.mode proc.name=%proc.name)"
  priority: WARNING
- rule: bw compat unlink
  desc: the test's file removed
  condition: evt.type = unlinkat and evt.arg.name = "{path}"
  output: "compat unlink (evt.type=%evt.type evt.arg.name=%evt.arg.name proc.name=%proc.name)"
  priority: WARNING
- rule: bw compat setuid
  desc: setuid by the test's program
  condition: evt.type = setuid and proc.name = "{name}"
  output: "compat setuid (evt.type=%evt.type evt.arg.uid=%evt.arg.uid proc.name=%proc.name)"
  priority: WARNING
"""

pytestmark = pytest.mark.skipif(
    subprocess.run(["id", "-u"], capture_output=True, text=True).stdout.strip() != "0" or GCC is None,
    reason="needs root and gcc")


def build(tmp_path):
    src = tmp_path / "bw32.c"
    src.write_text(PROG)
    exe = tmp_path / "bw32probe"
    subprocess.run([GCC, "-no-pie", "-O2", "-o", str(exe), str(src)], check=True)
    return exe


def test_ia32_syscalls_are_decoded(bulwark, shared, tmp_path):
    exe = build(tmp_path)
    path = str(tmp_path / ("bw32-%s" % uuid.uuid4().hex[:12]))
    rules = tmp_path / "compat.yaml"
    rules.write_text(RULES.format(path=path, name=exe.name))
    w = Watch(bulwark, ["-r", str(rules), "-r", str(shared / RULES_DIR / "falco_rules.yaml")], tmp_path)
    run = subprocess.run([str(exe), path], capture_output=True, text=True, timeout=30)
    alerts, _ = w.stop()
    out = dict(l.split() for l in run.stdout.splitlines())
    assert run.returncode == 0, run
    assert int(out["open"]) >= 0 and int(out["unlinkat"]) == 0, out

    mine = [a for a in alerts if a["output_fields"].get("proc.name") == exe.name]
    got = {}
    for a in mine:
        got.setdefault(a["rule"], []).append(a["output_fields"])
    opens = {(f["evt.type"], f["fd.name"]) for f in got.get("bw compat open", [])}
    # Falco stops at the first matching rule: the shadow open raises this
    # file's rule, which is loaded first.
    assert opens == {("open", "/etc/shadow"), ("openat", path)}, got
    chmod = got.get("bw compat chmod", [])
    assert [(f["evt.type"], f["evt.arg.filename"]) for f in chmod] == [("fchmodat", path)], got
    assert "S_ISUID" in str(chmod[0]["evt.arg.mode"]), chmod
    assert [f["evt.arg.name"] for f in got.get("bw compat unlink", [])] == [path], got
    # setuid32 is decoded; the 16-bit setuid is counted as skipped.
    assert [f["evt.type"] for f in got.get("bw compat setuid", [])] == ["setuid"], got
    assert w.stat("32-bit syscalls skipped") == 1, w.stats


def test_upstream_rule_sees_ia32_open(bulwark, shared, tmp_path):
    """Upstream's stable "Read sensitive file untrusted" for an ia32 open;
    the opens leave no 32-bit syscall skipped."""
    exe = build(tmp_path)
    path = str(tmp_path / ("bw32-%s" % uuid.uuid4().hex[:12]))
    w = Watch(bulwark, ["-r", str(shared / RULES_DIR / "falco_rules.yaml")], tmp_path)
    run = subprocess.run([str(exe), path, "opens"], capture_output=True, text=True, timeout=30)
    alerts, _ = w.stop()
    assert run.returncode == 0, run
    hits = [a["output_fields"] for a in alerts if a["rule"] == "Read sensitive file untrusted"
            and a["output_fields"].get("proc.name") == exe.name]
    assert [(f["fd.name"], f["evt.type"]) for f in hits] == [("/etc/shadow", "open")], hits
    assert w.stat("32-bit syscalls skipped") == 0, w.stats
