"""The public pool (公海池) functions over dicts and lists."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from crmkit import _native
from crmkit._frame import _codes, _column, _error
from crmkit._types import document
from crmkit._wire import as_of_text, share_attrs, to_json

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "assign_records", "assign_records_frame", "check_claims", "check_claims_frame", "evaluate_pool", "evaluate_pool_frame",
    "lint_pool", "simulate_pool", "simulate_pool_frame",
]


@document("PoolPolicy", "PoolRecord", "PoolActivity")
def evaluate_pool(
    policy: Mapping[str, Any],
    records: Sequence[Mapping[str, Any]],
    activities: Sequence[Mapping[str, Any]],
    as_of: datetime.date | datetime.datetime | str,
) -> dict:
    """One decision per record of the public pool: keep, warn, recycle or exempt.

    ``records`` are owned customers or leads (``id``, ``owner``, ``claimed_at``...),
    ``activities`` the follow-up log (``record``, ``at``, ``type``, ``actor``...). Instants are
    aware ``datetime``s or RFC 3339 strings with an offset; ``as_of`` is an aware ``datetime``
    or a ``date`` (the end of that day in each pool's time zone). Returns ``decisions`` (with
    ``due_at`` / ``warn_at`` as aware ``datetime``s in the pool's zone and ``reasons``),
    counts per pool and ``totals``. Raises ``CrmkitError``.

    >>> import crmkit
    >>> policy = {"time_zone": "Asia/Shanghai", "pools": [{"id": "all", "scope": {"everyone": True},
    ...           "rules": [{"id": "30d", "kind": "no_follow_up", "limit": 30}]}]}
    >>> records = [{"id": "c1", "owner": "wang", "claimed_at": "2026-10-01T10:00:00+08:00"}]
    >>> d = crmkit.evaluate_pool(policy, records, [], "2026-11-01")["decisions"][0]
    >>> d["decision"], d["due_at"].isoformat()
    ('recycle', '2026-11-01T00:00:00+08:00')
    """
    return _native.evaluate_pool(to_json(policy), to_json(records), to_json(activities), as_of_text(as_of))


@document("PoolPolicy", "ClaimInput")
def check_claims(
    policy: Mapping[str, Any], input: Mapping[str, Any], as_of: datetime.date | datetime.datetime | str  # noqa: A002
) -> dict:
    """Claims (领取) decided in order: ``input`` holds ``pooled`` records, users' ``holdings``,
    the ``ledger`` of claim / assign / release / recycle events (in time order) and the
    ``requests``. Each refusal is explained (holdings limit, daily limit counted from the
    ledger in the pool's zone, cool-down over the whole ownership history, embargo), each limit
    counted across all pools or in the pool claimed from as the pool's ``*_counts`` say (ledger
    entries and holdings lines then name their ``pool``); a refused claim changes nothing. Returns ``decisions``, the ``ledger`` entries to append and the new
    ``holdings``. Raises ``CrmkitError``."""
    return _native.check_claims(to_json(policy), to_json(input), as_of_text(as_of))


@document("AssignPolicy", "AssignInput")
def assign_records(policy: Mapping[str, Any], input: Mapping[str, Any]) -> dict:  # noqa: A002
    """Assignment (分配): each of ``input["records"]`` goes to the team of the first route that
    takes it, then to a rep by the team's strategy (``round_robin`` from ``input["cursors"]``,
    ``weighted`` draws from ``input["seed"]``, ``least_loaded``), skipping inactive reps and reps
    at capacity, or to the fallback queue. Returns ``assignments``, the ``cursors`` for the next
    run and every rep's ``load``. Raises ``CrmkitError``."""
    return _native.assign_records(to_json(policy), to_json(input))


@document("PoolPolicy")
def lint_pool(policy: Mapping[str, Any]) -> dict:
    """Findings on a valid pool policy (``code``, ``path``, ``message``, ``other``): warnings
    reaching back to the clock start, limits of 0, pools with no members, overlapping scopes
    without a priority, unreachable pools and rules, levels without a rule, unused calendars.
    Raises ``CrmkitError`` for an invalid policy."""
    return _native.lint_pool(to_json(policy))


@document("PoolPolicy", "PoolRecord", "PoolActivity")
def simulate_pool(
    policy_a: Mapping[str, Any],
    policy_b: Mapping[str, Any],
    records: Sequence[Mapping[str, Any]],
    activities: Sequence[Mapping[str, Any]],
    start: datetime.date | str,
    end: datetime.date | str,
) -> dict:
    """Replays the book from ``start`` to ``end`` (dates) under both policies: ``lines`` (per
    owner and day, ``a`` and ``b`` side by side), ``days``, ``owners``, ``total``. Each night
    sees the activities logged by then; each record counts once, on the day it would first be
    recycled. Errors in ``policy_b`` have paths under ``b.``. Raises ``CrmkitError``."""
    return _native.simulate_pool(
        to_json(policy_a), to_json(policy_b), to_json(records), to_json(activities), as_of_text(start), as_of_text(end)
    )


_VERDICTS = ["keep", "warn", "recycle", "exempt"]
_RECORD_KEYS = ["department", "region", "product_line", "level"]


def _ms(series: Any, field: str, np: Any, pd: Any, optional: bool = False) -> Any:
    """Instants as int64 ms since 1970-01-01 UTC (i64 minimum for none): tz-aware datetime64
    columns, or integers already in ms. A naive datetime column has no offset: refused."""
    dtype = series.dtype
    if pd.api.types.is_integer_dtype(dtype):
        return np.ascontiguousarray(series.to_numpy(dtype=np.int64))
    if not pd.api.types.is_datetime64_any_dtype(dtype) or getattr(dtype, "tz", None) is None:
        raise _error("invalid_date", f"{field}[0]", "instants are a tz-aware datetime64 column (or int64 ms since 1970 UTC)")
    # The column's own int64 buffer (UTC, NaT as the minimum), scaled to ms: no tz conversion
    # and no datetime64 cast of ten million values.
    raw = series.array.asi8
    none = np.iinfo(np.int64).min
    unit = dtype.unit
    if unit == "ms":
        values = raw
    elif unit == "s":
        values = np.where(raw == none, none, raw * 1000)
    else:
        values = np.where(raw == none, none, raw // (1_000 if unit == "us" else 1_000_000))
    if not optional and len(values) and (values == np.iinfo(np.int64).min).any():
        i = int((values == np.iinfo(np.int64).min).argmax())
        raise _error("invalid_date", f"{field}[{i}]", "missing instant")
    return np.ascontiguousarray(values)


def _book(records: Any, activities: Any, teams: Any, tags: Any, np: Any, pd: Any) -> tuple[tuple, tuple]:
    """The pool book's pandas columns as the two tuples the native pool column functions take
    (records: owner codes and labels, claimed_at, keys, flags, times, team, tags; activities:
    record rows, at, logged_at, type and actor codes and labels, deleted)."""
    owner, owner_labels = _codes(_column(records, "owner"), np, pd)
    claimed = _ms(_column(records, "claimed_at"), "claimed_at", np, pd)
    keys = [(name, *_codes(records[name], np, pd)) for name in _RECORD_KEYS if name in records.columns]
    flags = [(name, np.ascontiguousarray(records[name].to_numpy(dtype=bool))) for name in ("locked", "open_contract") if name in records.columns]
    times = [(name, _ms(records[name], name, np, pd, optional=True)) for name in ("last_won_at", "last_opportunity_at") if name in records.columns]
    act_record = np.ascontiguousarray(_column(activities, "record").to_numpy(dtype=np.int32))
    act_at = _ms(_column(activities, "at"), "activity_at", np, pd)
    act_logged = _ms(activities["logged_at"], "activity_logged_at", np, pd, optional=True) if "logged_at" in activities.columns else None
    act_type, type_labels = _codes(_column(activities, "type"), np, pd)
    act_actor, actor_labels = _codes(_column(activities, "actor"), np, pd)
    act_deleted = np.ascontiguousarray(activities["deleted"].to_numpy(dtype=bool)) if "deleted" in activities.columns else None

    def members(frame: Any, value: str) -> Any:
        if frame is None:
            return None
        rows = np.ascontiguousarray(_column(frame, "record").to_numpy(dtype=np.int32))
        return (rows, *_codes(_column(frame, value), np, pd))

    return (
        (owner, owner_labels, claimed, keys, flags, times, members(teams, "user"), members(tags, "tag")),
        (act_record, act_at, act_logged, act_type, type_labels, act_actor, actor_labels, act_deleted),
    )


@document("PoolPolicy")
def evaluate_pool_frame(
    records: pd.DataFrame,
    activities: pd.DataFrame,
    policy: Mapping[str, Any],
    as_of: datetime.date | datetime.datetime | str,
    *,
    teams: pd.DataFrame | None = None,
    tags: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``evaluate_pool`` over DataFrames' columns: one row of ``records`` per record, one row
    of ``activities`` per follow-up, no Python object per row.

    ``records``: ``owner`` (categorical or strings), ``claimed_at`` (tz-aware datetime64, or
    int64 ms since 1970 UTC), optional ``department``, ``region``, ``product_line``, ``level``
    (categorical or strings), ``locked``, ``open_contract`` (bool), ``last_won_at``,
    ``last_opportunity_at`` (instants, NaT for none). ``activities``: ``record`` (the integer
    row position of the record), ``at`` and optional ``logged_at`` (instants), ``type`` and
    ``actor`` (categorical or strings), optional ``deleted`` (bool). ``teams`` (for pools
    counting ``actor: team``): one row per team member, ``record`` (the record's row position)
    and ``user``; ``tags`` (for exempt tags): one row per tag, ``record`` and ``tag``.

    Returns a DataFrame on ``records``' index: ``pool`` and ``decision`` (categoricals),
    ``due_at``, ``warn_at``, ``last_follow_up_at`` (datetime64 in UTC, NaT for none) and
    ``rule`` (the binding rule's index in its pool's rules, -1 for none); ``attrs["totals"]``
    and ``attrs["pools"]`` hold the counts. Raises ``CrmkitError``.

    ``records`` and ``activities`` may also be Arrow data (polars, pyarrow, Arrow-backed
    pandas, DuckDB; read with pyarrow, ``pip install "crmkit[arrow]"``): instants as tz-aware
    timestamps or int64 ms, flags as booleans. The result then comes in ``records``' library
    (polars in, polars out; otherwise a pyarrow Table) with the totals and pool counts as
    JSON in the schema metadata (``crmkit.totals``, ``crmkit.pools``).
    """
    from crmkit._frame import _arrow_input

    if _arrow_input(records) or _arrow_input(activities):
        from crmkit._arrow_frames import evaluate_pool_arrow

        return evaluate_pool_arrow(records, activities, policy, as_of, teams=teams, tags=tags)
    from crmkit._frame import _pandas

    np, pd = _pandas("evaluate_pool_frame")
    (owner, owner_labels, claimed, keys, flags, times, team, tag), acts = _book(records, activities, teams, tags, np, pd)
    out = _native.evaluate_pool_columns(
        to_json(policy), owner, owner_labels, claimed, keys, flags, times, *acts, as_of_text(as_of), team=team, tags=tag
    )
    none = np.iinfo(np.int64).min

    def instants(values: Any) -> Any:
        return pd.to_datetime(np.where(values == none, np.iinfo(np.int64).min, values).view("datetime64[ms]"), utc=True)

    frame = pd.DataFrame(
        {
            "pool": pd.Categorical.from_codes(out["pool"], categories=out["pools"]),
            "decision": pd.Categorical.from_codes(out["decision"].astype(np.int8), categories=_VERDICTS),
            "due_at": instants(out["due_at"]),
            "warn_at": instants(out["warn_at"]),
            "last_follow_up_at": instants(out["last_follow_up_at"]),
            "rule": out["rule"],
        },
        index=records.index,
    )
    share_attrs(frame.attrs, {"totals": out["totals"], "pools": out["counts"]})
    return frame


@document("PoolPolicy")
def simulate_pool_frame(
    records: pd.DataFrame,
    activities: pd.DataFrame,
    policy_a: Mapping[str, Any],
    policy_b: Mapping[str, Any],
    start: datetime.date | str,
    end: datetime.date | str,
    *,
    teams: pd.DataFrame | None = None,
    tags: pd.DataFrame | None = None,
) -> dict:
    """``simulate_pool`` over DataFrames' columns: the book exactly as
    :func:`evaluate_pool_frame` takes it (pandas, or Arrow data: polars, pyarrow, DuckDB),
    replayed from ``start`` to ``end`` under both policies, no Python object per row. Returns
    ``simulate_pool``'s report (``lines``, ``days``, ``owners``, ``total``; owners by label).
    Raises ``CrmkitError``."""
    from crmkit._frame import _arrow_input

    if _arrow_input(records) or _arrow_input(activities):
        from crmkit._arrow_frames import pool_book_arrow

        book, acts = pool_book_arrow(records, activities, teams, tags)
    else:
        from crmkit._frame import _pandas

        np, pd = _pandas("simulate_pool_frame")
        book, acts = _book(records, activities, teams, tags, np, pd)
    return _native.simulate_pool_columns(to_json(policy_a), to_json(policy_b), book, acts, as_of_text(start), as_of_text(end))


_ASSIGN_KEYS = ["region", "product_line", "level", "source"]
_CLAIM_REASONS = ["not_in_pool", "embargoed", "cooldown", "holdings_limit", "daily_limit"]


def _categorical(codes: Any, labels: list[str], np: Any, pd: Any) -> Any:
    """A categorical from codes (-1: missing) into labels that may repeat (route ids)."""
    unique, inverse = np.unique(np.asarray(labels, dtype=object), return_inverse=True)
    codes = np.asarray(codes)
    mapped = np.where(codes < 0, -1, inverse[np.clip(codes, 0, None)] if len(labels) else -1)
    return pd.Categorical.from_codes(mapped.astype(np.int32), categories=list(unique))


def _assign_state(load: Any, cursors: Any, seed: Any) -> str:
    return to_json({"load": [] if load is None else load, "cursors": {} if cursors is None else cursors, "seed": seed}, "state")


@document("AssignPolicy")
def assign_records_frame(
    records: pd.DataFrame,
    policy: Mapping[str, Any],
    *,
    load: Sequence[Mapping[str, Any]] | None = None,
    cursors: Mapping[str, int] | None = None,
    seed: int | str = 0,
) -> pd.DataFrame:
    """``assign_records`` over a DataFrame's columns: one row per record, assigned in row
    order, no Python object per row. ``records`` may have ``region``, ``product_line``,
    ``level`` and ``source`` columns (categorical or strings; missing = no value; an absent
    column is no value on every row); ``load`` (``[{"rep", "held"}]``), ``cursors`` and
    ``seed`` are ``assign_records``' ``input`` without its records.

    Returns a DataFrame on ``records``' index: ``team``, ``rep``, ``route`` and ``choice``
    (categoricals; ``rep`` missing = the fallback queue, also as the bool ``queue``;
    ``choice`` one of ``no_route``, ``no_available_rep``, ``round_robin``,
    ``weighted_draw``, ``least_loaded``), ``cursor`` (uint64: the cursor a round robin or
    weighted draw used, else 0), ``held`` (``least_loaded``: the rep's records, else 0),
    ``skipped_inactive`` and ``skipped_full`` (reps skipped); the same placements, reasons,
    cursors and load as ``assign_records`` on the same rows. ``attrs["cursors"]`` and
    ``attrs["load"]`` are the cursors for the next run and every rep's load. Raises
    ``CrmkitError``.

    ``records`` may also be Arrow data (polars, pyarrow, Arrow-backed pandas, DuckDB; read
    with pyarrow): the result then comes in its library, ``cursors`` and ``load`` as JSON in
    the schema metadata (``crmkit.cursors``, ``crmkit.load``).
    """
    from crmkit._frame import _arrow_input

    if _arrow_input(records):
        from crmkit._arrow_frames import assign_records_arrow

        return assign_records_arrow(records, policy, _assign_state(load, cursors, seed))
    from crmkit._frame import _pandas

    np, pd = _pandas("assign_records_frame")
    columns = getattr(records, "columns", None)
    if columns is None:
        raise _error("invalid_type", "records", f"expected a DataFrame, got {type(records).__name__}")
    keys = [(name, *_codes(records[name], np, pd)) for name in _ASSIGN_KEYS if name in columns]
    out = _native.assign_records_columns(to_json(policy, "policy"), len(records), keys, _assign_state(load, cursors, seed))
    rep = out["rep"]
    frame = pd.DataFrame(
        {
            "team": _categorical(out["team"], out["teams"], np, pd),
            "rep": _categorical(rep, out["reps"], np, pd),
            "queue": rep < 0,
            "route": _categorical(out["route"], out["routes"], np, pd),
            "choice": pd.Categorical.from_codes(out["choice"].astype(np.int8), categories=out["choices"]),
            "cursor": out["cursor"],
            "held": out["held"],
            "skipped_inactive": out["skipped_inactive"],
            "skipped_full": out["skipped_full"],
        },
        index=records.index,
    )
    share_attrs(frame.attrs, {"cursors": out["cursors"], "load": out["load"]})
    return frame


def _table_column(frame: Any, table: str, name: str) -> Any:
    columns = getattr(frame, "columns", None)
    if columns is None:
        raise _error("invalid_type", table, f"expected a DataFrame, got {type(frame).__name__}")
    if name not in columns:
        raise _error("missing_field", f"{table}.{name}", f"the {table} frame has no column {name!r}")
    return frame[name]


def _ints(series: Any, field: str, np: Any, pd: Any) -> Any:
    """An integer column as int64 (no missing values)."""
    if not pd.api.types.is_integer_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        raise _error("invalid_type", field, f"expected an integer column, got {series.dtype}")
    if series.isna().any():
        i = int(series.isna().to_numpy().argmax())
        raise _error("invalid_type", f"{field}[{i}]", "missing count")
    return np.ascontiguousarray(series.to_numpy(dtype=np.int64))


def _claim_tables(requests: Any, pooled: Any, holdings: Any, ledger: Any, np: Any, pd: Any) -> tuple:
    """The four tables' pandas columns as the tuples ``check_claims_columns`` takes."""

    def codes(frame: Any, table: str, name: str) -> tuple:
        return _codes(_table_column(frame, table, name), np, pd)

    def optional(frame: Any, table: str, name: str) -> Any:
        return codes(frame, table, name) if name in frame.columns else None

    p = (codes(pooled, "pooled", "id"), codes(pooled, "pooled", "pool"),
         _ms(_table_column(pooled, "pooled", "pooled_at"), "pooled.pooled_at", np, pd))
    h = None
    if holdings is not None:
        owned = _ints(_table_column(holdings, "holdings", "owned"), "holdings.owned", np, pd)
        won = _ints(holdings["won"], "holdings.won", np, pd) if "won" in holdings.columns else None
        h = (codes(holdings, "holdings", "user"), optional(holdings, "holdings", "pool"), owned, won)
    led = None
    if ledger is not None:
        led = (_ms(_table_column(ledger, "ledger", "at"), "ledger.at", np, pd), codes(ledger, "ledger", "user"),
               codes(ledger, "ledger", "record"), optional(ledger, "ledger", "pool"), codes(ledger, "ledger", "event"))
    r = (codes(requests, "requests", "user"), codes(requests, "requests", "record"))
    return p, h, led, r


@document("PoolPolicy")
def check_claims_frame(
    requests: pd.DataFrame,
    pooled: pd.DataFrame,
    policy: Mapping[str, Any],
    as_of: datetime.date | datetime.datetime | str,
    *,
    holdings: pd.DataFrame | None = None,
    ledger: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``check_claims`` over DataFrames' columns, no Python object per row: ``requests``
    (``user``, ``record``; decided in row order), ``pooled`` (``id``, ``pool``,
    ``pooled_at``), optional ``holdings`` (``user``, optional ``pool``, ``owned``, optional
    ``won``: integers) and ``ledger`` (``at``, ``user``, ``record``, optional ``pool``,
    ``event``: ``claim`` / ``assign`` / ``release`` / ``recycle``; in time order). Ids are
    categorical or strings, matched across frames by their text; instants tz-aware datetime64
    (or int64 ms since 1970 UTC).

    Returns a DataFrame on ``requests``' index: ``pool`` (categorical), ``accepted``, one bool
    column per refusal reason (``not_in_pool``, ``embargoed``, ``cooldown``,
    ``holdings_limit``, ``daily_limit``) with its numbers (``embargo_since`` /
    ``embargo_until``, ``cooldown_since`` / ``cooldown_until``: datetime64 UTC, NaT where the
    reason is absent; ``holdings_count`` / ``holdings_limit_value``, ``daily_count`` /
    ``daily_limit_value``: Int64, NA where absent) and ``claimed_at`` (the instant of the
    accepted claim's ledger entry, NaT when refused): the answers of ``check_claims`` on the
    same rows. ``attrs["holdings"]`` holds the holdings after the accepted claims,
    ``attrs["pools"]`` the pool ids. How a limit counted is the pool's ``*_counts``. Errors
    name rows as columns: ``ledger.at[3]``, ``pooled.pool[0]``. Raises ``CrmkitError``.

    The frames may also be Arrow data (polars, pyarrow, Arrow-backed pandas, DuckDB; read with
    pyarrow): the result then comes in ``requests``' library, the holdings and pools as JSON
    in the schema metadata (``crmkit.holdings``, ``crmkit.pools``).
    """
    from crmkit._frame import _arrow_input

    frames = [f for f in (requests, pooled, holdings, ledger) if f is not None]
    if any(_arrow_input(f) for f in frames):
        from crmkit._arrow_frames import check_claims_arrow

        return check_claims_arrow(requests, pooled, policy, as_of, holdings, ledger)
    from crmkit._frame import _pandas

    np, pd = _pandas("check_claims_frame")
    tables = _claim_tables(requests, pooled, holdings, ledger, np, pd)
    out = _native.check_claims_columns(to_json(policy, "policy"), *tables, as_of_text(as_of))
    columns = _claim_columns(
        out,
        np,
        pool=lambda codes, labels: pd.Categorical.from_codes(codes, categories=labels),
        flags=lambda values: values,
        instants=lambda values: pd.to_datetime(values.view("datetime64[ms]"), utc=True),  # the int64 minimum is NaT
        counts=lambda values: pd.arrays.IntegerArray(values, values < 0),
    )
    frame = pd.DataFrame(columns, index=requests.index)
    share_attrs(frame.attrs, {"holdings": out["holdings"], "pools": out["pools"]})
    return frame


def _claim_columns(out: dict, np: Any, *, pool: Any, flags: Any, instants: Any, counts: Any) -> dict[str, Any]:
    """``check_claims_columns``' answer as ``check_claims_frame``'s columns, in order, each
    built by the caller's library (pandas or Arrow): ``pool(codes, labels)``, ``flags(bools)``,
    ``instants(int64 ms, the int64 minimum for none)``, ``counts(int64, -1 for none)``."""
    reasons = np.asarray(out["reasons"])
    columns: dict[str, Any] = {
        "pool": pool(out["pool"], list(out["pools"])),
        "accepted": flags(np.asarray(out["accepted"], dtype=bool)),
    }
    for k, name in enumerate(out["reason_labels"]):
        columns[name] = flags((reasons >> k & 1).astype(bool))
    for name in ("embargo_since", "embargo_until", "cooldown_since", "cooldown_until"):
        columns[name] = instants(np.asarray(out[name], dtype=np.int64))
    for name, key in (("holdings_count", "holdings_count"), ("holdings_limit_value", "holdings_limit"),
                      ("daily_count", "daily_count"), ("daily_limit_value", "daily_limit")):  # fmt: skip
        columns[name] = counts(np.asarray(out[key], dtype=np.int64))
    columns["claimed_at"] = instants(np.asarray(out["claimed_at"], dtype=np.int64))
    return columns
