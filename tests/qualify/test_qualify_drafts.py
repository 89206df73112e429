"""Offline drafts from the profile only, and the guarded language-model refinement."""

from __future__ import annotations

import json

import httpx
import pytest

from prospecting.prospects.schemas import InboundMessage
from prospecting.qualify import profile as service
from prospecting.qualify.drafts import build_draft, facts, guard_refinement
from prospecting.qualify.intent import Entities, Intent
from prospecting.qualify.refine import OpenAICompatibleRefiner, RefineRequest, refine
from prospecting.qualify.schemas import ProfileIn
from qualify.qualify_factories import BOOKING, PROFILE, ingest_and_qualify


def _intent(
    label: str, language: str = "en", service: str | None = None, wishes: list[str] | None = None
) -> Intent:
    return Intent(label, 0.9, language, Entities(service, wishes or [], "normal"))


def test_pricing_draft_quotes_only_profile_prices_and_never_invents_one():
    profile = ProfileIn.model_validate(PROFILE)
    priced = build_draft(
        intent=_intent("pricing_question", service="Initial consultation"),
        profile=profile,
        prospect_name="Jamie Clarke",
    )
    assert "£60\u2013£80" in priced.body and "Initial consultation" in priced.body
    unpriced = build_draft(
        intent=_intent("pricing_question", service="Couples therapy"),
        profile=profile,
        prospect_name=None,
    )
    assert "£" not in unpriced.body
    assert "confirm the pricing for Couples therapy" in unpriced.body
    bare = build_draft(intent=_intent("pricing_question"), profile=ProfileIn(), prospect_name=None)
    assert not any(ch.isdigit() for ch in bare.body)
    assert "confirm the pricing" in bare.body
    assert "Reply with a couple of times" in bare.body  # no booking link: no link invented
    assert "http" not in bare.body


@pytest.mark.parametrize(
    "label",
    [
        "booking_request",
        "availability_question",
        "pricing_question",
        "service_question",
        "reschedule_cancel",
        "not_a_prospect",
        "other",
    ],
)
@pytest.mark.parametrize("tone", ["warm", "concise", "formal"])
def test_every_intent_and_tone_drafts_only_profile_facts(label, tone):
    profile = ProfileIn.model_validate(PROFILE | {"tone": tone})
    draft = build_draft(
        intent=_intent(label, wishes=["thursday", "evening"]),
        profile=profile,
        prospect_name="Jamie",
    )
    assert draft.body and draft.tone == tone
    allowed = facts(json.dumps(PROFILE)) | {"£"}
    assert facts(draft.body) <= allowed, facts(draft.body) - allowed
    assert draft.suggested_action == ("discard" if label == "not_a_prospect" else "approve")


def test_spanish_message_gets_a_spanish_draft_and_unlisted_language_falls_back_to_the_first():
    profile = ProfileIn.model_validate(PROFILE)
    es = build_draft(
        intent=_intent("booking_request", "es", wishes=["thursday"]),
        profile=profile,
        prospect_name="Carlos",
    )
    # Was "¡Hola Carlos": a vocative takes a comma in Spanish.
    assert es.language == "es" and es.body.startswith("¡Hola, Carlos!") and "el jueves" in es.body
    fr = build_draft(intent=_intent("booking_request", "fr"), profile=profile, prospect_name=None)
    assert fr.language == "en"  # French is not among the provider's languages
    only_en = ProfileIn.model_validate(PROFILE | {"languages": ["en"]})
    assert build_draft(intent=_intent("other", "es"), profile=only_en).language == "en"
    es_first = ProfileIn.model_validate(PROFILE | {"languages": ["es", "en"]})
    assert build_draft(intent=_intent("other", "fr"), profile=es_first).language == "es"
    with_fr = ProfileIn.model_validate(PROFILE | {"languages": ["en", "fr"]})
    assert build_draft(intent=_intent("other", "fr"), profile=with_fr).language == "fr"


def test_guard_rejects_new_numbers_prices_links_and_addresses():
    offline = "Hi Jamie, book here: https://book.example.com/x - sessions are £60."
    assert guard_refinement(offline, "Hello Jamie! Book at https://book.example.com/x (£60).")
    for bad in (
        "Hi Jamie, £50 today",
        "Hi, see https://evil.example.com",
        "Write to me@example.com",
        "Thursday at 6pm works",
        "",
        None,
        "x" * 5000,
    ):
        assert guard_refinement(offline, bad) is None


def _endpoint(reply: str | None, status: int = 200) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/chat/completions"
        assert request.headers["authorization"] == "Bearer sk-test"
        if reply is None:
            raise httpx.ConnectTimeout("slow", request=request)
        return httpx.Response(status, json={"choices": [{"message": {"content": reply}}]})

    return httpx.MockTransport(handler)


def _refiner(reply: str | None, status: int = 200) -> OpenAICompatibleRefiner:
    return OpenAICompatibleRefiner(
        base_url="http://llm.invalid/v1",
        model="m",
        api_key="sk-test",
        transport=_endpoint(reply, status),
    )


def test_endpoint_refinement_is_used_when_safe_and_falls_back_on_any_failure():
    request = RefineRequest(
        "Hi Jamie, book here: https://b.example.com", "hi", "warm", "en", "booking_request"
    )
    assert refine(_refiner("Hello Jamie! Book here: https://b.example.com"), request) == (
        "Hello Jamie! Book here: https://b.example.com",
        "llm_endpoint",
    )
    for failing in (
        _refiner(None),
        _refiner("ok", status=500),
        _refiner("Hi Jamie, it's £40: https://b.example.com"),
        _refiner(""),
    ):
        assert refine(failing, request) == (request.draft, "offline")
    assert refine(None, request) == (request.draft, "offline")


def test_service_falls_back_to_the_offline_draft_with_a_failing_endpoint(runtime, make_provider):
    provider = make_provider()
    with runtime.stores.tenant() as session:
        from prospecting.identity.service import get_person

        me = get_person(session=session, person_id=provider.id)
        service.update_profile(session=session, actor=me, data=ProfileIn.model_validate(PROFILE))
        failed = ingest_and_qualify(
            session=session,
            actor=me,
            resolver=runtime.resolver,
            message=InboundMessage.model_validate(BOOKING),
            refiner=_refiner(None),
        )
        refined = ingest_and_qualify(
            session=session,
            actor=me,
            resolver=runtime.resolver,
            message=InboundMessage.model_validate(BOOKING | {"sender_phone": "07911 123457"}),
            refiner=_refiner("Dear Jamie, happy to help. https://book.example.com/test-provider"),
        )
    assert failed.draft.source == "offline" and "Initial consultation" in failed.draft.body
    assert refined.draft.source == "llm_endpoint"
    assert refined.draft.body.startswith("Dear Jamie")


def test_the_external_endpoint_never_sees_the_prospects_phone_email_or_name(runtime, make_provider):
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content)["messages"][1]["content"])
        return httpx.Response(200, json={"choices": [{"message": {"content": None}}]})

    refiner = OpenAICompatibleRefiner(
        base_url="http://llm.invalid/v1", model="m", transport=httpx.MockTransport(handler)
    )
    body = (
        "Hi, Jamie Clarke here - can I book Thursday 6pm? Call me on +44 7911 123 456 or "
        "07911-654321, or mail jamie.clarke@example.org"
    )
    provider = make_provider()
    with runtime.stores.tenant() as session:
        from prospecting.identity.service import get_person

        me = get_person(session=session, person_id=provider.id)
        service.update_profile(session=session, actor=me, data=ProfileIn.model_validate(PROFILE))
        ingest_and_qualify(
            session=session,
            actor=me,
            resolver=runtime.resolver,
            message=InboundMessage.model_validate(BOOKING | {"body": body}),
            refiner=refiner,
        )
    assert len(seen) == 1
    prompt = seen[0]
    message = prompt.split("<<<", 2)[1]
    assert "Thursday 6pm" in message  # what the prospect asked for still reaches the model
    for secret in ("7911", "123 456", "654321", "@", "example.org", "Jamie", "Clarke"):
        assert secret not in message, secret
    assert "7911" not in prompt and "example.org" not in prompt
