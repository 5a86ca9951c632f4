"""Every rule's documented examples behave as documented: bad ones trigger the rule, good ones do not."""

from __future__ import annotations

import pytest
from helpers import lint_text

from lint.checks import registry
from lint.core.catalogue import Rule, builtin_catalogue
from lint.core.findings import Severity
from lint.run.examples import injected_fault

RULES = builtin_catalogue().rules


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_bad_examples_trigger_the_rule(rule: Rule) -> None:
    for example in rule.examples_bad:
        with injected_fault(rule.check == "internal-error"):  # VM009: no real input makes vmlint fail
            codes = [f.code for f in lint_text(example, select=("ALL",))]
        assert rule.code in codes, f"{rule.code} bad example did not trigger it: {codes}\n{example}"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_good_examples_are_clean(rule: Rule) -> None:
    for example in rule.examples_good:
        findings = lint_text(example, select=("ALL",))
        assert rule.code not in [f.code for f in findings], example
        assert [f for f in findings if f.severity == Severity.ERROR] == [], example


def test_every_rule_names_a_registered_check_and_every_check_is_used() -> None:
    checks = registry()
    assert {rule.check for rule in RULES} <= set(checks)
    assert set(checks) <= {rule.check for rule in RULES}


def test_codes_are_unique_and_match_their_file_names() -> None:
    assert len({rule.code for rule in RULES}) == len(RULES)
    for rule in RULES:
        assert rule.path.endswith(f"{rule.code}.yaml")
