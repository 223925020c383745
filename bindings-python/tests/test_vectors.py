"""Runs every shared vector (`tests/vectors/*/*.json`) through the installed `crmkit`.

The same files are the spec for the Rust runner (`tests/src/lib.rs`) and the JS one; case ids
are pytest ids. Outputs become plain JSON values (Decimal -> the digits Rust prints, date ->
ISO) and `expected` is matched as a subset exactly like `subset_mismatch` in Rust.
"""

from __future__ import annotations

import datetime
import decimal
import json
import math
import re
from pathlib import Path
from collections.abc import Mapping
from typing import Any, Callable

import pytest

import crmkit

REPO = Path(__file__).resolve().parents[2]
VECTOR_FILES = sorted((REPO / "tests" / "vectors").glob("*/*.json"))

def _get(obj: Any, key: str, default: Any = None) -> Any:
    """``obj.get(key)`` for a dict; ``None`` for anything else (the fuzz property mutates configs)."""
    return obj.get(key, default) if isinstance(obj, dict) else None


FUNCTIONS: dict[str, Callable[[dict], Any]] = {
    "normalize_company": lambda case: crmkit.normalize_company(_get(case["input"], "name")),
    "normalize_phone": lambda case: crmkit.normalize_phone(
        _get(case["input"], "phone"), _get(case["config"], "default_country", "86")
    ),
    "normalize_email": lambda case: crmkit.normalize_email(_get(case["input"], "email")),
    "normalize_domain": lambda case: crmkit.normalize_domain(_get(case["input"], "domain")),
    "normalize_person_name": lambda case: crmkit.normalize_person_name(_get(case["input"], "name")),
    "normalize_credit_code": lambda case: crmkit.normalize_credit_code(_get(case["input"], "code")),
    "compare": lambda case: crmkit.compare(case["config"], _get(case["input"], "a"), _get(case["input"], "b")),
    "match_records": lambda case: crmkit.match_records(case["config"], _get(case["input"], "a"), _get(case["input"], "b")),
    "estimate_model": lambda case: crmkit.estimate_model(
        _get(case["config"], "policy"), _get(case["input"], "records"), _get(case["config"], "settings")
    ),
    "find_duplicates": lambda case: crmkit.find_duplicates(
        _get(case["config"], "policy"), _get(case["input"], "records"), _get(case["config"], "settings")
    ),
    "find_duplicates_columns": lambda case: _dedup_frame(case),
    "link_records": lambda case: crmkit.link_records(
        _get(case["config"], "policy"), _get(case["input"], "left"), _get(case["input"], "right"), _get(case["config"], "limit", 10)
    ),
    "blocking_keys": lambda case: crmkit.blocking_keys(_get(case["config"], "policy"), _get(case["input"], "records")),
    "score_block": lambda case: crmkit.score_block(
        _get(case["config"], "policy"), _get(case["input"], "records"), _get(case["config"], "settings")
    ),
    "cluster_pairs": lambda case: crmkit.cluster_pairs(
        _get(case["config"], "policy"), _get(case["input"], "records"), _get(case["input"], "pairs"), _get(case["config"], "settings")
    ),
    "dedup_index": lambda case: _dedup_index(case),
    "forecast": lambda case: crmkit.forecast(case["config"], _get(case["input"], "deals"), case["as_of"]),
    "allocate_target": lambda case: crmkit.allocate_target(case["config"], case["input"], case["as_of"]),
    "allocate_tree": lambda case: crmkit.allocate_tree(case["config"], case["input"], case["as_of"]),
    "funnel_history": lambda case: crmkit.funnel_history(case["config"], _get(case["input"], "events"), case["as_of"]),
    "collections": lambda case: crmkit.collections(case["config"], _get(case["input"], "batches"), case["as_of"]),
    "route_discount": lambda case: crmkit.route_discount(case["config"], case["input"]),
    "payment_interest": lambda case: crmkit.payment_interest(case["config"], _get(case["input"], "batches"), case["as_of"]),
    "compute_commission": lambda case: crmkit.compute_commission(case["config"], case["input"], case["as_of"]),
    "commission_columns": lambda case: _commission_frame(case),
    "payment_interest_columns": lambda case: _batch_frames(case, interest=True),
    "collections_columns": lambda case: _batch_frames(case, interest=False),
    "campaign_roi": lambda case: crmkit.campaign_roi(case["config"], _get(case["input"], "campaigns")),
    "attribute": lambda case: crmkit.attribute(case["config"], _get(case["input"], "journeys")),
    "compare_attribution": lambda case: crmkit.compare_attribution(case["config"], _get(case["input"], "journeys")).attrs["report"],
    "compare_attribution_columns": lambda case: _compare_attribution_frame(case),
    "campaign_roi_columns": lambda case: _campaign_roi_frame(case),
    "forecast_columns": lambda case: _forecast_columns(case),
    "quota_columns": lambda case: _quota_columns(case),
    "quota_attainment": lambda case: crmkit.quota_attainment(
        _get(case["config"], "policy"), _get(case["config"], "quota"), case["input"], case["as_of"]
    ),
    "backtest": lambda case: crmkit.backtest(
        _get(case["config"], "policy"), _get(case["config"], "backtest"), _get(case["input"], "events"), case["as_of"]
    ),
    "fiscal_periods": lambda case: crmkit.fiscal_periods(
        case["config"], _get(case["input"], "start"), _get(case["input"], "end")
    ),
    "forecast_hierarchy": lambda case: crmkit.forecast_hierarchy(
        _get(case["config"], "policy"), _get(case["config"], "hierarchy"), case["input"], case["as_of"]
    ),
    "evaluate_pool": lambda case: crmkit.evaluate_pool(
        case["config"], _get(case["input"], "records"), _get(case["input"], "activities"), case["as_of"]
    ),
    "assign_records": lambda case: crmkit.assign_records(case["config"], case["input"]),
    "lint_pool": lambda case: crmkit.lint_pool(case["config"]),
    "simulate_pool": lambda case: crmkit.simulate_pool(
        _get(case["config"], "a"), _get(case["config"], "b"), _get(case["input"], "records"), _get(case["input"], "activities"),
        _get(case["config"], "from"), case["as_of"],
    ),
    "check_claims": lambda case: crmkit.check_claims(case["config"], case["input"], case["as_of"]),
    "assign_records_columns": lambda case: _assign_frame(case),
    "check_claims_columns": lambda case: _claims_frame(case),
    "forecast_ranges": lambda case: crmkit.forecast_ranges(
        _get(case["config"], "policy"), _get(case["config"], "ranges"), _get(case["input"], "deals"), case["as_of"]
    ),
    "score_leads": lambda case: crmkit.score_leads(case["config"], _get(case["input"], "leads"), case["as_of"]),
    # The model goes through JSON, as a caller would store it.
    "lead_model": lambda case: crmkit.predict_leads(
        json.loads(json.dumps(crmkit.train_lead_model(case["config"], _get(case["input"], "leads"), case["as_of"]))),
        _get(case["input"], "open"),
    ),
    "lead_model_columns": lambda case: crmkit.predict_leads(
        json.loads(json.dumps(_train_frame(case))), _get(case["input"], "open")
    ),
    "score_columns": lambda case: _score_frame(case),
    "time_split": lambda case: crmkit.time_split(
        _get(case["input"], "leads"), _get(case["config"], "date_field"), _get(case["config"], "cutoff")
    ),
    "calibration": lambda case: crmkit.calibration(
        _get(case["input"], "probabilities"), _get(case["input"], "outcomes"), _get(case["config"], "bins", 10)
    ),
}


def alter_bytes(data: bytes, how: str) -> bytes:
    """The bytes alterations the `dedup_index` vectors name (the same in every runner)."""
    b = bytearray(data)
    if how == "flip_last":
        b[-1] ^= 1
    elif how == "truncate":
        b = b[: max(0, len(b) - 10)]
    elif how == "version_2":
        b[8:12] = (2).to_bytes(4, "little")
    elif how == "garbage":
        b = bytearray(b"not an index at all, no")
    return bytes(b)


def _train_frame(case: dict) -> Any:
    """The closed leads of a `lead_model_columns` vector as a DataFrame (the columns the config
    trains on that some lead has; the closing-date column as datetime64) through
    `train_lead_model_frame`."""
    import pandas as pd

    from crmkit._wire import error, to_json

    leads = _get(case["input"], "leads", [])
    if not isinstance(leads, list) or not all(isinstance(lead, Mapping) for lead in leads):
        raise error("invalid_type", "leads", "expected a list of leads")
    names = crmkit._native.model_fields(to_json(case["config"], "config"))
    data = {n: [lead.get(n) for lead in leads] for n in names if any(lead.get(n) is not None for lead in leads)}
    df = _data_frame(data)
    closed_on = _get(case["config"], "closed_on_field", "closed_on")
    if closed_on in df.columns:
        try:
            df[closed_on] = pd.to_datetime(df[closed_on])
        except (TypeError, ValueError, OverflowError) as e:
            raise error("invalid_date", f"columns.{closed_on}", str(e)) from None
    return crmkit.train_lead_model_frame(df, case["config"], case["as_of"])


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _whole(v: Any) -> bool:
    """A number with no fractional part (JSON's 3.0 is 3, as in the JS runner)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v == int(v)


def _day(v: Any, path: str) -> Any:
    """A date cell as numpy's datetime64[D]: null, YYYY-MM-DD (years 0001 to 9999), or a whole
    day number (beyond 32 bits: invalid_date), as the Rust and JS runners read it."""
    import numpy as np

    from crmkit._wire import error

    if v is None:
        return np.datetime64("NaT", "D")
    if isinstance(v, str):
        try:
            if not _DATE.fullmatch(v) or v < "0001":
                raise ValueError(v)
            return np.datetime64(datetime.date.fromisoformat(v), "D")
        except ValueError:
            raise error("invalid_date", path, f"{v!r} is not a YYYY-MM-DD date") from None
    if not _whole(v):
        raise error("invalid_type", path, "expected a date")
    if not -(2**31) < v < 2**31:
        raise error("invalid_date", path, "a day number beyond 32 bits")
    return np.datetime64(int(v), "D")


def _texts(cells: list, path: str) -> Any:
    import pandas as pd

    from crmkit._wire import error

    for i, v in enumerate(cells):
        if v is not None and not isinstance(v, str):
            raise error("invalid_type", f"{path}[{i}]", "expected text")
    return pd.Series(cells, dtype=object)


def _score_frame(case: dict) -> Any:
    """A `score_columns` vector through `score_frame`: the fields as a DataFrame of `rows` rows
    (number columns float64, texts as objects, dates datetime64), the events as a second one.
    Read in the Rust runner's order, refusing what it refuses (a mutated case), and what a
    DataFrame cannot hold (columns of other lengths: invalid_value, as the core names them).
    The answer with labels for grades, tiers and reasons (None for none)."""
    import numpy as np
    import pandas as pd

    from crmkit._wire import error

    inp = case["input"] if isinstance(case["input"], dict) else {}
    rows = inp.get("rows")
    if not _whole(rows) or not 0 <= rows <= 2**32 - 1:
        raise error("invalid_type", "columns.rows", "expected a whole number of rows")
    rows = int(rows)
    given = inp.get("fields")
    given = {} if given is None else given
    if not isinstance(given, dict):
        raise error("invalid_type", "columns.fields", "expected an object of columns")
    data = {}
    for name in sorted(given):
        path, column = f"columns.{name}", given[name]
        if not isinstance(column, dict) or len(column) != 1 or not isinstance(next(iter(column.values())), list):
            raise error("invalid_type", path, "expected {number | text | date: [...]}")
        ((kind, cells),) = column.items()
        if kind == "number":
            for i, v in enumerate(cells):
                if v is not None and not _number(v):
                    raise error("invalid_type", f"{path}[{i}]", "expected a number")
            data[name] = pd.Series(np.array([np.nan if v is None else float(v) for v in cells], dtype=np.float64))
        elif kind == "text":
            data[name] = _texts(cells, path)
        elif kind == "date":
            data[name] = pd.Series(np.array([_day(v, f"{path}[{i}]") for i, v in enumerate(cells)], dtype="datetime64[D]"))
        else:
            raise error("invalid_type", path, "expected {number | text | date: [...]}")
    events = None
    ev = inp.get("events")
    if ev is not None:
        if not isinstance(ev, dict):
            raise error("invalid_type", "events", "expected a table of lists")

        def cells(name: str) -> list:
            if not isinstance(ev.get(name), list):
                raise error("invalid_type", f"events.{name}", "expected a list")
            return ev[name]

        lead = []
        for i, v in enumerate(cells("lead")):
            if not _whole(v):
                raise error("invalid_type", f"events.lead[{i}]", "expected a lead row")
            # A row beyond 32 bits is out of range as much as -1 is (the core names it alike).
            lead.append(int(v) if -(2**31) <= v < 2**31 else -1)
        types = _texts(cells("type"), "events.type")
        on = np.array([_day(v, f"events.on[{i}]") for i, v in enumerate(cells("on"))], dtype="datetime64[D]")
        for name, n in (("type", len(types)), ("on", len(on))):
            if n != len(lead):
                raise error("invalid_value", f"events.{name}", "columns of different lengths")
        events = pd.DataFrame({"lead": np.array(lead, dtype=np.int64), "type": types, "on": pd.Series(on)})
    for name, column in data.items():
        if len(column) != rows:
            raise error("invalid_value", f"columns.{name}", f"{len(column)} rows, not {rows}")
    df = pd.DataFrame(data, index=pd.RangeIndex(rows))
    out = crmkit.score_frame(df, case["config"], case["as_of"], events=events)
    label = lambda v: None if pd.isna(v) else str(v)  # noqa: E731
    reasons = [c for c in out.columns if c.startswith("reason_")]
    return {
        "score": [float(v) for v in out["score"]],
        "fit": [float(v) for v in out["fit"]],
        "engagement": [float(v) for v in out["engagement"]],
        "rank": [int(v) for v in out["rank"]],
        "grade": [label(v) for v in out["grade"]],
        "tier": [label(v) for v in out["tier"]],
        "reasons": [[str(v) for v in row if not pd.isna(v)] for row in out[reasons].itertuples(index=False)],
    }


def _dedup_index(case: dict) -> Any:
    index = crmkit.DedupIndex(_get(case["config"], "policy"), _get(case["input"], "book"))
    for op in _get(case["input"], "ops", []):
        if "add" in op:
            index.add(op["add"])
        elif "update" in op:
            index.update(op["update"])
        elif "remove" in op:
            index.remove(op["remove"])
    if "bytes" in case["input"]:
        index = crmkit.DedupIndex.from_bytes(alter_bytes(index.to_bytes(), case["input"]["bytes"]))
    if "query" not in case["input"]:
        return {}
    return index.query(case["input"]["query"], _get(case["config"], "limit", 10))


def _data_frame(data: dict) -> Any:
    """The runner's DataFrame of a vector's columns. pandas' Arrow-backed strings cannot hold a
    lone surrogate (a mutated case): the runner refuses it as crmkit refuses such text."""
    import pandas as pd

    from crmkit._wire import error

    try:
        return pd.DataFrame(data)
    except UnicodeEncodeError:
        raise error("invalid_value", "input", "a column holds a lone surrogate, not Unicode text") from None


_DATE_FIELDS = ("entered_stage_on", "expected_close_on", "snoozed_until", "last_activity_on")


def _deal_frame(case: dict) -> tuple[Any, dict, list[str]]:
    """The `forecast_columns` / `quota_columns` vectors' columns as a DataFrame, the
    `forecast_frame` arguments naming them and the policy's `group_by`, read and refused as
    the Rust runner reads them (tests/src/forecast_columns.rs): amounts as int64 units at the
    largest scale written, dates and names as written (crmkit reads them)."""
    import re

    import numpy as np
    import pandas as pd

    from crmkit._wire import error

    inp = case["input"] if isinstance(case["input"], Mapping) else {}
    config = case["config"] if isinstance(case["config"], Mapping) else {}
    policy = config.get("policy")
    group_by = policy.get("group_by") if isinstance(policy, Mapping) else None
    group_by = [k for k in group_by if isinstance(k, str)] if isinstance(group_by, list) else []

    def cells(values: Any, path: str, ok: Callable[[Any], bool]) -> list:
        if not isinstance(values, list):
            raise error("invalid_type", path, "expected a list")
        for i, v in enumerate(values):
            if v is not None and not ok(v):
                raise error("invalid_type", f"{path}[{i}]", "not a cell of this column")
        return values

    def text(v: Any) -> bool:
        return isinstance(v, str)

    data: dict[str, Any] = {"stage": pd.Series(cells(inp.get("stage"), "stage", text), dtype=object)}
    amounts = cells(inp.get("amount"), "amount", text)
    parts = []
    for i, a in enumerate(amounts):
        if a is None:
            raise error("invalid_type", f"amount[{i}]", "expected a decimal string")
        if not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", a):
            raise error("invalid_decimal", f"amount[{i}]", "not a decimal")
        whole, _, frac = a.lstrip("-").partition(".")
        parts.append((-1 if a.startswith("-") else 1, int(whole + frac), len(frac)))
    scale = max((p[2] for p in parts), default=0)
    units = []
    for i, (sign, value, places) in enumerate(parts):
        u = sign * value * 10 ** (scale - places)
        if not -(2**63) <= u < 2**63:
            raise error("overflow", f"amount[{i}]", "beyond 64-bit units")
        units.append(u)
    data["amount"] = np.array(units, dtype=np.int64)
    args: dict[str, Any] = {"amount_scale": scale}
    for field in _DATE_FIELDS:
        if inp.get(field) is not None:
            data[field] = pd.Series(cells(inp[field], field, text), dtype=object)
            args[field] = field
    keys = inp.get("keys") if isinstance(inp.get("keys"), Mapping) else {}
    for name in group_by:
        if name not in keys:
            raise error("missing_field", name, "no such key column")
        data[name] = pd.Series(cells(keys[name], name, text), dtype=object)
    if inp.get("probability") is not None:
        ps = cells(inp["probability"], "probability", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
        data["probability"] = np.array([np.nan if p is None else float(p) for p in ps], dtype=np.float64)
        args["probability"] = "probability"
    if inp.get("category") is not None:
        data["category"] = pd.Series(cells(inp["category"], "category", text), dtype=object)
        args["category"] = "category"
    # A DataFrame needs columns of one length: refused as the core refuses them, in its order.
    order = ["amount", *[f for f in _DATE_FIELDS if f in data], *group_by, "probability", "category"]
    for name in order:
        if name in data and len(data[name]) != len(data["stage"]):
            path = f"keys[{group_by.index(name)}]" if name in group_by else name
            raise error("invalid_value", path, "column of another length than stage")
    return _data_frame({k: (v.to_numpy() if isinstance(v, pd.Series) else v) for k, v in data.items()}), args, group_by


def _forecast_columns(case: dict) -> Any:
    """The `forecast_columns` vectors through `forecast_frame`: the report's totals, stages,
    months and groups (key, sums and month lines) from the frame and its attrs."""
    import pandas as pd

    df, args, group_by = _deal_frame(case)
    config = case["config"] if isinstance(case["config"], Mapping) else {}
    out = crmkit.forecast_frame(df, config.get("policy"), case["as_of"], **args)
    report = {name: out.attrs[name] for name in ("totals", "stages", "months")}
    report["groups"] = []
    if group_by:
        rows: dict[tuple, list] = {}
        for i in range(len(out)):
            key = tuple(None if pd.isna(out[k].iloc[i]) else out[k].iloc[i] for k in group_by)
            rows.setdefault(key, []).append({m: out[m].iloc[i] for m in ("month", "offset", "deals", "amount", "weighted")})
        groups = []
        for g in out.attrs["groups"]:
            key = {k: g[k] for k in group_by}
            line = {"key": key, **{k: v for k, v in g.items() if k not in group_by}}
            line["months"] = [{k: (int(v) if k in ("offset", "deals") else v) for k, v in m.items()} for m in rows.get(tuple(key.values()), [])]
            groups.append(line)
        report["groups"] = groups
    return report


def _quota_columns(case: dict) -> Any:
    """The `quota_columns` vectors through `quota_frame`: the report in attrs."""
    df, args, _ = _deal_frame(case)
    inp = case["input"] if isinstance(case["input"], Mapping) else {}
    config = case["config"] if isinstance(case["config"], Mapping) else {}
    out = crmkit.quota_frame(df, config.get("policy"), config.get("quota"), inp.get("quotas"), case["as_of"], won=inp.get("won"), **args)
    return out.attrs["report"]


def _dedup_frame(case: dict) -> Any:
    """The columns vector through `dedup_frame`: the DataFrame's columns back as the
    report's `cluster` / `survivor` lists, plus its attrs. A mutated case whose columns are
    not lists cannot become a DataFrame: the runner refuses it with a typed error (as
    `_commission_frame` does), so the property sees only CrmkitError."""
    import pandas as pd

    from crmkit._wire import error, to_json

    inp = case["input"] if isinstance(case["input"], Mapping) else {}
    fields = inp.get("fields") or {}
    if not isinstance(fields, Mapping):
        raise error("invalid_type", "fields", "expected an object of columns")
    data = {"id": inp.get("ids")}
    for name, column in fields.items():
        data[str(name)] = column
    if inp.get("owners") is not None:
        data["owner"] = inp["owners"]
    for name, values in data.items():
        if not isinstance(values, list):
            raise error("invalid_type", "ids" if name == "id" else name, "expected a list")
    n = len(data["id"])
    if any(len(v) != n for v in data.values()):
        # A DataFrame cannot hold columns of different lengths: call the native entry point
        # dedup_frame uses, so the core's own length check answers.
        _, _, report = crmkit._native.find_duplicates_columns(
            to_json(_get(case["config"], "policy"), "policy"),
            to_json(_get(case["config"], "settings") or {}, "settings", "settings"),
            data["id"], data.get("owner"), [(k, v) for k, v in data.items() if k not in ("id", "owner")],
        )
        return report
    df = _data_frame(data)
    out = crmkit.dedup_frame(df, _get(case["config"], "policy"), id="id", owner="owner" if "owner" in data else None,
                             settings=_get(case["config"], "settings"))
    return {"cluster": out["cluster"].tolist(), "survivor": out["is_survivor"].tolist(), **out.attrs}


def _compare_attribution_frame(case: dict) -> Any:
    """The columns vector through `compare_attribution_frame` on a DataFrame of them (dates as
    YYYY-MM-DD text, revenue as decimal strings): the report in attrs. A mutated case whose
    columns are not lists of one length cannot become a DataFrame: the runner refuses it with
    a typed error, as `_commission_frame` does."""
    from crmkit._wire import error

    inp = case["input"] if isinstance(case["input"], dict) else {}
    names = ["journey", "channel", "on", "revenue", "converted_on"] + (["milestone"] if inp.get("milestone") is not None else [])
    data = {name: inp.get(name) for name in names}
    for name, values in data.items():
        if not isinstance(values, list):
            raise error("invalid_type", name, "expected a list")
        if len(values) != len(data["journey"]):
            raise error("invalid_value", name, "columns of different lengths")
    milestone = "milestone" if "milestone" in data else None
    return crmkit.compare_attribution_frame(_data_frame(data), case["config"], milestone=milestone).attrs["report"]


def _campaign_roi_frame(case: dict) -> Any:
    """The `campaign_roi_columns` vectors through `campaign_roi_frame` on a DataFrame of the
    columns the case has (ids, channels and money as text, dates as YYYY-MM-DD text, counts as
    integers): the report in attrs. A mutated case whose columns are not lists of one length
    cannot become a DataFrame: the runner refuses it with a typed error."""
    from crmkit._wire import error

    inp = case["input"] if isinstance(case["input"], dict) else {}
    data = {name: values for name, values in inp.items() if name in _CAMPAIGN_COLUMNS}
    for name in ("id", "channel", "cost"):
        data.setdefault(name, None)
    for name, values in data.items():
        if not isinstance(values, list):
            raise error("invalid_type", name, "expected a list")
        if len(values) != len(data["id"]):
            raise error("invalid_value", name, "columns of different lengths")
    return crmkit.campaign_roi_frame(_data_frame(data), case["config"]).attrs["report"]


_CAMPAIGN_COLUMNS = ("id", "channel", "cost", "won_revenue", "budget", "expected_revenue", "start_on", "end_on",
                     "leads", "customers", "opportunities", "won", "new_customers")  # fmt: skip


def _name_column(values: Any, path: str) -> Any:
    """Names (None: none) as an object Series: a mutated cell that is not text is refused as
    the Rust runner refuses it."""
    import pandas as pd

    from crmkit._wire import error

    if not isinstance(values, list):
        raise error("invalid_type", path, "expected a list")
    for i, v in enumerate(values):
        if v is not None and not isinstance(v, str):
            raise error("invalid_type", f"{path}[{i}]", "expected a name")
    return pd.Series(values, dtype=object)


def _assign_frame(case: dict) -> Any:
    """The `assign_records_columns` vectors through `assign_records_frame` on a DataFrame of
    the key columns (`rows` rows): the result's columns back as lists of labels."""
    import pandas as pd

    from crmkit._wire import error

    inp = case["input"] if isinstance(case["input"], Mapping) else {}
    rows = inp.get("rows")
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
        raise error("invalid_type", "rows", "expected a number of rows")
    if rows > 2**31:  # beyond any index pandas makes here; the core's limit is far below
        raise error("limit_exceeded", "rows", f"{rows} rows")
    df = pd.DataFrame(index=pd.RangeIndex(rows))
    for name in ("region", "product_line", "level", "source"):
        if inp.get(name) is None:
            continue
        column = _name_column(inp[name], name)
        if len(column) != rows:  # a DataFrame's columns have one length: refused as the core refuses it
            raise error("invalid_value", name, f"{len(column)} rows where {rows} were expected")
        df[name] = column.to_numpy()
    out = crmkit.assign_records_frame(df, case["config"], load=inp.get("load"), cursors=inp.get("cursors"), seed=inp.get("seed", 0))

    def labels(column: Any) -> list:
        return [None if pd.isna(v) else v for v in column.astype(object)]

    return {
        "route": labels(out["route"]), "team": labels(out["team"]), "rep": labels(out["rep"]), "choice": labels(out["choice"]),
        "cursor": [int(v) for v in out["cursor"]], "held": out["held"].tolist(),
        "skipped_inactive": out["skipped_inactive"].tolist(), "skipped_full": out["skipped_full"].tolist(),
        "cursors": out.attrs["cursors"], "load": out.attrs["load"],
    }


def _claims_frame(case: dict) -> Any:
    """The `check_claims_columns` vectors through `check_claims_frame` on one DataFrame per
    table (instants read by pandas as UTC datetime64): the result's columns back as lists
    (instants as ms, none as None)."""
    import pandas as pd

    from crmkit._wire import error

    inp = case["input"] if isinstance(case["input"], Mapping) else {}
    kinds = {"pooled_at": "instant", "at": "instant", "owned": "count", "won": "count"}

    def frame(name: str, columns: list[str]) -> Any:
        table = inp.get(name)
        if table is None:
            return None
        if not isinstance(table, Mapping):
            raise error("invalid_type", name, "expected an object of columns")
        data = {}
        for c in columns:
            if table.get(c) is None:
                continue
            path, values = f"{name}.{c}", table[c]
            if kinds.get(c) == "instant":
                if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                    raise error("invalid_type", path, "expected a list of instants")
                try:
                    data[c] = pd.Series(pd.to_datetime(values, utc=True, format="ISO8601"))
                except (TypeError, ValueError, OverflowError) as e:
                    raise error("invalid_date", path, str(e)) from None
            elif kinds.get(c) == "count":
                if not isinstance(values, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
                    raise error("invalid_type", path, "expected a list of counts")
                try:
                    data[c] = pd.Series(values, dtype="int64")
                except OverflowError as e:
                    raise error("out_of_range", path, str(e)) from None
            else:
                data[c] = _name_column(values, path)
        n = {len(v) for v in data.values()}
        if len(n) > 1:  # a DataFrame's columns have one length: refused as the core refuses it
            first = len(next(iter(data.values())))
            raise error("invalid_value", f"{name}.{next(c for c, v in data.items() if len(v) != first)}", "columns of different lengths")
        return pd.DataFrame(data)  # the Series themselves: to_numpy() would drop the instants' zone

    pooled = frame("pooled", ["id", "pool", "pooled_at"]) if inp.get("pooled") is not None else pd.DataFrame()
    requests = frame("requests", ["user", "record"]) if inp.get("requests") is not None else pd.DataFrame()
    out = crmkit.check_claims_frame(
        requests, pooled, case["config"], case["as_of"],
        holdings=frame("holdings", ["user", "pool", "owned", "won"]),
        ledger=frame("ledger", ["at", "user", "record", "pool", "event"]),
    )

    def ms(column: Any) -> list:
        # The column's own ms (a Timestamp's `.value` is ns, which overflows past 2262).
        values = column.astype("datetime64[ms, UTC]").array.asi8
        return [None if pd.isna(t) else int(v) for t, v in zip(column, values)]

    def counts(column: Any) -> list:
        return [None if pd.isna(v) else int(v) for v in column]

    reasons = ["not_in_pool", "embargoed", "cooldown", "holdings_limit", "daily_limit"]
    return {
        "pool": [None if pd.isna(v) else v for v in out["pool"].astype(object)],
        "accepted": out["accepted"].tolist(),
        "reasons": [[r for r in reasons if out[r].iloc[k]] for k in range(len(out))],
        **{c: ms(out[c]) for c in ("embargo_since", "embargo_until", "cooldown_since", "cooldown_until")},
        "holdings_count": counts(out["holdings_count"]), "holdings_limit": counts(out["holdings_limit_value"]),
        "daily_count": counts(out["daily_count"]), "daily_limit": counts(out["daily_limit_value"]),
        "claimed_at": ms(out["claimed_at"]),
        "holdings": out.attrs["holdings"],
    }


def _commission_frame(case: dict) -> Any:
    """The columns vector through `commission_frame` on a DataFrame of them: per-row pay and
    line money back as Decimals, line codes as their labels (the vectors' shape)."""
    import pandas as pd

    from crmkit._wire import error

    inp = case["input"] if isinstance(case["input"], dict) else {}
    data = {"rep": inp.get("rep"), "on": inp.get("on"), "amount": inp.get("amount")}
    optional = ("refund", "product", "customer_type", "refers_to", "original_rate")
    for name in optional:
        if inp.get(name) is not None:
            data[name] = inp[name]
    for name, values in data.items():  # a DataFrame needs lists of one length (mutated cases)
        if not isinstance(values, list):
            raise error("invalid_type", name, "expected a list")
        if len(values) != len(data["rep"]):
            raise error("invalid_value", name, "columns of different lengths")
    frame, lines = crmkit.commission_frame(
        _data_frame(data), case["config"], case["as_of"], reps=inp.get("reps"),
        statements=True, **{name: name for name in optional if name in data},
    )
    scale, credit = frame.attrs["scale"], frame.attrs["credit_scale"]
    labels = frame.attrs["reason_labels"]

    def money(units: Any, places: int) -> decimal.Decimal:
        return decimal.Decimal(int(units)).scaleb(-places)

    rows = zip(*(lines[c].tolist() for c in ("statement", "rep", "step", "kind", "row", "tier", "from_units", "to_units",
                                               "base_units", "rate", "multiplier", "amount_units", "reasons")))
    return {
        "scale": scale,
        "credit_scale": credit,
        "reps": frame.attrs["reps"],
        "totals": frame.attrs["totals"],
        "provisional": [money(u, scale) for u in frame["provisional_units"]],
        "final": [money(u, scale) for u in frame["final_units"]],
        "lines": [
            {"statement": st, "rep": rep, "step": step, "kind": kind, "row": row, "tier": tier,
             "from": money(f, credit), "to": money(t, credit), "base": money(b, credit),
             "rate": rate if isinstance(rate, str) else None, "multiplier": mult, "amount": money(a, scale),
             "reasons": [r for k, r in enumerate(labels) if bits >> k & 1]}
            for st, rep, step, kind, row, tier, f, t, b, rate, mult, a, bits in rows
        ],
    }


def _batch_frames(case: dict, interest: bool) -> Any:
    """The batch columns vectors through `payment_interest_frame` / `collections_frame` on two
    DataFrames (batches, payments): money back as Decimals, codes as their labels."""
    from crmkit._wire import error

    inp = case["input"] if isinstance(case["input"], dict) else {}
    pays = inp.get("payments") if inp.get("payments") is not None else {"batch": [], "on": [], "amount": []}
    if not isinstance(pays, dict):
        raise error("invalid_type", "payments", "expected an object of columns")
    data = {"invoice_on": inp.get("invoice_on"), "due_on": inp.get("due_on"), "amount": inp.get("amount")}
    if inp.get("customer") is not None:
        data["customer"] = inp["customer"]
    paid = {"batch": pays.get("batch"), "on": pays.get("on"), "amount": pays.get("amount")}
    for prefix, columns, first in (("", data, "invoice_on"), ("payments.", paid, "batch")):
        for name, values in columns.items():  # a DataFrame needs lists of one length
            if not isinstance(values, list):
                raise error("invalid_type", prefix + name, "expected a list")
            if len(values) != len(columns[first]):
                raise error("invalid_value", prefix + name, "columns of different lengths")
    batches, payments = _data_frame(data), _data_frame(paid)
    if not paid["batch"]:
        payments = payments.astype({"batch": "int64"})
    scale_of = lambda frame: frame.attrs["scale"]  # noqa: E731

    def money(units: Any, places: int) -> decimal.Decimal:
        return decimal.Decimal(int(units)).scaleb(-places)

    if interest:
        frame, lines = crmkit.payment_interest_frame(batches, payments, case["config"], case["as_of"], lines=True)
        scale = scale_of(frame)
        out = {name: [money(u, scale) for u in frame[f"{name}_units"]]
               for name in ("collected", "outstanding", "bonus", "penalty", "accrued_penalty", "net")}
        out.update(scale=scale, currency=frame.attrs["currency"], day_count=frame.attrs["day_count"], totals=frame.attrs["totals"])
        rows = zip(*(lines[c].tolist() for c in ("batch", "payment", "kind", "days", "interest_days", "interest_units")))
        out["lines"] = [{"batch": b, "payment": p, "kind": k, "days": d, "interest_days": n, "interest": money(i, scale)}
                        for b, p, k, d, n, i in rows]
        return out
    frame = crmkit.collections_frame(batches, payments, case["config"], case["as_of"],
                                     customer="customer" if "customer" in data else None)
    scale, labels = scale_of(frame), frame.attrs["reason_labels"]
    return {
        "scale": scale,
        "collected": [money(u, scale) for u in frame["collected_units"]],
        "outstanding": [money(u, scale) for u in frame["outstanding_units"]],
        "days_past_due": frame["days_past_due"].tolist(),
        "bucket": frame["bucket"].tolist(),
        "level": [v if isinstance(v, str) else None for v in frame["level"].tolist()],
        "reasons": [[r for k, r in enumerate(labels) if bits >> k & 1] for bits in frame["reasons"].tolist()],
        **{key: frame.attrs[key] for key in ("aging", "customers", "dso")},
    }


def _cases():
    for path in VECTOR_FILES:
        spec = json.loads(path.read_text(encoding="utf-8"))
        for case in spec["cases"]:
            yield pytest.param(spec["function"], case, id=case["id"])


def plain(value: Any) -> Any:
    """The JSON value Rust's serializer writes for a crmkit output."""
    if isinstance(value, decimal.Decimal):
        # format "f", not str(): str(Decimal("0.00000000")) is "0E-8", Rust writes the digits.
        return format(value, "f")
    if isinstance(value, datetime.datetime):
        # Rust writes milliseconds only when they are not zero (instants are to the millisecond).
        return value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def subset_mismatch(expected: Any, actual: Any, at: str = "", tolerance: float = 0.0) -> str | None:
    """None when `expected` is a subset of `actual` (objects by key, arrays element-wise with
    equal lengths, scalars equal with the same JSON type, numbers within the case's
    ``tolerance`` when it gives one); else where they differ."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for k, v in expected.items():
            if k not in actual:
                if v is None:  # an expected null: the output leaves the key out (or gives null)
                    continue
                return f"{at}.{k}: missing in output"
            found = subset_mismatch(v, actual[k], f"{at}.{k}", tolerance)
            if found:
                return found
        return None
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for i, (e, a) in enumerate(zip(expected, actual)):
            found = subset_mismatch(e, a, f"{at}[{i}]", tolerance)
            if found:
                return found
        return None
    if tolerance > 0 and _number(expected) and _number(actual) and abs(expected - actual) <= tolerance:
        return None
    # serde_json's Value equality: 1 != true, 1 != 1.0
    if type(expected) is type(actual) and expected == actual:
        return None
    return f"{at}: expected {json.dumps(expected, ensure_ascii=False)}, got {json.dumps(actual, ensure_ascii=False)}"


def test_vector_files_found():
    assert VECTOR_FILES, f"no vectors under {REPO / 'tests' / 'vectors'}"


@pytest.mark.parametrize(("function", "case"), list(_cases()))
def test_vector(function: str, case: dict) -> None:
    call = FUNCTIONS.get(function)
    assert call is not None, f"vector names unknown function {function!r}"
    if "expected_error" in case:
        want = case["expected_error"]
        with pytest.raises(crmkit.CrmkitError) as caught:
            call(case)
        assert (caught.value.code, caught.value.path) == (want["code"], want["path"]), str(caught.value)
    else:
        found = subset_mismatch(case["expected"], plain(call(case)), tolerance=case.get("tolerance", 0.0))
        assert found is None, found


def test_plain_never_writes_exponents():
    assert str(decimal.Decimal("0.00000000")) == "0E-8"  # why plain() does not use str()
    assert plain(decimal.Decimal("0.00000000")) == "0.00000000"
    assert plain(decimal.Decimal("180000.00")) == "180000.00"
    assert plain(decimal.Decimal("0.36")) == "0.36"
    assert plain(decimal.Decimal("1.5")) == "1.5"
    assert plain(decimal.Decimal("0.0000001")) == "0.0000001"


def test_high_scale_zero_from_the_core_prints_in_full():
    policy = {
        "stages": [{"name": "open", "conversion": "0.5", "duration": "10"}, {"name": "won", "kind": "won"}],
        "duration_unit": "days",
        "placement": "remaining_full",
        "rounding": {"dp": 8},
    }
    report = crmkit.forecast(policy, [], "2026-11-23")
    zero = report["totals"]["open"]["weighted"]
    assert zero == 0 and zero.as_tuple().exponent == -8
    assert plain(zero) == "0.00000000"


def test_subset_mismatch_is_strict():
    assert subset_mismatch({"a": [1, {"b": "x"}]}, {"a": [1, {"b": "x", "c": 2}], "d": 3}) is None
    assert subset_mismatch({"a": [1]}, {"a": [1, 2]}) is not None
    assert subset_mismatch({"a": 1}, {"a": True}) is not None
    assert subset_mismatch({"a": 1}, {"a": 1.0}) is not None
    assert subset_mismatch({"a": 1}, {}) == ".a: missing in output"
    # an expected null pins an optional field left out (or null), nothing else
    assert subset_mismatch({"a": None}, {}) is None
    assert subset_mismatch({"a": None}, {"a": None}) is None
    assert subset_mismatch({"a": None}, {"a": 0}) is not None
