"""`score_frame`, `evaluate_pool_frame` and `attribution_frame` over Arrow data (pyarrow,
polars, Arrow-backed pandas, DuckDB results) give what their pandas paths give, in the
caller's library; DuckDB reads crmkit's Arrow output back with decimal money."""

from __future__ import annotations

import datetime
import json
import random
from decimal import Decimal

import pytest

import crmkit

pa = pytest.importorskip("pyarrow")
pl = pytest.importorskip("polars")
pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")

from test_roi import BOOK, JOURNEYS, _frame  # noqa: E402
from test_scoring import AS_OF, POLICY  # noqa: E402


# --- scoring ---------------------------------------------------------------------------


def leads(n=60, seed=3):
    rng = random.Random(seed)
    df = pd.DataFrame(
        {
            "industry": pd.Categorical([rng.choice(["制造", "教育", None]) for _ in range(n)]),
            "revenue": [rng.choice([None, 10.0, 999_999.0, 1_000_000.0, 2_500_000.5]) for _ in range(n)],
            "region": [rng.choice(["华东", "华北", None]) for _ in range(n)],
            "last_seen_on": pd.to_datetime([rng.choice([None, "2026-11-20", "2026-10-01"]) for _ in range(n)]),
        },
        index=[f"r{i}" for i in range(n)],
    )
    events = pd.DataFrame(
        [(rng.randrange(n), rng.choice(["visit_pricing", "open_mail"]), AS_OF - datetime.timedelta(days=rng.randrange(90))) for _ in range(3 * n)],
        columns=["lead", "type", "on"],
    )
    events["on"] = pd.to_datetime(events["on"])
    return df, events


def plain(frame):
    """Rows as tuples of plain values (NaN/None/NA as None), whatever the library."""
    if isinstance(frame, pa.Table):
        frame = frame.to_pandas()
    elif isinstance(frame, pl.DataFrame):
        frame = frame.to_pandas()
    frame = frame.astype(object)
    return [tuple(None if pd.isna(v) else v for v in row) for row in frame.itertuples(index=False)]


def test_score_frame_reads_pyarrow_polars_and_arrow_pandas():
    df, events = leads()
    want = crmkit.score_frame(df, POLICY, AS_OF, events=events)
    table, ev = pa.Table.from_pandas(df, preserve_index=False), pa.Table.from_pandas(events, preserve_index=False)
    got = crmkit.score_frame(table, POLICY, AS_OF, events=ev)
    assert isinstance(got, pa.Table) and pa.types.is_dictionary(got.schema.field("grade").type)
    assert plain(got) == plain(want)
    polars = crmkit.score_frame(pl.from_arrow(table), POLICY, AS_OF, events=pl.from_arrow(ev))
    assert isinstance(polars, pl.DataFrame) and plain(polars) == plain(want)
    arrow_pandas = df.convert_dtypes(dtype_backend="pyarrow")
    mixed = crmkit.score_frame(arrow_pandas, POLICY, AS_OF, events=events)  # Arrow leads, numpy events
    assert isinstance(mixed, pd.DataFrame) and list(mixed.index) == list(df.index) and plain(mixed) == plain(want)
    # decimal128 is a number, read as such
    dec = table.set_column(1, "revenue", pa.array([None if v is None or v != v else Decimal(str(v)) for v in df["revenue"]], pa.decimal128(12, 2)))
    assert plain(crmkit.score_frame(dec, POLICY, AS_OF, events=ev)) == plain(want)


def test_score_frame_arrow_errors():
    df, events = leads(5)
    table = pa.Table.from_pandas(df, preserve_index=False)
    with pytest.raises(crmkit.CrmkitError) as e:
        crmkit.score_frame(table.set_column(1, "revenue", pa.array(["a"] * 5)), POLICY, AS_OF)
    assert (e.value.code, e.value.path) == ("invalid_type", "columns.revenue")
    timed = pa.array([datetime.datetime(2026, 11, 1, 9, 30)] * 5, pa.timestamp("us"))
    with pytest.raises(crmkit.CrmkitError) as e:
        crmkit.score_frame(table.set_column(3, "last_seen_on", timed), POLICY, AS_OF)
    assert (e.value.code, e.value.path) == ("invalid_date", "last_seen_on[0]")
    with pytest.raises(crmkit.CrmkitError) as e:
        crmkit.score_frame(table, POLICY, AS_OF, events=pa.table({"lead": pa.array([0.5]), "type": ["x"], "on": pa.array([AS_OF])}))
    assert (e.value.code, e.value.path) == ("invalid_type", "lead")


# --- public pool -----------------------------------------------------------------------

POOL = {
    "time_zone": "Asia/Shanghai",
    "pools": [{"id": "all", "scope": {"everyone": True}, "warn_before": 3, "follow_up": {"types": ["call"]},
               "rules": [{"id": "30d", "kind": "no_follow_up", "limit": 30}]}],
}  # fmt: skip


def pool_frames(n=40, seed=9):
    rng = random.Random(seed)
    start = pd.Timestamp("2026-08-01T00:00:00+08:00")
    records = pd.DataFrame(
        {
            "owner": pd.Categorical([rng.choice(["wang", "li", "zhao"]) for _ in range(n)]),
            "claimed_at": [start + pd.Timedelta(hours=rng.randrange(24 * 80)) for _ in range(n)],
            "level": [rng.choice(["A", "B"]) for _ in range(n)],
            "locked": [rng.random() < 0.1 for _ in range(n)],
        }
    )
    records["claimed_at"] = pd.to_datetime(records["claimed_at"], utc=True)
    m = 2 * n
    activities = pd.DataFrame(
        {
            "record": [rng.randrange(n) for _ in range(m)],
            "at": pd.to_datetime([start + pd.Timedelta(hours=rng.randrange(24 * 90)) for _ in range(m)], utc=True),
            "type": pd.Categorical([rng.choice(["call", "note"]) for _ in range(m)]),
            "actor": [rng.choice(["wang", "li", "zhao"]) for _ in range(m)],
        }
    )
    return records, activities


def test_evaluate_pool_frame_reads_arrow():
    records, activities = pool_frames()
    want = crmkit.evaluate_pool_frame(records, activities, POOL, "2026-11-01")
    r, a = pa.Table.from_pandas(records), pa.Table.from_pandas(activities)
    got = crmkit.evaluate_pool_frame(r, a, POOL, "2026-11-01")
    assert isinstance(got, pa.Table) and plain(got) == plain(want)
    assert json.loads(got.schema.metadata[b"crmkit.totals"]) == want.attrs["totals"]
    polars = crmkit.evaluate_pool_frame(pl.from_arrow(r), pl.from_arrow(a), POOL, "2026-11-01")
    assert isinstance(polars, pl.DataFrame) and plain(polars) == plain(want)
    ms = r.set_column(1, "claimed_at", r.column("claimed_at").cast(pa.timestamp("ms", tz="UTC")).cast(pa.int64()))
    assert plain(crmkit.evaluate_pool_frame(ms, a, POOL, "2026-11-01")) == plain(want)  # int64 ms
    naive = r.set_column(1, "claimed_at", r.column("claimed_at").cast(pa.timestamp("us")))
    with pytest.raises(crmkit.CrmkitError) as e:
        crmkit.evaluate_pool_frame(naive, a, POOL, "2026-11-01")
    assert (e.value.code, e.value.path) == ("invalid_date", "claimed_at[0]")


# --- attribution -----------------------------------------------------------------------


@pytest.mark.parametrize("model", [{"kind": "linear"}, {"kind": "w_shaped"}, {"kind": "markov"}])
def test_attribution_frame_reads_arrow(model):
    df = _frame(BOOK + [JOURNEYS[0]])
    want = crmkit.attribution_frame(df, {"model": model}, milestone="milestone")
    table = pa.Table.from_pandas(df, preserve_index=False)
    got = crmkit.attribution_frame(table, {"model": model}, milestone="milestone")
    assert got.schema.field("credit").type == pa.decimal128(38, 2)
    assert plain(got) == plain(want)
    assert json.loads(got.schema.metadata[b"crmkit.total"]) == str(want.attrs["total"])
    assert plain(crmkit.attribution_frame(pl.from_arrow(table), {"model": model}, milestone="milestone")) == plain(want)
    # decimal128 revenue: exact, at its own scale
    revenue = pa.array([None if v != v else Decimal(f"{v:.2f}") for v in df["revenue"]], pa.decimal128(18, 2))
    dec = table.set_column(table.schema.get_field_index("revenue"), "revenue", revenue)
    assert plain(crmkit.attribution_frame(dec, {"model": model}, milestone="milestone")) == plain(want)


def test_compare_attribution_frame_reads_arrow():
    df = _frame(BOOK + [JOURNEYS[0]])
    policy = {"models": [{"kind": "linear"}, {"kind": "w_shaped"}, {"kind": "markov"}]}
    want = crmkit.compare_attribution_frame(df, policy, milestone="milestone")
    table = pa.Table.from_pandas(df, preserve_index=False)
    got = crmkit.compare_attribution_frame(table, policy, milestone="milestone")
    assert isinstance(got, pa.Table) and got.column_names == ["channel", "group", "linear", "w_shaped", "markov"]
    assert got.schema.field("linear").type == pa.decimal128(38, 2)
    assert plain(got) == plain(want.reset_index())
    assert json.loads(got.schema.metadata[b"crmkit.total"]) == str(want.attrs["total"])
    assert json.loads(got.schema.metadata[b"crmkit.models"]) == ["linear", "w_shaped", "markov"]
    polars = crmkit.compare_attribution_frame(pl.from_arrow(table), policy, milestone="milestone")
    assert isinstance(polars, pl.DataFrame) and plain(polars) == plain(want.reset_index())
    bad = table.set_column(table.schema.get_field_index("channel"), "channel", pa.array(["radio"] + table.column("channel").to_pylist()[1:]))
    with pytest.raises(crmkit.CrmkitError) as e:
        crmkit.compare_attribution_frame(bad, policy)
    assert e.value.code == "unknown_channel"


def test_attribution_frame_arrow_errors():
    table = pa.Table.from_pandas(_frame(BOOK), preserve_index=False)
    bad = table.set_column(table.schema.get_field_index("milestone"), "milestone", pa.array([None, "won"] + [None] * (len(table) - 2)))
    with pytest.raises(crmkit.CrmkitError) as e:
        crmkit.attribution_frame(bad, {"model": {"kind": "linear"}}, milestone="milestone")
    assert (e.value.code, e.value.path) == ("invalid_value", "milestone[1]")
    bad = table.set_column(table.schema.get_field_index("revenue"), "revenue", pa.array([True] * len(table)))
    with pytest.raises(crmkit.CrmkitError) as e:
        crmkit.attribution_frame(bad, {"model": {"kind": "linear"}})
    assert (e.value.code, e.value.path) == ("invalid_decimal", "revenue[0]")


# --- DuckDB ----------------------------------------------------------------------------


def test_duckdb_results_in_and_arrow_out():
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    con.execute(
        """create table deals as select
             ['lead', 'qualified', 'proposal', 'won', 'lost'][1 + (i % 5)] as stage,
             (1000 + i * 37)::decimal(18, 2) as amount,
             'rep' || (i % 3) as owner,
             date '2026-11-23' - (i % 90)::integer as entered
           from range(500) t(i)"""
    )
    policy = {**json.loads(json.dumps(_forecast_policy())), "group_by": ["owner"]}
    frame = con.sql("select * from deals").df()
    want = crmkit.forecast_frame(frame.assign(entered=pd.to_datetime(frame["entered"])), policy, AS_OF, entered_stage_on="entered")
    # A DuckDB relation speaks the Arrow PyCapsule interface: read without a Python object per row.
    got = crmkit.forecast_frame(con.sql("select * from deals"), policy, AS_OF, entered_stage_on="entered")
    assert isinstance(got, pa.Table) and got.schema.field("weighted").type == pa.decimal128(38, 2)
    assert plain(got) == plain(want)
    # ...and DuckDB queries crmkit's Arrow output in place, money still exact decimals.
    lines = got  # noqa: F841  (DuckDB finds the local by name)
    total = con.sql("select sum(weighted) as w, typeof(sum(weighted)) as t from lines").fetchall()[0]
    assert total[0] == sum(want["weighted"]) and total[1].startswith("DECIMAL")
    # score_frame on a DuckDB result, too
    df, events = leads(20)
    con.register("leads_t", pa.Table.from_pandas(df, preserve_index=False))
    con.execute("create table leads as select * from leads_t")
    scored = crmkit.score_frame(con.sql("select * from leads"), POLICY, AS_OF)
    assert plain(scored) == plain(crmkit.score_frame(df, POLICY, AS_OF))


def _forecast_policy():
    return {
        "stages": [
            {"name": "lead", "conversion": "0.3", "duration": "30"},
            {"name": "qualified", "conversion": "0.5", "duration": "20"},
            {"name": "proposal", "conversion": "0.85", "duration": "45"},
            {"name": "won", "kind": "won"},
            {"name": "lost", "kind": "lost"},
        ],
        "duration_unit": "days",
        "placement": "actual",
    }


@pytest.mark.parametrize("kind", ["decimal", "string", "int"])
def test_attribution_frame_arrow_unread_revenue_as_pandas(kind):
    # One rule in both paths: nulls the core never reads are no error, a null it reads is.
    from test_roi import _decimal_frame

    df = _decimal_frame(BOOK + [JOURNEYS[0]], True)
    cells = list(df["revenue"])
    if kind == "int":
        cells = [None if v is None else int(v) for v in cells]
        df = df.assign(revenue=pd.array(cells, dtype="Int64"))
        arr = pa.array(cells, pa.int64())
    elif kind == "string":
        cells = [None if v is None else str(v) for v in cells]
        df = df.assign(revenue=pd.Series(cells, dtype=object))
        arr = pa.array(cells, pa.string())
    else:
        arr = pa.array(cells, pa.decimal128(18, 2))
    table = pa.Table.from_pandas(df.drop(columns="revenue"), preserve_index=False).append_column("revenue", arr)
    want = crmkit.attribution_frame(df, {"model": {"kind": "linear"}})
    assert [str(c) for c in crmkit.attribution_frame(table, {"model": {"kind": "linear"}}).column("credit").to_pylist()] == [str(c) for c in want["credit"]]
    read = [None if i == 3 else v for i, v in enumerate(cells)]  # row 3: b1's first row
    for bad in (table.set_column(table.schema.get_field_index("revenue"), "revenue", pa.array(read, arr.type)), df.assign(revenue=pd.Series(read, dtype=object))):
        with pytest.raises(crmkit.CrmkitError) as e:
            crmkit.attribution_frame(bad, {"model": {"kind": "linear"}})
        assert (e.value.code, e.value.path) == ("invalid_type", "revenue[3]")


# --- payment interest and collections ----------------------------------------------------


def batch_frames(n=40, seed=11):
    rng = random.Random(seed)
    start = datetime.date(2026, 1, 1)
    invoice = [start + datetime.timedelta(days=rng.randrange(110)) for _ in range(n)]
    batches = pd.DataFrame(
        {
            "customer": [rng.choice(["acme", "globex", "initech"]) for _ in range(n)],
            "invoice_on": pd.to_datetime(invoice),
            "due_on": pd.to_datetime([d + datetime.timedelta(days=rng.choice([30, 60])) for d in invoice]),
            "amount": [rng.randrange(1, 500) * 1000 for _ in range(n)],
        }
    )
    amounts = list(batches["amount"])
    pays = [(b, invoice[b] + datetime.timedelta(days=rng.randrange(1, 60)), amounts[b] // rng.choice([1, 2, 4])) for b in range(n) if rng.random() < 0.7]
    payments = pd.DataFrame({"batch": [p[0] for p in pays], "on": pd.to_datetime([p[1] for p in pays]), "amount": [p[2] for p in pays]})
    return batches, payments


def test_payment_interest_and_collections_frames_read_arrow():
    batches, payments = batch_frames()
    policy = {"late_rate": "0.18", "early_rate": "0.05", "day_count": "actual_365"}
    b, p = pa.Table.from_pandas(batches), pa.Table.from_pandas(payments)
    want = crmkit.payment_interest_frame(batches, payments, policy, "2026-06-30")
    got = crmkit.payment_interest_frame(b, p, policy, "2026-06-30")
    assert isinstance(got, pa.Table) and plain(got) == plain(want)
    polars = crmkit.payment_interest_frame(pl.from_arrow(b), pl.from_arrow(p), policy, "2026-06-30")
    assert isinstance(polars, pl.DataFrame) and plain(polars) == plain(want)
    aging = {}
    want = crmkit.collections_frame(batches, payments, aging, "2026-06-30")
    got = crmkit.collections_frame(b, p, aging, "2026-06-30")
    assert isinstance(got, pa.Table) and plain(got) == plain(want)
    polars = crmkit.collections_frame(pl.from_arrow(b), pl.from_arrow(p), aging, "2026-06-30")
    assert isinstance(polars, pl.DataFrame) and plain(polars) == plain(want)
    with pytest.raises(crmkit.CrmkitError) as e:
        crmkit.payment_interest_frame(b.drop_columns(["due_on"]), p, policy, "2026-06-30")
    assert (e.value.code, e.value.path) == ("missing_field", "due_on")
