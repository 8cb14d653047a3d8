"""Every API schema class has its own name: OpenAPI components are keyed by class name, so
two schemas called ``ItemIn`` in two apps would make the document describe one of them wrong."""

from __future__ import annotations

from collections import defaultdict

from ninja import Schema

import itpm.api  # noqa: F401 - imports every router and so every schema


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found.add(sub)
        found |= _subclasses(sub)
    return found


def test_no_two_api_schemas_share_a_name():
    by_name: dict[str, set[str]] = defaultdict(set)
    for cls in _subclasses(Schema):
        if cls.__module__.startswith("itpm.") and "[" not in cls.__name__:
            by_name[cls.__name__].add(cls.__module__)
    duplicates = {name: sorted(mods) for name, mods in by_name.items() if len(mods) > 1}
    assert duplicates == {}
    assert len(by_name) > 100
