"""`forecast_frame` over Arrow data (pyarrow, polars, Arrow-backed pandas) gives what
`forecast` gives over dicts, in the caller's library, with decimal128 money."""

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

AS_OF = datetime.date(2026, 11, 23)
STAGES = ["lead", "qualified", "proposal", "won", "lost"]
POLICY = {
    "stages": [
        {"name": "lead", "conversion": "0.3", "duration": "30"},
        {"name": "qualified", "conversion": "0.5", "duration": "20"},
        {"name": "proposal", "conversion": "0.85", "duration": "45"},
        {"name": "won", "kind": "won"},
        {"name": "lost", "kind": "lost"},
    ],
    "duration_unit": "days",
    "placement": "actual",
    "undated": "half_elapsed",
    "group_by": ["owner"],
}


def make(n=300, seed=11):
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        rows.append(
            {
                "stage": rng.choice(STAGES),
                "cents": rng.randrange(0, 50_000_000),
                "owner": rng.choice(["rep01", "rep02", "rep03"]),
                "entered": AS_OF - datetime.timedelta(days=rng.randrange(0, 200)) if rng.random() < 0.9 else None,
            }
        )
    return rows


ROWS = make()


def expected():
    deals = []
    for i, r in enumerate(ROWS):
        deal = {"id": str(i), "stage": r["stage"], "amount": Decimal(r["cents"]).scaleb(-2), "owner": r["owner"]}
        if r["entered"] is not None:
            deal["entered_stage_on"] = r["entered"]
        deals.append(deal)
    report = crmkit.forecast(POLICY, deals, AS_OF)
    return [(g["key"]["owner"], m["month"], m["deals"], m["amount"], m["weighted"]) for g in report["groups"] for m in g["months"]], report


def arrow_table(amount="decimal", stage="dictionary", dates="date32"):
    cents = [r["cents"] for r in ROWS]
    amounts = {
        "decimal": pa.array([Decimal(c).scaleb(-2) for c in cents], pa.decimal128(18, 2)),
        "int": pa.array(cents, pa.int64()),
        "float": pa.array([c / 100 for c in cents], pa.float64()),
        "string": pa.array([str(Decimal(c).scaleb(-2)) for c in cents], pa.string()),
    }[amount]
    stages = pa.array([r["stage"] for r in ROWS], pa.string())
    entered = [r["entered"] for r in ROWS]
    date_column = {
        "date32": pa.array(entered, pa.date32()),
        "timestamp": pa.array([None if d is None else datetime.datetime(d.year, d.month, d.day) for d in entered], pa.timestamp("us")),
        "string": pa.array([None if d is None else d.isoformat() for d in entered], pa.string()),
    }[dates]
    return pa.table(
        {
            "stage": stages.dictionary_encode() if stage == "dictionary" else stages,
            "amount": amounts,
            "owner": pa.array([r["owner"] for r in ROWS]),
            "entered": date_column,
        }
    )


def rows_of(table):
    t = table if isinstance(table, pa.Table) else pa.table(table)
    cols = t.to_pydict()
    return list(zip(cols["owner"], cols["month"], cols["deals"], cols["amount"], cols["weighted"]))


def run(data, cents=False, **kw):
    # Integer amounts are whole units unless the caller declares minor units (cents: 2).
    return crmkit.forecast_frame(data, POLICY, AS_OF, entered_stage_on="entered", amount_scale=2 if cents else None, **kw)


@pytest.mark.parametrize(
    ("amount", "stage", "dates"),
    [("decimal", "dictionary", "date32"), ("int", "string", "timestamp"), ("float", "dictionary", "string"), ("string", "string", "date32")],
)
def test_pyarrow_table_in_arrow_table_out(amount, stage, dates):
    want, report = expected()
    out = run(arrow_table(amount, stage, dates), cents=amount == "int")
    assert isinstance(out, pa.Table)
    assert out.schema.field("amount").type == pa.decimal128(38, 2)
    assert out.schema.field("weighted").type == pa.decimal128(38, 2)
    assert rows_of(out) == want
    totals = json.loads(out.schema.metadata[b"crmkit.totals"])
    assert totals["open"]["weighted"] == str(report["totals"]["open"]["weighted"])


def test_record_batch_and_stream_inputs():
    want, _ = expected()
    table = arrow_table()
    (batch,) = table.combine_chunks().to_batches()
    assert isinstance(batch, pa.RecordBatch)
    assert rows_of(run(batch)) == want
    chunked = pa.Table.from_batches(table.to_batches(max_chunksize=70))  # several chunks per column
    assert rows_of(run(pa.RecordBatchReader.from_batches(chunked.schema, chunked.to_batches()))) == want


def test_polars_in_polars_out():
    want, _ = expected()
    df = pl.from_arrow(arrow_table()).with_columns(pl.col("stage").cast(pl.Categorical))
    out = run(df)
    assert isinstance(out, pl.DataFrame)
    assert out.schema["amount"] == pl.Decimal(38, 2)
    assert rows_of(out.to_arrow()) == want
    # Integer cents and a string stage column, as polars users often hold them.
    df = pl.DataFrame({"stage": [r["stage"] for r in ROWS], "amount": [r["cents"] for r in ROWS], "owner": [r["owner"] for r in ROWS], "entered": [r["entered"] for r in ROWS]})
    assert rows_of(run(df, cents=True).to_arrow()) == want


def test_pandas_with_arrow_dtypes_in_pandas_out():
    want, _ = expected()
    df = arrow_table().to_pandas(types_mapper=pd.ArrowDtype)
    out = run(df)
    assert isinstance(out, pd.DataFrame)
    assert out["weighted"].dtype == pd.ArrowDtype(pa.decimal128(38, 2))
    assert rows_of(pa.Table.from_pandas(out, preserve_index=False)) == want


def test_the_caller_table_is_not_changed():
    table = arrow_table()
    before = table.to_pydict()
    run(table)
    assert table.to_pydict() == before


@pytest.mark.parametrize(
    ("patch", "code", "path"),
    [
        ({"amount": pa.array([None] + [Decimal(1)] * (len(ROWS) - 1), pa.decimal128(18, 2))}, "invalid_type", "amount[0]"),
        ({"amount": pa.array([1.5, float("nan")] + [1.0] * (len(ROWS) - 2))}, "invalid_type", "amount[1]"),
        ({"entered": pa.array([datetime.datetime(2026, 1, 2), datetime.datetime(2026, 1, 2, 15, 30)] + [None] * (len(ROWS) - 2), pa.timestamp("us"))}, "invalid_date", "entered_stage_on[1]"),
        ({"amount": pa.array([-5] + [1] * (len(ROWS) - 1), pa.int64())}, "negative_amount", "amount[0]"),
        ({"entered": pa.array(["2026-01-02", "02/01/2026"] + [None] * (len(ROWS) - 2))}, "invalid_date", "entered_stage_on[1]"),
        ({"stage": pa.array(["lead", "negotiation"] + ["lead"] * (len(ROWS) - 2))}, "unknown_stage", "stage[1]"),
        ({"amount": pa.array([True] * len(ROWS))}, "invalid_decimal", "amount[0]"),
    ],
)
def test_errors_name_the_row(patch, code, path):
    table = arrow_table()
    for name, column in patch.items():
        table = table.set_column(table.column_names.index(name), name, column)
    with pytest.raises(crmkit.CrmkitError) as e:
        run(table)
    assert (e.value.code, e.value.path) == (code, path)


def test_missing_column_and_non_tabular_input():
    with pytest.raises(crmkit.CrmkitError) as e:
        run(arrow_table().drop_columns(["entered"]))
    assert (e.value.code, e.value.path) == ("missing_field", "entered")
    with pytest.raises(crmkit.CrmkitError) as e:
        crmkit.forecast_frame(pa.array([1, 2]), POLICY, AS_OF)
    assert e.value.code == "invalid_type"


def test_decimal128_beyond_64_bits_stays_exact():
    big = Decimal("12345678901234567890.12")  # more than 2**63 cents
    table = pa.table({"stage": ["won", "won"], "amount": pa.array([big, Decimal("0.01")], pa.decimal128(38, 2))})
    out = crmkit.forecast_frame(table, {**POLICY, "group_by": [], "placement": "half_elapsed"}, AS_OF)
    totals = json.loads(out.schema.metadata[b"crmkit.totals"])
    assert totals["won"]["amount"] == "12345678901234567890.13"


@pytest.mark.parametrize("library", ["pyarrow", "polars"])
def test_per_deal_probability_and_category_from_arrow(library):
    rng = random.Random(3)
    probs = [rng.choice([None, "0.35", "0.9", "0.125"]) if r["stage"] not in ("won", "lost") else None for r in ROWS]
    cats = [rng.choice([None, "commit", "best_case"]) if r["stage"] not in ("won", "lost") else None for r in ROWS]
    deals = []
    for i, (r, p, c) in enumerate(zip(ROWS, probs, cats)):
        deal = {"id": str(i), "stage": r["stage"], "amount": Decimal(r["cents"]).scaleb(-2), "owner": r["owner"]}
        if r["entered"] is not None:
            deal["entered_stage_on"] = r["entered"]
        if p is not None:
            deal["probability"] = p
        if c is not None:
            deal["category"] = c
        deals.append(deal)
    report = crmkit.forecast(POLICY, deals, AS_OF)
    table = arrow_table().append_column("p", pa.array([None if p is None else Decimal(p) for p in probs], pa.decimal128(6, 3)))
    table = table.append_column("cat", pa.array(cats, pa.string()))
    data = table if library == "pyarrow" else pl.from_arrow(table)
    out = run(data, probability="p", category="cat")
    want = [(g["key"]["owner"], m["month"], m["deals"], m["amount"], m["weighted"]) for g in report["groups"] for m in g["months"]]
    assert rows_of(out) == want


@pytest.mark.parametrize("library", ["pyarrow", "polars"])
def test_money_as_units_from_arrow(library):
    want, _ = expected()
    data = arrow_table() if library == "pyarrow" else pl.from_arrow(arrow_table())
    out = run(data, money="units")
    table = out if isinstance(out, pa.Table) else out.to_arrow()
    assert table.schema.field("amount").type == pa.int64() and table.schema.field("weighted").type == pa.int64()
    got = [(o, m, n, Decimal(a).scaleb(-2), Decimal(w).scaleb(-2)) for o, m, n, a, w in rows_of(table)]
    assert got == want
    if library == "pyarrow":
        assert out.schema.metadata[b"crmkit.money_scale"] == b"2"


def test_horizon_dense_and_last_activity_from_arrow():
    pol = {**POLICY, "horizon_months": 2, "dense": True,
           "stages": [dict(s, idle_after=30) if "conversion" in s else s for s in POLICY["stages"]]}
    activity = [AS_OF - datetime.timedelta(days=(7 * i) % 90) if i % 3 else None for i in range(len(ROWS))]
    deals = []
    for i, r in enumerate(ROWS):
        deal = {"id": str(i), "stage": r["stage"], "amount": Decimal(r["cents"]).scaleb(-2), "owner": r["owner"]}
        if r["entered"] is not None:
            deal["entered_stage_on"] = r["entered"]
        if activity[i] is not None:
            deal["last_activity_on"] = activity[i]
        deals.append(deal)
    report = crmkit.forecast(pol, deals, AS_OF)
    table = arrow_table().append_column("active", pa.array(activity, pa.date32()))
    out = crmkit.forecast_frame(table, pol, AS_OF, entered_stage_on="entered", last_activity_on="active")
    want = [(g["key"]["owner"], m["month"], m["deals"], m["amount"], m["weighted"]) for g in report["groups"] for m in g["months"]]
    assert rows_of(out) == want and len(want) == 3 * 2
    totals = json.loads(out.schema.metadata[b"crmkit.totals"])
    assert totals["idle"]["deals"] == report["totals"]["idle"]["deals"] > 0
    assert totals["beyond_horizon"]["weighted"] == str(report["totals"]["beyond_horizon"]["weighted"])
