"""One rule for every seed of every function (README, "Config format" and "Error codes").

A seed is an integer or its decimal text from 0 to 2^64 − 1. A negative one or one past
2^64 − 1 is the right kind of value out of its range (`out_of_range`), as a number or as text;
a float or a bool is the wrong kind (`invalid_type`); other text is `invalid_value`. Before
session 41 a negative seed was `invalid_value` and an integer past 2^64 `invalid_type`.
"""

from __future__ import annotations

import pandas as pd
import pytest

import crmkit

STAGES = {"stages": [{"name": "a", "probability": "0.5", "duration": "5"}, {"name": "won", "kind": "won"}],
          "duration_unit": "days", "placement": "remaining_full"}
BT_POLICY = {"stages": [{"name": "a", "probability": "0.5"}, {"name": "won", "kind": "won"}],
             "duration_unit": "days", "placement": "expected_close"}
EVENTS = [{"deal": "x", "stage": "a", "on": "2025-12-01", "amount": "10", "expected_close_on": "2026-01-10"},
          {"deal": "x", "stage": "won", "on": "2026-01-10"}]
TEAM = {"teams": [{"id": "t", "strategy": "weighted", "reps": [{"id": "a", "weight": 2}, {"id": "b"}]}],
        "routes": [{"id": "r", "when": {"any": True}, "team": "t"}], "fallback_queue": "q"}
FS_POLICY = {
    "fields": [{"field": "company", "comparator": {"type": "company_name"}}],
    "fellegi_sunter": {"prior": 0.1, "bands": {"duplicate": 4, "related": 0}, "fields": [{"field": "company"}]},
}
RECORDS = [{"id": "1", "fields": {"company": "北京字节跳动科技有限公司"}},
           {"id": "2", "fields": {"company": "字节跳动（北京）科技有限公司"}}]
JOURNEY = [{"id": "j", "revenue": "100", "converted_on": "2026-03-15",
            "touches": [{"channel": "search", "on": "2026-03-01"}, {"channel": "email", "on": "2026-03-10"}]}]

# Every public function that takes a seed, and the path of its seed.
CALLS = {
    "forecast_ranges": (lambda s: crmkit.forecast_ranges(STAGES, {"simulations": 10, "seed": s},
                                                         [{"id": "x", "stage": "a", "amount": "10"}], "2026-01-05"), "seed"),
    "backtest": (lambda s: crmkit.backtest(BT_POLICY, {"dates": ["2026-01-01"], "simulations": 10, "seed": s},
                                           EVENTS, "2026-02-01"), "seed"),
    "estimate_model": (lambda s: crmkit.estimate_model(FS_POLICY, RECORDS, {"seed": s}), "settings.seed"),
    "attribute": (lambda s: crmkit.attribute({"model": {"kind": "shapley", "seed": s}}, JOURNEY), "model.seed"),
    "assign_records": (lambda s: crmkit.assign_records(TEAM, {"records": [{"id": "x"}], "seed": s}), "seed"),
    "assign_records_frame": (lambda s: crmkit.assign_records_frame(pd.DataFrame({"id": ["x"]}), TEAM, seed=s), "seed"),
}

BAD = [
    (-1, "out_of_range"),
    ("-1", "out_of_range"),
    (-(2**70), "out_of_range"),
    (2**64, "out_of_range"),
    (2**80, "out_of_range"),
    ("18446744073709551616", "out_of_range"),
    ("99999999999999999999999999", "out_of_range"),
    (1.5, "invalid_type"),
    (7.0, "invalid_type"),
    (True, "invalid_type"),
    ([1], "invalid_type"),
    ("0x10", "invalid_value"),
    ("1e3", "invalid_value"),
    (" 1", "invalid_value"),
    ("+1", "invalid_value"),
    ("", "invalid_value"),
]


@pytest.mark.parametrize("name", sorted(CALLS))
@pytest.mark.parametrize(("seed", "code"), BAD)
def test_every_seed_gives_the_same_code(name, seed, code):
    call, path = CALLS[name]
    with pytest.raises(crmkit.CrmkitError) as e:
        call(seed)
    assert (e.value.code, e.value.path) == (code, path), (name, seed, str(e.value))


@pytest.mark.parametrize("name", sorted(CALLS))
def test_the_ends_of_the_range_are_seeds(name):
    call, _ = CALLS[name]
    for seed in (0, "0", 2**64 - 1, str(2**64 - 1)):
        call(seed)
