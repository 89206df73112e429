"""The consent page in a real headless browser (Debian's Chromium, driven by Playwright),
with JavaScript on and off, against the real app served by uvicorn."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import update

from coop.test_consent_page import ask  # the same prospect, peer and request as the page tests
from prospecting.app import create_app
from prospecting.coop.models import ShareConsent, ShareStatus
from prospecting.db import utcnow

CHROMIUM = os.environ.get("PROSPECTING_CHROMIUM", "/usr/bin/chromium")
_available = Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is not None
if not _available and os.environ.get("CI") == "true":
    raise RuntimeError(f"Chromium is required in CI for the consent page test ({CHROMIUM})")
pytestmark = pytest.mark.skipif(not _available, reason=f"no Chromium at {CHROMIUM}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def base_url(runtime: Any) -> Iterator[str]:
    """The real app on a free port, in a thread of this process (same stores as the test)."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(runtime=runtime), host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60  # a liveness bound, not a speed target
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for the module (a launch takes seconds); each test opens its own context,
    which shares no cookies, storage or cache with another."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        yield chromium
        chromium.close()


def _status(runtime: Any, consent_id: str) -> ShareStatus:
    with runtime.stores.tenant_read() as session:
        row = session.get(ShareConsent, consent_id)
        assert row is not None
        status: ShareStatus = row.status
        return status


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_yes_in_the_browser_then_the_link_is_spent(
    runtime: Any, make_provider: Any, base_url: str, browser: Any, javascript: bool
) -> None:
    owner, peer = make_provider(display_name="Dr Ada"), make_provider(display_name="Dr Bea")
    consent_id, token = ask(runtime, owner.id, peer.id, language="fr")
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    response = page.goto(f"{base_url}/consent/{token}")
    assert response is not None and response.status == 200
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h1").inner_text() == "Acceptez-vous ce partage ?"
    assert page.locator("#who").inner_text() == "Dr Bea"
    page.click("#yes")
    page.wait_for_selector("#thanks")
    assert "vous acceptez ce partage" in page.locator("#thanks").inner_text()
    assert context.cookies() == []
    assert _status(runtime, consent_id) == ShareStatus.GRANTED

    again = page.goto(f"{base_url}/consent/{token}")
    assert again is not None and again.status == 404
    assert page.locator("#invalid").inner_text() == "This link is no longer valid."
    assert _status(runtime, consent_id) == ShareStatus.GRANTED
    context.close()


def test_no_without_javascript_and_expired_link(
    runtime: Any, make_provider: Any, base_url: str, browser: Any
) -> None:
    owner, peer = make_provider(), make_provider(display_name="Dr Bea")
    declined_id, declined_token = ask(runtime, owner.id, peer.id, language="de")
    expired_id, expired_token = ask(runtime, owner.id, peer.id, language="es")
    with runtime.stores.tenant() as session:
        session.execute(
            update(ShareConsent)
            .where(ShareConsent.id == expired_id)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base_url}/consent/{declined_token}")
    assert page.locator("html").get_attribute("lang") == "de"
    page.click("#no")
    page.wait_for_selector("#thanks")
    assert "nichts weitergegeben" in page.locator("#thanks").inner_text()
    assert page.locator("#revoke").count() == 0
    assert _status(runtime, declined_id) == ShareStatus.DECLINED

    expired = page.goto(f"{base_url}/consent/{expired_token}")
    assert expired is not None and expired.status == 404
    neutral = page.content()
    wrong = page.goto(f"{base_url}/consent/{expired_token[:-3]}abc")
    assert wrong is not None and wrong.status == 404
    assert page.content() == neutral
    assert _status(runtime, expired_id) == ShareStatus.PENDING
    context.close()


def test_revoke_from_the_thank_you_page(
    runtime: Any, make_provider: Any, base_url: str, browser: Any
) -> None:
    owner, peer = make_provider(), make_provider(display_name="Dr Bea")
    consent_id, token = ask(runtime, owner.id, peer.id, language="en")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base_url}/consent/{token}")
    page.click("#yes")
    page.wait_for_selector("#revoke")
    page.click("#revoke")
    page.wait_for_selector("#thanks")
    assert "withdrawn" in page.locator("#thanks").inner_text()
    assert _status(runtime, consent_id) == ShareStatus.REVOKED
    context.close()
