"""People at a terminal: colours and the timing line only on a TTY, never with NO_COLOR, never in pipes."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

from conftest import REPO, cli_env


def _under_a_terminal(*args: str, extra_env: dict[str, str] | None = None) -> str:
    """Run vmlint with its standard output and error on a pseudo-terminal, as a person's shell would."""
    controller, terminal = pty.openpty()
    env = {**cli_env(), **(extra_env or {})}
    env.pop("NO_COLOR", None)
    env.update(extra_env or {})
    proc = subprocess.Popen([sys.executable, "-m", "lint", *args], cwd=REPO, env=env,
                            stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal)
    os.close(terminal)
    chunks = []
    while True:
        try:
            data = os.read(controller, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(controller)
    return b"".join(chunks).decode("utf-8", "replace")


def test_colours_and_timing_on_a_terminal() -> None:
    out = _under_a_terminal("check", "examples/harvester-kb-published.yaml")
    assert "\x1b[1;31mVM001\x1b[0m" in out
    assert "Checked 1 files, 0 objects, 0 workloads in " in out


def test_no_colour_with_no_color_or_in_a_pipe() -> None:
    out = _under_a_terminal("check", "examples/harvester-kb-published.yaml", extra_env={"NO_COLOR": "1"})
    assert "\x1b[" not in out and "VM001 [error]" in out
    piped = subprocess.run([sys.executable, "-m", "lint", "check", "examples/harvester-kb-published.yaml"],
                           cwd=REPO, env={k: v for k, v in cli_env().items() if k != "NO_COLOR"},
                           capture_output=True, text=True)
    assert "\x1b[" not in piped.stdout and "Checked" not in piped.stdout


def test_machine_formats_stay_clean_on_a_terminal() -> None:
    out = _under_a_terminal("check", "--format", "json", "examples/harvester-kb-published.yaml")
    assert "\x1b[" not in out and out.lstrip().startswith("{")
