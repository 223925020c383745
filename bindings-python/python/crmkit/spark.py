"""crmkit on Spark: the batch entry points as ``applyInPandas`` functions with their output
schemas, for books too large for one machine (``pip install "crmkit[spark]"``: pyspark ≥ 4).

crmkit's results are exact per group: a forecast grouped by owner gives each owner's lines
from that owner's deals alone, so Spark can compute the groups on different executors and
the union is, line for line and to the cent, what one ``forecast_frame`` call gives on the
whole book (money as ``DecimalType``). Totals over all groups are not additive after
rounding: compute them from the group lines' exact sums, or in one process.

    from crmkit.spark import forecast_by_group

    fn, schema = forecast_by_group(policy, as_of, entered_stage_on="entered")
    lines = deals.groupBy(*policy["group_by"]).applyInPandas(fn, schema)

Each executor needs crmkit installed (the wheel of ``scripts/python.sh --build-only``) and
the driver's Python (``PYSPARK_PYTHON``). One function returning ``(function, schema)`` per
batch entry point that is parallel by row or by group:

* ``forecast_by_group``: ``deals.groupBy(*group_by).applyInPandas``, the forecast per group;
* ``score_by_row``: ``leads.mapInPandas``, scores without events; ``score_by_group``:
  ``leads.groupBy(b).cogroup(events.groupBy(b)).applyInPandas`` with the leads' events
  (``b`` a bucket of the lead id on both sides: :func:`bucket`);
* ``evaluate_pool_by_group``: ``records.groupBy(b).cogroup(activities.groupBy(b))``, one
  decision per record;
* ``attribution_by_journey``: ``touches.groupBy(journey or a bucket of it).applyInPandas``,
  each touch's credit under a rule model (first/last touch, linear, U, W, position, time
  decay; Markov and Shapley learn from all journeys at once and are refused);
* ``commission_by_rep``: ``transactions.groupBy("rep").applyInPandas``, one statement per rep;
* ``find_duplicates``: dedup of a whole DataFrame (not a ``(function, schema)`` pair: it runs
  several Spark stages): blocking keys in ``mapInPandas``, each block's pairs in
  ``applyInPandas``, connected components in Spark, each component's clusters (the same
  coherence guard) in ``applyInPandas``; the clusters of ``crmkit.find_duplicates``, exactly.

What needs every row at once stays in one process: the ranking of ``score_frame`` (rank with
a Spark window over ``score``), the Markov and Shapley models, totals rounded once from
exact sums.
"""

from __future__ import annotations

import datetime
import decimal
from typing import Any, Callable, Iterator, Mapping, Sequence

from crmkit._arrow import error
from crmkit._frame import forecast_frame
from crmkit._spark_dedup import SparkDedup, clusters_schema, find_duplicates

__all__ = [
    "SparkDedup",
    "attribution_by_journey",
    "bucket",
    "clusters_schema",
    "commission_by_rep",
    "evaluate_pool_by_group",
    "find_duplicates",
    "forecast_by_group",
    "forecast_schema",
    "score_by_group",
    "score_by_row",
]


def forecast_schema(policy: Mapping[str, Any]) -> Any:
    """The Spark schema of ``forecast_frame``'s rows: the ``group_by`` keys (strings), then
    ``month``, ``offset``, ``deals`` and the money columns as ``DecimalType(38, dp)``, dp
    the policy's rounding places."""
    from pyspark.sql.types import DecimalType, LongType, StringType, StructField, StructType

    dp = int((policy.get("rounding") or {}).get("dp", 2))
    keys = [StructField(str(k), StringType(), True) for k in policy.get("group_by") or []]
    return StructType(
        [
            *keys,
            StructField("month", StringType(), False),
            StructField("offset", LongType(), False),
            StructField("deals", LongType(), False),
            StructField("amount", DecimalType(38, dp), False),
            StructField("weighted", DecimalType(38, dp), False),
        ]
    )


def forecast_by_group(
    policy: Mapping[str, Any],
    as_of: datetime.date | str,
    *,
    stage: str = "stage",
    amount: str = "amount",
    entered_stage_on: str | None = None,
    expected_close_on: str | None = None,
    snoozed_until: str | None = None,
    amount_scale: int | None = None,
) -> tuple[Callable[[Any], Any], Any]:
    """``(function, schema)`` for ``df.groupBy(*policy["group_by"]).applyInPandas``: the
    forecast of each group's deals, the rows ``forecast_frame`` gives for that group. The
    column arguments are ``forecast_frame``'s. Spark ``DateType`` columns (which reach
    pandas as ``datetime.date`` objects) are read as dates, ``DecimalType`` amounts exactly.

    Raises ``CrmkitError`` in the executor for bad data, as ``forecast_frame`` does; an
    empty ``group_by`` is refused here (``invalid_value`` at ``group_by``): without groups
    there is nothing to split, use ``forecast_frame``.
    """
    if not policy.get("group_by"):
        raise error("invalid_value", "group_by", "forecast_by_group needs the policy's group_by keys to split by")
    policy = dict(policy)
    dates = [c for c in (entered_stage_on, expected_close_on, snoozed_until) if c is not None]

    def forecast_group(pdf: Any) -> Any:
        import pandas as pd

        for column in dates:
            if column in pdf.columns and not pd.api.types.is_datetime64_any_dtype(pdf[column].dtype):
                pdf[column] = pd.to_datetime(pdf[column])  # datetime.date objects from DateType
        out = forecast_frame(
            pdf,
            policy,
            as_of,
            stage=stage,
            amount=amount,
            entered_stage_on=entered_stage_on,
            expected_close_on=expected_close_on,
            snoozed_until=snoozed_until,
            amount_scale=amount_scale,
        )
        out.attrs.clear()  # the per-group totals are not part of the rows
        return out

    return forecast_group, forecast_schema(policy)


def bucket(column: str, buckets: int) -> Any:
    """A Spark column: ``column`` hashed into ``buckets`` groups (0 .. buckets-1), the same
    for the same value on both sides of a cogroup: ``leads.groupBy(bucket("id", 64))`` with
    ``events.groupBy(bucket("lead", 64))``."""
    from pyspark.sql import functions as F

    return F.pmod(F.hash(F.col(column)), F.lit(int(buckets))).alias("crmkit_bucket")


def _key_field(key: str, key_type: str) -> Any:
    from pyspark.sql.types import StructField, _parse_datatype_string

    return StructField(key, _parse_datatype_string(key_type), True)


def _positions(keys: Any, refs: Any, key: str) -> Any:
    """Row positions in ``keys`` of each of ``refs`` (-1: not in this group)."""
    import pandas as pd

    index = pd.Index(keys)
    if not index.is_unique:
        dup = index[index.duplicated()][0]
        raise error("invalid_value", key, f"{dup!r} is the key of two rows in one group; keys must be unique")
    return index.get_indexer(refs)


def _dates_as_datetimes(pdf: Any, columns: Sequence[str]) -> Any:
    """Spark ``DateType`` reaches pandas as ``datetime.date`` objects: as datetime64 columns."""
    import pandas as pd

    for column in columns:
        if column in pdf.columns and not pd.api.types.is_datetime64_any_dtype(pdf[column].dtype):
            pdf[column] = pd.to_datetime(pdf[column])
    return pdf


# --- lead scoring ----------------------------------------------------------------------


def score_schema(policy: Mapping[str, Any], key: str = "id", key_type: str = "string") -> Any:
    """The rows of :func:`score_by_row` / :func:`score_by_group`: ``key``, ``score``,
    ``fit``, ``engagement`` (doubles), ``grade``, ``tier`` and ``reason_1`` ..
    ``reason_k`` (strings; k the policy's ``top_reasons``, 3 by default)."""
    from pyspark.sql.types import DoubleType, StringType, StructField, StructType

    reasons = int(policy.get("top_reasons", 3))
    return StructType(
        [
            _key_field(key, key_type),
            *[StructField(name, DoubleType(), False) for name in ("score", "fit", "engagement")],
            *[StructField(name, StringType(), True) for name in ("grade", "tier")],
            *[StructField(f"reason_{k + 1}", StringType(), True) for k in range(reasons)],
        ]
    )


def _score_rows(leads: Any, policy: Mapping[str, Any], as_of: Any, key: str, events: Any, dates: Sequence[str]) -> Any:
    from crmkit._scoring import score_frame

    leads = _dates_as_datetimes(leads.reset_index(drop=True), dates)
    out = score_frame(leads, policy, as_of, events=events).drop(columns=["rank"])  # rank is book-wide
    out = out.astype(object).where(out.notna(), None)
    out.insert(0, key, leads[key].to_numpy())
    return out


def score_by_row(
    policy: Mapping[str, Any], as_of: datetime.date | str, *, key: str = "id", key_type: str = "string", dates: Sequence[str] = ()
) -> tuple[Callable[[Iterator[Any]], Iterator[Any]], Any]:
    """``(function, schema)`` for ``leads.mapInPandas``: each lead's ``score_frame`` line
    (without ``rank``, which is over the whole book), by its ``key`` column (of Spark type
    ``key_type``). For policies without event rules; with events use :func:`score_by_group`.
    ``dates``: the policy's date fields that arrive as Spark ``DateType``."""
    policy = dict(policy)

    def score_batches(batches: Iterator[Any]) -> Iterator[Any]:
        for leads in batches:
            yield _score_rows(leads, policy, as_of, key, None, dates)

    return score_batches, score_schema(policy, key, key_type)


def score_by_group(
    policy: Mapping[str, Any],
    as_of: datetime.date | str,
    *,
    key: str = "id",
    key_type: str = "string",
    event_lead: str = "lead",
    event_type: str = "type",
    event_on: str = "on",
    dates: Sequence[str] = (),
) -> tuple[Callable[[Any, Any], Any], Any]:
    """``(function, schema)`` for ``leads.groupBy(b).cogroup(events.groupBy(b)).applyInPandas``,
    ``b`` the same bucket of the lead's id on both sides (``bucket("id", n)`` and
    ``bucket("lead", n)``): each lead scored with its events, which name their lead by its
    ``key`` in ``event_lead``. Equal, lead for lead, to one ``score_frame`` call."""
    policy = dict(policy)

    def score_group(leads: Any, events: Any) -> Any:
        import pandas as pd

        events = _dates_as_datetimes(events, [event_on])
        positions = _positions(leads[key], events[event_lead], key)
        mine = positions >= 0
        ev = pd.DataFrame({"lead": positions[mine], "type": events[event_type][mine].to_numpy(), "on": events[event_on][mine].to_numpy()})
        return _score_rows(leads, policy, as_of, key, ev, dates)

    return score_group, score_schema(policy, key, key_type)


# --- public pool -----------------------------------------------------------------------


def pool_schema(key: str = "id", key_type: str = "string") -> Any:
    """The rows of :func:`evaluate_pool_by_group`: ``key``, ``pool``, ``decision``,
    ``due_at``, ``warn_at``, ``last_follow_up_at`` (timestamps) and ``rule``."""
    from pyspark.sql.types import LongType, StringType, StructField, StructType, TimestampType

    return StructType(
        [
            _key_field(key, key_type),
            StructField("pool", StringType(), True),
            StructField("decision", StringType(), False),
            *[StructField(name, TimestampType(), True) for name in ("due_at", "warn_at", "last_follow_up_at")],
            StructField("rule", LongType(), False),
        ]
    )


_INSTANTS = ("claimed_at", "last_won_at", "last_opportunity_at", "at", "logged_at")


def _session_zone() -> str:
    try:
        from pyspark.sql import SparkSession

        session = SparkSession.getActiveSession()
        return session.conf.get("spark.sql.session.timeZone") if session is not None else "UTC"
    except Exception:  # noqa: BLE001  (no session on this side: Spark's default is the JVM's, say UTC)
        return "UTC"


def evaluate_pool_by_group(
    policy: Mapping[str, Any],
    as_of: datetime.date | datetime.datetime | str,
    *,
    key: str = "id",
    key_type: str = "string",
    time_zone: str | None = None,
) -> tuple[Callable[[Any, Any], Any], Any]:
    """``(function, schema)`` for ``records.groupBy(b).cogroup(activities.groupBy(b))
    .applyInPandas``, ``b`` the same bucket of the record's id on both sides
    (``bucket("id", n)`` and ``bucket("record", n)``): one ``evaluate_pool_frame`` decision
    per record, whose activities name it by its ``key`` in their ``record`` column.

    Spark ``TimestampType`` columns reach pandas as wall-clock times of the session's time
    zone: ``time_zone`` (default: the active session's ``spark.sql.session.timeZone``, read
    here on the driver) makes them instants again. ``LongType`` columns are ms since 1970 UTC.
    """
    policy = dict(policy)
    zone = time_zone or _session_zone()

    def instants(pdf: Any) -> Any:
        import pandas as pd

        for column in _INSTANTS:
            if column in pdf.columns and pd.api.types.is_datetime64_any_dtype(pdf[column].dtype) and getattr(pdf[column].dtype, "tz", None) is None:
                pdf[column] = pdf[column].dt.tz_localize(zone)
        return pdf

    def pool_group(records: Any, activities: Any) -> Any:
        from crmkit._pool import evaluate_pool_frame

        records = instants(records.reset_index(drop=True))
        activities = instants(activities.reset_index(drop=True))
        positions = _positions(records[key], activities["record"], key)
        activities = activities[positions >= 0].assign(record=positions[positions >= 0])
        out = evaluate_pool_frame(records, activities, policy, as_of)
        out = out.assign(**{c: out[c].astype(object) for c in ("pool", "decision")})
        out.insert(0, key, records[key].to_numpy())
        return out

    return pool_group, pool_schema(key, key_type)


# --- attribution -----------------------------------------------------------------------

_GLOBAL_MODELS = ("markov", "shapley")


def attribution_by_journey(
    policy: Mapping[str, Any],
    *,
    journey: str = "journey",
    journey_type: str = "string",
    channel: str = "channel",
    on: str = "on",
    revenue: str = "revenue",
    converted_on: str = "converted_on",
    milestone: str | None = None,
    revenue_scale: int | None = None,
) -> tuple[Callable[[Any], Any], Any]:
    """``(function, schema)`` for ``touches.groupBy(journey).applyInPandas`` (or a bucket of
    it: a group may hold many journeys): each touch's credit under a rule model, the
    ``attrs["credits"]`` of one ``attribution_frame`` call, touch for touch. Rows: the
    ``journey``, ``channel`` and ``on`` columns, then ``credit`` as ``DecimalType(38, dp)``
    (dp the policy's ``rounding.dp``, 2 by default); sum ``credit`` by channel in Spark for
    the channel lines, exactly. The touches need not arrive sorted: each group is sorted by
    journey and ``on`` first. Markov and Shapley learn from all journeys together:
    ``invalid_value`` at ``model.kind``.
    """
    from pyspark.sql.types import DateType, DecimalType, StringType, StructField, StructType

    model = (policy.get("model") or {}).get("kind") if isinstance(policy.get("model"), Mapping) else None
    if model in _GLOBAL_MODELS:
        raise error("invalid_value", "model.kind", f"{model} attribution learns from all journeys at once: run attribution_frame in one process")
    policy = dict(policy)
    dp = int((policy.get("rounding") or {}).get("dp", 2))

    def attribute_group(touches: Any) -> Any:
        import numpy as np
        import pandas as pd

        from crmkit._roi import attribution_frame

        touches = _dates_as_datetimes(touches, [on, converted_on])
        touches = touches.sort_values([journey, on], kind="stable").reset_index(drop=True)
        # Revenue is read on converted journeys only; a DecimalType null elsewhere is no error.
        unread = touches[revenue].isna() & touches[converted_on].isna()
        touches[revenue] = touches[revenue].where(~unread, 0)
        scale = {} if revenue_scale is None else {"revenue_scale": revenue_scale}  # else attribution_frame's default
        out = attribution_frame(
            touches, policy, journey=journey, channel=channel, on=on, revenue=revenue,
            converted_on=converted_on, milestone=milestone, **scale,
        )  # fmt: skip
        credits = [decimal.Decimal(int(c)).scaleb(-dp) for c in np.asarray(out.attrs["credits"])]
        return pd.DataFrame(
            {journey: touches[journey].to_numpy(), channel: touches[channel].astype(str).to_numpy(), on: touches[on].dt.date.to_numpy(), "credit": credits}
        )

    schema = StructType(
        [
            _key_field(journey, journey_type),
            StructField(channel, StringType(), False),
            StructField(on, DateType(), True),
            StructField("credit", DecimalType(38, dp), False),
        ]
    )
    return attribute_group, schema


# --- commission ------------------------------------------------------------------------

_STATEMENT = ("credit", "provisional", "final", "true_up", "capped", "accrued", "held", "payable")


def commission_by_rep(
    plan: Mapping[str, Any], as_of: datetime.date | str, *, reps: Sequence[Mapping[str, Any]] = ()
) -> tuple[Callable[[Any], Any], Any]:
    """``(function, schema)`` for ``transactions.groupBy("rep").applyInPandas``: each rep's
    statement from ``compute_commission`` over that rep's transactions (one row each:
    ``id``, ``on``, ``amount`` and the optional ``kind``, ``currency``, ``product``,
    ``customer_type``, ``refers_to``... as ``compute_commission`` reads them; nulls are
    absent fields), ``reps`` the reps' records (quota, prior credit, draw), looked up by
    ``rep``. Rows: ``rep``, then ``credit``, ``provisional``, ``final``, ``true_up``,
    ``capped``, ``accrued``, ``held``, ``payable`` as ``DecimalType(38, 10)`` (exact for any
    plan's rounding). Spark keeps no row order, so each rep's transactions are taken in
    (``on``, ``id``) order: the statement ``compute_commission`` gives for them in id order
    on each day. A transaction split between reps (``splits``) is credited across groups:
    refused (``invalid_value`` at ``splits``); compute those in one process.
    """
    from pyspark.sql.types import DecimalType, StringType, StructField, StructType

    plan = dict(plan)
    by_rep = {r["rep"]: dict(r) for r in reps}

    def rep_statement(transactions: Any) -> Any:
        import pandas as pd

        from crmkit._commission import compute_commission

        if "splits" in transactions.columns and transactions["splits"].notna().any():
            raise error("invalid_value", "splits", "split transactions are credited across reps: use compute_commission in one process")
        # Spark keeps no input order, and compute_commission takes a day's transactions in the
        # order given: (on, id) is the order here.
        transactions = transactions.sort_values(["on", "id"], kind="stable")
        rows = []
        for record in transactions.drop(columns=[c for c in ("splits",) if c in transactions.columns]).to_dict("records"):
            rows.append({k: _plain(v) for k, v in record.items() if not _is_null(v)})
        names = sorted({r["rep"] for r in rows})
        report = compute_commission(plan, {"transactions": rows, "reps": [by_rep[n] for n in names if n in by_rep]}, as_of)
        return pd.DataFrame([{"rep": s["rep"], **{k: s[k] for k in _STATEMENT}} for s in report["reps"]], columns=["rep", *_STATEMENT])

    schema = StructType([StructField("rep", StringType(), False), *[StructField(k, DecimalType(38, 10), True) for k in _STATEMENT]])
    return rep_statement, schema


def _is_null(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or type(value).__name__ in ("NaTType", "NAType")


def _plain(value: Any) -> Any:
    """pandas / numpy cells as the plain values crmkit's dict functions take."""
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, datetime.datetime) and value.time() == datetime.time(0):
        return value.date()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()  # numpy scalars
    return value
