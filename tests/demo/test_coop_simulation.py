"""The coop replay: intros and hand-offs run through the real services on a small simulated
network; the coop recovers bookings the network without it loses, never shares without the
person's consent, and the same seed gives the same figures."""

from __future__ import annotations

from typing import Any

import pytest

from prospecting.demo import coop_simulation as coop_sim
from prospecting.demo import simulation as sim

PROVIDERS, PEOPLE, SEED = 20, 40, 3


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    return coop_sim.run(providers=PROVIDERS, people=PEOPLE, seed=SEED)


def test_the_replay_runs_both_arms_over_every_contact(report: dict[str, Any]) -> None:
    contacts = report["network"]["contacts"]
    assert contacts > 0
    assert report["without_coop"]["contacts"] == report["with_coop"]["contacts"] == contacts
    without = report["without_coop"]
    assert without["requests_wrong_fit"] > 0, "the network has requests a provider cannot take"
    assert without["minutes_per_booking"] is not None


def test_the_coop_recovers_bookings_the_network_without_it_loses(report: dict[str, Any]) -> None:
    without, with_coop = report["without_coop"], report["with_coop"]
    assert without["recovered_overflow"] == without["recovered_wrong_fit"] == 0
    assert without["intros"]["proposed"] == without["handoffs"]["proposed"] == 0
    recovered = with_coop["recovered_overflow"] + with_coop["recovered_wrong_fit"]
    assert recovered > 0
    taken = with_coop["intros"]["accepted"] + with_coop["handoffs"]["accepted"]
    assert with_coop["referred_rows"] == taken > 0
    assert with_coop["intros"]["booked"] + with_coop["handoffs"]["booked"] == recovered
    assert with_coop["bookings"] == with_coop["bookings_direct"] + recovered


def test_no_share_happened_without_a_granted_consent(report: dict[str, Any]) -> None:
    with_coop = report["with_coop"]
    assert with_coop["consentless_shares"] == 0
    for flow in ("intros", "handoffs"):
        counts = with_coop[flow]
        assert counts["accepted"] <= counts["consented"] <= counts["proposed"]
    assert with_coop["consent_granted"] < with_coop["consent_asked"], "some people say no"
    assert 0 < with_coop["consent_rate"] < 1


def test_gates_apply_and_the_lowered_intro_threshold_is_reported(report: dict[str, Any]) -> None:
    override = report["settings_overrides"]["coop_intro_min_peers"]
    assert override["value"] < override["product_default"]
    assert report["network"]["vetted_providers"] < PROVIDERS
    assert report["with_coop"]["referrals_refused"].get("sender_not_vetted", 0) > 0


def test_same_seed_same_figures(report: dict[str, Any]) -> None:
    """The coop's replay again (the arm whose ranking breaks ties on ids): same figures."""
    network = sim.generate(providers=PROVIDERS, people=PEOPLE, seed=SEED)
    config = coop_sim.CoopConfig()
    min_peers = report["settings_overrides"]["coop_intro_min_peers"]["value"]
    arm = coop_sim.replay_arm(
        network, coop_sim.fit_of(network, config), config, coop=True, intro_min_peers=min_peers
    )
    again = coop_sim.arm_report(arm)
    assert again.pop("wall_seconds") >= 0
    assert again == {k: v for k, v in report["with_coop"].items() if k != "wall_seconds"}


def test_fit_is_seeded_and_wrong_fit_means_category_or_language() -> None:
    network = sim.generate(providers=10, people=40, seed=8)
    config = coop_sim.CoopConfig()
    fit = coop_sim.fit_of(network, config)
    assert coop_sim.fit_of(network, config) == fit
    assert all(slots in config.weekly_slots for slots in fit.slots)
    assert all(langs[0] == "en" for langs in fit.provider_languages)
    person = network.people[0]  # index 0: the Fits below give them Spanish
    same = sim.SimProvider(0, "p", person.category, person.region, person.country, "UTC")
    other = next(c for c in sim.CATEGORIES if c != person.category)
    elsewhere = sim.SimProvider(1, "q", other, person.region, person.country, "UTC")
    speaks = coop_sim.Fit((1, 1), (("en", "es"), ("en", "es")), ("es",))
    english_only = coop_sim.Fit((1, 1), (("en",), ("en",)), ("es",))
    assert not speaks.wrong_fit(person, same)
    assert speaks.wrong_fit(person, elsewhere)
    assert english_only.wrong_fit(person, same)


def test_rendered_tables_show_both_arms_and_the_assumptions(report: dict[str, Any]) -> None:
    main, flows, notes = coop_sim.render(report)
    assert [c.header for c in main.columns] == ["figure", "without coop", "with coop"]
    assert [c.header for c in flows.columns] == ["figure", "intros", "hand-offs"]
    assert notes.row_count >= len(coop_sim.COOP_MINUTE_RULES)
