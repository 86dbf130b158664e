"""The eBPF sensor against real containers (podman with runc): attack
behaviour acted out inside a container raises the matching upstream Falco
rule with the container's id and name; a benign workload raises none."""
import json
import os
import shutil
import signal
import subprocess
import time
import uuid

import pytest

RULES = "corpus/falco/rules/rules/falco_rules.yaml"
PODMAN = ["podman", "run", "--rm", "--runtime", "runc", "--ulimit", "nofile=1024:1024",
          "--ulimit", "nproc=1024:1024"]

ATTACKS = {
    "Read sensitive file untrusted": "cat /etc/shadow > /dev/null",
    "Search Private Keys or Passwords": "grep -r 'BEGIN RSA PRIVATE' /etc > /dev/null; true",
    "Clear Log Activities": ": > /var/log/dpkg.log",
    "Execution from /dev/shm": "printf 'echo hi\\n' > /dev/shm/x.sh; sh /dev/shm/x.sh",
    "PTRACE attached to process": (
        "python3 -c 'import ctypes, os, time\n"
        "pid = os.fork()\n"
        "if pid == 0:\n    time.sleep(1); os._exit(0)\n"
        "ctypes.CDLL(None).ptrace(16, pid, 0, 0); os.waitpid(pid, 0)'"),
    "Fileless execution via memfd_create": (
        "python3 -c 'import os\n"
        "fd = os.memfd_create(\"x\")\n"
        "os.write(fd, open(\"/bin/true\", \"rb\").read())\n"
        "os.execv(\"/proc/self/fd/%d\" % fd, [\"true\"])'"),
}


def can_run():
    if os.geteuid() != 0:
        return "needs root"
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        return "kernel without BTF"
    for tool in ("podman", "runc"):
        if not shutil.which(tool):
            return "%s missing" % tool
    return None


pytestmark = pytest.mark.skipif(can_run() is not None, reason=str(can_run()))


@pytest.fixture(scope="module")
def podman_service():
    """podman's API socket, which the sensor asks for container names."""
    os.makedirs("/run/podman", exist_ok=True)
    sock = "/run/podman/podman.sock"
    proc = None
    if not os.path.exists(sock):
        proc = subprocess.Popen(["podman", "system", "service", "--time=0", "unix://" + sock],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(50):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
    yield sock
    if proc:
        proc.terminate()
        proc.wait(timeout=30)


class Watch:
    def __init__(self, bulwark, rules, tmp):
        self.alerts = tmp / "alerts.json"
        self.events = tmp / "events.jsonl"
        self.proc = subprocess.Popen(
            [bulwark, "watch", "-r", str(rules), "--json", "-o", str(self.alerts),
             "--events", str(self.events), "--stats"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stderr.readline()
        while line and not line.startswith("Watching:"):
            line = self.proc.stderr.readline()
        assert line.startswith("Watching:"), line
        self.ready = line

    def stop(self):
        time.sleep(1.0)  # let the last events drain
        self.proc.send_signal(signal.SIGINT)
        out, err = self.proc.communicate(timeout=60)
        self.stats = err
        assert self.proc.returncode == 0, err
        alerts = [json.loads(l) for l in self.alerts.read_text().splitlines() if l.strip()]
        events = [json.loads(l) for l in self.events.read_text().splitlines() if l.strip()]
        return alerts, events


def run_container(images, tmp, name, script, tty=False):
    """Runs script in a container; returns the container's short id."""
    cidfile = tmp / ("%s.cid" % name)
    cmd = PODMAN + (["-t"] if tty else []) + ["--name", name, "--cidfile", str(cidfile),
                                              "oci:%s/debian-multi.oci:v1" % images, "sh", "-c", script]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stderr
    return cidfile.read_text().strip()[:12]


def test_attacks_raise_their_rules(bulwark, images, shared, tmp_path, podman_service):
    w = Watch(bulwark, shared / RULES, tmp_path)
    assert "25 syscall rules loaded" in w.ready
    cids = {}
    for rule, script in ATTACKS.items():
        cids[rule] = run_container(images, tmp_path, "bw-%s" % uuid.uuid4().hex[:8], script)
    cids["Terminal shell in container"] = run_container(images, tmp_path, "bw-tty-%s" % uuid.uuid4().hex[:6],
                                                        "true", tty=True)
    # A container that lives a while, so the engine can be asked its name.
    named = "bw-named-%s" % uuid.uuid4().hex[:6]
    named_cid = run_container(images, tmp_path, named, "sleep 3; cat /etc/hostname > /dev/null")
    alerts, events = w.stop()
    assert "0 dropped in the kernel" in w.stats
    fired = {}
    for a in alerts:
        fired.setdefault(a["rule"], []).append(a)
    for rule, cid in cids.items():
        assert rule in fired, "%s did not fire; fired: %s" % (rule, sorted(fired))
        # The alert came from that container: a process with the alert's
        # name ran there, and the events carry the container's id.
        assert any(e.get("container.id") == cid for e in events), cid
        a = fired[rule][0]
        procname = a["output_fields"].get("proc.name")
        assert any(e.get("container.id") == cid and e.get("proc.name") == procname for e in events), \
            (rule, cid, procname)
        # Falco's JSON shape.
        for k in ("time", "rule", "priority", "output", "output_fields", "tags", "source", "hostname"):
            assert k in a
        assert a["source"] == "syscall"
    # Name and image of a container, as podman's API reports them.
    mine = [e for e in events if e.get("container.id") == named_cid and e.get("proc.name") == "cat"]
    assert mine and mine[0].get("container.name") == named, mine[:1]
    assert "debian-multi" in (mine[0].get("container.image.repository") or "")


def test_benign_workload_raises_none(bulwark, images, shared, tmp_path, podman_service):
    w = Watch(bulwark, shared / RULES, tmp_path)
    cid = run_container(images, tmp_path, "bw-benign-%s" % uuid.uuid4().hex[:6],
                        "ls / > /dev/null; python3 -c 'print(sum(range(10**5)))' > /dev/null;"
                        " cat /etc/os-release > /dev/null; perl -e 'print 1' > /dev/null;"
                        " cd /tmp && printf 'int main(void){return 0;}' > a.c && cat a.c > /dev/null")
    alerts, events = w.stop()
    assert any(e.get("container.id") == cid for e in events)
    # No alert names a process that ran in the benign container.
    ran = {e.get("proc.name") for e in events if e.get("container.id") == cid}
    assert {"ls", "python3", "cat", "perl"} <= ran, ran
    bad = set(ATTACKS) | {"Terminal shell in container"}
    hits = [a for a in alerts if a["rule"] in bad and a["output_fields"].get("proc.name") in ran
            and any(e.get("container.id") == cid and e.get("proc.pid") == a["output_fields"].get("proc.pid")
                    for e in events)]
    assert not hits, hits


def test_needs_rules_and_reports_bad_rules(bulwark, tmp_path):
    p = subprocess.run([bulwark, "watch"], capture_output=True, text=True)
    assert p.returncode == 2 and "no rules" in p.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("- rule: x\n  condition: evt.type = open and (\n  output: x\n  priority: WARNING\n  desc: x\n")
    p = subprocess.run([bulwark, "watch", "-r", str(bad)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 3
    assert "bad.yaml" in p.stderr
