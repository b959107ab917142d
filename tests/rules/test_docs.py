"""docs/rules.md is generated from the loaded rules and must match them."""

from __future__ import annotations

from pathlib import Path

from analyzer.rules import load_rules, rules_markdown

PAGE = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def test_the_committed_rules_page_is_up_to_date() -> None:
    expected = rules_markdown(load_rules())
    assert PAGE.read_text(encoding="utf-8") == expected, (
        "docs/rules.md is stale: run `analyzer rules doc --out docs/rules.md`"
    )


def test_the_page_documents_every_rule_and_parameter() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for rule in load_rules().rules.values():
        assert f"\n## {rule.id}\n" in text
        for param in rule.params:
            assert f"| `{param.name}` | `{param.default!r}` |" in text
