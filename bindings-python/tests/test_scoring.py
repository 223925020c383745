"""Lead scoring from Python: stubs against real outputs, idiomatic inputs, errors."""

from __future__ import annotations

import copy
import datetime
import decimal

import pytest

import crmkit
from test_stubs import stub

AS_OF = datetime.date(2026, 11, 23)

POLICY = {
    "rules": [
        {"id": "mfg", "dimension": "fit", "points": 20, "group": "firm",
         "when": [{"field": "industry", "op": "in", "values": ["制造"], "ignore_case": False}]},
        {"id": "size", "dimension": "fit", "points": 15, "group": "firm",
         "when": [{"field": "revenue", "op": "range", "min": 1_000_000, "bounds": "[)"}]},
        {"id": "seen", "dimension": "fit", "points": 1,
         "when": [{"field": "last_seen_on", "op": "within_days", "days": 30}]},
        {"id": "pricing", "dimension": "engagement", "points": 10,
         "event": {"types": ["visit_pricing"], "min_count": 1, "within_days": 60, "half_life_days": 7.0,
                   "per_event": True, "max_events": 3}},
    ],
    "groups": [{"id": "firm", "min": 0, "max": 30}],
    "fit": {"min": 0, "max": 100},
    "engagement": {"max": 100},
    "total": {"min": 0},
    "grades": {"fit": [{"label": "A", "min": 30}, {"label": "B"}], "engagement": [{"label": "1", "min": 5}, {"label": "2"}]},
    "tiers": [{"id": "key_lead", "label": "重点线索", "min_score": 30, "min_fit": 1, "min_engagement": 1, "grades": ["A1"],
               "when": [{"field": "region", "op": "equals", "value": "华东"}]}],
    "tie_break": [{"field": "revenue", "descending": True}],
    "top_reasons": 2,
}

LEADS = [
    {"id": "L1", "industry": "制造", "revenue": decimal.Decimal("2500000.00"), "region": "华东",
     "last_seen_on": datetime.date(2026, 11, 20),
     "events": [{"type": "visit_pricing", "on": datetime.date(2026, 11, 16)}]},
    {"id": "L2", "industry": "教育", "revenue": 10, "region": None, "events": []},
]


def test_report_keys_match_the_stub_typeddicts():
    dicts, literals = stub()
    report = crmkit.score_leads(POLICY, LEADS, AS_OF)
    assert set(report) == dicts["ScoreReport"]
    first = report["leads"][0]
    assert set(first) == dicts["LeadScore"]
    assert set(first["items"][0]) == dicts["ScoreItem"]
    assert set(first["cuts"][0]) == dicts["ScoreCut"]
    assert set(report["tiers"][0]) == dicts["ScoreCount"]
    assert {i["reason"] for i in first["items"]} <= literals["ItemReason"]
    assert {c["scope"] for c in first["cuts"]} <= literals["CutScope"]
    # Every policy key the stub names is accepted.
    assert set(POLICY) == dicts["ScoringPolicy"]
    assert set(POLICY["rules"][3]) | {"group", "when"} == dicts["ScoringRule"]
    assert set(POLICY["rules"][3]["event"]) == dicts["EventRule"]
    conditions = [c for r in POLICY["rules"] for c in r.get("when", [])]
    assert {k for c in conditions for k in c} | {"value", "max", "pattern"} == dicts["FieldCondition"]
    assert set(POLICY["tiers"][0]) == dicts["PriorityTier"]


def test_scores_from_python_types_and_inputs_untouched():
    before = copy.deepcopy(LEADS)
    report = crmkit.score_leads(POLICY, LEADS, AS_OF)
    assert LEADS == before
    l1, l2 = report["leads"]
    # 20 + 15 capped at 30; seen 3 days ago; one pricing visit 7 days old: 10 × 0.5.
    assert (l1["fit"], l1["engagement"], l1["score"]) == (31.0, 5.0, 36.0)
    assert (l1["grade"], l1["tier"], l1["tier_label"], l1["rank"]) == ("A1", "key_lead", "重点线索", 1)
    assert l1["top_reasons"] == ["mfg", "size"]
    assert l1["cuts"] == [{"scope": "group", "group": "firm", "before": 35.0, "after": 30.0, "cut": -5.0}]
    assert l2["score"] == 0.0 and l2["grade"] == "B2" and l2["tier"] is None
    assert report["ranking"] == ["L1", "L2"]
    assert report["tiers"] == [{"key": "key_lead", "leads": 1}, {"key": "none", "leads": 1}]


@pytest.mark.parametrize(
    ("policy", "leads", "code", "path"),
    [
        ({"rules": [{"id": "r", "dimension": "fit", "points": 1, "when": [{"field": "x", "op": "like", "value": "a"}]}]},
         [], "invalid_value", "rules[0].when[0].op"),
        ({"rules": [{"id": "r", "dimension": "fit", "points": 1, "when": [{"field": "x", "op": "regex", "pattern": "[a"}]}]},
         [], "invalid_value", "rules[0].when[0].pattern"),
        (POLICY, [{"id": "a", "revenue": "lots"}], "invalid_type", "leads[0].revenue"),
        (POLICY, [{"id": "a", "revenue": 1.5, "last_seen_on": datetime.datetime(2026, 1, 1, 12)}], "invalid_date", "leads[0].last_seen_on"),
    ],
)
def test_errors_carry_code_and_path(policy, leads, code, path):
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.score_leads(policy, leads, AS_OF)
    assert (caught.value.code, caught.value.path) == (code, path)


CLOSED = [
    {"id": "a", "outcome": "won", "stage": "won", "source": "x", "employees": 500, "closed_on": datetime.date(2026, 10, 1)},
    {"id": "b", "outcome": "lost", "stage": "new", "source": "x", "employees": 5, "closed_on": "2026-09-01"},
    {"id": "c", "outcome": "lost", "stage": "qualified", "source": "y", "closed_on": "2026-08-01"},
    {"id": "d", "outcome": "won", "stage": "won", "source": "y", "employees": 50, "closed_on": "2026-07-01"},
]
MODEL_CONFIG = {
    "method": "bayes",
    "fields": [{"name": "source"}, {"name": "employees", "bins": [10, 100]}],
    "stages": [{"name": "new"}, {"name": "qualified"}, {"name": "won", "won": True}],
    "smoothing": 1.0,
    "min_support": 1,
    "team_blend": 5,
    "half_life_days": 90,
    "top_factors": 2,
}


def test_learned_model_keys_match_the_stubs_and_contributions_add_up():
    dicts, literals = stub()
    assert set(MODEL_CONFIG) | {"outcome_field", "stage_field", "team_field", "closed_on_field"} == dicts["ModelConfig"]
    model = crmkit.train_lead_model(MODEL_CONFIG, CLOSED, AS_OF)
    assert set(model) == dicts["LeadModel"]
    assert set(model["teams"][0]) == dicts["TeamTable"]
    report = crmkit.predict_leads(model, [{"id": "o", "stage": "qualified", "source": "y", "employees": 60}])
    assert set(report) == dicts["PredictionReport"]
    p = report["leads"][0]
    assert set(p) == dicts["Prediction"] and set(p["contributions"][0]) == dicts["Contribution"]
    assert p["reason"] in literals["PredictionReason"]
    total = 0.0
    for c in p["contributions"]:
        total += c["log_odds"]
    assert total == p["logit"]  # the same sum, in the same order: exactly
    assert 0 < p["probability"] < 1


def test_calibration_from_numpy_and_pandas():
    import numpy as np
    import pandas as pd

    dicts, _ = stub()
    report = crmkit.calibration(pd.Series([0.9, 0.2, 0.7, 0.4]), np.array([True, False, False, True]), bins=2)
    assert set(report) == dicts["CalibrationReport"] and set(report["bins"][0]) == dicts["ReliabilityBin"]
    assert report["auc"] == 0.75
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.calibration([0.1, None], [True, False])
    assert (caught.value.code, caught.value.path) == ("invalid_type", "probabilities[1]")
    split = crmkit.time_split(CLOSED, "closed_on", datetime.date(2026, 8, 15))
    assert split == {"train": [2, 3], "test": [0, 1]} and set(split) == dicts["TimeSplit"]


def test_score_frame_agrees_with_score_leads():
    import numpy as np
    import pandas as pd

    leads = [
        {"id": "L1", "industry": "制造", "revenue": 2_500_000, "region": "华东", "last_seen_on": "2026-11-20",
         "events": [{"type": "visit_pricing", "on": "2026-11-16"}, {"type": "visit_pricing", "on": "2026-12-01"}]},
        {"id": "L2", "industry": "教育", "revenue": 10, "region": None, "events": []},
        {"id": "L3", "industry": None, "revenue": None, "region": "华东", "last_seen_on": "2026-10-01",
         "events": [{"type": "visit_pricing", "on": "2026-11-22"}]},
    ]
    df = pd.DataFrame(
        {
            "industry": pd.Categorical([x["industry"] for x in leads]),
            "revenue": [x["revenue"] for x in leads],
            "region": [x["region"] for x in leads],
            "last_seen_on": pd.to_datetime([x.get("last_seen_on") for x in leads]),
        },
        index=["a", "b", "c"],
    )
    events = pd.DataFrame(
        [(i, e["type"], e["on"]) for i, x in enumerate(leads) for e in x["events"]], columns=["lead", "type", "on"]
    ).iloc[::-1]  # any order
    events["on"] = pd.to_datetime(events["on"])
    frame = crmkit.score_frame(df, POLICY, AS_OF, events=events)
    report = crmkit.score_leads(POLICY, leads, AS_OF)
    assert list(frame.index) == ["a", "b", "c"]
    assert np.allclose(frame["score"], [x["score"] for x in report["leads"]], rtol=0, atol=1e-12)
    assert list(frame["rank"]) == [x["rank"] for x in report["leads"]]
    assert list(frame["grade"].astype(str)) == [x["grade"] for x in report["leads"]]
    assert list(frame["tier"].astype(object).where(frame["tier"].notna(), None)) == [x["tier"] for x in report["leads"]]
    assert [None if pd.isna(v) else v for v in frame["reason_1"]] == [
        x["top_reasons"][0] if x["top_reasons"] else None for x in report["leads"]
    ]
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.score_frame(df.assign(revenue=["a", "b", "c"]), POLICY, AS_OF)
    assert (caught.value.code, caught.value.path) == ("invalid_type", "columns.revenue")


BOOL_POLICY = {
    "rules": [
        {"id": "vip", "dimension": "fit", "points": 10, "when": [{"field": "vip", "op": "equals", "value": "true"}]},
        {"id": "known", "dimension": "fit", "points": 1, "when": [{"field": "vip", "op": "exists"}]},
        {"id": "not_vip", "dimension": "fit", "points": 2, "when": [{"field": "vip", "op": "not_in", "values": ["true"]}]},
    ]
}


@pytest.mark.parametrize("kind", ["bool", "boolean", "object", "arrow"])
def test_boolean_columns_arrive_as_booleans(kind):
    """A boolean column scores as score_leads reads a boolean (the text true / false), from
    numpy bool, pandas' nullable boolean, Python bools among objects and Arrow booleans."""
    pd = pytest.importorskip("pandas")
    values = [True, False, True] if kind == "bool" else [True, False, None]
    records = crmkit.score_leads(BOOL_POLICY, [{"id": str(i), "vip": v} for i, v in enumerate(values)], AS_OF)
    if kind == "arrow":
        pa = pytest.importorskip("pyarrow")
        out = crmkit.score_frame(pa.table({"vip": pa.array(values, pa.bool_())}), BOOL_POLICY, AS_OF)
        scores = out.column("score").to_pylist()
    else:
        dtype = {"bool": bool, "boolean": "boolean", "object": object}[kind]
        scores = list(crmkit.score_frame(pd.DataFrame({"vip": pd.Series(values, dtype=dtype)}), BOOL_POLICY, AS_OF)["score"])
    assert scores == [x["score"] for x in records["leads"]] == ([11.0, 3.0, 11.0] if kind == "bool" else [11.0, 3.0, 0.0])


def test_score_frame_refuses_a_day_beyond_32_bits():
    """A datetime64 column reaches millions of years: a day past 32 bits is invalid_date at its
    row, never wrapped round to a date inside the range (2**32 + 20,000 days would read as
    2024-10-04)."""
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    policy = {"rules": [{"id": "seen", "dimension": "engagement", "points": 5,
                         "when": [{"field": "seen_on", "op": "within_days", "days": 30}]}]}
    days = np.array([20_000, 2**32 + 20_000, -(2**32)], dtype="datetime64[D]")
    for i in (1, 2):
        df = pd.DataFrame({"seen_on": pd.Series(days[[0, i]])})
        with pytest.raises(crmkit.CrmkitError) as caught:
            crmkit.score_frame(df, policy, AS_OF)
        assert (caught.value.code, caught.value.path) == ("invalid_date", "columns.seen_on[1]")
    assert list(crmkit.score_frame(pd.DataFrame({"seen_on": pd.Series(days[[0]])}), policy, AS_OF)["score"]) == [0.0]
