"""Auto-qualify benchmark: inbound → draft latency (p50/p99) and throughput on the demo data.

Seeds the demo network (providers, profiles, a few hundred messages with outcomes) into a
fresh SQLite store in a temp dir, then sends new inbound messages through the real service —
`workflows.inbound.receive`, the path the HTTP route and MCP tool take — its tenant and graph
transactions (committed) per message, in process. Latency is wall time per message including
the commits; `--workers 2` runs that many threads against the store (2 cores).

    .venv/bin/python bench/qualify.py              # 500 messages, 1 worker
    .venv/bin/python bench/qualify.py --n 1000 --workers 2
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from sqlalchemy import select

from prospecting.config import load_settings
from prospecting.demo import network as demo
from prospecting.demo.qualify import generate
from prospecting.identity.models import Person, Role
from prospecting.migrations import upgrade_all
from prospecting.prospects.schemas import InboundMessage
from prospecting.qualify import intent
from prospecting.runtime import Runtime
from prospecting.workflows import inbound

KEY = "b1=" + "bench-network-secret-" + "q" * 40


def messages(n: int) -> list[tuple[int, InboundMessage]]:
    """Fresh demo-like inbound (a different seed than the seeded history)."""
    out: list[tuple[int, InboundMessage]] = []
    for i, prospect in enumerate(generate(seed=1000, per_provider=max(n // 4 + 1, 1))):
        text = prospect.messages[-1].text
        out.append(
            (
                prospect.provider,
                InboundMessage(
                    channel=prospect.messages[-1].channel,
                    sender_name=f"Bench Sender {i}",
                    sender_email=f"bench{i}@example.org",
                    body=text,
                ),
            )
        )
    return out[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(mode="test", data_dir=Path(folder), network_key=KEY)
        upgrade_all(settings.resolved_tenant_url, settings.resolved_graph_url)
        runtime = Runtime.build(settings)
        started = time.perf_counter()
        intent.classify("warm up")
        warm = time.perf_counter() - started
        started = time.perf_counter()
        with runtime.stores.tenant() as session:
            demo.seed(session=session, resolver=runtime.resolver)
        seeded = time.perf_counter() - started
        with runtime.stores.tenant() as session:
            actors = [
                p
                for p in session.scalars(select(Person).order_by(Person.created_at))
                if p.has_role(Role.PROVIDER)
            ]
        work = messages(args.n)
        latencies: list[float] = []
        lock = threading.Lock()

        def run(chunk: list[tuple[int, InboundMessage]]) -> None:
            for who, message in chunk:
                t0 = time.perf_counter()
                inbound.receive(runtime, actor=actors[who], message=message, channel="cli")
                elapsed = time.perf_counter() - t0
                with lock:
                    latencies.append(elapsed)

        chunks = [work[i :: args.workers] for i in range(args.workers)]
        threads = [threading.Thread(target=run, args=(c,)) for c in chunks]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        runtime.stores.dispose()
    ms = np.asarray(latencies) * 1000
    print(f"intent model warm-up (first use): {warm:.2f} s")
    print(f"demo seed (network + history through the pipeline): {seeded:.2f} s")
    print(f"inbound -> draft, {len(latencies)} messages, {args.workers} worker(s), SQLite:")
    print(
        f"  latency p50 {np.percentile(ms, 50):.1f} ms, p99 {np.percentile(ms, 99):.1f} ms, "
        f"max {ms.max():.1f} ms"
    )
    print(f"  throughput {len(latencies) / wall:.1f} messages/s")


if __name__ == "__main__":
    main()
