"""The tenant directory version (issue 11): one counter row that triggers advance with every
change of a Person or an Org membership, in the writer's own transaction, on both backends.
The graph's network view trusts it to know when who is in the network, their profile or
their Orgs moved, so every such write must move it, and the writes a request makes all day
(tokens, prospects) must not."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from prospecting import migrations
from prospecting.db import make_engine
from prospecting.identity import service as identity
from prospecting.identity.models import Person
from prospecting.identity.schemas import MembershipCreate, OrgCreate, PersonCreate, ProfileUpdate
from prospecting.prospects import service as prospects
from prospecting.prospects.schemas import Channel, InboundMessage


def _version(runtime: Any) -> tuple[Any, ...]:
    with runtime.stores.tenant_read() as session:
        return identity.directory_version(session=session)


def test_every_person_and_membership_change_moves_the_version(runtime) -> None:
    seen = [_version(runtime)]

    def moved() -> None:
        now = _version(runtime)
        assert now != seen[-1]
        assert now[0] == seen[-1][0]  # the same store: only the counter moved
        seen.append(now)

    with runtime.stores.tenant() as session:
        admin = identity.create_person(session=session, data=PersonCreate(display_name="Ada"))
        member = identity.create_person(session=session, data=PersonCreate(display_name="Bo"))
    moved()
    with runtime.stores.tenant() as session:
        actor = identity.get_person(session=session, person_id=admin.id)
        identity.update_profile(session=session, actor=actor, data=ProfileUpdate(region="GB-LND"))
    moved()
    with runtime.stores.tenant() as session:
        actor = identity.get_person(session=session, person_id=admin.id)
        org = identity.create_org(session=session, data=OrgCreate(name="Clinic"), admin=actor)
        org_id = org.id
    moved()  # the founder's active membership
    with runtime.stores.tenant() as session:
        actor = identity.get_person(session=session, person_id=admin.id)
        invite = MembershipCreate(person_id=member.id)
        identity.invite_member(session=session, actor=actor, org_id=org_id, data=invite)
    moved()
    with runtime.stores.tenant() as session:
        actor = identity.get_person(session=session, person_id=member.id)
        identity.accept_invitation(session=session, actor=actor, org_id=org_id)
    moved()
    with runtime.stores.tenant() as session:
        actor = identity.get_person(session=session, person_id=member.id)
        identity.leave_org(session=session, actor=actor, org_id=org_id)
    moved()
    with runtime.stores.tenant() as session:
        session.execute(sa.delete(Person).where(Person.id == member.id))
    moved()


def test_a_request_s_everyday_writes_leave_the_version_alone(runtime, make_provider) -> None:
    provider = make_provider()
    before = _version(runtime)
    with runtime.stores.tenant() as session:
        actor = identity.get_person(session=session, person_id=provider.id)
        identity.issue_token(session=session, person=actor, name="another")
        prospects.ingest(
            session=session,
            actor=actor,
            resolver=runtime.resolver,
            message=InboundMessage(
                channel=Channel.SMS, sender_phone="+447911123456", body="Any space on Friday?"
            ),
        )
    assert _version(runtime) == before


def test_a_change_rolled_back_leaves_the_version_where_it_was(runtime) -> None:
    before = _version(runtime)
    session_maker = runtime.stores.tenant
    try:
        with session_maker() as session:
            identity.create_person(session=session, data=PersonCreate(display_name="Gone"))
            session.flush()
            assert identity.directory_version(session=session) != before  # in its transaction
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    assert _version(runtime) == before


def _triggers(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                rows = conn.execute(
                    sa.text("SELECT DISTINCT trigger_name FROM information_schema.triggers")
                )
            else:
                rows = conn.execute(sa.text("SELECT name FROM sqlite_master WHERE type='trigger'"))
            return {name for (name,) in rows if "directory_version" in name}
    finally:
        engine.dispose()


def test_the_directory_version_migration_goes_up_and_down(fresh_tenant_url: str) -> None:
    migrations.upgrade("tenant", fresh_tenant_url)
    up = _triggers(fresh_tenant_url)
    watched = ("persons", "org_memberships")
    if fresh_tenant_url.startswith("postgresql"):  # statement triggers, TRUNCATE included
        assert up == {f"trg_{table}_directory_version" for table in watched}
    else:
        events = ("insert", "update", "delete")
        assert up == {f"trg_{t}_directory_version_{e}" for t in watched for e in events}
    migrations.downgrade("tenant", fresh_tenant_url, "0008")
    assert _triggers(fresh_tenant_url) == set()
    engine = make_engine(fresh_tenant_url)
    try:
        assert "directory_version" not in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()
    migrations.upgrade("tenant", fresh_tenant_url)
    assert _triggers(fresh_tenant_url) == up
