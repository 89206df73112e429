"""History import: booking exports read row by row, stored as the live paths store them,
de-duplicated against the caller's own prospects only, idempotent, and given to the graph
only under consent (and never with a raw value)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from prospecting.errors import GraphUnavailable, InvalidInput
from prospecting.graph import service as graph_service
from prospecting.graph.models import Contribution, ProspectLink
from prospecting.graph.schemas import ConsentAction, ConsentChange
from prospecting.identity import service as identity
from prospecting.prospects import import_rows, service
from prospecting.prospects.import_dates import DateReader, detect_order
from prospecting.prospects.import_rows import map_columns, phone_key, read_status
from prospecting.prospects.models import MergeSuggestion, Prospect, ProspectIdentifier, Touchpoint
from prospecting.prospects.schemas import (
    Channel,
    DateOrder,
    ImportReport,
    InboundMessage,
    Outcome,
    OutcomeIn,
)
from prospecting.resolver.chain import normalize_identifiers
from prospecting.resolver.normalize import normalize_phone
from prospecting.runtime import Context
from prospecting.workflows.importing import import_history
from test_privacy_canary import _graph_dump

LONDON = ZoneInfo("Europe/London")
SQUARE = (
    "Customer Name,Phone,Email,Date,Time,Status,Service\n"
    "Sam Lee,07911 123456,Sam.Lee+spa@Gmail.com,05/03/2024,2:30 PM,Completed,Massage\n"
    "SAM LEE,+44 7911 123456,,2024-04-01 10:00,,No Show,Massage\n"
    "Sam  Lee,,samlee@googlemail.com,13/05/2024,09:00,Cancelled,Facial\n"
    "Jo Bloggs,(07400) 900-456,jo@example.org,1 Feb 2024,,Rescheduled,Massage\n"
)


def acting(runtime, provider):
    with runtime.stores.tenant_read() as session:
        return identity.get_person(session=session, person_id=provider.id)


def run(runtime, provider, text, *, contribute=False, **options) -> ImportReport:
    return import_history(
        runtime,
        actor=acting(runtime, provider),
        text=text,
        contribute=contribute,
        channel="cli",
        **options,
    )


def counts(runtime) -> dict[str, int]:
    with runtime.stores.tenant_read() as session:
        return {
            model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Prospect, ProspectIdentifier, Touchpoint, MergeSuggestion)
        }


def consent(runtime, provider, action: ConsentAction) -> None:
    with runtime.stores.tenant_read() as tenant, runtime.stores.graph() as graph:
        ctx = Context(tenant, graph, acting(runtime, provider), runtime.settings, runtime.resolver)
        graph_service.change_consent(ctx, ConsentChange(action=action))


# ---- reading: pure, no store ------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected", "ignored"),
    [
        (  # Square
            ["Customer Name", "Phone", "Email", "Date", "Time", "Status", "Staff"],
            {"name", "phone", "email", "date", "time", "status"},
            ["Staff"],
        ),
        (  # Acuity: the full start date-time in "Start Time"
            ["Start Time", "End Time", "First Name", "Last Name", "Phone", "Email", "Type"],
            {"date", "first_name", "last_name", "phone", "email"},
            ["End Time", "Type"],
        ),
        (  # Vagaro: a date column, so "Start Time" is the time
            ["Appointment Date", "Start Time", "Customer", "Mobile Phone", "Status"],
            {"date", "time", "name", "phone", "status"},
            [],
        ),
        (  # Calendly
            ["Invitee Name", "Invitee Email", "Text Reminder Number", "Start Date & Time"],
            {"name", "email", "phone", "date"},
            [],
        ),
        (  # Google Contacts
            ["First Name", "Middle Name", "Last Name", "E-mail 1 - Value", "Phone 1 - Value"],
            {"first_name", "last_name", "email", "phone"},
            ["Middle Name"],
        ),
        (
            ["  NAME ", "phone_number", "E-Mail", "date", "STATUS"],
            {"name", "phone", "email", "date", "status"},
            [],
        ),
    ],
)
def test_headers_of_common_exports(header, expected, ignored):
    columns = map_columns(header)
    assert set(columns.index) == expected
    assert columns.ignored == ignored


def test_a_header_without_phone_or_email_is_refused_naming_the_field():
    with pytest.raises(InvalidInput) as caught:
        map_columns(["Name", "Date", "Status"], field_name="csv")
    assert caught.value.field == "csv"
    assert "phone or email" in caught.value.reason


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("Completed", Outcome.BOOKED),
        ("ATTENDED", Outcome.BOOKED),
        ("showed", Outcome.BOOKED),
        ("Paid", Outcome.BOOKED),
        ("booked", Outcome.BOOKED),
        ("Rescheduled", Outcome.RESCHEDULED),
        ("No-Show", Outcome.NO_SHOW),
        ("no show", Outcome.NO_SHOW),
        ("Missed", Outcome.NO_SHOW),
        ("Cancelled", Outcome.DECLINED),
        ("canceled", Outcome.DECLINED),
        ("Declined", Outcome.DECLINED),
        ("Blocked", Outcome.BLOCKED),
        ("banned", Outcome.BLOCKED),
        ("", None),
        ("Upcoming", None),
        ("Cancelled by seller", None),
    ],
)
def test_status_vocabulary(status, outcome):
    assert read_status(status) is outcome


def test_unknown_status_is_an_error():
    with pytest.raises(ValueError):
        read_status("awaiting deposit")


def test_dates_fast_path_slow_path_and_time_zones():
    dmy = DateReader(DateOrder.DMY, LONDON)
    mdy = DateReader(DateOrder.MDY, ZoneInfo("America/New_York"))
    assert dmy.read("05/03/2024", "2:30 PM") == datetime(2024, 3, 5, 14, 30, tzinfo=UTC)
    assert dmy.read("2024-07-01 10:00") == datetime(2024, 7, 1, 9, 0, tzinfo=UTC)  # BST
    assert dmy.read("2024-07-01T10:00:00+02:00") == datetime(2024, 7, 1, 8, 0, tzinfo=UTC)
    assert dmy.read("2024-07-01") == datetime(2024, 7, 1, 11, 0, tzinfo=UTC)  # noon, London
    assert dmy.read("5 Mar 2024", "14:30") == datetime(2024, 3, 5, 14, 30, tzinfo=UTC)
    assert dmy.read("Tuesday, March 5, 2024 2:30pm") == datetime(2024, 3, 5, 14, 30, tzinfo=UTC)
    assert dmy.read("mardi 5 mars 2024 14h30") == datetime(2024, 3, 5, 14, 30, tzinfo=UTC)
    assert mdy.read("03/05/24", "9:00 am") == datetime(2024, 3, 5, 14, 0, tzinfo=UTC)
    assert failed(dmy.read("yesterday")) == "date"  # never relative: stable across imports
    assert failed(dmy.read("31/02/2024")) == "date"
    assert failed(dmy.read("2024-03-05", "25:99")) == "time"
    assert detect_order(["01/02/2024", "25/02/2024"]) is DateOrder.DMY
    assert detect_order(["01/02/2024", "02/25/2024"]) is DateOrder.MDY
    assert detect_order(["01/02/2024", "2024-02-25"]) is None


def failed(read: datetime | tuple[str, str]) -> str:
    assert isinstance(read, tuple), read
    return read[0]


@settings(max_examples=300, deadline=None)
@given(
    digits=st.text("0123456789", min_size=5, max_size=14),
    punctuation=st.lists(st.sampled_from([" ", "-", ".", "(", ")", "/"]), max_size=4),
    plus=st.booleans(),
    region=st.sampled_from(["GB", "US", "FR", "DE"]),
)
def test_phone_cache_key_normalises_like_the_raw_value(digits, punctuation, plus, region):
    """The cache shares one entry between punctuations of a number: only sound if the
    resolver gives every one of them the same answer."""
    raw = ("+" if plus else "") + digits
    for i, mark in enumerate(punctuation):
        at = 1 + (i * 3) % max(1, len(raw) - 1)
        raw = raw[:at] + mark + raw[at:]

    def normalised(value):
        try:
            return normalize_phone(value, default_region=region)
        except InvalidInput:
            return None

    assert normalised(raw) == normalised(phone_key(raw))


# ---- storing ----------------------------------------------------------------------------


def test_import_stores_clients_as_the_live_paths_would(runtime, make_provider):
    alice = make_provider(default_phone_region="GB", time_zone="Europe/London")
    report = run(runtime, alice, SQUARE)
    assert (report.rows, report.imported, report.rejected_total) == (4, 4, 0)
    assert (report.clients_created, report.appointments, report.outcomes) == (2, 4, 4)
    assert report.columns["name"] == "Customer Name" and report.ignored_columns == ["Service"]
    assert (report.date_order, report.date_order_from) == (DateOrder.DMY, "file")
    actor = acting(runtime, alice)
    with runtime.stores.tenant() as session:
        [sam] = session.scalars(select(Prospect).where(Prospect.phone_e164 == "+447911123456"))
        assert (sam.display_name, sam.email, sam.normalized_name) == (
            "Sam Lee",
            "samlee@gmail.com",
            "sam lee",
        )
        assert sam.status == "lost"  # the latest outcome: cancelled → declined
        rows = service.list_touchpoints(session=session, actor=actor, prospect_id=sam.id)
        visits = [t for t in rows if t.kind == "appointment"]
        assert [(t.direction, t.sender_phone) for t in visits][:2] == [
            ("inbound", "+447911123456"),
            ("inbound", "+447911123456"),
        ]
        outcomes = [(t.outcome, t.outcome_version) for t in rows if t.kind == "outcome"]
        assert outcomes == [("booked", 1), ("no_show", 2), ("declined", 3)]
        assert sam.last_inbound_at == datetime(2024, 5, 13, 8, 0, tzinfo=UTC)
        stored = set(
            session.scalars(
                select(ProspectIdentifier.digest).where(ProspectIdentifier.prospect_id == sam.id)
            )
        )
        first_row = normalize_identifiers(
            phone="07911 123456",
            email="Sam.Lee+spa@Gmail.com",
            name="Sam Lee",
            default_region="GB",
        )
        assert {d.value for d in runtime.resolver.chains(first_row)} <= stored
        # a live message from the same phone lands on the imported prospect
        live = service.ingest(
            session=session,
            actor=actor,
            resolver=runtime.resolver,
            message=InboundMessage(
                channel=Channel.SMS, sender_phone="+447911123456", body="Hi again"
            ),
        )
        assert (live.created, live.matched_on, live.prospect.id) == (False, "phone", sam.id)


def test_importing_the_same_file_again_changes_nothing(runtime, make_provider):
    alice = make_provider()
    first = run(runtime, alice, SQUARE)
    before = counts(runtime)
    again = run(runtime, alice, SQUARE)
    assert counts(runtime) == before
    assert (again.clients_created, again.clients_matched) == (0, first.clients_created)
    assert (again.appointments, again.outcomes, again.merge_suggestions) == (0, 0, 0)
    assert again.duplicates == again.imported == 4


def test_rejected_rows_are_reported_and_never_stop_the_import(runtime, make_provider, monkeypatch):
    monkeypatch.setattr(import_rows, "MAX_LISTED_ISSUES", 3)
    alice = make_provider()
    text = (
        "name,phone,email,date,time,status\n"
        "Ann One,07911 000001,,2024-01-05,,Awaiting deposit\n"  # 2: unknown status
        "Ann Two,07911 000002,,soonish,,Completed\n"  # 3: not a date
        "Ann Three,07911 000003,,2024-01-05,25:00,Completed\n"  # 4: not a time
        "Ann Four,,,2024-01-05,,Completed\n"  # 5: nothing to match on
        "Ann Five,12345,ann5@example.org,2024-01-05,,Completed\n"  # 6: kept, without phone
        "\n"
        "Ann Six,07911 000006,,2024-01-06,,Completed\n"  # 8: fine
    )
    report = run(runtime, alice, text)
    assert (report.rows, report.imported, report.rejected_total) == (6, 2, 4)
    assert len(report.rejected) == 3  # listed up to the cap, counted in full
    unknown, bad_date, bad_time = report.rejected
    assert (unknown.row, unknown.field) == (2, "status")
    assert 'column "status"' in unknown.reason and '"Awaiting deposit"' in unknown.reason
    assert (bad_date.row, bad_date.field, bad_time.row, bad_time.field) == (3, "date", 4, "time")
    [warning] = report.warnings
    assert (warning.row, warning.field) == (6, "phone")
    assert "stored without it" in warning.reason and "12345" not in warning.reason
    assert report.clients_created == 2 and counts(runtime)["Prospect"] == 2


def test_clients_are_grouped_across_rows_and_chunks(runtime, make_provider):
    """Phone-only, email-only and a row with both are one client, in any order, even when
    the rows fall in different chunks of the import."""
    alice = make_provider()
    text = (
        "name,phone,email,date,status\n"
        "Kim Park,07911 222333,,2024-01-10,Completed\n"
        "Lou Reed,07911 222444,,2024-01-11,Completed\n"
        "Kim Park,,kim@example.org,2024-02-10,No show\n"
        "Lou Reed,07911 222444,,2024-02-11,Completed\n"
        "Kim P.,+447911222333,KIM@example.org,2024-03-10,Completed\n"
    )
    report = run(runtime, alice, text, chunk_rows=2)
    assert (report.clients_created, report.appointments, report.outcomes) == (2, 5, 5)
    with runtime.stores.tenant_read() as session:
        kim = session.scalar(select(Prospect).where(Prospect.email == "kim@example.org"))
        assert kim is not None and kim.phone_e164 == "+447911222333"
        versions = session.execute(
            select(Touchpoint.outcome_version, Touchpoint.occurred_at)
            .where(Touchpoint.prospect_id == kim.id, Touchpoint.kind == "outcome")
            .order_by(Touchpoint.outcome_version)
        ).all()
    assert [v for v, _ in versions] == [1, 2, 3]
    assert [at for _, at in versions] == sorted(at for _, at in versions)


def test_matches_only_the_callers_own_prospects(runtime, make_provider):
    alice, bob = make_provider(), make_provider()
    message = InboundMessage(channel=Channel.SMS, sender_phone="07911 123456", body="Hello")
    with runtime.stores.tenant() as session:
        mine = service.ingest(
            session=session,
            actor=acting(runtime, alice),
            resolver=runtime.resolver,
            message=message,
        ).prospect.id
        theirs = service.ingest(
            session=session,
            actor=acting(runtime, bob),
            resolver=runtime.resolver,
            message=message,
        ).prospect.id
    report = run(runtime, alice, "phone,date,status\n+44 7911 123456,2024-01-05,Completed\n")
    assert (report.clients_matched, report.clients_created, report.appointments) == (1, 0, 1)
    with runtime.stores.tenant_read() as session:
        owners = dict(
            session.execute(
                select(Touchpoint.kind, Touchpoint.prospect_id).where(
                    Touchpoint.kind.in_(["appointment", "outcome"])
                )
            ).all()
        )
        bobs = session.scalar(
            select(func.count()).select_from(Touchpoint).where(Touchpoint.prospect_id == theirs)
        )
    assert owners == {"appointment": mine, "outcome": mine}
    assert bobs == 1


def test_a_client_matching_two_prospects_gets_a_merge_suggestion(runtime, make_provider):
    alice = make_provider()
    actor = acting(runtime, alice)
    with runtime.stores.tenant() as session:
        by_phone = service.ingest(
            session=session,
            actor=actor,
            resolver=runtime.resolver,
            message=InboundMessage(channel=Channel.SMS, sender_phone="07911 123456", body="Hi"),
        ).prospect.id
        by_email = service.ingest(
            session=session,
            actor=actor,
            resolver=runtime.resolver,
            message=InboundMessage(channel=Channel.EMAIL, sender_email="x@example.org", body="Hi"),
        ).prospect.id
    text = "phone,email,date\n07911 123456,x@example.org,2024-01-05\n"
    assert run(runtime, alice, text).merge_suggestions == 1
    assert run(runtime, alice, text).merge_suggestions == 0
    with runtime.stores.tenant_read() as session:
        [suggestion] = session.scalars(select(MergeSuggestion))
    assert (suggestion.prospect_id, suggestion.candidate_id) == (by_email, by_phone)
    assert suggestion.reason == "shared_email"


def test_statuses_without_dates_and_outcomes_older_than_recorded(runtime, make_provider):
    alice = make_provider()
    actor = acting(runtime, alice)
    blocked = "email,status\nbad@example.org,Banned\n"
    first = run(runtime, alice, blocked)
    assert (first.outcomes, run(runtime, alice, blocked).outcomes) == (1, 0)
    with runtime.stores.tenant() as session:
        prospect = session.scalar(select(Prospect).where(Prospect.email == "bad@example.org"))
        assert prospect is not None and prospect.status == "blocked"
        service.record_outcome(
            session=session,
            actor=actor,
            prospect_id=prospect.id,
            data=OutcomeIn(outcome=Outcome.BOOKED),
        )
    older = run(runtime, alice, "email,date,status\nbad@example.org,2023-06-01,No show\n")
    assert (older.appointments, older.outcomes, older.warnings_total) == (1, 0, 1)
    assert "later outcome" in older.warnings[0].reason


# ---- the graph --------------------------------------------------------------------------

FUTURE = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%d")
CANARY_CSV = (
    "name,phone,email,date,status\n"
    "Zebulon Quixote-Canary,+44 7400 654321,Canary.Zebra+x@gmail.com,2024-01-05,Completed\n"
    "Zebulon Quixote-Canary,+44 7400 654321,,2024-02-05,No show\n"
    f"Future Only,07911 765432,,{FUTURE},Booked\n"
)


def test_history_reaches_the_graph_only_under_consent_and_without_pii(runtime, make_provider):
    alice = make_provider()
    refused = run(runtime, alice, CANARY_CSV, contribute=True)
    assert refused.network.requested and refused.network.not_consented == 1
    assert refused.network.linked == 0 and refused.clients_created == 2
    consent(runtime, alice, ConsentAction.CONTRIBUTE_ALL)
    # the same file again stores nothing locally and shares what consent now allows; a
    # client with only an upcoming appointment has nothing to share
    shared = run(runtime, alice, CANARY_CSV, contribute=True)
    assert (shared.network.linked, shared.network.contributed) == (1, 1)
    assert shared.network.contacts == 2 and shared.appointments == 0
    with runtime.stores.graph() as graph:
        contributions = graph.scalar(select(func.count()).select_from(Contribution))
        links = graph.scalar(select(func.count()).select_from(ProspectLink))
    assert (contributions, links) == (1, 1)
    again = run(runtime, alice, CANARY_CSV, contribute=True)
    assert again.network.error is None
    with runtime.stores.graph() as graph:
        assert graph.scalar(select(func.count()).select_from(Contribution)) == 1
    dump = _graph_dump(runtime).lower()
    for canary in ("7400654321", "canaryzebra", "zebulon", "quixote", "future only"):
        assert canary not in dump


def test_kept_local_and_graph_outages_never_fail_the_import(runtime, make_provider, monkeypatch):
    alice = make_provider()
    consent(runtime, alice, ConsentAction.CONTRIBUTE_ALL)
    local = run(runtime, alice, SQUARE, contribute=False)
    assert not local.network.requested and local.network.linked == 0

    def outage(ctx, items):
        raise GraphUnavailable("the graph store is unreachable")

    monkeypatch.setattr(graph_service, "contribute_history", outage)
    text = "phone,date,status\n07911 000111,2024-01-05,Completed\n07911 000222,2024-01-06,Paid\n"
    report = run(runtime, alice, text, contribute=True)
    assert report.clients_created == 2 and report.outcomes == 2
    assert report.network.rows_not_shared == report.imported
    assert report.network.error is not None
    assert report.network.error.startswith("graph_unavailable")
