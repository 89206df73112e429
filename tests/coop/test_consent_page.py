"""The public consent page through the ASGI app: headers, language, single use, neutrality."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from conftest import TEST_KEY, DatabaseUrls, person
from prospecting.config import Settings
from prospecting.coop import consent, intros
from prospecting.coop.models import Intro, IntroStatus, ShareConsent, ShareStatus
from prospecting.coop.schemas import Vouch
from prospecting.db import utcnow
from prospecting.prospects import service as prospects
from prospecting.prospects.schemas import InboundMessage


@pytest.fixture
def settings(db_urls: DatabaseUrls, tmp_path: Path) -> Settings:
    """A dense network from two listed vetted peers, so a warm intro can be proposed."""
    return Settings(
        mode="test",
        data_dir=tmp_path,
        tenant_database_url=db_urls.tenant,
        graph_database_url=db_urls.graph,
        network_key=TEST_KEY,  # type: ignore[arg-type]
        coop_intro_min_peers=2,
    )


PHONE, EMAIL = "07911 123456", "jamie.clarke@example.org"


def ask(runtime: Any, owner_id: str, peer_id: str, language: str = "es") -> tuple[str, str]:
    """A pending consent of owner's prospect Jamie for peer; returns (consent id, token)."""
    message = InboundMessage(
        channel="sms",
        sender_phone=PHONE,
        sender_email=EMAIL,
        sender_name="Jamie Clarke",
        body="Hola, ¿tiene hueco la semana que viene?",
    )
    with runtime.stores.tenant() as session:
        owner = person(session, owner_id)
        prospect = (
            prospects.ingest(
                session=session, actor=owner, resolver=runtime.resolver, message=message
            )
            .as_result()
            .prospect
        )
        row, token = consent.request_share(
            session=session,
            settings=runtime.settings,
            actor=owner,
            prospect_id=prospect.id,
            purpose="intro",
            fields=["name", "phone"],
            recipient_id=peer_id,
            language=language,
        )
        return row.id, token


@pytest.fixture
def asked(runtime: Any, make_provider: Any) -> dict[str, str]:
    owner = make_provider(display_name="Dr Ada Lovelace")
    peer = make_provider(display_name="Dr Bea Peer")
    consent_id, token = ask(runtime, owner.id, peer.id)
    return {"id": consent_id, "token": token, "owner": owner.id}


def _status(runtime: Any, consent_id: str) -> ShareStatus:
    with runtime.stores.tenant_read() as session:
        row = session.get(ShareConsent, consent_id)
        assert row is not None
        status: ShareStatus = row.status
        return status


def _assert_private(response: Any) -> None:
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-robots-tag"].startswith("noindex")
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert "set-cookie" not in response.headers
    assert "<script" not in response.text and "http" not in response.text.split("</head>")[1]


def test_page_in_language_without_contact_details(
    client: TestClient, asked: dict[str, str]
) -> None:
    response = client.get(f"/consent/{asked['token']}")
    assert response.status_code == 200
    _assert_private(response)
    assert '<html lang="es">' in response.text
    assert "Dr Bea Peer" in response.text and "Dr Ada Lovelace" in response.text
    assert "su número de teléfono" in response.text
    assert '<form method="post"' in response.text
    assert "7911" not in response.text and EMAIL not in response.text


def test_yes_then_reuse_is_neutral(runtime: Any, client: TestClient, asked: dict[str, str]) -> None:
    url = f"/consent/{asked['token']}"
    thanks = client.post(url, data={"decision": "yes"})
    assert thanks.status_code == 200
    _assert_private(thanks)
    assert "Gracias" in thanks.text and 'value="revoke"' in thanks.text
    assert _status(runtime, asked["id"]) == ShareStatus.GRANTED
    reused_get, reused_post = client.get(url), client.post(url, data={"decision": "no"})
    wrong = client.get(f"/consent/{asked['token'][:-2]}xx")
    assert reused_get.status_code == reused_post.status_code == wrong.status_code == 404
    assert reused_get.text == reused_post.text == wrong.text
    _assert_private(wrong)
    assert _status(runtime, asked["id"]) == ShareStatus.GRANTED


def test_revoke_from_thank_you_page_once(
    runtime: Any, client: TestClient, asked: dict[str, str]
) -> None:
    url = f"/consent/{asked['token']}"
    client.post(url, data={"decision": "yes"})
    revoked = client.post(url, data={"decision": "revoke"})
    assert revoked.status_code == 200 and "retirado" in revoked.text
    assert _status(runtime, asked["id"]) == ShareStatus.REVOKED
    assert client.post(url, data={"decision": "revoke"}).status_code == 404


def test_pending_link_cannot_revoke_or_take_other_values(
    runtime: Any, client: TestClient, asked: dict[str, str]
) -> None:
    url = f"/consent/{asked['token']}"
    assert client.post(url, data={"decision": "revoke"}).status_code == 404
    assert client.post(url, data={"decision": "maybe"}).status_code == 404
    assert client.post(url).status_code == 404
    assert _status(runtime, asked["id"]) == ShareStatus.PENDING
    declined = client.post(url, data={"decision": "no"})
    assert declined.status_code == 200 and 'value="revoke"' not in declined.text
    assert _status(runtime, asked["id"]) == ShareStatus.DECLINED


def test_expired_and_unknown_links_get_the_same_page(
    runtime: Any, client: TestClient, asked: dict[str, str]
) -> None:
    unknown = client.get("/consent/not-a-token")
    with runtime.stores.tenant() as session:
        session.execute(
            update(ShareConsent)
            .where(ShareConsent.id == asked["id"])
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    expired = client.get(f"/consent/{asked['token']}")
    posted = client.post(f"/consent/{asked['token']}", data={"decision": "yes"})
    assert unknown.status_code == expired.status_code == posted.status_code == 404
    assert unknown.text == expired.text == posted.text
    assert _status(runtime, asked["id"]) == ShareStatus.PENDING


def test_page_needs_no_bearer_token_and_is_not_in_the_api(client: TestClient) -> None:
    assert all(not p.startswith("/consent") for p in client.get("/openapi.json").json()["paths"])


@pytest.mark.parametrize(
    ("decision", "after"),
    [("yes", IntroStatus.AWAITING_PEER), ("no", IntroStatus.DECLINED_BY_PROSPECT)],
)
def test_page_answer_moves_the_intro_on(
    runtime: Any, client: TestClient, vetted: Any, decision: str, after: IntroStatus
) -> None:
    """The page decides through coop.service, so the intro waiting on the consent moves."""
    sender, receiver, _ = vetted(3)  # two listed peers besides the sender: dense
    message = InboundMessage(channel="sms", sender_phone=PHONE, body="Hello")
    with runtime.stores.tenant() as session:
        actor = person(session, sender.id)
        prospect = (
            prospects.ingest(
                session=session, actor=actor, resolver=runtime.resolver, message=message
            )
            .as_result()
            .prospect
        )
        out = intros.propose(
            session=session,
            settings=runtime.settings,
            actor=actor,
            prospect_id=prospect.id,
            receiver_id=receiver.id,
            vouch=Vouch(
                known_for="1_to_3_years",
                attended_reliably=True,
                paid_on_time=True,
                respectful=True,
                would_see_again=True,
            ),
            fields=["name"],
        )
        intro = session.get(Intro, out.id)
        assert intro is not None
        consent_id = intro.consent_id
        # The request's token is only in the queued message: take the link from its text.
        from prospecting.qualify.models import OutboxItem

        body = session.scalars(select(OutboxItem.body).where(OutboxItem.ref_id == consent_id)).one()
    link = next(w for w in body.split() if "/consent/" in w)
    path = "/consent/" + link.split("/consent/")[1].rstrip(".,")
    assert client.post(path, data={"decision": decision}).status_code == 200
    with runtime.stores.tenant_read() as session:
        row = session.get(Intro, out.id)
        assert row is not None and row.status == after
