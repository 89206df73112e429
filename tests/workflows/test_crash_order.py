"""Cross-store commit order under a crash: a SIGKILL at any commit point of the inbound workflow
never leaves a graph row for a prospect the tenant store did not commit, and what a crash leaves
unfinished is finished idempotently (qualify_inbound; an erasure by replaying its request id).

Each scenario runs the workflow in a child process (`crash_child.py`) that kills itself just
before the Nth commit of one store's engine, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from conftest import Provider
from graph.conftest import PHONE, Net
from prospecting.graph import audit as graph_audit
from prospecting.graph.models import (
    ProspectLink,
    QueryAudit,
    SubjectBudget,
    SubjectDimension,
    SubjectKey,
    SubjectOptOut,
    SubjectStatus,
)
from prospecting.graph.schemas import OptOutIn
from prospecting.identity.models import Role
from prospecting.identity.service import get_person
from prospecting.prospects.models import Prospect, Touchpoint
from prospecting.qualify.models import Draft, Qualification
from prospecting.qualify.service import GRAPH_FEATURE_KEYS, qualify_inbound
from prospecting.runtime import Runtime
from prospecting.workflows import erasure

CHILD = Path(__file__).with_name("crash_child.py")
MESSAGE = {
    "channel": "sms",
    "sender_phone": PHONE,
    "sender_name": "Jamie Clarke",
    "body": "Can I book Friday at 10am?",
}
PROVENANCE = {
    "request_id": "DSR-2026-0099",
    "received_at": "2026-11-20T10:00:00Z",
    "verification_method": "email_link",
    "verifier": "privacy desk",
    "legal_ground": "gdpr_art17",
}


# -- the child process --------------------------------------------------------------------------


def run_child(env: dict[str, str], spec: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CHILD), json.dumps(spec)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def killed(env: dict[str, str], spec: dict[str, Any]) -> None:
    """Run the child and require that it died by SIGKILL (at its kill point, nowhere else)."""
    done = run_child(env, spec)
    assert done.returncode == -signal.SIGKILL, (
        f"child was not killed at {spec['kill']}: rc={done.returncode}\n"
        f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    )


def commit_order(env: dict[str, str], spec: dict[str, Any]) -> list[str]:
    """Run the child without a kill point; the stores' commits in order."""
    done = run_child(env, spec)
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout.splitlines()[-1])["commits"])


# -- the invariant ------------------------------------------------------------------------------


@dataclass
class Dangling:
    """Graph rows that refer to a prospect the tenant store has not committed."""

    links: list[str]
    """prospect ids of `prospect_links` rows with no tenant prospect."""
    audits: list[str]
    """audit rows whose consumer has no committed, linked prospect of that subject."""
    subjects: list[str]
    """subject keys no link of a committed prospect names."""

    def __bool__(self) -> bool:
        return bool(self.links or self.audits or self.subjects)


def dangling(runtime: Runtime) -> Dangling:
    with runtime.stores.graph() as graph:
        links = graph.execute(
            select(ProspectLink.provider_id, ProspectLink.prospect_id, ProspectLink.subject_key)
        ).all()
        audits = graph.execute(
            select(QueryAudit.id, QueryAudit.consumer_id, QueryAudit.subject_key)
        ).all()
        subjects = list(graph.scalars(select(SubjectKey.subject_key)))
    with runtime.stores.tenant_read() as tenant:
        existing = set(tenant.scalars(select(Prospect.id)))
    committed = [link for link in links if link.prospect_id in existing]
    held = {(link.provider_id, link.subject_key) for link in committed}
    return Dangling(
        links=sorted(link.prospect_id for link in links if link.prospect_id not in existing),
        audits=sorted(
            a.id
            for a in audits
            if a.subject_key is not None and (a.consumer_id, a.subject_key) not in held
        ),
        subjects=sorted(set(subjects) - {link.subject_key for link in committed}),
    )


def graph_rows(runtime: Runtime) -> dict[str, set[Any]]:
    """What an inbound may write to the graph: links, subjects, digests, audit and budget."""
    tables = {
        "links": (ProspectLink.provider_id, ProspectLink.prospect_id, ProspectLink.subject_key),
        "subjects": (SubjectKey.subject_key, SubjectKey.status),
        "dimensions": (SubjectDimension.id,),
        "audits": (QueryAudit.id, QueryAudit.consumer_id, QueryAudit.kind),
        "budgets": (SubjectBudget.subject_key, SubjectBudget.spent_units),
    }
    with runtime.stores.graph() as graph:
        return {name: set(graph.execute(select(*cols)).all()) for name, cols in tables.items()}


# -- the scene ----------------------------------------------------------------------------------


@dataclass
class Scene:
    net: Net
    peers: list[tuple[Provider, str]]
    asker: Provider

    def spec(self, **kw: Any) -> dict[str, Any]:
        return {"workflow": "inbound", "actor_id": self.asker.id, "message": MESSAGE} | kw


@pytest.fixture
def scene(client, make_provider) -> Scene:
    """Two peers who contributed a booked outcome for PHONE, and an asker with graph query and
    contribute consent and no prospects yet; all committed before any child starts."""
    net = Net(client, make_provider)
    peers = []
    for _ in range(2):
        peer = net.provider("contribute_all", "query_on")
        pid = net.inbound(peer, phone=PHONE, name="Jamie Clarke")
        outcome = client.post(
            f"/prospects/{pid}/outcomes", json={"outcome": "booked"}, headers=peer.headers
        )
        assert outcome.status_code == 201, outcome.text
        contributed = net.contribute(
            peer, pid, "booked", outcome_version=outcome.json()["outcome_version"]
        )
        assert contributed.status_code in (200, 201), contributed.text
        peers.append((peer, pid))
    return Scene(net, peers, net.provider("contribute_all", "query_on"))


def asker_state(runtime: Runtime, asker: Provider) -> tuple[list[Prospect], list[Touchpoint]]:
    with runtime.stores.tenant_read() as tenant:
        prospects = list(tenant.scalars(select(Prospect).where(Prospect.person_id == asker.id)))
        messages = list(
            tenant.scalars(
                select(Touchpoint).where(
                    Touchpoint.person_id == asker.id, Touchpoint.direction == "inbound"
                )
            )
        )
    return prospects, messages


def count(runtime: Runtime, model: Any, *where: Any) -> int:
    with runtime.stores.tenant_read() as tenant:
        return int(tenant.scalar(select(func.count()).select_from(model).where(*where)) or 0)


# -- the tests ----------------------------------------------------------------------------------


def test_the_check_flags_a_graph_link_for_a_missing_prospect(runtime, scene) -> None:
    """The invariant check is not vacuous: an orphan link (with its subject and audit row) is
    flagged, and the honest scene is clean."""
    assert not dangling(runtime)
    with runtime.stores.graph() as graph:
        subject = SubjectKey()
        graph.add(subject)
        graph.flush()
        graph.add(
            ProspectLink(
                provider_id=scene.asker.id,
                prospect_id="f" * 32,
                subject_key=subject.subject_key,
                confidence=1.0,
            )
        )
        audit = graph_audit.record(  # chained: the ledger refuses a row that is not
            graph,
            consumer_id=scene.asker.id,
            subject_key=subject.subject_key,
            kind="auto_qualify",
            scope={},
            result_state="ok",
        )
        orphan = (subject.subject_key, audit.id)
    found = dangling(runtime)
    assert found.links == ["f" * 32]
    assert found.subjects == [orphan[0]]
    assert found.audits == [orphan[1]]


def test_graph_first_order_would_leave_an_orphan(runtime, scene, cli_env) -> None:
    """Why the order matters: the old order (graph transaction nested in the tenant one, so the
    graph committed first) killed at its tenant commit leaves a link, subject digests and an
    audit row for a prospect that never existed; the check catches exactly that."""
    killed(cli_env, scene.spec(workflow="graph_first", kill={"commit": "tenant", "nth": 1}))
    assert asker_state(runtime, scene.asker) == ([], [])
    found = dangling(runtime)
    assert len(found.links) == 1 and found.audits, found


KILL_POINTS = {
    "tenant-1-ingest": {"commit": "tenant", "nth": 1},
    "graph-1-link-query": {"commit": "graph", "nth": 1},
    "tenant-read-after-graph": {"commit": "tenant:read", "nth": 1},
    "tenant-2-qualify": {"commit": "tenant", "nth": 2},
}
GRAPH_COMMITTED = {"tenant-read-after-graph", "tenant-2-qualify"}


def test_the_kill_points_are_every_commit_of_the_inbound(scene, cli_env) -> None:
    """The inbound commits tenant, graph, (the graph step's read-only tenant transaction),
    tenant; the kill points are exactly these commits, so a new one needs a new kill point."""
    trace = commit_order(cli_env, scene.spec())
    assert trace == ["tenant", "graph", "tenant:read", "tenant"]
    points = [{"commit": c, "nth": trace[: i + 1].count(c)} for i, c in enumerate(trace)]
    assert points == list(KILL_POINTS.values())
    assert commit_order(cli_env, scene.spec(workflow="graph_first")) == ["graph", "tenant"]


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_a_kill_at_any_commit_leaves_no_orphan_and_is_finished(
    runtime, scene, cli_env, point
) -> None:
    """Killed at each commit: no graph row for an uncommitted prospect; a committed message
    is left unqualified (linked only if the graph step committed) and is finished later."""
    before = graph_rows(runtime)
    killed(cli_env, scene.spec(kill=KILL_POINTS[point]))

    assert not dangling(runtime), dangling(runtime)
    after = graph_rows(runtime)
    prospects, messages = asker_state(runtime, scene.asker)

    if point == "tenant-1-ingest":
        assert (prospects, messages) == ([], [])
        assert after == before, "nothing reached the graph for an uncommitted prospect"
        return

    assert len(prospects) == 1 and len(messages) == 1
    prospect, message = prospects[0], messages[0]
    assert count(runtime, Qualification, Qualification.touchpoint_id == message.id) == 0
    assert count(runtime, Draft, Draft.prospect_id == prospect.id) == 0
    # the link confidence is written with the qualification, so it is missing too
    assert prospect.link_confidence is None

    if point not in GRAPH_COMMITTED:
        assert after == before, "the graph transaction did not commit: no link, no audit row"
    else:
        new_links = after["links"] - before["links"]
        assert [(p, pid) for p, pid, _ in new_links] == [(scene.asker.id, prospect.id)]
        subject = next(iter(new_links))[2]
        assert subject in {key for key, _ in before["subjects"]}, "the peers' subject"
        assert after["subjects"] == before["subjects"]
        new_audits = after["audits"] - before["audits"]
        assert [(c, k) for _, c, k in new_audits] == [(scene.asker.id, "auto_qualify")]

    # Finish the unqualified message later: idempotent per message.
    answers = []
    for _ in range(2):
        with runtime.stores.tenant() as tenant:
            actor = get_person(session=tenant, person_id=scene.asker.id)
            qualification, draft = qualify_inbound(
                session=tenant, actor=actor, touchpoint_id=message.id
            )
            answers.append((qualification.id, draft.id))
    assert answers[0] == answers[1]
    assert count(runtime, Qualification, Qualification.touchpoint_id == message.id) == 1
    assert count(runtime, Draft, Draft.prospect_id == prospect.id) == 1
    assert not dangling(runtime)


def test_an_erasure_killed_after_the_tombstone_is_finished_by_replay(
    runtime, scene, cli_env
) -> None:
    """The erasure commits the graph tombstone, then strips the tenant qualifications; killed
    in between, a replay of the same DSR request id answers `replayed` and finishes the strip
    of every linked prospect's qualifications."""
    net = scene.net
    qualified = net.client.post("/qualify/inbound", json=MESSAGE, headers=scene.asker.headers)
    assert qualified.status_code == 201, qualified.text
    asker_pid = qualified.json()["ingest"]["prospect"]["id"]
    subject_key = net.link(scene.asker, asker_pid)["subject_key"]
    with runtime.stores.graph() as graph:
        linked = set(
            graph.scalars(
                select(ProspectLink.prospect_id).where(ProspectLink.subject_key == subject_key)
            )
        )
    assert {asker_pid, *(pid for _, pid in scene.peers)} <= linked

    def graph_derived() -> list[tuple[str, set[str]]]:
        with runtime.stores.tenant_read() as tenant:
            rows = tenant.scalars(
                select(Qualification).where(Qualification.prospect_id.in_(linked))
            ).all()
            assert rows
            named = [(q, set(q.features) | {f.get("feature") for f in q.factors}) for q in rows]
            return [(q.graph_state, names & GRAPH_FEATURE_KEYS) for q, names in named]

    assert any(keys for _, keys in graph_derived()), "the asker's qualification used the graph"

    officer = net.provider(roles=[Role.PRIVACY_OFFICER])
    opt_out = {"subject_key": subject_key, "provenance": PROVENANCE}
    # tenant write commit #1 of the erasure is the strip, after the graph tombstone committed
    killed(
        cli_env,
        {
            "workflow": "erasure",
            "actor_id": officer.id,
            "opt_out": opt_out,
            "kill": {"commit": "tenant", "nth": 1},
        },
    )
    with runtime.stores.graph() as graph:
        assert graph.get(SubjectKey, subject_key).status == SubjectStatus.TOMBSTONED.value
        assert graph.scalar(
            select(SubjectOptOut.id).where(SubjectOptOut.request_id == PROVENANCE["request_id"])
        )
    assert any(keys for _, keys in graph_derived()), "the strip did not commit"

    with runtime.stores.tenant_read() as tenant:
        actor = get_person(session=tenant, person_id=officer.id)
    out = erasure.subject_opt_out(
        runtime, actor=actor, data=OptOutIn.model_validate(opt_out), channel="cli"
    )
    assert out.replayed is True and out.subject_key == subject_key
    stripped = graph_derived()
    assert stripped == [("erased", set())] * len(stripped)
    assert not dangling(runtime)
