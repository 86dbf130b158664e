"""`nc` to a loopback port inside a real container (podman with runc):
netcat with -e raises upstream's stable "Netcat Remote Code Execution in
Container", a listening nc the incubating "Launch Suspicious Network Tool
in Container", both for the container's processes, and the sensor sees nc's
connect to 127.0.0.1 on that port. The test image has no netcat, so
Debian's nc.traditional (libc only; scripts/install-deps installs it) is
bound into the container read-only."""
import random
import shutil
import uuid

import pytest

from test_watch import RULES_DIR, Watch, can_run, run_container

NC = shutil.which("nc.traditional")

pytestmark = pytest.mark.skipif(can_run() is not None or NC is None,
                                reason=str(can_run() or "nc.traditional missing"))


def test_netcat_in_container(bulwark, images, shared, tmp_path):
    rules = ["-r", str(shared / RULES_DIR / "falco_rules.yaml"),
             "-r", str(shared / RULES_DIR / "falco-incubating_rules.yaml")]
    w = Watch(bulwark, rules, tmp_path)
    port = random.randint(20000, 40000)
    script = ("nc -l -p {p} > /dev/null & "
              "for i in $(seq 20); do sleep 0.2; nc -q 1 -e /bin/true 127.0.0.1 {p} && break; done; "
              "kill %1 2>/dev/null; wait; true").format(p=port)
    cid = run_container(images, tmp_path, "bw-nc-%s" % uuid.uuid4().hex[:8], script,
                        extra=["-v", "%s:/usr/bin/nc:ro" % NC])
    alerts, events = w.stop()
    mine = [e for e in events if e.get("container.id") == cid and e.get("proc.name") == "nc"]
    assert mine, "no events of nc in the container"
    connects = [e for e in mine if e.get("evt.type") == "connect"]
    assert any(e.get("fd.rip") == "127.0.0.1" and e.get("fd.rport") == port for e in connects), connects[:3]

    ours = {(e.get("proc.name"), e.get("proc.cmdline")) for e in events if e.get("container.id") == cid}

    def fired(rule):
        return [a for a in alerts if a["rule"] == rule
                and (a["output_fields"].get("proc.name"), a["output_fields"].get("proc.cmdline")) in ours]

    rce = fired("Netcat Remote Code Execution in Container")
    assert {a["output_fields"]["proc.cmdline"] for a in rce} == {
        "nc -q 1 -e /bin/true 127.0.0.1 %d" % port}, [a["rule"] for a in alerts]
    # The listener; the other nc's exec raised the stable rule first (Falco
    # stops at the first matching rule).
    tool = fired("Launch Suspicious Network Tool in Container")
    assert {a["output_fields"]["proc.cmdline"] for a in tool} == {"nc -l -p %d" % port}, tool
