"""Every environment variable that settings.py reads is documented in README.md."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_is_documented_in_the_readme():
    source = (ROOT / "itpm" / "settings.py").read_text()
    names = set(re.findall(r"env(?:str|bool|int|list)\(\s*\"([A-Z_]+)\"", source))
    assert "DATABASE_URL" in names and len(names) > 10
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, flags=re.MULTILINE))
    assert names - documented == set(), "undocumented settings"
    assert documented - names == set(), "README documents settings that do not exist"


def test_settings_helpers_fail_loudly(monkeypatch):
    import pytest
    from django.core.exceptions import ImproperlyConfigured

    from itpm.settings import envbool, envint

    monkeypatch.setenv("ITPM_X", "maybe")
    with pytest.raises(ImproperlyConfigured, match="ITPM_X"):
        envbool("ITPM_X", False)
    monkeypatch.setenv("ITPM_X", "12a")
    with pytest.raises(ImproperlyConfigured, match="ITPM_X"):
        envint("ITPM_X", 1)
