"""Exact emulation of Go's ``strconv.ParseBool``, plus how a Python ``str`` becomes a Go string.

Velero reads boolean annotation values with ``strconv.ParseBool`` (for example the wait-for-ready hook
annotation, and KubeVirt's ``kubevirt.io/skip-backup-hooks``). Go accepts exactly twelve spellings and
nothing else: no padding, no ``yes``/``no``/``on``/``off``, no mixed case such as ``tRUE``. Anything else is an
error, and the caller then falls back to its default, so the linter has to know precisely which strings count.
"""

from __future__ import annotations

import re

__all__ = ["go_string_bytes", "parse_bool"]

_TRUE_SPELLINGS = frozenset({"1", "t", "T", "true", "TRUE", "True"})
_FALSE_SPELLINGS = frozenset({"0", "f", "F", "false", "FALSE", "False"})

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def go_string_bytes(text: str) -> bytes:
    """Return the bytes of the Go string Velero would receive for ``text``.

    Go strings are UTF-8 byte sequences and the Go emulations work on those bytes, as Go does (offsets and
    quoted characters in Go's error messages are byte-based). A Python ``str`` can hold lone surrogates (for
    example from a ``"\\ud800"`` escape in double-quoted YAML), which UTF-8 cannot encode; the JSON/YAML decoders
    on the way to Velero turn those into U+FFFD, so this does the same, one character for one character.
    """
    return _LONE_SURROGATE.sub("\ufffd", text).encode("utf-8")


def parse_bool(text: str) -> bool | None:
    """Return what ``strconv.ParseBool(text)`` returns, or ``None`` where Go returns an error.

    Go's set is ``1 t T TRUE true True`` and ``0 f F FALSE false False``; comparison is exact.
    """
    if text in _TRUE_SPELLINGS:
        return True
    if text in _FALSE_SPELLINGS:
        return False
    return None
