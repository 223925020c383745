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
