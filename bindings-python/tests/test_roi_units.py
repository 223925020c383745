"""`campaign_roi_frame(..., money="units")`: the campaign lines from the native module's arrays
hold the Decimal frame's figures exactly (integer units of the policy's places, <NA> where the
report says None), the same errors, pandas and Arrow."""

from __future__ import annotations

import decimal
import random

import pytest

import crmkit

pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")

CHANNELS = ["web_ads", "search", "mobile", "email", "events", "print", "tv"]
MONEY = ["budget", "cost", "budget_variance", "expected_revenue", "won_revenue", "revenue_variance", "net_return", "roas",
         "cost_per_lead", "cost_per_opportunity", "cost_per_win", "cac"]  # fmt: skip
PERCENT = ["budget_used_pct", "revenue_attained_pct", "roi_pct"]
COUNTS = ["campaigns", "leads", "customers", "opportunities", "won", "new_customers"]
NEVER_NULL = ("cost", "won_revenue", "net_return")


def campaigns(n, seed):
    """``n`` seeded campaigns: costs at 0-3 places, empty budgets and expected revenues, zero
    counts, undated and dated runs, an empty ``new_customers`` now and then."""
    rng = random.Random(seed)

    def money(pick):
        return "0" if pick == 0 else f"{rng.randrange(100)}.{rng.randrange(1000):03d}" if pick == 1 else f"{rng.randrange(5_000_000)}.{rng.randrange(100):02d}"

    rows = []
    for i in range(n):
        dated = rng.randrange(6) != 0
        start = pd.Timestamp("2026-01-01") + pd.Timedelta(days=rng.randrange(400)) if dated else pd.NaT
        end = start + pd.Timedelta(days=rng.randrange(150)) if dated and rng.randrange(2) else pd.NaT
        leads = 0 if rng.randrange(5) == 0 else rng.randrange(5000)
        customers = 0 if rng.randrange(4) == 0 else rng.randrange(leads + 1)
        opportunities = 0 if rng.randrange(6) == 0 else rng.randrange(customers + 5)
        won = 0 if rng.randrange(3) == 0 else rng.randrange(opportunities + 1)
        rows.append({
            "id": f"camp-{seed}-{i}", "channel": rng.choice(CHANNELS), "cost": money(rng.randrange(8)),
            "won_revenue": money(rng.randrange(5)), "budget": None if rng.randrange(3) == 0 else money(rng.randrange(6)),
            "expected_revenue": None if rng.randrange(3) == 0 else money(rng.randrange(6)), "start_on": start, "end_on": end,
            "leads": leads, "customers": customers, "opportunities": opportunities, "won": won,
            "new_customers": None if rng.randrange(4) == 0 else rng.randrange(won + 3),
        })  # fmt: skip
    df = pd.DataFrame(rows, index=pd.RangeIndex(100, 100 + n))
    df["new_customers"] = df["new_customers"].astype("Int64")
    return df


POLICIES = [
    {},
    {"percent_rounding": {"dp": 2}, "cost_allocation": "pro_rata"},
    {"rounding": {"dp": 0, "strategy": "half_up"}, "period": "quarter"},
    {"rounding": {"dp": 4}, "percent_rounding": {"dp": 3}, "funnel": ["leads", "won"], "period": "year"},
]


def _units_match(units, decimals, scale):
    """Where a units column differs from its Decimal column: each unit is the Decimal's value at
    ``scale`` places exactly, NA where it is ``None``."""
    for i, (u, d) in enumerate(zip(units, decimals)):
        if d is None:
            if not pd.isna(u):
                return f"[{i}]: {u} where None"
        elif pd.isna(u) or decimal.Decimal(int(u)).scaleb(-scale) != d:
            return f"[{i}]: {u} != {d} at {scale} places"
    return None


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("policy", POLICIES)
def test_money_units_hold_the_decimal_frame_exactly(seed, policy):
    df = campaigns(300, seed)
    want = crmkit.campaign_roi_frame(df, policy)
    got = crmkit.campaign_roi_frame(df, policy, money="units")
    stages = policy.get("funnel", ["leads", "customers", "opportunities", "won"])
    steps = [f"{s}_{part}" for s in stages for part in ("count", "from_top_pct", "from_previous_pct")]
    figures = ["campaigns", "budget", "cost", "budget_variance", "budget_used_pct", "expected_revenue", "won_revenue",
               "revenue_variance", "revenue_attained_pct", "net_return", "roi_pct", "roas", *COUNTS[1:], "cost_per_lead",
               "cost_per_opportunity", "cost_per_win", "cac"]  # fmt: skip
    assert list(got.columns) == ["key", "channel", "group", "period", *figures, *steps, "reasons"]
    assert got.index.equals(df.index)
    money_scale, percent_scale = got.attrs["money_scale"], got.attrs["percent_scale"]
    assert money_scale == policy.get("rounding", {}).get("dp", 2)
    assert percent_scale == policy.get("percent_rounding", {}).get("dp", 1)
    report = dict(want.attrs["report"])
    del report["campaigns"]
    assert got.attrs["report"] == report
    assert got.attrs["total"] == want.attrs["total"]
    pd.testing.assert_frame_equal(got.attrs["periods"], want.attrs["periods"])
    assert got["key"].tolist() == want["key"].tolist() and got["key"].dtype == df["id"].dtype
    for name in ["channel", "group", "period"]:
        assert [None if pd.isna(v) else v for v in got[name]] == [None if pd.isna(v) else v for v in want[name]], name
    for name in COUNTS:
        assert got[name].dtype == np.int64 and got[name].tolist() == want[name].tolist(), name
    for names, scale in ((MONEY, money_scale), (PERCENT, percent_scale)):
        for name in names:
            assert got[name].dtype == (np.int64 if name in NEVER_NULL else "Int64"), name
            assert _units_match(got[name], want[name].tolist(), scale) is None, name
    for k, stage in enumerate(stages):
        step = [f[k] for f in want["funnel"]]
        assert all(s["stage"] == stage for s in step)
        assert got[f"{stage}_count"].tolist() == [s["count"] for s in step]
        for part in ("from_top_pct", "from_previous_pct"):
            assert _units_match(got[f"{stage}_{part}"], [s[part] for s in step], percent_scale) is None, (stage, part)
    assert [list(r) for r in got["reasons"]] == [list(r) for r in want["reasons"]]
    assert len({r for rs in got["reasons"] for r in rs}) >= 9


def test_money_units_over_arrow_data():
    pa = pytest.importorskip("pyarrow")
    df = campaigns(200, 3)
    policy = {"cost_allocation": "pro_rata"}
    got = crmkit.campaign_roi_frame(df, policy, money="units")
    table = crmkit.campaign_roi_frame(pa.Table.from_pandas(df, preserve_index=False), policy, money="units")
    assert isinstance(table, pa.Table)
    assert table.column_names == list(got.columns)
    for name in got.columns:
        want = [list(v) for v in got[name]] if name == "reasons" else [None if pd.isna(v) else v for v in got[name].tolist()]
        assert table.column(name).to_pylist() == want, name
    assert table.schema.field("cost").type == pa.int64() and table.schema.field("roi_pct").type == pa.int64()
    meta = table.schema.metadata
    assert (meta[b"crmkit.money_scale"], meta[b"crmkit.percent_scale"]) == (b"2", b"1")
    assert b"crmkit.total" in meta and b"crmkit.channels" in meta


def test_money_units_key_keeps_the_id_dtype_and_empty_frames_keep_their_columns():
    df = pd.DataFrame({"id": np.array([7, 3], dtype=np.int64), "channel": pd.Categorical(["tv", "search"]), "cost": [100, 0]})
    got = crmkit.campaign_roi_frame(df, {}, money="units")
    assert got["key"].dtype == np.int64 and got["key"].tolist() == [7, 3]
    assert got["period"].isna().all()  # undated: no period
    assert got["cost"].tolist() == [10000, 0] and got["roi_pct"].isna().tolist() == [False, True]
    empty = crmkit.campaign_roi_frame(df.iloc[:0], {}, money="units")
    assert len(empty) == 0 and list(empty.columns) == list(got.columns)
    assert (empty["cost"].dtype, empty["roas"].dtype) == (np.int64, "Int64")


def test_money_units_give_the_same_errors_and_refuse_another_money():
    df = campaigns(20, 4)
    for money in ("decimal", "units"):
        with pytest.raises(crmkit.CrmkitError) as caught:
            crmkit.campaign_roi_frame(df.assign(cost=["1"] * 19 + ["-1"]), {}, money=money)
        assert (caught.value.code, caught.value.path) == ("negative_amount", "cost[19]")
        with pytest.raises(crmkit.CrmkitError) as caught:
            crmkit.campaign_roi_frame(df, {"funnel": ["won", "leads"]}, money=money)
        assert caught.value.code == "invalid_value" and caught.value.path.startswith("funnel")
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.campaign_roi_frame(df, {}, money="cents")
    assert (caught.value.code, caught.value.path) == ("invalid_value", "money")
    # Beyond 64-bit units: an overflow at the line's figure (the Decimal frame holds it).
    big = pd.DataFrame({"id": ["big"], "channel": ["search"], "cost": ["1000000000000000"]})
    assert crmkit.campaign_roi_frame(big, {"rounding": {"dp": 4}})["cost"].tolist() == [decimal.Decimal("1000000000000000.0000")]
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.campaign_roi_frame(big, {"rounding": {"dp": 4}}, money="units")
    assert (caught.value.code, caught.value.path) == ("overflow", "campaigns[0].cost")


def test_money_units_give_the_pro_rata_pieces_as_columns():
    df = campaigns(300, 5)
    policy = {"cost_allocation": "pro_rata"}
    want = crmkit.campaign_roi_frame(df, policy)
    got = crmkit.campaign_roi_frame(df, policy, money="units")
    scale = got.attrs["cost_periods_scale"]
    pieces = pd.DataFrame(got.attrs["cost_periods"])
    expected = [(i, p["period"], p["days"], p["cost"], p["budget"])
                for i, line in enumerate(want["cost_periods"]) if isinstance(line, list) for p in line]  # fmt: skip
    assert len(pieces) == len(expected) > len(df)
    places = [-d.as_tuple().exponent for e in expected for d in (e[3], e[4]) if d is not None]
    assert scale == max(2, *places) == 3  # costs entered at 3 places keep them in their pieces
    for row, (i, period, days, cost, budget) in zip(pieces.itertuples(index=False), expected):
        assert (row.line, row.period, row.days) == (i, period, days)
        assert decimal.Decimal(int(row.cost)).scaleb(-scale) == cost
        assert (None if pd.isna(row.budget) else decimal.Decimal(int(row.budget)).scaleb(-scale)) == budget
    assert pieces["budget"].isna().any() and pieces["cost"].dtype == np.int64
    assert len(pd.DataFrame(crmkit.campaign_roi_frame(df, {}, money="units").attrs["cost_periods"])) == 0
