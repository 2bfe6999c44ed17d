"""Headless Chromium for the browser tests: one browser per session, a fresh context (cookies,
storage) per test, an axe check and a keyboard helper."""

import os

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Locator, Page, sync_playwright

# Playwright's sync API runs an event loop in this thread; the test's ORM calls are still
# plain synchronous code, so tell Django not to refuse them.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
BLOCKING_IMPACTS = {"serious", "critical"}
MAX_TABS = 40

_axe = Axe()


@pytest.fixture(scope="session")
def browser() -> Browser:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def viewport() -> dict:
    """The window size; override in a test module or with indirect parametrization."""
    return DESKTOP


# Every document notes what the Content-Security-Policy refused (the init script runs
# before the page's own, and is not itself subject to the policy).
NOTE_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations = window.cspViolations || [];
  window.cspViolations.push(`${event.violatedDirective}: ${event.blockedURI}`);
});
"""


@pytest.fixture
def context_options() -> dict:
    """More options of the browser context (time zone, geolocation, permissions); override in
    a test module."""
    return {}


@pytest.fixture
def context(browser, viewport, context_options):
    context = browser.new_context(viewport=viewport, locale="en-US", **context_options)
    context.set_default_timeout(10_000)
    context.add_init_script(NOTE_CSP_VIOLATIONS)
    yield context
    context.close()


@pytest.fixture
def csp_refusals() -> list[str]:
    """What Chromium refused under the Content-Security-Policy, as its console says."""
    return []


@pytest.fixture
def page(context, csp_refusals) -> Page:
    page = context.new_page()
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text
            and csp_refusals.append(f"{page.url}: {message.text}")
        ),
    )
    yield page
    # No page any browser test opens may break the policy.
    assert not csp_refusals, "\n".join(csp_refusals)


def csp_violations(page: Page) -> list[str]:
    """The violations reported in the page's current document."""
    return page.evaluate("window.cspViolations || []")


def assert_accessible(page: Page) -> None:
    """Run axe on the page as it is now; fail on any serious or critical violation."""
    violations = _axe.run(page).response["violations"]
    blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
    report = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}; nodes: "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"])
        for v in blocking
    )
    assert not blocking, f"axe found serious/critical violations on {page.url}:\n{report}"


def _is_focused(locator: Locator) -> bool:
    return locator.evaluate("el => el === document.activeElement")


def tab_to(page: Page, locator: Locator, *, max_presses: int = MAX_TABS) -> None:
    """Press Tab until `locator` has the keyboard focus, as a keyboard user would."""
    locator.wait_for(state="visible")
    for _ in range(max_presses):
        page.keyboard.press("Tab")
        if _is_focused(locator):
            return
    focused = page.evaluate(
        "() => { const el = document.activeElement;"
        " return el ? el.outerHTML.slice(0, 200) : null; }"
    )
    pytest.fail(
        f"{locator} was not reached after {max_presses} Tab presses on {page.url}; "
        f"focus is on {focused}"
    )


def tab_and_type(page: Page, locator: Locator, text: str) -> None:
    """Tab to a text field and type into it (after clearing what is there)."""
    tab_to(page, locator)
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.press("Delete")
    page.keyboard.type(text)
