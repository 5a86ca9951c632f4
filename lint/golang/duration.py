"""Exact emulation of Go's ``time.ParseDuration``, error messages included.

Velero parses hook timeout annotations (``pre.hook.backup.velero.io/timeout`` and friends) with
``time.ParseDuration``; when that fails it logs the error and falls back to the default timeout, so a value such
as ``30`` (no unit) or ``1d`` (unknown unit) silently changes behaviour. The linter reports Go's own error text,
so this module follows Go 1.19's ``src/time/format.go`` step for step, including its unsigned 64-bit arithmetic
(overflow checks, and the wrap-around they let through), float64 fractions and its private ``quote`` helper.
"""

from __future__ import annotations

from dataclasses import dataclass

from lint.golang.strconv import go_string_bytes

__all__ = ["GoDuration", "parse_duration"]

_UINT64_MASK = (1 << 64) - 1
_UNITS = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,  # µs, U+00B5 MICRO SIGN
    "\u03bcs": 1_000,  # μs, U+03BC GREEK SMALL LETTER MU
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}


@dataclass(frozen=True)
class GoDuration:
    """What ``time.ParseDuration`` returned: exactly one of the two fields is set.

    ``nanoseconds`` is the ``time.Duration`` value (an int64 count of nanoseconds); ``error`` is ``err.Error()``.
    """

    nanoseconds: int | None
    error: str | None


def _quote(text: str) -> str:
    """Go's ``time.quote``: like ``strconv.Quote`` but every non-ASCII or control byte becomes ``\\xNN``."""
    out = ['"']
    for char in text:
        if char < " " or char >= "\x80":
            out.extend(f"\\x{byte:02x}" for byte in go_string_bytes(char))
        elif char in '"\\':
            out.append("\\" + char)
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _leading_int(text: str) -> tuple[int, str] | None:
    """Go's ``leadingInt``: consume ``[0-9]*``; ``None`` on uint64 overflow (past 1<<63)."""
    value = 0
    index = 0
    while index < len(text) and "0" <= text[index] <= "9":
        if value > (1 << 63) // 10:
            return None
        value = value * 10 + ord(text[index]) - ord("0")
        if value > 1 << 63:
            return None
        index += 1
    return value, text[index:]


def _leading_fraction(text: str) -> tuple[int, float, str]:
    """Go's ``leadingFraction``: consume ``[0-9]*``, silently dropping digits once precision would overflow."""
    value = 0
    scale = 1.0
    overflow = False
    index = 0
    while index < len(text) and "0" <= text[index] <= "9":
        if not overflow:
            if value > ((1 << 63) - 1) // 10:
                overflow = True
            else:
                candidate = value * 10 + ord(text[index]) - ord("0")
                if candidate > 1 << 63:
                    overflow = True
                else:
                    value = candidate
                    scale *= 10
        index += 1
    return value, scale, text[index:]


def _to_int64(value: int) -> int:
    """Reinterpret a uint64 as int64, as Go's ``Duration(d)`` conversion does."""
    return value - (1 << 64) if value >= 1 << 63 else value


def parse_duration(text: str) -> GoDuration:
    """Return what ``time.ParseDuration(text)`` returns.

    Grammar ``[-+]?([0-9]*(\\.[0-9]*)?[a-z]+)+`` with units ns, us/µs/μs, ms, s, m, h (case-sensitive); the lone
    string ``0`` (optionally signed) needs no unit. Whitespace is never skipped.
    """
    invalid = GoDuration(None, f"time: invalid duration {_quote(text)}")
    rest = text
    negative = False
    if rest[:1] in ("-", "+"):
        negative = rest[0] == "-"
        rest = rest[1:]
    if rest == "0":
        return GoDuration(0, None)
    if rest == "":
        return invalid

    total = 0
    while rest:
        if not (rest[0] == "." or "0" <= rest[0] <= "9"):
            return invalid
        before = len(rest)
        leading = _leading_int(rest)
        if leading is None:
            return invalid
        whole, rest = leading
        digits_before_point = before != len(rest)

        fraction, scale, digits_after_point = 0, 1.0, False
        if rest[:1] == ".":
            rest = rest[1:]
            before = len(rest)
            fraction, scale, rest = _leading_fraction(rest)
            digits_after_point = before != len(rest)
        if not digits_before_point and not digits_after_point:
            return invalid

        unit_end = 0
        while unit_end < len(rest) and not (rest[unit_end] == "." or "0" <= rest[unit_end] <= "9"):
            unit_end += 1
        if unit_end == 0:
            return GoDuration(None, f"time: missing unit in duration {_quote(text)}")
        unit_name, rest = rest[:unit_end], rest[unit_end:]
        unit = _UNITS.get(unit_name)
        if unit is None:
            return GoDuration(None, f"time: unknown unit {_quote(unit_name)} in duration {_quote(text)}")

        if whole > (1 << 63) // unit:
            return invalid
        whole *= unit
        if fraction > 0:
            # Go: v += uint64(float64(f) * (float64(unit) / scale)); Python floats are the same IEEE doubles.
            whole += int(float(fraction) * (float(unit) / scale))
            if whole > 1 << 63:
                return invalid
        total = (total + whole) & _UINT64_MASK  # uint64 addition: 1<<63 + 1<<63 wraps to 0 unchecked
        if total > 1 << 63:
            return invalid

    if negative:
        nanoseconds = -_to_int64(total)
        return GoDuration(_to_int64(nanoseconds & _UINT64_MASK), None)
    if total > (1 << 63) - 1:
        return invalid
    return GoDuration(total, None)
