"""The public pool from Python: idiomatic types in and out, stubs that match the outputs."""

from __future__ import annotations

import datetime

import pytest

import crmkit
from test_stubs import stub

SH = datetime.timezone(datetime.timedelta(hours=8))
POLICY = {
    "time_zone": "Asia/Shanghai",
    "calendars": {"cn": {"weekend": [6, 7], "holidays": ["2026-10-01"], "workdays": ["2026-09-27"]}},
    "pools": [
        {
            "id": "all",
            "priority": 1,
            "scope": {"everyone": True},
            "unit": "calendar_days",
            "boundary": "exclusive",
            "warn_before": 3,
            "follow_up": {"types": ["call"], "actor": "team", "backdate_limit_hours": 48},
            "exempt": {"locked": True, "won": False, "open_contract": True, "tags": ["vip"]},
            "rules": [
                {"id": "30d", "kind": "no_follow_up", "limit": 30, "clock": "since_last_event", "levels": ["A"]},
                {"id": "opp", "kind": "no_new_opportunity", "limit": 90, "levels": ["A"]},
            ],
        },
        {"id": "cal", "time_zone": "UTC", "calendar": "cn", "scope": {"owners": ["nobody"]},
         "rules": [{"id": "r", "kind": "no_won_deal", "limit": 1}],
         "claims": {"holdings_limit": 5, "holdings_exclude_won": True, "daily_limit": 2, "cooldown": 30, "embargo": 1,
                    "holdings_limit_counts": "all_pools", "daily_limit_counts": "this_pool", "cooldown_counts": "this_pool"}},
    ],
}
RECORD = {
    "id": "c1", "owner": "wang", "claimed_at": datetime.datetime(2026, 10, 1, 10, tzinfo=SH), "department": "east",
    "region": "north", "product_line": "erp", "level": "A", "team": ["zhao"], "tags": ["x"], "locked": False,
    "open_contract": False, "last_won_at": "2026-10-02T00:00:00+08:00", "last_opportunity_at": "2026-10-03T00:00:00+08:00",
}
ACTIVITY = {
    "record": "c1", "at": "2026-10-04T10:00:00+08:00", "logged_at": "2026-10-04T11:00:00+08:00",
    "updated_at": "2026-10-20T11:00:00+08:00", "type": "call", "actor": "zhao", "deleted": False,
}


def test_instants_in_and_out_are_aware_datetimes():
    report = crmkit.evaluate_pool(POLICY, [RECORD], [ACTIVITY], datetime.datetime(2026, 11, 4, 2, tzinfo=SH))
    d = report["decisions"][0]
    assert d["decision"] == "recycle"
    assert d["due_at"] == datetime.datetime(2026, 11, 4, tzinfo=SH)
    assert d["due_at"].utcoffset() == datetime.timedelta(hours=8)
    assert d["last_follow_up_at"] == datetime.datetime(2026, 10, 4, 10, tzinfo=SH)


def test_a_naive_datetime_is_refused():
    with pytest.raises(crmkit.CrmkitError) as e:
        crmkit.evaluate_pool(POLICY, [RECORD], [], datetime.datetime(2026, 11, 4, 2))
    assert (e.value.code, e.value.path) == ("invalid_date", "as_of")
    with pytest.raises(crmkit.CrmkitError) as e:
        crmkit.evaluate_pool(POLICY, [{**RECORD, "claimed_at": datetime.datetime(2026, 10, 1)}], [], "2026-11-01")
    assert (e.value.code, e.value.path) == ("invalid_date", "records[0].claimed_at")


def test_inputs_are_not_mutated():
    record, activity = dict(RECORD), dict(ACTIVITY)
    crmkit.evaluate_pool(POLICY, [record], [activity], datetime.date(2026, 11, 1))
    assert record == RECORD and activity == ACTIVITY


def test_pool_typeddicts_match():
    dicts, literals = stub()
    assert set(POLICY) == dicts["PoolPolicy"]
    assert set(POLICY["pools"][0]) | set(POLICY["pools"][1]) == dicts["Pool"]
    assert set(POLICY["pools"][0]["scope"]) | {"owners", "departments", "regions", "product_lines", "levels"} == dicts["PoolScope"]
    assert set(POLICY["pools"][0]["follow_up"]) == dicts["FollowUpRule"]
    assert set(POLICY["pools"][0]["exempt"]) == dicts["PoolExemptions"]
    assert set(POLICY["pools"][0]["rules"][0]) == dicts["RecycleRule"]
    assert set(POLICY["calendars"]["cn"]) == dicts["HolidayCalendar"]
    assert set(RECORD) == dicts["PoolRecord"] and set(ACTIVITY) == dicts["PoolActivity"]
    # Every accepted field is accepted (unknown ones are refused).
    locked = {**RECORD, "id": "c2", "locked": True, "level": "B"}
    report = crmkit.evaluate_pool(POLICY, [RECORD, locked], [ACTIVITY, {**ACTIVITY, "type": "note"}], "2026-11-01")
    assert set(report) == dicts["PoolReport"] and set(report["totals"]) == dicts["PoolCounts"]
    assert set(report["pools"][0]) == dicts["PoolCountsLine"]
    d = report["decisions"][0]
    assert set(d) == dicts["PoolDecision"]
    assert d["decision"] in literals["PoolVerdict"]
    reasons = [r for dec in report["decisions"] for r in dec["reasons"]]
    assert set().union(*map(set, reasons)) <= dicts["PoolReason"]
    assert {r["code"] for r in reasons} <= literals["PoolReasonCode"]
    assert {"exempt_locked", "ignored_type", "no_follow_up", "no_new_opportunity", "no_rule_applies"} <= {r["code"] for r in reasons}
    assert {r["status"] for r in reasons if "status" in r} <= literals["RuleStatus"]


def test_claim_typeddicts_match():
    dicts, literals = stub()
    inp = {
        "pooled": [{"id": "c1", "pool": "cal", "pooled_at": datetime.datetime(2026, 10, 1, tzinfo=SH)}],
        "holdings": [{"user": "wang", "pool": "cal", "owned": 6, "won": 1}],
        "ledger": [{"at": "2026-10-20T10:00:00+08:00", "user": "wang", "record": "c1", "pool": "cal", "event": "release"}],
        "requests": [{"user": "wang", "record": "c1"}, {"user": "li", "record": "c1"}],
    }
    assert set(inp) == dicts["ClaimInput"] and set(POLICY["pools"][1]["claims"]) == dicts["ClaimRules"]
    assert set(inp["pooled"][0]) == dicts["PooledRecord"] and set(inp["holdings"][0]) == dicts["Holding"]
    assert set(inp["ledger"][0]) == dicts["LedgerEntry"] and set(inp["requests"][0]) == dicts["ClaimRequest"]
    report = crmkit.check_claims(POLICY, inp, datetime.datetime(2026, 10, 25, 9, tzinfo=SH))
    assert set(report) == dicts["ClaimReport"]
    refused, accepted = report["decisions"]
    assert set(refused) == dicts["ClaimDecision"] and not refused["accepted"] and accepted["accepted"]
    assert {r["code"] for r in refused["reasons"]} == {"cooldown", "holdings_limit"}
    assert set().union(*map(set, refused["reasons"])) == dicts["ClaimReason"]
    assert refused["reasons"][0]["until"] == datetime.datetime(2026, 11, 20, tzinfo=datetime.timezone.utc)
    assert report["ledger"][0]["event"] in literals["LedgerEvent"] and set(report["ledger"][0]) == dicts["LedgerEntry"]
    assert {r["counts"] for r in refused["reasons"]} == {"all_pools", "this_pool"} <= literals["ClaimCount"]
    assert report["holdings"] == [{"user": "li", "pool": "cal", "owned": 1, "won": 0}, {"user": "wang", "pool": "cal", "owned": 6, "won": 1}]


def test_assign_typeddicts_match():
    dicts, literals = stub()
    policy = {
        "teams": [{"id": "t", "strategy": "weighted", "reps": [{"id": "li", "weight": 2, "capacity": 3, "active": True}, {"id": "wang", "active": False}]}],
        "routes": [{"id": "n", "when": {"regions": ["north"], "product_lines": ["erp"], "levels": ["A"], "sources": ["web"]}, "team": "t"},
                   {"id": "all", "when": {"any": True}, "team": "t"}],
        "fallback_queue": "q",
    }
    inp = {"records": [{"id": "a", "region": "north", "product_line": "erp", "level": "A", "source": "web"}, {"id": "b"}],
           "load": [{"rep": "li", "held": 2, "assigned": 0}], "cursors": {"t": 3}, "seed": 7}
    assert set(policy) == dicts["AssignPolicy"] and set(policy["teams"][0]) == dicts["Team"]
    assert set(policy["teams"][0]["reps"][0]) == dicts["Rep"] and set(policy["routes"][0]) == dicts["Route"]
    assert set(policy["routes"][0]["when"]) | {"any"} == dicts["RouteMatch"]
    assert set(inp) == dicts["AssignInput"] and set(inp["records"][0]) == dicts["AssignRecord"]
    report = crmkit.assign_records(policy, inp)
    assert set(report) == dicts["AssignReport"] and set(report["load"][0]) == dicts["RepLoad"]
    a, b = report["assignments"]
    assert a["rep"] == "li" and b["queue"] == "q" and report["cursors"] == {"t": 4}
    assert set(a) | set(b) == dicts["Assignment"]
    assert set().union(*map(set, a["reasons"] + b["reasons"])) <= dicts["AssignReason"]
    assert {r["code"] for r in a["reasons"] + b["reasons"]} <= literals["AssignReasonCode"]


def test_frame_agrees_with_records():
    pd = pytest.importorskip("pandas")
    recs = [
        {"id": "a", "owner": "wang", "claimed_at": "2026-09-01T10:00:00+08:00", "level": "A", "locked": False},
        {"id": "b", "owner": "li", "claimed_at": "2026-10-20T10:00:00+08:00", "level": "B", "locked": False},
        {"id": "c", "owner": "li", "claimed_at": "2026-09-01T10:00:00+08:00", "level": "B", "locked": True},
    ]
    acts = [
        {"record": "a", "at": "2026-10-01T09:00:00+08:00", "type": "call", "actor": "wang"},
        {"record": "b", "at": "2026-10-25T09:00:00+08:00", "type": "note", "actor": "li"},
    ]
    policy = {"time_zone": "Asia/Shanghai", "pools": [{"id": "all", "scope": {"everyone": True}, "warn_before": 3,
              "follow_up": {"types": ["call"]}, "rules": [{"id": "30d", "kind": "no_follow_up", "limit": 30}]}]}
    report = crmkit.evaluate_pool(policy, recs, acts, "2026-11-01")
    records = pd.DataFrame({
        "owner": pd.Categorical([r["owner"] for r in recs]),
        "claimed_at": pd.to_datetime([r["claimed_at"] for r in recs], utc=True),
        "level": [r["level"] for r in recs],
        "locked": [r["locked"] for r in recs],
    })
    activities = pd.DataFrame({
        "record": [0, 1],
        "at": pd.to_datetime([a["at"] for a in acts], utc=True),
        "type": pd.Categorical([a["type"] for a in acts]),
        "actor": [a["actor"] for a in acts],
    })
    frame = crmkit.evaluate_pool_frame(records, activities, policy, "2026-11-01")
    assert list(frame["decision"]) == [d["decision"] for d in report["decisions"]] == ["recycle", "keep", "exempt"]
    for got, d in zip(frame["due_at"], report["decisions"]):
        assert (pd.isna(got) and "due_at" not in d) or got == d["due_at"]
    assert frame["last_follow_up_at"][0] == report["decisions"][0]["last_follow_up_at"]
    assert frame.attrs["totals"] == report["totals"]
    with pytest.raises(crmkit.CrmkitError) as e:
        crmkit.evaluate_pool_frame(records.assign(claimed_at=records["claimed_at"].dt.tz_localize(None)), activities, policy, "2026-11-01")
    assert (e.value.code, e.value.path) == ("invalid_date", "claimed_at[0]")


def test_frame_counts_team_follow_ups_and_exempt_tags():
    pd = pytest.importorskip("pandas")
    recs = [
        {"id": "a", "owner": "wang", "claimed_at": "2026-09-01T10:00:00+08:00", "team": ["zhao"]},
        {"id": "b", "owner": "li", "claimed_at": "2026-09-01T10:00:00+08:00", "tags": ["vip", "x"]},
        {"id": "c", "owner": "li", "claimed_at": "2026-09-01T10:00:00+08:00", "team": ["wang"], "tags": ["x"]},
    ]
    acts = [
        {"record": "a", "at": "2026-10-20T09:00:00+08:00", "type": "call", "actor": "zhao"},
        {"record": "c", "at": "2026-10-21T09:00:00+08:00", "type": "call", "actor": "zhao"},
    ]
    policy = {"time_zone": "Asia/Shanghai", "pools": [{"id": "all", "scope": {"everyone": True},
              "follow_up": {"actor": "team"}, "exempt": {"tags": ["vip"]},
              "rules": [{"id": "30d", "kind": "no_follow_up", "limit": 30}]}]}
    report = crmkit.evaluate_pool(policy, recs, acts, "2026-11-01")
    records = pd.DataFrame({
        "owner": pd.Categorical([r["owner"] for r in recs]),
        "claimed_at": pd.to_datetime([r["claimed_at"] for r in recs], utc=True),
    })
    activities = pd.DataFrame({
        "record": [0, 2],
        "at": pd.to_datetime([a["at"] for a in acts], utc=True),
        "type": ["call", "call"],
        "actor": ["zhao", "zhao"],
    })
    teams = pd.DataFrame({"record": [0, 2], "user": pd.Categorical(["zhao", "wang"])})
    tags = pd.DataFrame({"record": [1, 1, 2], "tag": ["vip", "x", "x"]})
    frame = crmkit.evaluate_pool_frame(records, activities, policy, "2026-11-01", teams=teams, tags=tags)
    # a: zhao is on its team (kept); b: exempt by its vip tag; c: zhao is not on its team (recycled).
    assert list(frame["decision"]) == [d["decision"] for d in report["decisions"]] == ["keep", "exempt", "recycle"]
    assert frame["last_follow_up_at"][0] == report["decisions"][0]["last_follow_up_at"]
    assert frame.attrs["totals"] == report["totals"]
    with pytest.raises(crmkit.CrmkitError) as e:
        crmkit.evaluate_pool_frame(records, activities, policy, "2026-11-01", tags=tags.assign(record=[1, 1, 5]))
    assert (e.value.code, e.value.path) == ("out_of_range", "tag_record[2]")


def test_simulate_frame_agrees_with_records():
    pd = pytest.importorskip("pandas")
    recs = [
        {"id": "a", "owner": "wang", "claimed_at": "2026-09-01T10:00:00+08:00", "level": "A", "team": ["zhao"]},
        {"id": "b", "owner": "li", "claimed_at": "2026-09-20T10:00:00+08:00", "level": "B", "tags": ["vip"]},
        {"id": "c", "owner": "li", "claimed_at": "2026-09-01T10:00:00+08:00", "level": "B", "locked": True},
        {"id": "d", "owner": "zhao", "claimed_at": "2026-09-05T10:00:00+08:00", "last_opportunity_at": "2026-10-02T10:00:00+08:00"},
    ]
    acts = [
        {"record": "a", "at": "2026-10-01T09:00:00+08:00", "type": "call", "actor": "zhao"},
        {"record": "d", "at": "2026-10-03T09:00:00+08:00", "logged_at": "2026-10-09T09:00:00+08:00", "type": "call", "actor": "zhao"},
        {"record": "b", "at": "2026-10-05T09:00:00+08:00", "type": "note", "actor": "li", "deleted": True},
    ]
    policy = lambda days: {"time_zone": "Asia/Shanghai", "pools": [{"id": "all", "scope": {"everyone": True},  # noqa: E731
              "follow_up": {"actor": "team", "backdate_limit_hours": 72}, "exempt": {"tags": ["vip"]},
              "rules": [{"id": "r", "kind": "no_follow_up", "limit": days}, {"id": "o", "kind": "no_new_opportunity", "limit": 2 * days}]}]}
    report = crmkit.simulate_pool(policy(30), policy(15), recs, acts, "2026-09-01", "2026-11-30")
    assert report["total"]["b"] > 0
    records = pd.DataFrame({
        "owner": pd.Categorical([r["owner"] for r in recs]),
        "claimed_at": pd.to_datetime([r["claimed_at"] for r in recs], utc=True),
        "level": [r.get("level") for r in recs],
        "locked": [r.get("locked", False) for r in recs],
        "last_opportunity_at": pd.to_datetime([r.get("last_opportunity_at") for r in recs], utc=True),
    })
    activities = pd.DataFrame({
        "record": [0, 3, 1],
        "at": pd.to_datetime([a["at"] for a in acts], utc=True),
        "logged_at": pd.to_datetime([a.get("logged_at") for a in acts], utc=True),
        "type": pd.Categorical([a["type"] for a in acts]),
        "actor": [a["actor"] for a in acts],
        "deleted": [a.get("deleted", False) for a in acts],
    })
    teams = pd.DataFrame({"record": [0], "user": ["zhao"]})
    tags = pd.DataFrame({"record": [1], "tag": ["vip"]})
    args = (policy(30), policy(15), "2026-09-01", "2026-11-30")
    frame = crmkit.simulate_pool_frame(records, activities, *args, teams=teams, tags=tags)
    assert frame == report
    pa = pytest.importorskip("pyarrow")
    arrow = crmkit.simulate_pool_frame(pa.Table.from_pandas(records), pa.Table.from_pandas(activities), *args,
                                       teams=pa.Table.from_pandas(teams), tags=pa.Table.from_pandas(tags))
    assert arrow == report
    with pytest.raises(crmkit.CrmkitError) as e:
        crmkit.simulate_pool_frame(records, activities.assign(record=[0, 3, 4]), *args)
    assert (e.value.code, e.value.path) == ("out_of_range", "activity_record[2]")
    with pytest.raises(crmkit.CrmkitError) as e:
        crmkit.simulate_pool_frame(records, activities, policy(30), policy(-1), "2026-09-01", "2026-11-30")
    assert (e.value.code, e.value.path) == ("out_of_range", "b.pools[0].rules[0].limit")


ASSIGN_POLICY = {
    "teams": [
        {"id": "a", "strategy": "round_robin", "reps": [{"id": "li"}, {"id": "wang", "active": False}, {"id": "zhao"}]},
        {"id": "b", "strategy": "weighted", "reps": [{"id": "qian", "weight": 3}, {"id": "sun", "weight": 1, "capacity": 1}]},
    ],
    "routes": [
        {"id": "north", "when": {"regions": ["north"]}, "team": "a"},
        {"id": "web", "when": {"sources": ["web"]}, "team": "b"},
        {"id": "dup", "when": {"levels": ["A"]}, "team": "b"},
        {"id": "dup", "when": {"levels": ["B"]}, "team": "a"},
    ],
    "fallback_queue": "queue",
}


def test_assign_frame_agrees_with_records_in_pandas_and_arrow():
    pd = pytest.importorskip("pandas")
    regions = ["north", None, "south", "north", None, "east", None]
    sources = ["web", "web", None, "fair", "web", "web", None]
    levels = [None, None, "A", None, None, None, "B"]
    recs = [{"id": f"x{i}", **{k: v for k, v in (("region", r), ("source", s), ("level", lv)) if v is not None}}
            for i, (r, s, lv) in enumerate(zip(regions, sources, levels))]
    state = {"load": [{"rep": "qian", "held": 4}], "cursors": {"a": 2}, "seed": 7}
    report = crmkit.assign_records(ASSIGN_POLICY, {"records": recs, **state})
    df = pd.DataFrame({"region": pd.Categorical(regions), "source": sources, "level": levels}, index=[f"r{i}" for i in range(7)])
    frame = crmkit.assign_records_frame(df, ASSIGN_POLICY, **state)
    assert list(frame.index) == list(df.index)
    assert frame.attrs["cursors"] == report["cursors"] and frame.attrs["load"] == report["load"]
    for a, (_, row) in zip(report["assignments"], frame.iterrows()):
        assert (a.get("team"), a.get("rep")) == (None if pd.isna(row["team"]) else row["team"], None if pd.isna(row["rep"]) else row["rep"])
        assert row["queue"] == ("queue" in a)
        codes = [r["code"] for r in a["reasons"]]
        assert row["choice"] == (codes[1] if codes[0] == "routed" else codes[0])
        assert (None if pd.isna(row["route"]) else row["route"]) == (a["reasons"][0].get("route"))
        assert row["skipped_inactive"] == next((r["count"] for r in a["reasons"] if r["code"] == "skipped_inactive"), 0)
        assert row["skipped_full"] == next((r["count"] for r in a["reasons"] if r["code"] == "skipped_full"), 0)
        if row["choice"] in ("round_robin", "weighted_draw"):
            assert row["cursor"] == a["reasons"][1]["cursor"]
    pa = pytest.importorskip("pyarrow")
    arrow = crmkit.assign_records_frame(pa.Table.from_pandas(df, preserve_index=False), ASSIGN_POLICY, **state)
    for name in ("team", "rep", "route", "choice"):
        assert arrow.column(name).to_pylist() == [None if pd.isna(v) else v for v in frame[name].astype(object)]
    for name in ("queue", "cursor", "held", "skipped_inactive", "skipped_full"):
        assert arrow.column(name).to_pylist() == frame[name].tolist()
    assert json_meta(arrow, "cursors") == report["cursors"]
    with pytest.raises(crmkit.CrmkitError) as e:
        crmkit.assign_records_frame(df, ASSIGN_POLICY, cursors={"x": 1})
    assert (e.value.code, e.value.path) == ("invalid_value", "cursors.x")


def json_meta(table, key):
    import json

    return json.loads(table.schema.metadata[f"crmkit.{key}".encode()])


def test_claims_frame_agrees_with_records_in_pandas_and_arrow():
    pd = pytest.importorskip("pandas")
    policy = {"time_zone": "Asia/Shanghai", "pools": [
        {"id": "p", "scope": {"everyone": True}, "rules": [{"id": "r", "kind": "no_follow_up", "limit": 30}],
         "claims": {"daily_limit": 1, "holdings_limit": 3, "cooldown": 5, "embargo": 1}},
        {"id": "q", "time_zone": "America/New_York", "scope": {"everyone": True},
         "rules": [{"id": "r", "kind": "no_follow_up", "limit": 30}], "claims": {"daily_limit": 2, "daily_limit_counts": "this_pool"}},
    ]}
    pooled = [("c1", "p", "2026-11-01T00:00:00+08:00"), ("c2", "p", "2026-11-02T08:00:00+08:00"),
              ("c3", "q", "2026-10-30T00:00:00-04:00"), ("c4", "p", "2026-10-20T00:00:00+08:00")]
    ledger = [("2026-10-30T10:00:00+08:00", "wang", "c4", "p", "release"), ("2026-11-02T08:30:00+08:00", "li", "c9", "q", "claim")]
    holdings = [("li", 3, 1), ("wang", 1, 0)]
    requests = [("wang", "c4"), ("zhao", "c2"), ("li", "c3"), ("li", "c1"), ("zhao", "c1"), ("zhao", "c3"), ("sun", "c8")]
    as_of = "2026-11-02T09:00:00+08:00"
    record_input = {
        "pooled": [{"id": i, "pool": p, "pooled_at": t} for i, p, t in pooled],
        "holdings": [{"user": u, "owned": o, "won": w} for u, o, w in holdings],
        "ledger": [{"at": t, "user": u, "record": r, "pool": p, "event": e} for t, u, r, p, e in ledger],
        "requests": [{"user": u, "record": r} for u, r in requests],
    }
    report = crmkit.check_claims(policy, record_input, as_of)
    frames = {
        "pooled": pd.DataFrame({"id": [x[0] for x in pooled], "pool": pd.Categorical([x[1] for x in pooled]),
                                "pooled_at": pd.to_datetime([x[2] for x in pooled], utc=True)}),
        "holdings": pd.DataFrame({"user": [x[0] for x in holdings], "owned": [x[1] for x in holdings], "won": [x[2] for x in holdings]}),
        "ledger": pd.DataFrame({"at": pd.to_datetime([x[0] for x in ledger], utc=True), "user": [x[1] for x in ledger],
                                "record": [x[2] for x in ledger], "pool": [x[3] for x in ledger], "event": [x[4] for x in ledger]}),
        "requests": pd.DataFrame({"user": [x[0] for x in requests], "record": [x[1] for x in requests]}, index=list("abcdefg")),
    }
    frame = crmkit.check_claims_frame(frames["requests"], frames["pooled"], policy, as_of,
                                      holdings=frames["holdings"], ledger=frames["ledger"])
    assert list(frame.index) == list("abcdefg")
    assert frame.attrs["holdings"] == report["holdings"]
    accepted = iter(report["ledger"])
    reasons = ["not_in_pool", "embargoed", "cooldown", "holdings_limit", "daily_limit"]
    assert {r["code"] for d in report["decisions"] for r in d["reasons"]} == set(reasons)
    for d, (_, row) in zip(report["decisions"], frame.iterrows()):
        by = {r["code"]: r for r in d["reasons"]}
        assert row["accepted"] == d["accepted"]
        assert (None if pd.isna(row["pool"]) else row["pool"]) == d.get("pool")
        assert [r for r in reasons if row[r]] == [r["code"] for r in d["reasons"]]
        for code, since, until in (("embargoed", "embargo_since", "embargo_until"), ("cooldown", "cooldown_since", "cooldown_until")):
            if code in by:
                assert row[since] == by[code]["since"] and row[until] == by[code]["until"]
            else:
                assert pd.isna(row[since]) and pd.isna(row[until])
        for code, count, limit in (("holdings_limit", "holdings_count", "holdings_limit_value"), ("daily_limit", "daily_count", "daily_limit_value")):
            assert (None if pd.isna(row[count]) else row[count]) == by.get(code, {}).get("count")
            assert (None if pd.isna(row[limit]) else row[limit]) == by.get(code, {}).get("limit")
        assert (row["claimed_at"] == next(accepted)["at"]) if d["accepted"] else pd.isna(row["claimed_at"])
    pa = pytest.importorskip("pyarrow")
    arrow = crmkit.check_claims_frame(*(pa.Table.from_pandas(frames[k], preserve_index=False) for k in ("requests", "pooled")), policy,
                                      as_of, holdings=pa.Table.from_pandas(frames["holdings"]), ledger=pa.Table.from_pandas(frames["ledger"]))
    for name in frame.columns:
        got = arrow.column(name).to_pylist()
        want = [None if pd.isna(v) else v for v in frame[name].astype(object)]
        assert got == want, name
    assert json_meta(arrow, "holdings") == report["holdings"]
    with pytest.raises(crmkit.CrmkitError) as e:
        crmkit.check_claims_frame(frames["requests"], frames["pooled"], policy, as_of, ledger=frames["ledger"].iloc[::-1])
    assert (e.value.code, e.value.path) == ("invalid_value", "ledger.at[1]")
    with pytest.raises(crmkit.CrmkitError) as e:
        crmkit.check_claims_frame(frames["requests"], frames["pooled"].drop(columns="pool"), policy, as_of)
    assert (e.value.code, e.value.path) == ("missing_field", "pooled.pool")
