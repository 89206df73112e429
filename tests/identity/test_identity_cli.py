"""The operator CLI drives the same identity service."""

from __future__ import annotations

from typer.testing import CliRunner

from prospecting.edges.cli.main import app

runner = CliRunner()


def test_cli_creates_person_org_and_token(cli_env, client):
    env = cli_env
    made = runner.invoke(
        app,
        [
            "persons",
            "create",
            "--name",
            "Kai",
            "--phone-region",
            "GB",
            "--category",
            "fitness",
            "--tz",
            "Europe/London",
        ],
        env=env,
    )
    assert made.exit_code == 0, made.output
    person_id = made.output.strip()
    org = runner.invoke(app, ["orgs", "create", "--name", "Gym", "--admin", person_id], env=env)
    assert org.exit_code == 0, org.output
    token = runner.invoke(app, ["tokens", "create", person_id, "--name", "copilot"], env=env)
    assert token.exit_code == 0, token.output
    me = client.get("/me", headers={"Authorization": f"Bearer {token.output.strip()}"})
    assert me.json()["display_name"] == "Kai"


def test_cli_reports_bad_input_by_field(cli_env):
    result = runner.invoke(
        app, ["persons", "create", "--name", "Kai", "--tz", "Nowhere/Else"], env=cli_env
    )
    assert result.exit_code == 2
    assert "time_zone" in result.output


def test_cli_refuses_production_without_key(tmp_path):
    env = {"PROSPECTING_MODE": "production", "PROSPECTING_DATA_DIR": str(tmp_path)}
    result = runner.invoke(app, ["persons", "list"], env=env)
    assert result.exit_code == 2
    assert "NETWORK_KEY" in result.output


def test_cli_invites_and_the_person_accepts_over_http(cli_env, client, make_provider):
    admin, bob = make_provider(), make_provider()
    org = runner.invoke(app, ["orgs", "create", "--name", "Gym", "--admin", admin.id], env=cli_env)
    org_id = org.output.strip()
    for person_id in (bob.id, "0" * 32):
        invited = runner.invoke(app, ["orgs", "invite", org_id, person_id], env=cli_env)
        assert invited.exit_code == 0, invited.output
        assert invited.output.strip() == "invitation sent if the person exists"
    listed = runner.invoke(app, ["orgs", "invitations", bob.id], env=cli_env)
    assert listed.exit_code == 0 and org_id in listed.output
    accepted = client.post(f"/orgs/{org_id}/invitation/accept", headers=bob.headers)
    assert accepted.status_code == 200 and accepted.json()["status"] == "active"
