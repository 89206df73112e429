"""`prospecting coop ...`: the CLI adapter over the provider coop (docs/coop.md).

Every command but `sweep` acts for one Person, chosen as `prospecting prospects import` chooses
it: the owner of an API token (`--as-token`, or PROSPECTING_TOKEN so the token stays out of the
shell history), or a Person id given by the operator of this machine (`--person`). The coop
services load inside each command, so `prospecting --help` does not pay for them. Domain errors
go through the shared `edge()` mapping: one line naming the field, exit status 2.

`coop sweep` applies every due expiry and timeout (consents, intros, hand-off offers) and says
how many rows moved; it is meant for cron.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from prospecting.db import utcnow
from prospecting.edges.cli.common import build_runtime, console, edge, err_console
from prospecting.errors import InvalidInput
from prospecting.identity import service as identity
from prospecting.identity.models import Person
from prospecting.runtime import Runtime

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from prospecting.coop.handoffs import HandoffOut, OfferOut
    from prospecting.coop.intros import IntroOut
    from prospecting.coop.schemas import FeatureState, Vouch

T = TypeVar("T")

coop_app = typer.Typer(help="The provider coop: vetting, listing, warm intros and hand-offs.")
intro_app = typer.Typer(help="Warm intros: propose one, or answer one you received.")
handoff_app = typer.Typer(help="Hand-offs you send: offer, withdraw, report the outcome.")
offer_app = typer.Typer(help="Hand-off offers made to you: accept or decline.")
ask_app = typer.Typer(
    help="Intro asks: ask the peers behind a reachable prospect, or answer a peer's ask."
)
coop_app.add_typer(intro_app, name="intro")
coop_app.add_typer(handoff_app, name="handoff")
coop_app.add_typer(offer_app, name="offer")
coop_app.add_typer(ask_app, name="ask")

AsToken = Annotated[
    str | None,
    typer.Option(
        "--as-token",
        envvar="PROSPECTING_TOKEN",
        help="Act as the Person this API token belongs to.",
        show_envvar=True,
    ),
]
AsPerson = Annotated[str | None, typer.Option("--person", help="Act as this Person id (operator).")]
Fields = Annotated[
    list[str],
    typer.Option("--field", help="What the prospect is asked to share: name, phone, email."),
]
KnownForOpt = Annotated[
    str | None,
    typer.Option(
        "--known-for",
        help="Vouch: how long you have known the person "
        "(under_3_months, 3_to_12_months, 1_to_3_years, over_3_years).",
    ),
]
Reliable = Annotated[
    bool, typer.Option("--attended-reliably", help="Vouch: came to booked sessions.")
]
PaidOnTime = Annotated[bool, typer.Option("--paid-on-time", help="Vouch: paid on time.")]
Respectful = Annotated[bool, typer.Option("--respectful", help="Vouch: respectful.")]
SeeAgain = Annotated[
    bool, typer.Option("--would-see-again", help="Vouch: you would see them again.")
]
OUTCOMES = "booked, not_booked or no_answer"


# --- acting ------------------------------------------------------------------------------------


def _check_actor(token: str | None, person_id: str | None) -> None:
    if (token is None) == (person_id is None):
        err_console.print("[red]error:[/red] give exactly one of --as-token or --person")
        raise typer.Exit(2)


def _actor(session: Session, token: str | None, person_id: str | None) -> Person:
    if token is not None:
        return identity.authenticate(session=session, token=token)
    assert person_id is not None
    return identity.get_person(session=session, person_id=person_id)


def _in_session(
    token: str | None, person_id: str | None, work: Callable[[Runtime, Session, Person], T]
) -> T:
    """One tenant transaction as the acting Person (services that take a session)."""
    _check_actor(token, person_id)
    with edge():
        runtime = build_runtime()
        try:
            with runtime.stores.tenant() as session:
                return work(runtime, session, _actor(session, token, person_id))
        finally:
            runtime.stores.dispose()


def _as_actor(token: str | None, person_id: str | None, work: Callable[[Runtime, Person], T]) -> T:
    """The acting Person, then a workflow that opens its own transactions."""
    _check_actor(token, person_id)
    with edge():
        runtime = build_runtime()
        try:
            with runtime.stores.tenant_read() as session:
                actor = _actor(session, token, person_id)
            return work(runtime, actor)
        finally:
            runtime.stores.dispose()


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


class _Lines:
    """Rows as one plain line each: the first cell (an id, copied into the next command) in
    full, then `header=value` for each filled cell. Greppable, never truncated, no markup."""

    def __init__(self, *headers: str) -> None:
        self.headers = headers
        self.rows: list[tuple[str, ...]] = []

    def add(self, *cells: str) -> None:
        self.rows.append(cells)

    def show(self) -> None:
        if not self.rows:
            _say("(none)")
        for first, *rest in self.rows:
            named = [f"{h}={c}" for h, c in zip(self.headers[1:], rest, strict=True) if c]
            _say("  ".join([first, *named]))


def _say(text: str) -> None:
    console.print(text, highlight=False, soft_wrap=True, markup=False)


def _vouch(
    known_for: str | None, reliable: bool, paid: bool, respectful: bool, again: bool
) -> Vouch | None:
    from prospecting.coop.schemas import Vouch

    if known_for is None:
        if reliable or paid or respectful or again:
            raise InvalidInput("known_for", "a vouch needs --known-for")
        return None
    return Vouch.model_validate(
        {
            "known_for": known_for,
            "attended_reliably": reliable,
            "paid_on_time": paid,
            "respectful": respectful,
            "would_see_again": again,
        }
    )


def _intro_vouch(
    known_for: str | None, reliable: bool, paid: bool, respectful: bool, again: bool
) -> Vouch:
    """A warm intro always carries a vouch: --known-for is required."""
    vouch = _vouch(known_for, reliable, paid, respectful, again)
    if vouch is None:
        raise InvalidInput("known_for", "a warm intro needs a vouch: give --known-for")
    return vouch


# --- vetting, listing, network -----------------------------------------------------------------


@coop_app.command("status")
def status(
    as_token: AsToken = None,
    person: AsPerson = None,
    category: Annotated[
        str | None, typer.Option(help="Network state for this category (default: your listing's).")
    ] = None,
    region: Annotated[str | None, typer.Option(help="... and this region (lower case).")] = None,
) -> None:
    """Where you stand: vetting, your listing, and the network states for intros and hand-offs."""
    from prospecting.coop import listing, network, vetting
    from prospecting.errors import NotFound

    def work(runtime: Runtime, session: Session, actor: Person) -> tuple[Any, Any, list[Any]]:
        standing = vetting.vetting_status(session=session, actor=actor)
        try:
            mine = listing.get_listing(session=session, actor=actor)
        except NotFound:
            mine = None
        where = region if category else (mine.region if mine else None)
        scopes = [category] if category else (mine.categories if mine else [])
        states = [
            network.feature_state(
                session=session,
                settings=runtime.settings,
                actor=actor,
                feature=feature,
                category=scope,
                region=where,
            )
            for scope in scopes
            for feature in ("intros", "handoffs")
        ]
        return standing, mine, states

    standing, mine, states = _in_session(as_token, person, work)
    if standing.vetted:
        _say(
            f"vetted: yes (verified by {standing.verified_by_orgs} org(s), "
            f"{standing.endorsements_from_vetted} endorsement(s) from vetted peers)"
        )
    else:
        _say(
            f"vetted: not yet ({standing.endorsements_from_vetted} endorsement(s) from vetted "
            f"peers; {standing.endorsements_needed} more, or an Org admin's verification)"
        )
    if mine is None:
        _say("listing: none (publish one: prospecting coop listing --category ... --accepting)")
    else:
        _say(_listing_line(mine))
    _states(states)


def _listing_line(mine: Any) -> str:
    capacity = "accepting" if mine.accepting else "full"
    if mine.open_slots is not None:
        capacity += f", {mine.open_slots} open slot(s)"
    return (
        f"listing: {', '.join(mine.categories)} in {mine.region or 'any region'}; "
        f"services: {', '.join(mine.services) or '-'}; languages: {', '.join(mine.languages)}; "
        f"{capacity}"
    )


def _states(states: Sequence[FeatureState]) -> None:
    if not states:
        return
    table = _Lines("feature", "available", "state", "vetted_peers", "full_peers", "why")
    for state in states:
        table.add(
            state.feature,
            "yes" if state.available else "no",
            state.state,
            state.vetted_peers,
            state.full_peers,
            state.reason,
        )
    table.show()


@coop_app.command("endorse")
def endorse(
    peer_id: Annotated[str, typer.Argument(help="The provider you endorse.")],
    basis: Annotated[
        str,
        typer.Option(
            help="worked_alongside, referred_clients, supervised, trained_together or "
            "same_practice."
        ),
    ],
    known_for: Annotated[
        str,
        typer.Option(
            "--known-for", help="under_3_months, 3_to_12_months, 1_to_3_years or over_3_years."
        ),
    ],
    as_token: AsToken = None,
    person: AsPerson = None,
) -> None:
    """Endorse a peer provider (you must be vetted); two from vetted peers vet them."""
    from prospecting.coop import vetting
    from prospecting.coop.schemas import EndorseIn

    def work(_runtime: Runtime, session: Session, actor: Person) -> str:
        data = EndorseIn(peer_id=peer_id, basis=basis, known_for=known_for)  # type: ignore[arg-type]
        return vetting.endorse(session=session, actor=actor, data=data).id

    _say(f"endorsed: {_in_session(as_token, person, work)}")


@coop_app.command("verify")
def verify(
    person_id: Annotated[str, typer.Argument(help="The member you verify.")],
    org: Annotated[str, typer.Option("--org", help="Your Org's id (you are its org_admin).")],
    as_token: AsToken = None,
    person: AsPerson = None,
) -> None:
    """As an Org admin, verify an active member of your Org: that vets them."""
    from prospecting.coop import vetting

    def work(_runtime: Runtime, session: Session, actor: Person) -> str:
        return vetting.verify_member(
            session=session, actor=actor, org_id=org, person_id=person_id
        ).id

    _say(f"verified: {_in_session(as_token, person, work)}")


@coop_app.command("listing")
def publish_listing(
    category: Annotated[
        list[str] | None, typer.Option("--category", help="Category (repeatable).")
    ] = None,
    region: Annotated[
        str | None, typer.Option(help="Region, lower case (e.g. gb-lnd); none: any.")
    ] = None,
    service: Annotated[
        list[str] | None, typer.Option("--service", help="Service (repeatable).")
    ] = (None),
    language: Annotated[
        list[str] | None, typer.Option("--language", help="Language code (repeatable; en).")
    ] = None,
    accepting: Annotated[
        bool | None,
        typer.Option("--accepting/--full", help="Accepting new clients now, or full."),
    ] = None,
    open_slots: Annotated[int | None, typer.Option("--open-slots", help="Open slots.")] = None,
    as_token: AsToken = None,
    person: AsPerson = None,
) -> None:
    """Publish (or replace) your listing: what the network may match you on, and capacity.
    Without --category it shows your current listing."""
    from prospecting.coop import listing
    from prospecting.coop.schemas import ListingIn

    def work(_runtime: Runtime, session: Session, actor: Person) -> Any:
        if not category:
            return listing.get_listing(session=session, actor=actor)
        if accepting is None:
            raise InvalidInput("accepting", "give --accepting or --full")
        data = ListingIn.model_validate(
            {
                "categories": category,
                "region": region,
                "services": service or [],
                "languages": language or ["en"],
                "accepting": accepting,
                "open_slots": open_slots,
            }
        )
        return listing.publish(session=session, actor=actor, data=data)

    mine = _in_session(as_token, person, work)
    _say(_listing_line(mine))
    _say(f"vetted: {'yes' if mine.vetted else 'not yet'}")


@coop_app.command("network")
def network_state(
    category: Annotated[str, typer.Option(help="Category, e.g. therapy.")],
    region: Annotated[str | None, typer.Option(help="Region, lower case (none: any).")] = None,
    as_token: AsToken = None,
    person: AsPerson = None,
) -> None:
    """Whether warm intros and hand-offs are available in a category and region, and why."""
    from prospecting.coop import network

    def work(runtime: Runtime, session: Session, actor: Person) -> list[FeatureState]:
        return [
            network.feature_state(
                session=session,
                settings=runtime.settings,
                actor=actor,
                feature=feature,
                category=category,
                region=region,
            )
            for feature in ("intros", "handoffs")
        ]

    _states(_in_session(as_token, person, work))


# --- warm intros -------------------------------------------------------------------------------


@coop_app.command("intros")
def list_intros(
    role: Annotated[str, typer.Option(help="sent, received or all.")] = "all",
    as_token: AsToken = None,
    person: AsPerson = None,
) -> None:
    """Your warm intros, newest first (received ones once the prospect said yes)."""
    from prospecting.coop import intros

    def work(_runtime: Runtime, session: Session, actor: Person) -> list[IntroOut]:
        if role not in ("sent", "received", "all"):
            raise InvalidInput("role", "sent, received or all")
        return intros.list_for(session=session, actor=actor, role=role)  # type: ignore[arg-type]

    _intro_table(_in_session(as_token, person, work))


def _intro_table(rows: Sequence[IntroOut]) -> None:
    table = _Lines("id", "role", "status", "peer", "fields", "outcome", "expires")
    for row in rows:
        peer = row.receiver_name if row.role == "sent" else row.sender_name
        table.add(
            row.id,
            row.role,
            row.status.value,
            peer or "",
            ",".join(row.fields),
            row.outcome or "",
            _when(row.expires_at),
        )
    table.show()


def _intro_line(out: IntroOut) -> str:
    return f"intro {out.id}: {out.status.value}"


@intro_app.command("propose")
def propose_intro(
    prospect_id: Annotated[str, typer.Argument(help="Your prospect.")],
    peer_id: Annotated[str, typer.Argument(help="The vetted peer you introduce them to.")],
    known_for: KnownForOpt = None,
    attended_reliably: Reliable = False,
    paid_on_time: PaidOnTime = False,
    respectful: Respectful = False,
    would_see_again: SeeAgain = False,
    field: Fields = ["name"],  # noqa: B006 - Typer reads the default, never mutates it
    as_token: AsToken = None,
    person: AsPerson = None,
) -> None:
    """Ask your prospect's consent to a warm intro to a named vetted peer, with a vouch."""
    from prospecting.workflows import coop as flows

    def work(runtime: Runtime, actor: Person) -> IntroOut:
        vouch = _intro_vouch(
            known_for, attended_reliably, paid_on_time, respectful, would_see_again
        )
        return flows.propose_intro(
            runtime,
            actor=actor,
            prospect_id=prospect_id,
            receiver_id=peer_id,
            vouch=vouch,
            fields=field,  # type: ignore[arg-type]
        )

    out = _as_actor(as_token, person, work)
    _say(f"{_intro_line(out)} (consent {out.consent_id} asked of the prospect)")


@intro_app.command("accept")
def accept_intro(intro_id: str, as_token: AsToken = None, person: AsPerson = None) -> None:
    """Accept an intro awaiting you: you get a new prospect, qualified, with a drafted message."""
    from prospecting.workflows import coop as flows

    def work(runtime: Runtime, actor: Person) -> Any:
        return flows.accept_intro(runtime, actor=actor, intro_id=intro_id)

    done = _as_actor(as_token, person, work)
    _say(
        f"intro {done.ref_id}: accepted; your new prospect {done.prospect_id} "
        f"(p_book {done.p_book:.2f}), draft {done.draft_id}"
    )


@intro_app.command("decline")
def decline_intro(intro_id: str, as_token: AsToken = None, person: AsPerson = None) -> None:
    """Decline an intro awaiting you; the sender is told (status only)."""
    from prospecting.coop import intros

    def work(_runtime: Runtime, session: Session, actor: Person) -> IntroOut:
        return intros.decline(session=session, actor=actor, intro_id=intro_id, now=utcnow())

    _say(_intro_line(_in_session(as_token, person, work)))


@intro_app.command("withdraw")
def withdraw_intro(intro_id: str, as_token: AsToken = None, person: AsPerson = None) -> None:
    """Take back an intro you sent, before the peer accepted it."""
    from prospecting.coop import intros

    def work(_runtime: Runtime, session: Session, actor: Person) -> IntroOut:
        return intros.withdraw(session=session, actor=actor, intro_id=intro_id, now=utcnow())

    _say(_intro_line(_in_session(as_token, person, work)))


@intro_app.command("outcome")
def intro_outcome(
    intro_id: str,
    outcome: Annotated[str, typer.Argument(help=OUTCOMES)],
    as_token: AsToken = None,
    person: AsPerson = None,
) -> None:
    """Report what came of an intro you accepted (the sender sees only this field)."""
    from prospecting.coop import intros

    def work(_runtime: Runtime, session: Session, actor: Person) -> IntroOut:
        return intros.record_outcome(
            session=session,
            actor=actor,
            intro_id=intro_id,
            outcome=outcome,  # type: ignore[arg-type]
        )

    out = _in_session(as_token, person, work)
    _say(f"{_intro_line(out)}, outcome {out.outcome}")


# --- hand-offs ---------------------------------------------------------------------------------


def _handoff_line(out: HandoffOut) -> str:
    return f"hand-off {out.id}: {out.status.value}"


@coop_app.command("handoffs")
def list_handoffs(as_token: AsToken = None, person: AsPerson = None) -> None:
    """The hand-offs you sent, newest first."""
    from prospecting.coop import handoffs

    def work(_runtime: Runtime, session: Session, actor: Person) -> list[HandoffOut]:
        return handoffs.list_sent(session=session, actor=actor)

    _handoff_table(_in_session(as_token, person, work))


def _handoff_table(rows: Sequence[HandoffOut]) -> None:
    table = _Lines("id", "status", "reason", "category", "region", "offers", "winner", "outcome")
    for row in rows:
        table.add(
            row.id,
            row.status.value,
            row.reason,
            row.category,
            row.region or "",
            str(row.offers_made),
            row.winner_name or "",
            row.outcome or "",
        )
    table.show()


@handoff_app.command("offer")
def offer_handoff(
    prospect_id: Annotated[str, typer.Argument(help="Your prospect.")],
    reason: Annotated[str, typer.Option(help="overflow (you are full) or wrong_fit.")],
    category: Annotated[str, typer.Option(help="The category to hand off to.")],
    region: Annotated[str | None, typer.Option(help="Region, lower case.")] = None,
    service: Annotated[str | None, typer.Option(help="A service the peer must list.")] = None,
    language: Annotated[str | None, typer.Option(help="A language the peer must list.")] = None,
    known_for: KnownForOpt = None,
    attended_reliably: Reliable = False,
    paid_on_time: PaidOnTime = False,
    respectful: Respectful = False,
    would_see_again: SeeAgain = False,
    field: Fields = ["name"],  # noqa: B006 - Typer reads the default, never mutates it
    as_token: AsToken = None,
    person: AsPerson = None,
) -> None:
    """Ask your prospect's consent to hand them to matching vetted peers with capacity; offers
    go out one at a time once they say yes."""
    from prospecting.workflows import coop as flows

    def work(runtime: Runtime, actor: Person) -> HandoffOut:
        return flows.offer_handoff(
            runtime,
            actor=actor,
            prospect_id=prospect_id,
            reason=reason,  # type: ignore[arg-type]
            category=category,
            region=region,
            service=service,
            language=language,
            vouch=_vouch(known_for, attended_reliably, paid_on_time, respectful, would_see_again),
            fields=field,  # type: ignore[arg-type]
        )

    out = _as_actor(as_token, person, work)
    _say(f"{_handoff_line(out)} (consent {out.consent_id} asked of the prospect)")


@handoff_app.command("withdraw")
def withdraw_handoff(handoff_id: str, as_token: AsToken = None, person: AsPerson = None) -> None:
    """Take back a hand-off you sent, before anyone accepted it."""
    from prospecting.coop import handoffs

    def work(_runtime: Runtime, session: Session, actor: Person) -> HandoffOut:
        return handoffs.withdraw(session=session, actor=actor, handoff_id=handoff_id, now=utcnow())

    _say(_handoff_line(_in_session(as_token, person, work)))


@handoff_app.command("outcome")
def handoff_outcome(
    handoff_id: str,
    outcome: Annotated[str, typer.Argument(help=OUTCOMES)],
    as_token: AsToken = None,
    person: AsPerson = None,
) -> None:
    """Report what came of a hand-off you won (the sender sees only this field)."""
    from prospecting.coop import handoffs

    def work(_runtime: Runtime, session: Session, actor: Person) -> HandoffOut:
        return handoffs.record_outcome(
            session=session,
            actor=actor,
            handoff_id=handoff_id,
            outcome=outcome,  # type: ignore[arg-type]
        )

    out = _in_session(as_token, person, work)
    _say(f"{_handoff_line(out)}, outcome {out.outcome}")


@coop_app.command("offers")
def list_offers(as_token: AsToken = None, person: AsPerson = None) -> None:
    """Hand-off offers waiting for you: the structured facts only (no sender, no person)."""
    from prospecting.coop import handoffs

    def work(_runtime: Runtime, session: Session, actor: Person) -> list[OfferOut]:
        return handoffs.list_offers(session=session, actor=actor)

    _offer_table(_in_session(as_token, person, work))


def _offer_table(rows: Sequence[OfferOut]) -> None:
    table = _Lines("offer", "hand-off", "reason", "category", "region", "service", "expires")
    for row in rows:
        table.add(
            row.id,
            row.handoff_id,
            row.reason,
            row.category,
            row.region or "",
            row.service or "",
            _when(row.expires_at),
        )
    table.show()


def _offer_handoff_id(session: Session, actor: Person, offer_id: str) -> str:
    """The hand-off of the actor's own offer; another's (or none) answers like a missing one."""
    from prospecting.coop.models import HandoffOffer
    from prospecting.errors import NotFound

    made = session.get(HandoffOffer, offer_id)
    if made is None or made.candidate_id != actor.id:
        raise NotFound("offer")
    return made.handoff_id


@offer_app.command("accept")
def accept_offer(offer_id: str, as_token: AsToken = None, person: AsPerson = None) -> None:
    """Take the hand-off you were offered (the first acceptance wins): you get a new prospect,
    qualified, with a drafted first message."""
    from prospecting.workflows import coop as flows

    def work(runtime: Runtime, actor: Person) -> Any:
        with runtime.stores.tenant_read() as session:
            handoff_id = _offer_handoff_id(session, actor, offer_id)
        return flows.accept_handoff(runtime, actor=actor, handoff_id=handoff_id, offer_id=offer_id)

    done = _as_actor(as_token, person, work)
    _say(
        f"hand-off {done.ref_id}: accepted; your new prospect {done.prospect_id} "
        f"(p_book {done.p_book:.2f}), draft {done.draft_id}"
    )


@offer_app.command("decline")
def decline_offer(offer_id: str, as_token: AsToken = None, person: AsPerson = None) -> None:
    """Decline a hand-off offer; it goes on to the next peer."""
    from prospecting.coop import handoffs

    def work(runtime: Runtime, session: Session, actor: Person) -> OfferOut:
        return handoffs.decline_offer(
            session=session, actor=actor, offer_id=offer_id, now=utcnow(), settings=runtime.settings
        )

    out = _in_session(as_token, person, work)
    _say(f"offer {out.id}: {out.status.value}")


# --- what is waiting, the audit, the sweep -----------------------------------------------------


# --- intro asks ------------------------------------------------------------------------------


@ask_app.command("send")
def send_ask(
    prospect_id: Annotated[str, typer.Argument(help="Your prospect the graph says is reachable.")],
    as_token: AsToken = None,
    person: AsPerson = None,
) -> None:
    """Ask the consented, vetted peers with a positive outcome with this person for a warm
    intro. You learn how many were asked, never who: a peer reveals themselves by proposing."""
    from prospecting.workflows import coop as flows

    def work(runtime: Runtime, actor: Person) -> Any:
        return flows.ask_intro(runtime, actor=actor, prospect_id=prospect_id, channel="cli")

    out = _as_actor(as_token, person, work)
    _say(f"ask {out.state}: {out.asked} peer(s) asked now, {out.open} open ({out.reason})")


@ask_app.command("status")
def ask_status(
    prospect_id: Annotated[str | None, typer.Argument(help="One of your prospects.")] = None,
    as_token: AsToken = None,
    person: AsPerson = None,
) -> None:
    """Your asks, as counts by status."""
    from prospecting.coop import asks

    def work(_runtime: Runtime, session: Session, actor: Person) -> Any:
        return asks.status_for_asker(session=session, actor=actor, prospect_id=prospect_id)

    out = _in_session(as_token, person, work)
    _say(
        f"open={out.open} fulfilled={out.fulfilled} declined={out.declined} "
        f"expired={out.expired} closed={out.closed}"
    )


@ask_app.command("received")
def received_asks(as_token: AsToken = None, person: AsPerson = None) -> None:
    """Open asks from peers for an intro to one of your prospects."""
    from prospecting.coop import asks

    def work(_runtime: Runtime, session: Session, actor: Person) -> Any:
        return asks.list_for_holder(session=session, actor=actor)

    _ask_table(_in_session(as_token, person, work))


def _ask_table(rows: Sequence[Any]) -> None:
    table = _Lines("ask", "status", "your_prospect", "asker", "asker_name", "category", "expires")
    for a in rows:
        table.add(
            a.id,
            a.status,
            a.prospect_id,
            a.asker_id,
            a.asker_name or "",
            a.asker_category or "",
            _when(a.expires_at),
        )
    table.show()


@ask_app.command("fulfil")
def fulfil_ask(
    ask_id: str,
    known_for: KnownForOpt = None,
    attended_reliably: Reliable = False,
    paid_on_time: PaidOnTime = False,
    respectful: Respectful = False,
    would_see_again: SeeAgain = False,
    field: Fields = ["name"],  # noqa: B006 - Typer reads the default, never mutates it
    as_token: AsToken = None,
    person: AsPerson = None,
) -> None:
    """Agree to an ask: propose the warm intro to the asker (your prospect is asked first)."""
    from prospecting.workflows import coop as flows

    def work(runtime: Runtime, actor: Person) -> Any:
        vouch = _intro_vouch(
            known_for, attended_reliably, paid_on_time, respectful, would_see_again
        )
        return flows.fulfil_intro_ask(
            runtime,
            actor=actor,
            ask_id=ask_id,
            vouch=vouch,
            fields=field,  # type: ignore[arg-type]
        )

    out = _as_actor(as_token, person, work)
    _say(f"ask {out.ask.id}: fulfilled; {_intro_line(out.intro)}")


@ask_app.command("decline")
def decline_ask(ask_id: str, as_token: AsToken = None, person: AsPerson = None) -> None:
    """Decline an ask; the asker only sees one fewer open ask."""
    from prospecting.coop import asks

    def work(_runtime: Runtime, session: Session, actor: Person) -> Any:
        return asks.decline(session=session, actor=actor, ask_id=ask_id)

    _ask_table([_in_session(as_token, person, work)])


@coop_app.command("waiting")
def waiting(as_token: AsToken = None, person: AsPerson = None) -> None:
    """What waits for you (intros to answer, offers to take, intro asks) and what you wait on."""
    from prospecting.coop import service as coop

    def work(_runtime: Runtime, session: Session, actor: Person) -> Any:
        return coop.waiting(session=session, actor=actor)

    found = _in_session(as_token, person, work)
    _say(
        f"waiting for you: {len(found.intros_to_answer)} intro(s), {len(found.offers)} hand-off "
        f"offer(s), {len(found.intro_asks)} intro ask(s)"
    )
    if found.intros_to_answer:
        _intro_table(found.intros_to_answer)
    if found.offers:
        _offer_table(found.offers)
    if found.intro_asks:
        _ask_table(found.intro_asks)
    sent = found.intros_awaiting_prospect + found.intros_awaiting_peer
    handed = found.handoffs_awaiting_prospect + found.handoffs_offering
    _say(f"you wait on others: {len(sent)} intro(s), {len(handed)} hand-off(s)")
    if sent:
        _intro_table(sent)
    if handed:
        _handoff_table(handed)


@coop_app.command("audit")
def coop_audit(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many entries.")] = 50,
    object_id: Annotated[
        str | None, typer.Option("--object", help="Only this intro, hand-off, consent, ...")
    ] = None,
    as_token: AsToken = None,
    person: AsPerson = None,
) -> None:
    """Your side of the coop audit, newest first (codes only, no text or PII)."""
    from prospecting.coop import audit

    def work(_runtime: Runtime, session: Session, actor: Person) -> list[tuple[str, ...]]:
        rows = audit.entries(session=session, actor=actor, limit=limit, object_id=object_id)
        return [
            (
                _when(e.at),
                e.action,
                e.actor,
                f"{e.object_kind}:{e.object_id}",
                e.counterpart_id or "",
                json.dumps(e.detail, sort_keys=True) if e.detail else "",
            )
            for e in rows
        ]

    table = _Lines("at", "action", "by", "object", "counterpart", "detail")
    for row in _in_session(as_token, person, work):
        table.add(*row)
    table.show()


@coop_app.command("sweep")
def sweep() -> None:
    """Apply every due expiry and timeout (consents, intros, hand-off offers); for cron."""
    from prospecting.workflows import coop as flows

    with edge():
        runtime = build_runtime()
        try:
            moved = flows.sweep(runtime)
        finally:
            runtime.stores.dispose()
    _say(f"coop sweep: {moved} row(s) moved")
