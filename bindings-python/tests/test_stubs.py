"""The hand-written stubs (`crmkit/__init__.pyi`) describe what the functions really return."""

from __future__ import annotations

import ast
import datetime
import pathlib
import typing

import crmkit

STUB = pathlib.Path(crmkit.__file__).with_name("__init__.pyi")
AS_OF = datetime.date(2026, 11, 23)


def stub() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """TypedDict name -> keys, and Literal alias name -> values, read from the stub file."""
    tree = ast.parse(STUB.read_text(encoding="utf-8"))
    dicts, literals = {}, {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and any(getattr(b, "id", "") == "TypedDict" for b in node.bases):
            dicts[node.name] = {n.target.id for n in node.body if isinstance(n, ast.AnnAssign)}
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            if getattr(node.value.func, "id", "") == "TypedDict":  # TypedDict("Name", {...})
                dicts[node.value.args[0].value] = {k.value for k in node.value.args[1].keys}
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Subscript):
            if getattr(node.value.value, "id", "") == "Literal":
                elts = node.value.slice.elts if isinstance(node.value.slice, ast.Tuple) else [node.value.slice]
                literals[node.targets[0].id] = {e.value for e in elts}
    return dicts, literals


def test_report_keys_match_the_stub_typeddicts():
    dicts, literals = stub()
    policy = {
        "stages": [
            {"name": "a", "conversion": "0.5", "duration": "10"},
            {"name": "won", "kind": "won"},
        ],
        "duration_unit": "days",
        "placement": "actual",
        "group_by": ["owner"],
        "undated": "half_elapsed",
        "horizon_months": 12,  # groups then carry their beyond_horizon
    }
    deals = [
        {"id": "1", "stage": "a", "amount": "10", "owner": "li", "entered_stage_on": "2026-11-01"},
        {"id": "2", "stage": "a", "amount": "10"},
        {"id": "3", "stage": "won", "amount": "10"},
    ]
    report = crmkit.forecast(policy, deals, AS_OF)
    shapes: list[tuple[str, typing.Any]] = [
        ("ForecastReport", report),
        ("Totals", report["totals"]),
        ("Sums", report["totals"]["open"]),
        ("StageLine", report["stages"][0]),
        ("MonthLine", report["months"][0]),
        ("PeriodLine", report["quarters"][0]),
        ("PeriodLine", report["years"][0]),
        ("GroupLine", report["groups"][0]),
        ("DealLine", report["deals"][0]),
        ("CategoryLine", report["categories"][0]),
        ("CommitComparison", report["commit"]),
    ]
    for name, value in shapes:
        assert set(value) == dicts[name], name
    reasons = {r for d in report["deals"] for r in d["reasons"]}
    assert reasons <= literals["Reason"]
    assert report["placement"] in literals["Placement"]
    assert {c["category"] for c in report["categories"]} == literals["ForecastCategory"]


def test_policy_and_deal_typeddicts_name_every_accepted_field():
    dicts, _ = stub()
    # Each stub key is accepted by the core (unknown fields are refused with unknown_field).
    full_policy = {
        "stages": [{"name": "a", "kind": "open", "conversion": "0.5", "duration": "1", "category": "best_case"}],
        "duration_unit": "days",
        "placement": "half_elapsed",
        "group_by": [],
        "rounding": {"dp": 2, "strategy": "half_up"},
        "overdue": "move_on",
        "undated": "error",
        "fiscal_year": {"start_month": 4, "named_by": "end",
                        "weeks": {"pattern": "4-4-5", "ends_on": "saturday", "year_end": "nearest"}},
        "horizon_months": 12,
        "dense": False,
    }
    full_deal = {
        "id": "1", "stage": "a", "amount": "1", "entered_stage_on": "2026-11-01", "expected_close_on": "2026-12-01",
        "category": "commit", "probability": "0.4", "snoozed_until": "2026-12-01", "snooze_reason": "tender", "last_activity_on": "2026-11-20", "owner": "li", "team": "t", "product": "p", "attributes": {"region": "华东"},
    }
    assert set(full_policy) == dicts["ForecastPolicy"]
    by_probability = {"name": "a", "kind": "open", "probability": "0.5", "duration": "1", "category": "commit", "stall_after": "3", "idle_after": 7}
    assert set(full_policy["stages"][0]) | set(by_probability) == dicts["Stage"]
    crmkit.forecast({**full_policy, "stages": [by_probability]}, [], AS_OF)
    assert set(full_policy["fiscal_year"]) == dicts["FiscalYear"]
    assert set(full_deal) == dicts["Deal"]
    crmkit.forecast(full_policy, [full_deal], AS_OF)


def test_allocation_typeddicts_match():
    dicts, literals = stub()
    history = [{"key": "A", "on": "2026-01-10", "amount": "1"}, {"key": "B", "on": "2026-01-11", "amount": "3"}]
    inp = {"target": "10", "history": history, "adjustments": [{"key": "B", "amount": "1"}]}
    policy = {"window": "all", "fiscal_year": {"start_month": 1}, "rounding": {"dp": 2}}
    assert set(policy) == dicts["AllocationPolicy"] and set(inp) == dicts["AllocationInput"]
    assert set(history[0]) == dicts["HistoryRow"] and set(inp["adjustments"][0]) == dicts["Adjustment"]
    report = crmkit.allocate_target(policy, inp, AS_OF)
    assert set(report) == dicts["AllocationReport"]
    assert set(report["lines"][0]) == dicts["AllocationLine"]
    assert {r for line in report["lines"] for r in line["reasons"]} <= literals["AllocationReason"]


def test_allocation_tree_typeddicts_match():
    dicts, literals = stub()
    level = {"name": "product", "window": "all", "floor": "1"}
    policy = {"levels": [level, {"name": "region"}], "fiscal_year": {"start_month": 1}, "rounding": {"dp": 2}}
    history = [{"path": ["A", "x"], "on": "2026-01-10", "amount": "1"}, {"path": ["A", "y"], "on": "2026-01-11", "amount": "3"}]
    inp = {"target": "10", "history": history, "floors": [{"path": ["A", "x"], "amount": "5"}]}
    assert set(policy) == dicts["AllocationTreePolicy"] and set(level) == dicts["AllocationLevel"]
    assert set(inp) == dicts["AllocationTreeInput"] and set(history[0]) == dicts["PathHistoryRow"]
    assert set(inp["floors"][0]) == dicts["NodeFloor"]
    report = crmkit.allocate_tree(policy, inp, AS_OF)
    assert set(report) == dicts["AllocationTreeReport"]
    assert set(report["levels"][0]) == dicts["AllocationLevelWindow"]
    assert set(report["lines"][0]) == dicts["AllocationNode"]
    assert {r for line in report["lines"] for r in line["reasons"]} == {"share_of_history", "floor"} <= literals["AllocationNodeReason"]


def test_range_typeddicts_match():
    dicts, _ = stub()
    policy = {"stages": [{"name": "a", "probability": "0.5", "duration": "5"}, {"name": "won", "kind": "won"}],
              "duration_unit": "days", "placement": "remaining_full"}
    settings = {"simulations": 50, "seed": 3, "quantiles": ["0.5"]}
    assert set(settings) == dicts["RangeSettings"]
    report = crmkit.forecast_ranges(policy, settings, [{"id": "x", "stage": "a", "amount": "10"}], AS_OF)
    assert set(report) == dicts["RangeReport"]
    assert set(report["total"]) == dicts["RangeLine"] and set(report["months"][0]) == dicts["RangeLine"]


def test_history_typeddicts_match():
    dicts, literals = stub()
    policy = {"stages": [{"name": "a", "kind": "open"}, {"name": "won", "kind": "won"}], "skipped": "passed", "rate_dp": 3}
    event = {"deal": "x", "stage": "a", "on": "2026-01-01", "amount": "5"}
    # Every field of the stubs: test_grouped_history_typeddicts_match.
    assert set(policy) <= dicts["HistoryPolicy"] and set(policy["stages"][0]) == dicts["HistoryStage"]
    assert set(event) <= dicts["StageEvent"]
    report = crmkit.funnel_history(policy, [event, {**event, "stage": "won", "on": "2026-01-03"}], AS_OF)
    assert set(report) == dicts["HistoryReport"] and set(report["stages"][0]) == dicts["HistoryLine"]
    assert policy["skipped"] in literals["SkippedStages"]


def test_quota_typeddicts_match():
    dicts, literals = stub()
    policy = {"stages": [{"name": "a", "probability": "0.5"}, {"name": "won", "kind": "won"}],
              "duration_unit": "days", "placement": "expected_close"}
    quota = {"group_by": ["owner"], "period": "month", "groups": [{"owner": "x"}], "rate_dp": 2}
    won = {"id": "w", "amount": "1", "closed_on": "2026-11-01", "owner": "x", "team": "t", "product": "p",
           "attributes": {"r": "1"}}
    q = {"key": {"owner": "x"}, "period": "2026-11", "amount": "10"}
    inp = {"deals": [{"id": "d", "stage": "a", "amount": "4", "owner": "x", "expected_close_on": "2026-11-30"}],
           "quotas": [q], "won": [won]}
    assert set(quota) == dicts["QuotaPolicy"] and set(won) == dicts["WonDeal"]
    assert set(q) == dicts["Quota"] and set(inp) == dicts["QuotaInput"]
    report = crmkit.quota_attainment(policy, quota, inp, AS_OF)
    assert set(report) == dicts["QuotaReport"] and set(report["lines"][0]) == dicts["QuotaLine"]
    assert report["period"] in literals["PeriodKind"]
    assert set(report["lines"][0]["reasons"]) <= literals["QuotaReason"]


def test_hierarchy_typeddicts_match():
    dicts, literals = stub()
    policy = {"stages": [{"name": "a", "probability": "0.5"}, {"name": "won", "kind": "won"}],
              "duration_unit": "days", "placement": "expected_close"}
    node = {"owner": "rep", "manager": "boss"}
    hierarchy = {"owners": [{"owner": "boss"}, node], "period": "quarter"}
    adjustment = {"by": "boss", "owner": "rep", "category": "commit", "period": "2026-Q4", "amount": "3"}
    inp = {"deals": [{"id": "d", "stage": "a", "amount": "4", "owner": "rep", "expected_close_on": "2026-11-30"}],
           "adjustments": [adjustment]}
    assert set(node) == dicts["OwnerNode"] and set(hierarchy) == dicts["HierarchyPolicy"]
    assert set(adjustment) == dicts["ForecastAdjustment"] and set(inp) == dicts["HierarchyInput"]
    report = crmkit.forecast_hierarchy(policy, hierarchy, inp, AS_OF)
    assert set(report) == dicts["HierarchyReport"]
    line = report["lines"][1]
    assert set(line) == dicts["HierarchyLine"] and set(line["forecasts"][1]) == dicts["CategoryForecast"]
    assert set(line["forecasts"][1]["adjustments"][0]) == dicts["AppliedAdjustment"]
    assert set(line["forecasts"][1]["reasons"]) <= literals["HierarchyReason"]


def test_fiscal_calendar_typeddicts_match():
    dicts, literals = stub()
    rule = {"pattern": "4-5-4", "ends_on": "saturday", "year_end": "nearest"}
    fy = {"start_month": 2, "named_by": "start", "weeks": rule}
    assert set(rule) == dicts["WeekRule"] and set(fy) == dicts["FiscalYear"]
    assert rule["pattern"] in literals["WeekPattern"] and rule["ends_on"] in literals["DayOfWeek"]
    assert rule["year_end"] in literals["YearEnd"]
    report = crmkit.fiscal_periods(fy, "2023-01-29", "2024-02-03")
    assert set(report) == dicts["FiscalCalendar"] and set(report["periods"][0]) == dicts["FiscalPeriod"]
    assert {r for p in report["periods"] for r in p["reasons"]} == literals["CalendarReason"] - {"month_based"}
    assert crmkit.fiscal_periods({}, "2026-01-01", "2026-01-01")["years"][0]["reasons"] == ["month_based"]


def test_stall_and_percentile_typeddicts_match():
    dicts, literals = stub()
    policy = {"stages": [{"name": "a", "probability": "0.5", "duration": "9", "stall_after": "1", "idle_after": 1},
                         {"name": "won", "kind": "won"}], "duration_unit": "days", "placement": "half_elapsed"}
    deal = {"id": "d", "stage": "a", "amount": "1", "entered_stage_on": "2026-11-01", "last_activity_on": "2026-11-02"}
    line = crmkit.forecast(policy, [deal], AS_OF)["deals"][0]
    assert set(line) == dicts["DealLine"] and set(line["stalls"][0]) == dicts["StallFlag"]
    assert {f["rule"] for f in line["stalls"]} == literals["StallRule"]
    assert "idle_no_activity" in literals["Reason"] and set(line["reasons"]) <= literals["Reason"]
    history = crmkit.funnel_history(
        {"stages": [{"name": "a"}, {"name": "won", "kind": "won"}], "percentiles": ["50"]},
        [{"deal": "x", "stage": "a", "on": "2026-01-01"}, {"deal": "x", "stage": "won", "on": "2026-01-05"}], AS_OF)
    assert set(history["stages"][0]["percentiles"][0]) == dicts["DaysPercentile"]


def test_grouped_history_typeddicts_match():
    dicts, literals = stub()
    policy = {"stages": [{"name": "a"}, {"name": "won", "kind": "won"}], "skipped": "passed", "rate_dp": 4,
              "percentiles": ["50"], "stall_percentile": "90", "group_by": ["owner"], "cohort": "month",
              "window": {"from": "2026-01-01", "to": "2026-12-31"}}
    event = {"deal": "x", "stage": "a", "on": "2026-01-01", "amount": "1", "expected_close_on": "2026-02-01",
             "owner": "li", "team": "t", "product": "p", "attributes": {"region": "north"}}
    assert set(policy) == dicts["HistoryPolicy"] and set(event) == dicts["StageEvent"]
    assert set(policy["window"]) == dicts["EntryWindow"] and policy["cohort"] in literals["Cohort"]
    report = crmkit.funnel_history(policy, [event, {"deal": "x", "stage": "won", "on": "2026-01-05"}], AS_OF)
    assert set(report) == dicts["HistoryReport"] and set(report["groups"][0]) == dicts["HistoryGroup"]
    assert set(report["forecast_stages"][0]) <= dicts["Stage"]


def test_backtest_typeddicts_match():
    dicts, literals = stub()
    policy = {"stages": [{"name": "a", "probability": "0.5"}, {"name": "won", "kind": "won"}],
              "duration_unit": "days", "placement": "expected_close"}
    settings = {"dates": ["2026-01-01"], "period": "month", "simulations": 10, "seed": 1}
    events = [{"deal": "x", "stage": "a", "on": "2025-12-01", "amount": "10", "expected_close_on": "2026-01-10"},
              {"deal": "x", "stage": "won", "on": "2026-01-10"}]
    assert set(settings) == dicts["BacktestPolicy"]
    report = crmkit.backtest(policy, settings, events, AS_OF)
    assert set(report) == dicts["BacktestReport"] and set(report["lines"][0]) == dicts["BacktestLine"]
    assert set(report["summary"][0]) == dicts["BacktestSummary"]
    assert {line["method"] for line in report["lines"]} == literals["BacktestMethod"]
