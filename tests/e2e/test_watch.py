"""The eBPF sensor against real containers (podman with runc): attack
behaviour acted out inside a container raises the matching upstream Falco
rule with the container's id and the fields the rule reports; a benign
workload raises none; a flood of processes overflows the ring buffer with
counted drops and the sensor goes on working."""
import json
import os
import re
import shutil
import signal
import subprocess
import time
import uuid

import pytest

RULES_DIR = "corpus/falco/rules/rules"
RULE_FILES = ["falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"]
PODMAN = ["podman", "run", "--rm", "--runtime", "runc", "--ulimit", "nofile=1024:1024",
          "--ulimit", "nproc=1024:1024"]

# (rule, script run by `sh -c` in a fresh container, fields the alert must
# report). {t} is a token unique to the run, so that an alert can only come
# from that container's process. Relative paths check that the kernel side
# resolves them against the working directory.
ATTACKS = [
    ("Read sensitive file untrusted", "cat /etc/shadow > /dev/null",
     {"fd.name": "/etc/shadow", "proc.name": "cat"}),
    ("Write below etc", "cd /etc && echo x > bw-{t}.conf",
     {"fd.name": "/etc/bw-{t}.conf", "evt.type": "openat"}),
    ("Write below binary dir", "echo x > /usr/bin/bw-{t}",
     {"fd.name": "/usr/bin/bw-{t}"}),
    ("Launch Package Management Process in Container", "dpkg -l > /dev/null",
     {"proc.name": "dpkg", "evt.type": "execve"}),
    ("Set Setuid or Setgid bit", "touch /tmp/bw-{t} && chmod u+s /tmp/bw-{t}",
     {"evt.arg.filename": "/tmp/bw-{t}", "proc.name": "chmod"}),
    ("Clear Log Activities", "cd /var/log && : > dpkg.log && echo {t} > /dev/null",
     {"fd.name": "/var/log/dpkg.log"}),
    ("Clear Log Activities", "cp /dev/null /var/log/alternatives.log; echo {t} > /dev/null",
     {"fd.name": "/var/log/alternatives.log", "proc.name": "cp"}),
    ("Search Private Keys or Passwords", "grep -r 'BEGIN RSA PRIVATE' /etc/{t} > /dev/null 2>&1; true",
     {"proc.name": "grep"}),
    ("Search Private Keys or Passwords", "find /etc /root -name id_rsa -newer /etc/{t} > /dev/null 2>&1; true",
     {"proc.name": "find"}),
    ("Execution from /dev/shm", "printf 'echo hi\\n' > /dev/shm/{t}.sh; sh /dev/shm/{t}.sh",
     {"proc.name": "sh"}),
    ("PTRACE attached to process", (
        "python3 -c 'import ctypes, os, time\n"
        "pid = os.fork()\n"
        "if pid == 0:\n    time.sleep(1); os._exit(0)\n"
        "ctypes.CDLL(None).ptrace(16, pid, 0, 0); os.waitpid(pid, 0)' {t}"),
     {"proc.name": "python3", "evt.type": "ptrace"}),
    ("Fileless execution via memfd_create", (
        "python3 -c 'import os\n"
        "fd = os.memfd_create(\"x\")\n"
        "os.write(fd, open(\"/bin/true\", \"rb\").read())\n"
        "os.execv(\"/proc/self/fd/%d\" % fd, [\"true\", \"{t}\"])'"),
     {"evt.arg.flags": "EXE_FROM_MEMFD"}),
    ("Create Symlink Over Sensitive Files", "cd /tmp && ln -s /etc/shadow bw-{t}",
     {"evt.arg.target": "/etc/shadow", "evt.arg.linkpath": "/tmp/bw-{t}", "proc.name": "ln"}),
    ("Delete or rename shell history", "cd /root && touch .bash_history && rm .bash_history; echo {t}",
     {"evt.arg.name": "/root/.bash_history", "proc.name": "rm"}),
    ("Redirect STDOUT/STDIN to Network Connection in Container", (
        "python3 -c 'import os, socket\n"
        "s = socket.socket(); s.bind((\"127.0.0.1\", 0)); s.listen(1)\n"
        "c = socket.create_connection(s.getsockname())\n"
        "os.dup2(c.fileno(), 1)' {t}"),
     {"evt.type": "dup2", "fd.type": "ipv4"}),
    ("Drop and execute new binary in container", "cp /bin/ls /tmp/bw-{t} && /tmp/bw-{t} > /dev/null",
     {"proc.exepath": "/tmp/bw-{t}", "evt.arg.flags": "EXE_UPPER_LAYER"}),
]


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


def rule_args(shared):
    args = []
    for f in RULE_FILES:
        args += ["-r", str(shared / RULES_DIR / f)]
    return args


class Watch:
    def __init__(self, bulwark, rules, tmp, record=True, extra=()):
        self.alerts = tmp / "alerts.json"
        self.events = tmp / "events.jsonl" if record else None
        cmd = [bulwark, "watch", *rules, "--json", "-o", str(self.alerts), "--stats", *extra]
        if record:
            cmd += ["--events", str(self.events)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
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
        events = []
        if self.events:
            events = [json.loads(l) for l in self.events.read_text().splitlines() if l.strip()]
        return alerts, events

    def stat(self, what):
        m = re.search(r"(\d+) " + what, self.stats)
        assert m, self.stats
        return int(m.group(1))


def run_container(images, tmp, name, script, tty=False, check=True, extra=()):
    """Runs script in a container; returns the container's short id."""
    cidfile = tmp / ("%s.cid" % name)
    cmd = PODMAN + (["-t"] if tty else []) + list(extra) + ["--name", name, "--cidfile", str(cidfile),
                                              "oci:%s/debian-multi.oci:v1" % images, "sh", "-c", script]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if check:
        assert p.returncode == 0, p.stderr
    return cidfile.read_text().strip()[:12]


def test_attacks_raise_their_rules(bulwark, images, shared, tmp_path, podman_service):
    w = Watch(bulwark, rule_args(shared), tmp_path)
    assert "81 syscall rules loaded" in w.ready, w.ready
    runs = []
    for rule, script, fields in ATTACKS:
        t = uuid.uuid4().hex[:10]
        cid = run_container(images, tmp_path, "bw-%s" % t, script.replace("{t}", t))
        runs.append((rule, t, cid, {k: v.replace("{t}", t) for k, v in fields.items()}))
    tty_cid = run_container(images, tmp_path, "bw-tty-%s" % uuid.uuid4().hex[:6], "true", tty=True)
    # A container that lives a while, so the engine can be asked its name.
    named = "bw-named-%s" % uuid.uuid4().hex[:6]
    named_cid = run_container(images, tmp_path, named, "sleep 3; cat /etc/hostname > /dev/null")
    priv_cid = run_container(images, tmp_path, "bw-priv-%s" % uuid.uuid4().hex[:6], "sleep 1; cat /etc/hostname",
                             extra=["--privileged"])
    # A user and group only the container's own files name, and a login
    # user (loginuid) set inside it.
    nt = uuid.uuid4().hex[:6]
    names_cid = run_container(images, tmp_path, "bw-names-%s" % nt, (
        "echo 'bwu{t}:x:4321:4321::/:/bin/sh' >> /etc/passwd; echo 'bwg{t}:x:4321:' >> /etc/group; "
        "echo 4321 > /proc/self/loginuid; setpriv --reuid 4321 --regid 4321 --clear-groups "
        "cat /etc/hostname > /dev/null; sleep 1").replace("{t}", nt), extra=["--cap-add", "AUDIT_CONTROL"])
    alerts, events = w.stop()
    assert w.stat("dropped in the kernel") == 0, w.stats
    fired = {}
    for a in alerts:
        fired.setdefault(a["rule"], []).append(a)
    # Processes by container, as (name, command line).
    procs = {}
    for e in events:
        procs.setdefault(e.get("container.id"), set()).add((e.get("proc.name"), e.get("proc.cmdline")))
    for rule, t, cid, fields in runs:
        assert rule in fired, "%s did not fire; fired: %s" % (rule, sorted(fired))
        # An alert of that rule with the expected fields, raised by a
        # process that ran in that container and nowhere else.
        mine = [a for a in fired[rule]
                if all(a["output_fields"].get(k) == v for k, v in fields.items())
                and (a["output_fields"].get("proc.name"), a["output_fields"].get("proc.cmdline")) in procs.get(cid, ())]
        assert mine, (rule, cid, fields, [a["output_fields"] for a in fired[rule]][:3])
        a = mine[0]
        assert not any((a["output_fields"].get("proc.name"), a["output_fields"].get("proc.cmdline")) in p
                       for c, p in procs.items() if c != cid and t in str(a["output_fields"])), rule
        # Falco's JSON shape.
        for k in ("time", "rule", "priority", "output", "output_fields", "tags", "source", "hostname"):
            assert k in a
        assert a["source"] == "syscall"
    # setuid bit: the mode as Falco prints it
    suid = [a for a in fired["Set Setuid or Setgid bit"] if "S_ISUID" in a["output_fields"]["evt.arg.mode"]]
    assert suid, fired["Set Setuid or Setgid bit"]
    # A terminal shell in the container that had a tty.
    assert any((a["output_fields"].get("proc.name"), a["output_fields"].get("proc.cmdline")) in procs.get(tty_cid, ())
               for a in fired.get("Terminal shell in container", [])), sorted(fired)
    # Name and image of a container, as containers/storage and podman report them.
    mine = [e for e in events if e.get("container.id") == named_cid and e.get("proc.name") == "cat"]
    assert mine and mine[0].get("container.name") == named, mine[:1]
    assert "debian-multi" in (mine[0].get("container.image.repository") or "")
    # The privileged flag, as podman recorded it for each container.
    assert mine[0].get("container.privileged") is False, mine[:1]
    priv = [e for e in events if e.get("container.id") == priv_cid and e.get("proc.name") == "cat"]
    assert priv and priv[0].get("container.privileged") is True, priv[:1]
    # fork and exit keep the process table: the container's processes have
    # their parents' names, and their exits are seen.
    assert any(e.get("container.id") == named_cid and e.get("evt.type") == "procexit" for e in events)
    sleeps = [e for e in events if e.get("container.id") == named_cid and e.get("proc.name") == "cat"
              and e.get("evt.type") == "execve"]
    assert sleeps and sleeps[0].get("proc.pname") == "sh", sleeps[:1]
    # Ids as the container sees them: its shell is pid 1 there and leads
    # its session and process group; cat, the shell's child, has its own
    # small vpid, a host pid that differs, and the shell as session leader.
    init = [e for e in events if e.get("container.id") == named_cid and e.get("proc.name") == "sh"
            and e.get("evt.type") == "execve"]
    assert init and init[0].get("proc.vpid") == 1 and init[0]["proc.pid"] > 1, init[:1]
    assert init[0].get("thread.vtid") == 1 and init[0].get("proc.sid") == 1, init[:1]
    assert init[0].get("proc.is_sid_leader") is True and init[0].get("proc.is_vpgid_leader") is True
    cat = sleeps[0]
    assert 1 < cat.get("proc.vpid") < 100 and cat["proc.pid"] != cat["proc.vpid"], cat
    assert cat.get("proc.pvpid") == 1 and cat.get("proc.vpgid") == 1 and cat.get("proc.sid") == 1, cat
    assert cat.get("proc.sname") == "sh" and cat.get("proc.is_sid_leader") is False, cat
    # Upstream's container_started macro (proc.vpid=1) now holds: the
    # privileged container's start raises its rule.
    started = [(a["output_fields"].get("proc.name"), a["output_fields"].get("proc.cmdline"))
               for a in fired.get("Launch Privileged Container", [])]
    assert any(p in procs.get(priv_cid, ()) for p in started), (started, sorted(fired))
    assert not any(p in procs.get(named_cid, ()) for p in started), started
    # A dropped binary runs from the container's upper layer; the inode's
    # times are in the alert, its ctime (the copy) shortly before its fork.
    rule = "Drop and execute new binary in container"
    dropped = [a["output_fields"] for a in fired[rule]
               if a["output_fields"].get("proc.exepath", "").startswith("/tmp/bw-")]
    assert dropped, fired[rule][:2]
    f = dropped[0]
    assert f["proc.exe_ino.ctime"] and f["proc.exe_ino.mtime"], f
    assert 0 <= int(f["proc.exe_ino.ctime_duration_proc_start"]) < 300 * 10**9, f
    drop_ev = [e for e in events if e.get("evt.type") == "execve"
               and (e.get("proc.exepath") or "").startswith("/tmp/bw-")]
    assert drop_ev and drop_ev[0]["proc.is_exe_upper_layer"] is True, drop_ev[:1]
    assert drop_ev[0]["proc.is_exe_lower_layer"] is False, drop_ev[:1]
    # The image's own programs come from a lower layer, and do not raise it.
    cat_ev = sleeps[0]
    assert cat_ev["proc.is_exe_upper_layer"] is False and cat_ev["proc.is_exe_lower_layer"] is True, cat_ev
    assert not any(a["output_fields"].get("proc.exepath") == "/usr/bin/cat" for a in fired[rule])
    # The container's start: its pid 1's fork, before its processes ran.
    assert init[0]["container.start_ts"] == cat["container.start_ts"], (init[0], cat)
    assert 0 <= cat["ts"] - cat["container.start_ts"] < 60 * 10**9, cat
    assert cat["container.start_ts"] != priv[0].get("container.start_ts"), (cat, priv[:1])
    # Names as the container's /etc/passwd and /etc/group give them.
    named_ev = [e for e in events if e.get("container.id") == names_cid and e.get("proc.name") == "cat"
                and e.get("evt.type") == "execve"]
    assert named_ev, "no exec of cat in %s" % names_cid
    n = named_ev[0]
    assert n["user.uid"] == 4321 and n["user.name"] == "bwu" + nt, n
    assert n["group.gid"] == 4321 and n["group.name"] == "bwg" + nt, n
    assert n["user.loginuid"] == 4321 and n["user.loginname"] == "bwu" + nt, n
    assert cat_ev["user.name"] == "root" and cat_ev["group.name"] == "root", cat_ev
    if cat_ev["user.loginuid"] == -1:
        assert "user.loginname" not in cat_ev, cat_ev
    # On a host whose programs are not on overlayfs neither holds.
    host = [e for e in events if e.get("container.id") == "host" and e.get("evt.type") == "execve"
            and e.get("proc.exepath") in ("/usr/bin/podman", "/usr/bin/runc", "/usr/sbin/runc")]
    assert host, "no host exec of podman or runc recorded"
    fs = subprocess.run(["stat", "-f", "-c", "%T", host[0]["proc.exepath"]], capture_output=True, text=True)
    if fs.stdout.strip() != "overlayfs":
        assert host[0]["proc.is_exe_upper_layer"] is False, host[:1]
        assert host[0]["proc.is_exe_lower_layer"] is False, host[:1]


BENIGN = r"""
set -e
mkdir -p /tmp/work/src /tmp/work/out && cd /tmp/work
for i in $(seq 1 30); do
  printf 'def f%d(x):\n    return x * %d\n' $i $i > src/mod$i.py
done
cat > src/test_all.py <<'EOF'
import unittest, importlib, sys
sys.path.insert(0, "/tmp/work/src")
class T(unittest.TestCase):
    def test_mods(self):
        for i in range(1, 31):
            m = importlib.import_module("mod%d" % i)
            self.assertEqual(getattr(m, "f%d" % i)(2), 2 * i)
unittest.main(argv=["t"], exit=True)
EOF
python3 -m py_compile src/mod*.py
python3 src/test_all.py 2> out/test.log
for i in $(seq 1 30); do cp src/mod$i.py out/ && mv out/mod$i.py out/m$i.py; done
tar czf out/src.tgz src && tar tzf out/src.tgz > out/list.txt
sort out/list.txt | uniq | wc -l > out/count.txt
perl -e 'print 1' > /dev/null
rm -rf out src
"""

CONTAINER_START_AUDITS = {"Launch Privileged Container", "Launch Excessively Capable Container",
                          "Launch Disallowed Container"}


def test_benign_workload_raises_none(bulwark, images, shared, tmp_path, podman_service):
    w = Watch(bulwark, rule_args(shared), tmp_path)
    cid = run_container(images, tmp_path, "bw-benign-%s" % uuid.uuid4().hex[:6], BENIGN)
    alerts, events = w.stop()
    mine = [e for e in events if e.get("container.id") == cid]
    ran = {e.get("proc.name") for e in mine}
    assert {"python3", "tar", "cp", "mv", "rm", "sort", "perl"} <= ran, ran
    types = {e.get("evt.type") for e in mine}
    assert {"execve", "openat", "renameat2", "unlinkat", "clone", "procexit"} <= types, types
    cmdlines = {(e.get("proc.name"), e.get("proc.cmdline")) for e in mine}
    # Audits of a container's start (upstream's container_started: its
    # vpid 1 execs) are about the container, not the workload; but the
    # sandbox's "Launch Sensitive Mount Container" must not fire: this
    # container mounts nothing from the host.
    hits = [a for a in alerts if a["rule"] not in CONTAINER_START_AUDITS
            and (a["output_fields"].get("proc.name"), a["output_fields"].get("proc.cmdline")) in cmdlines]
    assert not hits, [(a["rule"], a["output"]) for a in hits]
    starts = [e for e in mine if e.get("proc.vpid") == 1 and e.get("evt.type") == "execve"]
    assert starts and starts[0].get("container.mount") == [], starts[:1]


# Reports, beside upstream's rule, the field its macro reads.
MOUNT_PROBE = """
- rule: Probe sensitive mount fields
  desc: the fields upstream's sensitive_mount macro reads, at a container's start
  condition: container_started and sensitive_mount
  output: process=%proc.name command=%proc.cmdline dest=%container.mount.dest[/etc] proc=%container.mount.dest[/proc*] src=%container.mount.source[/hostproc] rw=%container.mount.rdwr[/etc]
  priority: INFO
"""


def test_sensitive_mount_container(bulwark, images, shared, tmp_path, podman_service):
    probe = tmp_path / "probe.yaml"
    probe.write_text(MOUNT_PROBE)
    w = Watch(bulwark, rule_args(shared) + ["-r", str(probe)], tmp_path)
    t = uuid.uuid4().hex[:6]
    # A bind of the host's /etc (read-only) and /proc: upstream's macro
    # names both. The other container mounts nothing from the host.
    mounted = run_container(images, tmp_path, "bw-mnt-%s" % t, "sleep 1; cat /host-etc/hostname > /dev/null",
                            extra=["-v", "/etc:/host-etc:ro", "-v", "/proc:/hostproc"])
    plain = run_container(images, tmp_path, "bw-plain-%s" % t, "sleep 1; cat /etc/hostname > /dev/null")
    alerts, events = w.stop()
    procs = {}
    for e in events:
        procs.setdefault(e.get("container.id"), set()).add((e.get("proc.name"), e.get("proc.cmdline")))

    def of(rule, cid):
        return [a for a in alerts if a["rule"] == rule
                and (a["output_fields"].get("proc.name"), a["output_fields"].get("proc.cmdline")) in procs.get(cid, ())]

    fired = of("Launch Sensitive Mount Container", mounted)
    assert fired, sorted({a["rule"] for a in alerts})
    mounts = fired[0]["output_fields"]["container.mounts"]
    assert "/etc:/host-etc::false:rprivate" in mounts and "/proc:/hostproc::true:rprivate" in mounts, mounts
    # Only the binds asked for: not the runtime's proc, sysfs, tmpfs, nor
    # podman's /etc/hosts and friends.
    assert len(mounts.split(",")) == 2, mounts
    # The recorded events carry the mounts: replayed with every matching
    # rule reported, the probe shows the fields upstream's macro read.
    p = subprocess.run([bulwark, "replay", *rule_args(shared), "-r", str(probe), "--all-matches", "--json",
                        "-q", str(w.events)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    alerts = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    probe_hit = of("Probe sensitive mount fields", mounted)
    assert probe_hit, sorted({a["rule"] for a in alerts})
    assert of("Launch Sensitive Mount Container", mounted)
    assert probe_hit[0]["output_fields"]["container.mount.dest[/etc]"] == "/host-etc", probe_hit[0]
    assert probe_hit[0]["output_fields"]["container.mount.dest[/proc*]"] == "/hostproc", probe_hit[0]
    assert probe_hit[0]["output_fields"]["container.mount.source[/hostproc]"] == "/proc", probe_hit[0]
    assert probe_hit[0]["output_fields"]["container.mount.rdwr[/etc]"] == "false", probe_hit[0]
    # The container without mounts raises neither, though it started too.
    assert any(e.get("container.id") == plain and e.get("proc.vpid") == 1 for e in events)
    assert not of("Launch Sensitive Mount Container", plain), of("Launch Sensitive Mount Container", plain)
    assert not of("Probe sensitive mount fields", plain)
    # On the host, the fields are not there at all.
    host = [e for e in events if e.get("container.id") == "host"]
    assert host and not any("container.mount" in e or "container.mounts" in e for e in host)


def test_flood_drops_are_counted_and_the_sensor_goes_on(bulwark, images, shared, tmp_path, podman_service):
    # A 16 KiB ring buffer holds a dozen exec events: 3000 processes at once
    # overflow it. No --events: the kernel's quiet filter is on as well.
    w = Watch(bulwark, rule_args(shared), tmp_path, record=False, extra=["--buffer-size", "16K"])
    run_container(images, tmp_path, "bw-flood-%s" % uuid.uuid4().hex[:6],
                  "i=0; while [ $i -lt 3000 ]; do /bin/true & i=$((i+1)); done; wait", check=False)
    # Afterwards the sensor still works: the same sensitive read, twice,
    # after many harmless reads of other files, raises two alerts.
    t = uuid.uuid4().hex[:8]
    # (the shell's own reads: no exec, so the small buffer is not what is tested here)
    run_container(images, tmp_path, "bw-after-%s" % t,
                  "for i in $(seq 1 500); do read x < /etc/hostname; read y < /etc/os-release; done; sleep 2; "
                  "for i in 1 2 3; do cat /etc/shadow /etc/{t} > /dev/null 2>&1; sleep 1; done; true"
                  .replace("{t}", t))
    alerts, _ = w.stop()
    assert w.stat("dropped in the kernel") > 0, w.stats
    assert w.stat("stopped in the kernel") > 0, w.stats
    shadow = [a for a in alerts if a["rule"] == "Read sensitive file untrusted"
              and a["output_fields"].get("proc.name") == "cat"]
    assert len(shadow) >= 2, (w.stats, [a["output"] for a in alerts][:5])
    assert any(t in (a["output_fields"].get("proc.cmdline") or "") for a in shadow), shadow


def test_needs_rules_and_reports_bad_rules(bulwark, tmp_path):
    p = subprocess.run([bulwark, "watch"], capture_output=True, text=True)
    assert p.returncode == 2 and "no rules" in p.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("- rule: x\n  condition: evt.type = open and (\n  output: x\n  priority: WARNING\n  desc: x\n")
    p = subprocess.run([bulwark, "watch", "-r", str(bad)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 3
    assert "bad.yaml" in p.stderr
    good = tmp_path / "good.yaml"
    good.write_text("- rule: x\n  condition: evt.type = execve\n  output: x\n  priority: WARNING\n  desc: x\n")
    p = subprocess.run([bulwark, "watch", "-r", str(good), "--buffer-size", "1000"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and "power of two" in p.stderr, p.stderr
