"""Marketing ROI and attribution over dicts and lists."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from crmkit import _native
from crmkit._types import document
from crmkit._wire import share_attrs, shared, to_json, unicode_labels

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["attribute", "attribution_frame", "campaign_roi", "compare_attribution", "compare_attribution_frame"]


@document("RoiPolicy", "Campaign")
def campaign_roi(policy: Mapping[str, Any], campaigns: Sequence[Mapping[str, Any]]) -> dict:
    """ROI metrics per campaign, channel, channel group, period and in total.

    Each line has ROI % = (won revenue − cost) ÷ cost × 100, ROAS, cost per lead /
    opportunity / win, CAC, budget vs actual, expected vs actual revenue and the funnel
    converted from the top and stage to stage; a ratio over zero is ``None`` with a reason
    (``zero_cost``, ``no_leads``...), never infinite. Money as ``Decimal``. Raises
    ``CrmkitError`` (``unknown_channel`` at ``campaigns[2].channel``, ``negative_amount``...).

    >>> import crmkit
    >>> c = {"id": "c1", "channel": "events", "cost": "11400", "won_revenue": "20000",
    ...      "leads": 3000, "customers": 1200, "opportunities": 800, "won": 260}
    >>> total = crmkit.campaign_roi({}, [c])["total"]
    >>> total["roi_pct"], [s["from_top_pct"] for s in total["funnel"]]
    (Decimal('75.4'), [Decimal('100.0'), Decimal('40.0'), Decimal('26.7'), Decimal('8.7')])
    """
    return _native.campaign_roi(to_json(policy, "policy"), to_json(campaigns, "campaigns", "campaigns"))


@document("AttributionPolicy", "Journey")
def attribute(policy: Mapping[str, Any], journeys: Sequence[Mapping[str, Any]]) -> dict:
    """Attribution of each converting journey's revenue to its touches under
    ``policy["model"]`` (``first_touch``, ``last_touch``, ``last_non_direct`` with its
    ``direct`` channels, ``linear``, ``u_shaped``, ``w_shaped``, ``position``, ``time_decay``,
    ``markov``, ``shapley``); credits are ``Decimal`` and sum exactly to each journey's
    rounded revenue. ``lookback_days`` drops touches earlier than that before their
    conversion (a conversion without a touch inside is ``unattributed``); ``cohorts: True``
    adds the credits per conversion month and channel. Returns per-channel totals and one
    explained line per journey and touch. Raises ``CrmkitError``.

    >>> import crmkit
    >>> j = {"id": "j1", "revenue": "100.00", "converted_on": "2026-03-15", "touches": [
    ...     {"channel": "search", "on": "2026-03-01"}, {"channel": "email", "on": "2026-03-10"},
    ...     {"channel": "events", "on": "2026-03-15"}]}
    >>> [t["credit"] for t in crmkit.attribute({"model": {"kind": "linear"}}, [j])["journeys"][0]["touches"]]
    [Decimal('33.34'), Decimal('33.33'), Decimal('33.33')]
    """
    return _native.attribute(to_json(policy, "policy"), to_json(journeys, "journeys", "journeys"))


@document("ComparisonPolicy", "Journey")
def compare_attribution(policy: Mapping[str, Any], journeys: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """All models side by side: one row per channel (index ``channel``), a ``group`` column
    and one column of ``Decimal`` credits per model of ``policy["models"]`` (default: first
    touch, last touch, linear, U, W, time decay, Markov, Shapley). Every model's column sums
    to the same total. ``attrs["total"]``, ``attrs["shares"]`` (the same table as shares of
    the total) and ``attrs["rows"]`` (long rows ``{channel, group, model, credit, share}``).
    Raises ``CrmkitError``.

    >>> import crmkit
    >>> j = {"id": "j", "revenue": "90", "converted_on": "2026-03-15", "touches": [
    ...     {"channel": "search", "on": "2026-03-01"}, {"channel": "email", "on": "2026-03-10"}]}
    >>> df = crmkit.compare_attribution({"models": [{"kind": "first_touch"}, {"kind": "linear"}]}, [j])
    >>> df.loc["email", "linear"], list(df.columns)
    (Decimal('45.00'), ['group', 'first_touch', 'linear'])
    """
    import pandas as pd

    report = _native.compare_attribution(to_json(policy, "policy"), to_json(journeys, "journeys", "journeys"))
    return _comparison_frame(report, pd)


def _comparison_frame(report: dict, pd: Any) -> pd.DataFrame:
    """A comparison report as the DataFrame :func:`compare_attribution` returns."""
    index = pd.Index([line["channel"] for line in report["channels"]], name="channel")

    def table(field: str) -> pd.DataFrame:
        data: dict[str, Any] = {"group": [line["group"] for line in report["channels"]]}
        for k, model in enumerate(report["models"]):
            data[model] = [line[field][k] for line in report["channels"]]
        return pd.DataFrame(data, index=index)

    out = table("credits")
    share_attrs(out.attrs, {"total": report["total"], "shares": table("shares"), "rows": report["rows"], "report": report})
    return out


_MILESTONES = {"lead_created": 1, "deal_created": 2}
NOT_CONVERTED = -(2**63)  # numpy's NaT: a journey without a conversion day


def unread_revenue(missing: Any, journeys: Any, converted: Any, np: Any) -> None:
    """The one rule of both frame paths (pandas and Arrow) for missing revenue: the core reads
    a journey's revenue on its first row, and only when it converted, so a missing value
    anywhere else is no error (the caller fills it with 0); a converted journey without
    revenue on its first row is ``invalid_type`` at ``revenue[i]``. ``missing``: per row,
    whether the revenue is missing; ``journeys``: the journey codes; ``converted``: the
    conversion days (``NOT_CONVERTED`` for none)."""
    first = np.ones(len(journeys), dtype=bool)
    first[1:] = journeys[1:] != journeys[:-1]
    bad = np.flatnonzero(missing & first & (converted != NOT_CONVERTED))
    if len(bad):
        from crmkit._frame import _error

        raise _error("invalid_type", f"revenue[{int(bad[0])}]", "missing revenue: a converted journey needs one on its first row")


_TICKS_PER_DAY = {"D": 1, "h": 24, "m": 1_440, "s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}


def _day_ticks(series: Any, field: str, np: Any, pd: Any) -> tuple[Any, int | None]:
    """A naive datetime64 column as its int64 ticks and ticks per day, turned into days by
    the native side in one pass (no datetime64[D] copy, no mask here); anything else
    (strings, dates, tz-aware) as days, by ``_frame._days``."""
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "M":
        unit, count = np.datetime_data(dtype)
        ticks = _TICKS_PER_DAY.get(unit)
        if ticks is not None and count == 1:
            return np.ascontiguousarray(series.to_numpy().view(np.int64)), ticks
    from crmkit._frame import _days

    return _days(series, field, np, pd), None


def _channel_codes(series: Any, np: Any, pd: Any) -> tuple[Any, list[str]]:
    """A categorical's own codes (int8 for a few channels: widened natively, no int32 copy
    here) and its labels (its categories as text, which ``_frame._codes`` would give them,
    without factorizing them again); anything else factorized by ``_frame._codes``."""
    from crmkit._frame import _codes

    if isinstance(series.dtype, pd.CategoricalDtype):
        labels = unicode_labels([str(label) for label in series.cat.categories], f"{series.name}")
        return np.ascontiguousarray(series.cat.codes.to_numpy()), labels
    return _codes(series, np, pd)


def _read_revenue(series: Any, journeys: Any, converted: Any, np: Any, pd: Any) -> Any:
    """``series`` with its unread missing cells as 0 (:func:`unread_revenue`). Floats keep
    their NaN: the core reads a NaN as an empty cell by the same rule."""
    if pd.api.types.is_float_dtype(series.dtype) or (isinstance(series.dtype, np.dtype) and series.dtype.kind in "iu"):
        return series  # NaN is read by the core; numpy integers cannot be missing
    try:
        missing = series.isna().to_numpy(dtype=bool)
    except ArithmeticError:  # pandas' isna raises on a signalling-NaN Decimal
        from crmkit._frame import _error

        i = next((i for i, v in enumerate(series.to_numpy(dtype=object)) if isinstance(v, Decimal) and v.is_snan()), 0)
        raise _error("invalid_decimal", f"revenue[{i}]", "a signalling NaN is not a decimal number") from None
    if not missing.any():
        return series
    unread_revenue(missing, journeys, converted, np)
    if pd.api.types.is_integer_dtype(series.dtype):
        return series.fillna(0)  # nullable integers stay integers: exact whole (or minor) units
    return series.astype(object).mask(missing, 0)


def _touch_frame(function: str, doc: str) -> Any:
    """A frame function over a DataFrame's touch columns (``attribution_frame``,
    ``compare_attribution_frame``): the one signature both take, read by
    :func:`_over_touches` into ``function``'s native call and table."""

    def frame(
        df: pd.DataFrame,
        policy: Mapping[str, Any],
        *,
        journey: str = "journey",
        channel: str = "channel",
        on: str = "on",
        revenue: str = "revenue",
        converted_on: str = "converted_on",
        milestone: str | None = None,
        revenue_scale: int | None = None,
    ) -> pd.DataFrame:
        names = {"journey": journey, "channel": channel, "on": on, "revenue": revenue, "converted_on": converted_on, "milestone": milestone}
        return _over_touches(function, df, policy, names, revenue_scale)

    frame.__name__ = frame.__qualname__ = function
    frame.__doc__ = doc
    return frame


attribution_frame = document("AttributionPolicy")(
    _touch_frame(
        "attribution_frame",
        """Attribution over a DataFrame of touches, one touch per row, without a Python object per
    row: the rows of a journey are consecutive and in time order (``df.sort_values([journey,
    on], kind="stable")``) and carry the journey's ``revenue`` and ``converted_on`` (NaT: did
    not convert), read on its first row.

    Columns: ``journey`` (integers used as they are, anything else factorized), ``channel``
    (categorical or strings), ``on`` and ``converted_on`` (datetime64 or ``YYYY-MM-DD``),
    ``revenue`` (integers: whole units, unless ``revenue_scale`` declares minor units,
    ``revenue_scale=2`` for cents; floats: rounded once to ``revenue_scale`` places, by default
    the policy's rounding; ``Decimal`` / ``str`` cells as written: the same number is the same
    money whatever its dtype), ``milestone`` (optional: ``lead_created``,
    ``deal_created`` or empty).

    Returns one row per channel (``channel``, ``group``, ``credit`` as ``Decimal``, ``share``,
    ``touches``, ``conversions``, ``removal_effect``); ``attrs["credits"]`` holds each row of
    ``df``'s credit as an int64 array in units of 10^-``rounding.dp`` (cents by default), so
    ``df.assign(credit=out.attrs["credits"] / 100)``; ``attrs["total"]``,
    ``attrs["conversions"]``, ``attrs["unattributed"]`` (revenue of conversions without a touch
    inside the policy's ``lookback_days``), ``attrs["model"]``, and with ``"cohorts": True`` in
    the policy ``attrs["cohorts"]``, a DataFrame of the credits per conversion month and channel
    (``month``, ``channel``, ``group``, ``credit``, ``share``, ``conversions``). Raises ``CrmkitError`` at ``on[i]``,
    ``revenue[i]``... where ``i`` is the row's position.

    ``df`` may also be Arrow data (polars, pyarrow, Arrow-backed pandas, DuckDB; read with
    pyarrow, ``pip install "crmkit[arrow]"``): decimal128 revenue is read exactly at its own
    scale. The channel rows then come in the caller's library (polars in, polars out;
    otherwise a pyarrow Table) with ``credit`` as decimal128 and the total, conversions and
    model as JSON in the schema metadata (``crmkit.total``...); the per-row credits are in
    ``attrs`` of a pandas result only.
        """,
    )
)


def _attribution_table(native: tuple, pd: Any) -> pd.DataFrame:
    """``attribute_columns``' report and per-row credits as the DataFrame
    :func:`attribution_frame` returns."""
    report, credits = native
    columns = ["channel", "group", "credit", "share", "touches", "conversions", "removal_effect"]
    out = pd.DataFrame({c: [line[c] for line in report["channels"]] for c in columns}, columns=columns)
    share_attrs(out.attrs, {"credits": credits, **{key: report[key] for key in ("total", "conversions", "unattributed", "model")}})
    if report["cohorts"]:
        cohort_columns = ["month", "channel", "group", "credit", "share", "conversions"]
        out.attrs["cohorts"] = pd.DataFrame({c: [line[c] for line in report["cohorts"]] for c in cohort_columns}, columns=cohort_columns)
    return out


def _over_touches(function: str, df: Any, policy: Mapping[str, Any], names: dict, revenue_scale: Any) -> Any:
    """``function`` (``attribution_frame`` or ``compare_attribution_frame``) over ``df``'s
    touch columns ``names``: Arrow data through ``crmkit._arrow_frames``, a pandas frame
    through the native ``*_columns`` function and its table builder."""
    from crmkit._frame import _arrow_input, _pandas

    native, table, arrow = _FRAMES[function]
    if _arrow_input(df):
        from crmkit import _arrow_frames

        return getattr(_arrow_frames, arrow)(df, policy, revenue_scale=revenue_scale, **names)
    np, pd = _pandas(function)
    columns = _touch_columns(df, np, pd, revenue_scale=revenue_scale, **names)
    return table(getattr(_native, native)(to_json(policy, "policy"), columns), pd)


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _touch_columns(
    df: Any, np: Any, pd: Any, *, journey: str, channel: str, on: str, revenue: str, converted_on: str, milestone: str | None, revenue_scale: Any
) -> dict:
    """A DataFrame's touch columns as the mapping the native ``attribute_columns`` /
    ``compare_attribution_columns`` take after the policy (``on_ticks`` /
    ``converted_on_ticks``: a datetime64 column's ticks per day, None for days)."""
    from crmkit._frame import _amounts, _column, _error, _int_arg

    revenue_scale = _int_arg(revenue_scale, "revenue_scale", 0, 28)

    ids = _column(df, journey)
    try:
        if pd.api.types.is_integer_dtype(ids.dtype):
            journey_codes = np.ascontiguousarray(ids.to_numpy(dtype=np.int64))
        else:
            journey_codes = np.ascontiguousarray(pd.factorize(ids)[0].astype(np.int64))
    except TypeError as e:  # unhashable cells (lists, dicts) are no journey
        raise _error("invalid_type", journey, f"a journey column of hashable values: {e}") from None
    try:
        channel_codes, channel_labels = _channel_codes(_column(df, channel), np, pd)
    except TypeError as e:  # unhashable cells are no channel
        raise _error("invalid_type", channel, f"a channel column of names: {e}") from None
    days, on_ticks = _day_ticks(_column(df, on), "on", np, pd)
    conv, conv_ticks = _day_ticks(_column(df, converted_on), "converted_on", np, pd)
    # NaT ticks are NOT_CONVERTED too: the conversion column as handed over says who converted.
    amounts = _amounts(_read_revenue(_column(df, revenue), journey_codes, conv, np, pd), np, pd, revenue_scale, "revenue")
    marks = None
    if milestone is not None:
        series = _column(df, milestone)
        try:
            mapped = series.map(_MILESTONES)
        except TypeError:  # unhashable cells (lists, dicts, a signalling NaN) are no milestone
            i = next((i for i, v in enumerate(series.to_numpy(dtype=object)) if not _hashable(v)), 0)
            raise _error("invalid_value", f"milestone[{i}]", "not lead_created or deal_created") from None
        bad = (mapped.isna() & series.notna()).to_numpy()
        if bad.any():
            i = int(bad.argmax())
            raise _error("invalid_value", f"milestone[{i}]", f"{series.iloc[i]!r} is not lead_created or deal_created")
        marks = np.ascontiguousarray(mapped.fillna(0).to_numpy(dtype=np.int8))
    return {
        "journey": journey_codes, "channel": channel_codes, "channel_labels": channel_labels, "on": days, "on_ticks": on_ticks,
        "revenue": amounts, "revenue_scale": revenue_scale, "converted_on": conv, "converted_on_ticks": conv_ticks, "milestone": marks,
    }  # fmt: skip


compare_attribution_frame = document("ComparisonPolicy")(
    _touch_frame(
        "compare_attribution_frame",
        """:func:`compare_attribution` over a DataFrame of touches, read as
    :func:`attribution_frame` reads it (one touch per row, a journey's rows consecutive and in
    time order, the same columns and ``revenue_scale``), without a Python object per row: the
    same table, one row per channel (index ``channel``), a ``group`` column and one column of
    ``Decimal`` credits per model, with ``attrs["total"]``, ``attrs["shares"]``,
    ``attrs["rows"]`` and ``attrs["report"]``, and ``attrs["credits"]``: per model label, each
    row of ``df``'s credit as an int64 array in units of 10^-``rounding.dp``, as
    :func:`attribution_frame`'s (``df.assign(linear=out.attrs["credits"]["linear"] / 100)``).
    When every model is rule-based and there is no ``lookback_days``, the journeys are read
    once for all of them. Raises ``CrmkitError`` at ``on[i]``,
    ``revenue[i]``... where ``i`` is the row's position, and at ``models[i]`` for the policy.

    ``df`` may also be Arrow data (polars, pyarrow, Arrow-backed pandas, DuckDB): the table then
    comes in the caller's library (polars in, polars out; otherwise a pyarrow Table) with
    ``channel``, ``group`` and one decimal128 column per model, and the total, models and long
    rows as JSON in the schema metadata (``crmkit.total``, ``crmkit.models``, ``crmkit.rows``);
    the per-row credits are in ``attrs`` of a pandas result only.

    >>> import pandas as pd, crmkit
    >>> df = pd.DataFrame({"journey": [1, 1, 2], "channel": ["search", "email", "search"],
    ...     "on": ["2026-03-01", "2026-03-10", "2026-03-02"], "revenue": ["90", "90", None],
    ...     "converted_on": ["2026-03-15", "2026-03-15", None]})
    >>> out = crmkit.compare_attribution_frame(df, {"models": [{"kind": "first_touch"}, {"kind": "linear"}]})
    >>> out.loc["email", "linear"], list(out.columns)
    (Decimal('45.00'), ['group', 'first_touch', 'linear'])
    >>> out.attrs["credits"]["linear"].tolist()
    [4500, 4500, 0]
        """,
    )
)


def _comparison_table(native: tuple, pd: Any) -> pd.DataFrame:
    """``compare_attribution_columns``' comparison and per-row credits as the DataFrame
    :func:`compare_attribution_frame` returns."""
    report, credits = native
    out = _comparison_frame(report, pd)
    out.attrs["credits"] = row_credits(report, credits)
    return out


def row_credits(report: dict, credits: list) -> Any:
    """Each model's per-row credit array by model label, as ``attrs["credits"]`` holds them
    (read-only, shared rather than copied by pandas' deep copy of ``attrs``)."""
    return shared({model: shared(array) for model, array in zip(report["models"], credits)})


# Per frame function: the native function over touch columns, the builder of its pandas
# table and its Arrow form in crmkit._arrow_frames.
_FRAMES = {
    "attribution_frame": ("attribute_columns", _attribution_table, "attribution_arrow"),
    "compare_attribution_frame": ("compare_attribution_columns", _comparison_table, "compare_attribution_arrow"),
}
