"""Issue 10 finding 7: bad input answers a 4xx problem naming the field, on both backends, over
HTTP and MCP; never a 500, never a silently stored odd value. Text rule: prospecting.fields."""

from __future__ import annotations

import re
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from mcp import Client

from prospecting.app import create_app
from prospecting.edges.http.limits import MAX_JSON_BODY_BYTES
from prospecting.edges.mcp.server import build_server

MESSAGE = {"channel": "sms", "sender_phone": "07911 123456", "body": "Any slots on Friday?"}
PYDANTIC_DUMP = ("validation error for", "input_value", "errors.pydantic.dev", "type=")


def assert_problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    if field is not None:
        assert field in body["detail"], body
    return body


@pytest.mark.parametrize("path", ["/prospects", "/qualify/drafts"])
def test_huge_offset_is_a_422_naming_the_field(client, make_provider, path):
    alice = make_provider()
    response = client.get(path, params={"offset": str(2**64)}, headers=alice.headers)
    assert_problem(response, 422, "offset")


BAD_TIMES = {
    "year 9999 west of UTC": "9999-12-31T23:00:00-05:00",
    "year 1 east of UTC": "0001-01-01T00:00:00+14:00",
    "before 1900": "1850-06-01T10:00:00+00:00",
    "negative epoch number": -100000,
    "epoch number": 1_700_000_000,
    "epoch number as text": "1700000000",
}


@pytest.mark.parametrize("value", list(BAD_TIMES.values()), ids=list(BAD_TIMES))
def test_a_timestamp_out_of_range_or_a_number_is_a_422(client, make_provider, value):
    alice = make_provider()
    inbound = {**MESSAGE, "received_at": value}
    response = client.post("/prospects/inbound", json=inbound, headers=alice.headers)
    assert_problem(response, 422, "received_at")
    created = client.post("/prospects/inbound", json=MESSAGE, headers=alice.headers)
    prospect_id = created.json()["prospect"]["id"]
    outcome = {"outcome": "booked", "occurred_at": value}
    response = client.post(
        f"/prospects/{prospect_id}/outcomes", json=outcome, headers=alice.headers
    )
    assert_problem(response, 422, "occurred_at")


BAD_TEXT = {
    "NUL in a message": ("body", "Hi\x00there"),
    "bell in a message": ("body", "Hi\x07there"),
    "C1 control in a message": ("body", "Hi\x85there"),
    "bidi override in a message": ("body", "Pay \u202eetadpu"),
    "NUL in a name": ("sender_name", "Ann\x00"),
    "line break in a name": ("sender_name", "Ann\nLee"),
    "bidi isolate in a name": ("sender_name", "Ann\u2066Lee"),
    "bidi override in an email": ("sender_email", "ann\u202e@example.org"),
}


@pytest.mark.parametrize("field,value", list(BAD_TEXT.values()), ids=list(BAD_TEXT))
def test_control_and_bidi_characters_are_a_422_naming_the_field(
    client, make_provider, field, value
):
    alice = make_provider()
    response = client.post(
        "/prospects/inbound", json={**MESSAGE, field: value}, headers=alice.headers
    )
    assert_problem(response, 422, field)
    listing = client.get("/prospects", headers=alice.headers)
    assert listing.json()["total"] == 0  # nothing stored


BAD_URLS = {
    "NUL in a prospect id": ("get", "/prospects/ab%00cd", "path"),
    "NUL in a draft id": ("get", "/qualify/drafts/ab%00", "path"),
    "bidi override in a subject key": ("post", "/prospect-graph/subjects/ab%E2%80%AE", "path"),
    "NUL in a query value": ("get", "/prospect-graph/metrics?weeks=4%00", "weeks"),
}


@pytest.mark.parametrize("method,url,field", list(BAD_URLS.values()), ids=list(BAD_URLS))
def test_control_characters_in_the_url_are_a_422(client, make_provider, method, url, field):
    alice = make_provider()
    response = client.request(method, url, headers=alice.headers)
    body = assert_problem(response, 422, field)
    assert body["errors"][0]["field"] == field


def test_notes_with_a_nul_are_a_422(client, make_provider):
    alice = make_provider()
    created = client.post("/prospects/inbound", json=MESSAGE, headers=alice.headers)
    prospect_id = created.json()["prospect"]["id"]
    response = client.patch(
        f"/prospects/{prospect_id}", json={"notes": "call back\x00"}, headers=alice.headers
    )
    assert_problem(response, 422, "notes")
    kept = client.patch(
        f"/prospects/{prospect_id}", json={"notes": "call back\n\tafter 6"}, headers=alice.headers
    )
    assert kept.status_code == 200, kept.text
    assert kept.json()["notes"] == "call back\n\tafter 6"


VALID_NAMES = ["José Ñúñez", "王小明", "Zoë 😀", "محمد علي", "דוד כהן", "Åsa Öberg-Lindqvist"]


@pytest.mark.parametrize("name", VALID_NAMES)
def test_valid_unicode_passes_as_sent(client, make_provider, name):
    alice = make_provider()
    body = f"Bonjour 👩‍💻 {name}\n¿Podemos vernos? مرحبا שלום 你好"
    inbound = {"channel": "email", "sender_email": "a@example.org", "sender_name": name}
    response = client.post(
        "/prospects/inbound", json={**inbound, "body": body}, headers=alice.headers
    )
    assert response.status_code == 201, response.text
    assert response.json()["prospect"]["display_name"] == name
    assert response.json()["touchpoint"]["body"] == body  # the emoji's joiner is kept


def test_zero_width_characters_are_removed_from_names(client, make_provider):
    alice = make_provider()
    inbound = {**MESSAGE, "sender_name": "\ufeffAnn\u200b Lee\u2060"}
    response = client.post("/prospects/inbound", json=inbound, headers=alice.headers)
    assert response.status_code == 201, response.text
    assert response.json()["prospect"]["display_name"] == "Ann Lee"


STRICT_NUMBERS = {
    "true as an int": (
        "post", "/prospect-graph/contributions",
        {"prospect_id": "p1", "outcome": "booked", "outcome_version": True},
        "outcome_version",
    ),
    "text as an int": (
        "post", "/prospect-graph/contributions",
        {"prospect_id": "p1", "outcome": "booked", "outcome_version": "2"},
        "outcome_version",
    ),
    "beyond 64-bit": (
        "post", "/prospect-graph/contributions",
        {"prospect_id": "p1", "outcome": "booked", "outcome_version": 2**64},
        "outcome_version",
    ),
    "text as minutes": (
        "put", "/qualify/profile",
        {"services": [{"name": "Massage", "duration_minutes": "60"}]},
        "duration_minutes",
    ),
    "true as a price": (
        "put", "/qualify/profile",
        {"services": [{"name": "Massage", "price_min": True, "price_max": 9, "currency": "GBP"}]},
        "price_min",
    ),
}  # fmt: skip


@pytest.mark.parametrize(
    "method,path,body,field", list(STRICT_NUMBERS.values()), ids=list(STRICT_NUMBERS)
)
def test_numbers_are_strict(client, make_provider, method, path, body, field):
    alice = make_provider()
    response = client.request(method, path, json=body, headers=alice.headers)
    assert_problem(response, 422, field)


def test_a_body_above_the_limit_is_a_413_before_parsing(client, make_provider):
    alice = make_provider()
    big = {**MESSAGE, "body": "x" * (MAX_JSON_BODY_BYTES + 1)}
    declared = client.post("/prospects/inbound", json=big, headers=alice.headers)
    assert_problem(declared, 413)

    def chunks():
        yield b'{"channel": "sms", "sender_phone": "07911 123456", "body": "'
        for _ in range(MAX_JSON_BODY_BYTES // 65536 + 1):
            yield b"x" * 65536
        yield b'"}'

    headers = alice.headers | {"content-type": "application/json"}
    streamed = client.post("/prospects/inbound", content=chunks(), headers=headers)
    assert "content-length" not in streamed.request.headers
    assert_problem(streamed, 413)
    assert client.get("/prospects", headers=alice.headers).json()["total"] == 0


def test_an_unknown_path_or_method_is_a_problem_naming_what_is_allowed(client, make_provider):
    alice = make_provider()
    assert_problem(client.get("/nope", headers=alice.headers), 404)
    wrong = client.put("/me", json={}, headers=alice.headers)
    assert_problem(wrong, 405)
    assert set(wrong.headers["allow"].split(", ")) == {"GET", "PATCH"}
    # the MCP transport still answers at exactly /mcp, and only there
    assert client.post("/mcp", json={}, headers=alice.headers).status_code != 404
    assert_problem(client.post("/mcp/extra", json={}, headers=alice.headers), 404)


def test_malformed_json_answers_problem_json(client, make_provider):
    alice = make_provider()
    headers = alice.headers | {"content-type": "application/json"}
    broken = client.post("/prospects/inbound", content=b'{"channel": "sms", ', headers=headers)
    assert 400 <= broken.status_code < 500
    assert_problem(broken, broken.status_code)


def test_an_unhandled_error_is_a_500_problem_without_the_exception_text(
    runtime, make_provider, monkeypatch
):
    from prospecting.prospects import service

    def broken(**_: Any) -> None:
        raise RuntimeError("secret-internal-detail")

    monkeypatch.setattr(service, "list_prospects", broken)
    alice = make_provider()
    with TestClient(create_app(runtime=runtime), raise_server_exceptions=False) as client:
        response = client.get("/prospects", headers=alice.headers)
    body = assert_problem(response, 500)
    assert "secret-internal-detail" not in response.text
    assert "RuntimeError" not in response.text
    assert body["type"] == "/problems/internal_error"


MCP_BAD = {
    "year 9999 west of UTC": (
        "qualify_inbound",
        {**MESSAGE, "received_at": BAD_TIMES["year 9999 west of UTC"]},
        "received_at",
    ),
    "year 1 east of UTC": (
        "qualify_inbound",
        {**MESSAGE, "received_at": BAD_TIMES["year 1 east of UTC"]},
        "received_at",
    ),
    "negative epoch": ("qualify_inbound", {**MESSAGE, "received_at": -100000}, "received_at"),
    "NUL in a message": ("qualify_inbound", {**MESSAGE, "body": "Hi\x00"}, "body"),
    "bidi in a name": (
        "qualify_inbound",
        {**MESSAGE, "sender_name": "Ann\u202eLee"},
        "sender_name",
    ),
    "NUL in an id": ("get_prospect", {"prospect_id": "p\x00"}, "prospect_id"),
    "true as a limit": ("list_drafts", {"limit": True}, "limit"),
    "true as a page size": ("list_prospects", {"limit": True}, "limit"),
    "beyond 64-bit limit": ("list_prospects", {"limit": 2**64}, "limit"),
    "true as a version": (
        "graph_contribute",
        {"prospect_id": "p1", "outcome": "booked", "outcome_version": True},
        "outcome_version",
    ),
    "true as minutes": (
        "update_profile",
        {"services": [{"name": "Massage", "duration_minutes": True}]},
        "duration_minutes",
    ),
    "NUL in an FAQ answer": (
        "update_profile",
        {"faq": [{"question": "Parking?", "answer": "Yes\x00"}]},
        "answer",
    ),
}


@pytest.mark.parametrize("tool,arguments,field", list(MCP_BAD.values()), ids=list(MCP_BAD))
def test_mcp_names_the_field_and_what_to_send(runtime, make_provider, tool, arguments, field):
    alice = make_provider()

    async def call() -> Any:
        async with Client(build_server(runtime, bound_token=alice.token)) as client:
            return await client.call_tool(tool, arguments)

    result = anyio.run(call)
    assert result.is_error
    text = result.content[0].text
    assert text.startswith("invalid_input: "), text
    lines = [line for line in text.splitlines() if field in line.split(":")[0]]
    assert lines, text
    assert "send" in lines[0], text
    assert not any(marker in text for marker in PYDANTIC_DUMP), text
    assert "Error executing tool" not in text


def test_a_csv_import_keeps_no_name_with_control_or_bidi_characters(client, make_provider):
    alice = make_provider()
    csv = (
        "name,phone,email\n"
        "Ann\x00Lee,07911 123456,\n"
        "Bob \u202eyaB,07911 123457,\n"
        "Cy\u200b Ro,07911 123458,\n"
    )
    headers = alice.headers | {"Content-Type": "text/csv; charset=utf-8"}
    response = client.post(
        "/prospects/import", content=csv.encode(), headers=headers, params={"contribute": "false"}
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["imported"] == 3
    assert {(w["row"], w["field"]) for w in report["warnings"]} == {(2, "name"), (3, "name")}
    names = {
        p["display_name"] for p in client.get("/prospects", headers=alice.headers).json()["items"]
    }
    assert names == {None, "Cy Ro"}


BAD_PROFILE = {
    "NUL in a display name": ("patch", "/me", {"display_name": "Dr\x00 Who"}, "display_name"),
    "bidi override in a region": ("patch", "/me", {"region": "GB-\u202eLND"}, "region"),
    "line break in a category": (
        "patch", "/me", {"service_categories": ["therapy\ncoaching"]}, "service_categories.0",
    ),
    "control character in a token name": ("post", "/tokens", {"name": "laptop\x1b"}, "name"),
    "NUL in an org name": ("post", "/orgs", {"name": "Clinic\x00"}, "name"),
}  # fmt: skip


@pytest.mark.parametrize(
    "method,path,body,field", list(BAD_PROFILE.values()), ids=list(BAD_PROFILE)
)
def test_identity_text_follows_the_same_rule(client, make_provider, method, path, body, field):
    alice = make_provider()
    response = client.request(method, path, json=body, headers=alice.headers)
    assert_problem(response, 422, field)


@pytest.mark.parametrize("name", VALID_NAMES)
def test_a_unicode_display_name_is_kept(client, make_provider, name):
    alice = make_provider()
    response = client.patch("/me", json={"display_name": name}, headers=alice.headers)
    assert response.status_code == 200, response.text
    assert response.json()["display_name"] == name


TEXT_SAMPLES = [
    "plain",
    "",
    "Zoë Ångström",
    "李小龍 🙂",
    "שלום \u200f",
    "tab\there",
    "two\nlines",
    "carriage\rreturn",
    "trailing line break\n",
    "nul\x00",
    "bell\x07",
    "escape\x1b[0m",
    "delete\x7f",
    "c1\x85",
    "c1 end\x9f",
    "no-break\xa0space",
    "override\u202e",
    "embedding\u202a",
    "isolate\u2066",
    "pop isolate\u2069",
    "\u2067rtl isolate",
    "zero\u200bwidth",
    "joiner 👩\u200d💻",
    "bom\ufeff",
    "   ",
    "\u200b",
    " \u200b\u2060 ",
    "x",
]


@pytest.mark.parametrize("one_line", [True, False])
@pytest.mark.parametrize("sample", TEXT_SAMPLES)
def test_the_schema_pattern_and_the_text_rule_agree(sample, one_line):
    """The JSON Schema patterns (anchored, so a full match reads as JSON Schema does) accept
    exactly what text_problem accepts; the FILLED ones also ask for text once trimmed."""
    from prospecting import fields

    plain, filled = (
        (fields.LINE_PATTERN, fields.FILLED_LINE_PATTERN)
        if one_line
        else (fields.TEXT_PATTERN, fields.FILLED_TEXT_PATTERN)
    )
    accepted = fields.text_problem(sample, one_line=one_line) is None
    assert (re.fullmatch(plain, sample) is not None) is accepted
    cleaned = fields.clean_line(sample) if one_line and accepted else sample.strip()
    assert (re.fullmatch(filled, sample) is not None) is (accepted and bool(cleaned))


def test_the_schemas_state_the_text_rule():
    """Every text field a caller fills in carries its rule's pattern in the OpenAPI document."""
    from prospecting import fields
    from prospecting.prospects.schemas import InboundMessage
    from prospecting.qualify.schemas import EditIn

    inbound = InboundMessage.model_json_schema()["properties"]
    assert inbound["sender_name"]["anyOf"][0]["pattern"] == fields.LINE_PATTERN
    assert inbound["body"]["pattern"] == fields.FILLED_TEXT_PATTERN
    assert EditIn.model_json_schema()["properties"]["body"]["pattern"] == fields.FILLED_TEXT_PATTERN
