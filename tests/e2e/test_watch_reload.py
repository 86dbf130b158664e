"""`bulwark watch` reloads its rules on SIGHUP: rules with errors are
reported with file and line and the rules in use keep raising alerts; good
rules replace them, whether the running eBPF program already traces what
they need (the kernel forgets what it stopped as of no interest to the old
rules) or a new program has to be started (a syscall the old rules did not
need)."""
import json
import os
import shutil
import signal
import subprocess
import time
import uuid

import pytest

from conftest import Lines


def can_run():
    if os.geteuid() != 0:
        return "needs root"
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        return "kernel without BTF"
    return None


pytestmark = pytest.mark.skipif(can_run() is not None, reason=str(can_run()))

RULE = ("- rule: {name}\n  desc: d\n  condition: {cond}\n"
        "  output: {name} %proc.name %fd.name %proc.cmdline\n  priority: WARNING\n")


def alerts(path):
    time.sleep(1.0)  # the sensor delivers within its 200 ms poll
    if not path.exists():
        return []
    return [json.loads(l) for l in path.read_text().splitlines() if l.strip()]


def test_sighup_reload(bulwark, tmp_path):
    t = uuid.uuid4().hex[:10]
    quiet_file = tmp_path / ("quiet-%s" % t)
    quiet_file.write_text("x")
    other_file = tmp_path / ("other-%s" % t)
    other_file.write_text("x")
    cat = shutil.which("cat")
    rules = tmp_path / "rules.yaml"
    exec_rule = RULE.format(name="ExecRule",
                            cond="evt.type = execve and proc.args contains %s" % t)
    rules.write_text(exec_rule)
    out = tmp_path / "alerts.json"
    proc = subprocess.Popen([bulwark, "watch", "-r", str(rules), "--json", "-o", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err_lines = Lines(proc.stderr)
    try:
        err_lines.wait_for("Watching: 1 syscall rules loaded")
        subprocess.run(["/bin/true", t], check=True)
        assert [a["rule"] for a in alerts(out)] == ["ExecRule"]

        # Errors: reported with file and line, the exec rule stays.
        rules.write_text(RULE.format(name="Broken", cond="(evt.type = openat"))
        proc.send_signal(signal.SIGHUP)
        err = err_lines.wait_for("kept the 1 syscall rules in use")
        assert "%s:3" % rules in err and "rule `Broken`" in err, err
        subprocess.run(["/bin/true", t], check=True)
        assert [a["rule"] for a in alerts(out)] == ["ExecRule"] * 2

        # Needs openat, which the running program does not trace: a new
        # sensor. The rule matches other_file; quiet_file, read by cat
        # again and again, is of no interest to it and the kernel learns
        # to stop it.
        rules.write_text(RULE.format(
            name="OpenOther", cond="evt.type in (open, openat) and fd.name = %s" % other_file))
        proc.send_signal(signal.SIGHUP)
        err_lines.wait_for("Watching: 1 syscall rules loaded")
        for _ in range(20):
            subprocess.run([cat, str(quiet_file)], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([cat, str(other_file)], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["/bin/true", t], check=True)
        got = alerts(out)
        assert [a["rule"] for a in got] == ["ExecRule"] * 2 + ["OpenOther"], got
        assert got[-1]["output_fields"]["fd.name"] == str(other_file)

        # Same syscalls, so the program stays; the kernel must forget that
        # quiet_file was of no interest, or this rule would never see it.
        rules.write_text(RULE.format(
            name="OpenQuiet", cond="evt.type in (open, openat) and fd.name = %s" % quiet_file))
        proc.send_signal(signal.SIGHUP)
        err_lines.wait_for("Watching: 1 syscall rules loaded")
        subprocess.run([cat, str(quiet_file)], check=True, stdout=subprocess.DEVNULL)
        got = alerts(out)
        assert [a["rule"] for a in got] == ["ExecRule"] * 2 + ["OpenOther", "OpenQuiet"], got
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    assert proc.returncode == 0
