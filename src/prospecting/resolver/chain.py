"""The hash chain: the ordered per-dimension digests of one prospect, the graph's only keys."""

from __future__ import annotations

from dataclasses import dataclass, field

from prospecting.errors import InvalidInput
from prospecting.resolver.keys import EMAIL, NAME, NAME_EMAIL, NAME_PHONE, PHONE, Digest, Hasher
from prospecting.resolver.normalize import (
    EMAIL_SCHEME,
    NAME_SCHEME,
    PHONE_SCHEME,
    classify_phone,
    is_household_line,
    normalize_email,
    normalize_name,
)

NAME_PHONE_SCHEME = f"{NAME_SCHEME}+{PHONE_SCHEME}"
HOUSEHOLD_PHONE_SCHEME = f"{PHONE_SCHEME}+household"
"""A fixed line's phone digest: the same value as any phone digest of that number (so the
tenant still de-duplicates on it), marked so that it never leaves the tenant alone: a landline
is shared by everyone at one address, and in the graph a shared phone anchors a link, so it
would merge a household into one person. It reaches the graph only inside name+phone."""
NAME_EMAIL_SCHEME = f"{NAME_SCHEME}+{EMAIL_SCHEME}"
_JOIN = "\x1f"


@dataclass(frozen=True, repr=False)
class Identifiers:
    """Normalised identifiers of one prospect; ``None`` where absent. Its repr hides the values.

    `household_phone`: whether `phone` is a fixed line, when the normaliser already knows it
    (None: unknown, `hash_chain` works it out); derived from `phone`, so not compared."""

    phone: str | None
    email: str | None
    name: str | None
    phone_unverified: bool = False
    household_phone: bool | None = field(default=None, compare=False)

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={'<set>' if value is not None else None}"
            for name, value in vars(self).items()
            if name not in ("phone_unverified", "household_phone")
        )
        return f"Identifiers({shown})"


def _present(value: str | None) -> str | None:
    return value if value is not None and value.strip() else None


def normalize_identifiers(
    *,
    phone: str | None,
    email: str | None,
    name: str | None,
    default_region: str | None,
    lenient_phone: bool = False,
) -> Identifiers:
    """Normalise the sender's identifiers; errors name the API field (``sender_*``).

    With ``lenient_phone`` a phone that fails validation is not an error: the dimension is
    skipped (never hashed) and ``phone_unverified`` is set, so an inbound is never lost.
    """
    raw_phone, raw_email, raw_name = _present(phone), _present(email), _present(name)
    normalized_phone, unverified, household = None, False, None
    if raw_phone is not None:
        try:
            normalized_phone, household = classify_phone(
                raw_phone, default_region=default_region, field="sender_phone"
            )
        except InvalidInput:
            if not lenient_phone:
                raise
            unverified = True
    return Identifiers(
        phone=normalized_phone,
        phone_unverified=unverified,
        household_phone=household,
        email=normalize_email(raw_email, field="sender_email") if raw_email is not None else None,
        name=normalize_name(raw_name, field="sender_name") if raw_name is not None else None,
    )


def hash_chain(ids: Identifiers, hasher: Hasher) -> list[Digest]:
    """Digests in the fixed order phone, email, name, name+phone, name+email; absent inputs skip.
    A fixed line's phone digest carries `HOUSEHOLD_PHONE_SCHEME` (tenant only)."""
    chain: list[Digest] = []
    if ids.phone is not None:
        household = ids.household_phone
        if household is None:
            household = is_household_line(ids.phone)
        scheme = HOUSEHOLD_PHONE_SCHEME if household else PHONE_SCHEME
        chain.append(hasher.digest(PHONE, scheme, ids.phone))
    if ids.email is not None:
        chain.append(hasher.digest(EMAIL, EMAIL_SCHEME, ids.email))
    if ids.name is not None:
        chain.append(hasher.digest(NAME, NAME_SCHEME, ids.name))
        if ids.phone is not None:
            chain.append(hasher.digest(NAME_PHONE, NAME_PHONE_SCHEME, ids.name + _JOIN + ids.phone))
        if ids.email is not None:
            chain.append(hasher.digest(NAME_EMAIL, NAME_EMAIL_SCHEME, ids.name + _JOIN + ids.email))
    return chain
