"""crmkit.spark.find_duplicates in a local Spark session against one dedup_frame call.

The book of dedup_data.py (seed 42: Chinese and Latin companies, a quarter of them with
variant records), the policy of dedup_peers.py (company name, phone, e-mail): one process
(`dedup_frame` on the pandas frame) against Spark in `local[<cores>]` mode (blocking keys,
pairs per block, connected components, clusters per component; the frame cached in Spark
first, timing the whole run up to the collected clusters). Both give the same clusters
(members, survivor, merged values, min score), checked. Not in the test command; run with the
venv of scripts/spark.sh:

    PYSPARK_PYTHON=target/spark-venv/bin/python target/spark-venv/bin/python benches/peers/dedup_spark.py [n] [cores]
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pandas as pd

import crmkit
from crmkit.spark import find_duplicates

sys.path.insert(0, str(Path(__file__).parent))
from dedup_data import generate  # noqa: E402

POLICY = {
    "fields": [
        {"field": "company", "comparator": {"type": "company_name"}},
        {"field": "phone", "comparator": {"type": "phone"}},
        {"field": "email", "comparator": {"type": "email"}},
    ],
    "rules": {
        "duplicate": [
            {"name": "same company", "all": [{"field": "company", "verdict": "DUPLICATE"}]},
            {"name": "same phone and e-mail", "all": [{"field": "phone"}, {"field": "email"}]},
        ]
    },
}
SETTINGS = {"max_cluster_size": 50}


def main() -> None:
    n = int(sys.argv[1].replace("_", "")) if len(sys.argv) > 1 else 100_000
    cores = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    df = generate(n)[["id", "company", "phone", "email", "owner"]].astype({"id": str})
    df.insert(0, "row", range(len(df)))
    start = time.perf_counter()
    one = crmkit.dedup_frame(df, POLICY, id="id", owner="owner", settings=SETTINGS)
    t_one = time.perf_counter() - start

    spark = (
        SparkSession.builder.master(f"local[{cores}]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(cores * 2))
        .config("spark.driver.memory", "4g")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")  # createDataFrame from pandas
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    sdf = spark.createDataFrame(df).cache()
    sdf.count()
    start = time.perf_counter()
    out = find_duplicates(sdf, POLICY, SETTINGS, owner="owner", order="row")
    rows = out.clusters.orderBy("id").collect()
    t_spark = time.perf_counter() - start
    spark.stop()

    got = [{**r.asDict(), "merged": dict(r["merged"])} for r in rows]
    assert got == one.attrs["clusters"], "Spark's clusters differ from dedup_frame's"
    print(f"{n:,} records, {len(got):,} clusters; pandas {pd.__version__}, crmkit {crmkit.__version__}")
    print(f"dedup_frame, one process: {t_one * 1e3:.0f} ms")
    print(f"crmkit.spark.find_duplicates, local[{cores}]: {t_spark * 1e3:.0f} ms ({t_spark / t_one:.0f}x)")
    print("same clusters, survivors and merged values")


if __name__ == "__main__":
    main()
