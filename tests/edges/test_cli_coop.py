"""`prospecting coop ...` drives the coop services over a real store, as the token's Person."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from typer.testing import CliRunner

from conftest import person
from coop.conftest import coop_org_admin, vetted  # noqa: F401 - fixtures used by name
from prospecting.coop import service as coop
from prospecting.coop.models import HandoffOffer, OfferStatus
from prospecting.db import utcnow
from prospecting.edges.cli.main import app
from prospecting.identity import service as identity
from prospecting.identity.schemas import MembershipCreate, OrgCreate
from prospecting.prospects import service as prospects
from prospecting.prospects.schemas import InboundMessage

runner = CliRunner()
ID = re.compile(r"\b[0-9a-f]{32}\b")


def _cli(env: dict[str, str], token: str, *args: str) -> Any:
    result = runner.invoke(app, ["coop", *args, "--as-token", token], env=env)
    return result


def _ok(env: dict[str, str], token: str, *args: str) -> str:
    result = _cli(env, token, *args)
    assert result.exit_code == 0, result.output
    return str(result.output)


def _prospect(runtime: Any, owner_id: str, phone: str = "07911 123456") -> str:
    message = InboundMessage(
        channel="sms", sender_phone=phone, sender_name="Jamie Clarke", body="Any space next week?"
    )
    with runtime.stores.tenant() as session:
        ingested = prospects.ingest(
            session=session,
            actor=person(session, owner_id),
            resolver=runtime.resolver,
            message=message,
        )
        return ingested.as_result().prospect.id


def _prospect_says(runtime: Any, owner_id: str, prospect_id: str, body: str) -> None:
    with runtime.stores.tenant() as session:
        decided = coop.decide_by_reply(
            session=session, person_id=owner_id, prospect_id=prospect_id, body=body, now=utcnow()
        )
    assert decided is not None


def test_cli_warm_intro_from_proposal_to_acceptance(cli_env, runtime, vetted) -> None:  # noqa: F811
    env = cli_env | {"PROSPECTING_COOP_INTRO_MIN_PEERS": "2"}
    a, b, c = vetted(3)
    prospect_id = _prospect(runtime, a.id)
    status = _ok(env, a.token, "status")
    assert "vetted: yes" in status and "listing: therapy in london" in status
    assert re.search(r"^intros\s+available=yes\s+state=dense", status, re.M), status
    proposed = _ok(
        env,
        a.token,
        *("intro", "propose", prospect_id, b.id, "--known-for", "over_3_years"),
        *("--respectful", "--field", "name", "--field", "phone"),
    )
    assert "awaiting_consent" in proposed
    intro_id = ID.findall(proposed)[0]
    # B sees nothing before the prospect's yes.
    assert _ok(env, b.token, "intros").strip() == "(none)"
    _prospect_says(runtime, a.id, prospect_id, "YES")
    waiting = _ok(env, b.token, "waiting")
    assert "waiting for you: 1 intro(s), 0 hand-off offer(s)" in waiting
    assert f"{intro_id}  role=received  status=awaiting_peer" in waiting
    # Another provider's intro answers like a missing one.
    foreign = _cli(env, c.token, "intro", "accept", intro_id)
    missing = _cli(env, c.token, "intro", "accept", "0" * 32)
    assert foreign.exit_code == missing.exit_code == 2
    assert foreign.output == missing.output and "intro not found" in foreign.output
    accepted = _ok(env, b.token, "intro", "accept", intro_id)
    assert f"intro {intro_id}: accepted; your new prospect" in accepted
    assert "booked" in _ok(env, b.token, "intro", "outcome", intro_id, "booked")
    sent = _ok(env, a.token, "intros", "--role", "sent")
    assert f"{intro_id}  role=sent  status=accepted" in sent and "outcome=booked" in sent
    audit = _ok(env, a.token, "audit", "--object", intro_id)
    assert "action=intro_proposed" in audit and "action=intro_outcome" in audit


def test_cli_handoff_offers_cascade_on_sweep_and_decline(cli_env, runtime, vetted) -> None:  # noqa: F811
    [sender] = vetted(1, accepting=False)
    candidates = {p.id: p for p in vetted(2)}
    prospect_id = _prospect(runtime, sender.id)
    offered = _ok(
        cli_env,
        sender.token,
        *("handoff", "offer", prospect_id, "--reason", "overflow"),
        *("--category", "therapy", "--region", "london", "--field", "name"),
    )
    handoff_id = ID.findall(offered)[0]
    assert f"hand-off {handoff_id}: awaiting_consent" in offered
    for candidate in candidates.values():  # no offer before the prospect's yes
        assert _ok(cli_env, candidate.token, "offers").strip() == "(none)"
    _prospect_says(runtime, sender.id, prospect_id, "yes")
    holding = [p for p in candidates.values() if handoff_id in _ok(cli_env, p.token, "offers")]
    assert len(holding) == 1
    first = holding[0]

    nothing_due = runner.invoke(app, ["coop", "sweep"], env=cli_env)
    assert nothing_due.exit_code == 0, nothing_due.output
    assert nothing_due.output.strip() == "coop sweep: 0 row(s) moved"
    with runtime.stores.tenant() as session:  # the first offer's time runs out
        session.execute(
            update(HandoffOffer)
            .where(HandoffOffer.handoff_id == handoff_id)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    swept = runner.invoke(app, ["coop", "sweep"], env=cli_env)
    assert swept.exit_code == 0, swept.output
    assert swept.output.strip() == "coop sweep: 1 row(s) moved"
    assert _ok(cli_env, first.token, "offers").strip() == "(none)"
    [second] = [p for p in candidates.values() if p is not first]
    offer_line = _ok(cli_env, second.token, "offers")
    offer_id = ID.findall(offer_line)[0]
    assert f"hand-off={handoff_id}" in offer_line and "reason=overflow" in offer_line
    assert "declined" in _ok(cli_env, second.token, "offer", "decline", offer_id)
    sent = _ok(cli_env, sender.token, "handoffs")
    assert f"{handoff_id}  status=exhausted" in sent and "offers=2" in sent
    with runtime.stores.tenant_read() as session:
        statuses = set(
            session.scalars(
                select(HandoffOffer.status).where(HandoffOffer.handoff_id == handoff_id)
            )
        )
    assert statuses == {OfferStatus.TIMED_OUT, OfferStatus.DECLINED}


def test_cli_handoff_offer_is_taken_by_its_holder(cli_env, runtime, vetted) -> None:  # noqa: F811
    [sender] = vetted(1, accepting=False)
    [taker] = vetted(1)
    prospect_id = _prospect(runtime, sender.id)
    offered = _ok(
        cli_env,
        sender.token,
        *("handoff", "offer", prospect_id, "--reason", "overflow", "--category", "therapy"),
        *("--field", "name", "--field", "phone", "--known-for", "3_to_12_months"),
    )
    handoff_id = ID.findall(offered)[0]
    _prospect_says(runtime, sender.id, prospect_id, "yes")
    offer_id = ID.findall(_ok(cli_env, taker.token, "offers"))[0]
    # The sender cannot take an offer made to someone else: like a missing one.
    stolen = _cli(cli_env, sender.token, "offer", "accept", offer_id)
    assert stolen.exit_code == 2 and "offer not found" in stolen.output
    taken = _ok(cli_env, taker.token, "offer", "accept", offer_id)
    assert f"hand-off {handoff_id}: accepted; your new prospect" in taken
    reported = _ok(cli_env, taker.token, "handoff", "outcome", handoff_id, "no_answer")
    assert "outcome no_answer" in reported
    assert "winner=Test Provider" in _ok(cli_env, sender.token, "handoffs")


def test_cli_org_admin_verifies_a_member_who_then_lists(cli_env, runtime, make_provider) -> None:
    admin, member = make_provider(), make_provider()
    with runtime.stores.tenant() as session:
        boss = person(session, admin.id)
        org = identity.create_org(session=session, data=OrgCreate(name="Clinic"), admin=boss)
        identity.invite_member(
            session=session, actor=boss, org_id=org.id, data=MembershipCreate(person_id=member.id)
        )
        identity.accept_invitation(session=session, actor=person(session, member.id), org_id=org.id)
    before = _ok(cli_env, member.token, "status")
    assert "vetted: not yet" in before and "listing: none" in before
    verified = runner.invoke(
        app, ["coop", "verify", member.id, "--org", org.id, "--person", admin.id], env=cli_env
    )
    assert verified.exit_code == 0, verified.output
    listed = _ok(
        cli_env,
        member.token,
        *("listing", "--category", "therapy", "--region", "gb-lnd", "--service", "cbt"),
        *("--language", "en", "--language", "fr", "--full"),
    )
    assert "listing: therapy in gb-lnd; services: cbt; languages: en, fr; full" in listed
    assert "vetted: yes" in listed
    state = _ok(cli_env, member.token, "network", "--category", "therapy", "--region", "gb-lnd")
    assert re.search(r"^handoffs\s+available=no\s+state=empty", state, re.M), state


def test_cli_coop_errors_name_the_field_and_exit_nonzero(cli_env, vetted, make_provider) -> None:  # noqa: F811
    a, b = vetted(2)
    stranger = make_provider()
    cases = [
        (a.token, ["listing", "--category", "therapy"], "accepting: give --accepting or --full"),
        (a.token, ["listing", "--category", "Not A Slug", "--accepting"], "categories"),
        (a.token, ["endorse", b.id, "--basis", "friends", "--known-for", "over_3_years"], "basis"),
        (a.token, ["intros", "--role", "everyone"], "role: sent, received or all"),
        (stranger.token, ["intro", "propose", "x", a.id, "--known-for", "over_3_years"], "vetted"),
        (a.token, ["intro", "propose", "x", b.id], "known_for"),
    ]
    for token, args, expected in cases:
        result = _cli(cli_env, token, *args)
        assert result.exit_code == 2, (args, result.output)
        assert expected in result.output, (args, result.output)
    no_actor = runner.invoke(app, ["coop", "status"], env=cli_env)
    assert no_actor.exit_code == 2 and "--as-token or --person" in no_actor.output
    bad_token = _cli(cli_env, "pt_not-a-token", "status")
    assert bad_token.exit_code == 2 and "Traceback" not in bad_token.output


def test_cli_intro_asks_for_the_holder(cli_env, runtime, vetted) -> None:  # noqa: F811
    """A peer's ask (stored as coop.asks.ask stores it after a positive graph answer, which
    tests/coop/test_asks.py covers) is listed to its holder, fulfilled as a warm intro, and
    the asker sees counts only."""
    from prospecting.coop.models import IntroAsk, IntroAskStatus

    env = cli_env | {"PROSPECTING_COOP_INTRO_MIN_PEERS": "2"}
    holder, asker, _peer = vetted(3)
    with runtime.stores.tenant() as session:
        ask = IntroAsk(
            asker_id=asker.id,
            asker_prospect_id=_prospect(runtime, asker.id, "07911 123457"),
            holder_id=holder.id,
            holder_prospect_id=_prospect(runtime, holder.id),
            status=IntroAskStatus.OPEN,
            expires_at=utcnow() + timedelta(days=3),
        )
        session.add(ask)
        session.flush()
        ask_id = ask.id
    assert "1 intro ask(s)" in _ok(env, holder.token, "waiting")
    assert f"{ask_id}  status=open" in _ok(env, holder.token, "ask", "received")
    assert _ok(env, asker.token, "ask", "received").strip() == "(none)"
    assert "open=1" in _ok(env, asker.token, "ask", "status")
    assert _cli(env, asker.token, "ask", "decline", ask_id).exit_code == 2  # not theirs
    missing = _cli(env, holder.token, "ask", "fulfil", ask_id)
    assert missing.exit_code == 2 and "known_for" in missing.output
    done = _ok(
        env, holder.token, *("ask", "fulfil", ask_id, "--known-for", "over_3_years", "--respectful")
    )
    assert "fulfilled" in done and "awaiting_consent" in done
    assert "fulfilled=1" in _ok(env, asker.token, "ask", "status")
