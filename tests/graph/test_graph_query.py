"""graph_query end to end: min contributors, bands, attribution, network state, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
from mcp import Client

from graph.conftest import GRAPH_TOOLS, PHONE, Net
from prospecting.edges.mcp.server import build_server


def _network(net: Net, n: int, outcome: str = "booked") -> tuple[list[Any], list[str]]:
    peers, prospects = [], []
    for _ in range(n):
        p = net.provider("contribute_all", "query_on")
        pid = net.inbound(p, phone=PHONE, name="Jamie Clarke")
        r = net.contribute(p, pid, outcome)
        assert r.status_code == 200, r.text
        peers.append(p)
        prospects.append(pid)
    return peers, prospects


def test_query_needs_min_contributors_excluding_the_asker(net: Net) -> None:
    (a, _b), (pa, _) = _network(net, 2)
    only_b = net.query(a, prospect_id=pa)
    assert only_b["state"] == "insufficient_contributors"
    assert only_b["histogram"] is None and only_b["contributors"] is None
    c = net.provider("contribute_all", "query_on")
    pc = net.inbound(c, phone=PHONE)
    net.contribute(c, pc, "ghosted")
    answer = net.query(a, prospect_id=pa)
    assert answer["state"] == "ok"
    assert answer["contributors"] == 2
    assert answer["histogram"]["n_reports"] == 2
    assert answer["fingerprint"]["profile"] in {"books", "unreliable", "mixed", "blocked_by_peers"}
    # velocity counts the other consented providers in touch lately: b and c (a asked)
    windows = {w["days"]: (w["providers"], w["shown"]) for w in answer["velocity"]["windows"]}
    assert windows[7] == windows[30] == (2, "2")
    assert answer["network"]["state"] == "sparse"
    assert answer["attribution"] == []
    assert answer["audit_id"]


def test_attribution_only_with_per_subject_opt_in_and_never_after_revocation(net: Net) -> None:
    (a, b, _c), (pa, pb, _) = _network(net, 3)
    assert net.query(a, prospect_id=pa)["attribution"] == []
    subject = net.link(b, pb)["subject_key"]
    net.consent(b, "attribute_subject", subject_key=subject)
    named = net.query(a, prospect_id=pa)["attribution"]
    assert [x["provider_id"] for x in named] == [b.id]
    net.consent(b, "revoke_all")
    after = net.query(a, prospect_id=pa)
    assert after["attribution"] == []
    assert after["contributors"] == 2  # the revoked Person's rows stay in the aggregate
    assert b.id not in {x["provider_id"] for x in after["attribution"]}


def test_no_free_text_from_another_tenant_in_any_graph_answer(net: Net) -> None:
    secret = "CANARY-my divorce is final, please keep this private"
    peers = []
    for _ in range(3):
        p = net.provider("contribute_all", "query_on")
        pid = net.inbound(p, phone=PHONE, name="Jamie Clarke", body=secret)
        net.contribute(p, pid, "booked")
        peers.append((p, pid))
    asker = net.provider("query_on")
    pid = net.inbound(asker, phone=PHONE, body="hi")
    bodies = [
        net.client.post("/prospect-graph/query", json={"prospect_id": pid}, headers=asker.headers),
        net.client.post(f"/prospect-graph/prospects/{pid}/reachability", headers=asker.headers),
        net.client.post(f"/prospect-graph/prospects/{pid}/signals", headers=asker.headers),
        net.client.get("/prospect-graph/audit", headers=asker.headers),
        net.client.get("/prospect-graph/metrics", headers=asker.headers),
    ]
    for r in bodies:
        assert r.status_code == 200, r.text
        assert "CANARY" not in r.text and "divorce" not in r.text
    assert bodies[0].json()["state"] == "ok"


def test_no_export_surface_every_read_names_one_linked_subject(net: Net) -> None:
    paths = net.client.get("/openapi.json").json()["paths"]
    unparameterised_reads = {
        path
        for path, ops in paths.items()
        if path.startswith("/prospect-graph") and "get" in ops and "{" not in path
    }
    # caller-scoped state only: nothing that lists subjects, contributions or aggregates
    assert unparameterised_reads == _CALLER_SCOPED_READS
    (a, _b), (pa, _pb) = _network(net, 2)
    stranger = net.provider("query_on")
    key = net.link(a, pa)["subject_key"]
    r = net.client.post(f"/prospect-graph/subjects/{key}", headers=stranger.headers)
    assert r.status_code == 404  # a key the caller is not linked to cannot be probed
    r = net.client.post("/prospect-graph/query", json={}, headers=a.headers)
    assert r.status_code == 404


_CALLER_SCOPED_READS = {
    "/prospect-graph/consent",
    "/prospect-graph/consent/history",
    "/prospect-graph/audit",
    "/prospect-graph/metrics",
}


def test_audit_is_readable_by_consumer_and_every_contributor(net: Net) -> None:
    (a, b, c), (pa, _, _) = _network(net, 3)
    answer = net.query(a, prospect_id=pa)
    for who, role in ((a, "consumer"), (b, "contributor"), (c, "contributor")):
        entries = net.client.get("/prospect-graph/audit", headers=who.headers).json()
        mine = [e for e in entries if e["id"] == answer["audit_id"]]
        assert [e["role"] for e in mine] == [role]
        assert mine[0]["contributor_count"] == 2
        assert a.id not in str(mine[0]) or role == "consumer"
    outsider = net.provider("query_on")
    assert net.client.get("/prospect-graph/audit", headers=outsider.headers).json() == []


def test_network_state_and_metrics_count_consented_peers(net: Net) -> None:
    peers, prospects = _network(net, 2)
    net.provider()  # not consented: not counted
    metrics = net.client.get("/prospect-graph/metrics", headers=peers[0].headers).json()
    seg = {(s["category"], s["region"]): s for s in metrics["segments"]}
    assert seg[("therapy", "GB-LND")]["consented_peers"] == 2
    assert metrics["weekly"][-1]["contributing_providers"] == 2
    assert metrics["weekly"][-1]["rate"] == 1.0
    scoped = net.query(peers[0], prospect_id=prospects[0], scope={"category": "salon"})
    assert scoped["network"]["state"] == "empty"
    assert scoped["state"] == "insufficient_contributors"


def test_query_consent_is_required(net: Net) -> None:
    (a, _), (pa, _) = _network(net, 2)
    net.consent(a, "query_off")
    r = net.client.post("/prospect-graph/query", json={"prospect_id": pa}, headers=a.headers)
    assert r.status_code == 403
    assert r.json()["type"] == "/problems/consent_required"


def _reach(net: Net, p, pid: str) -> dict[str, Any]:
    r = net.client.post(f"/prospect-graph/prospects/{pid}/reachability", headers=p.headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_reachability_reads_the_debiased_histogram_not_raw_reports(net: Net) -> None:
    peers, _ = _network(net, 1, outcome="booked")
    asker = net.provider("query_on")
    pid = net.inbound(asker, phone=PHONE)
    below = _reach(net, asker, pid)
    assert below == {
        "state": "insufficient_contributors",
        "reachable": False,
        "peers_with_positive_outcome": 0,
        "degraded": False,
    }
    _network(net, 3, outcome="booked")
    body = _reach(net, asker, pid)
    assert set(body) == {"state", "reachable", "peers_with_positive_outcome", "degraded"}
    hist = net.query(asker, prospect_id=pid)["histogram"]  # the same rows, the same estimate
    assert set(hist["counts"]) == {"positive", "no_show", "not_booked", "blocked"}
    estimate, lower = hist["counts"]["positive"], hist["lower"]["positive"]
    assert body["state"] == "ok"
    assert body["peers_with_positive_outcome"] == min(max(round(estimate), 0), 4)
    assert body["reachable"] == (lower > 0)
    audit = net.client.get("/prospect-graph/audit", headers=asker.headers).json()
    kinds = [(e["kind"], e["result_state"]) for e in audit]
    assert ("reachability", "insufficient_contributors") in kinds
    assert ("reachability", "ok") in kinds
    seen = net.client.get("/prospect-graph/audit", headers=peers[0].headers).json()
    assert any(e["kind"] == "reachability" and e["role"] == "contributor" for e in seen)


def _attest(net: Net, p, pid: str, code: str) -> None:
    r = net.client.post(
        "/prospect-graph/attestations", json={"prospect_id": pid, "code": code}, headers=p.headers
    )
    assert r.status_code == 200, r.text


def test_safety_flags_need_min_contributors_and_enough_consenting_attesters(net: Net) -> None:
    a, b = net.provider("contribute_all"), net.provider("contribute_all")
    pa, pb = net.inbound(a, phone=PHONE), net.inbound(b, phone=PHONE)
    _attest(net, a, pa, "harassment")
    _attest(net, b, pb, "harassment")
    asker = net.provider("query_on")
    pid = net.inbound(asker, phone=PHONE)
    early = net.query(asker, prospect_id=pid)
    # flags show from two consenting attesters, even before two outcomes could show
    assert early["state"] == "insufficient_contributors" and early["histogram"] is None
    assert early["safety_flags"] == [{"code": "harassment", "peers": 2}]
    net.contribute(a, pa, "booked")
    net.contribute(b, pb, "booked")
    _attest(net, a, pa, "impersonation")  # one peer alone never shows
    answer = net.query(asker, prospect_id=pid)
    assert answer["state"] == "ok"
    assert answer["safety_flags"] == [{"code": "harassment", "peers": 2}]
    net.consent(b, "contribute_none")  # a revoked attester no longer counts
    assert net.query(asker, prospect_id=pid)["safety_flags"] == []


def test_the_audit_names_the_attesters_behind_a_shown_flag(net: Net) -> None:
    peers, _ = _network(net, 2)
    long_ago = datetime.now(UTC) - timedelta(days=90)  # outside every velocity window
    attesters = []
    for _ in range(2):
        p = net.provider("contribute_all")
        _attest(net, p, net.inbound(p, phone=PHONE, at=long_ago), "spam")
        attesters.append(p)
    lone = net.provider("contribute_all")
    _attest(net, lone, net.inbound(lone, phone=PHONE, at=long_ago), "harassment")
    asker = net.provider("query_on")
    answer = net.query(asker, prospect_id=net.inbound(asker, phone=PHONE))
    assert answer["state"] == "ok" and answer["contributors"] == 2
    assert answer["safety_flags"] == [{"code": "spam", "peers": 2}]
    for p in [*peers, *attesters]:
        entries = net.client.get("/prospect-graph/audit", headers=p.headers).json()
        mine = [e for e in entries if e["id"] == answer["audit_id"]]
        assert [e["role"] for e in mine] == ["contributor"]
        assert mine[0]["contributor_count"] == 4
    entries = net.client.get("/prospect-graph/audit", headers=lone.headers).json()
    assert answer["audit_id"] not in {e["id"] for e in entries}  # its flag did not show


def test_metrics_hide_segments_below_the_minimum(net: Net) -> None:
    peers, _ = _network(net, 2)
    net.provider("contribute_all", service_categories=["salon"], region="GB-MAN")
    metrics = net.client.get("/prospect-graph/metrics", headers=peers[0].headers).json()
    seg = {(s["category"], s["region"]): s for s in metrics["segments"]}
    assert seg[("therapy", "GB-LND")]["consented_peers"] == 2
    assert seg[("salon", "GB-MAN")] == {
        "category": "salon",
        "region": "GB-MAN",
        "consented_peers": "<2",
        "state": "empty",
    }


def test_routes_that_write_audit_rows_or_links_are_not_gets(net: Net) -> None:
    paths = net.client.get("/openapi.json").json()["paths"]
    for path in (
        "/prospect-graph/subjects/{subject_key}",
        "/prospect-graph/prospects/{prospect_id}/reachability",
        "/prospect-graph/prospects/{prospect_id}/signals",
    ):
        assert set(paths[path]) == {"post"}, path


GRAPH_ROUTES = {
    ("GET", "/prospect-graph/audit"),
    ("GET", "/prospect-graph/consent"),
    ("GET", "/prospect-graph/consent/history"),
    ("GET", "/prospect-graph/metrics"),
    ("POST", "/prospect-graph/attestations"),
    ("POST", "/prospect-graph/consent"),
    ("POST", "/prospect-graph/contributions"),
    ("POST", "/prospect-graph/corrections/collisions"),
    ("POST", "/prospect-graph/corrections/outcomes"),
    ("POST", "/prospect-graph/opt-outs"),
    ("POST", "/prospect-graph/prospects/{prospect_id}/link"),
    ("POST", "/prospect-graph/prospects/{prospect_id}/reachability"),
    ("POST", "/prospect-graph/prospects/{prospect_id}/signals"),
    ("POST", "/prospect-graph/query"),
    ("POST", "/prospect-graph/subjects/{subject_key}"),
    ("PUT", "/prospect-graph/orgs/{org_id}/policy"),
}


def test_no_export_the_whole_graph_surface_is_pinned(client, runtime, make_provider) -> None:
    """A tripwire: a new graph route or tool must be reviewed against "no export" first."""
    paths = client.get("/openapi.json").json()["paths"]
    routes = {
        (m.upper(), p) for p, ops in paths.items() if p.startswith("/prospect-graph") for m in ops
    }
    assert routes == GRAPH_ROUTES

    async def tool_names() -> set[str]:
        server = build_server(runtime, bound_token=make_provider().token)
        async with Client(server) as mcp_client:
            return {t.name for t in (await mcp_client.list_tools()).tools}

    graph_tools = {
        n
        for n in anyio.run(tool_names)
        if n.startswith(("graph_", "subject_"))
        or n in {"report_collision", "correct_outcome", "list_graph_audit"}
    }
    assert graph_tools == GRAPH_TOOLS
