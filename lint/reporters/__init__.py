"""Reporters turn findings into text for a person or a machine; they never look at YAML or objects."""

from __future__ import annotations

from collections.abc import Callable

from lint.engine import RunResult

Reporter = Callable[[RunResult], str]


FORMATS = ("text", "json")


def reporter(name: str, quiet: bool = False, catalogue: object = None) -> Reporter:
    if name == "json":
        from lint.reporters.json import render

        return render
    from lint.reporters.text import render_text

    return lambda result: render_text(result, quiet=quiet)

