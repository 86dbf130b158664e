"""bulwark rbac who-can against manifests."""
import json

from conftest import run

RBAC = """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules:
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read-secrets, namespace: dev}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
subjects:
- {kind: User, name: jane}
- {kind: ServiceAccount, name: ci, namespace: dev}
"""


def test_who_can(bulwark, tmp_path):
    f = tmp_path / "rbac.yaml"
    f.write_text(RBAC)
    p = run(bulwark, "rbac", "who-can", "-f", "json", "-n", "dev", "get", "secrets", f, check=0)
    got = {(g["subject_kind"], g["subject"]) for g in json.loads(p.stdout)}
    assert got == {("User", "jane"), ("ServiceAccount", "ci")}
    p = run(bulwark, "rbac", "who-can", "-f", "json", "-n", "prod", "get", "secrets", f, check=0)
    assert json.loads(p.stdout) == []
    p = run(bulwark, "rbac", "who-can", "delete", "secrets", "-n", "dev", f, check=0)
    assert "no subject" in p.stdout


def test_rbac_findings(bulwark, tmp_path):
    f = tmp_path / "rbac.yaml"
    f.write_text(RBAC)
    p = run(bulwark, "config", "-f", "json", f, check=0)
    assert "RBAC-SECRETS-ACCESS" in {x["id"] for x in json.loads(p.stdout)["findings"]}
