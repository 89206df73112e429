"""Ingest and local de-duplication: strong dimensions attach, names only suggest, never across."""

from __future__ import annotations

from sqlalchemy import func, select

from prospecting.prospects.models import Prospect, ProspectIdentifier, Touchpoint


def inbound(client, provider, **fields):
    payload = {"channel": "sms", "body": "Hi, any availability next week?"} | fields
    response = client.post("/prospects/inbound", json=payload, headers=provider.headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_same_phone_in_other_formats_attaches(client, make_provider):
    alice = make_provider(default_phone_region="GB")
    first = inbound(client, alice, sender_phone="07911 123456", sender_name="Sam Lee")
    second = inbound(client, alice, sender_phone="+44 7911-123-456", channel="phone_call")
    third = inbound(client, alice, sender_phone="0044 7911 123456")
    assert first["created"] and first["prospect"]["phone_e164"] == "+447911123456"
    assert not second["created"] and second["matched_on"] == "phone"
    assert third["prospect"]["id"] == first["prospect"]["id"]
    touchpoints = client.get(
        f"/prospects/{first['prospect']['id']}/touchpoints", headers=alice.headers
    ).json()
    assert [t["channel"] for t in touchpoints] == ["sms", "phone_call", "sms"]


def test_gmail_variants_attach(client, make_provider):
    alice = make_provider()
    first = inbound(client, alice, channel="email", sender_email="Sam.Lee+yoga@Gmail.com")
    second = inbound(client, alice, channel="email", sender_email="samlee@googlemail.com")
    assert second["prospect"]["id"] == first["prospect"]["id"]
    assert second["matched_on"] == "email"
    assert first["prospect"]["email"] == "samlee@gmail.com"


def test_new_email_on_known_phone_is_added_to_the_chain(client, make_provider):
    alice = make_provider()
    first = inbound(client, alice, sender_phone="07911 123456")
    inbound(client, alice, sender_phone="07911 123456", sender_email="sam@example.org")
    by_email = inbound(client, alice, channel="email", sender_email="SAM@example.org")
    assert by_email["prospect"]["id"] == first["prospect"]["id"]
    assert by_email["prospect"]["email"] == "sam@example.org"


def test_similar_name_only_suggests_a_merge(client, make_provider):
    alice = make_provider()
    first = inbound(client, alice, sender_phone="07911 123456", sender_name="Jamie Clarke")
    second = inbound(client, alice, channel="social_dm", sender_name="Jamie Clark")
    assert second["created"] is True
    [suggestion] = second["merge_suggestions"]
    assert suggestion["candidate_id"] == first["prospect"]["id"]
    assert suggestion["reason"] == "similar_name" and 0.8 <= suggestion["score"] < 1
    unrelated = inbound(client, alice, channel="social_dm", sender_name="Morgan Blake")
    assert unrelated["merge_suggestions"] == []


def test_accepting_a_suggestion_merges_within_the_tenant(client, make_provider):
    alice = make_provider()
    first = inbound(client, alice, sender_phone="07911 123456", sender_name="Jamie Clarke")
    second = inbound(
        client, alice, channel="email", sender_email="jc@example.org", sender_name="Jamie Clark"
    )
    client.post(
        f"/prospects/{second['prospect']['id']}/outcomes",
        json={"outcome": "ghosted"},
        headers=alice.headers,
    )
    suggestion = second["merge_suggestions"][0]
    merged = client.post(
        f"/prospects/merge-suggestions/{suggestion['id']}/accept", headers=alice.headers
    )
    assert merged.status_code == 200
    assert merged.json()["email"] == "jc@example.org"
    source = client.get(f"/prospects/{second['prospect']['id']}", headers=alice.headers).json()
    assert source["status"] == "merged" and source["merged_into_id"] == first["prospect"]["id"]
    later = inbound(client, alice, channel="email", sender_email="jc@example.org")
    assert later["prospect"]["id"] == first["prospect"]["id"]
    touchpoints = client.get(
        f"/prospects/{first['prospect']['id']}/touchpoints", headers=alice.headers
    ).json()
    assert len(touchpoints) == 4
    again = client.post(
        f"/prospects/merge-suggestions/{suggestion['id']}/accept", headers=alice.headers
    )
    assert again.status_code == 409
    listed = client.get("/prospects", headers=alice.headers).json()
    assert [p["id"] for p in listed["items"]] == [first["prospect"]["id"]]


def test_rejecting_a_suggestion_keeps_both(client, make_provider):
    alice = make_provider()
    inbound(client, alice, sender_phone="07911 123456", sender_name="Jamie Clarke")
    second = inbound(client, alice, channel="social_dm", sender_name="Jamie Clark")
    suggestion = second["merge_suggestions"][0]
    rejected = client.post(
        f"/prospects/merge-suggestions/{suggestion['id']}/reject", headers=alice.headers
    )
    assert rejected.json()["status"] == "rejected"
    assert client.get("/prospects/merge-suggestions", headers=alice.headers).json() == []
    assert client.get("/prospects", headers=alice.headers).json()["total"] == 2


def test_never_across_persons(client, make_provider, runtime):
    alice, bob = make_provider(), make_provider()
    a = inbound(client, alice, sender_phone="07911 123456", sender_name="Jamie Clarke")
    b = inbound(client, bob, sender_phone="07911 123456", sender_name="Jamie Clarke")
    assert b["created"] and b["merge_suggestions"] == []
    assert a["prospect"]["id"] != b["prospect"]["id"]
    with runtime.stores.tenant() as session:
        owners = dict(session.execute(select(Prospect.id, Prospect.person_id)).all())
        assert owners == {a["prospect"]["id"]: alice.id, b["prospect"]["id"]: bob.id}
        idents = session.execute(
            select(ProspectIdentifier.person_id, func.count()).group_by(
                ProspectIdentifier.person_id
            )
        ).all()
        assert dict(idents) == {alice.id: 3, bob.id: 3}  # phone, name, name+phone


def test_phone_region_comes_from_the_persons_profile(client, make_provider):
    us = make_provider(default_phone_region="US")
    nowhere = make_provider(default_phone_region=None)
    assert inbound(client, us, sender_phone="(212) 736-5000")["prospect"]["phone_e164"] == (
        "+12127365000"
    )
    # Without a country the number cannot be verified: the inbound is kept, flagged, unhashed.
    kept = inbound(client, nowhere, sender_phone="212 736 5000")
    assert kept["phone_unverified"] is True and kept["prospect"]["phone_e164"] is None
    international = inbound(client, nowhere, sender_phone="+1 212 736 5000")
    assert international["prospect"]["phone_e164"] == "+12127365000"


def test_list_filter_and_pagination(client, make_provider):
    alice = make_provider()
    ids = [
        inbound(client, alice, sender_email=f"p{i}@example.org")["prospect"]["id"] for i in range(5)
    ]
    client.post(f"/prospects/{ids[0]}/outcomes", json={"outcome": "booked"}, headers=alice.headers)
    page = client.get("/prospects?limit=2&offset=0", headers=alice.headers).json()
    assert page["total"] == 5 and len(page["items"]) == 2
    rest = client.get("/prospects?limit=10&offset=2", headers=alice.headers).json()
    assert len(rest["items"]) == 3
    assert {p["id"] for p in page["items"] + rest["items"]} == set(ids)
    booked = client.get("/prospects?status=booked", headers=alice.headers).json()
    assert [p["id"] for p in booked["items"]] == [ids[0]] and booked["total"] == 1
    past = client.get("/prospects?limit=10&offset=7", headers=alice.headers).json()
    assert past["items"] == [] and past["total"] == 5  # a page past the end still counts
    past_booked = client.get("/prospects?status=booked&offset=3", headers=alice.headers).json()
    assert past_booked["items"] == [] and past_booked["total"] == 1


def test_outcome_versions_increase_and_set_status(client, make_provider, runtime):
    alice = make_provider()
    pid = inbound(client, alice, sender_email="p@example.org")["prospect"]["id"]
    first = client.post(
        f"/prospects/{pid}/outcomes", json={"outcome": "no_show"}, headers=alice.headers
    ).json()
    second = client.post(
        f"/prospects/{pid}/outcomes", json={"outcome": "rescheduled"}, headers=alice.headers
    ).json()
    assert (first["outcome_version"], second["outcome_version"]) == (1, 2)
    prospect = client.get(f"/prospects/{pid}", headers=alice.headers).json()
    assert prospect["status"] == "booked"
    with runtime.stores.tenant() as session:
        count = session.scalar(select(func.count()).select_from(Touchpoint))
    assert count == 3


def test_update_prospect(client, make_provider):
    alice = make_provider()
    pid = inbound(client, alice, sender_email="p@example.org")["prospect"]["id"]
    updated = client.patch(
        f"/prospects/{pid}",
        json={"notes": "prefers mornings", "status": "qualified"},
        headers=alice.headers,
    )
    assert updated.status_code == 200
    assert updated.json()["notes"] == "prefers mornings"
    assert updated.json()["status"] == "qualified"


def test_a_shared_family_name_alone_is_no_suggestion(client, make_provider):
    alice = make_provider()
    inbound(client, alice, sender_phone="07911 123456", sender_name="Jamie Okafor")
    sibling = inbound(client, alice, channel="social_dm", sender_name="Amara Okafor")
    initial = inbound(client, alice, channel="social_dm", sender_name="J. Okafor")
    assert sibling["merge_suggestions"] == []
    assert [s["reason"] for s in initial["merge_suggestions"]] == ["similar_name"]
