"""The prospect's consent to one share (docs/coop.md, "Prospect consent").

A provider asks (`request_share`): the request goes out through the outbox in the prospect's
language, naming who would receive what until when, with a public link and "reply YES or NO".
The link's token is 32 random bytes; only its SHA-256 is stored. The prospect answers once:
on the page (`decide_by_token`) or by a reply (`decide_by_reply`); each is one conditional
UPDATE on a pending, unexpired row, so a double submit or a race gives one decision.

Revocation: the provider records it (`revoke`), or the prospect uses the same link once more,
by POST only, to withdraw a *granted* consent while its share is not complete (no accepted
intro or hand-off on it) and `share_until` has not passed. Viewing a used link (GET) always
shows the neutral "no longer valid" page, so the link reveals nothing once used; after a
revocation the row is no longer granted and the link is dead for good.

The token is returned to the caller only (tests, CLI); it is never logged or stored.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import and_, exists, select, update
from sqlalchemy.orm import Session

from prospecting.config import Settings
from prospecting.coop import audit
from prospecting.coop.models import (
    Handoff,
    HandoffStatus,
    Intro,
    IntroStatus,
    ShareConsent,
    ShareStatus,
)
from prospecting.coop.schemas import Decision, ShareField
from prospecting.db import new_id, owned, utcnow
from prospecting.errors import Conflict, ConsentPending, InvalidInput, NotFound
from prospecting.identity.models import Person
from prospecting.prospects import service as prospects
from prospecting.qualify import outbox
from prospecting.qualify.profile import profile_for

LANGUAGES = ("en", "fr", "es", "de")
"""Languages the request and the page are written in (one catalog per language in templates/)."""
FIELDS: tuple[ShareField, ...] = ("name", "phone", "email", "vouch")
PURPOSES = ("intro", "handoff")

_YES = frozenset({"yes", "y", "oui", "o", "si", "sí", "ja", "j", "ok", "sim", "da"})
_NO = frozenset({"no", "n", "non", "nein", "nee", "não", "nao", "nej"})


@dataclass(frozen=True)
class ConsentPage:
    """What the public page shows for a pending consent: no phone, no email of the prospect."""

    consent_id: str
    language: str
    provider: str
    fields: tuple[str, ...]
    who: str
    share_until: datetime | None
    expires_at: datetime


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- words --------------------------------------------------------------------------------


@functools.cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("prospecting.coop", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )


@functools.cache
def catalog(language: str) -> dict[str, Any]:
    """One language's words (the `T` mapping of templates/<language>.j2); English otherwise."""
    lang = language if language in LANGUAGES else "en"
    module: Any = _environment().get_template(f"{lang}.j2").make_module()
    words: dict[str, Any] = module.T
    return words


def _who(session: Session, consent: ShareConsent, words: dict[str, Any]) -> str:
    if consent.recipient_id is not None:
        peer = session.get(Person, consent.recipient_id)
        return peer.display_name if peer is not None else ""
    scope = consent.recipient_scope or {}
    key = "scope" if scope.get("region") else "scope_anywhere"
    text: str = words[key].format(category=scope.get("category", ""), region=scope.get("region"))
    return text


def _date(value: datetime | None) -> str:
    return value.date().isoformat() if value is not None else ""


def render_page(
    *,
    kind: Literal["ask", "yes", "no", "revoked", "invalid"],
    language: str = "en",
    page: ConsentPage | None = None,
    action: str = "",
    revocable: bool = False,
    css: str = "",
) -> str:
    """The public page's HTML (escaped): the question, a thank-you, or the neutral page."""
    words = catalog(language)
    return (
        _environment()
        .get_template("page.html.j2")
        .render(
            T=words,
            kind=kind,
            page=page,
            who=page.who if page else "",
            until=_date(page.share_until) if page else "",
            expires=_date(page.expires_at) if page else "",
            action=action,
            revocable=revocable,
            css=css,
        )
    )


# --- asking --------------------------------------------------------------------------------


def _language(session: Session, actor: Person, language: str | None) -> str:
    if language is not None:
        if language not in LANGUAGES:
            raise InvalidInput("language", f"one of {', '.join(LANGUAGES)}")
        return language
    for lang in profile_for(session=session, actor=actor).languages:
        if lang in LANGUAGES:
            return str(lang)
    return "en"


def request_share(
    *,
    session: Session,
    settings: Settings,
    actor: Person,
    prospect_id: str,
    purpose: str,
    fields: list[ShareField],
    recipient_id: str | None = None,
    scope: dict[str, Any] | None = None,
    language: str | None = None,
    share_days: int = 90,
) -> tuple[ShareConsent, str]:
    """Ask the actor's prospect to agree to one share; queue the request in the outbox.

    Returns the consent and the link's token (for the caller only: never logged or stored).
    """
    if purpose not in PURPOSES:
        raise InvalidInput("purpose", f"one of {', '.join(PURPOSES)}")
    if not fields or any(f not in FIELDS for f in fields):
        raise InvalidInput("fields", f"a non-empty subset of {', '.join(FIELDS)}")
    if (recipient_id is None) == (scope is None):
        raise InvalidInput("recipient_id", "name either a peer or a {category, region} scope")
    if scope is not None and not scope.get("category"):
        raise InvalidInput("scope", "a category is required")
    if not 1 <= share_days <= 365:
        raise InvalidInput("share_days", "between 1 and 365")
    prospect = prospects.owned_prospect(session=session, actor=actor, prospect_id=prospect_id)
    if recipient_id is not None:
        peer = session.get(Person, recipient_id)
        if peer is None or peer.id == actor.id:
            raise NotFound("peer")
    if prospect.phone_e164:
        channel, address = "sms", prospect.phone_e164
    elif prospect.email:
        channel, address = "email", prospect.email
    else:
        raise InvalidInput("prospect_id", "the prospect has no phone or email to ask them")
    lang = _language(session, actor, language)
    now = utcnow()
    token = secrets.token_urlsafe(32)
    consent = ShareConsent(
        id=new_id(),
        person_id=actor.id,
        prospect_id=prospect.id,
        purpose=purpose,
        fields=[f for f in FIELDS if f in fields],
        recipient_id=recipient_id,
        recipient_scope=(
            {"category": scope.get("category"), "region": scope.get("region")} if scope else None
        ),
        language=lang,
        token_digest=token_digest(token),
        status=ShareStatus.PENDING,
        expires_at=now + timedelta(hours=settings.coop_consent_ttl_hours),
        share_until=now + timedelta(days=share_days),
        created_at=now,
    )
    session.add(consent)
    session.flush()
    words = catalog(lang)
    body = (
        _environment()
        .get_template("request.txt.j2")
        .render(
            T=words,
            name=f" {prospect.display_name}" if prospect.display_name else "",
            provider=actor.display_name,
            what=", ".join(words["fields"][f] for f in consent.fields),
            who=_who(session, consent, words),
            until=_date(consent.share_until),
            link=f"{settings.public_base_url.rstrip('/')}/consent/{token}",
        )
        .strip()
    )
    outbox.enqueue_notice(
        session=session,
        person_id=actor.id,
        purpose="coop_consent",
        ref_id=consent.id,
        channel=channel,
        recipient=address,
        body=body,
    )
    audit.record(
        session,
        person_id=actor.id,
        actor="self",
        object_kind="consent",
        object_id=consent.id,
        action="consent_requested",
        detail={"purpose": purpose, "fields": consent.fields, "language": lang},
        at=now,
    )
    return consent, token


# --- answering -----------------------------------------------------------------------------


def _by_token(session: Session, token: str) -> ShareConsent | None:
    if not token or len(token) > 200:
        return None
    return session.scalars(
        select(ShareConsent).where(ShareConsent.token_digest == token_digest(token))
    ).first()


def page(*, session: Session, token: str, now: datetime) -> ConsentPage | None:
    """What to ask on the page; None for an unknown, used, expired or decided link."""
    consent = _by_token(session, token)
    if (
        consent is None
        or consent.status != ShareStatus.PENDING
        or consent.link_used_at is not None
        or consent.expires_at <= now
    ):
        return None
    words = catalog(consent.language)
    provider = session.get(Person, consent.person_id)
    return ConsentPage(
        consent_id=consent.id,
        language=consent.language,
        provider=provider.display_name if provider is not None else "",
        fields=tuple(consent.fields),
        who=_who(session, consent, words),
        share_until=consent.share_until,
        expires_at=consent.expires_at,
    )


def _decide(
    session: Session, condition: Any, *, decision: Decision, via: str, now: datetime
) -> ShareConsent | None:
    """One conditional UPDATE from pending: of two concurrent answers, one changes the row."""
    status = ShareStatus.GRANTED if decision == "yes" else ShareStatus.DECLINED
    row = session.execute(
        update(ShareConsent)
        .where(
            condition,
            ShareConsent.status == ShareStatus.PENDING,
            ShareConsent.link_used_at.is_(None),
            ShareConsent.expires_at > now,
        )
        .values(status=status, link_used_at=now, decided_at=now, decided_via=via)
        .returning(ShareConsent.id)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        return None
    consent = session.get(ShareConsent, row[0], populate_existing=True)
    assert consent is not None
    audit.record(
        session,
        person_id=consent.person_id,
        actor="prospect",
        object_kind="consent",
        object_id=consent.id,
        action="consent_granted" if decision == "yes" else "consent_declined",
        detail={"via": via},
        at=now,
    )
    return consent


def decide_by_token(
    *, session: Session, token: str, decision: Decision | Literal["revoke"], now: datetime
) -> ShareConsent | None:
    """The page's answer; None when the link is not (or no longer) valid for it."""
    if not token or len(token) > 200:
        return None
    digest = token_digest(token)
    if decision == "revoke":
        return _revoke_where(
            session, ShareConsent.token_digest == digest, via="page", now=now, actor="prospect"
        )
    if decision not in ("yes", "no"):
        return None
    return _decide(
        session, ShareConsent.token_digest == digest, decision=decision, via="page", now=now
    )


def reply_decision(body: str) -> Decision | None:
    """YES/NO in the languages we write in (Y, OUI, SI, SÍ, JA, NO, N, NON, NEIN, ...)."""
    words = "".join(ch for ch in body.strip().lower() if ch.isalnum() or ch.isspace()).split()
    if len(words) != 1:
        return None
    if words[0] in _YES:
        return "yes"
    if words[0] in _NO:
        return "no"
    return None


def pending_for(*, session: Session, person_id: str, prospect_id: str, now: datetime) -> str | None:
    """The id of the prospect's newest pending, unexpired consent, if any."""
    return session.scalars(
        select(ShareConsent.id)
        .where(
            ShareConsent.person_id == person_id,
            ShareConsent.prospect_id == prospect_id,
            ShareConsent.status == ShareStatus.PENDING,
            ShareConsent.expires_at > now,
        )
        .order_by(ShareConsent.created_at.desc(), ShareConsent.id.desc())
        .limit(1)
    ).first()


def decide_by_reply(
    *, session: Session, person_id: str, prospect_id: str, body: str, now: datetime
) -> ShareConsent | None:
    """A YES/NO reply decides the prospect's newest pending request; anything else: None."""
    decision = reply_decision(body)
    if decision is None:
        return None
    consent_id = pending_for(session=session, person_id=person_id, prospect_id=prospect_id, now=now)
    if consent_id is None:
        return None
    return _decide(session, ShareConsent.id == consent_id, decision=decision, via="reply", now=now)


# --- revoking ------------------------------------------------------------------------------


def _share_completed() -> Any:
    return exists().where(
        and_(Intro.consent_id == ShareConsent.id, Intro.status == IntroStatus.ACCEPTED)
    ) | exists().where(
        and_(Handoff.consent_id == ShareConsent.id, Handoff.status == HandoffStatus.ACCEPTED)
    )


def _revoke_where(
    session: Session,
    condition: Any,
    *,
    via: str,
    now: datetime,
    actor: Literal["self", "prospect"],
) -> ShareConsent | None:
    row = session.execute(
        update(ShareConsent)
        .where(
            condition,
            ShareConsent.status == ShareStatus.GRANTED,
            ShareConsent.share_until > now,
            ~_share_completed(),
        )
        .values(status=ShareStatus.REVOKED, decided_at=now, decided_via=via)
        .returning(ShareConsent.id)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        return None
    consent = session.get(ShareConsent, row[0], populate_existing=True)
    assert consent is not None
    audit.record(
        session,
        person_id=consent.person_id,
        actor=actor,
        object_kind="consent",
        object_id=consent.id,
        action="consent_revoked",
        detail={"via": via},
        at=now,
    )
    return consent


def revocable(*, session: Session, consent_id: str, now: datetime) -> bool:
    """Whether the prospect may still withdraw this consent (granted, share not complete)."""
    return (
        session.scalar(
            select(ShareConsent.id).where(
                ShareConsent.id == consent_id,
                ShareConsent.status == ShareStatus.GRANTED,
                ShareConsent.share_until > now,
                ~_share_completed(),
            )
        )
        is not None
    )


def revoke(*, session: Session, actor: Person, consent_id: str, now: datetime) -> ShareConsent:
    """The provider records the prospect's revocation of a pending or granted consent."""
    consent = owned(
        session, ShareConsent, consent_id, person_id=actor.id, kind="consent", lock=True
    )
    if consent.status == ShareStatus.PENDING:
        consent.status, consent.decided_at, consent.decided_via = (
            ShareStatus.REVOKED,
            now,
            "provider",
        )
        consent.link_used_at = consent.link_used_at or now
        audit.record(
            session,
            person_id=actor.id,
            actor="self",
            object_kind="consent",
            object_id=consent.id,
            action="consent_revoked",
            detail={"via": "provider"},
            at=now,
        )
        session.flush()
        return consent
    revoked = _revoke_where(
        session, ShareConsent.id == consent.id, via="provider", now=now, actor="self"
    )
    if revoked is None:
        raise Conflict(
            f"consent is {consent.status.value}; only a pending or granted one can be revoked"
        )
    return revoked


# --- reading -------------------------------------------------------------------------------


def require_granted(*, session: Session, consent_id: str, now: datetime) -> ShareConsent:
    """The consent, read under a row lock, if granted and its share window open; else
    ConsentPending (a concurrent revocation is seen: it holds the same lock)."""
    consent = session.scalars(
        select(ShareConsent)
        .where(ShareConsent.id == consent_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if (
        consent is None
        or consent.status != ShareStatus.GRANTED
        or (consent.share_until is not None and consent.share_until <= now)
    ):
        raise ConsentPending("the prospect has not agreed to this share")
    return consent


def expire(*, session: Session, now: datetime) -> list[ShareConsent]:
    """Close unanswered requests past `expires_at` and granted shares past `share_until`;
    returns the rows this call closed (each once, even with a concurrent sweep)."""
    due = list(
        session.execute(
            select(ShareConsent.id, ShareConsent.person_id).where(
                ((ShareConsent.status == ShareStatus.PENDING) & (ShareConsent.expires_at <= now))
                | ((ShareConsent.status == ShareStatus.GRANTED) & (ShareConsent.share_until <= now))
            )
        )
    )
    closed = []
    for consent_id, person_id in due:
        changed = session.execute(
            update(ShareConsent)
            .where(
                ShareConsent.id == consent_id,
                ShareConsent.status.in_([ShareStatus.PENDING, ShareStatus.GRANTED]),
            )
            .values(status=ShareStatus.EXPIRED, decided_at=now)
            .returning(ShareConsent.id)
            .execution_options(synchronize_session=False)
        ).first()
        if changed is None:
            continue
        audit.record(
            session,
            person_id=person_id,
            actor="system",
            object_kind="consent",
            object_id=consent_id,
            action="consent_expired",
            at=now,
        )
        row = session.get(ShareConsent, consent_id, populate_existing=True)
        if row is not None:
            closed.append(row)
    return closed


def expire_due(*, session: Session, now: datetime) -> int:
    """`expire`, counted."""
    return len(expire(session=session, now=now))
