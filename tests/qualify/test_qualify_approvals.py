"""Approve: one outbound per draft under concurrency, delivery only after the commit."""

from __future__ import annotations

import threading

import pytest

from prospecting.errors import Conflict
from prospecting.identity.service import get_person
from prospecting.prospects.models import Touchpoint
from prospecting.qualify import approvals, outbox
from prospecting.qualify.models import OutboxItem
from prospecting.workflows.delivery import dispatch_outbox
from qualify.qualify_factories import BOOKING, all_tables, count_rows


@pytest.fixture
def sent(monkeypatch) -> list[str]:
    """Draft ids the default channel adapter was handed."""
    handed: list[str] = []
    monkeypatch.setattr(
        outbox.LogOnlyAdapter, "send", lambda self, item: handed.append(item.draft_id)
    )
    return handed


def _draft(client, provider, phone: str = "07911 123456") -> str:
    response = client.post(
        "/qualify/inbound", json=BOOKING | {"sender_phone": phone}, headers=provider.headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["draft"]["id"])


def _outbound(runtime) -> int:
    with runtime.stores.tenant() as session:
        return int(session.query(Touchpoint).filter_by(direction="outbound").count())


def test_two_concurrent_approvals_give_one_outbound_and_one_conflict(
    client, runtime, provider_with_profile, sent
):
    provider = provider_with_profile()
    draft_id = _draft(client, provider)
    start = threading.Barrier(2)
    results: list[str] = []

    def approve() -> None:
        start.wait()
        try:
            with runtime.stores.tenant() as session:
                me = get_person(session=session, person_id=provider.id)
                approvals.approve_draft(session=session, actor=me, draft_id=draft_id)
            results.append("approved")
        except Conflict:
            results.append("conflict")
        except Exception as exc:  # what used to surface as a 500
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=approve) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == ["approved", "conflict"]
    assert _outbound(runtime) == 1
    assert count_rows(runtime, OutboxItem)["qualify_outbox"] == 1
    assert sent == []  # queued, not sent, inside the approving transaction
    again = client.post(f"/qualify/drafts/{draft_id}/approve", headers=provider.headers)
    assert again.status_code == 409 and again.json()["type"] == "/problems/conflict"


def test_http_approval_is_handed_over_after_the_commit(
    client, runtime, provider_with_profile, sent
):
    provider = provider_with_profile()
    draft_id = _draft(client, provider)
    approved = client.post(f"/qualify/drafts/{draft_id}/approve", headers=provider.headers)
    assert approved.status_code == 200, approved.text
    assert sent == [draft_id]
    with runtime.stores.tenant() as session:
        item = session.query(OutboxItem).filter_by(draft_id=draft_id).one()
        assert item.status == "handed_over" and item.attempts == 1
        assert item.adapter == "log_only" and item.handed_over_at is not None


def test_a_rolled_back_approval_sends_nothing(runtime, client, provider_with_profile, sent):
    provider = provider_with_profile()
    draft_id = _draft(client, provider)
    before = count_rows(runtime, *all_tables())
    with pytest.raises(RuntimeError), runtime.stores.tenant() as session:
        me = get_person(session=session, person_id=provider.id)
        approvals.approve_draft(session=session, actor=me, draft_id=draft_id)
        raise RuntimeError("the edge failed after the service returned")
    assert sent == []
    assert count_rows(runtime, *all_tables()) == before
    assert dispatch_outbox(runtime, draft_ids=[draft_id]) == 0 and sent == []


def test_a_failing_batch_sends_nothing_and_a_good_one_sends_each_once(
    client, runtime, provider_with_profile, sent
):
    provider = provider_with_profile()
    ids = [_draft(client, provider, f"07911 12345{7 + i}") for i in range(2)]
    failed = client.post(
        "/qualify/drafts/approve-batch",
        json={"draft_ids": [*ids, "missing"]},
        headers=provider.headers,
    )
    assert failed.status_code == 404
    assert sent == [] and count_rows(runtime, OutboxItem)["qualify_outbox"] == 0
    ok = client.post(
        "/qualify/drafts/approve-batch", json={"draft_ids": ids}, headers=provider.headers
    )
    assert ok.status_code == 200, ok.text
    assert sorted(sent) == sorted(ids)
    assert dispatch_outbox(runtime, draft_ids=ids) == 0 and sorted(sent) == sorted(ids)


def test_a_failing_channel_keeps_the_item_queued_with_its_error(
    client, runtime, provider_with_profile
):
    class Down:
        name = "sms_gateway"

        def send(self, item: OutboxItem) -> None:
            raise ConnectionError("gateway down")

    provider = provider_with_profile()
    draft_id = _draft(client, provider)
    with runtime.stores.tenant() as session:
        me = get_person(session=session, person_id=provider.id)
        approvals.approve_draft(session=session, actor=me, draft_id=draft_id)
    assert dispatch_outbox(runtime, draft_ids=[draft_id], adapter=Down()) == 0
    with runtime.stores.tenant() as session:
        item = session.query(OutboxItem).filter_by(draft_id=draft_id).one()
        assert item.status == "queued" and item.attempts == 1
        assert item.last_error == "ConnectionError: gateway down"
