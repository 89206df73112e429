"""The provider coop over HTTP (/coop): the whole warm intro and hand-off through the API and the
public consent page, bad input naming the field, no token a 401, and every id in a path probed
by another provider answering exactly like a missing one."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from conftest import TEST_KEY, DatabaseUrls, Provider, person
from coop.conftest import MakeVetted, coop_org_admin, vetted  # noqa: F401 (fixtures)
from prospecting.app import create_app
from prospecting.config import Settings
from prospecting.coop import consent, handoffs
from prospecting.coop.models import Endorsement, IntroAsk, IntroAskStatus, Verification
from prospecting.db import new_id, utcnow
from prospecting.prospects import service as prospects
from prospecting.prospects.schemas import Channel, InboundMessage
from prospecting.qualify.models import OutboxItem
from prospecting.runtime import Runtime

PROBLEM_JSON = "application/problem+json"
VOUCH = {
    "known_for": "1_to_3_years",
    "attended_reliably": True,
    "paid_on_time": True,
    "respectful": True,
    "would_see_again": True,
}
TOKEN_IN_LINK = re.compile(r"/consent/([A-Za-z0-9_\-]+)")


@pytest.fixture
def settings(db_urls: DatabaseUrls, tmp_path: Path) -> Settings:
    """A dense network from two listed vetted peers, so a warm intro opens in a small test."""
    return Settings(
        mode="test",
        data_dir=tmp_path,
        tenant_database_url=db_urls.tenant,
        graph_database_url=db_urls.graph,
        network_key=TEST_KEY,  # type: ignore[arg-type]
        coop_intro_min_peers=2,
    )


def new_prospect(runtime: Runtime, owner: Provider, name: str = "Dana Client") -> str:
    """One of `owner`'s prospects, with a phone and an email the consent request can use."""
    with runtime.stores.tenant() as session:
        return prospects.ingest(
            session=session,
            actor=person(session, owner.id),
            resolver=runtime.resolver,
            message=InboundMessage(
                channel=Channel.SMS,
                sender_name=name,
                sender_phone="+447700900123",
                sender_email="dana@example.org",
                body="Hello, do you have space next week?",
            ),
        ).prospect.id


def consent_token(runtime: Runtime, consent_id: str) -> str:
    """The link's token, read from the queued consent request (as the prospect receives it)."""
    with runtime.stores.tenant_read() as session:
        item = session.scalars(select(OutboxItem).where(OutboxItem.ref_id == consent_id)).one()
        assert item.purpose == "coop_consent"
        found = TOKEN_IN_LINK.search(item.body)
        assert found is not None
        return found.group(1)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    if field is not None:
        assert field in [e["field"] for e in body.get("errors") or []], body
    return body


def actions(client: TestClient, who: Provider, object_id: str) -> list[str]:
    entries = ok(client.get("/coop/audit", params={"object_id": object_id}, headers=who.headers))
    return [e["action"] for e in reversed(entries)]  # oldest first


def propose(client: TestClient, sender: Provider, prospect_id: str, receiver: Provider) -> Any:
    body = {
        "prospect_id": prospect_id,
        "receiver_id": receiver.id,
        "vouch": VOUCH,
        "fields": ["name", "phone"],
    }
    return ok(client.post("/coop/intros", json=body, headers=sender.headers), 201)


def test_warm_intro_end_to_end(
    client: TestClient,
    runtime: Runtime,
    vetted: MakeVetted,  # noqa: F811
) -> None:
    ada, bea, _cy = vetted(3)
    listed = ok(
        client.put(
            "/coop/listing",
            json={
                "categories": ["therapy"],
                "region": "london",
                "services": ["cbt"],
                "languages": ["en", "fr"],
                "accepting": True,
                "open_slots": 4,
            },
            headers=ada.headers,
        )
    )
    assert listed["vetted"] is True and listed["services"] == ["cbt"]
    assert ok(client.get("/coop/listing", headers=ada.headers))["open_slots"] == 4
    assert ok(client.get("/coop/vetting", headers=ada.headers))["vetted"] is True
    net = ok(
        client.get(
            "/coop/network", params={"category": "therapy", "region": "london"}, headers=ada.headers
        )
    )
    assert net["intros"]["available"] is True and net["intros"]["state"] == "dense"
    assert net["handoffs"]["state"] == "open" and net["handoffs"]["reason"]

    prospect_id = new_prospect(runtime, ada)
    intro = propose(client, ada, prospect_id, bea)
    assert intro["status"] == "awaiting_consent" and intro["role"] == "sent"
    assert intro["vouch"] is None and intro["prospect_id"] == prospect_id
    waiting = ok(client.get("/coop/waiting", headers=ada.headers))
    assert [i["id"] for i in waiting["intros_awaiting_prospect"]] == [intro["id"]]
    # Bea sees nothing of it before the prospect said yes.
    assert ok(client.get("/coop/intros", params={"role": "received"}, headers=bea.headers)) == []
    problem(client.get(f"/coop/intros/{intro['id']}", headers=bea.headers), 404)
    assert actions(client, bea, intro["id"]) == []

    token = consent_token(runtime, intro["consent_id"])
    page = client.get(f"/consent/{token}")
    assert page.status_code == 200 and "Test Provider" in page.text
    assert client.post(f"/consent/{token}", data={"decision": "yes"}).status_code == 200

    waiting = ok(client.get("/coop/waiting", headers=bea.headers))
    [received] = waiting["intros_to_answer"]
    assert received["id"] == intro["id"] and received["status"] == "awaiting_peer"
    assert received["vouch"] == VOUCH and received["prospect_id"] is None
    assert received["person"]["name"] == "Dana Client" and received["person"]["email"] is None
    sender_waits = ok(client.get("/coop/waiting", headers=ada.headers))
    assert sender_waits["intros_awaiting_prospect"] == []
    assert [i["id"] for i in sender_waits["intros_awaiting_peer"]] == [intro["id"]]
    assert sender_waits["intros_to_answer"] == []

    referral = ok(client.post(f"/coop/intros/{intro['id']}/accept", headers=bea.headers))
    assert referral["origin"] == "warm_intro" and referral["ref_id"] == intro["id"]
    assert referral["intro"]["status"] == "accepted" and referral["draft_id"]
    own = ok(client.get(f"/prospects/{referral['prospect_id']}", headers=bea.headers))
    assert own["id"] != prospect_id
    problem(client.get(f"/prospects/{referral['prospect_id']}", headers=ada.headers), 404)

    # The receiver reports what came of it; the sender sees the structured outcome only.
    problem(
        client.post(
            f"/coop/intros/{intro['id']}/outcome", json={"outcome": "booked"}, headers=ada.headers
        ),
        404,
    )
    reported = ok(
        client.post(
            f"/coop/intros/{intro['id']}/outcome", json={"outcome": "booked"}, headers=bea.headers
        )
    )
    assert reported["outcome"] == "booked"
    seen = ok(client.get(f"/coop/intros/{intro['id']}", headers=ada.headers))
    assert seen["status"] == "accepted" and seen["outcome"] == "booked"
    sent = ok(client.get("/coop/intros", params={"role": "sent"}, headers=ada.headers))
    assert [i["id"] for i in sent] == [intro["id"]]

    assert actions(client, ada, intro["id"]) == [
        "intro_proposed",
        "intro_consented",
        "intro_accepted",
        "intro_outcome",
    ]
    assert actions(client, bea, intro["id"]) == [
        "intro_received",
        "intro_accepted",
        "intro_outcome",
    ]
    assert ok(client.get("/coop/stats", headers=ada.headers))["intros_sent"] == 1
    bea_stats = ok(client.get("/coop/stats", headers=bea.headers))
    assert (bea_stats["intros_received"], bea_stats["intros_booked"]) == (1, 1)


def offer(client: TestClient, sender: Provider, prospect_id: str, reason: str = "overflow") -> Any:
    body = {
        "prospect_id": prospect_id,
        "reason": reason,
        "category": "therapy",
        "region": "london",
        "vouch": VOUCH,
        "fields": ["name", "email"],
    }
    return ok(client.post("/coop/handoffs", json=body, headers=sender.headers), 201)


def test_handoff_end_to_end_with_a_decline_cascading(
    client: TestClient,
    runtime: Runtime,
    vetted: MakeVetted,  # noqa: F811
) -> None:
    [ada] = vetted(1, accepting=False)
    peers = vetted(2, open_slots=2)
    prospect_id = new_prospect(runtime, ada)
    sent = offer(client, ada, prospect_id)
    assert sent["status"] == "awaiting_consent" and sent["offers_made"] == 0
    waiting = ok(client.get("/coop/waiting", headers=ada.headers))
    assert [h["id"] for h in waiting["handoffs_awaiting_prospect"]] == [sent["id"]]
    for peer in peers:
        assert ok(client.get("/coop/offers", headers=peer.headers)) == []

    token = consent_token(runtime, sent["consent_id"])
    assert client.post(f"/consent/{token}", data={"decision": "yes"}).status_code == 200
    listed = {p.id: ok(client.get("/coop/offers", headers=p.headers)) for p in peers}
    [first] = [p for p in peers if listed[p.id]]
    [second] = [p for p in peers if not listed[p.id]]
    [shown] = listed[first.id]
    assert shown["handoff_id"] == sent["id"] and shown["vouch"] == VOUCH
    assert "sender_id" not in shown and "person" not in shown
    assert ok(client.get("/coop/waiting", headers=first.headers))["offers"] == [shown]

    declined = ok(client.post(f"/coop/offers/{sent['id']}/decline", headers=first.headers))
    assert declined["status"] == "declined"
    problem(client.post(f"/coop/offers/{sent['id']}/accept", headers=first.headers), 404)
    [cascaded] = ok(client.get("/coop/offers", headers=second.headers))
    assert cascaded["handoff_id"] == sent["id"]

    won = ok(client.post(f"/coop/offers/{sent['id']}/accept", headers=second.headers))
    assert won["origin"] == "handoff" and won["ref_id"] == sent["id"]
    mine = ok(client.get(f"/coop/handoffs/{sent['id']}", headers=second.headers))
    assert mine["role"] == "won" and mine["person"]["name"] == "Dana Client"
    assert mine["person"]["phone"] is None and mine["receiver_prospect_id"] == won["prospect_id"]
    ok(client.get(f"/prospects/{won['prospect_id']}", headers=second.headers))
    reported = ok(
        client.post(
            f"/coop/handoffs/{sent['id']}/outcome",
            json={"outcome": "no_answer"},
            headers=second.headers,
        )
    )
    assert reported["outcome"] == "no_answer"
    [theirs] = ok(client.get("/coop/handoffs", headers=ada.headers))
    assert theirs["status"] == "accepted" and theirs["winner_id"] == second.id
    assert theirs["outcome"] == "no_answer" and theirs["offers_made"] == 2
    problem(client.post(f"/coop/handoffs/{sent['id']}/withdraw", headers=ada.headers), 409)
    assert "handoff_accepted" in actions(client, ada, sent["id"])
    assert "handoff_offer_declined" in actions(client, first, sent["id"])
    assert actions(client, second, sent["id"])[-2:] == ["handoff_accepted", "handoff_outcome"]


def test_second_acceptance_is_a_409(
    client: TestClient,
    runtime: Runtime,
    vetted: MakeVetted,  # noqa: F811
) -> None:
    """Two peers hold open offers (fan-out 2); the first acceptance wins, the other is told
    clearly that another peer took it."""
    [ada] = vetted(1, accepting=False)
    bea, cy = vetted(2, open_slots=2)
    prospect_id = new_prospect(runtime, ada)
    sent = offer(client, ada, prospect_id)
    with runtime.stores.tenant() as session:
        decided = consent.decide_by_reply(
            session=session, person_id=ada.id, prospect_id=prospect_id, body="YES", now=utcnow()
        )
        assert decided is not None
        handoffs.consent_decided(
            session=session, consent=decided, now=utcnow(), settings=runtime.settings, fan_out=2
        )
    for peer in (bea, cy):
        assert [o["handoff_id"] for o in ok(client.get("/coop/offers", headers=peer.headers))] == [
            sent["id"]
        ]
    ok(client.post(f"/coop/offers/{sent['id']}/accept", headers=bea.headers))
    lost = problem(client.post(f"/coop/offers/{sent['id']}/accept", headers=cy.headers), 409)
    assert lost["type"] == "/problems/conflict"
    assert "already taken" in lost["detail"] and "another peer" in lost["hint"]
    assert ok(client.get("/coop/offers", headers=cy.headers)) == []
    problem(client.get(f"/coop/handoffs/{sent['id']}", headers=cy.headers), 404)
    assert ok(client.get("/coop/stats", headers=bea.headers))["handoffs_received"] == 1


def test_revoking_the_consent_stops_the_intro(
    client: TestClient,
    runtime: Runtime,
    vetted: MakeVetted,  # noqa: F811
) -> None:
    ada, bea, _cy = vetted(3)
    intro = propose(client, ada, new_prospect(runtime, ada), bea)
    token = consent_token(runtime, intro["consent_id"])
    assert client.post(f"/consent/{token}", data={"decision": "yes"}).status_code == 200
    revoked = ok(client.post(f"/coop/consents/{intro['consent_id']}/revoke", headers=ada.headers))
    assert revoked["status"] == "revoked" and revoked["decided_via"] == "provider"
    assert ok(client.get(f"/coop/intros/{intro['id']}", headers=ada.headers))["status"] == "revoked"
    problem(client.post(f"/coop/intros/{intro['id']}/accept", headers=bea.headers), 409)
    problem(client.post(f"/coop/consents/{intro['consent_id']}/revoke", headers=ada.headers), 409)


def test_vetting_routes(
    client: TestClient,
    runtime: Runtime,
    vetted: MakeVetted,  # noqa: F811
    coop_org_admin: tuple[str, str],  # noqa: F811
    make_provider: Any,
) -> None:
    ada, bea = vetted(2)
    newcomer = make_provider(display_name="New Peer")
    before = ok(client.get("/coop/vetting", headers=newcomer.headers))
    assert before["vetted"] is False and before["endorsements_needed"] == 2
    given = []
    for endorser in (ada, bea):
        body = {"peer_id": newcomer.id, "basis": "worked_alongside", "known_for": "over_3_years"}
        given.append(
            ok(client.post("/coop/endorsements", json=body, headers=endorser.headers), 201)
        )
    assert ok(client.get("/coop/vetting", headers=newcomer.headers))["vetted"] is True
    again = client.post("/coop/endorsements", json=body, headers=bea.headers)
    problem(again, 409)
    revoked = ok(client.post(f"/coop/endorsements/{given[0]['id']}/revoke", headers=ada.headers))
    assert revoked["revoked_at"] is not None
    assert ok(client.get("/coop/vetting", headers=newcomer.headers))["vetted"] is False
    # Not vetted: no endorsing.
    problem(
        client.post(
            "/coop/endorsements", json=body | {"peer_id": ada.id}, headers=newcomer.headers
        ),
        403,
    )

    org_id, admin_id = coop_org_admin
    with runtime.stores.tenant() as session:
        verification_id = session.scalars(
            select(Verification.id).where(Verification.person_id == ada.id)
        ).one()
        token = _token_for(session, admin_id)
    admin = Provider(admin_id, token)
    done = ok(
        client.post(
            f"/coop/orgs/{org_id}/verifications", json={"person_id": bea.id}, headers=admin.headers
        ),
        201,
    )
    assert done["person_id"] == bea.id and done["org_id"] == org_id
    gone = ok(client.post(f"/coop/verifications/{verification_id}/revoke", headers=admin.headers))
    assert gone["revoked_at"] is not None
    assert ok(client.get("/coop/vetting", headers=ada.headers))["vetted"] is False
    assert "verification_withdrawn" in actions(client, ada, verification_id)


def _token_for(session: Any, person_id: str) -> str:
    from prospecting.identity import service as identity

    _, token = identity.issue_token(session=session, person=person(session, person_id), name="t")
    return token


def test_bad_input_names_the_field(
    client: TestClient,
    runtime: Runtime,
    vetted: MakeVetted,  # noqa: F811
    make_provider: Any,
) -> None:
    ada, bea, _cy = vetted(3)
    prospect_id = new_prospect(runtime, ada)
    good = {"prospect_id": prospect_id, "receiver_id": bea.id, "vouch": VOUCH, "fields": ["name"]}
    post = lambda body: client.post("/coop/intros", json=body, headers=ada.headers)  # noqa: E731
    problem(post({k: v for k, v in good.items() if k != "vouch"}), 422, "vouch")
    problem(post(good | {"fields": ["address"]}), 422, "fields.0")
    problem(post(good | {"vouch": VOUCH | {"note": "lovely person"}}), 422, "vouch.note")
    problem(post(good | {"message": "hi"}), 422, "message")
    problem(post(good | {"receiver_id": ada.id}), 422, "receiver_id")
    problem(post(good | {"fields": ["vouch"]}), 422, "fields")
    broken = client.post(
        "/coop/intros",
        content=b'{"prospect_id": ',
        headers=ada.headers | {"content-type": "application/json"},
    )
    assert 400 <= broken.status_code < 500
    problem(broken, broken.status_code)

    listing = {"categories": ["Not A Slug"], "accepting": True}
    problem(client.put("/coop/listing", json=listing, headers=ada.headers), 422, "categories.0")
    problem(
        client.put(
            "/coop/listing",
            json={"categories": ["therapy"], "accepting": True, "open_slots": 2.5},
            headers=ada.headers,
        ),
        422,
        "open_slots",
    )
    zero = {"categories": ["therapy"], "accepting": 0}
    problem(client.put("/coop/listing", json=zero, headers=ada.headers), 422, "accepting")
    problem(client.get("/coop/network", headers=ada.headers), 422, "category")
    problem(
        client.get(
            "/coop/network",
            params={"category": "therapy", "region": "Lon don"},
            headers=ada.headers,
        ),
        422,
        "region",
    )
    problem(client.get("/coop/intros", params={"role": "mine"}, headers=ada.headers), 422, "role")
    problem(client.get("/coop/audit", params={"limit": "0"}, headers=ada.headers), 422, "limit")
    intro = propose(client, ada, prospect_id, bea)
    problem(
        client.post(
            f"/coop/intros/{intro['id']}/outcome", json={"outcome": "great"}, headers=bea.headers
        ),
        422,
        "outcome",
    )
    accepting_sender = {
        "prospect_id": prospect_id,
        "reason": "overflow",
        "category": "therapy",
        "fields": ["name"],
    }
    problem(
        client.post("/coop/handoffs", json=accepting_sender, headers=ada.headers), 422, "reason"
    )
    problem(
        client.post(
            "/coop/handoffs", json=accepting_sender | {"language": "EN"}, headers=ada.headers
        ),
        422,
        "language",
    )
    problem(client.get("/coop/listing", headers=make_provider().headers), 404)


def coop_routes(client: TestClient) -> list[tuple[str, str]]:
    document = client.app.openapi()  # type: ignore[attr-defined]
    return [
        (method.upper(), path)
        for path, item in document["paths"].items()
        if path.startswith("/coop")
        for method in item
    ]


def test_every_route_needs_a_token(client: TestClient) -> None:
    routes = coop_routes(client)
    assert len(routes) >= 25
    for method, path in routes:
        url = re.sub(r"\{[^}]+\}", new_id(), path)
        answer = client.request(method, url, json={}, params={"category": "therapy"})
        body = problem(answer, 401)
        assert answer.headers["www-authenticate"] == "Bearer", (method, path)
        assert body["type"] == "/problems/unauthenticated"


def test_another_providers_ids_answer_like_missing_ones(
    client: TestClient,
    runtime: Runtime,
    vetted: MakeVetted,  # noqa: F811
    coop_org_admin: tuple[str, str],  # noqa: F811
) -> None:
    """Every route with an id in its path, called by a provider the id is not theirs (or not
    theirs to act on), answers with the same status and the same body as a random id."""
    ada, bea, cy = vetted(3)
    [eve] = vetted(1, categories=["massage"])  # vetted, never a therapy candidate
    org_id, _admin = coop_org_admin

    intro = propose(client, ada, new_prospect(runtime, ada), bea)
    token = consent_token(runtime, intro["consent_id"])
    assert client.post(f"/consent/{token}", data={"decision": "yes"}).status_code == 200
    sent = offer(client, ada, new_prospect(runtime, ada, "Lee Client"), reason="wrong_fit")
    token = consent_token(runtime, sent["consent_id"])
    assert client.post(f"/consent/{token}", data={"decision": "yes"}).status_code == 200
    endorsement = ok(
        client.post(
            "/coop/endorsements",
            json={"peer_id": bea.id, "basis": "referred_clients", "known_for": "1_to_3_years"},
            headers=ada.headers,
        ),
        201,
    )
    with runtime.stores.tenant_read() as session:
        verification_id = session.scalars(
            select(Verification.id).where(Verification.person_id == ada.id)
        ).one()
    ask_id = seed_ask(runtime, asker=bea, holder=ada)
    outcome = {"outcome": "booked"}
    fulfil = {"vouch": VOUCH, "fields": ["name"]}
    probes: list[tuple[str, str, str, dict[str, Any] | None]] = [
        ("POST", "/coop/endorsements/{}/revoke", endorsement["id"], None),
        ("POST", "/coop/orgs/{}/verifications", org_id, {"person_id": eve.id}),
        ("POST", "/coop/verifications/{}/revoke", verification_id, None),
        ("GET", "/coop/intros/{}", intro["id"], None),
        ("POST", "/coop/intros/{}/accept", intro["id"], None),
        ("POST", "/coop/intros/{}/decline", intro["id"], None),
        ("POST", "/coop/intros/{}/withdraw", intro["id"], None),
        ("POST", "/coop/intros/{}/outcome", intro["id"], outcome),
        ("GET", "/coop/handoffs/{}", sent["id"], None),
        ("POST", "/coop/handoffs/{}/withdraw", sent["id"], None),
        ("POST", "/coop/handoffs/{}/outcome", sent["id"], outcome),
        ("POST", "/coop/offers/{}/accept", sent["id"], None),
        ("POST", "/coop/offers/{}/decline", sent["id"], None),
        ("POST", "/coop/consents/{}/revoke", intro["consent_id"], None),
        ("POST", "/coop/consents/{}/revoke", sent["consent_id"], None),
        ("GET", "/coop/asks/received/{}", ask_id, None),
        ("POST", "/coop/asks/received/{}/fulfil", ask_id, fulfil),
        ("POST", "/coop/asks/received/{}/decline", ask_id, None),
    ]
    with_ids = {re.sub(r"\{[^}]+\}", "{}", p) for _, p in coop_routes(client) if "{" in p}
    assert with_ids == {path for _, path, _, _ in probes}  # every route with an id is probed

    def same_as_missing(who: Provider, method: str, path: str, real: str, body: Any) -> None:
        theirs = client.request(method, path.format(real), json=body, headers=who.headers)
        missing = client.request(method, path.format(new_id()), json=body, headers=who.headers)
        assert theirs.status_code == missing.status_code == 404, (path, theirs.text)
        assert theirs.json() == missing.json(), path

    for method, path, real, body in probes:
        same_as_missing(eve, method, path, real, body)
    # The other side of the same objects, where the step is not theirs to take.
    for who, method, path, real in (
        (ada, "POST", "/coop/intros/{}/accept", intro["id"]),
        (ada, "POST", "/coop/intros/{}/decline", intro["id"]),
        (bea, "POST", "/coop/intros/{}/withdraw", intro["id"]),
        (ada, "POST", "/coop/offers/{}/accept", sent["id"]),
        (ada, "POST", "/coop/offers/{}/decline", sent["id"]),
        (bea, "POST", "/coop/consents/{}/revoke", intro["consent_id"]),
        (bea, "POST", "/coop/endorsements/{}/revoke", endorsement["id"]),
        (ada, "POST", "/coop/verifications/{}/revoke", verification_id),
        (bea, "GET", "/coop/asks/received/{}", ask_id),  # the asker never sees the ask itself
        (bea, "POST", "/coop/asks/received/{}/decline", ask_id),
    ):
        same_as_missing(who, method, path, real, None)
    same_as_missing(bea, "POST", "/coop/asks/received/{}/fulfil", ask_id, fulfil)
    offered = [p for p in (bea, cy) if ok(client.get("/coop/offers", headers=p.headers))]
    assert len(offered) == 1  # a candidate with an open offer still cannot read the hand-off
    same_as_missing(offered[0], "GET", "/coop/handoffs/{}", sent["id"], None)
    same_as_missing(offered[0], "POST", "/coop/handoffs/{}/withdraw", sent["id"], None)

    # Nothing moved.
    assert ok(client.get(f"/coop/intros/{intro['id']}", headers=ada.headers))["status"] == (
        "awaiting_peer"
    )
    assert ok(client.get(f"/coop/handoffs/{sent['id']}", headers=ada.headers))["status"] == (
        "offering"
    )
    with runtime.stores.tenant_read() as session:
        assert session.get(Endorsement, endorsement["id"]).revoked_at is None  # type: ignore[union-attr]
        assert session.get(Verification, verification_id).revoked_at is None  # type: ignore[union-attr]
        assert session.get(IntroAsk, ask_id).status == IntroAskStatus.OPEN  # type: ignore[union-attr]
    seen_by_eve = {e["object_id"] for e in ok(client.get("/coop/audit", headers=eve.headers))}
    assert not seen_by_eve & {intro["id"], sent["id"], intro["consent_id"], sent["consent_id"]}


def seed_ask(runtime: Runtime, *, asker: Provider, holder: Provider) -> str:
    """An open intro ask from `asker` to `holder`, as coop.asks.ask stores it after a positive
    graph answer (the graph side is tested in tests/coop/test_asks.py)."""
    asker_prospect = new_prospect(runtime, asker, "Kim Client")
    holder_prospect = new_prospect(runtime, holder, "Kim Client")
    with runtime.stores.tenant() as session:
        row = IntroAsk(
            id=new_id(),
            asker_id=asker.id,
            asker_prospect_id=asker_prospect,
            holder_id=holder.id,
            holder_prospect_id=holder_prospect,
            status=IntroAskStatus.OPEN,
            expires_at=utcnow() + timedelta(days=3),
        )
        session.add(row)
        return row.id


def test_intro_ask_holder_routes(
    client: TestClient,
    runtime: Runtime,
    vetted: MakeVetted,  # noqa: F811
) -> None:
    """The holder sees the ask in /coop/waiting and fulfils it: a warm intro to the asker is
    proposed (the prospect is asked first); the asker sees counts only."""
    ada, bea, _cy = vetted(3)  # a dense enough network for an intro (threshold 2)
    ask_id = seed_ask(runtime, asker=bea, holder=ada)
    waiting = ok(client.get("/coop/waiting", headers=ada.headers))
    [seen] = waiting["intro_asks"]
    assert seen["id"] == ask_id and seen["asker_id"] == bea.id
    assert ok(client.get("/coop/waiting", headers=bea.headers))["intro_asks"] == []
    asked = ok(client.get("/coop/asks", headers=bea.headers))
    assert asked["open"] == 1 and "holder" not in str(asked)
    done = ok(
        client.post(
            f"/coop/asks/received/{ask_id}/fulfil",
            json={"vouch": VOUCH, "fields": ["name", "phone"]},
            headers=ada.headers,
        )
    )
    assert done["ask"]["status"] == "fulfilled"
    assert done["intro"]["receiver_id"] == bea.id and done["intro"]["status"] == "awaiting_consent"
    consent_token(runtime, done["intro"]["consent_id"])  # the request went out
    assert ok(client.get("/coop/asks", headers=bea.headers))["fulfilled"] == 1
    problem(client.post(f"/coop/asks/received/{ask_id}/decline", headers=ada.headers), 409)
    problem(
        client.post("/coop/asks", json={"prospect_id": ""}, headers=bea.headers), 422, "prospect_id"
    )


def test_routes_are_in_the_openapi_document(runtime: Runtime) -> None:
    document = create_app(runtime=runtime).openapi()
    coop = {p: item for p, item in document["paths"].items() if p.startswith("/coop")}
    assert coop["/coop/intros"]["post"]["responses"]["201"]
    assert all(op["tags"] == ["coop"] for item in coop.values() for op in item.values())


@contextmanager
def write_lock_held(path: str) -> Iterator[None]:
    """Another connection holds SQLite's write lock (BEGIN IMMEDIATE) until the block ends."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield
        conn.execute("ROLLBACK")
    finally:
        conn.close()


def test_reads_answer_while_a_writer_holds_the_lock(
    client: TestClient,
    db_urls: DatabaseUrls,
    vetted: MakeVetted,  # noqa: F811
) -> None:
    """The /coop reads that apply no expiry run in a deferred read transaction."""
    if db_urls.backend != "sqlite":
        pytest.skip("SQLite's write lock")
    [ada] = vetted(1)
    reads = ["/coop/vetting", "/coop/listing", "/coop/handoffs", "/coop/offers", "/coop/audit"]
    reads += ["/coop/stats", "/coop/network?category=therapy"]
    with write_lock_held(db_urls.tenant.removeprefix("sqlite:///")):
        for path in reads:
            got = client.get(path, headers=ada.headers)
            assert got.status_code == 200, (path, got.text)
