"""The `prospecting` commands that drive services directly: migrate, demo, persons, orgs,
tokens, keys, qualify, coop. `serve` and `mcp` compose the app and live in `prospecting.main`."""

from __future__ import annotations

import logging
import sys
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy import select

from prospecting.config import load_settings
from prospecting.edges.cli.audit import audit_app
from prospecting.edges.cli.common import build_runtime, console, edge, err_console, in_tenant
from prospecting.edges.cli.coop import coop_app
from prospecting.edges.cli.prospects import prospects_app
from prospecting.edges.cli.qualify import qualify_app
from prospecting.edges.cli.simulate import simulate
from prospecting.identity import service as identity
from prospecting.identity.models import Person, Role
from prospecting.identity.schemas import (
    InvitationSent,
    MembershipCreate,
    OrgCreate,
    PersonCreate,
)
from prospecting.prospects.identifiers import rehash_all
from prospecting.runtime import Runtime

app = typer.Typer(help="prospecting: prospect work off independent providers' plates.")
persons_app = typer.Typer(help="Create and list Persons (providers).")
orgs_app = typer.Typer(help="Create Orgs and invite members (a Person joins by accepting).")
tokens_app = typer.Typer(help="Issue and revoke API tokens.")
keys_app = typer.Typer(help="Network key rotation.")
app.add_typer(persons_app, name="persons")
app.add_typer(orgs_app, name="orgs")
app.add_typer(tokens_app, name="tokens")
app.add_typer(keys_app, name="keys")
app.add_typer(qualify_app, name="qualify")
app.add_typer(prospects_app, name="prospects")
app.add_typer(audit_app, name="audit")
app.add_typer(coop_app, name="coop")
app.command("simulate")(simulate)
log = logging.getLogger("prospecting")


@app.command()
def migrate() -> None:
    """Upgrade the tenant store and the graph store to the newest schema."""
    with edge():
        settings = load_settings()
        from prospecting.migrations import upgrade_all  # alembic: only when migrating

        upgrade_all(settings.resolved_tenant_url, settings.resolved_graph_url)
    console.print("tenant store and graph store are at head")


@app.command("demo")
def seed_demo() -> None:
    """Seed the demo network into empty stores and print its tokens once."""
    from prospecting.demo import network as demo

    def work(runtime: Runtime, session: Any) -> bool:
        return bool(demo.is_empty(session))

    if not in_tenant(work):
        err_console.print("[red]error:[/red] the tenant store is not empty")
        raise typer.Exit(2)
    with edge():
        network = demo.seed_network(build_runtime())
    for name, token in network.tokens.items():
        console.print(f"{token}  {name}")


@persons_app.command("create")
def create_person(
    name: Annotated[str, typer.Option("--name", help="Display name")],
    category: Annotated[list[str] | None, typer.Option(help="Service category")] = None,
    region: Annotated[str | None, typer.Option(help="Region, e.g. GB-LND")] = None,
    phone_region: Annotated[str | None, typer.Option(help="Default phone region, e.g. GB")] = None,
    time_zone: Annotated[str, typer.Option("--tz", help="IANA time zone")] = "UTC",
    role: Annotated[list[Role] | None, typer.Option(help="Role (repeatable)")] = None,
) -> None:
    """Create a Person and print its id."""

    def work(_runtime: Runtime, session: Any) -> str:
        data = PersonCreate(
            display_name=name,
            service_categories=category or [],
            region=region,
            default_phone_region=phone_region,
            time_zone=time_zone,
            roles=role or [Role.PROVIDER],
        )
        return identity.create_person(session=session, data=data).id

    console.print(in_tenant(work))


@persons_app.command("list")
def list_persons() -> None:
    """List Persons with their roles."""

    def work(_runtime: Runtime, session: Any) -> list[Person]:
        return list(session.scalars(select(Person).order_by(Person.created_at)))

    table = Table("id", "name", "roles", "region")
    for person in in_tenant(work):
        roles = ",".join(sorted(person.role_names))
        table.add_row(person.id, person.display_name, roles, person.region or "")
    console.print(table)


@orgs_app.command("create")
def create_org(
    name: Annotated[str, typer.Option("--name")],
    admin: Annotated[str | None, typer.Option(help="Person id to make org_admin")] = None,
) -> None:
    """Create an Org and print its id."""

    def work(_runtime: Runtime, session: Any) -> str:
        person = identity.get_person(session=session, person_id=admin) if admin else None
        return identity.create_org(session=session, data=OrgCreate(name=name), admin=person).id

    console.print(in_tenant(work))


@orgs_app.command("invite")
def invite_member(
    org_id: str,
    person_id: str,
    role: Annotated[str, typer.Option(help="member or org_admin")] = "member",
) -> None:
    """Invite a Person into an Org (operator action). They join only by accepting it
    (`POST /orgs/{org_id}/invitation/accept` with their own token)."""

    def work(_runtime: Runtime, session: Any) -> None:
        data = MembershipCreate.model_validate({"person_id": person_id, "role": role})
        identity.invite_member(session=session, actor=None, org_id=org_id, data=data)

    in_tenant(work)
    console.print(InvitationSent().status)


@orgs_app.command("invitations")
def list_invitations(person_id: str) -> None:
    """List a Person's pending Org invitations."""

    def work(_runtime: Runtime, session: Any) -> list[tuple[str, str, str]]:
        person = identity.get_person(session=session, person_id=person_id)
        rows = identity.list_invitations(session=session, actor=person)
        return [(org.id, org.name, membership.role) for membership, org in rows]

    table = Table("org id", "org", "role")
    for row in in_tenant(work):
        table.add_row(*row)
    console.print(table)


@tokens_app.command("create")
def create_token(person_id: str, name: Annotated[str, typer.Option("--name")] = "cli") -> None:
    """Issue a token for a Person; it is printed once and only its digest is stored."""

    def work(_runtime: Runtime, session: Any) -> str:
        person = identity.get_person(session=session, person_id=person_id)
        return identity.issue_token(session=session, person=person, name=name)[1]

    token = in_tenant(work)
    sys.stdout.write(token + "\n")


@tokens_app.command("revoke")
def revoke_token(person_id: str, token_id: str) -> None:
    """Revoke one of a Person's tokens."""

    def work(_runtime: Runtime, session: Any) -> None:
        person = identity.get_person(session=session, person_id=person_id)
        identity.revoke_token(session=session, actor=person, token_id=token_id)

    in_tenant(work)
    console.print("revoked")


@keys_app.command("rehash")
def rehash() -> None:
    """Compute every prospect's hash chain under every key in the ring (run before rotating)."""

    def work(runtime: Runtime, session: Any) -> int:
        return rehash_all(session=session, resolver=runtime.resolver)

    count = in_tenant(work)
    console.print(f"hash chains refreshed for {count} prospects")
