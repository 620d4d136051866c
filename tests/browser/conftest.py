"""Browser tests: Playwright (Python) driving Debian's Chromium against live_server."""

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = os.environ.get("KLANTSTUUR_SCREENSHOTS")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing on CI: .ci/run should have installed it")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the test's ORM
    # calls are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A phone-sized page (390 × 844), Dutch."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def desk(browser: Any) -> Iterator[Any]:
    """A desktop-sized page for staff."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def shot(page: Any, name: str) -> None:
    """Save a screenshot when KLANTSTUUR_SCREENSHOTS names a folder (for looking, not asserting)."""
    if SCREENSHOTS:
        os.makedirs(SCREENSHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


AXE_JS = os.environ.get("AXE_CORE_JS") or os.path.join(
    os.path.dirname(__file__), "..", "..", ".venv", "node", "node_modules", "axe-core", "axe.min.js"
)
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2 AA violations on the page as it is now (npm axe-core, injected)."""
    if not os.path.exists(AXE_JS):
        if os.environ.get("CI"):
            pytest.fail("axe-core is missing on CI: `make install` should have installed it")
        pytest.skip("axe-core is not installed (make install needs npm)")
    # Evaluated over the DevTools protocol, not as a <script> tag: the page's own
    # Content-Security-Policy (script-src 'self') stays in force for the page.
    with open(AXE_JS, encoding="utf-8") as source:
        page.evaluate(source.read())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA
    )
    return [
        {
            "id": v["id"],
            "help": v["help"],
            "targets": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
    ]


def assert_accessible(page: Any) -> None:
    """Fail with axe-core's findings when the page breaks a WCAG 2 AA rule."""
    violations = axe_violations(page)
    assert violations == [], f"WCAG 2 AA violations on {page.url}: {violations}"
