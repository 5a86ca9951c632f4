"""A rule's documentation as `vmlint explain` prints it, and as the language server shows it on hover."""

from __future__ import annotations

from lint.core.catalogue import Rule


def explanation(rule: Rule, source: str | None = None) -> str:
    """The rule's documentation; `source` names the file a custom rule comes from (a built-in one has none to show)."""
    fix = {"none": "no automatic fix", "safe": "safe fix available", "unsafe": "unsafe fix available"}[rule.fix]
    parts = [
        f"{rule.code} {rule.name} ({rule.severity}, {fix}{'' if rule.default_enabled else ', off unless selected'})",
        "",
        rule.summary,
        "",
    ]
    if source is not None:
        parts += [f"Custom rule from {source}", ""]
    parts += [
        "Why",
        _indent(rule.rationale),
    ]
    for title, examples in (("Bad", rule.examples_bad), ("Good", rule.examples_good)):
        for number, example in enumerate(examples, start=1):
            parts += ["", title + rule.example_at(title.lower(), number), _indent(example.rstrip("\n"))]
    if rule.references:
        parts += ["", "References"] + [f"  - {ref}" for ref in rule.references]
    return "\n".join(parts)


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" if line else "" for line in text.splitlines())
