"""Configuration: `itpm check` with production settings, cookies, CSP, bandit and semgrep.

The static checks run the real tools over ``itpm/``; each rule is also shown to fire on a
small bad example, so a rule that matches nothing cannot pass unnoticed.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]


def production_env(**extra: str) -> dict[str, str]:
    """The environment of a production server (as docs/security.md describes it)."""
    # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE must not leak into a "production" check.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ITPM_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update(
        ITPM_PRODUCTION="true",
        ITPM_SECRET_KEY=secrets.token_urlsafe(50),
        ITPM_ALLOWED_HOSTS="itpm.example.com",
        ITPM_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        ITPM_DATA_DIR=os.environ.get("ITPM_DATA_DIR", str(ROOT / "var")),
        DJANGO_SETTINGS_MODULE="itpm.settings",
    )
    env.update(extra)
    return env


def _itpm() -> list[str]:
    return [sys.executable, "-c", "from itpm.cli import main; main()"]


def test_itpm_check_with_production_settings_has_no_warnings() -> None:
    done = subprocess.run(
        [*_itpm(), "check"], env=production_env(), capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout


def test_itpm_check_names_what_a_careless_production_setup_lacks() -> None:
    careless = production_env(
        ITPM_HSTS_SECONDS="0",
        ITPM_LOGIN_MAX_FAILURES="0",
        ITPM_EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
        ITPM_CACHE="locmem",
    )
    done = subprocess.run(
        [*_itpm(), "check"], env=careless, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 1
    for code in ("security.W004", "itpm.W003", "itpm.W005", "itpm.W008"):
        assert code in done.stderr, done.stderr


def test_production_cookies_are_secure_httponly_and_samesite() -> None:
    program = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_SECURE, s.CSRF_COOKIE_HTTPONLY, "
        "s.CSRF_COOKIE_SAMESITE, s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], env=production_env(), capture_output=True, text=True
    )
    assert json.loads(done.stdout) == [True, True, "Lax", True, True, "Lax", 31536000, True]


@pytest.mark.django_db
def test_the_login_cookies_carry_the_flags(people: dict[str, Any], settings: Any) -> None:
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    client = Client()
    page = client.get("/login/")
    csrf = page.cookies["csrftoken"]
    assert csrf["httponly"] and csrf["secure"] and csrf["samesite"] == "Lax"
    answer = client.post(
        "/login/", {"username": "olivia", "password": "correct-horse-battery-staple"}
    )
    session = answer.cookies["sessionid"]
    assert session["httponly"] and session["secure"] and session["samesite"] == "Lax"


@pytest.mark.django_db
def test_every_page_has_a_strict_csp_and_no_inline_script(people: dict[str, Any]) -> None:
    client = Client()
    client.force_login(people["admin"])
    for url in ("/login/", "/projects/", "/login/reset/"):
        page = client.get(url)
        policy = page["Content-Security-Policy"]
        assert "script-src 'self';" in policy and "unsafe" not in policy
        assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
        html = page.content.decode()
        assert "<script>" not in html and " onload=" not in html


# ------------------------------------------------------------------------ static analysis
def bandit_counts() -> dict[str, int]:
    done = subprocess.run(
        [sys.executable, "-m", "bandit", "-r", str(ROOT / "itpm"), "-q", "-f", "json"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    results = json.loads(done.stdout)["results"]
    counts = {"HIGH": 0, "MEDIUM": 0, "LOW": 0}
    for result in results:
        counts[result["issue_severity"]] += 1
    return counts


def semgrep(target: Path) -> list[dict[str, Any]]:
    exe = shutil.which("semgrep") or str(Path(sys.executable).parent / "semgrep")
    done = subprocess.run(
        [exe, "scan", "--metrics=off", "--disable-version-check", "--quiet", "--json",
         "--config", str(ROOT / ".semgrep" / "itpm.yml"), str(target)],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"},
    )  # fmt: skip
    report = json.loads(done.stdout)
    assert report["errors"] == [], report["errors"]
    return list(report["results"])


def test_bandit_finds_nothing_of_high_severity() -> None:
    assert bandit_counts()["HIGH"] == 0


def test_semgrep_with_our_rules_finds_nothing_in_itpm() -> None:
    findings = semgrep(ROOT / "itpm")
    assert findings == [], [(f["check_id"], f["path"], f["start"]["line"]) for f in findings]


_BAD_PYTHON = """
from django.db import connection
from django.shortcuts import get_object_or_404
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt

def raw(name):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM t WHERE name = '{name}'")
    Task.objects.raw("SELECT * FROM t WHERE id = %s" % name)
    Task.objects.extra(where=["name = '%s'" % name])
    return mark_safe(name)

@csrf_exempt
def hook(request, task_id):
    task = Task.objects.get(pk=task_id)
    return get_object_or_404(Task, pk=task_id)
"""


def test_every_semgrep_rule_fires_on_a_bad_example(tmp_path: Path) -> None:
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "views.py").write_text(_BAD_PYTHON)
    (tmp_path / "bad" / "page.html").write_text("<p>{{ text|safe }}</p>{% autoescape off %}")
    fired = {f["check_id"].rsplit(".", 1)[-1] for f in semgrep(tmp_path / "bad")}
    assert fired == {
        "itpm-raw-sql-formatted", "itpm-queryset-extra", "itpm-mark-safe",
        "itpm-template-safe-filter", "itpm-csrf-exempt", "itpm-unscoped-get-by-id",
    }  # fmt: skip
