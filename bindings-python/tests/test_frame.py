"""`forecast_frame` over DataFrame columns gives what `forecast` gives over dicts."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

import pytest

import crmkit
from crmkit import _native

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")

AS_OF = datetime.date(2026, 11, 23)
STAGES = ["lead", "qualified", "proposal", "won", "lost"]
OWNERS = ["rep01", "rep02", "rep03", None]
TEAMS = ["east", "west"]


def policy(placement="half_elapsed", group_by=("owner",), **extra):
    return {
        "stages": [
            {"name": "lead", "conversion": "0.3", "duration": "30"},
            {"name": "qualified", "conversion": "0.5", "duration": "20"},
            {"name": "proposal", "conversion": "0.85", "duration": "45"},
            {"name": "won", "kind": "won"},
            {"name": "lost", "kind": "lost"},
        ],
        "duration_unit": "days",
        "placement": placement,
        "group_by": list(group_by),
        **extra,
    }


def make_deals(n=400, seed=7):
    rng = random.Random(seed)
    deals = []
    for i in range(n):
        deal = {
            "id": f"d{i}",
            "stage": rng.choice(STAGES),
            "cents": rng.randrange(0, 50_000_000),
            "owner": rng.choice(OWNERS),
            "team": rng.choice(TEAMS),
            "entered": AS_OF - datetime.timedelta(days=rng.randrange(0, 200)) if rng.random() < 0.9 else None,
        }
        deals.append(deal)
    return deals


DEALS = make_deals()


def as_dicts(deals):
    out = []
    for d in deals:
        deal = {"id": d["id"], "stage": d["stage"], "amount": Decimal(d["cents"]).scaleb(-2), "team": d["team"]}
        if d["owner"] is not None:
            deal["owner"] = d["owner"]
        if d["entered"] is not None:
            deal["entered_stage_on"] = d["entered"]
        out.append(deal)
    return out


def as_frame(deals, amount="int", stage="category"):
    cents = np.array([d["cents"] for d in deals], dtype=np.int64)
    amounts = {
        "int": cents,
        "float": cents / 100.0,
        "decimal": [Decimal(c).scaleb(-2) for c in cents.tolist()],
        "str": [str(Decimal(c).scaleb(-2)) for c in cents.tolist()],
    }[amount]
    stages = [d["stage"] for d in deals]
    stage_column = {
        "category": pd.Categorical(stages, categories=list(reversed(STAGES))),
        "str": pd.Series(stages, dtype="str"),
        "object": pd.Series(stages, dtype=object),
    }[stage]
    return pd.DataFrame(
        {
            "stage": stage_column,
            "amount": amounts,
            "owner": pd.Categorical([d["owner"] for d in deals], categories=["rep03", "rep01", "rep02"]),
            "team": [d["team"] for d in deals],
            "entered": pd.to_datetime([d["entered"] for d in deals]),
        }
    )


def expected_rows(report, group_by):
    if not group_by:
        return [[m["month"], m["offset"], m["deals"], m["amount"], m["weighted"]] for m in report["months"]]
    return [
        [*(g["key"][k] for k in group_by), m["month"], m["offset"], m["deals"], m["amount"], m["weighted"]]
        for g in report["groups"]
        for m in g["months"]
    ]


def frame_rows(df):
    return [[None if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in row] for row in df.itertuples(index=False)]


CASES = [
    # (amount dtype, stage column, placement, group_by, entered column)
    ("int", "category", "half_elapsed", ("owner",), None),
    ("float", "category", "half_elapsed", ("owner",), None),
    ("decimal", "category", "half_elapsed", ("owner",), None),
    ("str", "str", "remaining_full", (), None),
    ("int", "str", "actual", ("owner",), "entered"),
    ("int", "object", "actual", ("owner", "team"), "entered"),
    ("float", "category", "actual", (), "entered"),
    ("decimal", "str", "actual", ("team",), "entered"),
]


@pytest.mark.parametrize(("amount", "stage", "placement", "group_by", "entered"), CASES)
def test_frame_matches_forecast(amount, stage, placement, group_by, entered):
    extra = {"undated": "half_elapsed"} if placement == "actual" else {}
    pol = policy(placement, group_by, **extra)
    dicts = as_dicts(DEALS)
    if entered is None:
        for d in dicts:
            d.pop("entered_stage_on", None)
    report = crmkit.forecast(pol, dicts, AS_OF)
    df = as_frame(DEALS, amount, stage)
    before = df.copy(deep=True)
    scale = 2 if amount == "int" else None  # the int column holds cents
    out = crmkit.forecast_frame(df, pol, AS_OF, entered_stage_on=entered, amount_scale=scale)
    pd.testing.assert_frame_equal(df, before)
    assert list(out.columns) == [*group_by, "month", "offset", "deals", "amount", "weighted"]
    assert frame_rows(out) == expected_rows(report, group_by)
    assert len(out) >= 2
    assert out.attrs["totals"] == report["totals"]
    assert out.attrs["stages"] == report["stages"]
    assert out.attrs["months"] == report["months"]
    threaded = crmkit.forecast_frame(df, pol, AS_OF, entered_stage_on=entered, threads=3, amount_scale=scale)
    pd.testing.assert_frame_equal(threaded, out)
    assert threaded.attrs == out.attrs
    assert all(isinstance(v, Decimal) for v in out["weighted"])
    assert out["offset"].dtype == np.int64 and out["deals"].dtype == np.int64


def test_float_amounts_are_rounded_once_to_the_scale():
    df = pd.DataFrame({"stage": ["lead", "lead"], "amount": [0.1 + 0.2, 1234.565]})
    out = crmkit.forecast_frame(df, policy(group_by=()), AS_OF)
    # 1234.565 is 1234.564999... in binary: 0.30 + 1234.56
    assert out.attrs["totals"]["open"]["amount"] == Decimal("1234.86")
    out = crmkit.forecast_frame(df, policy(group_by=()), AS_OF, amount_scale=0)
    assert out.attrs["totals"]["open"]["amount"] == Decimal("1235.00")


def test_integer_units_with_another_scale():
    df = pd.DataFrame({"stage": ["lead"], "amount": np.array([123456], dtype=np.int32)})
    out = crmkit.forecast_frame(df, policy(group_by=()), AS_OF, amount_scale=3)
    assert out.attrs["totals"]["open"]["amount"] == Decimal("123.46")


def test_empty_frame():
    df = pd.DataFrame({"stage": pd.Series([], dtype="str"), "amount": pd.Series([], dtype="int64"), "owner": pd.Series([], dtype="str")})
    out = crmkit.forecast_frame(df, policy(), AS_OF)
    assert list(out.columns) == ["owner", "month", "offset", "deals", "amount", "weighted"] and len(out) == 0
    assert out.attrs["totals"]["open"]["deals"] == 0


def _raises(code, path, df, pol=None, **kwargs):
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.forecast_frame(df, pol or policy(), AS_OF, **kwargs)
    assert (caught.value.code, caught.value.path) == (code, path), str(caught.value)
    assert str(caught.value).startswith(f"{path}: ")


def _df(**columns):
    base = {"stage": ["lead", "won", "proposal"], "amount": [100, 200, 300], "owner": ["a", "b", None]}
    base.update(columns)
    return pd.DataFrame({k: v for k, v in base.items() if v is not None})


@pytest.mark.parametrize(
    ("columns", "kwargs", "code", "path"),
    [
        ({"stage": None}, {}, "missing_field", "stage"),
        ({"amount": None}, {}, "missing_field", "amount"),
        ({"owner": None}, {}, "missing_field", "owner"),
        ({}, {"entered_stage_on": "entered"}, "missing_field", "entered"),
        ({}, {"amount": "value"}, "missing_field", "value"),
        ({"stage": ["lead", "nowhere", "won"]}, {}, "unknown_stage", "stage[1]"),
        ({"stage": ["lead", "won", None]}, {}, "missing_value", "stage[2]"),
        ({"amount": [100, -5, 300]}, {}, "negative_amount", "amount[1]"),
        ({"amount": [1.0, 2.0, float("nan")]}, {}, "invalid_type", "amount[2]"),
        ({"amount": [1.0, float("inf"), 3.0]}, {}, "invalid_type", "amount[1]"),
        ({"amount": [1e300, 2.0, 3.0]}, {}, "overflow", "amount[0]"),
        ({"amount": pd.array([1, None, 3], dtype="Int64")}, {}, "invalid_type", "amount[1]"),
        ({"amount": ["1.00", "12,5", "3"]}, {}, "invalid_decimal", "amount[1]"),
        ({"amount": ["1.00", "1e5", "3"]}, {}, "invalid_decimal", "amount[1]"),
        ({"amount": [Decimal("1"), Decimal("2"), 3.5]}, {}, "invalid_decimal", "amount[2]"),
        ({"amount": [Decimal("1"), None, Decimal("3")]}, {}, "invalid_type", "amount[1]"),
        ({"amount": ["1", "-2.50", "3"]}, {}, "negative_amount", "amount[1]"),
        ({"amount": [True, False, True]}, {}, "invalid_decimal", "amount[0]"),
    ],
)
def test_bad_frames(columns, kwargs, code, path):
    _raises(code, path, _df(**columns), **kwargs)


def test_bad_dates():
    pol = policy("actual")
    dates = pd.to_datetime(["2026-11-01", "2026-12-01", None])
    _raises("date_after_as_of", "entered_stage_on[1]", _df(entered=dates), pol, entered_stage_on="entered")
    dates = pd.to_datetime(["2026-11-01", "2026-11-02", None])
    _raises("missing_value", "entered_stage_on[2]", _df(entered=dates), pol, entered_stage_on="entered")
    _raises("missing_value", "entered_stage_on[0]", _df(), pol)
    texts = pd.Series(["2026-11-01", "2026-11-31", "2026-11-02"], dtype=object)
    _raises("invalid_date", "entered_stage_on[1]", _df(entered=texts), pol, entered_stage_on="entered")


def test_dates_as_objects_and_strings():
    pol = policy("actual")
    dates = [datetime.date(2026, 11, 1), datetime.date(2026, 10, 2), datetime.date(2026, 9, 3)]
    want = crmkit.forecast_frame(_df(entered=pd.to_datetime(dates)), pol, AS_OF, entered_stage_on="entered")
    for column in (pd.Series(dates, dtype=object), pd.Series([d.isoformat() for d in dates], dtype="str")):
        got = crmkit.forecast_frame(_df(entered=column), pol, AS_OF, entered_stage_on="entered")
        assert frame_rows(got) == frame_rows(want)
    aware = pd.to_datetime(dates).tz_localize("Asia/Shanghai")
    got = crmkit.forecast_frame(_df(entered=aware), pol, AS_OF, entered_stage_on="entered")
    assert frame_rows(got) == frame_rows(want)


def test_policy_errors_come_from_the_core():
    _raises("out_of_range", "stages[0].conversion", _df(), {**policy(), "stages": [{"name": "lead", "conversion": "2", "duration": "1"}]})
    _raises("invalid_decimal", "stages[0].conversion", _df(), {**policy(), "stages": [{"name": "lead", "conversion": 0.5, "duration": "1"}]})


def test_frame_errors_carry_the_codes_of_the_dict_path():
    """The same bad cell gives the same code through forecast and forecast_frame."""
    bad_cells = [("stage", "nowhere", "stage"), ("amount", "-3", "amount"), ("amount", "abc", "amount")]
    for field, value, column in bad_cells:
        dicts = [{"id": "x", "stage": "lead", "amount": "1"}, {"id": "y", "stage": "lead", "amount": "1", field: value}]
        with pytest.raises(crmkit.CrmkitError) as by_dict:
            crmkit.forecast(policy(group_by=()), dicts, AS_OF)
        df = pd.DataFrame({"stage": [d["stage"] for d in dicts], "amount": [d["amount"] for d in dicts]})
        with pytest.raises(crmkit.CrmkitError) as by_frame:
            crmkit.forecast_frame(df, policy(group_by=()), AS_OF)
        assert by_dict.value.code == by_frame.value.code
        assert (by_dict.value.path, by_frame.value.path) == (f"deals[1].{field}", f"{column}[1]")


def test_native_copies_strided_arrays_once():
    codes = np.array([0, 9, 0, 9, 1, 9], dtype=np.int32)[::2]  # a view with stride 2
    units = np.array([100, -1, 250, -1, 75, -1], dtype=np.int64)[::2]
    assert not codes.flags.c_contiguous
    pol = crmkit._wire.to_json(policy(group_by=()))
    report = _native.forecast_columns(pol, codes, ["lead", "won"], units, 2, None, [], "2026-11-23")
    assert report["totals"]["open"]["amount"] == Decimal("3.50") and report["totals"]["won"]["amount"] == Decimal("0.75")


def test_native_amount_is_an_int_or_float_array_or_decimal_strings():
    pol = crmkit._wire.to_json(policy(group_by=()))
    codes = np.zeros(2, dtype=np.int32)
    for amount in (np.array([125, 100], dtype=np.int64), np.array([1.245, 1.0]), ["1.25", "1"]):
        report = _native.forecast_columns(pol, codes, ["lead"], amount, 2, None, [], "2026-11-23")
        assert report["totals"]["open"]["amount"] == Decimal("2.25"), amount  # 124.5 cents: half to even
    for amount in (None, np.ones(2, dtype=np.int8), [1.5, 2.0]):
        with pytest.raises(TypeError):
            _native.forecast_columns(pol, codes, ["lead"], amount, 2, None, [], "2026-11-23")


def test_key_column_count_must_match_group_by():
    pol = crmkit._wire.to_json(policy(group_by=("owner",)))
    codes, units = np.zeros(1, dtype=np.int32), np.ones(1, dtype=np.int64)
    with pytest.raises(crmkit.CrmkitError) as caught:
        _native.forecast_columns(pol, codes, ["lead"], units, 2, None, [], "2026-11-23")
    assert (caught.value.code, caught.value.path) == ("invalid_value", "keys")


@pytest.mark.parametrize("overdue", ["move_on", "exclude"])
def test_expected_close_column_places_like_the_dict_api(overdue):
    rng = random.Random(11)
    closes = [AS_OF + datetime.timedelta(days=rng.randrange(-40, 300)) if rng.random() < 0.9 else None for _ in DEALS]
    pol = policy("expected_close", undated="half_elapsed", overdue=overdue)
    dicts = as_dicts(DEALS)
    for deal, close in zip(dicts, closes):
        if close is not None:
            deal["expected_close_on"] = close
    report = crmkit.forecast(pol, dicts, AS_OF)
    df = as_frame(DEALS)
    df["close"] = pd.to_datetime(closes)
    out = crmkit.forecast_frame(df, pol, AS_OF, entered_stage_on="entered", expected_close_on="close", amount_scale=2)
    assert frame_rows(out) == expected_rows(report, ["owner"])
    assert out.attrs["totals"] == report["totals"]
    assert out.attrs["months"] == report["months"]


def test_expected_close_needs_the_column_or_a_fallback():
    df = as_frame(DEALS)
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.forecast_frame(df, policy("expected_close"), AS_OF)
    first_open = next(i for i, d in enumerate(DEALS) if d["stage"] not in ("won", "lost"))
    assert (caught.value.code, caught.value.path) == ("missing_value", f"expected_close_on[{first_open}]")
    df["close"] = ["31/12/2026"] * len(df)
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.forecast_frame(df, policy("expected_close"), AS_OF, expected_close_on="close")
    assert (caught.value.code, caught.value.path) == ("invalid_date", "expected_close_on[0]")


def _dates_match_the_dict_api(pol: dict, field: str, column: str, dates: list) -> tuple:
    """`forecast_frame` with the date column `column` (None: no date) gives the totals and
    stage lines of `forecast` with each deal's `field`; returns the frame and that report."""
    dicts = as_dicts(DEALS)
    for deal, on in zip(dicts, dates):
        if on is not None:
            deal[field] = on
    report = crmkit.forecast(pol, dicts, AS_OF)
    df = as_frame(DEALS)
    df[column] = pd.to_datetime(dates)
    out = crmkit.forecast_frame(df, pol, AS_OF, entered_stage_on="entered", amount_scale=2, **{field: column})
    assert out.attrs["totals"] == report["totals"]
    assert out.attrs["stages"] == report["stages"]
    return df, report


def test_stalls_and_snoozes_from_columns_match_the_dict_api():
    rng = random.Random(5)
    pol = policy("half_elapsed")
    pol["stages"] = [dict(s, stall_after="25") if s.get("conversion") else s for s in pol["stages"]]
    snoozes = [AS_OF + datetime.timedelta(days=rng.randrange(-20, 20)) if rng.random() < 0.3 else None for _ in DEALS]
    _, report = _dates_match_the_dict_api(pol, "snoozed_until", "snooze", snoozes)
    assert report["totals"]["stalled"]["deals"] > 0


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "uint16", "uint32"])
def test_integer_keys_are_used_as_they_are_and_come_back_in_their_dtype(dtype):
    ids = pd.Series([7, 3, 7, 120, 3, 9], dtype=dtype)
    stages = ["lead", "qualified", "proposal", "lead", "won", "lead"]
    df = pd.DataFrame({"stage": stages, "amount": [100, 200, 300, 400, 500, 600], "owner": ids})
    got = crmkit.forecast_frame(df, policy(), AS_OF)
    assert got["owner"].dtype == np.dtype(dtype)
    as_text = crmkit.forecast_frame(df.assign(owner=ids.astype(str)), policy(), AS_OF)
    pairs = sorted(zip(got["owner"].astype(str), got["month"], got["weighted"]))
    assert pairs == sorted(zip(as_text["owner"], as_text["month"], as_text["weighted"]))
    # Ids far apart (a hash, not a table over their range) give the same lines.
    far = df.assign(owner=ids.astype("int64") * 10**15)
    wide = crmkit.forecast_frame(far, policy(), AS_OF)
    assert sorted(wide["owner"] // 10**15) == sorted(got["owner"].astype("int64"))


def test_money_as_units_is_the_decimal_money_in_cents():
    df = _df(amount=[100.005, 200.125, 300.0])
    decimal = crmkit.forecast_frame(df, policy(), AS_OF)
    units = crmkit.forecast_frame(df, policy(), AS_OF, money="units")
    assert units["amount"].dtype == np.int64 and units["weighted"].dtype == np.int64
    assert units.attrs["money_scale"] == 2
    assert [Decimal(int(u)) / 100 for u in units["weighted"]] == list(decimal["weighted"])
    assert [Decimal(int(u)) / 100 for u in units["amount"]] == list(decimal["amount"])
    yuan = crmkit.forecast_frame(df, {**policy(), "rounding": {"dp": 0, "strategy": "half_up"}}, AS_OF, money="units")
    assert yuan.attrs["money_scale"] == 0
    _raises("invalid_value", "money", df, money="cents")


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_datetime64_columns_of_any_unit_are_read_natively(unit):
    pol = policy("actual", undated="half_elapsed")
    dates = pd.Series(pd.to_datetime(["2026-11-01", "2026-10-02", None])).astype(f"datetime64[{unit}]")
    want = crmkit.forecast_frame(_df(entered=[datetime.date(2026, 11, 1), datetime.date(2026, 10, 2), None]), pol, AS_OF, entered_stage_on="entered")
    got = crmkit.forecast_frame(_df(entered=dates), pol, AS_OF, entered_stage_on="entered")
    assert frame_rows(got) == frame_rows(want)
    noon = pd.Series(pd.to_datetime(["2026-11-01 00:00", "2026-10-02 12:00", None])).astype(f"datetime64[{unit}]")
    _raises("invalid_date", "entered_stage_on[1]", _df(entered=noon), pol, entered_stage_on="entered")


def test_group_totals_are_rounded_once_from_exact_sums():
    # 0.125 + 0.125 + 0.125 weighted by 1: each month line rounds to 0.12, the group to 0.38.
    pol = {
        "stages": [{"name": "a", "conversion": "1", "duration": "1"}, {"name": "won", "kind": "won"}],
        "duration_unit": "months",
        "placement": "expected_close",
        "group_by": ["owner"],
        "rounding": {"dp": 2, "strategy": "half_even"},
    }
    close = pd.to_datetime(["2026-12-01", "2027-01-05", "2027-02-07"])
    df = pd.DataFrame({"stage": ["a"] * 3, "amount": ["0.125"] * 3, "owner": pd.Series([5, 5, 5], dtype="int32"), "close": close})
    got = crmkit.forecast_frame(df, pol, AS_OF, expected_close_on="close")
    assert list(got["weighted"]) == [Decimal("0.12")] * 3
    assert got.attrs["groups"] == [{"owner": 5, "deals": 3, "amount": Decimal("0.38"), "weighted": Decimal("0.38")}]
    units = crmkit.forecast_frame(df.assign(amount=[0.125] * 3), pol, AS_OF, expected_close_on="close", amount_scale=3, money="units")
    assert units.attrs["groups"] == [{"owner": 5, "deals": 3, "amount": 38, "weighted": 38}]


@pytest.mark.parametrize("placement", ["half_elapsed", "actual"])
@pytest.mark.parametrize("kind", ["float64", "object", "Float64"])
def test_per_deal_probability_and_category_columns_match_the_dict_api(placement, kind):
    rng = random.Random(13)
    open_stages = {"lead", "qualified", "proposal"}
    probs = [rng.choice([None, "0.35", "0.9", "0.125", "1", "0"]) if d["stage"] in open_stages else None for d in DEALS]
    cats = [rng.choice([None, "commit", "best_case", "omitted"]) if d["stage"] in open_stages else None for d in DEALS]
    dicts = as_dicts(DEALS)
    for deal, p, c in zip(dicts, probs, cats):
        if p is not None:
            deal["probability"] = p
        if c is not None:
            deal["category"] = c
    pol = policy(placement, undated="half_elapsed")
    report = crmkit.forecast(pol, dicts, AS_OF)
    df = as_frame(DEALS)
    df["p"] = {
        "float64": np.array([np.nan if p is None else float(p) for p in probs]),
        "object": pd.Series([None if p is None else Decimal(p) for p in probs], dtype=object),
        "Float64": pd.array([None if p is None else float(p) for p in probs], dtype="Float64"),
    }[kind]
    df["cat"] = pd.Categorical(cats, categories=["omitted", "best_case", "commit"])
    out = crmkit.forecast_frame(df, pol, AS_OF, entered_stage_on="entered", probability="p", category="cat", amount_scale=2)
    assert out.attrs["totals"] == report["totals"]
    assert out.attrs["stages"] == report["stages"]
    assert out.attrs["months"] == report["months"]
    assert frame_rows(out) == expected_rows(report, ["owner"])
    labels = ["commit", "best_case", "omitted"]
    native = _native.forecast_columns(
        crmkit._wire.to_json(pol, "policy"),
        np.array([STAGES.index(d["stage"]) for d in DEALS], dtype=np.int32),
        STAGES,
        np.array([d["cents"] for d in DEALS], dtype=np.int64),
        2,
        np.array([(d["entered"] - datetime.date(1970, 1, 1)).days if d["entered"] else -(2**63) for d in DEALS], dtype=np.int64),
        [(np.array([-1 if d["owner"] is None else OWNERS.index(d["owner"]) for d in DEALS], dtype=np.int32), OWNERS[:3])],
        AS_OF.isoformat(),
        probability=np.array([np.nan if p is None else float(p) for p in probs]),
        category=(np.array([-1 if c is None else labels.index(c) for c in cats], dtype=np.int32), labels),
    )
    assert native["categories"] == report["categories"]
    assert native["commit"] == report["commit"]


def test_per_deal_column_errors():
    df = as_frame(DEALS[:3]).assign(stage="lead")
    df["p"] = [0.5, 1.5, np.nan]
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.forecast_frame(df, policy(), AS_OF, probability="p")
    assert (caught.value.code, caught.value.path) == ("out_of_range", "probability[1]")
    df["p"] = ["x", "0.5", None]
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.forecast_frame(df, policy(), AS_OF, probability="p")
    assert (caught.value.code, caught.value.path) == ("invalid_type", "probability")
    df["c"] = ["commit", "someday", None]
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.forecast_frame(df, policy(), AS_OF, category="c")
    assert (caught.value.code, caught.value.path) == ("invalid_value", "category[1]")
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.forecast_frame(df, policy(), AS_OF, category="nope")
    assert (caught.value.code, caught.value.path) == ("missing_field", "nope")


@pytest.mark.parametrize("dense", [False, True])
@pytest.mark.parametrize("horizon", [None, 1, 2, 40])
def test_horizon_and_dense_months_match_the_dict_api(horizon, dense):
    extra = {"dense": dense} | ({} if horizon is None else {"horizon_months": horizon})
    pol = policy("actual", ("owner",), undated="half_elapsed", **extra)
    report = crmkit.forecast(pol, as_dicts(DEALS), AS_OF)
    out = crmkit.forecast_frame(as_frame(DEALS), pol, AS_OF, entered_stage_on="entered", amount_scale=2)
    assert frame_rows(out) == expected_rows(report, ["owner"])
    assert out.attrs["totals"] == report["totals"] and out.attrs["months"] == report["months"]
    beyond = report["totals"]["beyond_horizon"]
    if horizon is None:
        assert beyond["deals"] == 0 and "beyond_horizon" not in out.attrs["groups"][0]
    else:
        assert max(out["offset"]) < horizon
        assert sum(g["beyond_horizon"]["deals"] for g in out.attrs["groups"]) == beyond["deals"]
    if dense:
        owners = out["owner"].nunique(dropna=False)
        assert len(out) == owners * len(report["months"])
        assert list(out["offset"][: len(report["months"])]) == list(range(len(report["months"])))
    total = sum(m["weighted"] for m in report["months"]) + report["totals"]["unscheduled"]["weighted"] + beyond["weighted"]
    assert abs(total - report["totals"]["open"]["weighted"]) <= Decimal("0.01") * (len(report["months"]) + 2)


def test_last_activity_column_gives_the_dict_apis_idle_totals():
    rng = random.Random(21)
    pol = policy("half_elapsed")
    pol["stages"] = [dict(s, idle_after=20) if s.get("conversion") else s for s in pol["stages"]]
    activity = [AS_OF - datetime.timedelta(days=rng.randrange(0, 60)) if rng.random() < 0.6 else None for _ in DEALS]
    df, report = _dates_match_the_dict_api(pol, "last_activity_on", "active", activity)
    assert report["totals"]["idle"]["deals"] > 0
    df["active"] = [AS_OF + datetime.timedelta(days=1)] + activity[1:]
    _raises("date_after_as_of", "last_activity_on[0]", df, pol, last_activity_on="active")


@pytest.mark.parametrize("lines", [0, 5, 2047, 2048, 9000])
@pytest.mark.parametrize("missing", [False, True])
def test_text_columns_are_what_pandas_makes_of_the_list(lines, missing):
    """Month and text key columns come from codes into labels; the column is the one pandas
    makes of the list of values itself (dtype, storage, values), on either side of the line
    count where Arrow takes the labels, with and without a missing key."""
    from crmkit._frame import _text_column

    rng = random.Random(lines * 2 + missing)
    labels = [f"2026-{m:02}" for m in range(1, 13)] + ["rep-01", "代表"] + ([None] if missing else [])
    # The last label unused (left out of the inference as it is of the list).
    codes = np.array([rng.randrange(len(labels) - 1) for _ in range(lines)], dtype=np.int32)
    if missing and lines:
        codes[rng.randrange(lines)] = len(labels) - 1
    expected = pd.DataFrame({"c": [labels[c] for c in codes]})
    got = pd.DataFrame({"c": _text_column(labels, codes, np, pd)})
    assert got["c"].dtype == expected["c"].dtype
    assert type(got["c"].array) is type(expected["c"].array)
    pd.testing.assert_frame_equal(got, expected)


def test_long_frames_keep_their_month_and_key_columns():
    """Past the Arrow line count: every line's month and text key as the dict API gives."""
    rng = random.Random(3)
    n = 6000
    owners = [f"rep{rng.randrange(400):03}" for _ in range(n)]
    close = [AS_OF + datetime.timedelta(days=rng.randrange(-30, 500)) for _ in range(n)]
    df = pd.DataFrame(
        {
            "stage": [rng.choice(STAGES[:3]) for _ in range(n)],
            "amount": [rng.randrange(1, 10**6) for _ in range(n)],
            "owner": owners,
            "close": pd.to_datetime(close),
        }
    )
    got = crmkit.forecast_frame(df, policy("expected_close"), AS_OF, expected_close_on="close")
    assert len(got) >= 2048
    # Its text columns of the dtype pandas gives a list of str (the month's Arrow buffers come
    # from the native call itself when that dtype is a pyarrow-backed string).
    assert got["month"].dtype == pd.Series(["x"]).dtype == got["owner"].dtype
    deals = [
        {"id": str(i), "stage": s, "amount": Decimal(a), "owner": o, "expected_close_on": c}
        for i, (s, a, o, c) in enumerate(zip(df["stage"], df["amount"], owners, close))
    ]
    want = crmkit.forecast(policy("expected_close"), deals, AS_OF)
    lines = [(g["key"]["owner"], m["month"], m["weighted"]) for g in want["groups"] for m in g["months"]]
    assert list(zip(got["owner"], got["month"], got["weighted"])) == lines


def test_a_key_named_like_a_result_column_keeps_both_columns():
    """The frame is built from the columns in order; a key sharing a name with a result
    column still gives both, the key first, as pandas gives a frame named column by column."""
    pol = {
        "stages": [{"name": "a", "conversion": "0.5", "duration": "10"}, {"name": "won", "kind": "won"}],
        "duration_unit": "days",
        "placement": "half_elapsed",
    }
    df = pd.DataFrame({"stage": ["a", "a", "won"], "amount": [1, 2, 3], "deals": ["x", "y", "x"]})
    plain = crmkit.forecast_frame(df, dict(pol, group_by=[]), "2026-01-05")
    assert list(plain.columns) == ["month", "offset", "deals", "amount", "weighted"]
    out = crmkit.forecast_frame(df, dict(pol, group_by=["deals"]), "2026-01-05")
    assert list(out.columns) == ["deals", "month", "offset", "deals", "amount", "weighted"]
    assert out.iloc[:, 0].tolist() == ["x", "y"] and out.iloc[:, 3].tolist() == [1, 1]
