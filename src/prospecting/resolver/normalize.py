"""Pure normalisers for prospect identifiers.

Each returns the canonical form that is hashed; the scheme id stored beside the digest names
the rules used, so a rule change is a new scheme, never a silent change of digests.
Every normaliser is deterministic and idempotent: ``f(f(x)) == f(x)``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from prospecting.errors import InvalidInput

EMAIL_SCHEME = "email-uid2-v2"
PHONE_SCHEME = "phone-e164-v1"
NAME_SCHEME = "name-nfkc-v1"

_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
SUBADDRESS_DOMAINS = frozenset(
    {
        # Microsoft consumer mail
        "outlook.com",
        "hotmail.com",
        "hotmail.co.uk",
        "hotmail.fr",
        "hotmail.de",
        "hotmail.es",
        "hotmail.it",
        "live.com",
        "live.co.uk",
        "msn.com",
        # Apple iCloud
        "icloud.com",
        "me.com",
        "mac.com",
        # Proton
        "proton.me",
        "protonmail.com",
        "protonmail.ch",
        "pm.me",
        # Fastmail
        "fastmail.com",
        "fastmail.fm",
        "fastmail.net",
        # Zoho, Yandex, mailbox.org (plus-addressing documented by each)
        "zoho.com",
        "zohomail.com",
        "yandex.com",
        "yandex.ru",
        "mailbox.org",
    }
)
"""Consumer mail domains that deliver ``local+tag@domain`` to ``local@domain`` (scheme v2); a
tag is removed only here, since elsewhere ``+`` may be part of a real, different mailbox."""
_MAX_PASSES = 4


def _fixed_point(once: Callable[[str], str], raw: str, *, field: str) -> str:
    """Apply ``once`` until its output stops changing, which makes the result idempotent."""
    current = once(raw)
    for _ in range(_MAX_PASSES):
        following = once(current)
        if following == current:
            return current
        current = following
    raise InvalidInput(field, "has no stable normal form")


def normalize_email(raw: str, *, field: str = "email") -> str:
    """Trim, lowercase, validate, ASCII (IDNA) domain; Gmail dots and ``+tag`` removed (UID2),
    and ``+tag`` removed for the other providers in SUBADDRESS_DOMAINS (scheme v2)."""

    def once(value: str) -> str:
        try:
            checked = validate_email(value.strip().lower(), check_deliverability=False)
        except EmailNotValidError as exc:
            raise InvalidInput(field, f"not a valid email address ({exc})") from None
        local = checked.local_part.lower()
        domain = checked.ascii_domain.lower()
        if domain in _GMAIL_DOMAINS:
            domain = "gmail.com"
            local = local.split("+", 1)[0].replace(".", "")
        elif domain in SUBADDRESS_DOMAINS:
            local = local.split("+", 1)[0]
        if not local:
            raise InvalidInput(field, "not a valid email address (empty mailbox name)")
        return f"{local}@{domain}"

    # One pass is already a fixed point (property-tested); a second validation would only
    # double the cost of the hottest normaliser.
    return once(raw)


def normalize_phone(raw: str, *, default_region: str | None, field: str = "phone") -> str:
    """E.164 form. A national number needs ``default_region``; the country is never guessed.

    ``default_region`` is an ISO 3166-1 alpha-2 code; an unknown code is a configuration
    error (``ValueError``), not the caller's input error.
    """
    return classify_phone(raw, default_region=default_region, field=field)[0]


def classify_phone(
    raw: str, *, default_region: str | None, field: str = "phone"
) -> tuple[str, bool]:
    """`normalize_phone`'s E.164 form and `is_household_line` of it, from one parse and one
    classification (the hot path of every inbound: parsing and typing a number cost more than
    hashing it). A number is valid exactly when its type is known: `is_valid_number` is
    `number_type(...) != UNKNOWN` for the number's own region (tested against it)."""
    region = default_region.strip().upper() if default_region is not None else None
    if region is not None and region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"unknown default region {default_region!r}")
    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            reason = (
                "the country cannot be determined: give the number in international form"
                " (+country code) or set a default region"
                if region is None
                else "unknown country calling code"
            )
            raise InvalidInput(field, reason) from None
        raise InvalidInput(field, "not a phone number") from None
    kind = phonenumbers.number_type(number)
    if kind == phonenumbers.PhoneNumberType.UNKNOWN:
        raise InvalidInput(field, "not a valid phone number")
    e164 = str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return e164, kind == phonenumbers.PhoneNumberType.FIXED_LINE


def is_household_line(e164: str) -> bool:
    """A fixed (geographic) line: it rings at an address, for everyone who lives there, so it
    is no one person's contact. A number that may be either (`FIXED_LINE_OR_MOBILE`, most of
    North America) counts as a personal phone."""
    number = phonenumbers.parse(e164, None)
    return bool(phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.FIXED_LINE)


def _name_once(value: str) -> str:
    folded = unicodedata.normalize("NFKC", value).casefold()
    kept: list[str] = []
    for char in unicodedata.normalize("NFKD", folded):
        category = unicodedata.category(char)
        if category in ("Mn", "Me", "Cf"):
            continue
        kept.append(" " if category[0] in "PSZ" or category in ("Cc", "Cs") else char)
    return unicodedata.normalize("NFC", " ".join("".join(kept).split()))


def normalize_name(raw: str, *, field: str = "name") -> str:
    """NFKC, casefold, no diacritics, punctuation and symbols as spaces, single spaces."""
    normalized = _fixed_point(_name_once, raw, field=field)
    if not normalized:
        raise InvalidInput(field, "has no letters or digits")
    return normalized
