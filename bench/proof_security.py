"""The security figures of issue 10, one line each (docs/security.md explains them).

    uv run python bench/proof_security.py            # everything (about 5 minutes)
    uv run python bench/proof_security.py --no-tests # only the configuration and static checks

Runs `itpm check` with production settings, reads the production cookie flags, runs bandit
and semgrep (.semgrep/itpm.yml) over itpm/, then the tests in tests/security (auth, uploads,
configuration, and the XSS corpus in headless chromium) and prints what they proved. Exit
code 1 when a figure is not what it must be.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET  # noqa: S405 - parses the junit file pytest just wrote
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
failed = False


def figure(name: str, value: str, ok: bool) -> None:
    global failed
    failed |= not ok
    print(f"security  {name}: {value}{'' if ok else '  <-- FAILED'}", flush=True)


def production_env(**extra: str) -> dict[str, str]:
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


def run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, cwd=ROOT, **kwargs)  # type: ignore[call-overload, no-any-return]


def check_deploy() -> None:
    done = run([sys.executable, "-c", "from itpm.cli import main; main()", "check"],
               env=production_env(), timeout=300)  # fmt: skip
    text = done.stdout + done.stderr
    warnings = sum(1 for line in text.splitlines() if line.startswith("?: ("))
    figure("itpm check (Django check --deploy + itpm's own, production settings)",
           f"{warnings} warnings", done.returncode == 0 and warnings == 0)  # fmt: skip


def cookies() -> None:
    program = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'session': [s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SESSION_COOKIE_SAMESITE], 'csrf': [s.CSRF_COOKIE_SECURE, s.CSRF_COOKIE_HTTPONLY, "
        "s.CSRF_COOKIE_SAMESITE], 'hsts': s.SECURE_HSTS_SECONDS}))"
    )
    flags = json.loads(run([sys.executable, "-c", program], env=production_env()).stdout)
    text = ", ".join(
        f"{name} {'Secure' if f[0] else 'NOT-Secure'} {'HttpOnly' if f[1] else 'NOT-HttpOnly'} "
        f"SameSite={f[2]}"
        for name, f in (("session", flags["session"]), ("csrf", flags["csrf"]))
    )
    ok = all(flags["session"][:2]) and all(flags["csrf"][:2]) and flags["hsts"] > 0
    figure("cookies (production)", f"{text}; HSTS {flags['hsts']} s", ok)


def bandit() -> None:
    started = time.monotonic()
    done = run([sys.executable, "-m", "bandit", "-r", "itpm", "-q", "-f", "json"], timeout=600)
    counts = {"HIGH": 0, "MEDIUM": 0, "LOW": 0}
    for result in json.loads(done.stdout)["results"]:
        counts[result["issue_severity"]] += 1
    figure("bandit on itpm/", f"{counts['HIGH']} high, {counts['MEDIUM']} medium, "
           f"{counts['LOW']} low ({time.monotonic() - started:.0f} s)", counts["HIGH"] == 0)  # fmt: skip


def semgrep() -> None:
    started = time.monotonic()
    exe = shutil.which("semgrep") or str(Path(sys.executable).parent / "semgrep")
    done = run(
        [exe, "scan", "--metrics=off", "--disable-version-check", "--quiet", "--json",
         "--config", ".semgrep/itpm.yml", "itpm"],
        timeout=600, env={**os.environ, "SEMGREP_ENABLE_VERSION_CHECK": "0"},
    )  # fmt: skip
    report = json.loads(done.stdout)
    rules = (ROOT / ".semgrep" / "itpm.yml").read_text().count("\n  - id: ")
    findings = len(report["results"])
    figure("semgrep .semgrep/itpm.yml on itpm/",
           f"{findings} findings, {len(report['errors'])} errors ({rules} rules, "
           f"{time.monotonic() - started:.0f} s)", findings == 0 and not report["errors"])  # fmt: skip


def security_tests() -> None:
    proof_dir = Path(tempfile.mkdtemp(prefix="itpm-proof-security-"))
    junit = proof_dir / "junit.xml"
    started = time.monotonic()
    done = run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "tests/security",
         f"--junitxml={junit}"],
        env={**os.environ, "ITPM_PROOF_DIR": str(proof_dir)}, timeout=3600,
    )  # fmt: skip
    if not junit.exists():
        figure("tests/security", "did not run: " + done.stdout[-300:], False)
        return
    cases: dict[str, list[bool]] = {}
    reasons: dict[str, str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):  # noqa: S314 - our own file
        module = case.get("classname", "").rsplit(".", 1)[-1]
        bad = [c for c in case if c.tag in ("failure", "error")]
        cases.setdefault(module, []).append(not bad)
        if bad:
            reasons.setdefault(module, f"{case.get('name')}: {bad[0].get('message', '')[:300]}")
    spent = time.monotonic() - started

    def passed(module: str) -> tuple[str, bool]:
        results = cases.get(module, [])
        text = f"{sum(results)}/{len(results)} tests pass"
        if module in reasons:
            text += f" (first failure: {reasons[module]})"
        return text, bool(results) and all(results)

    text, ok = passed("test_auth")
    figure("auth", "lockout after 5 failures per username / 20 per address for 15 min, "
           "API writes capped per user (429 + Retry-After), idle 1 h and absolute 12 h "
           f"sessions, SHA-256 tokens that expire (90 d) and revoke: {text}", ok)  # fmt: skip
    text, ok = passed("test_password_reset")
    figure("password reset", "only to the account's verified address, same answer for "
           "unknown addresses, one-time link, 3 requests per address / 10 per client an hour "
           f"(same page, no mail beyond): {text}", ok)  # fmt: skip
    text, ok = passed("test_uploads")
    figure("uploads", "size 413, type by content 422, count 422, 16 hostile names sanitized, 14 uploaded -> 0 files "
           f"outside MEDIA_ROOT: {text}", ok)  # fmt: skip
    text, ok = passed("test_configuration")
    figure("configuration tests", f"check --deploy, cookies, CSP, bandit, semgrep: {text}", ok)
    report_file = proof_dir / "xss.json"
    text, ok = passed("test_xss_browser")
    if report_file.exists():
        xss = json.loads(report_file.read_text())
        figure("xss in chromium",
               f"{xss['payloads']} payloads in {xss['fields']} free-text fields ({xss['rows']} "
               f"rows), {xss['pages']} pages ({xss['pages_with_payloads']} show payloads): "
               f"{len(xss['problems'])} pages with a script run, CSP violation or dangerous "
               f"DOM, {len(xss['dialogs'])} dialogs; {text}",
               ok and not xss["problems"] and not xss["dialogs"])  # fmt: skip
    else:
        figure("xss in chromium", f"no report (chromium missing?); {text}", False)
    print(f"security  tests/security took {spent:.0f} s", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-tests", action="store_true", help="skip tests/security")
    options = parser.parse_args()
    check_deploy()
    cookies()
    bandit()
    semgrep()
    if not options.no_tests:
        security_tests()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
