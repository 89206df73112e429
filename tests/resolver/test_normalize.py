"""Normalisers: concrete rules, and determinism and idempotence as properties."""

from __future__ import annotations

from collections.abc import Callable

import phonenumbers
import pytest
from hypothesis import assume, given, reject
from hypothesis import strategies as st

from prospecting.errors import InvalidInput
from prospecting.resolver.normalize import (
    EMAIL_SCHEME,
    SUBADDRESS_DOMAINS,
    classify_phone,
    is_household_line,
    normalize_email,
    normalize_name,
    normalize_phone,
)

REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
NUMBER_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)
FORMATS = (
    phonenumbers.PhoneNumberFormat.E164,
    phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    phonenumbers.PhoneNumberFormat.NATIONAL,
)


def _normalized_or_reject(normalize: Callable[[str], str], raw: str) -> str:
    """The normal form, or a rejected example when hypothesis drew an invalid value."""
    try:
        return normalize(raw)
    except InvalidInput:
        reject()


@st.composite
def valid_numbers(draw: st.DrawFn) -> tuple[str, phonenumbers.PhoneNumber]:
    """A valid number of a supported region: an example number with its last digits redrawn."""
    region = draw(st.sampled_from(REGIONS))
    example = phonenumbers.example_number_for_type(region, draw(st.sampled_from(NUMBER_TYPES)))
    if example is None:
        reject()
    national = str(example.national_number)
    tail = draw(st.integers(min_value=0, max_value=min(3, len(national) - 1)))
    digits = draw(st.text(alphabet="0123456789", min_size=tail, max_size=tail))
    number = phonenumbers.PhoneNumber(
        country_code=example.country_code,
        national_number=int(national[: len(national) - tail] + digits),
        italian_leading_zero=example.italian_leading_zero,
        number_of_leading_zeros=example.number_of_leading_zeros,
    )
    assume(phonenumbers.is_valid_number(number))
    assume(phonenumbers.region_code_for_number(number) == region)
    return region, number


# Email


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("John.Doe+promo@GMAIL.com", "johndoe@gmail.com"),
        ("  j.o.h.n.doe@googlemail.com ", "johndoe@gmail.com"),
        ("John.Doe+promo@Example.COM", "john.doe+promo@example.com"),
        ("user@Bücher.de", "user@xn--bcher-kva.de"),
    ],
)
def test_email_rules(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize("raw", ["", "not-an-email", "a@b", "a..b@example.com", "+promo@gmail.com"])
def test_invalid_email_names_the_field(raw: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_email(raw, field="sender_email")
    assert caught.value.field == "sender_email"


@given(st.emails())
def test_email_is_idempotent_and_deterministic(raw: str) -> None:
    once = _normalized_or_reject(normalize_email, raw)
    assert normalize_email(raw) == once
    assert normalize_email(once) == once
    assert normalize_email(f"  {raw.upper()} ") == once


@given(st.emails())
def test_gmail_mailbox_has_no_dots_or_tag(raw: str) -> None:
    local = raw.rsplit("@", 1)[0]
    once = _normalized_or_reject(normalize_email, f"{local}@gmail.com")
    mailbox, domain = once.rsplit("@", 1)
    assert domain == "gmail.com"
    assert "." not in mailbox
    assert "+" not in mailbox
    assert normalize_email(f"{local}@googlemail.com") == once


DOCUMENTED = (
    "outlook.com",
    "hotmail.co.uk",
    "live.com",
    "msn.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "proton.me",
    "protonmail.com",
    "pm.me",
    "fastmail.com",
    "zoho.com",
    "yandex.ru",
    "mailbox.org",
)
"""The consumer domains the scheme names (Outlook/Hotmail/Live/MSN, iCloud, Proton, Fastmail,
Zoho, Yandex, mailbox.org): a sample each, so a dropped domain fails here."""


def test_the_email_scheme_is_v2() -> None:
    assert EMAIL_SCHEME == "email-uid2-v2"
    assert set(DOCUMENTED) <= SUBADDRESS_DOMAINS
    assert not {"gmail.com", "googlemail.com", "example.com", "yahoo.com"} & SUBADDRESS_DOMAINS


@pytest.mark.parametrize("domain", sorted(SUBADDRESS_DOMAINS))
def test_subaddress_tags_are_removed_where_the_provider_ignores_them(domain: str) -> None:
    assert normalize_email(f"Jamie.Clarke+Shop-2024@{domain.upper()}") == f"jamie.clarke@{domain}"
    assert normalize_email(f"jamie.clarke+a+b@{domain}") == f"jamie.clarke@{domain}"
    assert normalize_email(f"jamie.clarke@{domain}") == f"jamie.clarke@{domain}"  # dots stay
    with pytest.raises(InvalidInput):
        normalize_email(f"+tag@{domain}")  # nothing left of the mailbox


@pytest.mark.parametrize("domain", ["example.com", "yahoo.com", "outlook.example.com", "gmx.de"])
def test_subaddress_tags_are_kept_elsewhere(domain: str) -> None:
    assert normalize_email(f"Jamie+Shop@{domain}") == f"jamie+shop@{domain}"


@given(
    st.from_regex(r"[a-z0-9]{1,10}(\.[a-z0-9]{1,10})?", fullmatch=True),
    st.from_regex(r"[a-z0-9]{1,10}", fullmatch=True),
    st.sampled_from(sorted(SUBADDRESS_DOMAINS)),
)
def test_any_tag_on_a_subaddress_domain_normalises_to_the_untagged_mailbox(
    local: str, tag: str, domain: str
) -> None:
    untagged = _normalized_or_reject(normalize_email, f"{local}@{domain}")
    assert normalize_email(f"{local}+{tag}@{domain}") == untagged
    assert normalize_email(untagged) == untagged


@given(
    st.text(st.characters(categories=("L", "N")), min_size=1, max_size=20),
    st.sampled_from(["example.com", "gmail.com", "bücher.de"]),
)
def test_international_email_is_idempotent(local: str, domain: str) -> None:
    once = _normalized_or_reject(normalize_email, f"{local}@{domain}")
    assert normalize_email(once) == once


# Phone


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("(415) 555-2671", "US", "+14155552671"),
        ("020 7946 0018", "GB", "+442079460018"),
        ("+44 20 7946 0018", None, "+442079460018"),
        ("011 44 20 7946 0018", "US", "+442079460018"),
        ("+1 415 555 2671", "GB", "+14155552671"),
        ("(415) 555-2671", "us", "+14155552671"),
    ],
)
def test_phone_rules(raw: str, region: str | None, expected: str) -> None:
    assert normalize_phone(raw, default_region=region) == expected


def test_national_number_without_region_is_not_guessed() -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_phone("020 7946 0018", default_region=None, field="sender_phone")
    assert caught.value.field == "sender_phone"
    assert "country cannot be determined" in caught.value.reason


@pytest.mark.parametrize("raw", ["", "hello", "+1 555 0100", "12", "+999 1234567"])
def test_invalid_phone_is_rejected(raw: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_phone(raw, default_region="US", field="sender_phone")
    assert caught.value.field == "sender_phone"


def test_unknown_region_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="unknown default region"):
        normalize_phone("+14155552671", default_region="XX")


@given(valid_numbers(), st.sampled_from(FORMATS), st.sampled_from([None, *REGIONS]))
def test_phone_is_idempotent_and_deterministic(
    drawn: tuple[str, phonenumbers.PhoneNumber],
    number_format: int,
    other_region: str | None,
) -> None:
    region, number = drawn
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    written = phonenumbers.format_number(number, number_format)
    assert normalize_phone(written, default_region=region) == e164
    assert normalize_phone(written, default_region=region) == e164
    assert normalize_phone(e164, default_region=other_region) == e164


def _reference_phone(raw: str, region: str | None) -> tuple[str, bool] | None:
    """What `classify_phone` must answer, the long way: parse, `is_valid_number`, E.164, then
    `is_household_line` parsing the E.164 form again (None: not a valid number)."""
    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, is_household_line(e164)


@given(
    st.one_of(
        valid_numbers().map(
            lambda drawn: phonenumbers.format_number(
                drawn[1], phonenumbers.PhoneNumberFormat.INTERNATIONAL
            )
        ),
        st.text(alphabet="+0123456789 ", min_size=1, max_size=16),
        st.sampled_from(
            [
                "+442079460018",
                "+447911123456",
                "+14155552671",
                "+447624123456",
                "+80012345678",
                "+8816123456",
                "+1 555 0100",
                "+999 1234567",
            ]
        ),
    ),
    st.sampled_from([None, "GB", "US", "IM", "DE", "FR", "AU"]),
)
def test_one_classification_answers_as_validation_and_the_household_check(
    raw: str, region: str | None
) -> None:
    """`classify_phone` decides validity by the number's type alone and types it once: the
    same answers as `is_valid_number` and a second parse for `is_household_line`."""
    expected = _reference_phone(raw, region)
    try:
        got = classify_phone(raw, default_region=region)
    except InvalidInput:
        assert expected is None
        return
    assert got == expected


def test_household_lines_are_classified_with_the_number() -> None:
    assert classify_phone("020 7946 0018", default_region="GB") == ("+442079460018", True)
    assert classify_phone("07911 123456", default_region="GB") == ("+447911123456", False)
    assert classify_phone("(415) 555-2671", default_region="US") == ("+14155552671", False)


# Name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  José   O'Brien-Smith ", "jose o brien smith"),
        ("STRAẞE Müller", "strasse muller"),
        ("\ufb01ona \uff2a\uff2f\uff28\uff2e", "fiona john"),
        ("Zoë\u00adÅsa", "zoeasa"),
        ("Ǆuro İnan", "dzuro inan"),
        ("Ἀθηνᾶ", "αθηνα"),
        ("Александр Фёдоров", "александр федоров"),
        ("李小龍 (Bruce)", "李小龍 bruce"),
        ("Dr.\tJane\n Doe, Jr.", "dr jane doe jr"),
    ],
)
def test_name_rules(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "---", "\u0301\u0301", "!?"])
def test_name_without_letters_is_rejected(raw: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_name(raw, field="sender_name")
    assert caught.value.field == "sender_name"


@given(st.text(max_size=40))
def test_name_is_idempotent_and_deterministic(raw: str) -> None:
    once = _normalized_or_reject(normalize_name, raw)
    assert normalize_name(raw) == once
    assert normalize_name(once) == once
    assert once == once.strip()
    assert "  " not in once
