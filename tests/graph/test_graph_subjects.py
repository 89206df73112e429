"""Subject keys: linkage on hash chains only, append-only store, no cross-provider merges."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.exc import DBAPIError

from conftest import Provider
from graph.conftest import EMAIL, PHONE, Net, clinic, graph_statements
from prospecting.graph.models import SubjectKey
from prospecting.prospects import service as prospects


def test_same_person_at_three_providers_gets_one_key_and_namesakes_do_not(net: Net) -> None:
    a, b, c, d = (net.provider("query_on") for _ in range(4))
    ka = net.link(a, net.inbound(a, phone=PHONE, name="Jamie Clarke"))
    kb = net.link(b, net.inbound(b, phone=PHONE, email=EMAIL))
    kc = net.link(c, net.inbound(c, email=EMAIL, name="J Clarke"))
    stranger = net.link(d, net.inbound(d, name="Jamie Clarke", phone="07400 123456"))
    # Ingest already linked each prospect (link confidence on creation); /link reports it.
    assert ka["subject_key"] == kb["subject_key"] == kc["subject_key"]
    assert kb["confidence"] >= 0.9 and "phone" in kb["matched_on"]
    assert stranger["subject_key"] != ka["subject_key"]
    name_only = net.provider("query_on")
    namesake = net.link(name_only, net.inbound(name_only, name="Jamie Clarke"))
    assert namesake["subject_key"] not in {ka["subject_key"], stranger["subject_key"]}


def test_link_confidence_is_written_to_the_tenant_prospect(net: Net) -> None:
    a, b = net.provider("query_on"), net.provider("query_on")
    net.link(a, net.inbound(a, phone=PHONE))
    pb = net.inbound(b, phone=PHONE)
    link = net.link(b, pb)
    prospect = net.client.get(f"/prospects/{pb}", headers=b.headers).json()
    assert prospect["link_confidence"] == pytest.approx(link["confidence"])


def test_linking_needs_graph_consent(net: Net) -> None:
    a = net.provider()
    pid = net.inbound(a, phone=PHONE)
    r = net.client.post(f"/prospect-graph/prospects/{pid}/link", headers=a.headers)
    assert r.status_code == 403


def test_graph_store_never_holds_unhashed_pii(net: Net, db_urls) -> None:
    canaries = ["+447911123456", "07911123456", "7911123456", "canary.person", "Zebulon"]
    providers = [net.provider("contribute_all", "query_on") for _ in range(3)]
    for p in providers:
        pid = net.inbound(
            p,
            phone="07911 123456",
            email="Canary.Person@Example.org",
            name="Zebulon Quux",
            body="Zebulon here, call 07911 123456",
        )
        net.contribute(p, pid, "booked")
        net.query(p, prospect_id=pid)
    engine = create_engine(db_urls.graph.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            dump = str(conn.execute(text(f"SELECT * FROM {table}")).all()).lower()  # noqa: S608
            for canary in canaries:
                assert canary.lower() not in dump, (table, canary)
    engine.dispose()


def test_no_prospect_rows_are_merged_across_providers(net: Net) -> None:
    a, b = net.provider("contribute_all", "query_on"), net.provider("contribute_all", "query_on")
    pa, pb = net.inbound(a, phone=PHONE), net.inbound(b, phone=PHONE)
    assert net.link(a, pa)["subject_key"] == net.link(b, pb)["subject_key"]
    for p, mine, theirs in ((a, pa, pb), (b, pb, pa)):
        listed = net.client.get("/prospects", headers=p.headers).json()
        assert [x["id"] for x in listed["items"]] == [mine]
        assert listed["items"][0]["merged_into_id"] is None
        assert net.client.get(f"/prospects/{theirs}", headers=p.headers).status_code == 404
    assert net.client.get("/prospects/merge-suggestions", headers=a.headers).json() == []


APPEND_ONLY = (
    "prospect_subject_aggregates",
    "prospect_subject_supersessions",
    "graph_query_audit",
    "graph_contributor_sets",
    "graph_contributor_set_members",
    "provider_graph_consent_events",
)


def test_append_only_tables_refuse_update_delete_and_truncate(net: Net, runtime, db_urls) -> None:
    providers = [net.provider("contribute_all", "query_on") for _ in range(3)]
    for version, p in enumerate(providers, start=1):
        pid = net.inbound(p, phone=PHONE)
        net.contribute(p, pid, "booked")
        net.contribute(p, pid, "ghosted", outcome_version=version + 1)
        net.query(p, prospect_id=pid)
    engine = runtime.stores.graph_engine
    for table in APPEND_ONLY:
        with engine.connect() as conn:
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() > 0, table  # noqa: S608
        column = "provider_id" if table == "graph_contributor_set_members" else "id"
        statements = [f"UPDATE {table} SET {column} = {column}", f"DELETE FROM {table}"]  # noqa: S608
        if db_urls.backend == "postgresql":
            statements.append(f"TRUNCATE {table} CASCADE")
        for sql in statements:
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(text(sql))
        with engine.connect() as conn:
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() > 0, table  # noqa: S608


def test_a_shared_phone_links_across_a_different_email_and_name_format(net: Net) -> None:
    """The issue's case: the same mobile written another way, a work email, a shortened name:
    linked (the phone anchors it), with the lower confidence the disagreements give."""
    a, b = net.provider("query_on"), net.provider("query_on")
    key = net.link(a, net.inbound(a, phone=PHONE, email=EMAIL, name="Jamie Clarke"))
    pb = net.inbound(b, phone="+44 7911 123456", email="jc@work.example.com", name="J. Clarke")
    linked = net.link(b, pb)
    assert linked["subject_key"] == key["subject_key"]
    assert linked["confidence"] == pytest.approx(0.73, abs=0.01)
    assert "phone" in linked["matched_on"]
    prospect = net.client.get(f"/prospects/{pb}", headers=b.headers).json()
    assert prospect["link_confidence"] == pytest.approx(linked["confidence"])


def _collision(net: Net, p, pid: str, dimension: str) -> dict[str, object]:
    r = net.client.post(
        "/prospect-graph/corrections/collisions",
        json={"prospect_id": pid, "dimension": dimension},
        headers=p.headers,
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


def _reported(net: Net) -> tuple[str, tuple[Provider, str]]:
    """A subject whose phone one provider reported as a collision; returns (key, reporter)."""
    a, b = net.provider("query_on"), net.provider("query_on")
    key = net.link(a, net.inbound(a, phone=PHONE, email=EMAIL, name="Jamie Clarke"))["subject_key"]
    pb = net.inbound(b, phone=PHONE, email="jc@work.example.com", name="J. Clarke")
    assert net.link(b, pb)["subject_key"] == key
    assert _collision(net, b, pb, "phone")["distinct_reporters"] == 1
    return key, (b, pb)


def test_a_collision_report_on_the_phone_stops_it_anchoring(net: Net) -> None:
    key, _ = _reported(net)
    d = net.provider("query_on")
    alone = net.link(d, net.inbound(d, phone=PHONE))  # nothing disagrees: the score still links
    assert alone["subject_key"] == key and alone["confidence"] >= 0.9
    c = net.provider("query_on")
    apart = net.link(c, net.inbound(c, phone=PHONE, email="c@other.example", name="Chris Other"))
    assert apart["subject_key"] != key  # the phone no longer anchors, the rest disagrees
    assert apart["confidence"] == pytest.approx(1 - 0.58, abs=0.01)  # 1 - the best posterior
    e = net.provider("query_on")
    by_email = net.link(e, net.inbound(e, email=EMAIL, name="Someone Else"))
    assert by_email["subject_key"] == key  # a report on the phone leaves the email anchoring


def test_a_collided_phone_does_not_merge_the_keys_it_separated(net: Net, runtime) -> None:
    key, (b, pb) = _reported(net)
    c = net.provider("query_on")
    apart = net.link(c, net.inbound(c, phone=PHONE, email="c@other.example", name="Chris Other"))
    assert apart["subject_key"] != key
    d = net.provider("query_on")
    net.link(d, net.inbound(d, phone=PHONE))  # shares only the reported phone with both keys
    with runtime.stores.graph() as graph:
        status = graph.scalar(select(SubjectKey.status).where(SubjectKey.subject_key == key))
    assert status == "active"
    assert net.link(b, pb)["subject_key"] != apart["subject_key"]


def test_a_name_alone_never_links_or_moves_the_confidence(net: Net) -> None:
    first = net.provider("query_on")
    solo = net.link(first, net.inbound(first, name="Sam Lee", phone="07400 111111"))
    assert solo["confidence"] == 1.0
    namesake = net.provider("query_on")
    other = net.link(namesake, net.inbound(namesake, name="Sam Lee", phone="07400 222222"))
    assert other["subject_key"] != solo["subject_key"]
    assert other["confidence"] == solo["confidence"] == 1.0  # the namesake changed nothing
    name_only = net.provider("query_on")
    bare = net.link(name_only, net.inbound(name_only, name="Sam Lee"))
    assert bare["confidence"] == 1.0
    assert bare["subject_key"] not in {solo["subject_key"], other["subject_key"]}
    # linked by a phone, with or without a namesake elsewhere: the same confidence
    seen: list[float] = []
    for phone, with_namesake in (("07400 333333", False), ("07400 444444", True)):
        founder, later = net.provider("query_on"), net.provider("query_on")
        net.link(founder, net.inbound(founder, phone=phone))
        if with_namesake:
            stranger = net.provider("query_on")
            net.link(stranger, net.inbound(stranger, name="Alex Kim", phone="07400 555555"))
        seen.append(net.link(later, net.inbound(later, phone=phone, name="Alex Kim"))["confidence"])
    assert seen[0] == seen[1]


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("jamie+work@outlook.com", "Jamie@Outlook.com", True),
        ("jamie+shop@icloud.com", "jamie+other@icloud.com", True),
        ("j.amie+x@gmail.com", "jamie@googlemail.com", True),
        ("jamie+work@example.com", "jamie@example.com", False),
    ],
)
def test_subaddresses_link_only_where_the_mail_provider_ignores_them(
    net: Net, first: str, second: str, same: bool
) -> None:
    a, b = net.provider("query_on"), net.provider("query_on")
    ka = net.link(a, net.inbound(a, email=first))["subject_key"]
    kb = net.link(b, net.inbound(b, email=second))["subject_key"]
    assert (ka == kb) is same


def test_a_first_link_reads_the_callers_consent_with_the_link(net: Net, runtime) -> None:
    """Linking reads the caller's own consent row in the statement that looks the link up
    (no statement of its own), and still follows it: no link while it says no."""
    p = net.provider("query_off")  # an own row that says no
    pid = net.inbound(p, phone=PHONE)  # not linked at ingest: no consent
    refused = net.client.post(f"/prospect-graph/prospects/{pid}/link", headers=p.headers)
    assert refused.status_code == 403
    net.consent(p, "query_on")
    with graph_statements(runtime) as seen:
        net.link(p, pid)
    consent_reads = [s for s in seen if "provider_graph_consents" in s]
    # PostgreSQL looks the link up again once it holds the linking lock
    postgres = runtime.stores.graph_engine.dialect.name == "postgresql"
    assert len(consent_reads) == (2 if postgres else 1), seen
    assert all("prospect_links" in s for s in consent_reads)


def test_org_defaults_decide_a_link_when_the_caller_has_no_consent_row(net: Net, runtime) -> None:
    """No own consent row: the caller's Org default decides the link, as it decides queries."""
    admin, member = net.provider(), net.provider()
    pid = net.inbound(member, phone=PHONE)
    refused = net.client.post(f"/prospect-graph/prospects/{pid}/link", headers=member.headers)
    assert refused.status_code == 403  # no row, no Org: off
    org_id = clinic(net, runtime, admin, member)  # contribute-all, query on
    accepted = net.client.post(f"/orgs/{org_id}/invitation/accept", headers=member.headers)
    assert accepted.status_code == 200
    assert net.link(member, pid)["created_subject"] is True


def test_inbound_links_without_reading_the_tenant_chain_it_just_handled(
    net: Net, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new sender's chain comes from its ingest; a known sender's linked prospect answers
    from its link; only a known sender not linked yet has its stored chain read, and links."""
    reads: list[str] = []
    owned_chain = prospects.owned_chain

    def counted(**kwargs: Any) -> Any:
        reads.append(kwargs["prospect_id"])
        return owned_chain(**kwargs)

    monkeypatch.setattr(prospects, "owned_chain", counted)
    p = net.provider("query_on")
    pid = net.inbound(p, phone=PHONE, name="Jamie Clarke")  # new: linked at ingest
    assert net.inbound(p, phone=PHONE) == pid  # attached, linked already
    assert reads == []
    q = net.provider("query_off")
    qid = net.inbound(q, email=EMAIL)  # not linked: no consent
    net.consent(q, "query_on")
    assert net.inbound(q, email=EMAIL) == qid  # attached, not linked yet: linked now
    assert reads == [qid]
    linked = net.client.get(f"/prospects/{qid}", headers=q.headers).json()
    assert linked["link_confidence"] is not None
