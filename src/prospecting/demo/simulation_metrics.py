"""The figures each graph capability exists to move, computed on a replayed simulated network.

Why: `demo.simulation` replays a network whose truth is known; this module compares what the
product stored with that truth, so a change to linkage, noise or scoring shows up as a number:

1. linkage across providers: pairwise precision / recall / F1 over (provider, prospect) rows at
   different providers, false merges, and the best recall the identifiers allow (rows
   connectable through a shared true phone or email, transitively);
2. the share of inbound messages that got any graph signal (`graph_present`);
3. PR-AUC and ROC-AUC of P(book) on the later half of the stream, with bootstrap intervals:
   served, refits on local features, on all features, a ceiling with the person's true
   history elsewhere, and the bound: that truth as the minimum-contributors rule would show it
   (no noise, perfect links); and the share of the ceiling's and the bound's lift captured;
4. safety: repeat abusive or spam people flagged at a contact, before that provider's outcome;
5. provider minutes per booking under stated assumptions (graph on against off);
6. replay speed.

The pure functions (`pairwise_linkage`, `components`, `truth_history`, `auc_report`, ...) take
plain values so they are tested on hand-made cases; `evaluate` wires them to a `Replay`, `run`
generates, replays and evaluates, `render` draws Rich tables.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from rich.table import Table
from sklearn.metrics import average_precision_score, roc_auc_score

from prospecting.demo.simulation import (
    KIND_SHARES,
    SHARED_PHONE_SHARE,
    Contact,
    Network,
    Replay,
    ReplayConfig,
    Served,
    Signal,
    generate,
    replay,
)
from prospecting.prospects.schemas import POSITIVE_OUTCOMES, Outcome
from prospecting.qualify.scoring import FEATURES, LOCAL_FEATURES, fit, matrix

BOOTSTRAP_RESAMPLES = 300
BOOTSTRAP_SEED = 20261201
WINDOWS_DAYS = (1, 7, 30)
TRUTH_FEATURES = (
    "true_elsewhere_booked",
    "true_elsewhere_no_show",
    "true_elsewhere_ghosted",
    "true_elsewhere_declined",
    "true_elsewhere_blocked",
    *(f"true_providers_{d}d" for d in WINDOWS_DAYS),
    "true_flagged_by_peers",
)
"""The ceiling's extra features: the person's true, un-noised history at other providers."""
BOUND_FEATURES = (
    *(
        f"bound_elsewhere_{name}"
        for name in ("booked", "no_show", "ghosted", "declined", "blocked")
    ),
    "bound_present",
    *(f"bound_providers_{d}d" for d in WINDOWS_DAYS),
    "bound_few",
    "bound_flagged_by_peers",
)
"""The bound's features: the same truth, shown only as the minimum-contributors rule allows."""

MINUTES = {
    "review_by_hand": 3.0,
    "one_tap_draft": 0.5,
    "no_show_slot": 40.0,
    "no_show_with_deposit": 5.0,
    "deposit_request": 1.0,
    "abuse_thread_not_flagged": 10.0,
}
MINUTE_RULES = (
    "each message: review_by_hand when its draft is held for review, else one_tap_draft",
    "each no-show: no_show_slot, or no_show_with_deposit when the message came with a warning "
    "(own history: prior no-show; graph: its no-show share >= 0.5 with graph_present)",
    "each warned message: deposit_request (asked of everybody warned, no booking lost)",
    "each abusive/spam message not flagged ahead (by its wording, or the graph): "
    "abuse_thread_not_flagged",
    "bookings: contacts whose true outcome was booked or rescheduled",
)
_FLAG_MARKERS = ("safety", "flag", "blocked_by_peers", "peer_block")
NOT_PERSON_LEVEL = frozenset(
    {
        "graph_linked",
        "graph_dense",
        "graph_contacts_few",
        "graph_budget_exhausted",
        "graph_degraded",
    }
)
"""Graph features that say nothing about the person (link made, network state, notices)."""


# ---------------------------------------------------------------------------- linkage


def components(keys: Sequence[Iterable[Hashable]]) -> list[int]:
    """Union-find: items sharing any key are one component; returns a root id per item."""
    parent = list(range(len(keys)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[Hashable, int] = {}
    for item, item_keys in enumerate(keys):
        for key in item_keys:
            if key in owner:
                a, b = root(owner[key]), root(item)
                if a != b:
                    parent[max(a, b)] = min(a, b)
            else:
                owner[key] = item
    return [root(i) for i in range(len(keys))]


@dataclass(frozen=True)
class LinkRow:
    """One (provider, prospect) row: its provider, its true person, the graph's subject key
    (None: not linked) and its component under the true identifiers it carried."""

    provider: int
    person: int
    subject: str | None
    component: int


def cross_provider_pairs(group: Sequence[int]) -> int:
    """Pairs of rows in one group that sit at different providers (`group`: their providers)."""
    n = len(group)
    same = sum(k * (k - 1) // 2 for k in Counter(group).values())
    return n * (n - 1) // 2 - same


def _pairs_by(rows: Sequence[LinkRow], key: Any) -> int:
    groups: dict[Hashable, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        k = key(row)
        groups[("solo", i) if k is None else k].append(row.provider)
    return sum(cross_provider_pairs(g) for g in groups.values())


def pairwise_linkage(rows: Sequence[LinkRow]) -> dict[str, Any]:
    """Precision, recall and F1 of "same subject key" against "same true person", over pairs
    of rows at different providers; false merges; the best achievable recall."""
    true_pairs = _pairs_by(rows, lambda r: r.person)
    predicted = _pairs_by(rows, lambda r: r.subject)
    correct = _pairs_by(rows, lambda r: None if r.subject is None else (r.subject, r.person))
    connectable = _pairs_by(rows, lambda r: (r.person, r.component))
    people_per_subject: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        if row.subject is not None:
            people_per_subject[row.subject].add(row.person)
    precision = correct / predicted if predicted else None
    recall = correct / true_pairs if true_pairs else None
    f1 = (
        2 * precision * recall / (precision + recall)
        if precision is not None and recall is not None and precision + recall > 0
        else None
    )
    return {
        "rows": len(rows),
        "rows_linked": sum(r.subject is not None for r in rows),
        "true_pairs": true_pairs,
        "predicted_pairs": predicted,
        "correct_pairs": correct,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "false_merge_pairs": predicted - correct,
        "false_merge_subjects": sum(len(p) > 1 for p in people_per_subject.values()),
        "connectable_pairs": connectable,
        "best_achievable_recall": connectable / true_pairs if true_pairs else None,
        "recall_of_achievable": correct / connectable if connectable else None,
    }


def link_rows(replay_: Replay) -> list[LinkRow]:
    """The replay's rows with their truth, subject key and identifier component."""
    network = replay_.network
    keys: list[list[Hashable]] = []
    for contact, served in zip(network.contacts, replay_.served, strict=True):
        person = network.people[contact.person]
        own: list[Hashable] = [("row", served.provider_id, served.prospect_id)]
        if contact.phone is not None:
            own.append(("phone", person.phone))
        if contact.email_index is not None:
            own.append(("email", person.emails[contact.email_index]))
        keys.append(own)
    roots = components(keys)
    rows: dict[tuple[str, str], LinkRow] = {}
    for contact, served, root in zip(network.contacts, replay_.served, roots, strict=True):
        key = (served.provider_id, served.prospect_id)
        if key not in rows:
            subject = replay_.links.get(key)
            rows[key] = LinkRow(contact.provider, contact.person, subject, root)
    return list(rows.values())


def rows_mixing_people(replay_: Replay) -> int:
    """Tenant prospects (rows) holding contacts of more than one true person: a local merge
    on a shared identifier, which the graph then inherits (the row counts as its first)."""
    people: dict[tuple[str, str], set[int]] = defaultdict(set)
    for contact, served in zip(replay_.network.contacts, replay_.served, strict=True):
        people[(served.provider_id, served.prospect_id)].add(contact.person)
    return sum(len(p) > 1 for p in people.values())


# ---------------------------------------------------------------------------- truth


def truth_history(contacts: Sequence[Contact], *, min_flaggers: int = 2) -> list[dict[str, float]]:
    """Per contact, the person's true history at *other* providers strictly before it:
    outcomes recorded there (log1p counts), distinct other providers contacted in the last
    1/7/30 days (log1p), and whether at least `min_flaggers` of them had blocked the person."""
    by_person: dict[int, list[Contact]] = defaultdict(list)
    for contact in contacts:
        by_person[contact.person].append(contact)
    out: list[dict[str, float]] = [{} for _ in contacts]
    for contact in contacts:
        out[contact.index] = _truth_of(contact, by_person[contact.person], min_flaggers)
    return out


def _truth_of(contact: Contact, history: Sequence[Contact], min_flaggers: int) -> dict[str, float]:
    elsewhere = [c for c in history if c.provider != contact.provider]
    done = [c for c in elsewhere if c.outcome_at < contact.at]
    counts = Counter("booked" if c.outcome in POSITIVE_OUTCOMES else c.outcome.value for c in done)
    row = {
        f"true_elsewhere_{name}": math.log1p(counts.get(name, 0))
        for name in ("booked", "no_show", "ghosted", "declined", "blocked")
    }
    for days in WINDOWS_DAYS:
        recent = {
            c.provider
            for c in elsewhere
            if c.at < contact.at and (contact.at - c.at).total_seconds() <= days * 86400
        }
        row[f"true_providers_{days}d"] = math.log1p(len(recent))
    blockers = {c.provider for c in done if c.outcome is Outcome.BLOCKED}
    row["true_flagged_by_peers"] = float(len(blockers) >= min_flaggers)
    return row


def bound_history(
    contacts: Sequence[Contact], *, min_contributors: int = 2
) -> list[dict[str, float]]:
    """The truth as the minimum-contributors rule lets any provider see it, with perfect links
    and no noise: outcome counts only once `min_contributors` other providers had an outcome
    with the person, each contact window's count only once that many other providers were in
    touch in it (below that, the one "few" state). What the graph could show at best."""
    by_person: dict[int, list[Contact]] = defaultdict(list)
    for contact in contacts:
        by_person[contact.person].append(contact)
    out: list[dict[str, float]] = [{} for _ in contacts]
    for contact in contacts:
        out[contact.index] = _bound_of(contact, by_person[contact.person], min_contributors)
    return out


def _bound_of(contact: Contact, history: Sequence[Contact], floor: int) -> dict[str, float]:
    truth = _truth_of(contact, history, floor)
    elsewhere = [c for c in history if c.provider != contact.provider]
    reporters = {c.provider for c in elsewhere if c.outcome_at < contact.at}
    shown = len(reporters) >= floor
    row = {
        f"bound_elsewhere_{name}": truth[f"true_elsewhere_{name}"] if shown else 0.0
        for name in ("booked", "no_show", "ghosted", "declined", "blocked")
    }
    row["bound_present"] = float(shown)
    few = True
    for days in WINDOWS_DAYS:
        count = truth[f"true_providers_{days}d"]
        visible = math.expm1(count) >= floor - 1e-9
        row[f"bound_providers_{days}d"] = count if visible else 0.0
        few = few and not visible
    row["bound_few"] = float(few)
    row["bound_flagged_by_peers"] = truth["true_flagged_by_peers"]
    return row


def labels_of(contacts: Sequence[Contact]) -> np.ndarray:
    return np.array([int(c.outcome in POSITIVE_OUTCOMES) for c in contacts], dtype=int)


# ---------------------------------------------------------------------------- P(book)


def refit_scores(
    train: Sequence[Mapping[str, float]],
    train_labels: Sequence[int],
    test: Sequence[Mapping[str, float]],
    features: Sequence[str],
    *,
    seed: int = 0,
) -> np.ndarray | None:
    """Fit the product's logistic model on `train` and rank `test` by its logit (calibration
    is monotone but may tie, so ranking metrics use the logit). None: too few outcomes."""
    try:
        result = fit(train, train_labels, version="simulation", features=features, seed=seed)
    except ValueError:
        return None
    scores: np.ndarray = result.scorer.logit(matrix(test, result.scorer.features))
    return scores


def _interval(values: Sequence[float], point: float | None) -> dict[str, float | None]:
    if point is None or not values:
        return {"value": point, "low": None, "high": None}
    low, high = np.percentile(np.asarray(values), [2.5, 97.5])
    return {"value": point, "low": float(low), "high": float(high)}


def _ranking(y: np.ndarray, s: np.ndarray) -> tuple[float, float] | None:
    if y.min() == y.max():
        return None
    return float(average_precision_score(y, s)), float(roc_auc_score(y, s))


def _lift(metric: dict[str, float], variant: str, baseline: str, ceiling: str) -> float | None:
    if not {variant, baseline, ceiling} <= metric.keys():
        return None
    gap = metric[ceiling] - metric[baseline]
    return (metric[variant] - metric[baseline]) / gap if gap > 1e-9 else None


def auc_report(
    labels: np.ndarray,
    scores: Mapping[str, np.ndarray | None],
    *,
    baseline: str,
    ceiling: str,
    bound: str | None = None,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> dict[str, Any]:
    """PR-AUC and ROC-AUC per variant with 95 % bootstrap intervals (paired resamples), and the
    share of the ceiling's lift over the baseline each other variant captures; with `bound`,
    also the share of that variant's lift (the best the product's rules allow)."""
    tops = {"ceiling": ceiling} | ({"bound": bound} if bound else {})
    present = {name: s for name, s in scores.items() if s is not None}
    names = list(present)
    point: dict[str, dict[str, float]] = {"pr_auc": {}, "roc_auc": {}}
    for name, s in present.items():
        ranked = _ranking(labels, s)
        if ranked is not None:
            point["pr_auc"][name], point["roc_auc"][name] = ranked
    samples: dict[tuple[str, str], list[float]] = defaultdict(list)
    rng = np.random.default_rng(seed)
    n = len(labels)
    for _ in range(resamples if n else 0):
        idx = rng.integers(0, n, n)
        y = labels[idx]
        if y.min() == y.max():
            continue
        drawn: dict[str, dict[str, float]] = {"pr_auc": {}, "roc_auc": {}}
        for name in names:
            pr, roc = _ranking(y, present[name][idx]) or (math.nan, math.nan)
            drawn["pr_auc"][name], drawn["roc_auc"][name] = pr, roc
        for metric, values in drawn.items():
            for name in names:
                samples[(metric, name)].append(values[name])
                for top, top_name in tops.items():
                    share = _lift(values, name, baseline, top_name)
                    if share is not None and name not in (baseline, top_name):
                        samples[(f"{top}_{metric}", name)].append(share)
    variants = {
        name: {m: _interval(samples[(m, name)], point[m].get(name)) for m in point}
        for name in scores
    }
    shares = {
        top: {
            name: {
                m: _interval(
                    samples[(f"{top}_{m}", name)], _lift(point[m], name, baseline, top_name)
                )
                for m in point
            }
            for name in names
            if name not in (baseline, top_name)
        }
        for top, top_name in tops.items()
    }
    return {
        "test_messages": n,
        "test_positives": int(labels.sum()),
        "resamples": resamples,
        "variants": variants,
        "lift_share_of_ceiling": shares["ceiling"],
        "lift_share_of_bound": shares.get("bound", {}),
    }


def p_book_report(replay_: Replay, *, other: Replay | None = None) -> dict[str, Any]:
    """Served P(book) and three refits, trained on the first half of the stream in time and
    scored on the second half; with `other` (the same network replayed with the graph the
    other way), its served P(book) too, as `served_graph_on` / `served_graph_off`."""
    contacts = replay_.network.contacts
    served = replay_.served
    labels = labels_of(contacts)
    truth = truth_history(contacts, min_flaggers=replay_.min_contributors)
    bound = bound_history(contacts, min_contributors=replay_.min_contributors)
    half = len(contacts) // 2
    rows = [s.features for s in served]
    ceiling_rows = [s.features | t for s, t in zip(served, truth, strict=True)]
    bound_rows = [s.features | b for s, b in zip(served, bound, strict=True)]
    train_y = labels[:half].tolist()

    def refit(data: Sequence[Mapping[str, float]], features: Sequence[str]) -> np.ndarray | None:
        return refit_scores(data[:half], train_y, data[half:], features)

    scores = {
        "served": np.array([s.p_book for s in served[half:]], dtype=float),
        **(
            {
                f"served_graph_{'on' if other.config.graph else 'off'}": np.array(
                    [s.p_book for s in other.served[half:]], dtype=float
                )
            }
            if other is not None
            else {}
        ),
        "refit_local": refit(rows, LOCAL_FEATURES),
        "refit_all": refit(rows, FEATURES),
        "bound_min_contributors": refit(bound_rows, (*LOCAL_FEATURES, *BOUND_FEATURES)),
        "ceiling_truth": refit(ceiling_rows, (*LOCAL_FEATURES, *TRUTH_FEATURES)),
    }
    report = auc_report(
        labels[half:],
        scores,
        baseline="refit_local",
        ceiling="ceiling_truth",
        bound="bound_min_contributors",
    )
    report["train_messages"] = half
    report["split_at"] = contacts[half].at.isoformat() if half < len(contacts) else None
    return report


# ---------------------------------------------------------------------------- signal, safety


def graph_present(served: Served) -> bool:
    """The network showed outcome aggregates for the person (enough contributors)."""
    return served.features.get("graph_present", 0.0) > 0


def graph_any(served: Served) -> bool:
    """Any graph feature about the person is non-zero (aggregates, recent contacts, flags)."""
    return any(
        value != 0 and name.startswith("graph_") and name not in NOT_PERSON_LEVEL
        for name, value in served.features.items()
    )


def graph_share(served: Served, outcome: str) -> float:
    """The network's share of `outcome` as stored: `graph_<outcome>_share`, or the count
    `graph_<outcome>` over the reports behind it (`graph_reports_log`); 0 when absent."""
    features = served.features
    if f"graph_{outcome}_share" in features:
        return features[f"graph_{outcome}_share"]
    reports = math.expm1(features.get("graph_reports_log", 0.0))
    return features.get(f"graph_{outcome}", 0.0) / reports if reports >= 1 else 0.0


def graph_flagged(served: Served) -> bool:
    """Did what qualify stored carry a network safety warning? Any graph-derived feature or
    factor about flags, safety or peer blocks, a blocked share of at least one half, or a
    notice or review reason naming one."""
    for name, value in served.features.items():
        if name.startswith("graph_") and value > 0 and any(m in name for m in _FLAG_MARKERS):
            return True
    if graph_share(served, "blocked") >= 0.5:
        return True
    if any(f.startswith("graph_") and any(m in f for m in _FLAG_MARKERS) for f in served.factors):
        return True
    texts = (*served.graph_notices, *served.review_reasons)
    return any(("network" in t or "peer" in t) and ("flag" in t or "block" in t) for t in texts)


def message_flagged(served: Served) -> bool:
    """Flagged by its own wording: read as no prospect, or screened as harassment. (Not the
    draft's suggested action: qualify also suggests discarding on a peer spam flag.)"""
    return served.intent == "not_a_prospect" or "harassment" in served.triage_kinds


def signal_report(replay_: Replay) -> dict[str, Any]:
    served = replay_.served
    n = len(served)
    present = sum(graph_present(s) for s in served)
    anything = sum(graph_any(s) for s in served)
    by_kind: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for contact, s in zip(replay_.network.contacts, served, strict=True):
        kind = replay_.network.people[contact.person].kind
        by_kind[kind].append((graph_present(s), graph_any(s)))
    return {
        "messages": n,
        "with_graph_present": present,
        "share": present / n if n else None,
        "with_any_graph_feature": anything,
        "share_any": anything / n if n else None,
        "share_by_kind": {k: sum(p for p, _ in v) / len(v) for k, v in sorted(by_kind.items())},
        "share_any_by_kind": {k: sum(a for _, a in v) / len(v) for k, v in sorted(by_kind.items())},
        "graph_states": dict(Counter(s.graph_state for s in served)),
        "degraded_messages": sum(s.graph_state == "degraded" for s in served),
    }


def safety_report(replay_: Replay) -> dict[str, Any]:
    """Repeat abusive/spam people: the share of their contacts flagged at the inbound (before
    that provider's own outcome), over all of them and over those the graph could flag (at
    least `min_contributors` other providers had already blocked the person)."""
    network = replay_.network
    truth = truth_history(network.contacts, min_flaggers=replay_.min_contributors)
    per_person: dict[int, list[int]] = defaultdict(list)
    others: list[Served] = []
    for contact, served in zip(network.contacts, replay_.served, strict=True):
        if network.people[contact.person].kind in ("abusive", "spam"):
            per_person[contact.person].append(contact.index)
        else:
            others.append(served)
    report: dict[str, Any] = {
        f"repeat_{k}_plus": _safety_group(
            replay_, truth, [ids for ids in per_person.values() if len(ids) >= k]
        )
        for k in (2, 3)
    }
    report["false_flags"] = {
        "contacts_of_other_kinds": len(others),
        "flagged_by_graph": sum(map(graph_flagged, others)) / len(others) if others else None,
    }
    return report


def _safety_group(
    replay_: Replay, truth: Sequence[Mapping[str, float]], people: Sequence[Sequence[int]]
) -> dict[str, Any]:
    contacts = [i for ids in people for i in ids]
    flaggable = [i for i in contacts if truth[i]["true_flagged_by_peers"]]
    served = replay_.served

    def share(ids: Sequence[int], test: Callable[[Served], bool]) -> float | None:
        return sum(bool(test(served[i])) for i in ids) / len(ids) if ids else None

    return {
        "people": len(people),
        "contacts": len(contacts),
        "flagged_by_graph": share(contacts, graph_flagged),
        "flaggable_contacts": len(flaggable),
        "flagged_by_graph_when_flaggable": share(flaggable, graph_flagged),
        "flagged_by_message": share(contacts, message_flagged),
        "flagged_ahead_either": share(contacts, lambda s: graph_flagged(s) or message_flagged(s)),
    }


# ---------------------------------------------------------------------------- minutes


def warned_no_show(served: Served) -> bool:
    own = served.features.get("prior_no_show", 0.0) > 0
    network = graph_present(served) and graph_share(served, "no_show") >= 0.5
    return own or network


def minutes_report(replay_: Replay) -> dict[str, Any]:
    """Provider minutes under `MINUTES` and `MINUTE_RULES`, per booking."""
    parts: dict[str, float] = defaultdict(float)
    bookings = 0
    for contact, served in zip(replay_.network.contacts, replay_.served, strict=True):
        kind = replay_.network.people[contact.person].kind
        parts["messages"] += (
            MINUTES["review_by_hand"] if served.needs_review else MINUTES["one_tap_draft"]
        )
        warned = warned_no_show(served)
        parts["deposit_requests"] += MINUTES["deposit_request"] * warned
        if contact.outcome is Outcome.NO_SHOW:
            parts["no_shows"] += MINUTES["no_show_with_deposit" if warned else "no_show_slot"]
        if kind in ("abusive", "spam") and not (graph_flagged(served) or message_flagged(served)):
            parts["abuse_not_flagged"] += MINUTES["abuse_thread_not_flagged"]
        bookings += contact.outcome in POSITIVE_OUTCOMES
    total = sum(parts.values())
    return {
        "total_minutes": round(total, 1),
        "bookings": bookings,
        "minutes_per_booking": round(total / bookings, 2) if bookings else None,
        "parts": {k: round(v, 1) for k, v in sorted(parts.items())},
    }


# ---------------------------------------------------------------------------- the report


def speed_report(replay_: Replay) -> dict[str, Any]:
    c = replay_.counters
    wall = replay_.wall_seconds
    return {
        "events": c.events,
        "wall_seconds": round(wall, 2),
        "setup_seconds": round(replay_.setup_seconds, 2),
        "events_per_second": round(c.events / wall, 1) if wall else None,
        "ms_per_event": {
            phase: round(1000 * seconds / n, 2) if n else None
            for phase, seconds, n in (
                ("inbound", replay_.phase_seconds["inbound"], c.contacts),
                ("outcome", replay_.phase_seconds["outcome"], c.outcomes),
                ("attest", replay_.phase_seconds["attest"], c.attestations),
            )
        },
        "counters": asdict(c),
        "attestation_codes": replay_.attestation_codes,
    }


def network_report(network: Network) -> dict[str, Any]:
    kinds = Counter(p.kind for p in network.people)
    return {
        "providers": len(network.providers),
        "people": len(network.people),
        "contacts": len(network.contacts),
        "days": network.days,
        "seed": network.seed,
        "message_signal": network.message_signal,
        "kinds": {k: kinds.get(k, 0) for k in KIND_SHARES},
        "kind_shares_stated": dict(KIND_SHARES),
    }


def evaluate(replay_: Replay) -> dict[str, Any]:
    """Every figure for one replay."""
    return {
        "graph": "on" if replay_.config.graph else "off",
        "epsilon": replay_.epsilon,
        "network": network_report(replay_.network),
        "linkage": pairwise_linkage(link_rows(replay_))
        | {"rows_mixing_people": rows_mixing_people(replay_)},
        "graph_signal": signal_report(replay_),
        "p_book": p_book_report(replay_),
        "safety": safety_report(replay_),
        "minutes": minutes_report(replay_),
        "speed": speed_report(replay_),
    }


def run(
    *,
    providers: int = 60,
    people: int = 1000,
    seed: int = 1,
    days: int = 120,
    message_signal: Signal = "high",
    graph: bool = True,
    compare: bool = False,
    epsilon: float | None = None,
    household_share: float = SHARED_PHONE_SHARE,
    tenant_url: str | None = None,
    graph_url: str | None = None,
) -> dict[str, Any]:
    """Generate, replay and evaluate; with `compare`, replay the same network graph off too."""
    network = generate(
        providers=providers,
        people=people,
        seed=seed,
        days=days,
        message_signal=message_signal,
        household_share=household_share,
    )
    config = ReplayConfig(graph=graph, epsilon=epsilon, tenant_url=tenant_url, graph_url=graph_url)
    first = replay(network, config)
    report = evaluate(first)
    report["minutes"]["assumptions"] = {"minutes": dict(MINUTES), "rules": list(MINUTE_RULES)}
    if compare:
        second = replay(network, ReplayConfig(graph=not graph, epsilon=epsilon))
        report["compare"] = evaluate(second)
        report["p_book"] = p_book_report(first, other=second)
    return report


# ---------------------------------------------------------------------------- rendering


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) >= 100 else f"{value:.{digits}f}"
    return str(value)


def _ci(cell: Mapping[str, Any]) -> str:
    value, low, high = cell.get("value"), cell.get("low"), cell.get("high")
    if value is None:
        return "-"
    if low is None or high is None:
        return f"{value:.3f}"
    return f"{value:.3f} [{low:.3f}, {high:.3f}]"


def render(report: Mapping[str, Any]) -> list[Table]:
    """The figures as Rich tables: one per capability, graph off beside on when compared."""
    other = report.get("compare")
    return [
        _network_table(report),
        _linkage_table(report, other),
        _signal_table(report, other),
        _p_book_table(report),
        _safety_table(report, other),
        _minutes_table(report, other),
        _speed_table(report, other),
    ]


def _table(title: str, report: Mapping[str, Any], other: Mapping[str, Any] | None) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("figure")
    table.add_column(f"graph {report['graph']}", justify="right")
    if other is not None:
        table.add_column(f"graph {other['graph']}", justify="right")
    return table


def _rows(
    table: Table,
    report: Mapping[str, Any],
    other: Mapping[str, Any] | None,
    section: str,
    names: Sequence[str],
) -> None:
    for name in names:
        cells = [_fmt(report[section].get(name))]
        if other is not None:
            cells.append(_fmt(other[section].get(name)))
        table.add_row(name.replace("_", " "), *cells)


def _network_table(report: Mapping[str, Any]) -> Table:
    net = report["network"]
    table = Table(title="Simulated network", title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for name in ("providers", "people", "contacts", "days", "seed", "message_signal"):
        table.add_row(name.replace("_", " "), _fmt(net[name]))
    table.add_row("epsilon per report", _fmt(report["epsilon"], 2))
    for kind, count in net["kinds"].items():
        table.add_row(f"kind {kind}", f"{count} (stated {net['kind_shares_stated'][kind]:.0%})")
    return table


def _linkage_table(report: Mapping[str, Any], other: Mapping[str, Any] | None) -> Table:
    table = _table(
        "1. Linkage across providers (pairs of rows at different providers)", report, other
    )
    _rows(
        table,
        report,
        other,
        "linkage",
        (
            "rows",
            "rows_linked",
            "true_pairs",
            "precision",
            "recall",
            "f1",
            "false_merge_pairs",
            "false_merge_subjects",
            "rows_mixing_people",
            "best_achievable_recall",
            "recall_of_achievable",
        ),
    )
    return table


def _signal_table(report: Mapping[str, Any], other: Mapping[str, Any] | None) -> Table:
    table = _table("2. Inbound messages with a graph signal", report, other)
    names = ("messages", "with_graph_present", "share", "with_any_graph_feature", "share_any")
    _rows(table, report, other, "graph_signal", names)
    for key, label in (("share_by_kind", "present"), ("share_any_by_kind", "any")):
        for kind in report["graph_signal"][key]:
            cells = [_fmt(report["graph_signal"][key][kind])]
            if other is not None:
                cells.append(_fmt(other["graph_signal"][key].get(kind)))
            table.add_row(f"share {label}, {kind}", *cells)
    return table


def _p_book_table(report: Mapping[str, Any]) -> Table:
    p = report["p_book"]
    table = Table(
        title=f"3. P(book) on the later half ({p['test_messages']} messages, "
        f"{p['test_positives']} booked; 95 % bootstrap, {p['resamples']} resamples)",
        title_justify="left",
    )
    columns = ("variant", "PR-AUC", "ROC-AUC", "of ceiling PR", "of ceiling ROC")
    for column in (*columns, "of bound PR", "of bound ROC"):
        table.add_column(column, justify="right" if column != "variant" else "left")
    labels = {
        "served": "(a) served P(book)",
        "served_graph_off": "(a') served P(book), same network, graph off",
        "served_graph_on": "(a') served P(book), same network, graph on",
        "refit_local": "(b) refit, message + history",
        "refit_all": "(c) refit, all features (graph on)",
        "bound_min_contributors": "(d) bound: true history, as the rule shows it",
        "ceiling_truth": "(e) ceiling: + true history elsewhere",
    }
    for name, cell in p["variants"].items():
        cells = [_ci(cell["pr_auc"]), _ci(cell["roc_auc"])]
        for shares in (p["lift_share_of_ceiling"], p.get("lift_share_of_bound", {})):
            lift = shares.get(name, {})
            cells += [_ci(lift["pr_auc"]), _ci(lift["roc_auc"])] if lift else ["", ""]
        table.add_row(labels.get(name, name), *cells)
    table.caption = (
        "lift share: (variant - b) / (top - b). The bound is the most any graph can show under "
        "the minimum-contributors rule: no noise, perfect links, counts only from enough "
        "other providers; what lies between bound and ceiling is what the rule hides"
    )
    return table


def _safety_table(report: Mapping[str, Any], other: Mapping[str, Any] | None) -> Table:
    table = _table(
        "4. Safety: repeat abusive/spam people flagged before the outcome", report, other
    )
    for group in ("repeat_2_plus", "repeat_3_plus"):
        for name in (
            "people",
            "contacts",
            "flagged_by_graph",
            "flaggable_contacts",
            "flagged_by_graph_when_flaggable",
            "flagged_by_message",
            "flagged_ahead_either",
        ):
            cells = [_fmt(report["safety"][group][name])]
            if other is not None:
                cells.append(_fmt(other["safety"][group][name]))
            table.add_row(f"{group.replace('_', ' ')}: {name.replace('_', ' ')}", *cells)
    for name in ("contacts_of_other_kinds", "flagged_by_graph"):
        cells = [_fmt(report["safety"]["false_flags"][name])]
        if other is not None:
            cells.append(_fmt(other["safety"]["false_flags"][name]))
        table.add_row(f"other kinds: {name.replace('_', ' ')}", *cells)
    return table


def _minutes_table(report: Mapping[str, Any], other: Mapping[str, Any] | None) -> Table:
    table = _table("5. Provider minutes per booking (assumptions below)", report, other)
    _rows(table, report, other, "minutes", ("total_minutes", "bookings", "minutes_per_booking"))
    for part in report["minutes"]["parts"]:
        cells = [_fmt(report["minutes"]["parts"][part])]
        if other is not None:
            cells.append(_fmt(other["minutes"]["parts"].get(part)))
        table.add_row(f"minutes: {part.replace('_', ' ')}", *cells)
    table.caption = (
        "; ".join(f"{k.replace('_', ' ')} {v:g} min" for k, v in MINUTES.items())
        + ". "
        + "; ".join(MINUTE_RULES)
    )
    return table


def _speed_table(report: Mapping[str, Any], other: Mapping[str, Any] | None) -> Table:
    table = _table("6. Replay speed", report, other)
    _rows(
        table,
        report,
        other,
        "speed",
        ("events", "wall_seconds", "setup_seconds", "events_per_second"),
    )
    for phase in report["speed"]["ms_per_event"]:
        cells = [_fmt(report["speed"]["ms_per_event"][phase], 2)]
        if other is not None:
            cells.append(_fmt(other["speed"]["ms_per_event"].get(phase), 2))
        table.add_row(f"ms per {phase} event", *cells)
    _rows(table, report, other, "graph_signal", ("degraded_messages",))
    counters = report["speed"]["counters"]
    for name in (
        "contributions",
        "contributions_withheld",
        "contributions_refused",
        "attestations",
        "attestations_refused",
        "attestations_skipped",
    ):
        cells = [_fmt(counters[name])]
        if other is not None:
            cells.append(_fmt(other["speed"]["counters"][name]))
        table.add_row(name.replace("_", " "), *cells)
    return table
