#!/usr/bin/python3
"""bench/config-bench.py: Kubernetes objects per second, `bulwark config`
against PyYAML's safe_load_all (parsing only) on the same generated corpus.

  BULWARK_BIN=build/bulwark /usr/bin/python3 bench/config-bench.py [OBJECTS]

The corpus is realistic manifests (Deployments with probes, resources,
security contexts and env; Services; ConfigMaps; RBAC), 4 objects per file.
bulwark does all the work (parse, object model, every check, JSON report);
the peer only parses. Single-threaded on both sides, so the ratio is per core.

Both wall time and CPU time (user + sys of the child, from getrusage) are
printed: on a machine shared with other jobs the wall time counts the waits
for a core, the CPU time what one core spends, which is the per-core figure.
"""
import os
import resource
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]

DOC = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-{i}
  namespace: shop-{ns}
  labels: {{app: web-{i}, tier: frontend}}
  annotations:
    deployment.kubernetes.io/revision: "3"
spec:
  replicas: 3
  selector:
    matchLabels: {{app: web-{i}}}
  template:
    metadata:
      labels: {{app: web-{i}, tier: frontend}}
    spec:
      serviceAccountName: web
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        seccompProfile: {{type: RuntimeDefault}}
      containers:
      - name: app
        image: registry.example.com/shop/web:1.{i}.0
        imagePullPolicy: IfNotPresent
        ports:
        - {{containerPort: 8080, name: http}}
        env:
        - {{name: LOG_LEVEL, value: info}}
        - name: DB_PASSWORD
          valueFrom: {{secretKeyRef: {{name: db, key: password}}}}
        resources:
          requests: {{cpu: 100m, memory: 128Mi}}
          limits: {{cpu: 500m, memory: 256Mi}}
        livenessProbe:
          httpGet: {{path: /healthz, port: 8080}}
          initialDelaySeconds: 10
        readinessProbe:
          httpGet: {{path: /ready, port: 8080}}
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {{drop: [ALL]}}
        volumeMounts:
        - {{name: tmp, mountPath: /tmp}}
      volumes:
      - {{name: tmp, emptyDir: {{}}}}
---
apiVersion: v1
kind: Service
metadata:
  name: web-{i}
  namespace: shop-{ns}
spec:
  selector: {{app: web-{i}}}
  ports:
  - {{port: 80, targetPort: 8080, protocol: TCP}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-{i}-config
  namespace: shop-{ns}
data:
  app.properties: |
    server.port=8080
    feature.flags=a,b,c
  LOG_FORMAT: json
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: web-{i}
  namespace: shop-{ns}
rules:
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list, watch]
"""


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main():
    objects = int(sys.argv[1]) if len(sys.argv) > 1 else 40000
    files = objects // 4
    bulwark = os.environ.get("BULWARK_BIN") or str(ROOT / "build" / "bulwark")
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(files):
            p = pathlib.Path(tmp) / f"app-{i:06d}.yaml"
            p.write_text(DOC.format(i=i, ns=i % 17))
            paths.append(str(p))
        size = sum(os.path.getsize(p) for p in paths)

        t, c = time.perf_counter(), cpu_children()
        r = subprocess.run([bulwark, "config", "-f", "json", "-o", os.devnull, tmp],
                           capture_output=True, text=True)
        tb, cb = time.perf_counter() - t, cpu_children() - c
        if r.returncode not in (0,):
            print("bulwark failed:", r.returncode, r.stderr[:500])
            sys.exit(1)

        listing = pathlib.Path(tmp) / "files.txt"
        listing.write_text("\n".join(paths))
        code = ("import sys, yaml\n"
                "n = 0\n"
                "for p in open(sys.argv[1]).read().split():\n"
                "    n += sum(1 for d in yaml.safe_load_all(open(p)) if d)\n"
                "print(n)\n")
        t, c = time.perf_counter(), cpu_children()
        r = subprocess.run(["/usr/bin/python3", "-c", code, str(listing)],
                           capture_output=True, text=True)
        tp, cp = time.perf_counter() - t, cpu_children() - c
        pn = int(r.stdout.strip() or 0)

    print(f"corpus: {objects} objects in {files} files, {size / 1e6:.1f} MB")
    print(f"bulwark config (parse + all checks + JSON): {tb:.2f} s wall, "
          f"{objects / tb:,.0f} objects/s, {size / tb / 1e6:.1f} MB/s; "
          f"{cb:.2f} s CPU, {objects / cb:,.0f} objects/s per core")
    print(f"python3 yaml.safe_load_all (parse only, {pn} objects): {tp:.2f} s wall, "
          f"{pn / tp:,.0f} objects/s; {cp:.2f} s CPU, {pn / cp:,.0f} objects/s per core")
    print(f"ratio: bulwark is {tp / tb:.1f}x faster (wall), {cp / cb:.1f}x (CPU)")


if __name__ == "__main__":
    main()
