"""Linking benchmark: records/s, precision and recall of the graph's batch linking beside Splink.

Generates records (default 20k) of people who are clients of several providers, with the mess
of real exports: phones written five ways, email case, Gmail dots and `+tag` subaddresses,
names with typos, nicknames, initials and "Last, First", missing fields, a second phone or
email for some people, and a few household phones shared by two people. The truth (which
person each record is) is known. Then, on the same records:

- **batch** (the service): each provider's records are its prospects (stored in the tenant
  store with their hash chains, as the import stores them; not timed), and each provider's
  whole import goes through `graph.contribute_history` (the history import's graph step, the
  real service on a real database, one graph transaction per provider as the import sends it).
  Timed: those calls. Clusters: the subject keys of the links.
- **one at a time** (the reference, before the batch path existed): `link_prospect` per
  prospect, one graph transaction each, on a smaller set (`--reference-records`, default
  2,000) because it is slow; the batch runs on that set too and the bench says whether both
  put the records into the same clusters.
- **Splink** (the peer, DuckDB backend) in its own venv under bench/.peers/splink, created on
  first use (`pip install 'splink>=4,<5'`; never a dependency of the project): same records
  as CSV, light cleaning (case, spaces, the phone's last ten digits), blocking on phone, email
  and name, comparisons on name, phone and email, u by random sampling and m by EM, clusters
  at match probability 0.9. Timed: from loading the CSV to the clusters (not the venv).

Each side's CPU seconds are printed beside its wall time, and on Linux with SQLite the batch's
I/O (bytes written to disk, and through write and read calls: log, checkpoints, page reads its
caches missed): other load on the machine moves wall times much more than either.

Precision and recall are pairwise (pairs of records put in one cluster against pairs of
records of one person). Splink compares raw values; the service compares keyed digests of
normalised values (it never sees a raw value), so it cannot score how close two names are.

    .venv/bin/python bench/linking.py                      # 20k records, SQLite, with Splink
    .venv/bin/python bench/linking.py --postgres postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/linking.py --no-peer --profile  # cProfile of the batch path
    .venv/bin/python bench/linking.py --json out.json      # name -> {value, unit, floor, ratio}
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import json
import os
import pstats
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text

import prospecting
from prospecting.config import Settings
from prospecting.db import Stores
from prospecting.errors import DomainError, NotFound
from prospecting.graph import service as graph
from prospecting.graph.models import ProspectLink, SubjectKey, SubjectStatus
from prospecting.graph.schemas import ConsentAction, ConsentChange, HistoryItem
from prospecting.graph.subjects import link_prospect
from prospecting.identity import service as identity
from prospecting.identity.models import Person
from prospecting.identity.schemas import PersonCreate
from prospecting.migrations import upgrade_all
from prospecting.prospects.models import Prospect, ProspectIdentifier
from prospecting.resolver.chain import normalize_identifiers
from prospecting.resolver.keyring import KeyRing
from prospecting.resolver.service import Resolver
from prospecting.runtime import Context, Runtime

HERE = Path(__file__).resolve().parent
PEER_VENV = HERE / ".peers" / "splink"
SPLINK_REQUIREMENT = "splink>=4,<5"
KEY = "b1=" + "bench-network-secret-" + "l" * 40
IMPORT_CHUNK = 5_000  # prospects per contribute_history call, as the import sends them

FIRST = [
    ("James", "Jim"),
    ("Jamie", None),
    ("Amara", None),
    ("Lucía", "Lucy"),
    ("Marcus", "Marc"),
    ("Priya", None),
    ("Tyler", "Ty"),
    ("Zoë", "Zoe"),
    ("Olivier", "Olly"),
    ("Noah", None),
    ("Mia", None),
    ("Elizabeth", "Liz"),
    ("William", "Will"),
    ("Katherine", "Kate"),
    ("Robert", "Rob"),
    ("Margaret", "Maggie"),
    ("Daniel", "Dan"),
    ("Sophie", None),
    ("Aisha", None),
    ("Chen", None),
    ("Oluwaseun", "Seun"),
    ("Siobhán", None),
    ("Mohammed", "Mo"),
    ("Charlotte", "Charlie"),
    ("Thomas", "Tom"),
    ("Hannah", None),
    ("Grace", None),
    ("Jack", None),
    ("Emily", "Em"),
    ("Rhys", None),
]
LAST = [
    "Okafor",
    "Clarke",
    "Fernández",
    "Reid",
    "Nair",
    "Brooks",
    "Müller",
    "Dubois",
    "Kim",
    "Smith",
    "Jones",
    "Williams",
    "Taylor",
    "Brown",
    "Davies",
    "Evans",
    "Wilson",
    "Patel",
    "Khan",
    "Wright",
    "O'Brien",
    "Walker",
    "Robinson",
    "Thompson",
    "Hughes",
    "Green",
    "Hall",
    "Wood",
    "Harris",
    "Lewis",
    "Martin",
    "Jackson",
    "Singh",
    "Nowak",
    "Kowalski",
    "Ali",
    "Murphy",
    "Kelly",
    "Chen",
    "Zhang",
]
DOMAINS = [
    "gmail.com",
    "outlook.com",
    "yahoo.co.uk",
    "icloud.com",
    "hotmail.co.uk",
    "btinternet.com",
]
SECOND_DOMAINS = ["work.example.com", "company.example.org", "uni.example.ac.uk"]
TAGS = ["booking", "salon", "appointments", "spa"]


# ---------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Person_:
    first: str
    nickname: str | None
    last: str
    phones: tuple[str, ...]  # national numbers; the first is the main one
    emails: tuple[str, ...]
    household: str | None  # a landline shared with one other person


@dataclass(frozen=True)
class Record:
    index: int
    person: int
    provider: int
    name: str
    phone: str
    email: str


def generate(records: int, *, providers: int, seed: int = 7) -> list[Record]:
    """`records` records of about records/2.6 people at `providers` providers (each person is
    at most one record per provider); deterministic per seed."""
    rng = random.Random(seed)
    used: set[str] = set()
    people: list[Person_] = []
    out: list[Record] = []
    landlines: list[str] = []
    while len(out) < records:
        person = _person(rng, len(people), used, landlines)
        people.append(person)
        visits = rng.choices([1, 2, 3, 4, 5, 6], weights=[30, 25, 18, 12, 9, 6])[0]
        visits = min(visits, providers, records - len(out))
        for provider in rng.sample(range(providers), visits):
            out.append(_record(rng, len(out), len(people) - 1, provider, person))
    return out


def _unique(rng: random.Random, used: set[str], make: Callable[[], str]) -> str:
    while True:
        value = make()
        if value not in used:
            used.add(value)
            return value


def _mobile(rng: random.Random) -> str:
    return "07" + rng.choice("45789") + "".join(rng.choices("0123456789", k=8))


def _person(rng: random.Random, index: int, used: set[str], landlines: list[str]) -> Person_:
    first, nickname = rng.choice(FIRST)
    last = rng.choice(LAST)
    phones = [_unique(rng, used, lambda: _mobile(rng))]
    if rng.random() < 0.08:  # changed number
        phones.append(_unique(rng, used, lambda: _mobile(rng)))
    local = _ascii(f"{first}.{last}".lower()).replace("'", "")
    emails = [f"{local}{index}@{rng.choice(DOMAINS)}"]
    if rng.random() < 0.2:
        emails.append(
            f"{_ascii(first.lower())[0]}{_ascii(last.lower())}{index}@{rng.choice(SECOND_DOMAINS)}"
        )
    household = None
    if landlines and rng.random() < 0.004:  # shares the landline of an earlier household
        household = landlines.pop(rng.randrange(len(landlines)))
    elif rng.random() < 0.004:
        household = _unique(rng, used, lambda: "020 7" + "".join(rng.choices("0123456789", k=7)))
        landlines.append(household)
    return Person_(first, nickname, last, tuple(phones), tuple(emails), household)


def _ascii(value: str) -> str:
    import unicodedata

    folded = unicodedata.normalize("NFKD", value)
    return "".join(c for c in folded if not unicodedata.combining(c))


def _record(rng: random.Random, index: int, person: int, provider: int, p: Person_) -> Record:
    has_phone, has_email = rng.random() < 0.85, rng.random() < 0.75
    if not has_phone and not has_email:
        has_phone = True
    phone = email = ""
    if has_phone:
        if p.household and rng.random() < 0.5:
            number = p.household
        elif len(p.phones) > 1 and rng.random() < 0.4:
            number = p.phones[1]
        else:
            number = p.phones[0]
        phone = messy_phone(rng, number)
    if has_email:
        address = p.emails[1] if len(p.emails) > 1 and rng.random() < 0.4 else p.emails[0]
        email = messy_email(rng, address)
    name = "" if rng.random() < 0.03 else messy_name(rng, p)
    return Record(index, person, provider, name, phone, email)


def messy_phone(rng: random.Random, national: str) -> str:
    digits = national.replace(" ", "")[1:]
    a, b = digits[:4], digits[4:]
    return rng.choice(
        [
            f"0{a} {b}",
            f"+44 {a} {b}",
            f"+44{digits}",
            f"(0{a}) {b[:3]} {b[3:]}",
            f"0044 {a}{b}",
            f"0{a}-{b[:3]}-{b[3:]}",
        ]
    )


def messy_email(rng: random.Random, address: str) -> str:
    local, domain = address.split("@")
    if domain == "gmail.com" and rng.random() < 0.3:
        local = local.replace(".", "")
    if domain in ("gmail.com", "outlook.com", "hotmail.co.uk") and rng.random() < 0.2:
        local = f"{local}+{rng.choice(TAGS)}"
    roll = rng.random()
    if roll < 0.1:
        return f"{local}@{domain}".upper()
    if roll < 0.2:
        return f"{local.capitalize()}@{domain}"
    if roll < 0.25:
        return f" {local}@{domain} "
    return f"{local}@{domain}"


def messy_name(rng: random.Random, p: Person_) -> str:
    first, last = p.first, p.last
    if rng.random() < 0.05:  # a typo: two letters swapped
        i = rng.randrange(len(last) - 1)
        last = last[:i] + last[i + 1] + last[i] + last[i + 2 :]
    forms = [
        f"{first} {last}",
        f"{first} {last}".upper(),
        f"{first}  {last}",
        f"{last}, {first}",
        f"{p.nickname or first} {last}",
        f"{first[0]}. {last}",
        _ascii(f"{first} {last}"),
        first,
    ]
    return rng.choices(forms, weights=(0.4, 0.08, 0.05, 0.1, 0.1, 0.08, 0.1, 0.09))[0]


# ---------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    predicted_pairs: int
    true_pairs: int
    correct_pairs: int


def pairs(sizes: Sequence[int]) -> int:
    return sum(n * (n - 1) // 2 for n in sizes)


def score(truth: Sequence[int], clusters: Sequence[str]) -> Score:
    """Pairwise precision and recall of `clusters` (a label per record) against `truth`."""
    cells = Counter(zip(clusters, truth, strict=True))
    correct = pairs(list(cells.values()))
    predicted = pairs(list(Counter(clusters).values()))
    true = pairs(list(Counter(truth).values()))
    return Score(
        correct / predicted if predicted else 1.0,
        correct / true if true else 1.0,
        predicted,
        true,
        correct,
    )


def same_partition(a: Sequence[str], b: Sequence[str]) -> bool:
    """Do two labelings group the records identically (labels themselves may differ)?"""
    forward: dict[str, str] = {}
    backward: dict[str, str] = {}
    for x, y in zip(a, b, strict=True):
        if forward.setdefault(x, y) != y or backward.setdefault(y, x) != x:
            return False
    return True


# ---------------------------------------------------------------------------- the service


@dataclass
class Network:
    """Fresh stores with one Person per provider (contribute-all consent) and each record
    stored as one of its provider's prospects with its hash chain."""

    runtime: Runtime
    persons: list[Person]
    prospect_of: list[str]  # record index -> prospect id
    by_provider: dict[int, list[int]]  # provider -> record indexes
    hashing_s: float


@contextmanager
def stores(postgres: str | None, workdir: Path, name: str) -> Iterator[tuple[str, str]]:
    if not postgres:
        folder = workdir / name
        folder.mkdir()
        yield f"sqlite:///{folder / 'tenant.sqlite3'}", f"sqlite:///{folder / 'graph.sqlite3'}"
        return
    admin = create_engine(
        postgres.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    names = [f"bench_link_{uuid.uuid4().hex[:8]}_{kind}" for kind in ("t", "g")]
    with admin.connect() as conn:
        for db in names:
            conn.execute(text(f'CREATE DATABASE "{db}"'))
    base = postgres.rsplit("/", 1)[0]
    try:
        yield f"{base}/{names[0]}", f"{base}/{names[1]}"
    finally:
        with admin.connect() as conn:
            for db in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()


def build(tenant_url: str, graph_url: str, workdir: Path, records: Sequence[Record]) -> Network:
    upgrade_all(tenant_url, graph_url)
    settings = Settings(
        mode="test",
        data_dir=workdir,
        tenant_database_url=tenant_url,
        graph_database_url=graph_url,
        network_key=KEY,  # type: ignore[arg-type]
    )
    runtime = Runtime(settings, Stores.from_settings(settings), Resolver(KeyRing.parse(KEY)))
    providers = sorted({r.provider for r in records})
    persons: list[Person] = []
    with runtime.stores.tenant() as session:
        for i in providers:
            persons.append(
                identity.create_person(
                    session=session,
                    data=PersonCreate(
                        display_name=f"Bench provider {i}",
                        service_categories=["massage"],
                        region="GB-LND",
                        default_phone_region="GB",
                        time_zone="Europe/London",
                    ),
                )
            )
        session.expunge_all()
    for person in persons:
        with runtime.stores.tenant_read() as tenant, runtime.stores.graph() as g:
            ctx = Context(tenant, g, person, settings, runtime.resolver, "cli")
            graph.change_consent(ctx, ConsentChange(action=ConsentAction.CONTRIBUTE_ALL))
    ids = random.Random(1)
    prospect_of = [uuid.UUID(int=ids.getrandbits(128)).hex for _ in records]
    by_provider: dict[int, list[int]] = defaultdict(list)
    prospects: list[dict[str, object]] = []
    identifiers: list[dict[str, object]] = []
    now = datetime.now(UTC)
    started = time.perf_counter()
    for r in records:
        ids_ = normalize_identifiers(
            phone=r.phone or None,
            email=r.email or None,
            name=r.name or None,
            default_region="GB",
            lenient_phone=True,
        )
        person_id = persons[providers.index(r.provider)].id
        pid = prospect_of[r.index]
        by_provider[r.provider].append(r.index)
        prospects.append(
            {
                "id": pid,
                "person_id": person_id,
                "display_name": r.name or None,
                "phone_e164": ids_.phone,
                "phone_unverified": ids_.phone_unverified,
                "email": ids_.email,
                "normalized_name": ids_.name,
                "status": "new",
                "created_at": now,
                "updated_at": now,
            }
        )
        for d in runtime.resolver.chains(ids_):
            identifiers.append(
                {
                    "id": uuid.UUID(int=ids.getrandbits(128)).hex,
                    "prospect_id": pid,
                    "person_id": person_id,
                    "dimension": d.dimension,
                    "scheme": d.scheme,
                    "key_id": d.key_id,
                    "digest": d.value,
                    "created_at": now,
                }
            )
    hashing = time.perf_counter() - started
    with runtime.stores.tenant() as session:
        session.execute(insert(Prospect.__table__), prospects)
        session.execute(insert(ProspectIdentifier.__table__), identifiers)
    return Network(runtime, persons, prospect_of, dict(by_provider), hashing)


def link_batch(net: Network) -> float:
    """Each provider's whole import through the history import's graph step; seconds."""
    rt = net.runtime
    started = time.perf_counter()
    for provider, person in zip(sorted(net.by_provider), net.persons, strict=True):
        ids = [net.prospect_of[i] for i in net.by_provider[provider]]
        for start in range(0, len(ids), IMPORT_CHUNK):
            items = [HistoryItem(prospect_id=p) for p in ids[start : start + IMPORT_CHUNK]]
            with rt.stores.tenant_read() as tenant, rt.stores.graph() as g:
                ctx = Context(tenant, g, person, rt.settings, rt.resolver, "cli")
                result = graph.contribute_history(ctx, items)
            # a record with neither a valid phone nor an email has no chain and stays local
            if result.linked + result.not_found != len(items):
                raise SystemExit(f"batch linked {result.linked} of {len(items)}: {result}")
    return time.perf_counter() - started


def link_one_at_a_time(net: Network) -> float:
    """`link_prospect` per prospect, one graph transaction each, in the batch's order."""
    rt = net.runtime
    started = time.perf_counter()
    for provider, person in zip(sorted(net.by_provider), net.persons, strict=True):
        for pid in sorted(net.prospect_of[i] for i in net.by_provider[provider]):
            with rt.stores.tenant_read() as tenant, rt.stores.graph() as g:
                ctx = Context(tenant, g, person, rt.settings, rt.resolver, "cli")
                try:
                    link_prospect(ctx, pid)
                except NotFound:  # no chain (no valid phone, no email): stays local
                    continue
                except DomainError as exc:
                    raise SystemExit(f"one at a time: {exc}") from exc
    return time.perf_counter() - started


def clusters(net: Network) -> list[str]:
    """The subject key of each record's link (a merged key answers as its survivor)."""
    with net.runtime.stores.graph() as g:
        keys = {
            (provider, prospect): key
            for provider, prospect, key in g.execute(
                select(ProspectLink.provider_id, ProspectLink.prospect_id, ProspectLink.subject_key)
            )
        }
        merged = {
            key: into
            for key, into in g.execute(
                select(SubjectKey.subject_key, SubjectKey.merged_into).where(
                    SubjectKey.status == SubjectStatus.MERGED
                )
            )
        }
    providers = sorted(net.by_provider)
    owner = {
        i: net.persons[providers.index(p)].id for p, rows in net.by_provider.items() for i in rows
    }
    out = []
    for i, pid in enumerate(net.prospect_of):
        key = keys.get((owner[i], pid))
        if key is None:  # no chain: a cluster of its own
            out.append(f"local-{i}")
            continue
        while merged.get(key):
            key = merged[key]
        out.append(key)
    return out


# ---------------------------------------------------------------------------- Splink

SPLINK_SCRIPT = r"""
import json, sys, time
import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

source, target, threshold, seed = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
started, cpu_started = time.perf_counter(), time.process_time()
df = pd.read_csv(source, dtype=str, keep_default_na=False)
df["name"] = df["name"].str.lower().str.replace(r"[^\w ]", " ", regex=True)
df["name"] = df["name"].str.split().str.join(" ")
df["email"] = df["email"].str.strip().str.lower()
df["phone"] = df["phone"].str.replace(r"\D", "", regex=True).str[-10:]
df["surname"] = df["name"].str.split().str[-1]
for column in ("name", "email", "phone", "surname"):
    df.loc[df[column] == "", column] = None
settings = SettingsCreator(
    link_type="dedupe_only",
    unique_id_column_name="unique_id",
    comparisons=[
        cl.JaroWinklerAtThresholds("name", [0.92, 0.8]),
        cl.ExactMatch("phone"),
        cl.EmailComparison("email"),
    ],
    blocking_rules_to_generate_predictions=[
        block_on("phone"),
        block_on("email"),
        block_on("surname", "name"),
    ],
    retain_intermediate_calculation_columns=False,
)
linker = Linker(df, settings, db_api=DuckDBAPI())
linker.training.estimate_probability_two_random_records_match(
    [block_on("phone"), block_on("email")], recall=0.8
)
linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=seed)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("phone"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("email"))
predictions = linker.inference.predict(threshold_match_probability=threshold)
clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
    predictions, threshold_match_probability=threshold
).as_pandas_dataframe()
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
labels = dict(zip(clustered["unique_id"].astype(int), clustered["cluster_id"].astype(str)))
with open(target, "w") as f:
    clusters = {str(k): v for k, v in labels.items()}
    json.dump({"seconds": seconds, "cpu": cpu, "clusters": clusters}, f)
"""


def peer_python() -> Path:
    """The peer venv's interpreter, created with Splink on first use (not timed)."""
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {PEER_VENV} with {SPLINK_REQUIREMENT} (first use)...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)  # noqa: S603
    probe = subprocess.run(  # noqa: S603
        [str(python), "-c", "import splink, duckdb, pandas"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        subprocess.run(  # noqa: S603
            [str(python), "-m", "pip", "install", "--quiet", SPLINK_REQUIREMENT, "pandas"],
            check=True,
        )
    return python


def run_splink(
    records: Sequence[Record], workdir: Path, threshold: float, seed: int
) -> tuple[float, float, list[str]]:
    """Splink on the records as CSV; u is sampled with `seed`, so a run is repeatable."""
    python = peer_python()
    source, target, script = workdir / "records.csv", workdir / "splink.json", workdir / "s.py"
    with source.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["unique_id", "name", "phone", "email"])
        for r in records:
            writer.writerow([r.index, r.name, r.phone, r.email])
    script.write_text(SPLINK_SCRIPT, encoding="utf-8")
    done = subprocess.run(  # noqa: S603
        [str(python), str(script), str(source), str(target), str(threshold), str(seed)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit("splink failed:\n" + done.stderr[-3000:])
    answer = json.loads(target.read_text())
    labels = answer["clusters"]
    return (
        float(answer["seconds"]),
        float(answer["cpu"]),
        [labels.get(str(r.index), f"single-{r.index}") for r in records],
    )


# ---------------------------------------------------------------------------- main


def io_counters() -> dict[str, int] | None:
    """This process's I/O counters (Linux): bytes through read/write calls and to the disk."""
    try:
        text = Path("/proc/self/io").read_text()
    except OSError:
        return None
    return {key: int(value) for key, value in (row.split(":") for row in text.splitlines())}


def io_delta(before: dict[str, int] | None, after: dict[str, int] | None) -> dict[str, int]:
    if before is None or after is None:
        return {}
    return {key: after[key] - before[key] for key in ("rchar", "wchar", "write_bytes")}


def line(name: str, n: int, seconds: float, s: Score, peer: float | None) -> str:
    rate = n / seconds
    ratio = f"  ({rate / peer:.2f}x Splink)" if peer else ""
    return (
        f"  {name:<28} {rate:>9,.0f} records/s  ({seconds:.2f} s)  precision {s.precision:.4f}"
        f"  recall {s.recall:.4f}{ratio}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--providers", type=int, default=0, help="default: records / 1,000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--reference-records",
        type=int,
        default=2_000,
        help="records linked one at a time (and by the batch, to compare); 0 skips",
    )
    parser.add_argument("--postgres", help="admin URL; builds throwaway databases there")
    parser.add_argument("--no-peer", action="store_true", help="skip Splink")
    parser.add_argument("--threshold", type=float, default=0.9, help="Splink match probability")
    parser.add_argument("--profile", action="store_true", help="cProfile the batch path")
    parser.add_argument("--json", type=Path, help="write name -> {value, unit, floor, ratio}")
    args = parser.parse_args()
    providers = args.providers or max(5, args.records // 1_000)
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"prospecting from {Path(prospecting.__file__).parent}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    records = generate(args.records, providers=providers, seed=args.seed)
    truth = [r.person for r in records]
    people = len(set(truth))
    shared = Counter(r.person for r in records)
    print(
        f"records: {len(records):,} of {people:,} people at {providers} providers "
        f"({sum(1 for n in shared.values() if n > 1):,} people at 2+ providers), "
        f"{pairs(list(shared.values())):,} true pairs; backend {backend}"
    )
    figures: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-linking-") as tmp:
        workdir = Path(tmp)
        peer_rate: float | None = None
        peer_score: Score | None = None
        peer_s = peer_cpu = 0.0
        if not args.no_peer:
            peer_s, peer_cpu, peer_labels = run_splink(records, workdir, args.threshold, args.seed)
            peer_rate, peer_score = len(records) / peer_s, score(truth, peer_labels)
        with stores(args.postgres, workdir, "batch") as (tenant_url, graph_url):
            net = build(tenant_url, graph_url, workdir, records)
            try:
                profiler = cProfile.Profile() if args.profile else None
                if profiler:
                    profiler.enable()
                io_started, cpu_started = io_counters(), time.process_time()
                seconds = link_batch(net)
                cpu = time.process_time() - cpu_started
                # an in-process store's I/O (PostgreSQL's is the server's)
                io = io_delta(io_started, io_counters()) if not args.postgres else {}
                if profiler:
                    profiler.disable()
                batch_labels = clusters(net)
            finally:
                net.runtime.stores.dispose()
        batch = score(truth, batch_labels)
        print(
            f"linking ({backend}; normalise + hash chain at import: "
            f"{len(records) / net.hashing_s:,.0f} records/s, not counted):"
        )
        print(line("batch (contribute_history)", len(records), seconds, batch, peer_rate))
        print(
            line(
                "batch + normalise and hash",
                len(records),
                seconds + net.hashing_s,
                batch,
                peer_rate,
            )
        )
        if peer_rate and peer_score:
            print(
                line(
                    "Splink (DuckDB, raw values)",
                    len(records),
                    len(records) / peer_rate,
                    peer_score,
                    None,
                )
            )
        print(
            "  timed spans: batch = one contribute_history call per provider, each in its own "
            "graph transaction\n"
            "    (consent, read the stored chains, link, write keys/digests/links/merges, "
            "commit to disk);\n"
            "    the chains were normalised and hashed when the prospects were stored (the "
            "second line adds that).\n"
            "    Splink = read the CSV, clean, train (u sampling, EM), predict, cluster, in "
            "memory, nothing written."
        )
        peer_cpu_s = (
            f"; Splink {peer_cpu:.2f} s ({peer_cpu / peer_s:.1f} cores busy)" if peer_rate else ""
        )
        print(
            f"  CPU time (less sensitive to other load on the machine): batch {cpu:.2f} s"
            f"{peer_cpu_s}"
        )
        if io:
            print(
                f"  I/O of the batch (not moved by load): {io['write_bytes'] / 1e6:.1f} MB to "
                f"disk, {io['wchar'] / 1e6:.1f} MB written and {io['rchar'] / 1e6:.1f} MB read "
                "through system calls (page reads the caches missed, log, checkpoints)"
            )
        figures["linking_batch_per_s"] = {
            "value": len(records) / seconds,
            "unit": "records/s",
            "floor": peer_rate,
            "ratio": (len(records) / seconds) / peer_rate if peer_rate else None,
        }
        figures["linking_batch_cpu_s"] = {
            "value": cpu,
            "unit": "s",
            "floor": peer_cpu if peer_rate else None,
            "ratio": cpu / peer_cpu if peer_rate else None,
        }
        if io:
            figures["linking_batch_written_mb"] = {
                "value": io["write_bytes"] / 1e6,
                "unit": "MB",
                "floor": None,
                "ratio": None,
            }
        figures["linking_batch_precision"] = {
            "value": batch.precision,
            "unit": "",
            "floor": peer_score.precision if peer_score else None,
            "ratio": batch.precision / peer_score.precision if peer_score else None,
        }
        figures["linking_batch_recall"] = {
            "value": batch.recall,
            "unit": "",
            "floor": peer_score.recall if peer_score else None,
            "ratio": batch.recall / peer_score.recall if peer_score else None,
        }
        if args.reference_records:
            small = generate(
                args.reference_records,
                providers=max(5, args.reference_records // 1_000),
                seed=args.seed,
            )
            small_truth = [r.person for r in small]
            labels: dict[str, list[str]] = {}
            took: dict[str, float] = {}
            for kind, run in (("batch", link_batch), ("one", link_one_at_a_time)):
                with stores(args.postgres, workdir, f"ref-{kind}") as (tenant_url, graph_url):
                    ref = build(tenant_url, graph_url, workdir, small)
                    try:
                        took[kind] = run(ref)
                        labels[kind] = clusters(ref)
                    finally:
                        ref.runtime.stores.dispose()
            same = same_partition(labels["batch"], labels["one"])
            print(f"reference, {len(small):,} records:")
            one_rate = len(small) / took["one"]
            print(
                line(
                    "one at a time (link_prospect)",
                    len(small),
                    took["one"],
                    score(small_truth, labels["one"]),
                    peer_rate,
                )
            )
            print(
                line(
                    "batch, same records",
                    len(small),
                    took["batch"],
                    score(small_truth, labels["batch"]),
                    peer_rate,
                )
            )
            print(
                f"  batch and one at a time put the records in the same clusters: "
                f"{'yes' if same else 'NO'}"
            )
            figures["linking_one_at_a_time_per_s"] = {
                "value": one_rate,
                "unit": "records/s",
                "floor": peer_rate,
                "ratio": one_rate / peer_rate if peer_rate else None,
            }
        if profiler:
            print("profile of the batch path (cumulative, top 25):")
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
    print(
        "Splink compares raw values (lower-cased, phone digits); the service compares keyed "
        "digests of normalised values and never sees a name to score its closeness."
    )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
