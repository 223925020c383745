"""The shared Python input rule (crmkit._wire): every exception a public function raises for bad
input is a CrmkitError with a code and a path; the obvious Python and data-team types work
(issue 6 point 4, issue 13 points 2 and 9)."""

from __future__ import annotations

import datetime
import types
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

import crmkit

POLICY = {
    "stages": [{"name": "open", "conversion": "0.5", "duration": "10"}, {"name": "won", "kind": "won"}],
    "duration_unit": "days",
    "placement": "actual",
    "undated": "half_elapsed",
    "group_by": ["owner"],
}
DEAL = {"id": "d1", "stage": "open", "amount": "100.00", "owner": "li", "entered_stage_on": "2025-12-01"}
AS_OF = "2026-01-05"


def raises(code, path, fn, *args, **kwargs):
    with pytest.raises(crmkit.CrmkitError) as caught:
        fn(*args, **kwargs)
    assert (caught.value.code, caught.value.path) == (code, path), str(caught.value)
    return caught.value


@pytest.mark.parametrize("as_of", ["0000-01-01", "-0001-01-01", "+10000-01-01", " 2026-01-05", "2026-1-5", "2026- 1-05"])
def test_dates_outside_the_rule_are_invalid_date(as_of):
    raises("invalid_date", "as_of", crmkit.forecast, POLICY, [DEAL], as_of)
    raises("invalid_date", "deals[0].entered_stage_on", crmkit.forecast, POLICY, [{**DEAL, "entered_stage_on": as_of}], AS_OF)


@pytest.mark.parametrize("as_of", [20260105, None, b"2026-01-05", 1.5, object()])
def test_as_of_of_another_type_is_invalid_type(as_of):
    raises("invalid_type", "as_of", crmkit.forecast, POLICY, [DEAL], as_of)


def test_date_like_as_of():
    want = crmkit.forecast(POLICY, [DEAL], AS_OF)
    for as_of in [
        datetime.date(2026, 1, 5),
        datetime.datetime(2026, 1, 5),
        pd.Timestamp("2026-01-05"),
        np.datetime64("2026-01-05"),
        np.datetime64("2026-01-05T00:00:00"),
    ]:
        assert crmkit.forecast(POLICY, [DEAL], as_of) == want, repr(as_of)
    # An aware datetime is an instant (the pool's kind of time), even at midnight: not a date.
    for bad in [
        datetime.datetime(2026, 1, 5, 9, 30),
        datetime.datetime(2026, 1, 5, tzinfo=datetime.timezone.utc),
        pd.Timestamp("2026-01-05 00:00:00.000000001"),
        np.datetime64("2026-01-05T12"),
    ]:
        raises("invalid_date", "as_of", crmkit.forecast, POLICY, [DEAL], bad)
    for missing in [pd.NaT, np.datetime64("NaT")]:
        raises("invalid_type", "as_of", crmkit.forecast, POLICY, [DEAL], missing)


def test_allocation_window_reaching_year_zero():
    policy = {"window": "ytd", "fiscal_year": {"start_month": 4}}
    report = crmkit.allocate_target(policy, {"target": "10", "history": [{"key": "a", "on": "0001-01-10", "amount": "1"}]}, "0001-02-01")
    assert report["from"] == datetime.date(1, 1, 1)
    assert report["lines"][0]["target"] == Decimal("10.00")


def test_text_that_is_not_unicode():
    raises("invalid_value", "deals[0].owner", crmkit.forecast, POLICY, [{**DEAL, "owner": "\ud800"}], AS_OF)


def test_nesting_and_cycles():
    for levels in [200, 3000]:  # json.dumps writes the first, not the second: same error
        deep: list = []
        for _ in range(levels):
            deep = [deep]
        err = raises("limit_exceeded", "deals", crmkit.forecast, POLICY, deep, AS_OF)
        assert "128" in str(err)
    d = dict(DEAL)
    d["attributes"] = {"me": d}
    raises("invalid_value", "deals[0].attributes.me", crmkit.forecast, POLICY, [d], AS_OF)


def test_numpy_scalars():
    report = crmkit.forecast(POLICY, [{**DEAL, "amount": np.int64(500000)}], AS_OF)
    assert report["totals"]["open"]["amount"] == Decimal("500000.00")
    raises("invalid_decimal", "deals[0].amount", crmkit.forecast, POLICY, [{**DEAL, "amount": np.float32(1.5)}], AS_OF)
    raises("invalid_decimal", "deals[0].amount", crmkit.forecast, POLICY, [{**DEAL, "amount": np.bool_(True)}], AS_OF)
    raises("invalid_type", "deals[0].amount", crmkit.forecast, POLICY, [{**DEAL, "amount": np.float64("nan")}], AS_OF)


def test_any_mapping_and_iterable():
    want = crmkit.forecast(POLICY, [DEAL], AS_OF)
    assert crmkit.forecast(types.MappingProxyType(POLICY), (d for d in [DEAL]), AS_OF) == want
    assert crmkit.forecast(POLICY, (types.MappingProxyType(DEAL),), AS_OF) == want
    raises("invalid_type", "deals[0].('a', 1)", crmkit.forecast, POLICY, [{**DEAL, ("a", 1): 1}], AS_OF)
    raises("invalid_type", "deals[0].amount", crmkit.forecast, POLICY, [{**DEAL, "amount": b"1"}], AS_OF)


def test_huge_decimals_are_refused_not_expanded():
    for huge in ["1E+999999999999999999", "1E-999999999999999999", "NaN", "Infinity"]:
        raises("invalid_decimal", "deals[0].amount", crmkit.forecast, POLICY, [{**DEAL, "amount": Decimal(huge)}], AS_OF)


def test_nan_is_invalid_type_as_in_js():
    for bad in [float("nan"), float("inf")]:
        raises("invalid_type", "deals[0].amount", crmkit.forecast, POLICY, [{**DEAL, "amount": bad}], AS_OF)
        raises("invalid_type", "deals[0].owner", crmkit.forecast, POLICY, [{**DEAL, "owner": bad}], AS_OF)


def test_none_arguments_name_the_argument():
    err = raises("invalid_type", "policy", crmkit.forecast, None, [DEAL], AS_OF)
    assert "policy" in str(err)
    raises("invalid_type", "deals", crmkit.forecast, POLICY, None, AS_OF)
    raises("invalid_type", "input", crmkit.allocate_target, {}, None, AS_OF)
    raises("invalid_type", "settings", crmkit.forecast_ranges, POLICY, None, [DEAL], AS_OF)


def test_messages_have_no_json_positions():
    err = raises("invalid_type", "deals[0].amount", crmkit.forecast, POLICY, [{**DEAL, "amount": [1]}], AS_OF)
    assert "line 1" not in str(err) and "column" not in str(err)


def test_records_from_a_data_frame():
    df = pd.DataFrame(
        {
            "id": ["a", "b"],
            "stage": ["open", "won"],
            "amount": np.array([500000, 20], dtype=np.int64),
            "owner": ["li", "wang"],
            "entered_stage_on": pd.to_datetime(["2025-12-01", "2025-12-20"]),
        }
    )
    report = crmkit.forecast(POLICY, df.to_dict("records"), AS_OF)
    assert report["totals"]["open"]["amount"] == Decimal("500000.00")
    with_time = df.assign(entered_stage_on=pd.to_datetime(["2025-12-01 10:00", "2025-12-20 00:00"]))
    raises("invalid_date", "deals[0].entered_stage_on", crmkit.forecast, POLICY, with_time.to_dict("records"), AS_OF)
    missing = df.assign(owner=[np.nan, "wang"])
    raises("invalid_type", "deals[0].owner", crmkit.forecast, POLICY, missing.to_dict("records"), AS_OF)


# ---- forecast_frame -----------------------------------------------------------------------


def frame(amount):
    return pd.DataFrame({"stage": ["open", "open"], "amount": amount, "owner": ["li", "wang"]})


@pytest.mark.parametrize(
    "amount",
    [
        np.array([500000, 0], dtype=np.int64),
        np.array([500000, 0], dtype=np.int32),
        np.array([500000, 0], dtype=np.uint64),
        pd.array([500000, 0], dtype="Int64"),
        np.array([500000.0, 0.0]),
        np.array([500000, 0], dtype=object),
        [Decimal(500000), Decimal(0)],
        ["500000", "0"],
    ],
    ids=["int64", "int32", "uint64", "Int64", "float64", "object-int", "Decimal", "str"],
)
def test_the_same_number_is_the_same_money_whatever_its_dtype(amount):
    out = crmkit.forecast_frame(frame(amount), {**POLICY, "placement": "half_elapsed"}, AS_OF)
    assert out.attrs["totals"]["open"]["amount"] == Decimal("500000.00")
    dicts = crmkit.forecast({**POLICY, "placement": "half_elapsed"}, [{**DEAL, "amount": 500000}], AS_OF)
    assert dicts["totals"]["open"]["amount"] == out.attrs["totals"]["open"]["amount"]


def test_minor_units_are_declared():
    out = crmkit.forecast_frame(frame(np.array([500000, 0])), {**POLICY, "placement": "half_elapsed"}, AS_OF, amount_scale=2)
    assert out.attrs["totals"]["open"]["amount"] == Decimal("5000.00")
    raises("invalid_value", "amount_scale", crmkit.forecast_frame, frame(["1", "2"]), POLICY, AS_OF, amount_scale=2)


@pytest.mark.parametrize(
    ("kwargs", "code", "path"),
    [
        ({"threads": 0}, "out_of_range", "threads"),
        ({"threads": -1}, "out_of_range", "threads"),
        ({"threads": 100000}, "out_of_range", "threads"),
        ({"threads": 2.0}, "invalid_type", "threads"),
        ({"amount_scale": -1}, "out_of_range", "amount_scale"),
        ({"amount_scale": 29}, "out_of_range", "amount_scale"),
        ({"amount_scale": "2"}, "invalid_type", "amount_scale"),
    ],
)
def test_frame_arguments(kwargs, code, path):
    raises(code, path, crmkit.forecast_frame, frame(np.array([1, 2])), POLICY, AS_OF, **kwargs)


def test_frame_threads_beyond_the_machine_are_clamped():
    df = frame(np.array([1, 2]))
    assert crmkit.forecast_frame(df, POLICY, AS_OF, threads=1024).equals(crmkit.forecast_frame(df, POLICY, AS_OF))


def test_frame_policy_of_the_wrong_type():
    raises("invalid_type", "policy", crmkit.forecast_frame, frame(np.array([1, 2])), [POLICY], AS_OF)
    raises("invalid_type", "policy", crmkit.forecast_frame, frame(np.array([1, 2])), None, AS_OF)


def test_frame_nan_stage_reads_as_missing():
    df = pd.DataFrame({"stage": pd.Categorical(["open", None]), "amount": [1, 2], "owner": ["li", "wang"]})
    err = raises("missing_value", "stage[1]", crmkit.forecast_frame, df, POLICY, AS_OF)
    assert "code -1" not in str(err) and "no stage" in str(err)


def test_frame_dates_follow_the_one_rule():
    pol = {**POLICY, "undated": "error"}
    base = frame(np.array([1, 2]))
    ok = crmkit.forecast_frame(base.assign(entered=pd.to_datetime(["2025-12-01", "2025-12-02"])), pol, AS_OF, entered_stage_on="entered")
    same = [
        [datetime.date(2025, 12, 1), datetime.date(2025, 12, 2)],
        ["2025-12-01", "2025-12-02"],
        [pd.Timestamp("2025-12-01"), datetime.datetime(2025, 12, 2)],
    ]
    for cells in same:
        got = crmkit.forecast_frame(base.assign(entered=pd.Series(cells, dtype=object)), pol, AS_OF, entered_stage_on="entered")
        assert got.equals(ok) and got.attrs == ok.attrs
    for cells, code in [
        (pd.to_datetime(["2025-12-01 00:00", "2025-12-02 10:00"]), "invalid_date"),
        (["2025-12-01", " 2025-12-02"], "invalid_date"),
        (["2025-12-01", "2025-12-2"], "invalid_date"),
        (["2025-12-01", "0000-12-02"], "invalid_date"),
        (["2025-12-01", 20251202], "invalid_type"),
    ]:
        df = base.assign(entered=pd.Series(cells, dtype=object) if isinstance(cells, list) else cells)
        raises(code, "entered_stage_on[1]", crmkit.forecast_frame, df, pol, AS_OF, entered_stage_on="entered")


def test_an_argument_of_the_wrong_type_is_named():
    # Never at an empty path: as the core names a policy that is an array or lacks a field.
    for bad in [object(), float("nan"), b"x", [POLICY], "x", 7, []]:
        raises("invalid_type", "policy", crmkit.forecast, bad, [DEAL], AS_OF)
    raises("invalid_type", "settings", crmkit.forecast_ranges, POLICY, float("inf"), [DEAL], AS_OF)
    raises("invalid_type", "input", crmkit.allocate_target, {}, ["10"], AS_OF)
    raises("missing_field", "policy", crmkit.forecast, {"stages": POLICY["stages"]}, [DEAL], AS_OF)


def touches(revenue):
    return pd.DataFrame(
        {
            "journey": [1, 1],
            "channel": ["search", "email"],
            "on": ["2026-04-01", "2026-04-02"],
            "revenue": revenue,
            "converted_on": ["2026-04-10", "2026-04-10"],
        }
    )


@pytest.mark.parametrize(
    "revenue",
    [
        np.array([500000, 500000], dtype=np.int64),
        np.array([500000, 500000], dtype=np.int32),
        pd.array([500000, 500000], dtype="Int64"),
        np.array([500000.0, 500000.0]),
        np.array([500000, 500000], dtype=object),
        [Decimal(500000), Decimal(500000)],
        ["500000", "500000"],
    ],
    ids=["int64", "int32", "Int64", "float64", "object-int", "Decimal", "str"],
)
def test_attribution_frame_reads_the_same_number_as_the_same_money(revenue):
    # Issue 6.10 in attribution: revenue_scale used to default to 2, reading int64 as cents.
    out = crmkit.attribution_frame(touches(revenue), {"model": {"kind": "linear"}})
    assert out.attrs["total"] == Decimal("500000.00")
    record = crmkit.attribute({"model": {"kind": "linear"}}, [{"id": "1", "revenue": 500000, "converted_on": "2026-04-10", "touches": [{"channel": "search", "on": "2026-04-01"}, {"channel": "email", "on": "2026-04-02"}]}])
    assert record["total"] == out.attrs["total"]


def test_attribution_frame_minor_units_are_declared():
    out = crmkit.attribution_frame(touches(np.array([500000, 500000])), {"model": {"kind": "linear"}}, revenue_scale=2)
    assert out.attrs["total"] == Decimal("5000.00")
    raises("invalid_value", "revenue_scale", crmkit.attribution_frame, touches(["1", "1"]), {"model": {"kind": "linear"}}, revenue_scale=2)
    raises("out_of_range", "revenue_scale", crmkit.attribution_frame, touches(np.array([1, 1])), {"model": {"kind": "linear"}}, revenue_scale=29)
    # The journey's revenue is read on its first row: missing there is an error, after it none.
    raises("invalid_type", "revenue[0]", crmkit.attribution_frame, touches(pd.array([None, 1], dtype="Int64")), {"model": {"kind": "linear"}})
    assert crmkit.attribution_frame(touches(pd.array([1, None], dtype="Int64")), {"model": {"kind": "linear"}}).attrs["total"] == Decimal("1.00")


def test_calibration_arguments_of_the_wrong_kind():
    # Found by the hypothesis property (None drawn for a list or for bins): CrmkitError, never TypeError.
    raises("invalid_type", "probabilities", crmkit.calibration, None, [True])
    raises("invalid_type", "outcomes", crmkit.calibration, [0.5], None)
    raises("invalid_type", "bins", crmkit.calibration, [0.5], [True], None)
    raises("invalid_type", "bins", crmkit.calibration, [0.5], [True], 2.5)
    raises("out_of_range", "bins", crmkit.calibration, [0.5], [True], -1)
    raises("out_of_range", "bins", crmkit.calibration, [0.5], [True], 0)
    raises("limit_exceeded", "bins", crmkit.calibration, [0.5], [True], 1001)
    raises("invalid_type", "probabilities[0]", crmkit.calibration, [[0.5], [0.1, 0.2]], [True, False])
