"""Regenerate tests/oracle/vectors/freezer_flags.jsonl from the real spf13/pflag, or check it.

The vectors pin what pflag does with each generated virt-freezer argv, so that tests/test_freezer.py
can check lint/golang/pflag.py on machines without Go. This script builds tests/oracle/freezer with
Debian's Go and the pflag source from the Debian package golang-github-spf13-pflag-dev (GOPATH
mode, a throwaway GOCACHE, no module downloads), feeds it the seeded cases of gen_freezer_cases.py
and writes one JSON line per case. The output depends only on the seed and on pflag, so
``--check`` can tell whether the committed file still matches.

Usage:
    python tests/oracle/regenerate_freezer.py            # rewrite the vectors
    python tests/oracle/regenerate_freezer.py --check    # exit 1 if they differ from the file
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gen_freezer_cases import DEFAULT_COUNT, DEFAULT_SEED, generate_cases

ORACLE_DIR = Path(__file__).resolve().parent
ORACLE_SOURCE = ORACLE_DIR / "freezer"
VECTORS = ORACLE_DIR / "vectors" / "freezer_flags.jsonl"
PFLAG_GOPATH = Path("/usr/share/gocode")
PFLAG_SOURCE = PFLAG_GOPATH / "src" / "github.com" / "spf13" / "pflag"
PFLAG_PACKAGE = "golang-github-spf13-pflag-dev"


def missing_tools() -> str | None:
    """Why the oracle cannot be built here, or None when it can."""
    if shutil.which("go") is None:
        return "the go command is not installed (apt-get install golang-go)"
    if not (PFLAG_SOURCE / "flag.go").is_file():
        return f"the pflag source is not at {PFLAG_SOURCE} (apt-get install {PFLAG_PACKAGE})"
    return None


def _go_environment(cache: Path) -> dict[str, str]:
    """Build in GOPATH mode against the Debian source only: nothing is fetched or cached for good."""
    environment = dict(os.environ)
    environment.update(
        GOFLAGS="",
        GOPATH=str(PFLAG_GOPATH),
        GO111MODULE="off",
        GOCACHE=str(cache),
        GOPROXY="off",
        GOTOOLCHAIN="local",
        GOENV="off",
        CGO_ENABLED="0",
    )
    return environment


def run_oracle(cases: Sequence[Sequence[str]]) -> list[dict[str, Any]]:
    """Build the Go oracle in a temporary directory and return its answer for every case."""
    reason = missing_tools()
    if reason is not None:
        raise RuntimeError(f"cannot build the pflag oracle: {reason}")
    with tempfile.TemporaryDirectory(prefix="vmlint-freezer-oracle-") as scratch:
        binary = Path(scratch) / "freezer-oracle"
        environment = _go_environment(Path(scratch) / "gocache")
        subprocess.run(
            ["go", "build", "-o", str(binary), "."],
            cwd=ORACLE_SOURCE,
            env=environment,
            check=True,
        )
        request = "".join(json.dumps({"args": list(case)}) + "\n" for case in cases)
        completed = subprocess.run(
            [str(binary)], input=request, capture_output=True, text=True, encoding="utf-8", check=False
        )
    if completed.returncode != 0:
        raise RuntimeError(f"pflag oracle failed ({completed.returncode}): {completed.stderr.strip()}")
    # split on "\n" only: str.splitlines would also break inside values holding U+0085 and the like
    records = [json.loads(line) for line in completed.stdout.split("\n") if line]
    if [record["args"] for record in records] != [list(case) for case in cases]:
        raise RuntimeError("pflag oracle answered a different list of cases than it was given")
    return records


def render(records: Sequence[dict[str, Any]]) -> str:
    """The vectors file text: one sorted-key, ASCII-only JSON object per line, stable to diff."""
    return "".join(json.dumps(record, sort_keys=True) + "\n" for record in records)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed file instead of writing it")
    options = parser.parse_args(argv)

    text = render(run_oracle(generate_cases(DEFAULT_SEED, DEFAULT_COUNT)))
    if not options.check:
        VECTORS.parent.mkdir(parents=True, exist_ok=True)
        VECTORS.write_text(text, encoding="utf-8")
        print(f"wrote {len(text.splitlines())} vectors to {VECTORS}")
        return 0

    committed = VECTORS.read_text(encoding="utf-8") if VECTORS.is_file() else ""
    if committed == text:
        print(f"{VECTORS} is up to date ({len(text.splitlines())} vectors)")
        return 0
    fresh_lines, old_lines = text.splitlines(), committed.splitlines()
    differing = [
        number for number in range(max(len(fresh_lines), len(old_lines)))
        if fresh_lines[number:number + 1] != old_lines[number:number + 1]
    ]
    print(f"{VECTORS} differs from the oracle on {len(differing)} lines; first ones:", file=sys.stderr)
    for number in differing[:5]:
        print(f"  line {number + 1}:", file=sys.stderr)
        print(f"    committed: {old_lines[number] if number < len(old_lines) else '(missing)'}", file=sys.stderr)
        print(f"    oracle:    {fresh_lines[number] if number < len(fresh_lines) else '(missing)'}", file=sys.stderr)
    print("run python tests/oracle/regenerate_freezer.py to rewrite it", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
