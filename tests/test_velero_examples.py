"""Velero's own manifests with hooks on non-VM workloads (tests/data/velero-examples, Apache-2.0, attributed in
SOURCES.tsv): every finding vmlint gives on them, exactly."""

from __future__ import annotations

import csv
from pathlib import Path

from lint.core.catalogue import builtin_catalogue
from lint.run.discovery import InputFile
from lint.run.engine import run, select_rules
from lint.target.settings import Settings

DATA = Path(__file__).resolve().parent / "data" / "velero-examples"
SOURCES = DATA / "SOURCES.tsv"

# The docs' two Restore blocks elide a field with an indented `...` (`excludedResources:` then `  ...`), which is
# not YAML: kubectl refuses them as written (VM001). Without the elision line they are valid and clean. The
# nginx example's privileged fsfreeze sidecar mounts the volume it freezes, names its container in both phases
# and freezes and thaws the same path: clean. The commented api-types Restore is valid: clean.
EXPECTED = [
    ("site__content__docs__main__restore-hooks.md__exec.yaml", 10, 3, "VM001"),
    ("site__content__docs__main__restore-hooks.md__init.yaml", 10, 3, "VM001"),
]


def test_every_file_is_attributed() -> None:
    with SOURCES.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert {row["file"] for row in rows} == {p.name for p in DATA.glob("*.yaml")}
    assert all(row["license"] == "Apache-2.0" and len(row["commit"]) == 40 for row in rows)


def test_the_findings_on_velero_examples_are_exactly_these() -> None:
    files = sorted(DATA.glob("*.yaml"))
    result = run([InputFile(p.name, None, p.read_bytes()) for p in files], select_rules(builtin_catalogue(), ("ALL",)),
                 Settings())
    assert not result.errors
    assert [(f.path, f.line, f.column, f.code) for f in result.findings] == EXPECTED
    assert result.workloads == 1  # the nginx Deployment; the Restores are Velero objects


def test_a_broken_copy_of_the_nginx_example_is_caught() -> None:
    """The example with its sidecar unprivileged, the thaw on another path and a misspelt container."""
    text = (DATA / "examples__nginx-app__with-pv.yaml").read_text(encoding="utf-8")
    broken = (text.replace("privileged: true", "privileged: false")
              .replace('"--unfreeze", "/var/log/nginx"', '"--unfreeze", "/var/log"')
              .replace("post.hook.backup.velero.io/container: fsfreeze", "post.hook.backup.velero.io/container: freeze"))
    result = run([InputFile("with-pv.yaml", None, broken.encode())], select_rules(builtin_catalogue(), ("ALL",)),
                 Settings())
    assert [(f.line, f.column, f.code) for f in result.findings] == [
        (57, 47, "VM703"), (58, 47, "VM701"), (59, 80, "VM108")]
    assert result.findings[1].message == (
        "post.hook.backup.velero.io/container 'freeze' is not a container of the pod template (spec.containers: "
        "nginx, fsfreeze): Velero fails the hook with \"no such container: freeze\", counts it in hooksFailed and "
        "the backup ends PartiallyFailed (Velero 1.18.1)")
