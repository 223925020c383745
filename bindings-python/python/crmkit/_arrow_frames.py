"""``score_frame``, ``evaluate_pool_frame`` and ``attribution_frame`` over Arrow data
(polars, pyarrow, Arrow-backed pandas, DuckDB...): the columns read by
:class:`crmkit._arrow.ArrowColumns` without a Python object per row, the result in the
caller's library (polars in, polars out; Arrow-backed pandas in, pandas out; otherwise a
pyarrow Table), the report's totals as JSON in the schema metadata, as ``forecast_frame``
does."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Mapping

from crmkit import _native
from crmkit._arrow import NO_DATE, ArrowColumns, error, output, pyarrow, with_metadata
from crmkit._pool import _claim_columns
from crmkit._wire import as_of_text, share_attrs, to_json

NO_DAY32 = -(2**31)  # score_columns' missing date


def _frame_output(data: Any, table: Any, metadata: Mapping[str, Any]) -> Any:
    out = output(data, with_metadata(table, metadata))
    if type(data).__module__.split(".")[0] == "pandas" and len(out) == len(data):
        out.index = data.index  # row results keep the caller's index, as the numpy path does
    return out


def _dictionary(pa: Any, codes: Any, labels: list[str]) -> Any:
    """A dictionary column from codes (-1 = null) and labels."""
    import numpy as np

    codes = np.asarray(codes, dtype=np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32(), mask=codes < 0), pa.array(labels, pa.string()))


def _decimals(pa: Any, values: list) -> Any:
    """``Decimal``s (or None) as decimal128(38, s), s the largest scale among them."""
    scale = max((-v.as_tuple().exponent for v in values if v is not None), default=2)
    return pa.array(values, pa.decimal128(38, max(scale, 0)))


# --- scoring ---------------------------------------------------------------------------


def _score_field(cols: ArrowColumns, name: str) -> tuple:
    """(kind, data) as score_columns reads it: numbers (integers, floats, decimals) as
    float64 with NaN for null, dates as int32 days, booleans as codes into ``["false",
    "true"]``, anything else as category codes of its text."""
    pa, np = cols.pa, cols.np
    arr = cols.column(name)
    kind = arr.type
    if name not in cols.labels and (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)):
        values = arr.cast(pa.float64()).to_numpy(zero_copy_only=False)  # nulls become NaN
        return "number", np.ascontiguousarray(values, dtype=np.float64)
    if pa.types.is_date(kind) or pa.types.is_timestamp(kind):
        return "date", _days32(cols, name, name)
    if pa.types.is_boolean(kind):
        # Codes into ["false", "true"] from the bool array, null -1 (the core reads a boolean
        # as that text).
        codes = arr.cast(pa.int32()).fill_null(-1).to_numpy(zero_copy_only=False)
        return "text", (np.ascontiguousarray(codes, dtype=np.int32), ["false", "true"])
    return "text", cols.codes(name)


def _days32(cols: ArrowColumns, name: str, field: str) -> Any:
    np = cols.np
    days = cols.days(name, field)
    return np.ascontiguousarray(np.where(days == NO_DATE, NO_DAY32, days), dtype=np.int32)


def score_arrow(data: Any, policy: Mapping[str, Any], as_of: Any, events: Any, event_lead: str, event_type: str, event_on: str) -> Any:
    policy_json = to_json(policy, "policy")
    names = [name for name, _ in _native.scoring_fields(policy_json)]
    cols = ArrowColumns(data, [*names, "id"])
    pa, np = cols.pa, cols.np
    fields = [(name, *_score_field(cols, name)) for name in names if name in cols.table.column_names]
    if "id" in cols.table.column_names and "id" not in names:
        # The ties the policy leaves go by id, as in score_leads (by row order without one).
        fields.append(("id", "text", cols.codes("id")))
    ev = None
    if events is not None:
        ecols = ArrowColumns(events, [event_lead, event_type, event_on])
        lead = ecols.column(event_lead)
        if not pa.types.is_integer(lead.type) or lead.null_count:
            raise error("invalid_type", event_lead, "event leads are the integer row positions of their leads")
        ev = (
            np.ascontiguousarray(lead.to_numpy(zero_copy_only=False), dtype=np.int64),
            ecols.codes(event_type),
            _days32(ecols, event_on, "on"),
        )
    out = _native.score_columns(policy_json, len(cols), fields, ev, as_of_text(as_of))
    columns = {
        "score": pa.array(out["score"], pa.float64()),
        "fit": pa.array(out["fit"], pa.float64()),
        "engagement": pa.array(out["engagement"], pa.float64()),
        "rank": pa.array(out["rank"], pa.int64()),
        "grade": _dictionary(pa, out["grade"], out["grade_labels"]),
        "tier": _dictionary(pa, out["tier"], out["tier_labels"]),
    }
    for k, codes in enumerate(out["reasons"]):
        columns[f"reason_{k + 1}"] = _dictionary(pa, codes, out["rule_ids"])
    return _frame_output(data, pa.table(columns), {})


# --- public pool -----------------------------------------------------------------------

_VERDICTS = ["keep", "warn", "recycle", "exempt"]
_RECORD_KEYS = ["department", "region", "product_line", "level"]


def _ms(cols: ArrowColumns, name: str, field: str, optional: bool = False) -> Any:
    """Instants as int64 ms since 1970 UTC (i64 minimum for null): tz-aware timestamps, or
    integers already in ms. A naive timestamp has no offset: refused, as in pandas."""
    pa, np = cols.pa, cols.np
    arr = cols.column(name)
    if pa.types.is_integer(arr.type):
        values = arr.cast(pa.int64())
    elif pa.types.is_timestamp(arr.type) and arr.type.tz is not None:
        values = arr.cast(pa.timestamp("ms", tz="UTC"), safe=False).cast(pa.int64())
    else:
        raise error("invalid_date", f"{field}[0]", "instants are a tz-aware timestamp column (or int64 ms since 1970 UTC)")
    if values.null_count:
        if not optional:
            i = int(np.flatnonzero(values.is_null().to_numpy(zero_copy_only=False))[0])
            raise error("invalid_date", f"{field}[{i}]", "missing instant")
        values = values.fill_null(NO_DATE)
    return np.ascontiguousarray(values.to_numpy(zero_copy_only=False), dtype=np.int64)


def _flags(cols: ArrowColumns, name: str) -> Any:
    pa, np = cols.pa, cols.np
    arr = cols.column(name)
    if not pa.types.is_boolean(arr.type):
        raise error("invalid_type", name, f"expected a boolean column, got {arr.type}")
    return np.ascontiguousarray(arr.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def _members(data: Any, value: str) -> Any:
    """A (record, value) table as (int32 rows, codes, labels), or None."""
    if data is None:
        return None
    cols = ArrowColumns(data, ["record", value])
    pa, np = cols.pa, cols.np
    record = cols.column("record")
    if not pa.types.is_integer(record.type) or record.null_count:
        raise error("invalid_type", "record", "a member's record is the integer row position of its record")
    return (np.ascontiguousarray(record.to_numpy(zero_copy_only=False), dtype=np.int32), *cols.codes(value))


def pool_book_arrow(records: Any, activities: Any, teams: Any = None, tags: Any = None) -> tuple[tuple, tuple]:
    """The pool book's Arrow columns as the two tuples the native pool column functions take
    (records: owner codes and labels, claimed_at, keys, flags, times, team, tags; activities:
    record rows, at, logged_at, type and actor codes and labels, deleted)."""
    rc = ArrowColumns(records, ["owner", "claimed_at", *_RECORD_KEYS, "locked", "open_contract", "last_won_at", "last_opportunity_at"])
    ac = ArrowColumns(activities, ["record", "at", "logged_at", "type", "actor", "deleted"])
    pa, np = rc.pa, rc.np
    have, act_have = set(rc.table.column_names), set(ac.table.column_names)
    owner, owner_labels = rc.codes("owner")
    claimed = _ms(rc, "claimed_at", "claimed_at")
    keys = [(name, *rc.codes(name)) for name in _RECORD_KEYS if name in have]
    flags = [(name, _flags(rc, name)) for name in ("locked", "open_contract") if name in have]
    times = [(name, _ms(rc, name, name, optional=True)) for name in ("last_won_at", "last_opportunity_at") if name in have]
    record = ac.column("record")
    if not pa.types.is_integer(record.type) or record.null_count:
        raise error("invalid_type", "record", "an activity's record is the integer row position of its record")
    act_record = np.ascontiguousarray(record.to_numpy(zero_copy_only=False), dtype=np.int32)
    act_at = _ms(ac, "at", "activity_at")
    act_logged = _ms(ac, "logged_at", "activity_logged_at", optional=True) if "logged_at" in act_have else None
    act_type, type_labels = ac.codes("type")
    act_actor, actor_labels = ac.codes("actor")
    act_deleted = _flags(ac, "deleted") if "deleted" in act_have else None
    return (
        (owner, owner_labels, claimed, keys, flags, times, _members(teams, "user"), _members(tags, "tag")),
        (act_record, act_at, act_logged, act_type, type_labels, act_actor, actor_labels, act_deleted),
    )


def evaluate_pool_arrow(records: Any, activities: Any, policy: Mapping[str, Any], as_of: Any, teams: Any = None, tags: Any = None) -> Any:
    import numpy as np

    pa = pyarrow()
    (owner, owner_labels, claimed, keys, flags, times, team, tag), acts = pool_book_arrow(records, activities, teams, tags)
    out = _native.evaluate_pool_columns(
        to_json(policy), owner, owner_labels, claimed, keys, flags, times, *acts, as_of_text(as_of), team=team, tags=tag
    )

    def instants(values: Any) -> Any:
        values = np.asarray(values, dtype=np.int64)
        return pa.array(values, pa.int64(), mask=values == NO_DATE).cast(pa.timestamp("ms", tz="UTC"))

    table = pa.table(
        {
            "pool": _dictionary(pa, out["pool"], list(out["pools"])),
            "decision": _dictionary(pa, out["decision"], _VERDICTS),
            "due_at": instants(out["due_at"]),
            "warn_at": instants(out["warn_at"]),
            "last_follow_up_at": instants(out["last_follow_up_at"]),
            "rule": pa.array(np.asarray(out["rule"], dtype=np.int64), pa.int64()),
        }
    )
    return _frame_output(records, table, {"totals": out["totals"], "pools": out["counts"]})


def assign_records_arrow(records: Any, policy: Mapping[str, Any], state_json: str) -> Any:
    import numpy as np

    keys_wanted = ["region", "product_line", "level", "source"]
    cols = ArrowColumns(records, keys_wanted)
    pa = cols.pa
    keys = [(name, *cols.codes(name)) for name in keys_wanted if name in cols.table.column_names]
    out = _native.assign_records_columns(to_json(policy, "policy"), len(cols), keys, state_json)
    rep = np.asarray(out["rep"], dtype=np.int32)
    table = pa.table(
        {
            "team": _dictionary(pa, out["team"], list(out["teams"])),
            "rep": _dictionary(pa, rep, list(out["reps"])),
            "queue": pa.array(rep < 0, pa.bool_()),
            "route": _dictionary(pa, out["route"], list(out["routes"])),
            "choice": _dictionary(pa, np.asarray(out["choice"], dtype=np.int32), list(out["choices"])),
            "cursor": pa.array(out["cursor"], pa.uint64()),
            "held": pa.array(out["held"], pa.int64()),
            "skipped_inactive": pa.array(out["skipped_inactive"], pa.int64()),
            "skipped_full": pa.array(out["skipped_full"], pa.int64()),
        }
    )
    return _frame_output(records, table, {"cursors": out["cursors"], "load": out["load"]})


def _counts(cols: ArrowColumns, name: str, field: str) -> Any:
    pa, np = cols.pa, cols.np
    arr = cols.column(name)
    if not pa.types.is_integer(arr.type):
        raise error("invalid_type", field, f"expected an integer column, got {arr.type}")
    if arr.null_count:
        i = int(np.flatnonzero(arr.is_null().to_numpy(zero_copy_only=False))[0])
        raise error("invalid_type", f"{field}[{i}]", "missing count")
    return np.ascontiguousarray(arr.cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)


def check_claims_arrow(requests: Any, pooled: Any, policy: Mapping[str, Any], as_of: Any, holdings: Any, ledger: Any) -> Any:
    import numpy as np

    def table(data: Any, name: str, columns: list[str]) -> ArrowColumns:
        cols = ArrowColumns(data, columns)
        for c in columns:
            if c not in ("pool", "won") and c not in cols.table.column_names:
                raise error("missing_field", f"{name}.{c}", f"the {name} table has no column {c!r}")
        return cols

    def optional(cols: ArrowColumns, name: str) -> Any:
        return cols.codes(name) if name in cols.table.column_names else None

    pc = table(pooled, "pooled", ["id", "pool", "pooled_at"])
    p = (pc.codes("id"), pc.codes("pool"), _ms(pc, "pooled_at", "pooled.pooled_at"))
    h = None
    if holdings is not None:
        hc = table(holdings, "holdings", ["user", "pool", "owned", "won"])
        won = _counts(hc, "won", "holdings.won") if "won" in hc.table.column_names else None
        h = (hc.codes("user"), optional(hc, "pool"), _counts(hc, "owned", "holdings.owned"), won)
    led = None
    if ledger is not None:
        lc = table(ledger, "ledger", ["at", "user", "record", "pool", "event"])
        led = (_ms(lc, "at", "ledger.at"), lc.codes("user"), lc.codes("record"), optional(lc, "pool"), lc.codes("event"))
    rc = table(requests, "requests", ["user", "record"])
    r = (rc.codes("user"), rc.codes("record"))
    out = _native.check_claims_columns(to_json(policy, "policy"), p, h, led, r, as_of_text(as_of))
    pa = pc.pa
    columns = _claim_columns(
        out,
        np,
        pool=lambda codes, labels: _dictionary(pa, codes, labels),
        flags=lambda values: pa.array(values, pa.bool_()),
        instants=lambda values: pa.array(values, pa.int64(), mask=values == NO_DATE).cast(pa.timestamp("ms", tz="UTC")),
        counts=lambda values: pa.array(values, pa.int64(), mask=values < 0),
    )
    return _frame_output(requests, pa.table(columns), {"holdings": out["holdings"], "pools": out["pools"]})


# --- attribution -----------------------------------------------------------------------


def _fill_unread_revenue(cols: ArrowColumns, name: str, journeys: Any, converted: Any) -> None:
    """Null revenue the core does not read becomes 0 (:func:`crmkit._roi.unread_revenue`, the
    rule the pandas path follows too), so integer and decimal128 columns keep their exact
    buffers, and strings hold "0". Floats keep NaN (the core applies the same rule to it)."""
    from crmkit._roi import unread_revenue

    pa, np = cols.pa, cols.np
    arr = cols.column(name)
    kind = arr.type
    text = pa.types.is_string(kind) or pa.types.is_large_string(kind)
    if not arr.null_count or not (pa.types.is_integer(kind) or pa.types.is_decimal(kind) or text):
        return
    unread_revenue(arr.is_null().to_numpy(zero_copy_only=False), journeys, converted, np)
    index = cols.table.column_names.index(name)
    zero = pa.scalar(0 if pa.types.is_integer(kind) else "0" if text else Decimal(0), kind)
    cols.table = cols.table.set_column(index, name, arr.fill_null(zero))


_MILESTONES = {"lead_created": 1, "deal_created": 2}


def _arrow_touches(data: Any, journey: str, channel: str, on: str, revenue: str, converted_on: str, milestone: str | None, revenue_scale: Any) -> tuple:
    """The reader of Arrow ``data`` and its touch columns as the mapping the native
    ``attribute_columns`` / ``compare_attribution_columns`` take (after the policy)."""
    cols = ArrowColumns(data, [journey, channel, on, revenue, converted_on, *([milestone] if milestone else [])])
    pa, np = cols.pa, cols.np
    ids = cols.column(journey)
    if pa.types.is_integer(ids.type) and not ids.null_count and journey not in cols.labels:
        journey_codes = np.ascontiguousarray(ids.to_numpy(zero_copy_only=False), dtype=np.int64)
    else:
        journey_codes = np.ascontiguousarray(cols.codes(journey)[0], dtype=np.int64)  # first-seen order
    channel_codes, channel_labels = cols.codes(channel)
    days = cols.days(on, "on")
    conv = cols.days(converted_on, "converted_on")
    _fill_unread_revenue(cols, revenue, journey_codes, conv)
    amounts, scale = cols.amounts(revenue, revenue_scale, field="revenue")
    marks = None
    if milestone is not None:
        codes, labels = cols.codes(milestone)
        lookup = []
        for j, label in enumerate(labels):
            if label not in _MILESTONES:
                i = int(np.flatnonzero(codes == j)[0])
                raise error("invalid_value", f"milestone[{i}]", f"{label!r} is not lead_created or deal_created")
            lookup.append(_MILESTONES[label])
        table = np.asarray([*lookup, 0], dtype=np.int8)  # code -1 (null) reads the trailing 0
        marks = np.ascontiguousarray(table[codes])
    return cols, {
        "journey": journey_codes, "channel": channel_codes, "channel_labels": channel_labels, "on": days, "on_ticks": None,
        "revenue": amounts, "revenue_scale": scale, "converted_on": conv, "converted_on_ticks": None, "milestone": marks,
    }  # fmt: skip


def _channel_columns(pa: Any, lines: list[dict]) -> dict[str, Any]:
    """The ``channel`` and ``group`` columns of a report's channel lines."""
    return {key: pa.array([line[key] for line in lines], pa.string()) for key in ("channel", "group")}


def attribution_arrow(data: Any, policy: Mapping[str, Any], **touches: Any) -> Any:
    """``attribution_frame`` over Arrow data; ``touches``: its column names and
    ``revenue_scale``, as :func:`_arrow_touches` takes them."""
    cols, args = _arrow_touches(data, **touches)
    pa = cols.pa
    report, credits = _native.attribute_columns(to_json(policy, "policy"), args)
    lines = report["channels"]
    table = pa.table(
        {
            **_channel_columns(pa, lines),
            "credit": _decimals(pa, [line["credit"] for line in lines]),
            "share": _decimals(pa, [line["share"] for line in lines]),
            "touches": pa.array([line["touches"] for line in lines], pa.int64()),
            "conversions": pa.array([line["conversions"] for line in lines], pa.int64()),
            "removal_effect": _decimals(pa, [line["removal_effect"] for line in lines]),
        }
    )
    meta = {"total": report["total"], "conversions": report["conversions"], "unattributed": report["unattributed"], "model": report["model"]}
    if report["cohorts"]:
        meta["cohorts"] = report["cohorts"]
    out = output(data, with_metadata(table, meta))
    if hasattr(out, "attrs"):
        share_attrs(out.attrs, {**meta, "credits": credits})
    return out


def compare_attribution_arrow(data: Any, policy: Mapping[str, Any], **touches: Any) -> Any:
    """``compare_attribution_frame`` over Arrow data; ``touches`` as :func:`attribution_arrow`'s."""
    cols, args = _arrow_touches(data, **touches)
    pa = cols.pa
    report, credits = _native.compare_attribution_columns(to_json(policy, "policy"), args)
    lines = report["channels"]
    columns = _channel_columns(pa, lines)
    for k, model in enumerate(report["models"]):
        columns[model] = _decimals(pa, [line["credits"][k] for line in lines])
    meta = {"total": report["total"], "models": report["models"], "rows": report["rows"]}
    out = output(data, with_metadata(pa.table(columns), meta))
    if hasattr(out, "attrs"):
        from crmkit._roi import row_credits

        share_attrs(out.attrs, {"credits": row_credits(report, credits)})
    return out


# --- campaigns -------------------------------------------------------------------------

_CAMPAIGN_COUNTS = ("leads", "customers", "opportunities", "won", "new_customers")
_NO_COUNT = -(2**63)  # an empty new_customers: the row's wins count


def _campaign_amount(cols: ArrowColumns, name: str, field: str, amount_scale: Any, sparse: bool) -> tuple[Any, Any, Any]:
    """An amount column as ``campaign_roi_columns`` takes it: (values, scale, missing), int64
    units (decimal128 at its own scale), float64 or decimal strings. With ``sparse`` (budget,
    expected revenue) an empty cell is none (``missing``, its value not read); otherwise it is
    ``invalid_type`` at ``field[i]``, as in a pandas frame."""
    pa, np = cols.pa, cols.np
    arr = cols.column(name)
    kind = arr.type
    text = pa.types.is_string(kind) or pa.types.is_large_string(kind)
    missing = None
    if arr.null_count:
        missing = np.ascontiguousarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        if not sparse and not pa.types.is_floating(kind):  # a float NaN is the core's to refuse
            raise error("invalid_type", f"{field}[{int(missing.argmax())}]", f"missing {field}: a row without one cannot be counted")
        if pa.types.is_integer(kind) or pa.types.is_decimal(kind) or text:
            zero = pa.scalar(0 if pa.types.is_integer(kind) else "0" if text else Decimal(0), kind)
            cols.table = cols.table.set_column(cols.table.column_names.index(name), name, arr.fill_null(zero))
    values, scale = cols.amounts(name, amount_scale, field=field)
    return values, scale, missing


def _campaign_counts(cols: ArrowColumns, name: str, field: str) -> Any:
    """A count column as int64: integers, or whole floats (a column with a gap read from a
    file); an empty ``new_customers`` is ``_NO_COUNT`` (the row's wins), any other empty count
    ``invalid_type``, as in a pandas frame. Negative counts are the core's to refuse."""
    pa, np = cols.pa, cols.np
    arr = cols.column(name)
    kind = arr.type
    missing = arr.is_null().to_numpy(zero_copy_only=False) if arr.null_count else None
    if missing is not None and field != "new_customers":
        raise error("invalid_type", f"{field}[{int(missing.argmax())}]", f"missing {field}: a count is needed on every row")
    if pa.types.is_integer(kind):
        if pa.types.is_unsigned_integer(kind) and kind.bit_width == 64 and len(arr):
            too_big = np.flatnonzero(arr.fill_null(0).to_numpy(zero_copy_only=False) >= 2**63)
            if len(too_big):
                raise error("overflow", f"{field}[{int(too_big[0])}]", "arithmetic overflow")
        out = arr.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
    elif pa.types.is_floating(kind):
        values = arr.cast(pa.float64()).fill_null(0.0).to_numpy(zero_copy_only=False)
        bad = ~np.isfinite(values) | (values != np.floor(values)) | (np.abs(values) >= 2.0**63)
        if bad.any():
            i = int(bad.argmax())
            raise error("invalid_type", f"{field}[{i}]", f"{values[i]!r} is not a whole count")
        out = values.astype(np.int64)
    else:
        raise error("invalid_type", field, f"expected a column of whole counts, got {kind}")
    out = np.array(out, dtype=np.int64)  # a copy of our own: the empty cells are written below
    if missing is not None:
        out[missing] = _NO_COUNT
    return out


def campaign_roi_arrow(data: Any, policy: Mapping[str, Any], *, id: str, channel: str, cost: str, names: dict, amount_scale: Any, units: bool = False) -> Any:  # noqa: A002
    """``campaign_roi_frame`` over Arrow data: the campaign columns read by
    :class:`ArrowColumns` (``names``: the optional fields' columns, None for the field's own
    name when the table has it), the campaign lines in the caller's library with the roll-ups
    and the total as JSON in the schema metadata; with ``units`` (``money="units"``) the lines
    from the native module's arrays (see :func:`_campaign_units`)."""
    from crmkit._frame import _int_arg

    amount_scale = _int_arg(amount_scale, "amount_scale", 0, 28)
    cols = ArrowColumns(data, [id, channel, cost, *(name or field for field, name in names.items())])
    np = cols.np

    def optional(field: str) -> str | None:
        name = names[field]
        if name is None:
            return field if field in cols.table.column_names else None
        cols.column(name)  # missing_field when the table has no such column
        return name

    out: dict[str, Any] = {"amount_scale": amount_scale, "scales": {}}
    out["id"], out["id_labels"] = cols.codes(id)
    out["channel"], out["channel_labels"] = cols.codes(channel)
    for field, sparse in (("cost", False), ("won_revenue", False), ("budget", True), ("expected_revenue", True)):
        name = cost if field == "cost" else optional(field)
        values = scale = missing = None
        if name is not None:
            values, scale, missing = _campaign_amount(cols, name, field, amount_scale, sparse)
            if scale is not None:
                out["scales"][field] = scale
        out[field] = values
        if sparse:
            out[f"{field}_missing"] = missing if missing is not None and missing.any() else None
    for field in ("start_on", "end_on"):
        name = optional(field)
        out[field] = None if name is None else np.ascontiguousarray(cols.days(name, field), dtype=np.int64)
    for field in _CAMPAIGN_COUNTS:
        name = optional(field)
        out[field] = None if name is None else _campaign_counts(cols, name, field)
    if units:
        return _campaign_units(data, cols, id, _native.campaign_roi_columns(to_json(policy, "policy"), out, True))
    report = _native.campaign_roi_columns(to_json(policy, "policy"), out)
    pa = cols.pa
    lines = report["campaigns"]
    if lines and all(line.get("cost_periods") is None for line in lines):
        lines = [{k: v for k, v in line.items() if k != "cost_periods"} for line in lines]
    table = pa.Table.from_pylist(lines) if lines else pa.table({})
    out = _frame_output(data, table, {level: report[level] for level in ("channels", "groups", "periods", "total")})
    if hasattr(out, "attrs"):  # Arrow-backed pandas: the attrs of the numpy path's frame
        import pandas as pd

        from crmkit._roi_campaigns import _campaign_attrs

        share_attrs(out.attrs, _campaign_attrs(report, pd))
    return out


def _campaign_units(data: Any, cols: ArrowColumns, id: str, native: dict) -> Any:  # noqa: A002
    """The campaign lines of ``native`` (``campaign_roi_columns`` with ``money_units``) as an
    Arrow table: ``key`` the id column as given, text labels, int64 units with nulls where the
    report says None; the roll-ups, the total and both scales in the schema metadata."""
    from crmkit._roi_campaigns import _campaign_attrs, _unit_names

    pa = cols.pa
    t, report = native["table"], native["report"]
    report.pop("campaigns", None)  # the table is the campaign lines
    arrays: dict[str, Any] = {"key": cols.table.column(id)}
    for name in ("channel", "group", "period"):
        arrays[name] = _dictionary(pa, t[name], t[f"{name}_labels"]).dictionary_decode()
    for name in _unit_names(t):
        arrays[name] = pa.array(t[name], pa.int64(), mask=t.get(f"{name}_missing"))
    arrays["reasons"] = pa.array(t["reasons"], pa.list_(pa.string()))
    scales = {"money_scale": t["scale"], "percent_scale": t["percent_scale"]}
    rollups = {level: report[level] for level in ("channels", "groups", "periods", "total")}
    out = _frame_output(data, pa.table(arrays), {**rollups, **scales})
    if hasattr(out, "attrs"):  # Arrow-backed pandas: the attrs of the numpy path's frame
        import pandas as pd

        out.attrs.update(scales)
        share_attrs(out.attrs, _campaign_attrs(report, pd))
    return out
