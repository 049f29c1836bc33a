"""The benchmark workload: the records every kprules benchmark evaluates, and the three rules in
hand-written Python that kprules must reproduce exactly.

A record is a flat dict: one shipment (or certificate case) with twelve facts. For every record
the three policies of `benchmarks/workload/` (`kpcs.kpr`, `proposal.kpr`, `restriction.kpr`) must
give the tuple of booleans that `reference(record)` gives; any difference on any record fails the
benchmark that found it.

The generator is deterministic (a seed gives the same records on every machine and Python 3.11+,
standard library only) and lazy (`records`), so that a million records can be streamed to a file
without being held in memory; `generate` is the same records as a list.

The distribution: `rough` 80%, a seller kind uniformly among six, the conflict facts 50%, 50%,
30%, human-rights abuses 10%, a UN sanction 5%, twenty origin countries of which CF and RU weigh
four times the others (so that every branch of rule C occurs often), carats lognormal rounded to
0.01 ct with a median about 0.5 ct (so that the 0.5 ct cut-off is hit exactly), an export year in
2000..2025, a compliant KP participant 90%, a compliant origin zone 50%.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

SELLER_KINDS = ("state", "state_owned_enterprise", "rebel_movement",
                "armed_group_allied_to_rebels", "private_company", "artisanal_miner")
REBEL_SELLERS = frozenset({"rebel_movement", "armed_group_allied_to_rebels"})
STATE_SELLERS = frozenset({"state", "state_owned_enterprise"})
# 20 producing or trading countries (ISO 3166-1 alpha-2); CF and RU weigh more.
COUNTRIES = ("RU", "CF", "BW", "CA", "ZW", "AO", "SL", "CD", "VE", "ZA",
             "NA", "LS", "LR", "CI", "AU", "IN", "AE", "BE", "CN", "TZ")
COUNTRY_WEIGHTS = (4, 4) + (1,) * 18

BOOL_FIELDS = ("rough", "proceeds_finance_armed_conflict",
               "conflict_aims_to_undermine_legitimate_government",
               "proceeds_finance_aggression_against_another_state",
               "systematic_human_rights_abuses_at_mine", "un_security_council_sanction",
               "kp_participant_compliant", "origin_zone_compliant")
FIELDS = (*BOOL_FIELDS, "seller_kind", "origin_country", "carats", "export_year")

Record = dict[str, Any]


# ----------------------------------------------------------------------------- the records


def records(n: int, seed: int = 2003) -> Iterator[Record]:
    """n records, one at a time. The origins are drawn first, all n of them, then the other
    facts record by record: a second generator with the same seed, moved past the n draws of
    the origins, makes the same draws without holding the origins in memory."""
    origins = random.Random(seed)
    rnd = random.Random(seed)
    for _ in range(n):  # one draw per origin (`choices` with weights draws once per item)
        rnd.random()
    for _ in range(n):
        yield _record(rnd, origins.choices(COUNTRIES, COUNTRY_WEIGHTS)[0])


def generate(n: int, seed: int = 2003) -> list[Record]:
    """The n records of `records(n, seed)` as a list."""
    return list(records(n, seed))


def _record(rnd: random.Random, origin: str) -> Record:
    chance = rnd.random
    return {  # the draws are made in this order: changing it changes the records
        "rough": chance() < 0.8,
        "seller_kind": rnd.choice(SELLER_KINDS),
        "proceeds_finance_armed_conflict": chance() < 0.5,
        "conflict_aims_to_undermine_legitimate_government": chance() < 0.5,
        "proceeds_finance_aggression_against_another_state": chance() < 0.3,
        "systematic_human_rights_abuses_at_mine": chance() < 0.1,
        "un_security_council_sanction": chance() < 0.05,
        "origin_country": origin,
        "carats": round(rnd.lognormvariate(-0.7, 1.0), 2),
        "export_year": rnd.randint(2000, 2025),
        "kp_participant_compliant": chance() < 0.9,
        "origin_zone_compliant": chance() < 0.5,
    }


# ----------------------------------------------------------------------------- the rules
# Written plainly, as a programmer would by hand: they are the baseline the evaluator is timed
# against (four calls per record), so they must not be slowed by helpers. The facts are booleans,
# so each rule returns a bool.


def kpcs2003(r: Record) -> bool:
    """(A) The KPCS 2003 definition: rough diamonds used by rebel movements or their allies to
    finance conflict aimed at undermining legitimate governments."""
    return (r["rough"]
            and r["seller_kind"] in REBEL_SELLERS
            and r["proceeds_finance_armed_conflict"]
            and r["conflict_aims_to_undermine_legitimate_government"])


def proposed(r: Record) -> bool:
    """(B) A reformed definition: rough, and (A without `rough`, or a state or state-owned
    seller financing aggression against another state, or systematic human-rights abuses at the
    mine, or a UN Security Council sanction)."""
    return r["rough"] and (
        (r["seller_kind"] in REBEL_SELLERS
         and r["proceeds_finance_armed_conflict"]
         and r["conflict_aims_to_undermine_legitimate_government"])
        or (r["seller_kind"] in STATE_SELLERS
            and r["proceeds_finance_aggression_against_another_state"])
        or r["systematic_human_rights_abuses_at_mine"]
        or r["un_security_council_sanction"])


def export_blocked(r: Record) -> bool:
    """(C) An export restriction: blocked when the Central African Republic (suspended in 2013)
    exports in 2013..2024, except from a compliant zone from 2015 on; or Russia exports stones of
    0.5 ct or more in 2024 or later; or the exporting participant is not KP-compliant."""
    year = r["export_year"]
    return ((r["origin_country"] == "CF" and 2013 <= year <= 2024
             and (year < 2015 or not r["origin_zone_compliant"]))
            or (r["origin_country"] == "RU" and year >= 2024 and r["carats"] >= 0.5)
            or not r["kp_participant_compliant"])


def reference(r: Record) -> tuple[bool, bool, bool]:
    """The three rules' values for one record: what kprules must give."""
    return (kpcs2003(r), proposed(r), export_blocked(r))
