"""Issue 10 finding 8: an inbound whose phone fails validation is kept, flagged and qualified."""

from __future__ import annotations

import anyio
from mcp import Client
from sqlalchemy import func, select

from prospecting.edges.mcp.server import build_server
from prospecting.graph.models import SubjectDimension
from prospecting.prospects.models import ProspectIdentifier, Touchpoint

RESERVED = "07700 900001"  # Ofcom's drama range: well formed, never a valid number


def test_http_inbound_with_a_reserved_phone_is_kept_flagged_and_drafted(
    client, make_provider, runtime
):
    alice = make_provider(default_phone_region="GB")
    response = client.post(
        "/prospects/inbound",
        json={"channel": "sms", "body": "Hi, any slots Friday?", "sender_phone": RESERVED},
        headers=alice.headers,
    )
    assert response.status_code == 201, response.text
    answer = response.json()
    ingest = answer.get("ingest", answer)
    assert ingest["phone_unverified"] is True
    assert ingest["prospect"]["phone_unverified"] is True
    assert ingest["prospect"]["phone_e164"] is None
    pid = ingest["prospect"]["id"]
    shown = client.get(f"/prospects/{pid}", headers=alice.headers).json()
    assert shown["phone_unverified"] is True
    with runtime.stores.tenant() as tenant:
        touchpoint = tenant.scalars(select(Touchpoint).where(Touchpoint.prospect_id == pid)).one()
        assert touchpoint.sender_phone_raw == RESERVED and touchpoint.sender_phone is None
        assert touchpoint.body == "Hi, any slots Friday?"
        hashed = tenant.scalar(select(func.count()).where(ProspectIdentifier.prospect_id == pid))
        assert hashed == 0  # the unverified dimension is never hashed


def test_mcp_inbound_with_a_reserved_phone_is_qualified(runtime, make_provider):
    provider = make_provider(default_phone_region="GB")
    message = {"channel": "sms", "sender_phone": RESERVED, "body": "Any slots on Friday?"}

    async def scenario():
        async with Client(build_server(runtime, bound_token=provider.token)) as client:
            return await client.call_tool("qualify_inbound", message)

    result = anyio.run(scenario)
    assert not result.is_error, result
    content = result.structured_content
    assert content["ingest"]["phone_unverified"] is True
    assert content["qualification"] is not None and content["draft"] is not None


def test_a_prospect_known_only_by_an_unverified_phone_stays_local(client, make_provider):
    alice = make_provider(default_phone_region="GB")
    on = client.post(
        "/prospect-graph/consent", json={"action": "contribute_all"}, headers=alice.headers
    )
    assert on.status_code == 200, on.text
    message = {"channel": "sms", "body": "Hi, any slots Friday?", "sender_phone": RESERVED}
    pid = client.post("/prospects/inbound", json=message, headers=alice.headers).json()
    pid = pid.get("ingest", pid)["prospect"]["id"]
    refused = client.post(
        "/prospect-graph/contributions",
        json={"prospect_id": pid, "outcome": "booked"},
        headers=alice.headers,
    )
    assert refused.status_code == 404, refused.text
    assert "phone_unverified" in refused.json()["hint"]  # says why, and that it stays local
    assert client.get("/prospect-graph/audit", headers=alice.headers).json() == []


LANDLINE = "020 7946 0018"  # a London fixed line: one household's, not one person's


def test_a_household_landline_dedupes_in_the_tenant_but_never_reaches_the_graph_alone(
    client, make_provider, runtime
):
    alice = make_provider(default_phone_region="GB")
    for action in ("contribute_all", "query_on"):
        client.post("/prospect-graph/consent", json={"action": action}, headers=alice.headers)
    first, second = (
        client.post(
            "/prospects/inbound",
            json={"channel": "sms", "body": "Hello, any slots?", "sender_phone": LANDLINE},
            headers=alice.headers,
        ).json()
        for _ in range(2)
    )
    pid = first["ingest"]["prospect"]["id"] if "ingest" in first else first["prospect"]["id"]
    again = second["ingest"]["prospect"]["id"] if "ingest" in second else second["prospect"]["id"]
    assert again == pid  # the same landline is the same prospect in the tenant
    refused = client.post(f"/prospect-graph/prospects/{pid}/link", headers=alice.headers)
    assert refused.status_code == 404 and "landline" in refused.json()["hint"]
    named = client.post(
        "/prospects/inbound",
        json={
            "channel": "sms",
            "body": "Hi, it's Jane",
            "sender_phone": LANDLINE,
            "sender_name": "Jane Doe",
        },
        headers=alice.headers,
    ).json()
    named_id = named["ingest"]["prospect"]["id"] if "ingest" in named else named["prospect"]["id"]
    link = client.post(f"/prospect-graph/prospects/{named_id}/link", headers=alice.headers)
    assert link.status_code == 200, link.text
    with runtime.stores.graph() as graph:
        dimensions = set(
            graph.scalars(
                select(SubjectDimension.dimension).where(
                    SubjectDimension.subject_key == link.json()["subject_key"]
                )
            )
        )
    assert "name_phone" in dimensions and "phone" not in dimensions
