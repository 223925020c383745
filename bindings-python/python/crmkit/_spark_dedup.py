"""``crmkit.spark.find_duplicates``: de-duplication of a Spark DataFrame, the clusters of
``crmkit.find_duplicates`` on the whole table, exactly.

1. blocking keys per record (``blocking_keys_frame`` in ``mapInPandas``); keys shared by
   more than the policy's ``max_block_size`` records are not used (as in one process);
2. the used keys' records scored in ``applyInPandas`` (``score_block_frame``, many blocks
   per call: the keys hashed into buckets): a pair sharing several keys is scored only by
   the block of its smallest shared used key;
3. connected components of the DUPLICATE pairs in Spark (alternating large-star /
   small-star, Kiveris et al. 2014; no GraphFrames);
4. the components clustered in ``applyInPandas`` (``cluster_pairs_frame``, many components
   per call: their clusters are independent): the same greedy merge under the same guards, the survivor and merged values; cluster ids numbered by
   each cluster's first record in the table's order.
"""

from __future__ import annotations

from typing import Any, Mapping, NamedTuple

from crmkit._dedup import blocking_keys_frame, cluster_pairs_frame, score_block_frame
from crmkit._wire import error

_ROW, _KEY, _COMP = "__crmkit_row", "__crmkit_key", "__crmkit_component"


class SparkDedup(NamedTuple):
    """The Spark DataFrames of :func:`find_duplicates`."""

    clusters: Any
    """``id`` (0, 1, ... by first record), ``members`` (ids in table order), ``survivor``,
    ``survivor_reason``, ``merged`` (map field → value), ``owners``, ``min_score``: the
    clusters of ``crmkit.find_duplicates``."""
    pairs: Any
    """``left``, ``right`` (ids; left the earlier row), ``verdict`` (DUPLICATE / RELATED),
    ``score``: the report's pairs without their explanations."""
    refused: Any
    """``left``, ``right``, ``reason``: merges the guards refused."""


def clusters_schema() -> Any:
    """The Spark schema of :func:`find_duplicates`' clusters."""
    from pyspark.sql.types import ArrayType, DoubleType, LongType, MapType, StringType, StructField, StructType

    return StructType(
        [
            StructField("id", LongType(), False),
            StructField("members", ArrayType(StringType(), False), False),
            StructField("survivor", StringType(), False),
            StructField("survivor_reason", StringType(), False),
            StructField("merged", MapType(StringType(), StringType(), False), False),
            StructField("owners", ArrayType(StringType(), False), False),
            StructField("min_score", DoubleType(), False),
        ]
    )


def find_duplicates(
    df: Any,
    policy: Mapping[str, Any],
    settings: Mapping[str, Any] | None = None,
    *,
    id: str = "id",  # noqa: A002
    owner: str | None = None,
    order: str | None = None,
    buckets: int | None = None,
    max_iterations: int = 100,
) -> SparkDedup:
    """De-duplicates a Spark DataFrame: one column per policy field (named as the field),
    ids in ``id``, owners in ``owner``; the table's order is ``order`` (a sortable column,
    e.g. a row number), or the DataFrame's own (``monotonically_increasing_id``). Returns
    :class:`SparkDedup`: the clusters, pairs and refused merges ``crmkit.find_duplicates``
    gives for the same rows in that order. ``buckets``: how many ``applyInPandas`` groups
    the blocks and the components are hashed into (default: one per 100,000 (record, key)
    rows, at least twice the default parallelism).

    Limits: each block holds at most ``max_block_size`` records (larger keys are not used,
    as in one process) and each component at most ``MAX_BATCH_RECORDS`` / 50M pairs (one
    ``applyInPandas`` call); the whole table is not bounded by one machine's limits.

    Raises ``CrmkitError`` on the driver for a bad policy or settings (checked on an empty
    table first), a missing column (``missing_field``), a blank or repeated id
    (``missing_value`` / ``duplicate_name`` at ``ids``), a cannot-link naming an unknown id
    (``invalid_value`` at ``settings.cannot_link[k][j]``); in the executors for bad values.
    """
    import numpy as np
    import pandas as pd
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    policy = dict(policy)
    settings = dict(settings or {})
    names = [f.get("field") for f in policy.get("fields") or [] if isinstance(f, Mapping)]
    names = [n for n in dict.fromkeys(names) if isinstance(n, str)]
    # Policy and settings errors on the driver, before any job.
    empty = pd.DataFrame({c: pd.Series([], dtype=object) for c in dict.fromkeys([id, *([owner] if owner else []), *names])})
    cap = int(blocking_keys_frame(empty, policy, id=id).attrs["max_block_size"])
    cluster_pairs_frame(empty, policy, [], [], id=id, owner=owner, settings={**settings, "cannot_link": []})
    for name in [id, *([owner] if owner else []), *names, *([order] if order else [])]:
        if name not in df.columns:
            raise error("missing_field", name, f"the table has no column {name!r}")
    columns = list(dict.fromkeys([id, *([owner] if owner else []), *names]))
    row = F.col(order) if order else F.monotonically_increasing_id()
    base = df.select(*[F.col(c) for c in columns], row.alias(_ROW))
    if base.filter(F.col(id).isNull()).limit(1).count():
        raise error("missing_value", "ids", "every row needs an id")
    repeated = base.groupBy(id).count().filter(F.col("count") > 1).limit(1).collect()
    if repeated:
        raise error("duplicate_name", "ids", f"the id {repeated[0][0]!r} is on more than one row")
    cannot = settings.get("cannot_link") or []
    if cannot:
        named = {str(i) for p in cannot if isinstance(p, (list, tuple)) for i in p}
        found = {str(r[0]) for r in base.filter(F.col(id).cast("string").isin(list(named))).select(id).collect()}
        for k, p in enumerate(cannot):
            for j, i in enumerate(p):
                if str(i) not in found:
                    raise error("invalid_value", f"settings.cannot_link[{k}][{j}]", f"{i!r} is not a record id")

    # 1. Blocking keys.
    def keys_of(batches: Any) -> Any:
        for pdf in batches:
            pdf = pdf.reset_index(drop=True)
            k = blocking_keys_frame(pdf, policy, id=id)
            yield pd.DataFrame({_ROW: pdf[_ROW].to_numpy()[k["row"].to_numpy()], _KEY: k["key"].to_numpy()})

    keys = base.mapInPandas(keys_of, f"{_ROW} long, {_KEY} long").localCheckpoint()
    if buckets is None:
        buckets = max(2 * df.sparkSession.sparkContext.defaultParallelism, keys.count() // 100_000 + 1)
    sizes = keys.groupBy(_KEY).count()
    skipped = np.array([r[0] for r in sizes.filter(F.col("count") > cap).select(_KEY).collect()], dtype=np.int64)
    used = sizes.filter((F.col("count") >= 2) & (F.col("count") <= cap)).select(_KEY)

    # 2. The blocks' pairs, each candidate pair scored once; many blocks per call.
    def score(pdf: Any) -> Any:
        pdf = pdf.sort_values([_KEY, _ROW], kind="stable").reset_index(drop=True)
        out = score_block_frame(pdf, policy, pdf[_KEY].to_numpy(), skipped, id=id)
        left, right = out["left"].to_numpy(), out["right"].to_numpy()
        rows, ids = pdf[_ROW].to_numpy(), pdf[id].astype(str).to_numpy()
        return pd.DataFrame(
            {"a": rows[left], "b": rows[right], "left": ids[left], "right": ids[right], "verdict": out["verdict"], "score": out["score"]}
        )

    members = keys.join(used, _KEY).join(base, _ROW)
    pairs = members.groupBy(F.pmod(F.xxhash64(_KEY), F.lit(buckets))).applyInPandas(score, "a long, b long, left string, right string, verdict string, score double")
    pairs = pairs.localCheckpoint()
    edges = pairs.filter(F.col("verdict") == "DUPLICATE").select("a", "b")

    # 3. Connected components of the DUPLICATE pairs: node → the smallest row in its component.
    component = _components(edges, max_iterations)

    # 4. The components' clusters; many components per call (in the table's order).
    def cluster(recs: Any, es: Any) -> Any:
        recs = recs.sort_values(_ROW, kind="stable").reset_index(drop=True)
        position = pd.Series(np.arange(len(recs)), index=recs[_ROW].to_numpy())
        out = cluster_pairs_frame(
            recs.drop(columns=[_ROW, _COMP]),
            policy,
            position.loc[es["a"].to_numpy()].to_numpy(),
            position.loc[es["b"].to_numpy()].to_numpy(),
            id=id,
            owner=owner,
            settings=settings,
        )
        first = dict(zip(recs[id].astype(str), recs[_ROW]))
        found = out.attrs["clusters"]
        refused = out.attrs["refused"]
        n, m = len(found), len(refused)
        return pd.DataFrame(
            {
                "kind": ["cluster"] * n + ["refused"] * m,
                "first": [int(first[c["members"][0]]) for c in found] + [None] * m,
                "members": [c["members"] for c in found] + [None] * m,
                "survivor": [c["survivor"] for c in found] + [None] * m,
                "survivor_reason": [c["survivor_reason"] for c in found] + [None] * m,
                "merged": [c["merged"] for c in found] + [None] * m,
                "owners": [c["owners"] for c in found] + [None] * m,
                "min_score": [c["min_score"] for c in found] + [None] * m,
                "left": [None] * n + [r["left"] for r in refused],
                "right": [None] * n + [r["right"] for r in refused],
                "reason": [None] * n + [r["reason"] for r in refused],
            }
        )

    schema = (
        "kind string, first long, members array<string>, survivor string, survivor_reason string, "
        "merged map<string,string>, owners array<string>, min_score double, left string, right string, reason string"
    )
    records = base.join(component, _ROW)
    # New column ids on the edges' side: both sides of the cogroup come from `component`.
    component_edges = edges.join(component.select(F.col(_ROW).alias("a"), F.col(_COMP).alias(_COMP)), "a")
    bucket = F.pmod(F.xxhash64(_COMP), F.lit(buckets))
    out = records.groupBy(bucket).cogroup(component_edges.groupBy(bucket)).applyInPandas(cluster, schema).localCheckpoint()
    numbered = Window.orderBy("first")  # one partition: one row per cluster
    clusters = (
        out.filter(F.col("kind") == "cluster")
        .withColumn("id", F.row_number().over(numbered) - 1)
        .select(
            F.col("id").cast("long"), "members", "survivor", "survivor_reason", "merged", "owners", "min_score"
        )
    )
    refused = out.filter(F.col("kind") == "refused").select("left", "right", "reason")
    return SparkDedup(clusters, pairs.select("left", "right", "verdict", "score"), refused)


def _components(edges: Any, max_iterations: int) -> Any:
    """``(row, component)`` for every row on an edge, ``component`` the smallest row of its
    connected component: large-star and small-star in turn until the edges stop changing
    (O(log² n) rounds; each round's edges checkpointed so the plan stays short)."""
    from pyspark.sql import functions as F

    e = edges.select(F.least("a", "b").alias("u"), F.greatest("a", "b").alias("v")).filter("u != v").distinct().localCheckpoint()
    for _round in range(max_iterations):
        # Large star: each node's larger neighbours attach to the smallest of its neighbourhood.
        both = e.select(F.col("u").alias("x"), F.col("v").alias("y")).union(e.select(F.col("v").alias("x"), F.col("u").alias("y")))
        low = both.groupBy("x").agg(F.min("y").alias("m")).select("x", F.least("x", "m").alias("m"))
        large = both.filter(F.col("y") > F.col("x")).join(low, "x").select(F.col("m").alias("u"), F.col("y").alias("v")).distinct()
        # Small star: each node and its smaller neighbours attach to the smallest of them.
        low = large.groupBy("v").agg(F.min("u").alias("m"))
        small = (
            large.join(low, "v")
            .select(F.least("u", "m").alias("u"), F.greatest("u", "m").alias("v"))
            .filter("u != v")
            .union(low.select(F.col("m").alias("u"), F.col("v")))
            .distinct()
            .localCheckpoint()
        )
        if small.exceptAll(e).union(e.exceptAll(small)).limit(1).count() == 0:
            break
        e = small
    else:
        raise error("limit_exceeded", "max_iterations", f"the components did not settle in {max_iterations} rounds")
    return (
        e.select(F.col("v").alias(_ROW), F.col("u").alias(_COMP))
        .union(e.select(F.col("u").alias(_ROW), F.col("u").alias(_COMP)))
        .distinct()
        .localCheckpoint()
    )
