"""Resolver benchmark: normalise + hash + link throughput for synthetic prospects.

Prints records/s for (1) normalise + hash chain alone and (2) the full ingest path through
prospects.service.ingest (normalise, hash under the active key, strong-match lookup in the
tenant store, insert or attach), plus peak memory (the process max RSS; `--trace-memory`
adds tracemalloc's peak, which slows the run several times, so it is off by default).

    .venv/bin/python bench/resolver.py                 # 100k prospects, SQLite in a temp dir
    .venv/bin/python bench/resolver.py --n 20000 --tenant-url postgresql://postgres@127.0.0.1/x
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

from prospecting.db import Stores
from prospecting.identity import service as identity
from prospecting.identity.schemas import PersonCreate
from prospecting.migrations import upgrade
from prospecting.prospects import service as prospects
from prospecting.prospects.schemas import Channel, InboundMessage
from prospecting.resolver.chain import normalize_identifiers
from prospecting.resolver.keyring import KeyRing
from prospecting.resolver.service import Resolver

FIRST = [
    "Amara",
    "Jamie",
    "Lucía",
    "Marcus",
    "Priya",
    "Tyler",
    "Zoë",
    "Olivier",
    "Noah",
    "Mia",
    "Sven",
    "Aoife",
    "Kofi",
    "Mei",
    "Rafael",
    "Ines",
    "Yusuf",
    "Hana",
    "Luca",
    "Freya",
]
SYLLABLES = [
    "ok",
    "af",
    "or",
    "cla",
    "rke",
    "fer",
    "nan",
    "dez",
    "re",
    "id",
    "na",
    "ir",
    "bro",
    "oks",
    "mül",
    "ler",
    "du",
    "bo",
    "is",
    "kim",
    "sto",
    "vic",
    "len",
    "ta",
]
KEY = "b1=" + "bench-network-secret-" + "z" * 40
REPEAT_EVERY = 5  # every 5th message comes from an already-seen sender


def sender(i: int) -> tuple[str, str, str]:
    """A deterministic synthetic sender: a valid GB mobile, an email and a name."""
    phone = f"+447400{i % 1_000_000:06d}"
    email = f"{FIRST[i % len(FIRST)].lower()}.{i}@example.org"
    j = i // len(FIRST)
    surname = "".join(SYLLABLES[(j // 24**k) % 24] for k in range(3)).capitalize()
    name = f"{FIRST[i % len(FIRST)]} {surname}"
    return phone, email, name


def bench_pure(n: int, resolver: Resolver) -> float:
    start = time.perf_counter()
    for i in range(n):
        phone, email, name = sender(i)
        ids = normalize_identifiers(phone=phone, email=email, name=name, default_region="GB")
        resolver.chain(ids)
    return n / (time.perf_counter() - start)


def bench_ingest(n: int, stores: Stores, resolver: Resolver, batch: int) -> tuple[float, int]:
    with stores.tenant() as session:
        person = identity.create_person(
            session=session,
            data=PersonCreate(display_name="Bench Provider", default_phone_region="GB"),
        )
    attached = 0
    start = time.perf_counter()
    done = 0
    while done < n:
        with stores.tenant() as session:
            actor = identity.get_person(session=session, person_id=person.id)
            for i in range(done, min(done + batch, n)):
                who = i - 1 - (i % 97) if i % REPEAT_EVERY == 0 and i > 100 else i
                phone, email, name = sender(who)
                result = prospects.ingest(
                    session=session,
                    actor=actor,
                    resolver=resolver,
                    message=InboundMessage(
                        channel=Channel.SMS,
                        sender_phone=phone,
                        sender_email=email,
                        sender_name=name,
                        body="Hi, is Friday free?",
                    ),
                )
                attached += not result.created
        done = min(done + batch, n)
    return n / (time.perf_counter() - start), attached


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="synthetic inbound messages")
    parser.add_argument("--batch", type=int, default=500, help="messages per transaction")
    parser.add_argument("--tenant-url", help="tenant store URL (default: SQLite in a temp dir)")
    parser.add_argument(
        "--trace-memory",
        action="store_true",
        help="also report tracemalloc's peak (several times slower)",
    )
    args = parser.parse_args()

    resolver = Resolver(KeyRing.parse(KEY))
    pure = bench_pure(args.n, resolver)
    print(f"normalise+hash chain:      {pure:,.0f} records/s  ({args.n:,} records)")

    with tempfile.TemporaryDirectory() as tmp:
        url = args.tenant_url or f"sqlite:///{Path(tmp) / 'tenant.sqlite3'}"
        upgrade("tenant", url)
        if args.trace_memory:
            tracemalloc.start()
        stores = Stores.from_urls(url, f"sqlite:///{Path(tmp) / 'graph.sqlite3'}")
        try:
            rate, attached = bench_ingest(args.n, stores, resolver, args.batch)
        finally:
            stores.dispose()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    backend = url.split(":", 1)[0]
    print(
        f"normalise+hash+link (ingest, {backend}): {rate:,.0f} records/s  "
        f"({args.n:,} records, {attached:,} attached to an existing prospect)"
    )
    print(f"peak memory: max RSS {rss_mb:,.1f} MiB")
    if args.trace_memory:
        peak = tracemalloc.get_traced_memory()[1]
        print(f"peak traced Python allocations: {peak / 2**20:,.1f} MiB (slows the run)")


if __name__ == "__main__":
    main()
