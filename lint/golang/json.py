"""Exact emulation of Go's ``json.Unmarshal([]byte(text), &command)`` with ``var command []string``.

Velero turns a hook ``command`` annotation into an argv in ``internal/hook/item_hook_handler.go``
(``parseStringToCommand``): a value starting with ``[`` is decoded with ``json.Unmarshal`` into ``[]string``,
and on any error the whole string silently becomes a one-element command. Whether that happens depends on
details where Python's ``json`` module differs from Go (NaN/Infinity, error texts and offsets, invalid
surrogate escapes), so this module re-implements Go 1.19's ``encoding/json`` for this one target type:

1. ``checkValid``: the scanner state machine of ``scanner.go`` runs over the whole UTF-8 input first, so a syntax
   error anywhere wins over a type error. It is iterative, with Go's nesting limit of 10000.
2. The decode of ``decode.go`` into ``[]string``: strings are kept, ``null`` elements become ``""``, the first type
   error (number, bool, array or object element) is remembered while decoding continues, and a top-level
   ``null`` leaves the slice nil without an error.

Before the emulation, a fast path (``_fast_decode``) hands the text to Python's ``json.loads``, but only where
both decoders provably give the same successful answer, and returns nothing (so the emulation decides) for
everything else:

* the text is printable ASCII plus tab, LF and CR: no invalid UTF-8 or lone surrogate (which Go turns into
  U+FFFD), no raw control character other than those three, no whitespace outside Go's and Python's common set
  (both are exactly space, tab, LF, CR), and no DEL;
* it holds no ``\\u`` (so no surrogate escape, where Go writes U+FFFD and Python keeps a lone surrogate); the
  other escapes (``\\" \\\\ \\/ \\b \\f \\n \\r \\t``) mean the same to both, and any other escape, a raw
  control character in a string, trailing data or a trailing comma is an error to both (Python raises: fall back);
* ``NaN``, ``Infinity`` and ``-Infinity`` (Python accepts them, Go does not) raise through ``parse_constant``;
* the result is a list whose elements are all ``str`` or ``None``: a number, bool, nested array or object
  element is a type error in Go (fall back), so number syntax (``-0``, ``1.``, ``01``, big numbers), duplicate
  keys and the nesting limit never reach an answer from the fast path; a nesting too deep for Python's
  recursion raises ``RecursionError`` (fall back).

``tests/test_go_semantics.py`` runs every committed Go vector through both paths and asserts that the fast path
either declines or answers exactly as the emulation does (which answers as Go does).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from lint.golang.strconv import go_string_bytes

__all__ = ["GoJSONResult", "decode_string_slice"]

# Scan codes and parse states from scanner.go (only the ones this port needs to tell apart).
_SCAN_CONTINUE = 0
_SCAN_BEGIN_LITERAL = 1
_SCAN_BEGIN_OBJECT = 2
_SCAN_OBJECT_KEY = 3
_SCAN_OBJECT_VALUE = 4
_SCAN_END_OBJECT = 5
_SCAN_BEGIN_ARRAY = 6
_SCAN_ARRAY_VALUE = 7
_SCAN_END_ARRAY = 8
_SCAN_SKIP_SPACE = 9
_SCAN_END = 10
_SCAN_ERROR = 11

_PARSE_OBJECT_KEY = 0
_PARSE_OBJECT_VALUE = 1
_PARSE_ARRAY_VALUE = 2

_MAX_NESTING_DEPTH = 10000

_SPACE = frozenset(b" \t\r\n")
_HEX = frozenset(b"0123456789abcdefABCDEF")
_DIGITS = frozenset(b"0123456789")
_SIMPLE_ESCAPES = {
    ord('"'): b'"',
    ord("\\"): b"\\",
    ord("/"): b"/",
    ord("b"): b"\b",
    ord("f"): b"\f",
    ord("n"): b"\n",
    ord("r"): b"\r",
    ord("t"): b"\t",
}
_QUOTE_CONTROL_ESCAPES = {0x07: "\\a", 0x08: "\\b", 0x0C: "\\f", 0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x0B: "\\v"}

_STRING_LITERAL = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)  # only applied to input already validated
_NUMBER_TAIL = re.compile(rb"[0-9.eE+\-]*")  # what Go's rescanLiteral consumes after a number's first byte
_LITERAL_LENGTH = {ord("t"): 4, ord("f"): 5, ord("n"): 4}

_SyntaxFailure = tuple[str, int, bool]  # (message, Go offset, raised while flushing end of input)


@dataclass(frozen=True)
class GoJSONResult:
    """What ``json.Unmarshal`` into ``[]string`` returned, with positions usable in a Python diagnostic.

    ``argv`` is the decoded slice when ``error`` is ``None`` (``()`` both for ``[]`` and for a top-level ``null``,
    which Go leaves nil: ``len`` is 0 either way), else ``None``. ``error`` is exactly Go's ``err.Error()``;
    ``kind`` says whether it is a ``*json.SyntaxError`` or a ``*json.UnmarshalTypeError``. ``offset`` is Go's
    ``Offset`` field (bytes of UTF-8). ``char_index`` is the index into the Python ``text`` of the offending
    character: the byte Go complained about for a syntax error (``len(text)`` when the error was found at the end
    of input), the first character of the offending element for a type error. ``null_indices`` lists the
    elements that were JSON ``null`` (Go decodes them as ``""``).
    """

    argv: tuple[str, ...] | None
    error: str | None
    kind: Literal["ok", "syntax", "type"]
    offset: int | None
    char_index: int | None
    null_indices: tuple[int, ...] = ()


def _quote_char(byte: int) -> str:
    """Go's ``quoteChar``: the byte is converted to the rune of the same value, then ``strconv.Quote``-d.

    That is why a UTF-8 lead byte 0xE2 (start of “) shows up as ``'â'`` in Go's messages.
    """
    if byte == ord("'"):
        return "'\\''"
    if byte == ord('"'):
        return "'\"'"
    if byte == ord("\\"):
        return "'\\\\'"
    if byte in _QUOTE_CONTROL_ESCAPES:
        return f"'{_QUOTE_CONTROL_ESCAPES[byte]}'"
    if byte < 0x20 or byte == 0x7F:
        return f"'\\x{byte:02x}'"
    # The offending byte of valid UTF-8 is ASCII or a lead byte 0xC2-0xF4 (continuation bytes only occur inside
    # strings, where they are accepted), and U+00C2..U+00F4 are all printable, so strconv.Quote keeps them.
    return f"'{chr(byte)}'"


class _Scanner:
    """Port of ``encoding/json``'s ``scanner``: one method per Go state function, same transitions and texts."""

    def __init__(self) -> None:
        self.step: Callable[[int], int] = self.state_begin_value
        self.parse_state: list[int] = []
        self.end_top = False
        self.bytes = 0
        self.failure: _SyntaxFailure | None = None
        self.at_eof = False
        self.literal_states: dict[int, Callable[[int], int]] = {
            ord('"'): self.state_in_string,
            ord("-"): self.state_neg,
            ord("0"): self.state_0,
            ord("t"): self.state_t,
            ord("f"): self.state_f,
            ord("n"): self.state_n,
        }

    def check_valid(self, data: bytes) -> _SyntaxFailure | None:
        """Go's ``checkValid``: feed every byte, then the end of input."""
        for byte in data:
            self.bytes += 1
            if self.step(byte) == _SCAN_ERROR:
                return self.failure
        self.at_eof = True
        if self.eof() == _SCAN_ERROR:
            return self.failure
        return None

    def eof(self) -> int:
        if self.failure is not None:
            return _SCAN_ERROR
        if self.end_top:
            return _SCAN_END
        # Go flushes a trailing literal with a space; "tru" thus fails with "invalid character ' ' ...".
        self.step(ord(" "))
        if self.end_top:
            return _SCAN_END
        if self.failure is None:
            self.failure = ("unexpected end of JSON input", self.bytes, True)
        return _SCAN_ERROR

    def error(self, byte: int, context: str) -> int:
        self.step = self.state_error
        self.failure = (f"invalid character {_quote_char(byte)} {context}", self.bytes, self.at_eof)
        return _SCAN_ERROR

    def push_parse_state(self, byte: int, new_parse_state: int, success_state: int) -> int:
        self.parse_state.append(new_parse_state)
        if len(self.parse_state) <= _MAX_NESTING_DEPTH:
            return success_state
        return self.error(byte, "exceeded max depth")

    def pop_parse_state(self) -> None:
        self.parse_state.pop()
        if not self.parse_state:
            self.step = self.state_end_top
            self.end_top = True
        else:
            self.step = self.state_end_value

    def state_begin_value_or_empty(self, byte: int) -> int:
        if byte in _SPACE:
            return _SCAN_SKIP_SPACE
        if byte == ord("]"):
            return self.state_end_value(byte)
        return self.state_begin_value(byte)

    def state_begin_value(self, byte: int) -> int:
        if byte in _SPACE:
            return _SCAN_SKIP_SPACE
        if byte == ord("{"):
            self.step = self.state_begin_string_or_empty
            return self.push_parse_state(byte, _PARSE_OBJECT_KEY, _SCAN_BEGIN_OBJECT)
        if byte == ord("["):
            self.step = self.state_begin_value_or_empty
            return self.push_parse_state(byte, _PARSE_ARRAY_VALUE, _SCAN_BEGIN_ARRAY)
        if byte in self.literal_states:
            self.step = self.literal_states[byte]
            return _SCAN_BEGIN_LITERAL
        if ord("1") <= byte <= ord("9"):
            self.step = self.state_1
            return _SCAN_BEGIN_LITERAL
        return self.error(byte, "looking for beginning of value")

    def state_begin_string_or_empty(self, byte: int) -> int:
        if byte in _SPACE:
            return _SCAN_SKIP_SPACE
        if byte == ord("}"):
            self.parse_state[-1] = _PARSE_OBJECT_VALUE
            return self.state_end_value(byte)
        return self.state_begin_string(byte)

    def state_begin_string(self, byte: int) -> int:
        if byte in _SPACE:
            return _SCAN_SKIP_SPACE
        if byte == ord('"'):
            self.step = self.state_in_string
            return _SCAN_BEGIN_LITERAL
        return self.error(byte, "looking for beginning of object key string")

    def state_end_value(self, byte: int) -> int:
        if not self.parse_state:
            self.step = self.state_end_top
            self.end_top = True
            return self.state_end_top(byte)
        if byte in _SPACE:
            self.step = self.state_end_value
            return _SCAN_SKIP_SPACE
        parse_state = self.parse_state[-1]
        if parse_state == _PARSE_OBJECT_KEY:
            if byte == ord(":"):
                self.parse_state[-1] = _PARSE_OBJECT_VALUE
                self.step = self.state_begin_value
                return _SCAN_OBJECT_KEY
            return self.error(byte, "after object key")
        if parse_state == _PARSE_OBJECT_VALUE:
            if byte == ord(","):
                self.parse_state[-1] = _PARSE_OBJECT_KEY
                self.step = self.state_begin_string
                return _SCAN_OBJECT_VALUE
            if byte == ord("}"):
                self.pop_parse_state()
                return _SCAN_END_OBJECT
            return self.error(byte, "after object key:value pair")
        if byte == ord(","):
            self.step = self.state_begin_value
            return _SCAN_ARRAY_VALUE
        if byte == ord("]"):
            self.pop_parse_state()
            return _SCAN_END_ARRAY
        return self.error(byte, "after array element")

    def state_end_top(self, byte: int) -> int:
        if byte not in _SPACE:
            self.error(byte, "after top-level value")
        return _SCAN_END

    def state_in_string(self, byte: int) -> int:
        if byte == ord('"'):
            self.step = self.state_end_value
            return _SCAN_CONTINUE
        if byte == ord("\\"):
            self.step = self.state_in_string_esc
            return _SCAN_CONTINUE
        if byte < 0x20:
            return self.error(byte, "in string literal")
        return _SCAN_CONTINUE

    def state_in_string_esc(self, byte: int) -> int:
        if byte in _SIMPLE_ESCAPES:
            self.step = self.state_in_string
            return _SCAN_CONTINUE
        if byte == ord("u"):
            self.step = self.state_in_string_esc_u
            return _SCAN_CONTINUE
        return self.error(byte, "in string escape code")

    def _hex_digit(self, byte: int, next_state: Callable[[int], int]) -> int:
        if byte in _HEX:
            self.step = next_state
            return _SCAN_CONTINUE
        return self.error(byte, "in \\u hexadecimal character escape")

    def state_in_string_esc_u(self, byte: int) -> int:
        return self._hex_digit(byte, self.state_in_string_esc_u1)

    def state_in_string_esc_u1(self, byte: int) -> int:
        return self._hex_digit(byte, self.state_in_string_esc_u12)

    def state_in_string_esc_u12(self, byte: int) -> int:
        return self._hex_digit(byte, self.state_in_string_esc_u123)

    def state_in_string_esc_u123(self, byte: int) -> int:
        return self._hex_digit(byte, self.state_in_string)

    def state_neg(self, byte: int) -> int:
        if byte == ord("0"):
            self.step = self.state_0
            return _SCAN_CONTINUE
        if ord("1") <= byte <= ord("9"):
            self.step = self.state_1
            return _SCAN_CONTINUE
        return self.error(byte, "in numeric literal")

    def state_1(self, byte: int) -> int:
        if byte in _DIGITS:
            self.step = self.state_1
            return _SCAN_CONTINUE
        return self.state_0(byte)

    def state_0(self, byte: int) -> int:
        if byte == ord("."):
            self.step = self.state_dot
            return _SCAN_CONTINUE
        if byte in b"eE":
            self.step = self.state_e
            return _SCAN_CONTINUE
        return self.state_end_value(byte)

    def state_dot(self, byte: int) -> int:
        if byte in _DIGITS:
            self.step = self.state_dot0
            return _SCAN_CONTINUE
        return self.error(byte, "after decimal point in numeric literal")

    def state_dot0(self, byte: int) -> int:
        if byte in _DIGITS:
            return _SCAN_CONTINUE
        if byte in b"eE":
            self.step = self.state_e
            return _SCAN_CONTINUE
        return self.state_end_value(byte)

    def state_e(self, byte: int) -> int:
        if byte in b"+-":
            self.step = self.state_e_sign
            return _SCAN_CONTINUE
        return self.state_e_sign(byte)

    def state_e_sign(self, byte: int) -> int:
        if byte in _DIGITS:
            self.step = self.state_e0
            return _SCAN_CONTINUE
        return self.error(byte, "in exponent of numeric literal")

    def state_e0(self, byte: int) -> int:
        if byte in _DIGITS:
            return _SCAN_CONTINUE
        return self.state_end_value(byte)

    def _literal_byte(self, byte: int, want: str, literal: str, next_state: Callable[[int], int]) -> int:
        if byte == ord(want):
            self.step = next_state
            return _SCAN_CONTINUE
        return self.error(byte, f"in literal {literal} (expecting '{want}')")

    def state_t(self, byte: int) -> int:
        return self._literal_byte(byte, "r", "true", self.state_tr)

    def state_tr(self, byte: int) -> int:
        return self._literal_byte(byte, "u", "true", self.state_tru)

    def state_tru(self, byte: int) -> int:
        return self._literal_byte(byte, "e", "true", self.state_end_value)

    def state_f(self, byte: int) -> int:
        return self._literal_byte(byte, "a", "false", self.state_fa)

    def state_fa(self, byte: int) -> int:
        return self._literal_byte(byte, "l", "false", self.state_fal)

    def state_fal(self, byte: int) -> int:
        return self._literal_byte(byte, "s", "false", self.state_fals)

    def state_fals(self, byte: int) -> int:
        return self._literal_byte(byte, "e", "false", self.state_end_value)

    def state_n(self, byte: int) -> int:
        return self._literal_byte(byte, "u", "null", self.state_nu)

    def state_nu(self, byte: int) -> int:
        return self._literal_byte(byte, "l", "null", self.state_nul)

    def state_nul(self, byte: int) -> int:
        return self._literal_byte(byte, "l", "null", self.state_end_value)

    def state_error(self, byte: int) -> int:
        return _SCAN_ERROR


def _skip_space(data: bytes, index: int) -> int:
    while index < len(data) and data[index] in _SPACE:
        index += 1
    return index


def _getu4(body: bytes, index: int) -> int:
    """Go's ``getu4``: the value of a ``\\uXXXX`` escape at ``index``, or -1."""
    digits = body[index + 2 : index + 6]
    if body[index : index + 2] != b"\\u" or len(digits) != 4 or not all(byte in _HEX for byte in digits):
        return -1
    return int(digits, 16)


def _unquote(literal: bytes) -> str:
    """Go's ``unquoteBytes`` for a validated string literal: invalid surrogate escapes become U+FFFD."""
    body = literal[1:-1]
    out = bytearray()
    index = 0
    while index < len(body):
        backslash = body.find(b"\\", index)
        if backslash < 0:
            out += body[index:]
            break
        out += body[index:backslash]
        escape = body[backslash + 1]
        if escape != ord("u"):
            out += _SIMPLE_ESCAPES[escape]
            index = backslash + 2
            continue
        rune = _getu4(body, backslash)
        index = backslash + 6
        if 0xD800 <= rune < 0xE000:
            low = _getu4(body, index)
            if rune < 0xDC00 and 0xDC00 <= low < 0xE000:
                rune = 0x10000 + ((rune - 0xD800) << 10 | (low - 0xDC00))
                index += 6
            else:
                rune = 0xFFFD
        out += chr(rune).encode("utf-8")
    return out.decode("utf-8")


def _value_end(data: bytes, start: int) -> int:
    """End (exclusive) of the validated JSON value starting at ``start``; iterative, so depth does not matter."""
    first = data[start]
    if first == ord('"'):
        match = _STRING_LITERAL.match(data, start)
        assert match is not None, "input was validated"
        return match.end()
    if first in _LITERAL_LENGTH:
        return start + _LITERAL_LENGTH[first]
    if first not in b"[{":
        match = _NUMBER_TAIL.match(data, start + 1)
        assert match is not None, "pattern matches the empty string"
        return match.end()
    depth = 0
    index = start
    while True:
        byte = data[index]
        if byte == ord('"'):
            index = _value_end(data, index)
            continue
        if byte in b"[{":
            depth += 1
        elif byte in b"]}":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1


def _value_name(first: int) -> str:
    """The ``UnmarshalTypeError.Value`` Go reports for a value starting with ``first``."""
    names = {ord("["): "array", ord("{"): "object", ord('"'): "string", ord("t"): "bool", ord("f"): "bool"}
    return names.get(first, "number")


def _type_error_offset(data: bytes, start: int) -> int:
    """Go's ``Offset``: just after ``[``/``{`` for composites (``d.off``), after the literal otherwise."""
    if data[start] in b"[{":
        return start + 1
    return _value_end(data, start)


def _char_index(data: bytes, byte_index: int) -> int:
    """Index in the Python string of the character containing UTF-8 byte ``byte_index``."""
    return len(data[:byte_index].decode("utf-8", "ignore"))


def _type_error(data: bytes, start: int, go_type: str) -> GoJSONResult:
    return GoJSONResult(
        argv=None,
        error=f"json: cannot unmarshal {_value_name(data[start])} into Go value of type {go_type}",
        kind="type",
        offset=_type_error_offset(data, start),
        char_index=_char_index(data, start),
    )


def _decode_validated(data: bytes) -> GoJSONResult:
    """Go's ``decodeState.value`` into ``*[]string`` on input ``checkValid`` accepted."""
    start = _skip_space(data, 0)
    first = data[start]
    if first == ord("n"):
        return GoJSONResult(argv=(), error=None, kind="ok", offset=None, char_index=None)
    if first != ord("["):
        return _type_error(data, start, "[]string")

    argv: list[str] = []
    null_indices: list[int] = []
    first_error: GoJSONResult | None = None
    index = _skip_space(data, start + 1)
    while data[index] != ord("]"):
        end = _value_end(data, index)
        element_first = data[index]
        if element_first == ord('"'):
            argv.append(_unquote(data[index:end]))
        elif element_first == ord("n"):
            null_indices.append(len(argv))
            argv.append("")
        else:
            if first_error is None:
                first_error = _type_error(data, index, "string")
            argv.append("")
        index = _skip_space(data, end)
        if data[index] == ord(","):
            index = _skip_space(data, index + 1)
    if first_error is not None:
        return first_error
    return GoJSONResult(
        argv=tuple(argv), error=None, kind="ok", offset=None, char_index=None, null_indices=tuple(null_indices)
    )


_FAST_PATH_TEXT = re.compile(r"[\x20-\x7e\t\n\r]*")  # printable ASCII, and Go's and Python's whitespace


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON to Go")


_FAST_DECODER = json.JSONDecoder(parse_constant=_reject_constant)  # strict=True: raw control characters raise


def _fast_decode(text: str) -> GoJSONResult | None:
    """Python's ``json`` where it provably answers as Go does (see the module's docstring), else ``None``."""
    if _FAST_PATH_TEXT.fullmatch(text) is None or "\\u" in text:
        return None
    try:
        value = _FAST_DECODER.decode(text)
    except (ValueError, RecursionError):
        return None
    if type(value) is not list:
        return None
    null_indices = []
    for number, element in enumerate(value):
        if element is None:
            null_indices.append(number)
        elif type(element) is not str:
            return None
    argv = tuple("" if element is None else element for element in value)
    return GoJSONResult(argv=argv, error=None, kind="ok", offset=None, char_index=None,
                        null_indices=tuple(null_indices))


def _emulate(text: str) -> GoJSONResult:
    """The emulation of Go's scanner and decoder: the answer for every input."""
    data = go_string_bytes(text)
    failure = _Scanner().check_valid(data)
    if failure is not None:
        message, offset, at_eof = failure
        char_index = len(text) if at_eof else _char_index(data, offset - 1)
        return GoJSONResult(argv=None, error=message, kind="syntax", offset=offset, char_index=char_index)
    return _decode_validated(data)


@lru_cache(maxsize=4096)
def decode_string_slice(text: str) -> GoJSONResult:
    """Return what ``json.Unmarshal([]byte(text), &command)`` does for ``var command []string`` in Go 1.19.

    Memoised (bounded, per process; a pure function of an immutable ``str`` with a frozen result): a value and
    the repairs a check tries on it are decoded once however many rules ask.
    """
    fast = _fast_decode(text)
    return fast if fast is not None else _emulate(text)
