"""`quota_frame`: the quota over a DataFrame of deals gives `quota_attainment`'s report on the
same deals as records, whatever the dtypes (int ids, categoricals, datetime64, float money)
and whether the data is pandas or Arrow."""

from __future__ import annotations

import datetime
import random

import pytest

import crmkit

pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")

AS_OF = datetime.date(2026, 11, 23)
POLICY = {
    "stages": [
        {"name": "a", "probability": "0.15", "duration": "40"},
        {"name": "b", "probability": "0.3", "duration": "25"},
        {"name": "won", "kind": "won"},
        {"name": "lost", "kind": "lost"},
    ],
    "duration_unit": "days",
    "placement": "expected_close",
    "undated": "unscheduled",
    "group_by": ["owner", "team"],
}


def book(n=300, seed=7):
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        stage = rng.choice(["a", "b", "won", "lost"])
        back = rng.randrange(0, 400)
        if stage == "won":
            close = AS_OF - datetime.timedelta(days=back)
        else:
            close = rng.choice([None, AS_OF + datetime.timedelta(days=rng.randrange(-100, 500))])
        rows.append((f"d{i}", stage, rng.randrange(0, 10_000_000), rng.choice([7, 11, 13]), rng.choice(["east", "west", None]), close))
    return rows


def frame(rows):
    return pd.DataFrame(
        {
            "stage": pd.Categorical([r[1] for r in rows]),
            "cents": np.array([r[2] for r in rows], dtype=np.int64),
            "owner": np.array([r[3] for r in rows], dtype=np.int32),
            "team": [r[4] for r in rows],
            "close": pd.to_datetime([r[5] for r in rows]),
        }
    )


def records(rows):
    deals = []
    for deal_id, stage, cents, owner, team, close in rows:
        d = {"id": deal_id, "stage": stage, "amount": f"{cents // 100}.{cents % 100:02d}", "owner": str(owner)}
        if team is not None:
            d["team"] = team
        if close is not None:
            d["expected_close_on"] = close.isoformat()
        deals.append(d)
    return deals


@pytest.mark.parametrize("fields", [[], ["owner"], ["team"], ["team", "owner"]])
@pytest.mark.parametrize("period", ["month", "quarter", "year"])
def test_quota_frame_gives_the_record_report(fields, period):
    rows = book()
    label = {"month": "2026-11", "quarter": "2026-Q4", "year": "2026"}[period]
    keys = {"owner": 7, "team": "east"}
    quotas = [{"key": {f: keys[f] for f in fields}, "period": label, "amount": "250000"}]
    won = [{"id": "w1", "amount": "1000", "closed_on": "2026-11-02", "owner": "7", "team": "east"}]
    quota = {"group_by": fields, "period": period}
    out = crmkit.quota_frame(frame(rows), POLICY, quota, quotas, AS_OF, won=won, amount="cents", amount_scale=2, expected_close_on="close")
    text_quotas = [{**q, "key": {k: str(v) for k, v in q["key"].items()}} for q in quotas]
    want = crmkit.quota_attainment({**POLICY, "group_by": []}, quota, {"deals": records(rows), "quotas": text_quotas, "won": won}, AS_OF)
    assert out.attrs["report"] == want
    assert len(out) == len(want["lines"])
    assert list(out.columns) == [*fields, "period", "first_month", "last_month", "quota", "won_deals", "won_amount", "open_deals",
                                 "open_amount", "open_weighted", "attainment", "gap", "coverage", "weighted_coverage", "reasons"]
    if "owner" in fields:
        # An int32 owner column's ids come back as ints.
        assert set(out["owner"]) <= {7, 11, 13}
        assert out["owner"].dtype == np.int64
    for line, row in zip(want["lines"], out.itertuples(index=False)):
        assert (row.period, row.quota, row.won_amount, row.open_weighted, row.coverage, list(row.reasons)) == (
            line["period"], line["quota"], line["won"]["amount"], line["open"]["weighted"], line["coverage"], line["reasons"])


def test_quota_frame_over_arrow_data_gives_the_pandas_report():
    pa = pytest.importorskip("pyarrow")
    rows = book(120, seed=3)
    df = frame(rows)
    quota = {"group_by": ["team"], "period": "quarter"}
    quotas = [{"key": {"team": "east"}, "period": "2026-Q4", "amount": "90000.50"}]
    want = crmkit.quota_frame(df, POLICY, quota, quotas, AS_OF, amount="cents", amount_scale=2, expected_close_on="close")
    table = pa.Table.from_pandas(df, preserve_index=False)
    got = crmkit.quota_frame(table, POLICY, quota, quotas, AS_OF, amount="cents", amount_scale=2, expected_close_on="close")
    assert isinstance(got, pa.Table)
    assert got.column("team").to_pylist() == [None if pd.isna(t) else t for t in want["team"]]
    assert got.column("open_weighted").to_pylist() == want["open_weighted"].tolist()
    assert got.column("attainment").to_pylist() == want["attainment"].tolist()
    assert got.schema.metadata[b"crmkit.report"]


def test_quota_frame_refuses_a_won_row_without_its_close_date():
    df = pd.DataFrame({"stage": ["a", "won"], "amount": [100, 200], "owner": ["li", "li"], "team": ["e", "e"], "close": [None, None]})
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.quota_frame(df, POLICY, {"group_by": ["owner"]}, [], AS_OF, expected_close_on="close")
    assert (caught.value.code, caught.value.path) == ("missing_value", "expected_close_on[1]")


@pytest.mark.parametrize("unit", ["s", "us"])
def test_datetime64_close_dates_of_any_unit_are_read_natively(unit):
    # A datetime64 column's own buffer, read in Rust (as forecast_frame reads it): the report
    # of the same dates given as date objects; a time of day refused at its row.
    rows = book(80, seed=5)
    df = frame(rows)
    quota = {"group_by": ["owner"], "period": "quarter"}
    args = dict(amount="cents", amount_scale=2, expected_close_on="close")
    want = crmkit.quota_frame(df.assign(close=[r[5] for r in rows]), POLICY, quota, [], AS_OF, **args)
    ticks = df["close"].astype(f"datetime64[{unit}]")
    got = crmkit.quota_frame(df.assign(close=ticks), POLICY, quota, [], AS_OF, **args)
    assert got.attrs["report"] == want.attrs["report"]
    i = next(k for k, r in enumerate(rows) if r[5] is not None)
    noon = ticks.copy()
    noon[i] += pd.Timedelta(hours=12)
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.quota_frame(df.assign(close=noon), POLICY, quota, [], AS_OF, **args)
    assert (caught.value.code, caught.value.path) == ("invalid_date", f"expected_close_on[{i}]")


def test_quota_fields_must_be_key_columns():
    df = pd.DataFrame({"stage": ["a"], "amount": [100], "owner": ["li"]})
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.quota_frame(df, {**POLICY, "group_by": ["owner"]}, {"group_by": ["team"]}, [], AS_OF)
    assert (caught.value.code, caught.value.path) == ("invalid_value", "group_by[0]")


# The frame as quota_frame built it before its columns came from Rust: from the report's line
# dicts, in Python. Kept here as the reference the native columns must give back exactly.
_LINE_COLUMNS = ["period", "first_month", "last_month", "quota", "won_deals", "won_amount", "open_deals", "open_amount",
                 "open_weighted", "attainment", "gap", "coverage", "weighted_coverage", "reasons"]


def _from_line_dicts(report, fields, int_keys, arrow=False):
    lines = report["lines"]

    def key_column(field):
        values = [line["key"].get(field) for line in lines]
        return [None if v is None else int(v) for v in values] if field in int_keys else values

    columns = {field: key_column(field) for field in fields}
    for name in ("period", "first_month", "last_month", "quota"):
        columns[name] = [line[name] for line in lines]
    for part in ("won", "open"):
        columns[f"{part}_deals"] = [line[part]["deals"] for line in lines]
        columns[f"{part}_amount"] = [line[part]["amount"] for line in lines]
    columns["open_weighted"] = [line["open"]["weighted"] for line in lines]
    for name in ("attainment", "gap", "coverage", "weighted_coverage", "reasons"):
        columns[name] = [line[name] for line in lines]
    if arrow:
        pa = pytest.importorskip("pyarrow")
        arrays = {}
        for name, values in columns.items():
            if name in fields:
                arrays[name] = pa.array(values, pa.int64() if name in int_keys else pa.string())
            elif name.endswith("_deals"):
                arrays[name] = pa.array(values, pa.int64())
            elif name == "reasons":
                arrays[name] = pa.array(values, pa.list_(pa.string()))
            elif name in ("period", "first_month", "last_month"):
                arrays[name] = pa.array(values, pa.string())
            else:
                places = max((-v.as_tuple().exponent for v in values if v is not None), default=0)
                arrays[name] = pa.array(values, pa.decimal128(38, max(places, 0)))
        return pa.table(arrays)
    out = pd.DataFrame(columns, columns=[*fields, *_LINE_COLUMNS])
    for field in fields:
        if field in int_keys and not out[field].isna().any():
            out[field] = out[field].astype("int64")
    return out


def _same_frame(got, want):
    """Equal frames, dtypes, column order and index, and each Decimal written the same
    (Decimal("1.10") == Decimal("1.1"): the digits are compared as text too)."""
    if len(want) == 0:
        # The line dicts made every column of an empty frame object; the native counts and
        # integer ids keep their int64 dtype there.
        want = want.astype({c: "int64" for c in got.columns if got[c].dtype == np.int64})
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    for name in want.columns:
        assert [repr(v) for v in got[name]] == [repr(v) for v in want[name]], name


def _vector_frames():
    import json
    from pathlib import Path

    from test_vectors import _deal_frame

    spec = json.loads((Path(__file__).resolve().parents[2] / "tests/vectors/quota/quota_columns.json").read_text())
    for case in spec["cases"]:
        if "expected" in case:
            df, args, _ = _deal_frame(case)
            inp, config = case["input"], case["config"]
            yield case["id"], df, (config["policy"], config["quota"], inp["quotas"], case["as_of"]), {"won": inp.get("won"), **args}


@pytest.mark.parametrize("case", list(_vector_frames()), ids=lambda c: c[0])
def test_the_native_columns_give_the_line_dicts_frame_on_the_vectors(case):
    _, df, args, kwargs = case
    out = crmkit.quota_frame(df, *args, **kwargs)
    fields = list(args[1].get("group_by") or [])
    _same_frame(out, _from_line_dicts(out.attrs["report"], fields, set()))


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("fields", [[], ["owner"], ["team"], ["team", "owner"]])
def test_the_native_columns_give_the_line_dicts_frame_on_seeded_books(seed, fields):
    rng = random.Random(seed)
    rows = book(rng.randrange(0, 400), seed=seed)
    period = rng.choice(["month", "quarter", "year"])
    label = {"month": "2026-11", "quarter": "2026-Q4", "year": "2026"}[period]
    quotas = [{"key": {f: {"owner": o, "team": t}[f] for f in fields}, "period": label, "amount": str(rng.randrange(0, 10**9)) + ".5"}
              for o, t in [(7, "east"), (11, "west"), (13, "north")]][: 1 if not fields else 3]
    # A won deal of no team, and one of no owner: None keys in a text and an integer column.
    won = [{"id": "w1", "amount": "1000.125", "closed_on": "2026-11-02", "owner": "7"}, {"id": "w2", "amount": "3", "closed_on": "2026-10-02", "team": "west"}]
    quota = {"group_by": fields, "period": period, "rate_dp": rng.choice([0, 2, 4, 7])}
    df = frame(rows)
    kwargs = {"won": won, "amount": "cents", "amount_scale": 2, "expected_close_on": "close"}
    out = crmkit.quota_frame(df, POLICY, quota, quotas, AS_OF, **kwargs)
    want = _from_line_dicts(out.attrs["report"], fields, {"owner"})
    _same_frame(out, want)
    pa = pytest.importorskip("pyarrow")
    table = crmkit.quota_frame(pa.Table.from_pandas(df, preserve_index=False), POLICY, quota, quotas, AS_OF, **kwargs)
    want = _from_line_dicts(out.attrs["report"], fields, {"owner"}, arrow=True)
    assert table.schema.remove_metadata() == want.schema
    assert table.replace_schema_metadata(None).equals(want)


def test_an_empty_report_keeps_its_columns_and_their_dtypes():
    df = frame(book(0))
    out = crmkit.quota_frame(df, POLICY, {"group_by": ["owner"]}, [], AS_OF, amount="cents", expected_close_on="close")
    assert len(out) == 0
    assert list(out.columns) == ["owner", *_LINE_COLUMNS]
    assert (out["owner"].dtype, out["won_deals"].dtype, out["open_deals"].dtype) == (np.int64, np.int64, np.int64)


def test_an_integer_key_that_is_not_an_id_is_refused_with_its_path():
    df = frame(book(20))
    quotas = [{"key": {"owner": "007"}, "period": "2026-Q4", "amount": "1"}]
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.quota_frame(df, POLICY, {"group_by": ["owner"]}, quotas, AS_OF, amount="cents", expected_close_on="close")
    assert (caught.value.code, caught.value.path) == ("invalid_value", "quotas[0].key.owner")
    won = [{"id": "w", "amount": "1", "closed_on": "2026-11-02", "owner": "li"}]
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.quota_frame(df, POLICY, {"group_by": ["owner"]}, [], AS_OF, won=won, amount="cents", expected_close_on="close")
    assert (caught.value.code, caught.value.path) == ("invalid_value", "won[0].owner")


_MONEY = ("quota", "gap", "won_amount", "open_amount", "open_weighted")
_RATES = ("attainment", "coverage", "weighted_coverage")


def _units_match(units, decimals, scale):
    """Where a units column (int64, or nullable Int64) differs from its Decimal column: each unit
    is the Decimal's value at ``scale`` places exactly, NA where it is ``None``."""
    import decimal

    for i, (u, d) in enumerate(zip(units, decimals)):
        if d is None:
            if not pd.isna(u):
                return f"[{i}]: {u} where None"
        elif pd.isna(u) or decimal.Decimal(int(u)).scaleb(-scale) != d or -d.as_tuple().exponent != scale:
            return f"[{i}]: {u} != {d} at {scale} places"
    return None


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("fields", [[], ["owner"], ["team"], ["team", "owner"]])
def test_money_units_hold_the_decimal_frame_exactly(seed, fields):
    rng = random.Random(seed)
    rows = book(rng.randrange(1, 400), seed=seed)
    period = rng.choice(["month", "quarter", "year"])
    labels = {"month": ["2026-10", "2026-11"], "quarter": ["2026-Q3", "2026-Q4"], "year": ["2025", "2026"]}[period]
    amounts = ["0", "1.005", "250000", "7.125", str(rng.randrange(0, 10**9)) + ".5"]
    quotas = [{"key": {f: {"owner": o, "team": t}[f] for f in fields}, "period": p, "amount": rng.choice(amounts)}
              for o, t in [(7, "east"), (11, "west"), (13, "north")][: 1 if not fields else 3] for p in labels]
    won = [{"id": "w1", "amount": "1000.125", "closed_on": "2026-11-02", "owner": "7"}, {"id": "w2", "amount": "3", "closed_on": "2026-10-02", "team": "west"}]
    quota = {"group_by": fields, "period": period, "rate_dp": rng.choice([0, 2, 4, 7])}
    policy = {**POLICY, "rounding": rng.choice([{"dp": 2}, {"dp": 0, "strategy": "half_up"}, {"dp": 4}])}
    df = frame(rows)
    kwargs = {"won": won, "amount": "cents", "amount_scale": 2, "expected_close_on": "close"}
    want = crmkit.quota_frame(df, policy, quota, quotas, AS_OF, **kwargs)
    got = crmkit.quota_frame(df, policy, quota, quotas, AS_OF, money="units", **kwargs)
    assert list(got.columns) == list(want.columns)
    assert (got.attrs["money_scale"], got.attrs["rate_scale"]) == (policy["rounding"]["dp"], quota["rate_dp"])
    report = dict(want.attrs["report"])
    del report["lines"]
    assert got.attrs["report"] == report
    for name in [*fields, "period", "first_month", "last_month", "won_deals", "open_deals"]:
        pd.testing.assert_series_equal(got[name], want[name], check_exact=True)
    assert [list(r) for r in got["reasons"]] == [list(r) for r in want["reasons"]]
    for names, scale in ((_MONEY, got.attrs["money_scale"]), (_RATES, got.attrs["rate_scale"])):
        for name in names:
            nullable = name not in ("won_amount", "open_amount", "open_weighted")
            assert got[name].dtype == ("Int64" if nullable else np.int64), name
            assert _units_match(got[name], want[name].tolist(), scale) is None, name
    pa = pytest.importorskip("pyarrow")
    table = crmkit.quota_frame(pa.Table.from_pandas(df, preserve_index=False), policy, quota, quotas, AS_OF, money="units", **kwargs)
    assert table.column_names == list(got.columns)
    for name in got.columns:
        want_values = [list(v) for v in got[name]] if name == "reasons" else [None if pd.isna(v) else v for v in got[name].tolist()]
        assert table.column(name).to_pylist() == want_values, name
    if "owner" in fields:
        assert table.schema.field("owner").type == pa.int64()
    assert table.schema.field("quota").type == pa.int64()
    meta = table.schema.metadata
    assert (meta[b"crmkit.money_scale"], meta[b"crmkit.rate_scale"]) == (str(scale_of(policy)).encode(), str(quota["rate_dp"]).encode())


def scale_of(policy):
    return policy["rounding"]["dp"]


def test_money_units_give_the_same_errors_and_refuse_another_money():
    df = pd.DataFrame({"stage": ["a", "won"], "amount": [100, 200], "owner": ["li", "li"], "team": ["e", "e"], "close": [None, None]})
    for money in ("decimal", "units"):
        with pytest.raises(crmkit.CrmkitError) as caught:
            crmkit.quota_frame(df, POLICY, {"group_by": ["owner"]}, [], AS_OF, expected_close_on="close", money=money)
        assert (caught.value.code, caught.value.path) == ("missing_value", "expected_close_on[1]")
        bad = [{"key": {"owner": "li"}, "period": "2026-Q4", "amount": "-1"}]
        with pytest.raises(crmkit.CrmkitError) as caught:
            crmkit.quota_frame(df.assign(stage=["a", "a"]), POLICY, {"group_by": ["owner"]}, bad, AS_OF, money=money)
        assert (caught.value.code, caught.value.path) == ("negative_amount", "quotas[0].amount")
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.quota_frame(df, POLICY, {"group_by": ["owner"]}, [], AS_OF, money="cents")
    assert (caught.value.code, caught.value.path) == ("invalid_value", "money")
    # Beyond 64-bit units: an overflow at the line's figure (the Decimal frame holds it).
    big = [{"key": {"owner": "li"}, "period": "2026-Q4", "amount": "100000000000000000"}]
    crmkit.quota_frame(df.assign(stage=["a", "a"]), POLICY, {"group_by": ["owner"]}, big, AS_OF)
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.quota_frame(df.assign(stage=["a", "a"]), POLICY, {"group_by": ["owner"]}, big, AS_OF, money="units")
    assert caught.value.code == "overflow" and caught.value.path.endswith("].quota")


def test_money_units_of_an_empty_report():
    out = crmkit.quota_frame(frame(book(0)), POLICY, {"group_by": ["owner"]}, [], AS_OF, amount="cents", expected_close_on="close", money="units")
    assert len(out) == 0
    assert list(out.columns) == ["owner", *_LINE_COLUMNS]
    assert (out["owner"].dtype, out["won_amount"].dtype, out["quota"].dtype) == (np.int64, np.int64, "Int64")


def test_quotas_as_columns_give_the_records_frame():
    rows = book(300, seed=9)
    df = frame(rows)
    kwargs = {"amount": "cents", "amount_scale": 2, "expected_close_on": "close"}
    quota = {"group_by": ["team", "owner"], "period": "quarter"}
    owners, teams, periods = [7, 11, 13, 7], ["east", "west", "east", None], ["2026-Q3", "2026-Q4", "2026-Q4", "2026-Q4"]
    amounts = ["250000", "1.005", "0", "99"]
    records = [{"key": {"owner": str(o), **({"team": t} if t else {})}, "period": p, "amount": a}
               for o, t, p, a in zip(owners, teams, periods, amounts)][:3]
    want = crmkit.quota_frame(df, POLICY, quota, records, AS_OF, **kwargs)
    import decimal

    for quotas in (
        pd.DataFrame({"owner": np.array(owners[:3], dtype=np.int32), "team": teams[:3], "period": periods[:3], "amount": amounts[:3]}),
        {"owner": owners[:3], "team": teams[:3], "period": pd.Categorical(periods[:3]), "amount": [decimal.Decimal(a) for a in amounts[:3]]},
        pd.DataFrame({"owner": [str(o) for o in owners[:3]], "team": teams[:3], "period": periods[:3], "amount": amounts[:3]}),
    ):
        got = crmkit.quota_frame(df, POLICY, quota, quotas, AS_OF, **kwargs)
        _same_frame(got, want)
        assert got.attrs["report"] == want.attrs["report"]
    # Whole units as integers; the units frame from columns too.
    ints = pd.DataFrame({"owner": [7], "team": ["east"], "period": ["2026-Q4"], "amount": np.array([250000])})
    got = crmkit.quota_frame(df, POLICY, quota, ints, AS_OF, money="units", **kwargs)
    want = crmkit.quota_frame(df, POLICY, quota, [{"key": {"owner": "7", "team": "east"}, "period": "2026-Q4", "amount": "250000"}], AS_OF, money="units", **kwargs)
    pd.testing.assert_frame_equal(got, want)


def test_quotas_as_columns_are_refused_at_the_row():
    df = frame(book(50, seed=2))
    kwargs = {"amount": "cents", "amount_scale": 2, "expected_close_on": "close"}
    quota = {"group_by": ["owner"], "period": "quarter"}

    def refused(quotas):
        with pytest.raises(crmkit.CrmkitError) as caught:
            crmkit.quota_frame(df, POLICY, quota, quotas, AS_OF, **kwargs)
        return caught.value.code, caught.value.path

    good = {"owner": [7, 11], "period": ["2026-Q4", "2026-Q4"], "amount": ["1", "2"]}
    assert refused({k: v for k, v in good.items() if k != "period"}) == ("missing_field", "quotas.period")
    assert refused({**good, "amount": ["1", "-2"]}) == ("negative_amount", "quotas[1].amount")
    assert refused({**good, "amount": ["1", "2.x"]}) == ("invalid_decimal", "quotas[1].amount")
    assert refused({**good, "amount": [1.5, 2.0]}) == ("invalid_decimal", "quotas[0].amount")
    assert refused({**good, "amount": ["1", None]}) == ("invalid_type", "quotas[1].amount")
    assert refused({**good, "period": ["2026-Q4", "2026-13"]}) == ("invalid_value", "quotas[1].period")
    assert refused({**good, "period": ["2026-Q4", "2026-Q4"], "owner": [7, 7]}) == ("duplicate_name", "quotas[1].period")
    assert refused({**good, "owner": ["7", 1.5]}) == ("invalid_type", "quotas[1].key.owner")
    assert refused({**good, "owner": ["007", "11"]}) == ("invalid_value", "quotas[0].key.owner")
    assert refused({**good, "owner": [None, "11"]}) == ("invalid_value", "quotas[0].key")


def test_money_units_of_a_long_report_give_the_decimal_frames_text_columns():
    # 3,000 owners with a deal each: past the lines from which text columns are built from
    # Arrow buffers (when pandas makes str columns Arrow-backed).
    n = 3000
    df = pd.DataFrame({
        "stage": pd.Categorical(["a"] * n, categories=["a", "b", "won", "lost"]),
        "cents": np.arange(n, dtype=np.int64) * 100 + 5,
        "owner": [f"rep{k:04d}" for k in range(n)],
        "team": ["east"] * n,
        "close": pd.to_datetime([AS_OF + datetime.timedelta(days=k % 90) for k in range(n)]),
    })
    quota = {"group_by": ["owner"], "period": "month"}
    quotas = {"owner": [f"rep{k:04d}" for k in range(0, n, 3)], "period": ["2026-12"] * len(range(0, n, 3)), "amount": ["1000"] * len(range(0, n, 3))}
    kwargs = {"amount": "cents", "amount_scale": 2, "expected_close_on": "close"}
    want = crmkit.quota_frame(df, POLICY, quota, quotas, AS_OF, **kwargs)
    got = crmkit.quota_frame(df, POLICY, quota, quotas, AS_OF, money="units", **kwargs)
    assert len(got) >= 3000
    for name in ["owner", "period", "first_month", "last_month"]:
        pd.testing.assert_series_equal(got[name], want[name], check_exact=True)
    assert _units_match(got["quota"], want["quota"].tolist(), 2) is None
