"""One bad file never sinks the run: a defect of vmlint met on one file becomes a VM009 finding on that file.

In a pre-commit hook or CI step, a crash that aborts the whole run silences every other file's findings: worse
than the defect itself. So every stage that works on one file (reading, parsing, indexing, checking, in the
pre-pass and in the main pass) turns an unexpected exception into an `internal-error` finding there, and the
work that is farmed out to worker processes survives a worker that dies: the files it held are linted again one
at a time, each in a process of its own, and the one that kills it again is reported.

The finding names the exception type, where in vmlint it was raised and vmlint's version. It never quotes the
exception's text, which may carry a piece of the file (a Secret's value).
"""

from __future__ import annotations

import gc
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar, Union

from lint import __version__
from lint.core.catalogue import builtin_catalogue
from lint.core.findings import INTERNAL_ERROR, Finding
from lint.text.nodes import Span
from lint.text.source import SourceText

_PACKAGE = Path(__file__).resolve().parents[1]

_T = TypeVar("_T")


class Named(Protocol):
    """A unit of work on one file: an InputFile, or what the pre-pass parses it for."""

    @property
    def display(self) -> str: ...


_I = TypeVar("_I", bound=Named)


@dataclass(frozen=True)
class Failure:
    """What went wrong on one file, as plain data (it crosses process boundaries)."""

    path: str
    doing: str  # "parsing this file", "running the check of VM102", ...
    cause: str  # "KeyError raised at lint/text/compose.py:321 (_consume)", or what happened to a worker

    @classmethod
    def of(cls, path: str, doing: str, err: BaseException) -> Failure:
        return cls(path, doing, f"{type(err).__name__} raised at {_where(err)}")


def _where(err: BaseException) -> str:
    """The innermost frame of vmlint's own code in the exception's traceback: what a bug report needs."""
    frames = traceback.extract_tb(err.__traceback__)
    for frame in reversed(frames):
        path = Path(frame.filename)
        if _PACKAGE in path.parents:
            return f"{path.relative_to(_PACKAGE.parent).as_posix()}:{frame.lineno} ({frame.name})"
    return f"{frames[-1].name}" if frames else "an unknown place"


def internal_error(failure: Failure, source: SourceText | None = None, span: Span | None = None,
                   kind: str | None = None, name: str | None = None, namespace: str | None = None) -> Finding:
    """The VM009 finding of a failure, at `span` (the object being checked) or at the file's first character."""
    rule = builtin_catalogue().get(INTERNAL_ERROR)
    assert rule is not None, "rules/VM009.yaml is part of the catalogue"
    line, column = (span.line, span.column) if span is not None else (1, 1)
    return Finding(
        path=failure.path, line=line, column=column, end_line=line, end_column=column + 1,
        code=rule.code, rule=rule.name, severity=rule.severity,
        message=(f"internal error: vmlint {__version__} failed while {failure.doing} ({failure.cause}); this is a "
                 "defect of vmlint, not of the manifest: this file's findings may be incomplete, every other file "
                 "was linted"),
        hint=rule.hint, kind=kind, name=name, namespace=namespace,
        source_line=source.line_text(line) if source is not None else "",
    )


def guarded(task: Callable[[_I], _T], item: _I) -> Union[_T, Failure]:
    """`task(item)`, or the Failure of an exception it let through (the last line of defence: tasks catch
    what they can name the stage of themselves)."""
    try:
        return task(item)
    except Exception as err:  # noqa: BLE001 - isolation is the point: anything a task raises is a defect
        return Failure.of(item.display, "linting this file", err)


def guarded_chunk(task: Callable[[_I], _T], items: Sequence[_I]) -> list[Union[_T, Failure]]:
    """guarded() over a chunk of files, with the cyclic garbage collector paused until the chunk is done: once
    per file, the collection on resuming was a thirtieth of a run (each one walks every young survivor)."""
    with collector_paused():
        return [guarded(task, item) for item in items]


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while files are worked on, and on again after them (if it was on).

    A file's node tree and objects are built in one burst and live until the file is done, so the collector,
    which runs every few hundred allocations and walks more of the young objects as they pile up, found nothing
    to free but took most of the time of a large file: loading a 3 MB `kind: List` cluster dump took 1.45 s with
    it and 0.5 s without, and linting seven such files 21.7 s and 7.5 s. The trees hold no reference
    cycles (an alias is the anchored node itself, shared; no node points back to its parent), so reference
    counting frees them; whatever a check leaves in cycles (an exception's traceback) is collected once the
    file is done.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# -- worker processes ------------------------------------------------------------------------------------------

_WORKER_TASK: list[Callable[[Any], Any]] = []  # per worker process, set once by the initializer


_IN_FLIGHT = 8  # chunks submitted per worker ahead of the one whose results are awaited


def _install_task(task: Callable[[Any], Any]) -> None:
    _WORKER_TASK[:] = [task]


def _run_chunk(items: Sequence[Named]) -> list[Any]:
    return guarded_chunk(_WORKER_TASK[0], items)


def isolated_map(task: Callable[[_I], _T], inputs: list[_I], jobs: int, chunk: int) -> Iterator[Union[_T, Failure]]:
    """`task` over `inputs` in order, on one process or `jobs` (small runs stay on one: starting processes costs
    more), each result a Failure where the task failed on that file or the process running it died.

    The task (rules, settings, the run index) goes to each worker once, through the pool's initializer: sent
    with every chunk, the index alone cost a gigabyte of pickling at 10,000 files. When a worker dies, every
    chunk in flight is lost with the pool; those files are run again one at a time, and a file that kills its
    process again is the one reported. Then a new pool takes the rest.
    """
    if jobs <= 1 or len(inputs) < 2 * chunk:
        for start in range(0, len(inputs), chunk):
            yield from guarded_chunk(task, inputs[start:start + chunk])
        return
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    waiting = deque(inputs[start:start + chunk] for start in range(0, len(inputs), chunk))
    while waiting:
        lost: list[Sequence[_I]] = []
        with ProcessPoolExecutor(max_workers=jobs, initializer=_install_task, initargs=(task,)) as pool:
            in_flight = deque()
            while waiting or in_flight:
                # results are taken in order, so a chunk holding a multi-megabyte file stops the others from
                # being taken: eight chunks per worker in flight keep the rest busy meanwhile (3.8 s -> 3.5 s on
                # 10,000 files on 2 cores), and hold only small results
                while waiting and len(in_flight) < _IN_FLIGHT * jobs:
                    items = waiting.popleft()
                    in_flight.append((items, pool.submit(_run_chunk, items)))
                items, future = in_flight.popleft()
                try:
                    results = future.result()
                except BrokenProcessPool:
                    lost = [items, *(other for other, _ in in_flight)]
                    break
                yield from results
        for items in lost:
            yield from _one_at_a_time(task, items)


def _one_at_a_time(task: Callable[[_I], _T], items: Sequence[_I]) -> Iterator[Union[_T, Failure]]:
    """Each file on a single worker, replaced when a file kills it: that file's result is the Failure."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    pending = deque(items)
    while pending:
        with ProcessPoolExecutor(max_workers=1, initializer=_install_task, initargs=(task,)) as pool:
            while pending:
                item = pending.popleft()
                try:
                    yield from pool.submit(_run_chunk, [item]).result()
                except BrokenProcessPool:
                    yield Failure(item.display, "linting this file",
                                  "the worker process died: a crash inside a C extension, or a signal")
                    break
