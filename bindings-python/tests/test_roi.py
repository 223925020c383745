"""Marketing ROI and attribution from Python: stubs match real outputs, docstring examples
run, inputs are not mutated, errors are typed."""

from __future__ import annotations

import copy
import doctest
import json
from decimal import Decimal

import pytest

import crmkit
import crmkit._roi
from test_stubs import stub

CAMPAIGN = {"id": "c1", "name": "展会", "channel": "events", "owner": "刘洋", "budget": "12000", "cost": "11400",
            "expected_revenue": "30000", "won_revenue": "20000", "start_on": "2026-07-21", "end_on": "2026-08-24",
            "leads": 3000, "customers": 1200, "opportunities": 800, "won": 260, "new_customers": 250}
JOURNEYS = [
    {"id": "j1", "revenue": Decimal("100.00"), "converted_on": "2026-03-15", "touches": [
        {"channel": "search", "on": "2026-03-01", "milestone": "lead_created"},
        {"channel": "email", "on": "2026-03-08"},
        {"channel": "events", "on": "2026-03-14", "milestone": "deal_created"},
        {"channel": "web_ads", "on": "2026-03-15"}]},
    {"id": "j2", "touches": [{"channel": "email", "on": "2026-03-02"}]},
]


def test_docstring_examples_run():
    assert doctest.testmod(crmkit._roi).failed == 0


def test_roi_report_keys_match_the_stub():
    dicts, literals = stub()
    policy = {"channels": [{"name": "events", "group": "offline"}], "period": "month", "cost_allocation": "pro_rata",
              "funnel": ["leads", "customers", "opportunities", "won"], "rounding": {"dp": 2}, "percent_rounding": {"dp": 1}}
    assert set(policy) == dicts["RoiPolicy"] and set(CAMPAIGN) == dicts["Campaign"]
    report = crmkit.campaign_roi(policy, [CAMPAIGN, {"id": "free", "channel": "events", "cost": "0"}])
    assert set(report) == dicts["RoiReport"]
    for line in [*report["campaigns"], *report["channels"], *report["groups"], *report["periods"], report["total"]]:
        # cost_periods: only on a pro-rated campaign's line (NotRequired in the stub).
        assert set(line) | {"cost_periods"} == dicts["RoiLine"]
        assert set(line["reasons"]) <= literals["RoiReason"]
        assert all(set(s) == dicts["FunnelStep"] for s in line["funnel"])
    pieces = report["campaigns"][0]["cost_periods"]  # July 21 to August 24: 11 + 24 days
    assert [p["days"] for p in pieces] == [11, 24] and all(set(p) == dicts["PeriodCost"] for p in pieces)
    assert sum(p["cost"] for p in pieces) == Decimal("11400") and "pro_rated" in report["campaigns"][0]["reasons"]
    assert report["campaigns"][1]["roi_pct"] is None and "zero_cost" in report["campaigns"][1]["reasons"]
    assert report["total"]["roi_pct"] == Decimal("75.4")


@pytest.mark.parametrize("kind", ["first_touch", "last_touch", "linear", "u_shaped", "w_shaped", "time_decay", "markov", "shapley"])
def test_attribution_report_keys_match_the_stub(kind):
    dicts, literals = stub()
    journeys = copy.deepcopy(JOURNEYS)
    report = crmkit.attribute({"model": {"kind": kind}}, journeys)
    assert journeys == JOURNEYS, "crmkit changed the caller's objects"
    assert set(report) == dicts["AttributionReport"] and report["model"] in literals["ModelKind"]
    assert all(set(c) == dicts["ChannelCredit"] for c in report["channels"])
    for j in report["journeys"]:
        assert set(j) == dicts["JourneyLine"]
        assert sum(t["credit"] for t in j["touches"]) == j["revenue"]
        for t in j["touches"]:
            assert set(t) == dicts["TouchCredit"] and set(t["reasons"]) <= literals["AttributionReason"]
    assert sum(c["credit"] for c in report["channels"]) == report["total"] == Decimal("100.00")
    model_keys = {"kind", "first", "middle", "last", "lead_created", "deal_created", "direct", "half_life_days", "order", "value", "samples", "seed"}
    assert dicts["Model"] == model_keys and set(JOURNEYS[0]) == dicts["Journey"]
    assert set(JOURNEYS[0]["touches"][0]) == dicts["Touch"]


def test_errors_are_typed():
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.campaign_roi({}, [{**CAMPAIGN, "cost": 11400.0}])
    assert (caught.value.code, caught.value.path) == ("invalid_decimal", "campaigns[0].cost")
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.attribute({"model": {"kind": "time_decay", "half_life_days": "0"}}, JOURNEYS)
    assert (caught.value.code, caught.value.path) == ("out_of_range", "model.half_life_days")


def test_compare_attribution_columns_sum_to_the_total():
    df = crmkit.compare_attribution({}, JOURNEYS)
    assert list(df.columns) == ["group", "first_touch", "last_touch", "linear", "u_shaped", "w_shaped", "time_decay", "markov", "shapley"]
    for model in df.columns[1:]:
        assert df[model].sum() == df.attrs["total"] == Decimal("100.00")
    assert len(df.attrs["rows"]) == len(df) * 8
    dicts, _ = stub()
    assert set(df.attrs["report"]) == dicts["Comparison"] and set(df.attrs["rows"][0]) == dicts["ComparisonRow"]


def _frame(journeys):
    import pandas as pd

    rows = [
        {"journey": j["id"], "channel": t["channel"], "on": t["on"], "milestone": t.get("milestone"),
         "revenue": float(j["revenue"]) if "converted_on" in j else float("nan"), "converted_on": j.get("converted_on")}
        for j in journeys for t in j["touches"]
    ]
    return pd.DataFrame(rows)


BOOK = [
    {"id": f"b{i}", "revenue": f"{1000 + 37 * i}.{i:02d}", "converted_on": "2026-04-30", "touches": [
        {"channel": ch, "on": f"2026-04-{10 + k:02d}"} for k, ch in enumerate(chans)]}
    for i, chans in enumerate([["search", "email", "events"], ["events"], ["email", "email", "web_ads", "search"], ["tv", "print"]])
] + [{"id": "n1", "touches": [{"channel": "search", "on": "2026-04-02"}, {"channel": "email", "on": "2026-04-03"}]}]


@pytest.mark.parametrize("model", [{"kind": "linear"}, {"kind": "time_decay", "half_life_days": "2"}, {"kind": "w_shaped"}, {"kind": "markov"}, {"kind": "shapley"}])
def test_attribution_frame_matches_the_record_api(model):
    journeys = BOOK + [JOURNEYS[0]]
    df = _frame(journeys)
    out = crmkit.attribution_frame(df, {"model": model}, milestone="milestone")
    want = crmkit.attribute({"model": model}, journeys)
    assert list(out["channel"]) == [c["channel"] for c in want["channels"]]
    assert list(out["credit"]) == [c["credit"] for c in want["channels"]]
    assert out.attrs["total"] == want["total"] and out.attrs["model"] == model["kind"]
    per_touch = [t["credit"] for j in want["journeys"] for t in j["touches"]]
    assert [Decimal(int(c)) / 100 for c in out.attrs["credits"]] == per_touch


def test_attribution_frame_errors_name_the_row():
    df = _frame(BOOK)
    df.loc[1, "on"] = "2026-05-01"  # after the conversion
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.attribution_frame(df, {"model": {"kind": "linear"}})
    assert (caught.value.code, caught.value.path) == ("touch_after_conversion", "on[1]")
    df = _frame(BOOK)
    df.loc[3, "channel"] = "radio"
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.attribution_frame(df, {"model": {"kind": "linear"}})
    assert caught.value.code == "unknown_channel" and caught.value.path.startswith("channel_labels[")


def _decimal_frame(journeys, blank_unread):
    """A DataFrame of touches whose revenue is an object column of Decimal; None on the
    non-converted journeys and, with ``blank_unread``, on every row after a journey's first."""
    df = _frame(journeys)
    first = df["journey"] != df["journey"].shift()
    revenue = [Decimal(j["revenue"]) if "converted_on" in j else None for j in journeys for _ in j["touches"]]
    df["revenue"] = pd_object([None if blank_unread and not f else r for r, f in zip(revenue, first)])
    return df


def pd_object(values):
    import pandas as pd

    return pd.Series(values, dtype=object)


@pytest.mark.parametrize("blank_unread", [False, True])
def test_attribution_frame_leaves_unread_revenue_alone(blank_unread):
    # Revenue is read on a converted journey's first row only: None elsewhere (a journey that
    # did not convert, the rows after the first) is no error, in a Decimal column as in any.
    journeys = BOOK + [JOURNEYS[0]]
    df = _decimal_frame(journeys, blank_unread)
    want = crmkit.attribute({"model": {"kind": "linear"}}, journeys)
    out = crmkit.attribution_frame(df, {"model": {"kind": "linear"}})
    assert list(out["credit"]) == [c["credit"] for c in want["channels"]] and out.attrs["total"] == want["total"]
    strings = df.assign(revenue=df["revenue"].map(lambda v: None if v is None else str(v)))
    assert crmkit.attribution_frame(strings, {"model": {"kind": "linear"}}).attrs["total"] == want["total"]


def test_attribution_frame_missing_read_revenue_is_typed():
    df = _decimal_frame(BOOK, True)
    df.loc[3, "revenue"] = None  # b1's first (and only) row: read
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.attribution_frame(df, {"model": {"kind": "linear"}})
    assert (caught.value.code, caught.value.path) == ("invalid_type", "revenue[3]")


def test_attribution_frame_lookback_cohorts_and_last_non_direct_match_the_record_api():
    journeys = BOOK + [JOURNEYS[0]]
    df = _frame(journeys)
    for policy in [
        {"model": {"kind": "linear"}, "lookback_days": 5, "cohorts": True},
        {"model": {"kind": "last_non_direct", "direct": ["email", "search"]}},
        {"model": {"kind": "markov"}, "lookback_days": 10},
    ]:
        want = crmkit.attribute(policy, journeys)
        out = crmkit.attribution_frame(df, policy)
        assert list(out["credit"]) == [c["credit"] for c in want["channels"]]
        assert out.attrs["unattributed"] == want["unattributed"] and out.attrs["total"] == want["total"]
        per_touch = [t["credit"] for j in want["journeys"] for t in j["touches"]]
        assert [Decimal(int(c)) / 100 for c in out.attrs["credits"]] == per_touch
        if policy.get("cohorts"):
            assert out.attrs["cohorts"].to_dict("records") == want["cohorts"] and len(want["cohorts"]) > 0
    assert crmkit.attribute({"model": {"kind": "linear"}, "lookback_days": 5}, journeys)["unattributed"] > 0


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_attribution_frame_reads_datetime64_of_any_unit(unit):
    import pandas as pd

    journeys = BOOK + [JOURNEYS[0]]
    df = _frame(journeys)
    want = crmkit.attribution_frame(df, {"model": {"kind": "time_decay", "half_life_days": "2"}})
    for col in ("on", "converted_on"):
        df[col] = pd.to_datetime(df[col]).astype(f"datetime64[{unit}]")
    df["channel"] = df["channel"].astype("category")  # int8 codes, read as they are
    got = crmkit.attribution_frame(df, {"model": {"kind": "time_decay", "half_life_days": "2"}})
    assert list(got["credit"]) == list(want["credit"]) and list(got.attrs["credits"]) == list(want.attrs["credits"])
    if unit != "D":
        df.loc[2, "on"] = df.loc[2, "on"] + pd.Timedelta(hours=5)
        with pytest.raises(crmkit.CrmkitError) as caught:
            crmkit.attribution_frame(df, {"model": {"kind": "linear"}})
        assert (caught.value.code, caught.value.path) == ("invalid_date", "on[2]")


@pytest.mark.parametrize("policy", [{}, {"models": [{"kind": "w_shaped"}, {"kind": "time_decay", "half_life_days": "2"}], "lookback_days": 10}])
def test_compare_attribution_frame_is_the_record_comparison(policy):
    import pandas as pd

    journeys = BOOK + [JOURNEYS[0]]
    want = crmkit.compare_attribution(policy, journeys)
    df = _frame(journeys)
    got = crmkit.compare_attribution_frame(df, policy, milestone="milestone", revenue_scale=2)
    assert got.attrs["report"] == want.attrs["report"]
    pd.testing.assert_frame_equal(got, want)
    pd.testing.assert_frame_equal(got.attrs["shares"], want.attrs["shares"])
    # datetime64 days and a categorical's codes, as attribution_frame reads them
    fast = df.assign(on=pd.to_datetime(df["on"]), converted_on=pd.to_datetime(df["converted_on"]), channel=df["channel"].astype("category"))
    assert crmkit.compare_attribution_frame(fast, policy, milestone="milestone").attrs["report"] == want.attrs["report"]
    dicts, _ = stub()
    assert set(got.attrs["report"]) == dicts["Comparison"] and set(got.attrs["rows"][0]) == dicts["ComparisonRow"]
    assert set(got.attrs["report"]["channels"][0]) == dicts["ComparisonLine"]


@pytest.mark.parametrize(
    "policy",
    [
        # rule-based only: the one pass for all models
        {"models": [{"kind": "linear"}, {"kind": "time_decay", "half_life_days": "2"}, {"kind": "w_shaped"}, {"kind": "last_touch"}, {"kind": "linear"}]},
        # a data-driven model and a window: the general path
        {"models": [{"kind": "u_shaped"}, {"kind": "markov"}], "lookback_days": 10},
    ],
)
def test_compare_attribution_frame_credits_are_each_models_own(policy):
    df = _frame(BOOK + [JOURNEYS[0]])
    got = crmkit.compare_attribution_frame(df, policy, milestone="milestone")
    labels = got.attrs["report"]["models"]
    assert list(got.attrs["credits"]) == labels
    window = {"lookback_days": policy["lookback_days"]} if "lookback_days" in policy else {}
    for model, label in zip(policy["models"], labels):
        want = crmkit.attribution_frame(df, {"model": model, **window}, milestone="milestone")
        credits = got.attrs["credits"][label]
        assert credits.dtype == "int64" and credits.tolist() == want.attrs["credits"].tolist()
        assert [got.loc[c, label] for c in want["channel"]] == list(want["credit"])
    # derived frames share them (read-only), not copy them
    assert not got.attrs["credits"][labels[0]].flags.writeable
    assert got.head(1).attrs["credits"][labels[0]] is got.attrs["credits"][labels[0]]


def test_compare_attribution_frame_credits_on_arrow_backed_pandas():
    pa = pytest.importorskip("pyarrow")
    import pandas as pd

    df = _frame(BOOK + [JOURNEYS[0]])
    policy = {"models": [{"kind": "linear"}, {"kind": "shapley"}]}
    want = crmkit.compare_attribution_frame(df, policy, milestone="milestone").attrs["credits"]
    arrow = pa.Table.from_pandas(df).to_pandas(types_mapper=pd.ArrowDtype)
    got = crmkit.compare_attribution_frame(arrow, policy, milestone="milestone").attrs["credits"]
    assert {k: v.tolist() for k, v in got.items()} == {k: v.tolist() for k, v in want.items()}


def test_compare_attribution_frame_errors_are_typed():
    df = _frame(BOOK)
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.compare_attribution_frame(df, {"models": []})
    assert (caught.value.code, caught.value.path) == ("invalid_value", "models")
    df.loc[1, "on"] = "2026-05-01"  # after the conversion
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.compare_attribution_frame(df, {})
    assert (caught.value.code, caught.value.path) == ("touch_after_conversion", "on[1]")
    for bad in ([1], {"a": 1}):  # unhashable cells: no journey, no channel
        for column in ("journey", "channel"):
            odd = _frame(BOOK).astype({column: object})
            odd.at[2, column] = bad
            with pytest.raises(crmkit.CrmkitError) as caught:
                crmkit.compare_attribution_frame(odd, {})
            assert (caught.value.code, caught.value.path) == ("invalid_type", column)


def test_attribution_frame_credits_are_not_copied_into_every_derived_frame():
    import pickle

    out = crmkit.attribution_frame(_frame(BOOK), {"model": {"kind": "linear"}})
    credits = out.attrs["credits"]
    # pandas deep-copies attrs into derived objects: the credits are shared, read-only.
    assert out["channel"].attrs["credits"] is credits and out.head(2).attrs["credits"] is credits
    assert not credits.flags.writeable and credits.dtype == "int64"
    cents = credits / 100
    assert type(cents).__name__ == "ndarray" and cents.flags.writeable
    assert int(credits.sum()) == int(out.attrs["total"] * 100)
    back = pickle.loads(pickle.dumps(out))
    assert list(back.attrs["credits"]) == list(credits)


def test_campaign_roi_frame_docstring_runs():
    import crmkit._roi_campaigns

    assert doctest.testmod(crmkit._roi_campaigns).failed == 0


def _campaign_frame():
    pd = pytest.importorskip("pandas")
    free = {"id": "free", "channel": "search", "cost": "0", "won_revenue": "500", "leads": 10, "customers": 0, "opportunities": 0,
            "won": 1}
    rows = [{k: v for k, v in CAMPAIGN.items() if k not in ("name", "owner")}, free]
    df = pd.DataFrame(rows, index=pd.Index(["x", "y"], name="row"))
    df["start_on"] = pd.to_datetime(df["start_on"])
    df["end_on"] = pd.to_datetime(df["end_on"])
    return df, [CAMPAIGN, free]


@pytest.mark.parametrize("policy", [{}, {"cost_allocation": "pro_rata", "period": "quarter"}])
def test_campaign_roi_frame_is_the_record_report(policy):
    df, campaigns = _campaign_frame()
    before = df.copy(deep=True)
    out = crmkit.campaign_roi_frame(df, policy)
    report = crmkit.campaign_roi(policy, campaigns)
    assert out.attrs["report"] == report
    assert list(out.index) == ["x", "y"] and out["roi_pct"].tolist() == [line["roi_pct"] for line in report["campaigns"]]
    assert out.attrs["total"] == report["total"]
    assert list(out.attrs["channels"].index) == [line["key"] for line in report["channels"]]
    assert df.equals(before)


def test_campaign_roi_frame_reads_numbers_gaps_and_named_columns():
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    df = pd.DataFrame({"ref": [7, 8, 9], "ch": pd.Categorical(["tv", "search", "tv"]), "spent": [10050, 0, 2500],
                       "budget": [np.nan, 120.0, 30.0], "won_revenue": [30000, 100, 0],
                       "new_customers": pd.array([None, 2, 1], dtype="Int64"), "won": [3, 1, 0]})
    out = crmkit.campaign_roi_frame(df, {}, id="ref", channel="ch", cost="spent", amount_scale=2)
    records = [{"id": "7", "channel": "tv", "cost": "100.50", "won_revenue": "300.00", "won": 3},
               {"id": "8", "channel": "search", "cost": "0", "won_revenue": "1.00", "budget": "120", "won": 1, "new_customers": 2},
               {"id": "9", "channel": "tv", "cost": "25.00", "won_revenue": "0", "budget": "30", "new_customers": 1}]
    assert out.attrs["report"] == crmkit.campaign_roi({}, records)
    with pytest.raises(crmkit.CrmkitError) as e:
        crmkit.campaign_roi_frame(df, {}, id="ref", channel="ch", cost="spent", leads="nope")
    assert (e.value.code, e.value.path) == ("missing_field", "nope")


@pytest.mark.parametrize(
    ("change", "code", "path"),
    [
        (lambda df: df.assign(id=["a", "a"]), "duplicate_name", "id[1]"),
        (lambda df: df.assign(channel=["events", "radio"]), "unknown_channel", "channel[1]"),
        (lambda df: df.assign(cost=["1", "-1"]), "negative_amount", "cost[1]"),
        (lambda df: df.assign(leads=[1, -1]), "invalid_value", "leads[1]"),
        (lambda df: df.assign(won=[1.5, 1]), "invalid_type", "won[0]"),
        (lambda df: df.assign(leads=[None, 1]), "invalid_type", "leads[0]"),
    ],
)
def test_campaign_roi_frame_errors_name_the_column_and_row(change, code, path):
    df, _ = _campaign_frame()
    with pytest.raises(crmkit.CrmkitError) as e:
        crmkit.campaign_roi_frame(change(df), {})
    assert (e.value.code, e.value.path) == (code, path)


def _plain_rows(rows):
    """Rows with NaN (pandas' empty cell) as None."""
    return [{k: None if isinstance(v, float) and v != v else v for k, v in row.items()} for row in rows]


@pytest.mark.parametrize("policy", [{}, {"cost_allocation": "pro_rata", "period": "quarter"}])
def test_campaign_roi_frame_reads_arrow_and_answers_in_its_library(policy):
    pa = pytest.importorskip("pyarrow")
    pd = pytest.importorskip("pandas")
    df, campaigns = _campaign_frame()
    want = crmkit.campaign_roi_frame(df, policy)
    report = crmkit.campaign_roi(policy, campaigns)
    table = pa.Table.from_pandas(df.reset_index(drop=True))
    got = crmkit.campaign_roi_frame(table, policy)
    assert isinstance(got, pa.Table)
    assert got.to_pylist() == _plain_rows(want.reset_index(drop=True).to_dict("records"))
    meta = {k.decode(): json.loads(v) for k, v in got.schema.metadata.items()}
    assert meta["crmkit.total"] == json.loads(json.dumps(report["total"], default=str))
    assert meta["crmkit.channels"] == json.loads(json.dumps(report["channels"], default=str))
    polars = pytest.importorskip("polars")
    from_polars = crmkit.campaign_roi_frame(polars.from_arrow(table), policy)
    assert isinstance(from_polars, polars.DataFrame) and from_polars.to_arrow().to_pylist() == got.to_pylist()
    arrow_pandas = table.to_pandas(types_mapper=pd.ArrowDtype)
    out = crmkit.campaign_roi_frame(arrow_pandas, policy)
    assert out.attrs["report"] == report and list(out.attrs["channels"].index) == list(want.attrs["channels"].index)


def test_campaign_roi_frame_arrow_decimals_gaps_and_errors():
    pa = pytest.importorskip("pyarrow")
    # decimal128 columns at scales of their own, an empty budget, an empty new_customers
    # (the wins), integer ids.
    table = pa.table({
        "id": pa.array([7, 8], pa.int64()),
        "channel": pa.array(["tv", "search"]).dictionary_encode(),
        "cost": pa.array([Decimal("100.50"), Decimal("0.00")], pa.decimal128(12, 2)),
        "won_revenue": pa.array([Decimal("300.1234"), Decimal("1.0000")], pa.decimal128(14, 4)),
        "budget": pa.array([None, Decimal("120")], pa.decimal128(10, 0)),
        "won": pa.array([3, 1], pa.int32()),
        "new_customers": pa.array([None, 2], pa.int64()),
    })  # fmt: skip
    records = [{"id": "7", "channel": "tv", "cost": "100.50", "won_revenue": "300.1234", "won": 3},
               {"id": "8", "channel": "search", "cost": "0.00", "won_revenue": "1.0000", "budget": "120", "won": 1, "new_customers": 2}]
    report = crmkit.campaign_roi({}, records)
    got = crmkit.campaign_roi_frame(table, {})
    assert got.column("roi_pct").to_pylist() == [line["roi_pct"] for line in report["campaigns"]]
    assert got.column("budget").to_pylist() == [line["budget"] for line in report["campaigns"]]
    assert json.loads(got.schema.metadata[b"crmkit.total"])["cac"] == str(report["total"]["cac"])
    for bad, code, path in [
        (table.set_column(2, "cost", pa.array([Decimal("1"), None], pa.decimal128(12, 2))), "invalid_type", "cost[1]"),
        (table.set_column(2, "cost", pa.array(["1", None])), "invalid_type", "cost[1]"),
        (table.set_column(2, "cost", pa.array(["1", "-1"])), "negative_amount", "cost[1]"),
        (table.set_column(5, "won", pa.array([None, 1], pa.int32())), "invalid_type", "won[0]"),
        (table.set_column(5, "won", pa.array([1.5, 1.0])), "invalid_type", "won[0]"),
        (table.set_column(1, "channel", pa.array(["tv", "radio"])), "unknown_channel", "channel[1]"),
        (table.set_column(0, "id", pa.array(["a", "a"])), "duplicate_name", "id[1]"),
        (table.drop_columns(["cost"]), "missing_field", "cost"),
    ]:
        with pytest.raises(crmkit.CrmkitError) as e:
            crmkit.campaign_roi_frame(bad, {})
        assert (e.value.code, e.value.path) == (code, path)
    with pytest.raises(crmkit.CrmkitError) as e:
        crmkit.campaign_roi_frame(table, {}, leads="nope")
    assert (e.value.code, e.value.path) == ("missing_field", "nope")


def test_reports_are_built_with_the_collector_paused_and_left_as_they_were_found():
    # A report's dicts and lists cannot form a cycle: the cyclic collector, which each batch
    # of 700 new containers would otherwise set off (20 times for these 2,000 lines), is paused
    # while the native call builds them, then left as the caller had it (once enabled again it
    # may run once, for the new objects).
    import gc

    campaigns = [{"id": f"c{i}", "channel": "search", "cost": "10", "leads": 2} for i in range(2000)]
    policy = json.dumps({})
    collections = []

    def seen(phase, info):
        if phase == "start":
            collections.append(info["generation"])

    want = crmkit.campaign_roi({}, campaigns)
    text = json.dumps(campaigns)
    gc.callbacks.append(seen)
    try:
        for enabled in (True, False):
            (gc.enable if enabled else gc.disable)()
            report = crmkit._native.campaign_roi(policy, text)
            assert gc.isenabled() is enabled
            assert report == want and len(collections) <= int(enabled), collections
            collections.clear()
    finally:
        gc.callbacks.remove(seen)
        gc.enable()
