"""Regenerate (or ``--check``) the committed Go oracle vectors in tests/oracle/vectors/.

Usage::

    python tests/oracle/regenerate.py           # rewrite the three vector files
    python tests/oracle/regenerate.py --check   # regenerate in memory, exit 1 if a committed file differs

The vectors record what Go answers for the inputs of ``gen_gostd_cases.py`` (canonical seed), so the Python
emulations can be checked without Go installed. This needs only a local ``go`` toolchain: the oracle is one
standard-library file, built with ``GO111MODULE=off`` and ``GOPROXY=off``, so no network is touched. When HOME is
not writable (CI sandboxes), the Go build cache goes to a temporary directory.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

ORACLE_DIR = Path(__file__).resolve().parent
GO_SOURCE = ORACLE_DIR / "gostd" / "main.go"
VECTOR_DIR = ORACLE_DIR / "vectors"
VECTOR_FILES = {
    "json": VECTOR_DIR / "json_string_slice.jsonl",
    "duration": VECTOR_DIR / "duration.jsonl",
    "parsebool": VECTOR_DIR / "parsebool.jsonl",
}


def load_generator() -> ModuleType:
    """Import gen_gostd_cases.py from this directory (tests/oracle is not a package)."""
    spec = importlib.util.spec_from_file_location("gen_gostd_cases", ORACLE_DIR / "gen_gostd_cases.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _writable_dir(path: str | None) -> bool:
    return bool(path) and os.access(path, os.W_OK)


def go_environment(scratch: Path) -> dict[str, str]:
    """Environment for an offline, module-less build of the oracle; caches under ``scratch`` if HOME is read-only."""
    env = dict(os.environ)
    env.update(GO111MODULE="off", GOPROXY="off", GOFLAGS="", GOTOOLCHAIN="local", CGO_ENABLED="0")
    home_writable = _writable_dir(env.get("HOME"))
    if "GOCACHE" not in env and not (home_writable or _writable_dir(env.get("XDG_CACHE_HOME"))):
        env["GOCACHE"] = str(scratch / "gocache")
    if "GOPATH" not in env and not home_writable:
        env["GOPATH"] = str(scratch / "gopath")
    return env


def build_oracle(scratch: Path) -> tuple[Path, dict[str, str]]:
    """Compile main.go into ``scratch``; returns the binary and the environment to run it with."""
    go = shutil.which("go")
    if go is None:
        raise FileNotFoundError("go is not on PATH")
    env = go_environment(scratch)
    binary = scratch / "gostd"
    subprocess.run(
        [go, "build", "-o", str(binary), GO_SOURCE.name],
        cwd=GO_SOURCE.parent,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return binary, env


def run_oracle(binary: Path, env: dict[str, str], mode: str, inputs: list[str]) -> list[dict]:
    """Ask Go about every input at once; one answer dict per input, in input order."""
    stdin = "".join(json.dumps({"input": text}) + "\n" for text in inputs)
    completed = subprocess.run(
        [str(binary), mode], input=stdin.encode("utf-8"), env=env, check=True, capture_output=True
    )
    # Split on "\n" only: Go writes U+0085 and friends raw, and str.splitlines() would break lines there.
    answers = [json.loads(line) for line in completed.stdout.decode("utf-8").split("\n") if line]
    if [answer["input"] for answer in answers] != inputs:
        raise RuntimeError(f"oracle {mode}: answers do not line up with inputs")
    return answers


def go_version(env: dict[str, str]) -> str:
    go = shutil.which("go")
    assert go is not None
    return subprocess.run([go, "version"], env=env, check=True, capture_output=True, text=True).stdout.strip()


def render(answers: list[dict]) -> str:
    """The committed form: one JSON object per line, ASCII only, keys sorted, lines sorted by input."""
    ordered = sorted(answers, key=lambda answer: answer["input"])
    return "".join(json.dumps(answer, ensure_ascii=True, sort_keys=True) + "\n" for answer in ordered)


def read_vectors(mode: str) -> list[dict]:
    with VECTOR_FILES[mode].open(encoding="ascii") as handle:
        return [json.loads(line) for line in handle]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed files, write nothing")
    args = parser.parse_args(argv)

    generator = load_generator()
    with tempfile.TemporaryDirectory(prefix="vmlint-gostd-") as scratch:
        try:
            binary, env = build_oracle(Path(scratch))
        except subprocess.CalledProcessError as error:
            print(f"building {GO_SOURCE} failed:\n{error.stderr}", file=sys.stderr)
            return 2
        print(go_version(env))
        stale = []
        for mode, path in VECTOR_FILES.items():
            rendered = render(run_oracle(binary, env, mode, generator.cases(mode)))
            count = rendered.count("\n")
            if args.check:
                current = path.read_text(encoding="ascii") if path.exists() else None
                status = "up to date" if current == rendered else "DIFFERS"
                if current != rendered:
                    stale.append(path)
                print(f"{path.name}: {count} vectors, {status}")
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(rendered, encoding="ascii", newline="\n")
                print(f"wrote {path.name}: {count} vectors")
    if stale:
        print("run `python tests/oracle/regenerate.py` and commit the result", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
