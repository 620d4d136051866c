"""Issue #15: CSP, Permissions-Policy and no-store on logged-in pages; HTTPS settings
when SITE_URL is https://; no inline script or event handler in any template."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.test import Client

import klantstuur
from tests.conftest import World

TEMPLATES = Path(klantstuur.__file__).parent


def test_every_page_has_the_policies_and_personal_ones_are_not_stored(
    world: World, login: Any, api: Any
) -> None:
    anonymous = Client().get("/console/login/")
    assert "default-src 'self'" in anonymous["Content-Security-Policy"]
    assert "script-src 'self';" in anonymous["Content-Security-Policy"] + ";"
    assert "unsafe-eval" not in anonymous["Content-Security-Policy"]
    assert "camera=()" in anonymous["Permissions-Policy"]
    assert "no-store" not in Client().get("/healthz").get("Cache-Control", "")
    assert anonymous["X-Frame-Options"] == "DENY"
    page = login(world.owner).get("/console/")
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    token = api(world.owner).get("/api/v1/needs")
    assert "no-store" in token["Cache-Control"]
    portal = login(world.customer_a).get("/portal/")
    assert "no-store" in portal["Cache-Control"]


def test_cookies_are_secure_outside_the_demo(world: World) -> None:
    from tests.conftest import PASSWORD

    r = Client().post("/console/login/", {"username": world.owner.email, "password": PASSWORD})
    assert r.status_code == 302
    assert r.cookies["sessionid"]["secure"] is True
    assert r.cookies["sessionid"]["httponly"] is True


def _settings(**env: str) -> dict[str, Any]:
    code = (
        "import json; from klantstuur import settings as s; print(json.dumps({k: getattr(s, k, None)"
        " for k in ['SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SECURE_PROXY_SSL_HEADER',"
        " 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_REDIRECT_EXEMPT']}))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KLANTSTUUR_")}
    out = subprocess.run(  # noqa: S603 - this interpreter, fixed code
        [sys.executable, "-c", code],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout))


def test_https_deployment_settings_follow_site_url(tmp_path: Path) -> None:
    data = {"KLANTSTUUR_DATA_DIR": str(tmp_path)}
    https = _settings(SITE_URL="https://klant.example", **data)
    assert https["SECURE_SSL_REDIRECT"] is True
    assert https["SECURE_HSTS_SECONDS"] == 31536000
    assert https["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert https["SESSION_COOKIE_SECURE"] is True
    assert https["SECURE_REDIRECT_EXEMPT"] == ["^healthz$"]
    demo = _settings(SITE_URL="http://127.0.0.1:8000", KLANTSTUUR_DEMO="1", **data)
    assert demo["SECURE_SSL_REDIRECT"] is False
    assert demo["SECURE_HSTS_SECONDS"] == 0
    assert demo["SESSION_COOKIE_SECURE"] is False
    plain = _settings(**data)
    assert plain["SESSION_COOKIE_SECURE"] is True and plain["CSRF_COOKIE_SECURE"] is True


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
# style-src 'self': a <style> block in a template would be dropped by the browser.
INLINE_STYLE = re.compile(r"<style[\s>]", re.I)


def test_no_template_has_an_inline_script_style_or_event_handler() -> None:
    found = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        if (
            INLINE_SCRIPT.search(text)
            or INLINE_STYLE.search(text)
            or HANDLER.search(text)
            or "javascript:" in text
        ):
            found.append(str(path.relative_to(TEMPLATES)))
    assert found == []
