"""The history import through its three adapters: HTTP (`POST /prospects/import`, text/csv),
the MCP tool `import_history` and `prospecting prospects import FILE`."""

from __future__ import annotations

import json

import anyio
from mcp import Client
from typer.testing import CliRunner

from prospecting.edges.cli.main import app
from prospecting.edges.http import prospects as http_prospects
from prospecting.edges.mcp.server import build_server

CSV = (
    "Client,Mobile,E-mail,Appointment Date,Status,Staff\n"
    "Sam Lee,07911 123456,sam@example.org,05/03/2024,Completed,Kim\n"
    "Sam Lee,07911 123456,,13/03/2024,No-show,Kim\n"
    "Jo Bloggs,,jo@example.org,01/02/2024,Maybe later,Kim\n"
)
CSV_HEADERS = {"Content-Type": "text/csv; charset=utf-8"}
runner = CliRunner()


def test_http_import_returns_the_report(client, make_provider, monkeypatch):
    alice = make_provider()
    headers = alice.headers | CSV_HEADERS
    imported = client.post("/prospects/import?contribute=false", content=CSV, headers=headers)
    assert imported.status_code == 200, imported.text
    report = imported.json()
    assert (report["clients_created"], report["appointments"], report["outcomes"]) == (1, 2, 2)
    assert report["rejected"] == [
        {
            "row": 4,
            "field": "status",
            "reason": 'column "Status": unknown status "Maybe later"; known: '
            "booked/completed/attended/showed/paid, rescheduled, no-show/missed, "
            "cancelled/declined, blocked/banned, or empty/upcoming",
        }
    ]
    assert report["ignored_columns"] == ["Staff"] and not report["network"]["requested"]
    listed = client.get("/prospects", headers=alice.headers).json()
    assert listed["total"] == 1 and listed["items"][0]["status"] == "lost"

    again = client.post("/prospects/import", content=CSV.encode("utf-8-sig"), headers=headers)
    assert again.json()["duplicates"] == 2 and again.json()["network"]["requested"]

    assert client.post("/prospects/import", content=CSV, headers=CSV_HEADERS).status_code == 401
    wrong = client.post("/prospects/import", json={"csv": CSV}, headers=alice.headers)
    assert wrong.status_code == 415
    unreadable = client.post("/prospects/import", content="name,date\nx,y\n", headers=headers)
    assert unreadable.status_code == 422
    assert unreadable.json()["errors"][0]["field"] == "body"
    bad_option = client.post("/prospects/import?date_order=ydm", content=CSV, headers=headers)
    assert bad_option.status_code == 422

    monkeypatch.setattr(http_prospects, "MAX_IMPORT_BYTES", 64)
    too_big = client.post("/prospects/import", content=CSV, headers=headers)
    assert too_big.status_code == 413
    assert too_big.headers["content-type"] == "application/problem+json"
    assert too_big.json()["type"] == "/problems/payload_too_large"


def test_mcp_import_history_tool(runtime, make_provider):
    alice = make_provider()

    async def scenario():
        async with Client(build_server(runtime, bound_token=alice.token)) as mcp:
            done = await mcp.call_tool("import_history", {"csv": CSV, "contribute": False})
            again = await mcp.call_tool("import_history", {"csv": CSV, "date_order": "dmy"})
            bad = await mcp.call_tool("import_history", {"csv": "name\nSam\n"})
            empty = await mcp.call_tool("import_history", {"csv": ""})
        return done, again, bad, empty

    done, again, bad, empty = anyio.run(scenario)
    assert done.structured_content["clients_created"] == 1
    assert done.structured_content["rejected_total"] == 1
    assert again.structured_content["duplicates"] == 2
    assert again.structured_content["date_order_from"] == "option"
    assert bad.is_error and empty.is_error
    text = bad.content[0].text  # type: ignore[union-attr]
    assert text.startswith("invalid_input: csv: the header row names no phone or email column")
    assert "\nNext: " in text
    assert "csv:" in empty.content[0].text  # type: ignore[union-attr]


def test_cli_import_with_a_progress_bar(cli_env, make_provider, tmp_path):
    alice = make_provider()
    export = tmp_path / "clients.csv"
    export.write_text(CSV, encoding="utf-8")
    by_token = runner.invoke(
        app,
        ["prospects", "import", str(export), "--no-contribute"],
        env=cli_env | {"PROSPECTING_TOKEN": alice.token},
    )
    assert by_token.exit_code == 0, by_token.output
    assert "clients created" in by_token.stdout and "kept local" in by_token.stdout
    assert "row 4: status: column" in by_token.stdout
    assert "importing" in by_token.stderr  # the progress bar
    as_json = runner.invoke(
        app, ["prospects", "import", str(export), "--person", alice.id, "--json"], env=cli_env
    )
    assert as_json.exit_code == 0, as_json.output
    report = json.loads(as_json.stdout)
    assert report["duplicates"] == 2 and report["network"]["requested"]

    neither = runner.invoke(app, ["prospects", "import", str(export)], env=cli_env)
    assert neither.exit_code == 2 and "exactly one of" in neither.output
    header_only = tmp_path / "names.csv"
    header_only.write_text("name\nSam\n", encoding="utf-8")
    refused = runner.invoke(
        app, ["prospects", "import", str(header_only), "--person", alice.id], env=cli_env
    )
    assert refused.exit_code == 2
    assert "names.csv: the header row names no phone or email column" in refused.output
    stranger = runner.invoke(
        app, ["prospects", "import", str(export), "--as-token", "pk_nope"], env=cli_env
    )
    assert stranger.exit_code == 2 and "error:" in stranger.output
