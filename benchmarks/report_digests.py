"""Digests of every report vmlint writes for some inputs: run it before and after a change that must not alter
behaviour (a move, a fast path) and compare the two outputs line by line.

    python benchmarks/report_digests.py ../shared/corpus/real examples /tmp/vmlint-bench/repo-2000-s1 > before.txt
    ... change ...
    python benchmarks/report_digests.py ../shared/corpus/real examples /tmp/vmlint-bench/repo-2000-s1 > after.txt
    diff before.txt after.txt

Each line is `sha256  exit-code  what`: the bytes of standard output (and of the audit's HTML and Markdown files)
for every `vmlint check --format` and for `vmlint audit`, run without the cache in a fresh process (JUnit's
`time` attributes, the only wall times in a report, are zeroed).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
import tempfile
from pathlib import Path

FORMATS = ("text", "json", "sarif", "github", "junit")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _run(args: list[str]) -> tuple[int, bytes]:
    done = subprocess.run([sys.executable, "-m", "lint", *args], capture_output=True, check=False)
    return done.returncode, done.stdout


def digests(path: str) -> list[str]:
    """One line per report of `path`."""
    lines = []
    for fmt in FORMATS:
        code, out = _run(["check", "--no-cache", "--format", fmt, path])
        if fmt == "junit":  # the one report that carries a wall time
            out = re.sub(rb' time="[0-9.]+"', b' time="0"', out)
        lines.append(f"{_digest(out)}  {code}  check --format {fmt} {path}")
    with tempfile.TemporaryDirectory() as tmp:
        html, markdown = Path(tmp, "audit.html"), Path(tmp, "audit.md")
        code, out = _run(["audit", "--html", str(html), "--markdown", str(markdown), path])
        lines.append(f"{_digest(out)}  {code}  audit (stdout) {path}")
        for name, report in (("html", html), ("markdown", markdown)):
            data = report.read_bytes() if report.exists() else b""
            lines.append(f"{_digest(data)}  {code}  audit --{name} {path}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", help="files or directories to lint")
    for path in parser.parse_args().paths:
        print("\n".join(digests(path)), flush=True)


if __name__ == "__main__":
    main()
