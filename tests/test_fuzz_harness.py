"""The atheris harness runs a bounded number of iterations in every test run (CI included) without a crash,
starting from the mutation fuzzer's seeds and dictionary (tests/mutation.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import mutation
from conftest import REPO, cli_env, tool_missing


def test_fuzz_harness_bounded_run(tmp_path: Path) -> None:
    try:
        import atheris  # noqa: F401
    except ImportError:
        tool_missing("atheris is not installed (pip install atheris): the bounded fuzzing run is skipped")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    done = subprocess.run(
        [sys.executable, str(REPO / "fuzz" / "fuzz_lint.py"), str(corpus), "-runs=400", "-seed=1",
         f"-artifact_prefix={tmp_path}/"],
        cwd=REPO, env=cli_env(), capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    # atheris 3 reports exactly the runs asked for; atheris 2.3 (the last with a wheel for Python 3.10) counts
    # the inputs it starts from too
    runs = re.search(r"^Done (\d+) runs", done.stderr, re.MULTILINE)
    assert runs is not None and int(runs.group(1)) >= 400, done.stderr[-3000:]
    assert f"Dictionary: {len(mutation.TOKENS)} entries" in done.stderr  # fuzz/yaml.dict
    assert f"{len(mutation.own_samples())} files found in {corpus}" in done.stderr
    if mutation.SHARED_CORPUS.is_dir():  # read where it is, as a second corpus directory, never copied
        assert f"files found in {mutation.SHARED_CORPUS}" in done.stderr
    assert not list(tmp_path.glob("crash-*"))
