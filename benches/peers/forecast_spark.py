"""crmkit.spark.forecast_by_group in a local Spark session against one forecast_frame call.

The deals of forecast_pandas.py (seed 42, 200 owners), grouped by owner, placement
`actual`: one process (`forecast_frame` on the pandas frame) against Spark in
`local[<cores>]` mode (`groupBy("owner").applyInPandas`, the frame already cached in Spark,
timing the whole job up to the collected lines). Both results are checked equal line for line.
Not in the test command; run with the venv of scripts/spark.sh:

    PYSPARK_PYTHON=target/spark-venv/bin/python target/spark-venv/bin/python benches/peers/forecast_spark.py [n] [cores]
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pandas as pd

import crmkit
from crmkit.spark import forecast_by_group

sys.path.insert(0, str(Path(__file__).parent))
from forecast_pandas import AS_OF, generate, policy  # noqa: E402


def main() -> None:
    n = int(sys.argv[1].replace("_", "")) if len(sys.argv) > 1 else 1_000_000
    cores = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    df = generate(n)[["stage", "owner", "amount", "entered"]]
    p = policy("actual")
    start = time.perf_counter()
    one = crmkit.forecast_frame(df, p, AS_OF, entered_stage_on="entered", amount_scale=2)  # int64 cents
    t_one = time.perf_counter() - start

    spark = (
        SparkSession.builder.master(f"local[{cores}]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(cores * 2))
        .config("spark.driver.memory", "4g" if n <= 2_000_000 else "10g")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")  # createDataFrame from pandas
        .getOrCreate()
    )
    plain = df.assign(stage=df["stage"].astype(str), owner=df["owner"].astype(str), entered=df["entered"].dt.date)
    sdf = spark.createDataFrame(plain, schema="stage string, owner string, amount long, entered date").cache()
    sdf.count()
    fn, schema = forecast_by_group(p, AS_OF, entered_stage_on="entered", amount_scale=2)
    start = time.perf_counter()
    rows = sdf.groupBy("owner").applyInPandas(fn, schema).collect()
    t_spark = time.perf_counter() - start
    spark.stop()

    got = sorted(tuple(r) for r in rows)
    want = sorted(tuple(r) for r in one[["owner", "month", "offset", "deals", "amount", "weighted"]].itertuples(index=False))
    assert got == want, "Spark's lines differ from forecast_frame's"
    print(f"{n:,} deals, 200 owners, placement actual; pandas {pd.__version__}, crmkit {crmkit.__version__}")
    print(f"forecast_frame, one process: {t_one * 1e3:.0f} ms")
    print(f"Spark local[{cores}] groupBy(owner).applyInPandas: {t_spark * 1e3:.0f} ms ({t_spark / t_one:.0f}x)")
    print("same lines, to the cent")


if __name__ == "__main__":
    main()
