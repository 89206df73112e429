"""The prospect's share consent: asking, one answer per link or reply, revocation, expiry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from conftest import person
from prospecting.coop import audit, consent
from prospecting.coop.models import ShareConsent, ShareStatus
from prospecting.db import utcnow
from prospecting.errors import ConsentPending, InvalidInput, NotFound
from prospecting.prospects import service as prospects
from prospecting.prospects.schemas import InboundMessage
from prospecting.qualify.models import OutboxItem


def _prospect(runtime: Any, owner_id: str, **sender: str) -> str:
    message = InboundMessage(
        channel="sms",
        **({"sender_phone": "07911 123456", "sender_name": "Jamie Clarke"} | sender),
        body="Hello, do you have space next week?",
    )
    with runtime.stores.tenant() as session:
        ingested = prospects.ingest(
            session=session,
            actor=person(session, owner_id),
            resolver=runtime.resolver,
            message=message,
        )
        return ingested.as_result().prospect.id


def _ask(runtime: Any, owner_id: str, prospect_id: str, **kw: Any) -> tuple[str, str]:
    args: dict[str, Any] = {"purpose": "intro", "fields": ["name", "phone", "vouch"]} | kw
    if "scope" not in args and "recipient_id" not in args:
        args["scope"] = {"category": "therapy", "region": "gb-lnd"}
    with runtime.stores.tenant() as session:
        row, token = consent.request_share(
            session=session,
            settings=runtime.settings,
            actor=person(session, owner_id),
            prospect_id=prospect_id,
            **args,
        )
        return row.id, token


@pytest.fixture
def asked(runtime: Any, make_provider: Any) -> dict[str, str]:
    owner = make_provider(display_name="Dr Ada")
    peer = make_provider(display_name="Dr Bea")
    prospect_id = _prospect(runtime, owner.id)
    consent_id, token = _ask(runtime, owner.id, prospect_id, recipient_id=peer.id, language="fr")
    return {
        "owner": owner.id,
        "peer": peer.id,
        "prospect": prospect_id,
        "id": consent_id,
        "token": token,
    }


def test_request_stores_digest_and_queues_message_in_language(
    runtime: Any, asked: dict[str, str]
) -> None:
    with runtime.stores.tenant() as session:
        row = session.get(ShareConsent, asked["id"])
        assert row is not None and row.status == ShareStatus.PENDING
        assert row.token_digest == consent.token_digest(asked["token"])
        assert asked["token"] not in str(row.__dict__)
        item = session.scalars(select(OutboxItem).where(OutboxItem.ref_id == row.id)).one()
        assert item.purpose == "coop_consent" and item.draft_id is None
        assert item.touchpoint_id is None and item.recipient == "+447911123456"
        assert "Dr Bea" in item.body and "votre nom" in item.body
        assert f"{runtime.settings.public_base_url}/consent/{asked['token']}" in item.body
        assert "OUI ou NON" in item.body
        assert row.share_until is not None
        assert row.share_until.date().isoformat() in item.body
        assert [
            e.action for e in audit.entries(session=session, actor=person(session, asked["owner"]))
        ] == ["consent_requested"]


def test_scope_recipient_is_named_as_vetted_providers(runtime: Any, make_provider: Any) -> None:
    owner = make_provider()
    consent_id, _ = _ask(runtime, owner.id, _prospect(runtime, owner.id))
    with runtime.stores.tenant() as session:
        item = session.scalars(select(OutboxItem).where(OutboxItem.ref_id == consent_id)).one()
        assert "vetted therapy providers in gb-lnd" in item.body
        assert "reply YES or NO" in item.body


def test_request_refuses_unreachable_or_foreign_prospect(runtime: Any, make_provider: Any) -> None:
    owner, other = make_provider(), make_provider()
    named_only = _prospect(runtime, owner.id, sender_phone="", sender_name="Only A Name")
    with pytest.raises(InvalidInput) as err:
        _ask(runtime, owner.id, named_only)
    assert err.value.field == "prospect_id"
    with pytest.raises(NotFound):
        _ask(runtime, other.id, _prospect(runtime, owner.id))
    with pytest.raises(NotFound):
        _ask(runtime, owner.id, _prospect(runtime, owner.id), recipient_id="nobody")


def test_page_is_none_for_bad_used_or_expired_token(runtime: Any, asked: dict[str, str]) -> None:
    now = utcnow()
    with runtime.stores.tenant() as session:
        shown = consent.page(session=session, token=asked["token"], now=now)
        assert shown is not None and shown.language == "fr" and shown.who == "Dr Bea"
        assert consent.page(session=session, token=asked["token"] + "x", now=now) is None
        late = now + timedelta(hours=runtime.settings.coop_consent_ttl_hours + 1)
        assert consent.page(session=session, token=asked["token"], now=late) is None
        assert (
            consent.decide_by_token(session=session, token=asked["token"], decision="yes", now=late)
            is None
        )
    with runtime.stores.tenant() as session:
        decided = consent.decide_by_token(
            session=session, token=asked["token"], decision="yes", now=now
        )
        assert decided is not None and decided.status == ShareStatus.GRANTED
    with runtime.stores.tenant() as session:
        assert consent.page(session=session, token=asked["token"], now=now) is None
        again = consent.decide_by_token(
            session=session, token=asked["token"], decision="no", now=now
        )
        assert again is None
        row = session.get(ShareConsent, asked["id"])
        assert row is not None and row.status == ShareStatus.GRANTED and row.decided_via == "page"


def test_required_granted_only_after_yes(runtime: Any, asked: dict[str, str]) -> None:
    now = utcnow()
    with runtime.stores.tenant() as session, pytest.raises(ConsentPending):
        consent.require_granted(session=session, consent_id=asked["id"], now=now)
    with runtime.stores.tenant() as session:
        consent.decide_by_token(session=session, token=asked["token"], decision="yes", now=now)
    with runtime.stores.tenant() as session:
        assert consent.require_granted(session=session, consent_id=asked["id"], now=now)
        assert consent.revocable(session=session, consent_id=asked["id"], now=now)


def test_decline_by_token_shares_nothing(runtime: Any, asked: dict[str, str]) -> None:
    now = utcnow()
    with runtime.stores.tenant() as session:
        decided = consent.decide_by_token(
            session=session, token=asked["token"], decision="no", now=now
        )
        assert decided is not None and decided.status == ShareStatus.DECLINED
    with runtime.stores.tenant() as session, pytest.raises(ConsentPending):
        consent.require_granted(session=session, consent_id=asked["id"], now=now)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("YES", "yes"),
        (" oui ", "yes"),
        ("Sí!", "yes"),
        ("ja", "yes"),
        ("y", "yes"),
        ("NO", "no"),
        ("Nein", "no"),
        ("non.", "no"),
        ("n", "no"),
        ("yes please call me", None),
        ("maybe", None),
        ("", None),
    ],
)
def test_reply_words(body: str, expected: str | None) -> None:
    assert consent.reply_decision(body) == expected


def test_reply_decides_newest_pending(runtime: Any, make_provider: Any) -> None:
    owner = make_provider()
    prospect_id = _prospect(runtime, owner.id)
    older, _ = _ask(runtime, owner.id, prospect_id)
    newer, _ = _ask(runtime, owner.id, prospect_id, purpose="handoff")
    other = make_provider()
    now = utcnow()
    with runtime.stores.tenant() as session:
        assert (
            consent.decide_by_reply(
                session=session, person_id=owner.id, prospect_id=prospect_id, body="what?", now=now
            )
            is None
        )
        decided = consent.decide_by_reply(
            session=session, person_id=owner.id, prospect_id=prospect_id, body="NON", now=now
        )
        assert decided is not None and decided.id == newer
        assert decided.status == ShareStatus.DECLINED and decided.decided_via == "reply"
    with runtime.stores.tenant() as session:
        row = session.get(ShareConsent, older)
        assert row is not None and row.status == ShareStatus.PENDING
        assert (
            consent.decide_by_reply(
                session=session, person_id=other.id, prospect_id=prospect_id, body="yes", now=now
            )
            is None
        )


def test_revocation_by_provider_and_by_link(
    runtime: Any, make_provider: Any, asked: dict[str, str]
) -> None:
    now = utcnow()
    with runtime.stores.tenant() as session:
        assert (
            consent.decide_by_token(
                session=session, token=asked["token"], decision="revoke", now=now
            )
            is None
        )  # pending: nothing to withdraw by link
        consent.decide_by_token(session=session, token=asked["token"], decision="yes", now=now)
    with runtime.stores.tenant() as session:
        revoked = consent.decide_by_token(
            session=session, token=asked["token"], decision="revoke", now=now
        )
        assert revoked is not None and revoked.status == ShareStatus.REVOKED
    with runtime.stores.tenant() as session:
        assert (
            consent.decide_by_token(
                session=session, token=asked["token"], decision="revoke", now=now
            )
            is None
        )
        with pytest.raises(ConsentPending):
            consent.require_granted(session=session, consent_id=asked["id"], now=now)
        actions = [
            e.action for e in audit.entries(session=session, actor=person(session, asked["owner"]))
        ]
        assert actions.count("consent_revoked") == 1 and "consent_granted" in actions
    other = make_provider()
    prospect_id = _prospect(runtime, other.id)
    second, _ = _ask(runtime, other.id, prospect_id)
    with runtime.stores.tenant() as session:
        with pytest.raises(NotFound):
            consent.revoke(
                session=session, actor=person(session, asked["owner"]), consent_id=second, now=now
            )
        row = consent.revoke(
            session=session, actor=person(session, other.id), consent_id=second, now=now
        )
        assert row.status == ShareStatus.REVOKED


def test_expire_due(runtime: Any, asked: dict[str, str]) -> None:
    late = utcnow() + timedelta(hours=runtime.settings.coop_consent_ttl_hours + 1)
    with runtime.stores.tenant() as session:
        assert consent.expire_due(session=session, now=late) == 1
    with runtime.stores.tenant() as session:
        assert consent.expire_due(session=session, now=late) == 0
        row = session.get(ShareConsent, asked["id"])
        assert row is not None and row.status == ShareStatus.EXPIRED


def test_every_language_catalog_has_the_same_keys() -> None:
    keys = {lang: set(consent.catalog(lang)) for lang in consent.LANGUAGES}
    assert all(k == keys["en"] for k in keys.values())
    assert all(
        set(consent.catalog(lang)["fields"]) == set(consent.FIELDS) for lang in consent.LANGUAGES
    )


@pytest.mark.parametrize(
    ("body", "status"), [("OUI", ShareStatus.GRANTED), ("nein", ShareStatus.DECLINED)]
)
def test_inbound_reply_decides_and_holds_the_draft(
    runtime: Any, asked: dict[str, str], body: str, status: ShareStatus
) -> None:
    from prospecting.workflows import inbound

    with runtime.stores.tenant_read() as session:
        owner = person(session, asked["owner"])
    message = InboundMessage(channel="sms", sender_phone="07911 123456", body=body)
    answer = inbound.receive(runtime, actor=owner, message=message, channel="cli")
    assert answer.ingest.prospect.id == asked["prospect"]
    assert answer.draft.needs_review
    assert inbound.CONSENT_ANSWER_REASON in answer.draft.review_reasons
    with runtime.stores.tenant_read() as session:
        row = session.get(ShareConsent, asked["id"])
        assert row is not None and row.status == status and row.decided_via == "reply"
        touchpoints = prospects.list_touchpoints(
            session=session, actor=owner, prospect_id=asked["prospect"]
        )
        assert len(touchpoints) == 2


def test_inbound_other_text_leaves_consent_pending(runtime: Any, asked: dict[str, str]) -> None:
    from prospecting.workflows import inbound

    with runtime.stores.tenant_read() as session:
        owner = person(session, asked["owner"])
    message = InboundMessage(channel="sms", sender_phone="07911 123456", body="Yes, Tuesday works")
    answer = inbound.receive(runtime, actor=owner, message=message, channel="cli")
    with runtime.stores.tenant_read() as session:
        row = session.get(ShareConsent, asked["id"])
        assert row is not None and row.status == ShareStatus.PENDING
    assert "coop share request" not in " ".join(answer.draft.review_reasons)


def test_two_answers_at_once_give_one_decision(runtime: Any, asked: dict[str, str]) -> None:
    """A double submit: the second answer waits on the first's lock, then finds nothing
    pending (the conditional UPDATE), on SQLite and PostgreSQL alike."""
    import threading

    now = utcnow()
    second: list[Any] = []

    def answer_no() -> None:
        with runtime.stores.tenant() as session:
            decided = consent.decide_by_token(
                session=session, token=asked["token"], decision="no", now=now
            )
            second.append(None if decided is None else decided.status)

    with runtime.stores.tenant() as session:
        first = consent.decide_by_token(
            session=session, token=asked["token"], decision="yes", now=now
        )
        assert first is not None
        racer = threading.Thread(target=answer_no)
        racer.start()  # blocks on the row (PostgreSQL) or the write lock (SQLite) until commit
    racer.join(60)
    assert not racer.is_alive() and second == [None]
    with runtime.stores.tenant_read() as session:
        row = session.get(ShareConsent, asked["id"])
        assert row is not None and row.status == ShareStatus.GRANTED
