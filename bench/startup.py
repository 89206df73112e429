"""Start-up benchmark: how long the installed `prospecting` command takes to be useful.

Measures, in subprocesses of this venv (run it warm: once before, so .pyc files exist):

  (a) `prospecting --help` wall time, median of several runs;
  (b) launching `prospecting serve` until GET /health first answers 200 (a fresh data dir in a
      temp directory, a free port, development mode, no demo seeding);
  (c) right after that start, the first POST /qualify/inbound and a second one, for a Person
      and token made with the CLI against the same data dir before the server started;
  (d) launching `prospecting mcp` (stdio, that Person's token) until it answers `initialize`
      and then `tools/list`;

next to a floor measured in the same run: `python -c pass` and `python -c "import fastapi"`.
Prints figures against the targets (idle machine): (a) < 1 s, (b) < 3 s, (c) < 300 ms;
(d) is reported next to (b).
It never asserts; the tests check what is imported, not how fast.

    .venv/bin/python bench/startup.py              # 7 --help runs, 3 server starts
    .venv/bin/python bench/startup.py --help-runs 11 --serve-runs 5
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
PROSPECTING = BIN / "prospecting"
TARGETS = {"help": 1.0, "serve": 3.0, "inbound": 0.3}
INBOUND = {
    "channel": "sms",
    "sender_phone": "07911 123456",
    "body": "Hi, can I book Thursday evening?",
}
SECOND_INBOUND = {
    "channel": "sms",
    "sender_phone": "07400 123456",
    "body": "How much is a session on Saturday morning?",
}
START_TIMEOUT = 60.0


def clean_env(data_dir: Path | None = None, port: int | None = None) -> dict[str, str]:
    """This environment without PROSPECTING_* settings, plus a data dir and port if given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROSPECTING_")}
    env["PROSPECTING_MODE"] = "development"
    env["PROSPECTING_SEED_DEMO"] = "false"
    env["PROSPECTING_LOG_LEVEL"] = "WARNING"
    if data_dir is not None:
        env["PROSPECTING_DATA_DIR"] = str(data_dir)
    if port is not None:
        env["PROSPECTING_PORT"] = str(port)
    return env


def wall(argv: Sequence[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603 (own argv)
    return time.perf_counter() - started


def median_wall(argv: Sequence[str], runs: int, env: dict[str, str]) -> float:
    wall(argv, env)  # warm the page cache and .pyc files
    return statistics.median(wall(argv, env) for _ in range(runs))


def cli(data_dir: Path, *args: str) -> str:
    done = subprocess.run(  # noqa: S603 (this venv's own command)
        [str(PROSPECTING), *args],
        env=clean_env(data_dir),
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1].strip()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class ServeRun:
    to_health: float
    first_inbound: float
    second_inbound: float
    data_dir: Path
    token: str


def serve_once(root: Path, run: int) -> ServeRun:
    """A fresh data dir with one Person and token (via the CLI), then one server start."""
    data_dir = root / f"run-{run}"
    cli(data_dir, "migrate")
    person_id = cli(
        data_dir, "persons", "create", "--name", "Bench Provider", "--phone-region", "GB"
    )
    token = cli(data_dir, "tokens", "create", person_id)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (root / f"serve-{run}.log").open("wb")
    started = time.perf_counter()
    server = subprocess.Popen(  # noqa: S603 (this venv's own command)
        [str(PROSPECTING), "serve"],
        env=clean_env(data_dir, port),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        with httpx.Client(base_url=base, timeout=10.0) as client:
            to_health = _wait_for_health(client, server, started)
            headers = {"Authorization": f"Bearer {token}"}
            timings = []
            for body in (INBOUND, SECOND_INBOUND):
                sent = time.perf_counter()
                response = client.post("/qualify/inbound", json=body, headers=headers)
                timings.append(time.perf_counter() - sent)
                if response.status_code != 201:
                    raise RuntimeError(
                        f"POST /qualify/inbound: {response.status_code} {response.text}"
                    )
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
    return ServeRun(to_health, timings[0], timings[1], data_dir, token)


def mcp_ready(data_dir: Path, token: str) -> tuple[float, float]:
    """Seconds from launching the stdio MCP server to its `initialize` answer, and to the
    `tools/list` answer after it."""
    env = clean_env(data_dir) | {"PROSPECTING_TOKEN": token}
    started = time.perf_counter()
    server = subprocess.Popen(  # noqa: S603 (this venv's own command)
        [str(PROSPECTING), "mcp"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert server.stdin is not None and server.stdout is not None
    try:
        initialize = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "bench", "version": "1"},
            },
        }
        server.stdin.write(json.dumps(initialize) + "\n")
        server.stdin.flush()
        server.stdout.readline()
        to_initialize = time.perf_counter() - started
        for message in (
            {"jsonrpc": "2.0", "method": "notifications/initialized"},
            {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        ):
            server.stdin.write(json.dumps(message) + "\n")
        server.stdin.flush()
        server.stdout.readline()
        return to_initialize, time.perf_counter() - started
    finally:
        server.kill()
        server.wait()


def _wait_for_health(
    client: httpx.Client, server: subprocess.Popen[bytes], started: float
) -> float:
    while time.perf_counter() - started < START_TIMEOUT:
        if server.poll() is not None:
            raise RuntimeError(f"prospecting serve exited with {server.returncode}")
        try:
            if client.get("/health").status_code == 200:
                return time.perf_counter() - started
        except httpx.TransportError:
            pass
        time.sleep(0.005)
    raise RuntimeError(f"no 200 from /health within {START_TIMEOUT:.0f} s")


def row(label: str, seconds: float, target: float | None = None) -> None:
    """One figure, and how it compares with its target if it has one."""
    line = f"  {label:<31}{_fmt(seconds):>9}"
    if target is not None:
        line += f"   {'within' if seconds < target else 'OVER'} target < {_fmt(target)}"
    print(line)


def _fmt(seconds: float) -> str:
    return f"{seconds * 1e3:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--help-runs", type=int, default=7)
    parser.add_argument("--serve-runs", type=int, default=3)
    args = parser.parse_args()
    python = str(BIN / "python")
    env = clean_env()

    print(f"start-up of {PROSPECTING} ({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f})\n")
    print(f"floor (median of {args.help_runs} runs)")
    row("python -c pass", median_wall([python, "-c", "pass"], args.help_runs, env))
    row(
        "python -c 'import fastapi'",
        median_wall([python, "-c", "import fastapi"], args.help_runs, env),
    )

    help_seconds = median_wall([str(PROSPECTING), "--help"], args.help_runs, env)
    print(f"\n(a) prospecting --help (median of {args.help_runs})")
    row("wall", help_seconds, TARGETS["help"])

    with tempfile.TemporaryDirectory(prefix="prospecting-startup-") as tmp:
        runs = [serve_once(Path(tmp), i) for i in range(args.serve_runs)]
        mcp = [mcp_ready(r.data_dir, r.token) for r in runs]
    each = ", ".join(_fmt(r.to_health) for r in runs)
    print(f"\n(b) prospecting serve → first 200 from GET /health (median of {len(runs)}: {each})")
    row("wall", statistics.median(r.to_health for r in runs), TARGETS["serve"])
    print(f"\n(c) POST /qualify/inbound right after start (median of {len(runs)})")
    row("first", statistics.median(r.first_inbound for r in runs), TARGETS["inbound"])
    row("second", statistics.median(r.second_inbound for r in runs))
    print(
        "\n  per run (health / first / second): "
        + "; ".join(
            f"{_fmt(r.to_health)} / {_fmt(r.first_inbound)} / {_fmt(r.second_inbound)}"
            for r in runs
        )
    )
    print(f"\n(d) prospecting mcp (stdio) until it answers (median of {len(mcp)})")
    row("initialize", statistics.median(m[0] for m in mcp))
    row("tools/list", statistics.median(m[1] for m in mcp))


if __name__ == "__main__":
    main()
