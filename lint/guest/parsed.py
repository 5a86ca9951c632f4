"""User data parsed once per process, whatever asks for it: the rules, the OS answer and the audit.

The readers (cloudinit, ignition, scripts) turn what they find into Reasons with spans in the file the user data
came from, so their answers depend on where the text stands. What they parse does not: the YAML composed from a
cloud-config or Ignition text (offsets into that text) and the words of one shell command. Those are memoised
here with ``functools.lru_cache``, keyed by the text itself (a ``str`` is immutable and its content is the key,
as a digest of it would be, without a digest's collisions), and returned as values nobody mutates (node trees
are read, never written, after composing). Two VMs with the same user data, and the audit that loads a file
again after the run, parse it once.

Bounded per process: at most 1024 texts of at most 16 Ki characters each (longer ones, rare and read once per
workload anyway, are parsed each time), and 8192 shell commands of at most 4 Ki characters.
"""

from __future__ import annotations

import shlex
from functools import lru_cache

from lint.text.compose import load_documents
from lint.text.nodes import Document
from lint.text.source import SourceText

__all__ = ["composed", "shell_words"]

MEMO_TEXT_LIMIT = 16 * 1024  # characters
MEMO_COMMAND_LIMIT = 4 * 1024  # characters


def composed(text: str) -> tuple[SourceText, tuple[Document, ...]]:
    """The user data as a source and its YAML documents (``load_documents`` with the default limits)."""
    if len(text) > MEMO_TEXT_LIMIT:
        return _compose(text)
    return _composed(text)


def _compose(text: str) -> tuple[SourceText, tuple[Document, ...]]:
    source = SourceText(text)
    return source, tuple(load_documents(source))


_composed = lru_cache(maxsize=1024)(_compose)


def shell_words(command: str) -> tuple[str, ...]:
    """One shell command line as POSIX shlex splits it, with `;&|()` runs as their own tokens; on a quoting
    error (an unclosed quote) the whitespace-separated words."""
    if len(command) > MEMO_COMMAND_LIMIT:
        return _split(command)
    return _split_memo(command)


def _split(command: str) -> tuple[str, ...]:
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=";&|()")
        lexer.whitespace_split = True
        return tuple(lexer)
    except ValueError:
        return tuple(command.split())


_split_memo = lru_cache(maxsize=8192)(_split)
