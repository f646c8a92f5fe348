"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

- Chromium is the system one (``/usr/bin/chromium``, Debian bookworm's 156, which
  Playwright 1.64.1 expects; docs/library-traps.md "Versions"); Playwright never downloads
  a browser.
  Without it the tests skip on a developer machine but fail in CI (``CI`` or
  ``BROWSER_TESTS_REQUIRED`` set, as ``.ci/run`` does), so CI cannot pass by skipping.
- One browser per session; each test gets a fresh context (cookies, language) in
  zh-hans, as a Chinese operations manager's browser asks for it.
- The live server runs in a thread of this process against the test database, so tests
  are transactional (pytest-django adds ``transactional_db``) and the real Celery worker
  of ``tests/celery_worker.py`` sees what the pages write.
- Every step saves a full-page screenshot under ``artifacts/screenshots/`` (``.ci/run``
  keeps ``artifacts/``); a failing step saves ``FAILED-<step>.png`` there.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.celery_worker import REPO_ROOT, celery_worker  # noqa: F401

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOT_DIR = Path(
    os.environ.get("BROWSER_SCREENSHOT_DIR") or REPO_ROOT / "artifacts" / "screenshots"
)
# Bounded waits: a page or a click that takes longer than this is a failure, not slowness.
ACTION_TIMEOUT_MS = 15_000
NAVIGATION_TIMEOUT_MS = 30_000
# What a Celery worker does after a click (a leaderboard, a report), on a loaded 2-core box.
TASK_TIMEOUT_MS = 90_000
TEST_PASSWORD = "pw-for-tests-1"  # tests.factories.UserFactory's


def pytest_collection_modifyitems(items):
    """Mark the browser tests and run them last: once Playwright has started, this
    thread keeps an asyncio loop running until the session ends (see below), which no
    other test should run beside. ``make test-browser`` runs them alone."""
    here = Path(__file__).parent
    browser_items = [item for item in items if here in Path(item.path).parents]
    for item in browser_items:
        item.add_marker(pytest.mark.browser)
    items[:] = [item for item in items if item not in browser_items] + browser_items


def _required() -> bool:
    return any(
        os.environ.get(name, "").lower() not in ("", "0", "false", "no")
        for name in ("BROWSER_TESTS_REQUIRED", "CI")
    )


def _unavailable(reason: str):
    if _required():
        pytest.fail(f"{reason} (browser tests are required here: CI or BROWSER_TESTS_REQUIRED)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def playwright_instance():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -r requirements-dev.txt)")
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(
            f"{CHROMIUM} is missing: apt-get install chromium (Debian's, not Playwright's)"
        )
    # Playwright's sync API keeps an asyncio loop running in this thread, and Django
    # refuses ORM calls from a thread with a running loop. The tests' own ORM calls (seed,
    # assertions) are plain synchronous code, so lift the guard while the browser runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    manager = sync_playwright().start()
    try:
        yield manager
    finally:
        manager.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser(playwright_instance):
    from playwright.sync_api import expect

    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOT_DIR.glob("*.png"):
        old.unlink()
    try:
        yield browser
    finally:
        browser.close()


# An operations manager's laptop: the admin's lists must fit it (assert_fits_width).
LAPTOP_VIEWPORT = {"width": 1366, "height": 768}


@pytest.fixture
def viewport() -> dict[str, int]:
    """The window of ``page``; a test module overrides it (e.g. with LAPTOP_VIEWPORT)."""
    return {"width": 1280, "height": 900}


@pytest.fixture
def page(browser, live_server, viewport):
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",  # Accept-Language: zh-CN → the admin in zh-hans
        timezone_id="Asia/Shanghai",
        viewport=viewport,
        accept_downloads=True,
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    page = context.new_page()
    # Chromium reports each thing the Content-Security-Policy blocked on the console
    # ("Refused to execute inline script ..."): any one fails the test, so every page a
    # journey opens is checked against the policy of config/settings/base.py.
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    try:
        yield page
    finally:
        context.close()
    assert not violations, "CSP violations:\n" + "\n".join(violations)


class Steps:
    """Named steps of a journey, each ending with a full-page screenshot."""

    def __init__(self, page) -> None:
        self.page = page

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        assert re.fullmatch(r"\d\d-[a-z0-9-]+", name), name
        try:
            yield
        except BaseException:
            # The page may be gone; the original error is what matters.
            with contextlib.suppress(Exception):
                self.page.screenshot(path=SCREENSHOT_DIR / f"FAILED-{name}.png", full_page=True)
            raise
        self.page.screenshot(path=SCREENSHOT_DIR / f"{name}.png", full_page=True)


@pytest.fixture
def step(page) -> Steps:
    return Steps(page)


def log_in(page, username: str, password: str = TEST_PASSWORD) -> None:
    from playwright.sync_api import expect

    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#login-form [type=submit]")
    expect(page.locator("#user-tools")).to_contain_text(username)


def run_action(page, action: str, *row_texts: str) -> None:
    """Tick the change-list rows containing ``row_texts`` and run ``action`` on them."""
    for text in row_texts:
        page.locator("#result_list tbody tr", has_text=text).first.locator(
            "input.action-select"
        ).check()
    page.select_option("#changelist-form select[name=action]", action)
    page.click("#changelist-form button[name=index]")


def success_message(page):
    return page.locator("ul.messagelist li.success")


def assert_fits_width(page) -> None:
    """Fail when the page scrolls sideways: neither the document nor an admin change
    list's table (Django wraps it in ``div.results``, which scrolls on its own) may be
    wider than the window."""
    overflow = page.evaluate(
        """() => {
            const wide = [];
            const root = document.documentElement;
            if (root.scrollWidth > root.clientWidth + 1) {
                wide.push(`document ${root.scrollWidth} > ${root.clientWidth}`);
            }
            for (const el of document.querySelectorAll("#changelist .results, .module, table")) {
                if (el.scrollWidth > el.clientWidth + 1) {
                    wide.push(`${el.tagName.toLowerCase()}#${el.id || ""}.${el.className} `
                        + `${el.scrollWidth} > ${el.clientWidth}`);
                }
            }
            return wide;
        }"""
    )
    assert not overflow, f"{page.url} scrolls sideways: {overflow}"


@contextmanager
def file_sms_backend(folder: Path) -> Iterator[Path]:
    """The file SMS backend writing to ``folder``, in the environment: a module's Celery
    worker (it sends the codes and notices) learns it there, so enter this in a
    module-scoped fixture that the worker fixture comes after."""
    env = pytest.MonkeyPatch()
    env.setenv("SMS_BACKEND", "file")
    env.setenv("SMS_FILE_PATH", str(folder))
    try:
        yield folder
    finally:
        env.undo()


def sms_message_to(folder: Path, phone: str, *, timeout: float = TASK_TIMEOUT_MS / 1000) -> dict:
    """The newest message the worker wrote for ``phone`` (E.164), once its file is there."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(folder.glob("*.json"), reverse=True):
            message = json.loads(path.read_text(encoding="utf-8"))
            if message["to"] == phone:
                return message
        time.sleep(0.2)
    raise AssertionError(f"no SMS to {phone[:6]}****")
