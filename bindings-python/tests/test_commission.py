"""compute_commission from Python: the docstring example, stubs against real outputs, inputs
left alone, errors with code and path, Decimal and date inputs."""

from __future__ import annotations

import copy
import datetime
import doctest
from decimal import Decimal

import pytest

import crmkit
from crmkit import _commission
from test_stubs import stub

TIERS = [
    {"from": "0", "to": "50000", "rate": "0.02"},
    {"from": "50000", "to": "100000", "rate": "0.05"},
    {"from": "100000", "rate": "0.08"},
]


def test_docstring_example_runs():
    failures, tried = doctest.testmod(_commission, verbose=False)
    assert tried > 0 and failures == 0


def test_commission_frame_docstring_example_runs():
    pytest.importorskip("pandas")
    from crmkit import _commission_frame

    failures, tried = doctest.testmod(_commission_frame, verbose=False)
    assert tried > 0 and failures == 0


def test_report_keys_match_the_stub_typeddicts():
    dicts, literals = stub()
    plan = {"kind": "retroactive", "tiers": TIERS, "bounds": "upper_inclusive", "cap": "100000", "threshold": {"credit": "1"}}
    inp = {
        "reps": [{"rep": "a", "quota": "100000", "prior_credit": "1000", "prior_target_credit": "1000", "prior_paid": "20"}],
        "transactions": [
            {"id": "d1", "on": "2026-03-01", "amount": "60000", "splits": [{"rep": "a", "share": "1", "target_share": "1"}, {"rep": "o", "share": "0.1", "kind": "overlay"}]},
            {"id": "r1", "on": "2026-03-02", "kind": "refund", "amount": "100", "refers_to": "d1"},
        ],
    }
    report = crmkit.compute_commission(plan, inp, "2026-03-31")
    assert set(report) == dicts["CommissionReport"]
    assert set(report["totals"]) == dicts["CommissionTotals"]
    assert set(report["reps"][0]) == dicts["RepStatement"]
    assert set(report["credits"][0]) == dicts["CreditLine"]
    lines = [line for r in report["reps"] for line in r["lines"] + r["provisional_lines"]]
    assert all(set(line) == dicts["StatementLine"] for line in lines)
    assert {line["kind"] for line in lines} <= literals["LineKind"]
    assert {x for line in lines for x in line["reasons"]} <= literals["LineReason"]
    assert set(inp["reps"][0]) | {"draw", "draw_balance"} == dicts["RepInput"] and set(inp) == dicts["CommissionInput"]


def test_accrual_draw_and_spiff_inputs_match_the_stubs():
    dicts, literals = stub()
    plan = {"kind": "flat", "rate": "0.1", "accrual": "collection_and_delivery", "spiffs": [{"product": "p", "customer_type": "c", "min_amount": "1", "amount": "5"}]}
    sale = {"id": "d", "on": "2026-03-01", "amount": "100", "rep": "a", "product": "p", "customer_type": "c",
            "payments": [{"on": "2026-03-02", "amount": "100"}], "deliveries": [{"on": "2026-03-03", "amount": "50"}]}
    rep = {"rep": "a", "draw": {"amount": "1", "recoverable": False}, "draw_balance": "0"}
    assert set(plan["spiffs"][0]) == dicts["Spiff"] and set(rep["draw"]) == dicts["Draw"] and set(sale["payments"][0]) == dicts["Event"]
    assert plan["accrual"] in literals["Accrual"]
    report = crmkit.compute_commission(plan, {"reps": [rep], "transactions": [sale]}, "2026-03-31")
    statement = report["reps"][0]
    assert (statement["final"], statement["accrued"], statement["held"]) == (Decimal("10.00"), Decimal("15.00"), Decimal("5.00"))
    assert {line["kind"] for line in statement["lines"]} == {"spiff", "tier_slice"}


def test_plan_typeddicts_name_every_accepted_field():
    dicts, _ = stub()
    plan = {
        "kind": "graduated", "tiers": TIERS, "bounds": "upper_inclusive", "accelerators": [{"from_attainment": "1", "multiplier": "2"}],
        "threshold": {"attainment": "0.1"}, "cap": "9", "rates": [{"product": "p", "customer_type": "c", "multiplier": "2"}],
        "currency": "CNY", "rounding": {"dp": 2, "strategy": "half_up"},
    }
    assert set(plan) | {"rate", "curve", "accrual", "spiffs"} == dicts["CommissionPlan"]
    assert set(plan["accelerators"][0]) == dicts["Accelerator"] and set(plan["rates"][0]) | {"rate"} == dicts["RateRule"]
    sale = {"id": "d", "on": "2026-03-01", "kind": "sale", "amount": "1", "currency": "CNY", "product": "p", "customer_type": "c", "rep": "a"}
    assert set(sale) | {"splits", "refers_to", "deliveries", "payments", "original_rate"} == dicts["Transaction"]
    split = {"rep": "a", "weight": "1", "kind": "revenue", "target_share": "1"}
    assert set(split) | {"share"} == dicts["Split"]
    report = crmkit.compute_commission(plan, {"reps": [{"rep": "a", "quota": "10"}], "transactions": [sale]}, "2026-03-31")
    assert report["reps"][0]["final"] == Decimal("0.04")  # 1 x 2 % x rule 2


def test_inputs_are_not_changed_and_decimals_and_dates_are_taken():
    plan = {"kind": "flat", "rate": Decimal("0.1")}
    inp = {"transactions": [{"id": "d", "on": datetime.date(2026, 3, 1), "amount": Decimal("12.34"), "rep": "a"}]}
    before = copy.deepcopy((plan, inp))
    report = crmkit.compute_commission(plan, inp, datetime.date(2026, 3, 31))
    assert (plan, inp) == before
    assert report["reps"][0]["final"] == Decimal("1.23")


@pytest.mark.parametrize(
    ("plan", "code", "path"),
    [
        ({"kind": "graduated", "tiers": [{"from": "0", "to": "5", "rate": "0.1"}, {"from": "4", "rate": "0.2"}]}, "tier_overlap", "tiers[1].from"),
        ({"kind": "flat", "rate": 0.1}, "invalid_decimal", "rate"),
        ({"kind": "flat", "rate": "0.1", "typo": 1}, "unknown_field", "typo"),
    ],
)
def test_errors_carry_code_and_path(plan, code, path):
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.compute_commission(plan, {"transactions": []}, "2026-03-31")
    assert (caught.value.code, caught.value.path) == (code, path)


def test_interest_keys_match_the_stub_typeddicts():
    dicts, literals = stub()
    policy = {"early_rate": "0.06", "late_rate": "0.18", "day_count": "actual_actual", "grace_days": 2, "grace": "deducted", "currency": "CNY", "rounding": {"dp": 2}}
    batch = {"id": "b", "customer": "k", "invoice_on": "2026-01-01", "due_on": "2026-01-31", "amount": "100", "currency": "CNY",
             "payments": [{"on": "2026-01-21", "amount": "40"}]}
    assert set(policy) == dicts["InterestPolicy"] and set(batch) == dicts["Batch"] and set(batch["payments"][0]) == dicts["Payment"]
    report = crmkit.payment_interest(policy, [batch], "2026-03-31")
    assert set(report) == dicts["InterestReport"] and set(report["totals"]) == dicts["InterestTotals"]
    assert set(report["batches"][0]) == dicts["BatchInterest"]
    lines = report["batches"][0]["lines"]
    assert [line["kind"] for line in lines] == ["early_bonus", "accrued_penalty"]
    assert all(set(line) == dicts["InterestLine"] for line in lines)
    assert {line["kind"] for line in lines} <= literals["InterestKind"]
    assert isinstance(lines[0]["on"], datetime.date) and lines[0]["days"] == -10


def test_collections_and_discount_keys_match_the_stubs():
    dicts, literals = stub()
    policy = {"aging": [30], "levels": [{"name": "late", "days": 1}], "grace_days": 0, "dso_days": 30,
              "grades": [{"name": "A", "min_on_time_ratio": "0.9", "max_weighted_days_late": "3", "max_days_past_due": 10}], "fallback": "B", "rounding": {"dp": 2}}
    assert set(policy) == dicts["CollectionsPolicy"] and set(policy["grades"][0]) == dicts["Grade"] and set(policy["levels"][0]) == dicts["WarningLevel"]
    batch = {"id": "b", "customer": "c", "invoice_on": "2026-01-01", "due_on": "2026-01-31", "amount": "100", "payments": [{"on": "2026-02-10", "amount": "40"}]}
    report = crmkit.collections(policy, [batch], "2026-03-31")
    assert set(report) == dicts["CollectionsReport"] and set(report["dso"]) == dicts["Dso"]
    assert set(report["batches"][0]) == dicts["OpenItem"] and set(report["aging"][0]) == dicts["AgingLine"]
    assert set(report["customers"][0]) == dicts["CustomerLine"]
    assert set(report["batches"][0]["reasons"]) <= literals["CollectionReason"]
    assert report["customers"][0]["grade"] == "B" and report["batches"][0]["level"] == "late"
    route = crmkit.route_discount({"bands": [{"below": "0.9", "approvers": ["m"]}], "floor": "0.1"}, {"list_price": "10", "price": Decimal("8")})
    assert set(route) == dicts["DiscountRoute"] and set(route["steps"][0]) == dicts["ApprovalStep"]
    assert route["decision"] in literals["Decision"]


def _book() -> tuple[list[dict], "object"]:
    import pandas as pd

    rows = [("a", "2026-03-20", "10000", True), ("b", "2026-03-05", "5000", False), ("a", "2026-03-01", "40000", False),
            ("a", "2026-03-20", "30000", False), ("c", "2026-03-07", "123.45", False)]
    transactions = [
        {"id": str(i), "rep": r, "on": on, "amount": a, "kind": "refund" if refund else "sale"}
        for i, (r, on, a, refund) in enumerate(rows)
    ]
    df = pd.DataFrame({"rep": pd.Categorical([r[0] for r in rows]), "on": pd.to_datetime([r[1] for r in rows]),
                       "amount": [int(Decimal(r[2]) * 100) for r in rows], "refund": [r[3] for r in rows]})
    return transactions, df


def test_commission_frame_gives_the_records_statements():
    plan = {"kind": "retroactive", "bounds": "upper_inclusive", "tiers": TIERS, "cap": "3000"}
    reps = [{"rep": "a", "prior_credit": "20000", "prior_paid": "400"}]
    transactions, df = _book()
    report = crmkit.compute_commission(plan, {"reps": reps, "transactions": transactions}, "2026-03-31")
    frame, lines = crmkit.commission_frame(df, plan, "2026-03-31", reps=reps, refund="refund", amount_scale=2, statements=True)
    assert frame.index.equals(df.index) and frame["final_units"].dtype == "int64"
    for rep, mine in zip(report["reps"], frame.attrs["reps"]):
        assert {k: v for k, v in rep.items() if not k.endswith("lines")} == {k: v for k, v in mine.items() if not k.endswith("lines")}
        for statement, key in (("final", "lines"), ("provisional", "provisional_lines")):
            got = lines[(lines["rep"] == rep["rep"]) & (lines["statement"] == statement)]
            assert [Decimal(int(u)).scaleb(-2) for u in got["amount_units"]] == [line["amount"] for line in rep[key]]
            assert got["kind"].tolist() == [line["kind"] for line in rep[key]]
    by_row = {int(line["transaction"]): line["amount"] for rep in report["reps"] for line in rep["lines"] if line["transaction"]}
    assert frame["final_units"].tolist()[1] == int(by_row[1] * 100)
    assert frame.attrs["totals"] == report["totals"]
    alone = crmkit.commission_frame(df, plan, "2026-03-31", reps=reps, refund="refund", amount_scale=2)
    assert alone["final_units"].tolist() == frame["final_units"].tolist()


def test_a_whole_yuan_plan_tiers_the_credit_as_written_records_and_frames():
    """A whole-yuan plan pays whole yuan, but its tiers read the credit as written: 49,999.99
    stays below a [50,000, ∞) tier at 5 % (it was credited as 50,000 and paid 2,500 instead of
    1,000), in `compute_commission` and in `commission_frame` whether the amounts come as
    cents, floats (read to cents at least) or Decimals."""
    import pandas as pd

    plan = {"kind": "retroactive", "bounds": "lower_inclusive", "rounding": {"dp": 0},
            "tiers": [{"from": "0", "to": "50000", "rate": "0.02"}, {"from": "50000", "rate": "0.05"}]}
    sale = {"id": "0", "on": "2026-03-10", "amount": "49999.99", "rep": "wang"}
    report = crmkit.compute_commission(plan, {"transactions": [sale]}, "2026-03-31")
    rep = report["reps"][0]
    assert (rep["tier"], rep["final"], rep["credit"], rep["running_credit"]) == (0, Decimal("1000"), Decimal("49999.99"), Decimal("49999.99"))
    assert [(ln["base"], ln["rate"], ln["exact"], ln["amount"]) for ln in rep["lines"]] == [(Decimal("49999.99"), Decimal("0.02"), Decimal("999.9998"), Decimal("1000"))]
    when = pd.to_datetime(["2026-03-10"])
    for amount, scale in (([4999999], 2), ([49999.99], None), ([Decimal("49999.99")], None)):
        df = pd.DataFrame({"rep": ["wang"], "on": when, "amount": amount})
        frame, lines = crmkit.commission_frame(df, plan, "2026-03-31", amount_scale=scale, statements=True)
        assert frame["final_units"].tolist() == [1000], amount
        assert frame.attrs["credit_scale"] == 2 and lines["base_units"].tolist() == [4999999] * 2, amount  # final, provisional
        assert frame.attrs["reps"][0]["running_credit"] == Decimal("49999.99")


def test_commission_frame_reads_arrow_the_same():
    pa = pytest.importorskip("pyarrow")
    plan = {"kind": "graduated", "tiers": TIERS}
    _, df = _book()
    table = pa.table({"rep": df["rep"].astype(str).tolist(), "on": pa.array(df["on"].dt.date.tolist(), pa.date32()),
                      "amount": df["amount"].tolist(), "refund": df["refund"].tolist()})
    from_pandas = crmkit.commission_frame(df, plan, "2026-03-31", refund="refund", amount_scale=2)
    from_arrow = crmkit.commission_frame(table, plan, "2026-03-31", refund="refund", amount_scale=2)
    assert from_arrow.column("final_units").to_pylist() == from_pandas["final_units"].tolist()
    pl = pytest.importorskip("polars")
    from_polars = crmkit.commission_frame(pl.from_arrow(table), plan, "2026-03-31", refund="refund", amount_scale=2)
    assert from_polars["final_units"].to_list() == from_pandas["final_units"].tolist()
    # The statement lines too (they once raised NotImplementedError on Arrow input).
    _, pandas_lines = crmkit.commission_frame(df, plan, "2026-03-31", refund="refund", amount_scale=2, statements=True)
    _, arrow_lines = crmkit.commission_frame(table, plan, "2026-03-31", refund="refund", amount_scale=2, statements=True)
    assert arrow_lines.num_rows == len(pandas_lines) > 0
    for name in ("statement", "rep", "kind", "rate", "multiplier"):
        assert arrow_lines.column(name).to_pylist() == [None if v != v else v for v in pandas_lines[name].astype(object)]
    assert arrow_lines.column("amount_units").to_pylist() == pandas_lines["amount_units"].tolist()


def test_commission_frame_rules_spiffs_and_links_as_records_pandas_and_arrow():
    """Rate rules and SPIFs by product / customer type, a refund referring to its sale's row
    and one of an earlier period's sale at its original rate: the record function's pay, in
    pandas (nullable integers, Decimal rates) and in Arrow."""
    import pandas as pd

    pa = pytest.importorskip("pyarrow")
    plan = {"kind": "graduated", "tiers": TIERS, "rates": [{"product": "service", "rate": "0.1"}, {"customer_type": "distributor", "multiplier": "1.5"}],
            "spiffs": [{"product": "widget", "amount": "300"}]}
    reps = [{"rep": "a", "prior_credit": "5000"}]
    rows = [("a", "2026-03-02", "40000", False, "widget", "retail", None, None),
            ("b", "2026-03-03", "20000", False, "service", None, None, None),
            ("a", "2026-03-05", "30000", False, "widget", "distributor", None, None),
            ("a", "2026-03-09", "10000", True, "widget", None, 0, None),
            ("a", "2026-03-10", "2000", True, None, None, None, "0.02"),
            ("b", "2026-03-12", "5000", True, "service", None, 1, None)]
    transactions = []
    for i, (rep, on, amount, refund, product, ctype, link, rate) in enumerate(rows):
        t = {"id": str(i), "on": on, "amount": amount, "kind": "refund" if refund else "sale"}
        t.update({"refers_to": str(link)} if link is not None else {"rep": rep})
        t.update({k: v for k, v in (("product", product), ("customer_type", ctype), ("original_rate", rate)) if v is not None})
        transactions.append(t)
    report = crmkit.compute_commission(plan, {"reps": reps, "transactions": transactions}, "2026-03-31")
    df = pd.DataFrame({"rep": [r[0] for r in rows], "on": pd.to_datetime([r[1] for r in rows]), "amount": [Decimal(r[2]) for r in rows],
                       "refund": [r[3] for r in rows], "product": [r[4] for r in rows], "customer_type": [r[5] for r in rows],
                       "refers_to": pd.array([r[6] for r in rows], dtype="Int64"),
                       "original_rate": [Decimal(r[7]) if r[7] else None for r in rows]})
    names = {"refund": "refund", "product": "product", "customer_type": "customer_type", "refers_to": "refers_to", "original_rate": "original_rate"}
    frame = crmkit.commission_frame(df, plan, "2026-03-31", reps=reps, **names)
    assert [r["final"] for r in frame.attrs["reps"]] == [r["final"] for r in report["reps"]]
    assert [r["provisional"] for r in frame.attrs["reps"]] == [r["provisional"] for r in report["reps"]]
    assert frame.attrs["totals"] == report["totals"]
    paid = [sum((line["amount"] for rep in report["reps"] for line in rep["lines"] if line["transaction"] == str(i)), Decimal(0)) for i in range(len(rows))]
    assert [Decimal(int(u)).scaleb(-2) for u in frame["final_units"]] == paid
    table = pa.table({"rep": [r[0] for r in rows], "on": pa.array([datetime.date.fromisoformat(r[1]) for r in rows], pa.date32()),
                      "amount": [r[2] for r in rows], "refund": [r[3] for r in rows], "product": [r[4] for r in rows],
                      "customer_type": [r[5] for r in rows], "refers_to": pa.array([r[6] for r in rows], pa.int64()),
                      "original_rate": [r[7] for r in rows]})
    from_arrow = crmkit.commission_frame(table, plan, "2026-03-31", reps=reps, **names)
    assert from_arrow.column("final_units").to_pylist() == frame["final_units"].tolist()
    assert from_arrow.column("provisional_units").to_pylist() == frame["provisional_units"].tolist()
    # Rates are never binary floats; a row position must be whole.
    with pytest.raises(crmkit.CrmkitError) as e:
        crmkit.commission_frame(df.assign(original_rate=[None, None, None, None, 0.02, None]), plan, "2026-03-31", reps=reps, **names)
    assert (e.value.code, e.value.path) == ("invalid_type", "original_rate[4]")
    with pytest.raises(crmkit.CrmkitError) as e:
        crmkit.commission_frame(df.assign(refers_to=[None, None, None, 0.5, None, 1]), plan, "2026-03-31", reps=reps, **names)
    assert (e.value.code, e.value.path) == ("invalid_type", "refers_to[3]")


def test_commission_frame_errors_name_the_column_and_row():
    import pandas as pd

    plan = {"kind": "graduated", "tiers": TIERS}
    _, df = _book()

    def code_path(**kw: object) -> tuple[str, str]:
        with pytest.raises(crmkit.CrmkitError) as e:
            crmkit.commission_frame(kw.pop("frame", df), kw.pop("plan", plan), "2026-03-31", **kw)
        return e.value.code, e.value.path

    assert code_path(rep="owner") == ("missing_field", "owner")
    timed = df.assign(on=df["on"] + pd.Timedelta(hours=3))
    assert code_path(frame=timed) == ("invalid_date", "on[0]")
    assert code_path(refund="amount") == ("invalid_type", "refund")
    assert code_path(frame=df.assign(amount=df["amount"] * -1)) == ("negative_amount", "amount[0]")
    assert code_path(plan={"kind": "curve", "curve": [{"attainment": "0", "payout": "0"}]}) == ("invalid_value", "kind")
    assert code_path(statements="yes") == ("invalid_type", "statements")
    # Integers are whole units unless minor units are declared: 10000 is 10,000.00 yuan.
    out = crmkit.commission_frame(df, plan, "2026-03-31", refund="refund")
    assert out.attrs["reps"][0]["credit"] == Decimal("6000000.00")
