"""bulwark audit against the upstream k8s audit fixtures: every case of
falco's falco_k8s_audit_tests.yaml (../shared/corpus/falco/k8saudit-tests)
must produce exactly the expected rules, and no others."""
import json
import pathlib
import socket
import subprocess
import time
import urllib.request

import pytest

from conftest import Lines, run

CORPUS = "corpus/falco"


def rules_path(shared, r):
    if r.startswith("BUILD_DIR"):
        if r.endswith("falco_rules.yaml"):
            return shared / CORPUS / "rules/rules/falco_rules.yaml"
        return shared / CORPUS / "plugins/k8saudit/rules/k8s_audit_rules.yaml"
    return shared / CORPUS / "legacy-tests" / r


def load_cases(shared):
    p = shared / CORPUS / "k8saudit-tests/cases.json"
    if not p.exists():
        return []
    return json.loads(p.read_text())["cases"]


def load_testing_cases(shared):
    p = shared / CORPUS / "k8saudit-tests/falcosecurity-testing-cases.json"
    if not p.exists():
        return []
    return json.loads(p.read_text())["cases"]


def pytest_generate_tests(metafunc):
    import os
    root = pathlib.Path(__file__).resolve().parents[2]
    shared = pathlib.Path(os.environ.get("BULWARK_SHARED", root.parent / "shared"))
    if "case" in metafunc.fixturenames:
        cases = load_cases(shared)
        metafunc.parametrize("case", cases, ids=[c["name"] for c in cases])
    if "tcase" in metafunc.fixturenames:
        cases = load_testing_cases(shared)
        metafunc.parametrize("tcase", cases, ids=[c["test"] for c in cases])


# The fixtures were written for falco 0.34.1's rule files; upstream has since
# renamed some rules and lists. These are the only translations applied.
RENAMED_RULES = {
    "K8s Role/Clusterrole Created": "K8s ClusterRole Created",
    "K8s Role/Clusterrole Deleted": "K8s ClusterRole Deleted",
    "K8s Role/Clusterrolebinding Created": "K8s ClusterRoleBinding Created",
}
RENAMED_LISTS = {
    "falco_sensitive_mount_images": "k8s_audit_sensitive_mount_images",
    "falco_privileged_images": "k8s_audit_privileged_images",
    "falco_hostnetwork_images": "k8s_audit_hostnetwork_images",
}


# engine_v4_k8s_audit_rules.yaml reads falco_privileged_images,
# falco_hostnetwork_images and falco_sensitive_mount_images, lists of falco
# 0.34.1's falco_rules.yaml that the current upstream file no longer defines.
# When it is loaded, they are declared empty right after falco_rules.yaml (the
# old items are other images than the fixtures' nginx), so that
# trust_nginx_container.yaml's appends reach its rules as they did upstream;
# the appends also go to the renamed k8s_audit_* lists of the current rules.
OLD_FALCO_LISTS = "".join(f"- list: {old}\n  items: []\n" for old in RENAMED_LISTS)


def rules_args(shared, files, tmp_path):
    engine_v4 = any("engine_v4" in r for r in files)
    args = []
    for i, r in enumerate(files):
        path = rules_path(shared, r)
        if r.endswith("trust_nginx_container.yaml"):
            text = path.read_text()
            renamed = text
            for old, new in RENAMED_LISTS.items():
                renamed = renamed.replace(old, new)
            path = tmp_path / f"{i}-{path.name}"
            path.write_text((text + "\n" if engine_v4 else "") + renamed)
        args += ["-r", path]
        if engine_v4 and r.endswith("falco_rules.yaml"):
            shim = tmp_path / "old-falco-lists.yaml"
            shim.write_text(OLD_FALCO_LISTS)
            args += ["-r", shim]
    return args


def test_fixture(bulwark, shared, case, tmp_path):
    args = ["audit", "--json"] + rules_args(shared, case["rules_file"], tmp_path)
    args.append(shared / CORPUS / "legacy-tests" / case["input"])
    p = run(bulwark, *args)
    assert p.returncode == 0, p.stderr
    alerts = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    counts = {}
    for a in alerts:
        counts[a["rule"]] = counts.get(a["rule"], 0) + 1
        assert a["source"] == "k8s_audit"
        assert a["output"] and a["time"].endswith("Z")
    expected = {}
    for d in case.get("detect_counts") or []:
        expected.update({RENAMED_RULES.get(k, k): v for k, v in d.items()})
    if case.get("detect"):
        assert counts == expected
        level = case.get("detect_level")
        if level:
            prio = {"WARNING": "Warning", "INFO": "Informational", "NOTICE": "Notice",
                    "ERROR": "Error", "CRITICAL": "Critical"}[level]
            assert all(a["priority"] == prio for a in alerts)
    else:
        assert counts == {}
    if case.get("stderr_contains"):
        assert case["stderr_contains"] in p.stderr


# falcosecurity/testing's k8saudit_test.go names its rule files by Go
# variable; these are the files of legacy-tests/rules/k8s_audit they embed.
# LegacyFalcoRules_v1_0_1 (syscall rules, only lists matter here) is the
# current falco_rules.yaml, as for cases.json.
TESTING_RULES = {
    "LegacyFalcoRules_v1_0_1": "BUILD_DIR/falco_rules.yaml",
    "K8SAuditRules": "BUILD_DIR/k8s_audit_rules.yaml",
    "K8SAuditEngineV4K8SAuditRules": "rules/k8s_audit/engine_v4_k8s_audit_rules.yaml",
    "K8SAuditEngineV4AllowNginxContainer": "rules/k8s_audit/engine_v4/allow_nginx_container.yaml",
    "K8SAuditEngineV4AllowOnlyApacheContainer":
        "rules/k8s_audit/engine_v4/allow_only_apache_container.yaml",
    "K8SAuditAllowNamespaceFoo": "rules/k8s_audit/allow_namespace_foo.yaml",
    "K8SAuditAllowNginxContainer": "rules/k8s_audit/allow_nginx_container.yaml",
    "K8SAuditAllowOnlyApacheContainer": "rules/k8s_audit/allow_only_apache_container.yaml",
    "K8SAuditAllowUserSomeUser": "rules/k8s_audit/allow_user_some-user.yaml",
    "K8SAuditDisallowKactivity": "rules/k8s_audit/disallow_kactivity.yaml",
    "K8SAuditTrustNginxContainer": "rules/k8s_audit/trust_nginx_container.yaml",
}
PRIORITIES = {"WARNING": "Warning", "INFO": "Informational", "NOTICE": "Notice",
              "ERROR": "Error", "CRITICAL": "Critical"}


def capture_for(shared, tcase):
    """The capture file: capture_file_guess snake-cases the Go variable
    (some_user_..., fal01003); match it to the real name ignoring '_' and '-'."""
    d = shared / CORPUS / "legacy-tests/trace_files/k8s_audit"
    guess = tcase["capture_file_guess"].split("/")[-1]
    norm = lambda n: n.replace("_", "").replace("-", "").lower()
    for f in sorted(d.iterdir()):
        if norm(f.name) == norm(guess):
            return f
    pytest.skip(f"capture {guess} ({tcase['capture_var']}) is not in the corpus")


def test_testing_fixture(bulwark, shared, tcase, tmp_path):
    """falcosecurity-testing-cases.json: the assertions of falcosecurity/testing
    (NotZero/Zero/Equal over detections, by rule or priority), made exact: the
    rules the assertions name, each as many times as they say, and no others;
    a case without assertions (or with Zero) detects nothing."""
    args = ["audit", "--json"] + rules_args(shared, [TESTING_RULES[v] for v in tcase["rules_vars"]],
                                            tmp_path)
    args.append(capture_for(shared, tcase))
    p = run(bulwark, *args)
    assert p.returncode == tcase["expected_exit_code"], p.stderr
    alerts = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    counts = {}
    for a in alerts:
        counts[a["rule"]] = counts.get(a["rule"], 0) + 1
        assert a["source"] == "k8s_audit"
    asserts = tcase["detection_assertions"]
    expected = {}
    for a in asserts:
        f = a["filter"]
        if "OfRule" in f:
            rule = RENAMED_RULES.get(f["OfRule"], f["OfRule"])
            got = counts.get(rule, 0)
            if a["assert"] == "Equal":
                expected[rule] = a["value"]
            elif a["assert"] == "NotZero":
                assert got, f"{rule} not detected: {counts}"
                expected[rule] = got
            else:
                assert got == 0, counts
        elif "OfPriority" in f:
            prio = PRIORITIES[f["OfPriority"]]
            n = sum(1 for x in alerts if x["priority"] == prio)
            assert (n == 0) == (a["assert"] == "Zero"), (a, counts)
            if a["assert"] == "NotZero":
                # exact: every detection has that priority
                assert all(x["priority"] == prio for x in alerts), alerts
        elif a["assert"] == "Zero":
            assert counts == {}
        else:
            assert counts, "nothing detected"
    if expected:
        assert counts == expected
    elif not any(a["assert"] == "NotZero" for a in asserts):
        assert counts == {}
    else:
        # NotZero without a rule name: one rule, as the fixture's single event
        assert len(counts) == 1, counts


def test_text_output_and_summary(bulwark, shared):
    base = shared / CORPUS
    p = run(bulwark, "audit", "-r", base / "plugins/k8saudit/rules/k8s_audit_rules.yaml",
            base / "legacy-tests/trace_files/k8s_audit/create_nginx_pod_privileged.json", check=0)
    line = p.stdout.strip()
    # "HH:MM:SS.nnnnnnnnn: Warning Pod started with privileged container ..."
    assert line[2] == ":" and line[18:20] == ": ", line
    assert " Warning Pod started with privileged container" in line
    assert "Create Privileged Pod: 1" in p.stderr


def test_stdin_and_bad_lines(bulwark, shared, tmp_path):
    base = shared / CORPUS
    good = (base / "legacy-tests/trace_files/k8s_audit/create_deployment.json").read_text()
    data = "not json\n" + '{"kind":"Event","apiVersion":"audit.k8s.io/v9"}\n' + good
    p = subprocess.run([bulwark, "audit", "--json", "-r",
                        str(base / "plugins/k8saudit/rules/k8s_audit_rules.yaml"), "-"],
                       input=data, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0
    assert "<stdin>:1: invalid JSON" in p.stderr
    assert "<stdin>:2: unsupported audit event apiVersion" in p.stderr
    assert json.loads(p.stdout)["rule"] == "K8s Deployment Created"


def test_bad_rules_exit_3(bulwark, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- rule: x\n  desc: d\n  condition: (ka.verb = get\n  output: o\n"
                   "  priority: INFO\n  source: k8s_audit\n")
    ev = tmp_path / "e.json"
    ev.write_text("")
    p = run(bulwark, "audit", "-r", bad, ev)
    assert p.returncode == 3
    assert f"{bad}:3" in p.stderr and "rule `x`" in p.stderr


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def post_events(port, body):
    for _ in range(50):
        try:
            req = urllib.request.Request(f"http://127.0.0.1:{port}/k8s-audit", data=body,
                                         method="POST")
            with urllib.request.urlopen(req, timeout=5) as r:
                assert r.status == 200
            return
        except urllib.error.HTTPError:
            raise
        except OSError:
            time.sleep(0.1)
    raise AssertionError("webhook not reachable")


def test_webhook(bulwark, shared):
    base = shared / CORPUS
    port = free_port()
    proc = subprocess.Popen([bulwark, "audit", "--json", "-r",
                             str(base / "plugins/k8saudit/rules/k8s_audit_rules.yaml"),
                             "--listen", f"127.0.0.1:{port}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ev = json.loads((base / "legacy-tests/trace_files/k8s_audit/create_service.json")
                        .read_text())
        body = json.dumps({"kind": "EventList", "apiVersion": "audit.k8s.io/v1",
                           "items": [ev, ev]}).encode()
        post_events(port, body)
        req = urllib.request.Request(f"http://127.0.0.1:{port}/k8s-audit", data=b"{",
                                     method="POST")
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=5)
        assert e.value.code == 400
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=10)
    rules = [json.loads(line)["rule"] for line in out.splitlines()]
    assert rules == ["K8s Service Created", "K8s Service Created"]


def test_webhook_reload(bulwark, shared, tmp_path):
    """SIGHUP reloads the rules between requests; a file with errors is
    reported with file and line and the rules in use stay."""
    import signal
    base = shared / CORPUS
    ev = json.loads((base / "legacy-tests/trace_files/k8s_audit/create_service.json").read_text())
    body = json.dumps({"kind": "EventList", "apiVersion": "audit.k8s.io/v1",
                       "items": [ev]}).encode()
    rules = tmp_path / "r.yaml"
    rule = ("- rule: {name}\n  desc: d\n  condition: ka.verb = create and ka.target.resource = "
            "services\n  output: svc %ka.target.name\n  priority: WARNING\n  source: k8s_audit\n")
    rules.write_text(rule.format(name="First"))
    port = free_port()
    proc = subprocess.Popen([bulwark, "audit", "--json", "-r", str(rules),
                             "--listen", f"127.0.0.1:{port}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    err_lines = Lines(proc.stderr)
    try:
        err_lines.wait_for("Loaded 1 k8s_audit rules")
        post_events(port, body)
        # Broken: the error names file and line, the first rule stays.
        rules.write_text(rule.format(name="Second").replace("= create", "= (create"))
        proc.send_signal(signal.SIGHUP)
        err = err_lines.wait_for("kept the 1 k8s_audit rules in use")
        assert f"{rules}:3" in err and "rule `Second`" in err, err
        post_events(port, body)
        # Good again: the new rule replaces the first.
        rules.write_text(rule.format(name="Third"))
        proc.send_signal(signal.SIGHUP)
        err_lines.wait_for("Loaded 1 k8s_audit rules")
        post_events(port, body)
    finally:
        proc.terminate()
        out = proc.stdout.read()
        proc.wait(timeout=10)
    assert proc.returncode == 0
    assert [json.loads(line)["rule"] for line in out.splitlines()] == ["First", "First", "Third"]


class AlertSink:
    """A local Falcosidekick stand-in: records POSTed JSON bodies; answers 503
    to the first `fail_first` requests so that retries are exercised."""

    def __init__(self, fail_first=0):
        import http.server
        import threading
        sink = self
        self.bodies, self.requests, self.fail_first = [], 0, fail_first

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                sink.requests += 1
                if sink.requests <= sink.fail_first:
                    self.send_response(503)
                    self.end_headers()
                    return
                assert self.headers.get("Content-Type") == "application/json"
                sink.bodies.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("fmt", ["--json", None])
def test_http_output(bulwark, shared, fmt):
    base = shared / CORPUS
    sink = AlertSink(fail_first=1)
    try:
        args = ["audit", "-r", base / "plugins/k8saudit/rules/k8s_audit_rules.yaml",
                "--http-output", sink.url,
                base / "legacy-tests/trace_files/k8s_audit/create_nginx_pod_privileged.json"]
        if fmt:
            args.insert(1, fmt)
        p = run(bulwark, *args, check=0)
    finally:
        sink.close()
    # stdout keeps its format; the endpoint always gets Falco's JSON
    assert p.stdout.strip().startswith("{") == bool(fmt)
    assert [b["rule"] for b in sink.bodies] == ["Create Privileged Pod"]
    b = sink.bodies[0]
    assert set(b) == {"hostname", "output", "output_fields", "priority", "rule", "source",
                      "tags", "time"}
    assert b["priority"] == "Warning" and b["source"] == "k8s_audit"
    assert sink.requests == 2  # one 503, then delivered
    assert "HTTP output: 1 alerts sent, 1 retries" in p.stderr


def test_http_output_unreachable(bulwark, shared):
    base = shared / CORPUS
    p = run(bulwark, "audit", "-r", base / "plugins/k8saudit/rules/k8s_audit_rules.yaml",
            "--http-output", f"http://127.0.0.1:{free_port()}/",
            base / "legacy-tests/trace_files/k8s_audit/create_nginx_pod_privileged.json",
            check=0)
    assert "HTTP output: 1 alerts not delivered (1 failed, 0 dropped)" in p.stderr
    assert "Create Privileged Pod: 1" in p.stderr


def test_http_output_bad_url(bulwark, shared):
    base = shared / CORPUS
    p = run(bulwark, "audit", "-r", base / "plugins/k8saudit/rules/k8s_audit_rules.yaml",
            "--http-output", "ftp://x/", base / "legacy-tests/trace_files/k8s_audit/create_service.json")
    assert p.returncode != 0 and "not an http(s) URL" in p.stderr
