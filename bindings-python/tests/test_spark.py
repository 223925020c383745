"""crmkit.spark: a forecast grouped by owner and team, computed by Spark in local[2] mode
group by group, equals the single-process forecast_frame line for line, to the cent.

Runs where pyspark is installed (`bash scripts/spark.sh`: its own venv, Java 17); skipped
in the main test venv, where pyspark (~800 MB, 8 minutes to install here) is not."""

from __future__ import annotations

import datetime
import os
import random
import sys
from decimal import Decimal

import pytest

if os.environ.get("CRMKIT_REQUIRE_SPARK"):  # scripts/spark.sh: a missing pyspark is a failure
    import pandas as pd
    import pyspark  # noqa: F401
else:
    pytest.importorskip("pyspark")
    pd = pytest.importorskip("pandas")

import crmkit  # noqa: E402
from crmkit.spark import forecast_by_group, forecast_schema  # noqa: E402

AS_OF = datetime.date(2026, 11, 23)
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
    "group_by": ["owner", "team"],
    "rounding": {"dp": 2, "strategy": "half_up"},
}


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    # Executors run this interpreter, where crmkit is installed.
    os.environ["PYSPARK_PYTHON"] = os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # loopback only: no other address
    session = (
        SparkSession.builder.master("local[2]")
        .appName("crmkit-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    yield session
    session.stop()


def deals(n=500, seed=5) -> pd.DataFrame:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        rows.append(
            {
                "stage": rng.choice(["lead", "qualified", "proposal", "won", "lost"]),
                "amount": Decimal(rng.randrange(0, 10_000_000)).scaleb(-2),
                "owner": rng.choice(["li", "wang", "zhang", None]),
                "team": rng.choice(["east", "west"]),
                "entered": AS_OF - datetime.timedelta(days=rng.randrange(0, 150)) if rng.random() < 0.9 else None,
            }
        )
    return pd.DataFrame(rows)


def lines(frame: pd.DataFrame) -> list[tuple]:
    cols = ["owner", "team", "month", "offset", "deals", "amount", "weighted"]
    return sorted((tuple(r) for r in frame[cols].itertuples(index=False)), key=repr)


def test_groups_on_spark_equal_one_process(spark):
    book = deals()
    local = book.assign(entered=pd.to_datetime(book["entered"]))
    one = crmkit.forecast_frame(local, POLICY, AS_OF, entered_stage_on="entered")

    sdf = spark.createDataFrame(book, schema="stage string, amount decimal(18,2), owner string, team string, entered date")
    fn, schema = forecast_by_group(POLICY, AS_OF, entered_stage_on="entered")
    out = sdf.repartition(3).groupBy("owner", "team").applyInPandas(fn, schema)
    assert [(f.name, f.dataType.simpleString()) for f in out.schema.fields][-2:] == [("amount", "decimal(38,2)"), ("weighted", "decimal(38,2)")]
    got = [tuple(r) for r in out.collect()]
    assert sorted(got, key=repr) == lines(one)
    assert len(got) > 8


def test_the_schema_and_a_policy_without_groups():
    assert [f.name for f in forecast_schema(POLICY).fields] == ["owner", "team", "month", "offset", "deals", "amount", "weighted"]
    with pytest.raises(crmkit.CrmkitError) as e:
        forecast_by_group({**POLICY, "group_by": []}, AS_OF)
    assert (e.value.code, e.value.path) == ("invalid_value", "group_by")


# --- the other domains' helpers: each equal to its single-process call ---------------------

from pyspark.sql import functions as F  # noqa: E402

from crmkit.spark import (  # noqa: E402
    attribution_by_journey,
    bucket,
    commission_by_rep,
    evaluate_pool_by_group,
    score_by_group,
    score_by_row,
)

SCORING = {
    "rules": [
        {"id": "mfg", "dimension": "fit", "points": 20, "when": [{"field": "industry", "op": "in", "values": ["制造"]}]},
        {"id": "size", "dimension": "fit", "points": 15, "when": [{"field": "revenue", "op": "range", "min": 1_000_000, "bounds": "[)"}]},
        {"id": "seen", "dimension": "fit", "points": 5, "when": [{"field": "last_seen_on", "op": "within_days", "days": 30}]},
    ],
    "grades": {"fit": [{"label": "A", "min": 30}, {"label": "B"}], "engagement": [{"label": "1", "min": 5}, {"label": "2"}]},
    "tiers": [{"id": "key_lead", "min_score": 30, "grades": ["A1", "A2"], "when": [{"field": "region", "op": "equals", "value": "华东"}]}],
    "top_reasons": 2,
}
PRICING = {"id": "pricing", "dimension": "engagement", "points": 10,
           "event": {"types": ["visit_pricing"], "min_count": 1, "within_days": 60, "half_life_days": 7.0, "per_event": True, "max_events": 3}}  # fmt: skip


def leads_and_events(n=200, seed=8):
    rng = random.Random(seed)
    leads = pd.DataFrame(
        {
            "id": [f"L{i}" for i in range(n)],
            "industry": [rng.choice(["制造", "教育", None]) for _ in range(n)],
            "revenue": [rng.choice([None, 10.0, 1_000_000.0, 2_500_000.5]) for _ in range(n)],
            "region": [rng.choice(["华东", "华北", None]) for _ in range(n)],
            "last_seen_on": [rng.choice([None, AS_OF - datetime.timedelta(days=rng.randrange(60))]) for _ in range(n)],
        }
    )
    events = pd.DataFrame(
        [(f"L{rng.randrange(n)}", rng.choice(["visit_pricing", "open_mail"]), AS_OF - datetime.timedelta(days=rng.randrange(90))) for _ in range(3 * n)],
        columns=["lead", "type", "on"],
    )
    return leads, events


def rows_of(frame: pd.DataFrame) -> list[tuple]:
    frame = frame.astype(object).where(frame.notna(), None)
    return sorted((tuple(r) for r in frame.itertuples(index=False)), key=repr)


def test_scoring_by_row_and_by_group_equal_one_process(spark):
    leads, events = leads_and_events()
    local = leads.assign(last_seen_on=pd.to_datetime(leads["last_seen_on"]))
    sleads = spark.createDataFrame(leads, schema="id string, industry string, revenue double, region string, last_seen_on date")
    # without event rules: mapInPandas, row by row
    one = crmkit.score_frame(local, SCORING, AS_OF).drop(columns=["rank"]).assign(id=leads["id"])
    fn, schema = score_by_row(SCORING, AS_OF, dates=["last_seen_on"])
    got = sleads.repartition(3).mapInPandas(fn, schema).collect()
    assert sorted((tuple(r) for r in got), key=repr) == rows_of(one[["id", *[f.name for f in schema.fields][1:]]])
    # with event rules: leads cogrouped with their events by a bucket of the lead id
    policy = {**SCORING, "rules": [*SCORING["rules"], PRICING]}
    positions = pd.Index(leads["id"]).get_indexer(events["lead"])
    ev = pd.DataFrame({"lead": positions, "type": events["type"], "on": pd.to_datetime(events["on"])})
    one = crmkit.score_frame(local, policy, AS_OF, events=ev).drop(columns=["rank"]).assign(id=leads["id"])
    sevents = spark.createDataFrame(events, schema="lead string, type string, on date")
    fn, schema = score_by_group(policy, AS_OF, dates=["last_seen_on"])
    out = sleads.groupBy(bucket("id", 7)).cogroup(sevents.groupBy(bucket("lead", 7))).applyInPandas(fn, schema)
    got = [tuple(r) for r in out.collect()]
    assert sorted(got, key=repr) == rows_of(one[[f.name for f in schema.fields]])
    assert any(r[3] > 0 for r in got)  # some engagement from the events


POOL = {
    "time_zone": "Asia/Shanghai",
    "pools": [{"id": "all", "scope": {"everyone": True}, "warn_before": 3, "follow_up": {"types": ["call"]},
               "rules": [{"id": "30d", "kind": "no_follow_up", "limit": 30}]}],
}  # fmt: skip


def test_pool_by_group_equals_one_process(spark):
    rng = random.Random(4)
    n, start = 120, pd.Timestamp("2026-08-01T00:00:00Z")
    records = pd.DataFrame(
        {
            "id": [f"c{i}" for i in range(n)],
            "owner": [rng.choice(["wang", "li", "zhao"]) for _ in range(n)],
            "claimed_at": [start + pd.Timedelta(minutes=rng.randrange(60 * 24 * 80)) for _ in range(n)],
            "level": [rng.choice(["A", "B"]) for _ in range(n)],
            "locked": [rng.random() < 0.1 for _ in range(n)],
        }
    )
    activities = pd.DataFrame(
        {
            "record": [f"c{rng.randrange(n)}" for _ in range(3 * n)],
            "at": [start + pd.Timedelta(minutes=rng.randrange(60 * 24 * 90)) for _ in range(3 * n)],
            "type": [rng.choice(["call", "note"]) for _ in range(3 * n)],
            "actor": [rng.choice(["wang", "li", "zhao"]) for _ in range(3 * n)],
        }
    )
    local_acts = activities.assign(record=pd.Index(records["id"]).get_indexer(activities["record"]))
    one = crmkit.evaluate_pool_frame(records, local_acts, POOL, "2026-11-01")
    ms = {c: [None if pd.isna(t) else int(t.timestamp() * 1000) for t in one[c]] for c in ("due_at", "warn_at", "last_follow_up_at")}
    want = sorted(zip(records["id"], one["decision"].astype(str), ms["due_at"], ms["warn_at"], ms["last_follow_up_at"], one["rule"]), key=repr)
    srecords = spark.createDataFrame(records, schema="id string, owner string, claimed_at timestamp, level string, locked boolean")
    sacts = spark.createDataFrame(activities, schema="record string, at timestamp, type string, actor string")
    fn, schema = evaluate_pool_by_group(POOL, "2026-11-01")
    out = srecords.groupBy(bucket("id", 5)).cogroup(sacts.groupBy(bucket("record", 5))).applyInPandas(fn, schema)
    got = out.select("id", "decision", *[F.unix_millis(c) for c in ("due_at", "warn_at", "last_follow_up_at")], "rule").collect()
    assert sorted((tuple(r) for r in got), key=repr) == want
    assert {r[1] for r in got} >= {"recycle", "keep"}


def journeys_frame(n=80, seed=6):
    rng = random.Random(seed)
    rows = []
    for j in range(n):
        converted = rng.random() < 0.7
        day = datetime.date(2026, 3, 1) + datetime.timedelta(days=rng.randrange(30))
        revenue = Decimal(rng.randrange(100, 100_000)).scaleb(-2) if converted else None
        for k in range(rng.randrange(1, 6)):
            rows.append(
                {"journey": f"j{j}", "channel": rng.choice(["search", "email", "events", "web_ads"]), "on": day + datetime.timedelta(days=k),
                 "revenue": revenue, "converted_on": day + datetime.timedelta(days=10) if converted else None}  # fmt: skip
            )
    return pd.DataFrame(rows)


@pytest.mark.parametrize("model", [{"kind": "linear"}, {"kind": "w_shaped"}, {"kind": "time_decay", "half_life_days": "3"}])
def test_attribution_by_journey_equals_one_process(spark, model):
    touches = journeys_frame()
    policy = {"model": model}
    local = touches.assign(on=pd.to_datetime(touches["on"]), converted_on=pd.to_datetime(touches["converted_on"]), revenue=touches["revenue"].fillna(0))
    one = crmkit.attribution_frame(local, policy)
    want = sorted(zip(touches["journey"], touches["channel"], touches["on"], (Decimal(int(c)).scaleb(-2) for c in one.attrs["credits"])), key=repr)
    stouches = spark.createDataFrame(touches.sample(frac=1, random_state=1), schema="journey string, channel string, on date, revenue decimal(18,2), converted_on date")
    fn, schema = attribution_by_journey(policy)
    out = stouches.groupBy(bucket("journey", 6)).applyInPandas(fn, schema)
    assert sorted((tuple(r) for r in out.collect()), key=repr) == want
    by_channel = {r[0]: r[1] for r in out.groupBy("channel").agg(F.sum("credit")).collect()}
    assert by_channel == {c: credit for c, credit in zip(one["channel"], one["credit"]) if credit}
    with pytest.raises(crmkit.CrmkitError) as e:
        attribution_by_journey({"model": {"kind": "markov"}})
    assert (e.value.code, e.value.path) == ("invalid_value", "model.kind")


def test_commission_by_rep_equals_one_process(spark):
    rng = random.Random(2)
    plan = {"kind": "graduated", "tiers": [{"from": "0", "to": "50000", "rate": "0.02"}, {"from": "50000", "to": "100000", "rate": "0.05"},
            {"from": "100000", "rate": "0.08"}]}  # fmt: skip
    sales = [
        {"id": f"d{i}", "on": datetime.date(2026, 3, 1 + rng.randrange(28)), "amount": Decimal(rng.randrange(100_000, 6_000_000)).scaleb(-2),
         "rep": rng.choice(["wang", "li", "zhao", "zhou"])}  # fmt: skip
        for i in range(60)
    ]
    sales.sort(key=lambda t: t["id"])  # a day's sales in id order, as commission_by_rep takes them
    reps = [{"rep": "wang", "prior_credit": "30000"}]
    one = crmkit.compute_commission(plan, {"transactions": sales, "reps": reps}, "2026-03-31")
    fields = ["credit", "provisional", "final", "true_up", "capped", "accrued", "held", "payable"]
    want = sorted((s["rep"], *[s[k] for k in fields]) for s in one["reps"])
    ssales = spark.createDataFrame(pd.DataFrame(sales), schema="id string, on date, amount decimal(18,2), rep string")
    fn, schema = commission_by_rep(plan, "2026-03-31", reps=reps)
    got = sorted(tuple(r) for r in ssales.repartition(3).groupBy("rep").applyInPandas(fn, schema).collect())
    assert got == want and len(got) == 4


DEDUP_POLICY = {
    "fields": [
        {"field": "company", "comparator": {"type": "company_name"}},
        {"field": "phone", "comparator": {"type": "phone"}},
        {"field": "credit_code", "comparator": {"type": "credit_code"}},
    ],
    "rules": {
        "duplicate": [
            {"name": "same company", "all": [{"field": "company", "verdict": "DUPLICATE"}]},
            {"name": "same phone", "all": [{"field": "phone"}]},
        ],
        "related": [{"name": "same group", "all": [{"field": "company", "verdict": "RELATED"}]}],
    },
    # Small, so that common keys are over it (not used) and pairs share several used keys.
    "max_block_size": 6,
}


def dedup_book(n=240, seed=13) -> list[dict]:
    """Names and phones that collide often: components chain, guards refuse merges."""
    rng = random.Random(seed)
    regions, brands = ["北京", "上海", "深圳", ""], ["字节跳动", "字节跳跳动", "仁科互动", "人科互动", "小米", "华信", "东方"]
    tails = ["科技有限公司", "网络技术有限公司", "（北京）科技有限公司", "科技有限公司上海分公司", "有限责任公司", ""]
    phones = [None, "13800000001", "13800000002", "010-62345678", "0755-86765432", "bad"]
    records = []
    for i in range(n):
        brand = rng.choice(brands) + (str(rng.randrange(12)) if rng.random() < 0.5 else "")
        records.append(
            {
                "id": f"c{(i * 37) % n:04d}",
                "owner": rng.choice([None, "王芳", "李雷"]),
                "fields": {
                    "company": rng.choice(regions) + brand + rng.choice(tails),
                    "phone": rng.choice(phones),
                    "credit_code": rng.choice([None, None, "91110108551385082Q", "91110000600037341L"]),
                },
            }
        )
    return records


def test_dedup_on_spark_equals_one_process(spark):
    from crmkit.spark import find_duplicates

    records = dedup_book()
    settings = {"max_cluster_size": 3, "cannot_link": [[records[0]["id"], records[1]["id"]]]}
    whole = crmkit.find_duplicates(DEDUP_POLICY, records, settings)
    assert whole["stats"]["skipped_keys"] > 0 and len(whole["clusters"]) > 10 and whole["refused"]
    frame = pd.DataFrame(
        {
            "row": range(len(records)),
            "id": [r["id"] for r in records],
            "owner": [r["owner"] for r in records],
            **{f: [r["fields"][f] for r in records] for f in ("company", "phone", "credit_code")},
        }
    )
    # Shuffled into partitions: the table's order is the `row` column, not Spark's.
    df = spark.createDataFrame(frame.sample(frac=1, random_state=3)).repartition(3)
    out = find_duplicates(df, DEDUP_POLICY, settings, owner="owner", order="row")
    clusters = [r.asDict() for r in out.clusters.orderBy("id").collect()]
    for c in clusters:
        c["merged"] = dict(c["merged"])
    assert clusters == [{**c, "id": c["id"]} for c in whole["clusters"]]
    pairs = sorted((r.left, r.right, r.verdict, r.score) for r in out.pairs.collect())
    assert pairs == sorted((p["left"], p["right"], p["verdict"], p["score"]) for p in whole["pairs"])
    refused = sorted(tuple(r) for r in out.refused.collect())
    assert refused == sorted((r["left"], r["right"], r["reason"]) for r in whole["refused"])
    with pytest.raises(crmkit.CrmkitError) as e:
        find_duplicates(df, DEDUP_POLICY, {"cannot_link": [["c0001", "nobody"]]}, order="row")
    assert (e.value.code, e.value.path) == ("invalid_value", "settings.cannot_link[0][1]")
