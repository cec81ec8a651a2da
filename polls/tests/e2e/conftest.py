"""Browser tests: Playwright for Python driving Debian's Chromium against pytest-django's live
server. Never `playwright install`: the browser is /usr/bin/chromium from apt.

axe-core comes from npm (`npm ci --prefix polls/tests/e2e`, which .ci/run does) and is injected
into each page checked. Screenshots go to artifacts/screenshots/ (gitignored)."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from polls.tests.conftest import CHROMIUM
from polls.tests.factories import PASSWORD

E2E_DIR = Path(__file__).resolve().parent
AXE_SCRIPT = E2E_DIR / "node_modules" / "axe-core" / "axe.min.js"
ROOT = E2E_DIR.parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}


@pytest.fixture(scope="session")
def axe_script() -> Path:
    if not AXE_SCRIPT.exists():
        pytest.fail(
            f"axe-core is not installed ({AXE_SCRIPT} is missing). "
            "Run `npm ci --prefix polls/tests/e2e` first, as .ci/run does.",
            pytrace=False,
        )
    return AXE_SCRIPT


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API runs an event loop in this thread while it is started; Django's ORM
    # calls from the test bodies are still synchronous and safe. The flag is lifted again when
    # the module's browser stops, so no other test (nor a `check --deploy` that a later test
    # runs in a subprocess) inherits it.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(browser, live_server):
    """Open pages in fresh browser contexts (separate cookies: separate people)."""
    contexts = []

    def open_page(*, javascript: bool = True, axe: bool = False):
        # axe-core is injected as an inline script, which the site's Content-Security-Policy
        # rightly blocks; only the contexts that run it bypass the policy.
        context = browser.new_context(
            base_url=live_server.url,
            viewport=DESKTOP,
            java_script_enabled=javascript,
            bypass_csp=axe,
        )
        context.set_default_timeout(10_000)
        context.on("page", watch)
        contexts.append(context)
        return context.new_page()

    def watch(page):
        # Script errors and Content-Security-Policy refusals fail the test that caused them.
        page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
        page.on(
            "console",
            lambda message: (
                problems.append(f"{page.url}: {message.text}")
                if message.type == "error" and "Content Security Policy" in message.text
                else None
            ),
        )

    problems = []
    yield open_page
    for context in contexts:
        context.close()
    assert problems == [], "the browser reported script errors or CSP refusals"


@pytest.fixture
def page(new_page):
    return new_page()


def log_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


def check_accessibility(page, axe_script: Path) -> list[str]:
    """axe-core's serious and critical violations on the page, as readable lines."""
    page.add_script_tag(path=str(axe_script))
    violations = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in violations
        if v["impact"] in {"serious", "critical"}
    ]


def screenshot(page, name: str) -> None:
    """Full-page screenshots at desktop and phone width, then back to desktop."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{size['width']}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
