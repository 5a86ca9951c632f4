"""Every fast path of vmlint is a shortcut to the same answer: findings are identical with all of them on and off
(issue #19), on the real corpus, the examples and generated benchmark repositories of both profiles.

The fast paths, and what "off" means here (pytest's monkeypatch, in this process, `--jobs 1`):
- lint.golang.json `_fast_decode` (the json module for Go's encoding/json): always None, so `_emulate` answers;
- lint.guest.guestos `_json_image_ids` (Harvester's volumeClaimTemplates by the json module): always None, so
  `_yaml_image_ids` answers;
- document interest (lint.text.interest, load_documents(relevant=..., items=...)): every document and every item
  of a `*List` is built, as with `Interest(everything=True)`, in the main pass and in the pre-pass, instead of only
  those a rule can read;
- the bytes the pre-pass keeps for the main pass (lint.run.prepass.KEPT_BYTES): none, every file is read again;
- the kustomization's directory listing (KustomizeIndex._is_directory): os.path.isdir for every resource;
- VM004's text test before walking an object for stray hook keys (lint.checks.keys._hook_key_places): every
  node of every object is walked.

Every per-process memo (functools.lru_cache in lint.*) is cleared before and after each run, so that no answer
computed one way is served to the other.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import EXAMPLES, REPO, require_corpus

import lint.checks.keys as keys
import lint.golang.json as go_json
import lint.guest.guestos as guestos
import lint.kube.kustomize as kustomize
import lint.run.engine as engine
import lint.run.prepass as prepass
from lint.run.runner import Request, execute
from lint.text.interest import EVERYTHING

# What a run counts of what it built, not what it found: building every document builds more objects.
BUILT_COUNTS = ("objects", "workloads")


def _clear_memos() -> None:
    for name, module in list(sys.modules.items()):
        if name != "lint" and not name.startswith("lint."):
            continue
        for value in list(vars(module).values()):
            clear = getattr(value, "cache_clear", None)
            if callable(clear) and getattr(value, "__module__", None) == name:
                clear()


def _report(paths: list[Path], cwd: Path, profile: str | None = None) -> dict:
    _clear_memos()
    stdout = io.StringIO()
    here = os.getcwd()
    os.chdir(cwd)  # paths in the report relative to it, as the command line gives them
    try:
        code = execute(Request(paths=[str(p.relative_to(cwd)) for p in paths], formats=["json"], jobs=1, no_cache=True,
                               profile=profile), stdout=stdout, stderr=io.StringIO())
    finally:
        os.chdir(here)
        _clear_memos()
    report = json.loads(stdout.getvalue())
    report["exit"] = code
    report["built"] = {key: report["summary"].pop(key, None) for key in BUILT_COUNTS}
    return report


def _everything(function):  # type: ignore[no-untyped-def]
    """`function` (lint.kube.loading.load_file as the engine and the pre-pass call it) with every document built."""
    def load_file(*args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs["interest"] = EVERYTHING
        return function(*args, **kwargs)
    return load_file


def _fast_paths_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(go_json, "_fast_decode", lambda text: None)
    monkeypatch.setattr(guestos, "_json_image_ids", lambda text: None)
    monkeypatch.setattr(engine, "interest_of", lambda bound, options: EVERYTHING)
    monkeypatch.setattr(engine, "load_file", _everything(engine.load_file))
    monkeypatch.setattr(prepass, "load_file", _everything(prepass.load_file))
    monkeypatch.setattr(prepass, "KEPT_BYTES", 0)
    monkeypatch.setattr(kustomize.KustomizeIndex, "_is_directory",
                        lambda self, base, resource, target: os.path.isdir(target))
    monkeypatch.setattr(keys, "_hook_key_places", lambda workload, ctx: None)


def _on_and_off(monkeypatch: pytest.MonkeyPatch, paths: list[Path], cwd: Path, profile: str | None = None) -> dict:
    on = _report(paths, cwd, profile)
    with monkeypatch.context() as patched:
        _fast_paths_off(patched)
        off = _report(paths, cwd, profile)
    assert off["findings"] == on["findings"]
    built = off.pop("built"), on.pop("built")
    assert off == on
    assert built[0]["objects"] >= built[1]["objects"]  # off builds every document
    return dict(on, built_off=built[0], built_on=built[1])


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """A 300-file benchmark repository of each profile (benchmarks/generate.py)."""
    base = tmp_path_factory.mktemp("bench")
    repos = {}
    for profile in ("platform", "vm-dense"):
        repos[profile] = base / profile
        subprocess.run([sys.executable, str(REPO / "benchmarks" / "generate.py"), str(repos[profile]), "--files", "300",
                        "--seed", "5", "--profile", profile], check=True, capture_output=True)
    yield repos


def test_the_switches_are_real(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each patched name is what the code calls: a renamed fast path must fail here, not pass silently."""
    assert callable(go_json._fast_decode) and go_json._fast_decode('["a"]') is not None
    assert guestos._json_image_ids('[{"metadata":{"annotations":{"harvesterhci.io/imageId":"default/x"}}}]') == ["default/x"]
    assert prepass.KEPT_BYTES > 0 and callable(engine.interest_of) and callable(engine.load_file)
    assert callable(prepass.load_file)
    assert callable(kustomize.KustomizeIndex._is_directory) and callable(keys._hook_key_places)
    with monkeypatch.context() as patched:
        _fast_paths_off(patched)
        go_json.decode_string_slice.cache_clear()
        assert go_json.decode_string_slice('["a", null]').argv == ("a", "")  # answered by the emulation
        assert guestos.claimed_image_ids('[{"metadata":{"annotations":{"harvesterhci.io/imageId":"default/x"}}}]') == ["default/x"]
    go_json.decode_string_slice.cache_clear()


def test_real_corpus(monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = require_corpus()
    report = _on_and_off(monkeypatch, [corpus], corpus.parent)
    assert report["findings"] and report["summary"]["internal_errors"] == 0


@pytest.mark.parametrize("profile", [None, "strict"])
def test_examples(monkeypatch: pytest.MonkeyPatch, profile: str | None) -> None:
    report = _on_and_off(monkeypatch, [EXAMPLES], REPO, profile)
    assert report["findings"] and report["summary"]["internal_errors"] == 0


@pytest.mark.parametrize("profile", ["platform", "vm-dense"])
def test_benchmark_repository(monkeypatch: pytest.MonkeyPatch, generated: dict[str, Path], profile: str) -> None:
    repo = generated[profile]
    report = _on_and_off(monkeypatch, [repo], repo.parent)
    codes = {finding["code"] for finding in report["findings"]}
    assert {"VM201", "VM401"} <= codes and report["summary"]["internal_errors"] == 0
    assert report["built_off"]["objects"] > 2 * report["built_on"]["objects"]  # the interest switch took effect

