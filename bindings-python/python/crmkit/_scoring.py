"""Lead scoring over dicts and lists."""

from __future__ import annotations

import datetime
from typing import Any, Mapping, Sequence

from crmkit import _native
from crmkit._types import document
from crmkit._wire import as_of_text, error, to_json, unicode_labels

__all__ = [
    "calibration",
    "predict_leads",
    "score_frame",
    "score_leads",
    "time_split",
    "train_lead_model",
    "train_lead_model_frame",
]


@document("ScoringPolicy", "ScoringRule", "FieldCondition", "EventRule")
def score_leads(policy: Mapping[str, Any], leads: Sequence[Mapping[str, Any]], as_of: datetime.date | str) -> dict:
    """Scores and ranks ``leads`` (``{"id", "events": [{"type", "on"}], <fields>...}``) under
    the rule ``policy`` at ``as_of``.

    Returns ``leads`` (one line per lead in input order: ``score``, ``fit``, ``engagement``,
    ``grade``, ``tier``, ``rank``, ``items`` with points before and after decay, ``cuts`` by
    caps, ``top_reasons``), ``ranking`` (ids, first to last), and counts per ``tiers`` and
    ``grades``. Scores are floats. Raises ``CrmkitError`` (``invalid_value`` at
    ``rules[0].when[0].pattern`` for a regex that does not compile, ``invalid_type`` at
    ``leads[3].employees`` for a field of the wrong type...).

    >>> import crmkit
    >>> policy = {"rules": [{"id": "mfg", "dimension": "fit", "points": 20,
    ...                      "when": [{"field": "industry", "op": "equals", "value": "制造"}]}]}
    >>> report = crmkit.score_leads(policy, [{"id": "L1", "industry": "制造"}, {"id": "L2"}], "2026-11-23")
    >>> [(lead["id"], lead["score"], lead["rank"]) for lead in report["leads"]]
    [('L1', 20.0, 1), ('L2', 0.0, 2)]
    """
    return _native.score_leads(to_json(policy, "policy"), to_json(leads, "leads", "leads"), as_of_text(as_of))


@document("ModelConfig", "Feature", "ModelStage")
def train_lead_model(config: Mapping[str, Any], leads: Sequence[Mapping[str, Any]], as_of: datetime.date | str) -> dict:
    """Trains the learned model on closed leads (``outcome`` ``"won"`` / ``"lost"``, plus
    ``stage``, ``team``, ``closed_on`` and the configured fields). ``config["method"]`` is
    ``"odoo"`` (Odoo's predictive lead scoring, reproduced exactly) or ``"bayes"`` (Laplace
    smoothing, minimum support, numeric bins, team tables blended with the global one,
    forgetting by half-life). Returns the model as a plain dict: store it (JSON) and pass it
    to ``predict_leads``. Raises ``CrmkitError`` (``invalid_value`` at ``leads`` when the
    closed leads are all won or all lost...)."""
    return _native.train_lead_model(to_json(config), to_json(leads), as_of_text(as_of))


@document("ModelConfig", "Feature", "ModelStage")
def train_lead_model_frame(df: Any, config: Mapping[str, Any], as_of: datetime.date | str) -> dict:
    """Trains the learned model on a DataFrame of closed leads, one row per lead: the model
    ``train_lead_model`` gives for the same leads as dicts, without a Python object per row.

    The columns read are the config's outcome (``"won"`` / ``"lost"``), stage, team and (with
    ``half_life_days``) closing-date columns and one per configured field; an absent one is
    missing on every row. Text columns go down as category codes, numeric ones as float64
    (binned when the field has ``bins``), datetime64 / date columns as days. A tag field is one
    value per row here. ``df`` may also be Arrow data (polars, pyarrow, DuckDB; ``pip install
    "crmkit[arrow]"``). Raises ``CrmkitError`` (``invalid_type`` at ``columns.<field>`` for a
    column of the wrong kind, ``invalid_value`` at ``leads`` when the leads are all won or all
    lost...).

    >>> import pandas as pd, crmkit
    >>> leads = pd.DataFrame({"outcome": ["won", "lost", "lost"], "source": ["fair", "ads", "fair"]})
    >>> model = crmkit.train_lead_model_frame(leads, {"method": "bayes", "fields": [{"name": "source"}]}, "2026-11-23")
    >>> (model["won"], model["lost"])
    (1.0, 2.0)
    """
    from crmkit._frame import _arrow_input

    config_json = to_json(config, "config")
    names = list(_native.model_fields(config_json))
    if _arrow_input(df):
        from crmkit._arrow import ArrowColumns
        from crmkit._arrow_frames import _score_field

        cols = ArrowColumns(df, names)
        fields = [(name, *_score_field(cols, name)) for name in names if name in cols.table.column_names]
        return _native.train_lead_model_columns(config_json, len(cols), fields, as_of_text(as_of))
    from crmkit._frame import _pandas

    np, pd = _pandas("train_lead_model_frame")
    fields = [(name, *_column(df[name], np, pd)) for name in names if name in df.columns]
    return _native.train_lead_model_columns(config_json, len(df), fields, as_of_text(as_of))


@document("LeadModel")
def predict_leads(model: Mapping[str, Any], leads: Sequence[Mapping[str, Any]]) -> dict:
    """Each lead's probability of winning under a trained ``model``, with its additive
    log-odds ``contributions`` (they sum exactly to ``logit``) and the ``top_for`` /
    ``top_against`` factors; ``percent`` is Odoo's stored value for the ``odoo`` method.
    Raises ``CrmkitError``."""
    return _native.predict_leads(to_json(model), to_json(leads))


@document("CalibrationReport")
def calibration(probabilities: Any, outcomes: Any, bins: int = 10) -> dict:
    """Calibration of predicted ``probabilities`` against ``outcomes`` (True = won): Brier
    score, log loss, AUC and equal-width reliability ``bins``. Takes any array-likes (numpy
    arrays and pandas Series without a Python object per row). Raises ``CrmkitError``.

    >>> import crmkit
    >>> crmkit.calibration([0.9, 0.2, 0.7, 0.4], [True, False, False, True], bins=2)["auc"]
    0.75
    """
    import numpy as np

    from crmkit._frame import _int_arg

    # The core checks the range (0 out_of_range, above 1,000 limit_exceeded); None, floats and
    # negative numbers are CrmkitErrors here, never TypeError / OverflowError.
    bins = _int_arg(bins, "bins", 0, 2**32 - 1)
    try:
        p, y = np.asarray(probabilities), np.asarray(outcomes)
    except (ValueError, TypeError):  # ragged nesting: the JSON path names the entry
        p = y = np.asarray(None)
    if p.dtype.kind in "fiu" and y.dtype.kind == "b" and p.ndim == y.ndim == 1:
        return _native.calibration(np.ascontiguousarray(p, dtype=np.float64), np.ascontiguousarray(y), bins)

    # Anything else (strings, None, objects) goes as JSON, so the core names the bad entry.
    return _native.calibration_json(
        to_json(probabilities, "probabilities", "probabilities"), to_json(outcomes, "outcomes", "outcomes"), bins
    )


@document("TimeSplit")
def time_split(leads: Sequence[Mapping[str, Any]], date_field: str, cutoff: datetime.date | str) -> dict:
    """Indices of the leads closed before ``cutoff`` (``train``) and on or after it
    (``test``), by their ``date_field``: judge a model on leads that closed after everything
    it learnt from. Raises ``CrmkitError``."""
    leads_json = to_json(leads)
    if not isinstance(date_field, str):
        raise error("invalid_type", "date_field", f"expected the name of a date field, got {type(date_field).__name__}")
    return _native.time_split(leads_json, date_field, as_of_text(cutoff, "cutoff"))


@document("ScoringPolicy", "ScoringRule", "FieldCondition", "EventRule")
def score_frame(
    df: Any,
    policy: Mapping[str, Any],
    as_of: datetime.date | str,
    *,
    events: Any = None,
    event_lead: str = "lead",
    event_type: str = "type",
    event_on: str = "on",
) -> Any:
    """Scores and ranks the leads of a DataFrame (one row per lead; the policy's fields as
    columns) and returns a DataFrame with the same index: ``score``, ``fit``,
    ``engagement``, ``rank``, ``grade`` and ``tier`` (categoricals), and ``reason_1`` ..
    ``reason_k`` (rule ids, categoricals) for the policy's ``top_reasons``. Equal scores rank
    as in ``score_leads``: by the policy's ``tie_break`` fields, then by an ``id`` column
    (as text) when the frame has one, then by row order.

    ``events`` is an optional DataFrame, one row per event: ``event_lead`` the position
    (0-based row number) of its lead in ``df``, ``event_type`` its type, ``event_on`` its
    date. Numeric columns go down as float64 (NaN = missing), datetime64 / date columns as
    days, everything else as category codes: no Python object per row. Raises
    ``CrmkitError`` (``invalid_type`` at ``columns.<field>`` for a column of the wrong kind).

    ``df`` (and ``events``) may also be Arrow data: a polars DataFrame, a pyarrow Table, a
    pandas DataFrame with Arrow dtypes, a DuckDB result (read with pyarrow, ``pip install
    "crmkit[arrow]"``). Integer, float and decimal columns are numbers, ``date32`` and
    timestamps dates (midnight only), anything else text; the result comes in the caller's
    library (polars in, polars out; otherwise a pyarrow Table) with dictionary columns.
    """
    from crmkit._frame import _arrow_input

    if _arrow_input(df) or (events is not None and _arrow_input(events)):
        from crmkit._arrow_frames import score_arrow

        return score_arrow(df, policy, as_of, events, event_lead, event_type, event_on)
    from crmkit._frame import _pandas

    np, pd = _pandas("score_frame")

    fields = []
    # The fields and the kind the core reads each as, from the compiled policy: a column of
    # ``Decimal`` objects is numbers where numbers are read (a range, or a tie-break no
    # condition reads), as ``score_leads`` reads a ``Decimal`` (its decimal string).
    kinds = _native.scoring_fields(to_json(policy))
    names = [name for name, _ in kinds]
    for name, kind in kinds:
        if name not in df.columns:
            continue  # the core names the missing column in its error
        fields.append((name, *_column(df[name], np, pd, decimals=kind in ("number", "any"))))
    if "id" in df.columns and "id" not in names:
        # The ties the policy leaves go by id, as in score_leads (by row order without one).
        fields.append(("id", *_column(df["id"], np, pd, text_only=True)))
    ev = None
    if events is not None:
        kind, (codes, labels) = _column(events[event_type], np, pd, text_only=True)
        _, days = _column(events[event_on], np, pd, dates_only=True)
        ev = (np.ascontiguousarray(events[event_lead], dtype=np.int64), (codes, labels), days)
    out = _native.score_columns(to_json(policy), len(df), fields, ev, as_of_text(as_of))
    frame = pd.DataFrame(
        {
            "score": out["score"],
            "fit": out["fit"],
            "engagement": out["engagement"],
            "rank": out["rank"],
            "grade": pd.Categorical.from_codes(out["grade"], categories=out["grade_labels"]) if out["grade_labels"] else None,
            "tier": pd.Categorical.from_codes(out["tier"], categories=out["tier_labels"]) if out["tier_labels"] else None,
        },
        index=df.index,
    )
    rules = pd.Index(out["rule_ids"])
    for k, codes in enumerate(out["reasons"]):
        frame[f"reason_{k + 1}"] = pd.Categorical.from_codes(codes, categories=rules)
    return frame



# Ticks per day of numpy's datetime64 units.
_PER_DAY = {"D": 1, "h": 24, "m": 1440, "s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}


def _days32(days: Any, nat: Any, np: Any, wide: bool = True) -> Any:
    """int64 days as the core's int32 days, NaT as its missing date. A day beyond 32 bits
    (datetime64 reaches millions of years) stays out of the date range, where the core names
    its row, instead of wrapping round to a date inside it."""
    lo, hi = np.iinfo(np.int32).min, np.iinfo(np.int32).max
    if wide and days.size and (days.min() <= lo or days.max() > hi):
        days = np.clip(days, lo + 1, hi)
    if nat.any():
        days[nat] = lo
    return days.astype(np.int32)


def _decimals(s: Any, np: Any, pd: Any) -> Any:
    """float64 of an object Series of ``Decimal`` (and int / float) values, NaN for None /
    NaN, each the float nearest its value; None when another value (text...) is there."""
    import decimal

    out = np.empty(len(s), dtype=np.float64)
    for i, v in enumerate(s.to_numpy(dtype=object)):
        if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
            out[i] = np.nan
        elif isinstance(v, (decimal.Decimal, int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)):
            if isinstance(v, decimal.Decimal) and not v.is_finite():
                return None
            try:
                out[i] = float(v)
            except OverflowError:  # an int beyond a float: the core names the column
                return None
            if not np.isfinite(out[i]):  # Decimal("1E+400"): no number of a float either
                return None
        else:
            return None
    return out


def _column(
    s: Any, np: Any, pd: Any, text_only: bool = False, dates_only: bool = False, decimals: bool = False
) -> tuple:
    """(kind, data) of a Series: ("number", float64), ("date", int32 days), ("text", (int32
    codes, labels)). With ``decimals``, an object column of ``Decimal`` values is numbers."""
    if decimals and s.dtype == object:
        values = _decimals(s, np, pd)
        if values is not None:
            return "number", values
    if dates_only or (not text_only and (pd.api.types.is_datetime64_any_dtype(s.dtype))):
        values = s.to_numpy() if isinstance(s.dtype, np.dtype) and s.dtype.kind == "M" else None
        unit = np.datetime_data(values.dtype)[0] if values is not None else None
        if unit in _PER_DAY:
            # Plain datetime64: days by one integer floor division (numpy's datetime cast is
            # several times slower on 10M events).
            ticks = values.view(np.int64)
            out = ticks // _PER_DAY[unit]
            nat = ticks == np.iinfo(np.int64).min
            # int64 µs or ns reach ±10^8 days at most: within 32 bits, nothing to check.
            return "date", _days32(out, nat, np, wide=_PER_DAY[unit] < _PER_DAY["us"])
        days = pd.to_datetime(s).to_numpy(dtype="datetime64[D]")
        return "date", _days32(days.astype(np.int64), np.isnat(days), np)
    if not text_only and pd.api.types.is_bool_dtype(s.dtype):
        # Booleans as booleans: codes into ["false", "true"] straight from the bool array (the
        # core reads a boolean as that text), never str(True) per row; <NA> is missing.
        values = s.to_numpy(dtype=np.int32, na_value=-1) if s.hasnans else s.to_numpy(dtype=np.int32)
        return "text", (np.ascontiguousarray(values, dtype=np.int32), ["false", "true"])
    if not text_only and pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        return "number", np.ascontiguousarray(s.to_numpy(dtype=np.float64, na_value=np.nan))
    try:
        cat = s if isinstance(s.dtype, pd.CategoricalDtype) else s.astype("category")
    except TypeError as e:  # unhashable values (lists, dicts...): not text, numbers or dates
        from crmkit._wire import error

        raise error("invalid_type", f"columns.{s.name}", f"expected text, numbers or dates: {e}") from None
    # Python / numpy booleans among objects read as the core reads a boolean: true / false.
    labels = [("true" if c else "false") if isinstance(c, (bool, np.bool_)) else str(c) for c in cat.cat.categories]
    unicode_labels(labels, f"columns.{s.name}")
    return "text", (np.ascontiguousarray(cat.cat.codes.to_numpy(), dtype=np.int32), labels)
