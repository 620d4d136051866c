"""Issue #15: the Content-Security-Policy blocks nothing the pages need. A context that
keeps the policy (the other browser tests bypass it to inject axe-core) visits the
pages with scripts, charts and htmx, and the browser reports no violation."""

from typing import Any

import pytest

from klantstuur.needs import services
from tests.conftest import PASSWORD

from .conftest import shot

WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e =>
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || '')));
"""


@pytest.mark.django_db(transaction=True)
def test_the_pages_run_under_the_content_security_policy(
    world: Any, live_server: Any, browser: Any
) -> None:
    need = services.need_open(customer=world.customer_a, kind="question", summary="Waar?")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    context.add_init_script(WATCH)
    page = context.new_page()
    page.set_default_timeout(10_000)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    try:
        page.goto(f"{live_server.url}/console/login/")
        header = page.evaluate("() => document.cookie")  # HttpOnly session: not readable
        assert "sessionid" not in header
        page.fill("input[name=username]", world.manager.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url("**/console/")
        visited = []
        for path in [
            "/console/",
            f"/console/needs/{need.pk}/",
            "/console/insight/",
            "/console/floor/",
            "/api/v1/docs",
        ]:
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 200, path
            assert "script-src 'self'" in response.headers["content-security-policy"]
            page.wait_for_load_state("networkidle")
            visited.append(path)
            assert page.evaluate("() => window.__csp") == [], path
        # htmx works (its requests are scripts of this site): the reply form posts inline.
        page.goto(f"{live_server.url}/console/needs/{need.pk}/")
        assert page.evaluate("() => typeof window.htmx") == "object"
        shot(page, "csp-need")
        # Swagger UI rendered by its own script file.
        page.goto(f"{live_server.url}/api/v1/docs")
        page.wait_for_selector(".swagger-ui .info", timeout=10_000)
        assert page.evaluate("() => window.__csp") == []
    finally:
        context.close()
    assert not [m for m in console if "Content Security Policy" in m], console
    assert visited[-1] == "/api/v1/docs"
