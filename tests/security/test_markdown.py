"""Markdown rendering (itpm/core/markdown.py): sanitized, and one text never leaks into the next.

The converter is reused per thread for speed, so what one text defines (reference links)
must be gone before the next is converted.
"""

from __future__ import annotations

import threading

import pytest

from itpm.core.markdown import render_markdown


@pytest.mark.parametrize("text", ["", "   ", "\n\t\n"])
def test_empty_text_renders_nothing(text: str) -> None:
    assert render_markdown(text) == ""


def test_a_reference_defined_in_one_text_does_not_resolve_in_the_next() -> None:
    first = render_markdown("[runbook]: https://evil.example/\n\nSee the runbook.")
    second = render_markdown("Open [the runbook][runbook].")
    assert "evil.example" not in first
    assert "evil.example" not in second
    assert second == "<p>Open [the runbook][runbook].</p>"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("**bold** and _em_", "<p><strong>bold</strong> and <em>em</em></p>"),
        ("<script>alert(1)</script>", ""),
        ("[x](javascript:alert(1))", '<p><a rel="noopener noreferrer nofollow">x</a></p>'),
        (
            "[docs](https://example.com)",
            '<p><a href="https://example.com" rel="noopener noreferrer nofollow">docs</a></p>',
        ),
        ('<img src=x onerror="alert(1)">', "<p></p>"),
    ],
)
def test_output_is_sanitized(text: str, expected: str) -> None:
    assert render_markdown(text).strip() == expected


def test_threads_render_independently() -> None:
    results: dict[int, str] = {}

    def work(i: int) -> None:
        for _ in range(50):
            results[i] = render_markdown(f"Task **{i}**")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {i: f"<p>Task <strong>{i}</strong></p>" for i in range(4)}
