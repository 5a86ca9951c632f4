"""One process or several: the same findings in the same order, on the real corpus and a generated set."""

from __future__ import annotations

import pytest

from conftest import CORPUS
from hostile_inputs import VM
from lint.catalogue import builtin_catalogue
from lint.discovery import InputFile
from lint.engine import run, select_rules
from lint.settings import Settings


def test_jobs_do_not_change_the_report() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    inputs = [InputFile(f"{i}/{path.name}", None, path.read_bytes()) for i in range(2) for path in sorted(CORPUS.iterdir())]
    inputs += [InputFile(f"vm{i}.yaml", None, VM.replace("web", f"vm{i}").encode()) for i in range(60)]
    secret = b"apiVersion: v1\nkind: Secret\nmetadata: {name: ud, namespace: prod}\nstringData: {userdata: '#cloud-config'}\n"
    inputs.append(InputFile("secret.yaml", None, secret))
    rules = select_rules(builtin_catalogue(), ("ALL",))
    serial = run(inputs, rules, Settings(), jobs=1)
    parallel = run(inputs, rules, Settings(), jobs=2)
    assert len(inputs) >= 64 and serial.findings  # large enough to use the pool
    assert parallel.findings == serial.findings
    assert (parallel.files, parallel.objects, parallel.workloads, parallel.errors) == (
        serial.files, serial.objects, serial.workloads, serial.errors)
