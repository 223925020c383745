"""``payment_interest_frame`` and ``collections_frame``: invoice / shipment batches and their
payments as two frames (pandas, or Arrow data: polars, pyarrow), read as columns without a
Python object per row; each batch's figures come back as numpy arrays built in Rust, as
columns on the batches' index."""

from __future__ import annotations

import datetime
from typing import Any, Mapping

from crmkit import _native
from crmkit._frame import _amounts, _arrow_input, _codes, _column, _days, _int_arg, _pandas
from crmkit._types import document
from crmkit._wire import as_of_text, error, share_attrs, to_json

__all__ = ["collections_frame", "payment_interest_frame"]

_MONEY = ("collected", "outstanding", "bonus", "penalty", "accrued_penalty", "net")


@document("InterestPolicy")
def payment_interest_frame(
    batches: Any,
    payments: Any,
    policy: Mapping[str, Any],
    as_of: datetime.date | str,
    *,
    id: str | None = None,  # noqa: A002
    invoice_on: str = "invoice_on",
    due_on: str = "due_on",
    amount: str = "amount",
    payment_batch: str = "batch",
    payment_on: str = "on",
    payment_amount: str = "amount",
    amount_scale: int | None = None,
    lines: bool = False,
) -> Any:
    """``payment_interest`` over two frames: ``batches`` (one invoice / shipment batch per row:
    ``invoice_on``, ``due_on``, ``amount``) and ``payments`` (one payment per row: the batch it
    pays, ``on``, ``amount``; ``None`` for none). The payment's batch is the batch's row
    position, or with ``id`` the value of the batches' ``id`` column. Dates and amounts as
    ``commission_frame`` reads them (``amount_scale`` declares integer minor units for both
    amount columns).

    Returns a frame on the batches' index with ``collected_units``, ``outstanding_units``,
    ``bonus_units``, ``penalty_units``, ``accrued_penalty_units`` and ``net_units`` (int64, units
    of 10^-``attrs["scale"]``), ``attrs["totals"]`` (Decimal), ``attrs["day_count"]``; with
    ``lines=True`` also a frame of the interest lines (``batch`` and ``payment`` rows, -1 for an
    unpaid remainder; ``kind``, ``days``, ``interest_days``, ``interest_units``). The same
    figures as ``payment_interest`` on the same batches. Raises ``CrmkitError`` at the column
    and row (``amount[3]``, ``payments.on[7]``, ``payments.batch[2]``).

    >>> import crmkit, pandas as pd
    >>> batches = pd.DataFrame({"invoice_on": pd.to_datetime(["2026-01-01"]), "due_on": pd.to_datetime(["2026-01-31"]),
    ...                         "amount": [100000]})
    >>> payments = pd.DataFrame({"batch": [0], "on": pd.to_datetime(["2026-03-17"]), "amount": [100000]})
    >>> out = crmkit.payment_interest_frame(batches, payments, {"late_rate": "0.18", "day_count": "actual_365"}, "2026-03-31")
    >>> out["penalty_units"].tolist(), out.attrs["totals"]["penalty"]
    ([221918], Decimal('2219.18'))
    """
    policy_json = to_json(policy, "policy")
    read = _read(batches, payments, None, id, invoice_on, due_on, amount, payment_batch, payment_on, payment_amount, amount_scale)
    out = _native.payment_interest_columns(policy_json, read.columns, as_of_text(as_of))
    columns = {f"{name}_units": out[name] for name in _MONEY}
    attrs = {"scale": out["scale"], "currency": out["currency"], "day_count": out["day_count"], "totals": out["totals"]}
    frame = read.frame(columns, attrs)
    if not lines:
        return frame
    l = out["lines"]
    kinds = read.categorical(l["kind"], out["kind_labels"])
    columns = {"batch": l["batch"], "payment": l["payment"], "kind": kinds, "days": l["days"],
               "interest_days": l["interest_days"], "interest_units": l["interest"]}
    return frame, read.frame(columns, attrs, index=False)


@document("CollectionsPolicy")
def collections_frame(
    batches: Any,
    payments: Any,
    policy: Mapping[str, Any],
    as_of: datetime.date | str,
    *,
    id: str | None = None,  # noqa: A002
    customer: str | None = "customer",
    invoice_on: str = "invoice_on",
    due_on: str = "due_on",
    amount: str = "amount",
    payment_batch: str = "batch",
    payment_on: str = "on",
    payment_amount: str = "amount",
    amount_scale: int | None = None,
) -> Any:
    """``collections`` over the two frames ``payment_interest_frame`` takes, with a
    ``customer`` column (``None``: no customers). Returns a frame on the batches' index with
    ``collected_units``, ``outstanding_units`` (int64, units of 10^-``attrs["scale"]``),
    ``days_past_due``, ``bucket`` and ``level`` (categoricals; no level: missing) and
    ``reasons`` (a bit mask over ``attrs["reason_labels"]``); ``attrs["aging"]``,
    ``attrs["customers"]`` (with the credit grades) and ``attrs["dso"]`` as ``collections``
    gives them. Raises ``CrmkitError`` at the column and row.

    >>> import crmkit, pandas as pd
    >>> batches = pd.DataFrame({"customer": ["acme"], "invoice_on": pd.to_datetime(["2026-01-01"]),
    ...                         "due_on": pd.to_datetime(["2026-01-31"]), "amount": [1000]})
    >>> out = crmkit.collections_frame(batches, None, {}, "2026-03-31")
    >>> out["days_past_due"].tolist(), out["bucket"].tolist(), out.attrs["customers"][0]["grade"]
    ([59], ['31-60'], 'D')
    """
    policy_json = to_json(policy, "policy")
    read = _read(batches, payments, customer, id, invoice_on, due_on, amount, payment_batch, payment_on, payment_amount, amount_scale)
    out = _native.collections_columns(policy_json, read.columns, as_of_text(as_of))
    columns = {
        "collected_units": out["collected"],
        "outstanding_units": out["outstanding"],
        "days_past_due": out["days_past_due"],
        "bucket": read.categorical(out["bucket"].astype("int32"), out["bucket_labels"]),
        "level": read.categorical(out["level"], out["level_labels"]),
        "reasons": out["reasons"],
    }
    attrs = {key: out[key] for key in ("scale", "aging", "customers", "dso", "reason_labels")}
    return read.frame(columns, attrs)


# The batch and payment columns, in the order `_read` lists them.
_COLUMNS = ("customer", "customer_labels", "invoice_on", "due_on", "amount", "amount_scale",
            "payment_batch", "payment_on", "payment_amount", "payment_scale")


class _Read:
    """The columns read from either library, and how to answer in it."""

    def __init__(self, batches: Any, arrow: bool, args: tuple, index: Any) -> None:
        self.batches, self.arrow, self.index = batches, arrow, index
        self.columns = dict(zip(_COLUMNS, args))  # as _native's *_columns read them

    def categorical(self, codes: Any, labels: list[str]) -> Any:
        if self.arrow:
            from crmkit._arrow import pyarrow

            pa = pyarrow()
            # Missing codes as null indices: from_arrays' `mask` refuses Arrow indices.
            return pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32(), mask=codes < 0), pa.array(labels, pa.string()))
        _, pd = _pandas("collections_frame")
        return pd.Categorical.from_codes(codes, categories=labels)

    def frame(self, columns: dict, attrs: dict, index: bool = True) -> Any:
        if self.arrow:
            from crmkit._arrow import output, pyarrow, with_metadata

            return output(self.batches, with_metadata(pyarrow().table(columns), attrs))
        _, pd = _pandas("payment_interest_frame")
        out = pd.DataFrame(columns, index=self.index if index else None, copy=False)
        share_attrs(out.attrs, attrs)
        return out


def _read(batches: Any, payments: Any, customer: str | None, id: str | None, invoice_on: str, due_on: str, amount: str,  # noqa: A002
          payment_batch: str, payment_on: str, payment_amount: str, amount_scale: Any) -> _Read:
    amount_scale = _int_arg(amount_scale, "amount_scale", 0, 28)
    if _arrow_input(batches):
        return _read_arrow(batches, payments, customer, id, invoice_on, due_on, amount, payment_batch, payment_on, payment_amount, amount_scale)
    np, pd = _pandas("payment_interest_frame")
    if not isinstance(batches, pd.DataFrame):
        raise error("invalid_type", "batches", f"expected a pandas DataFrame or Arrow data, got {type(batches).__name__}")
    if payments is not None and not isinstance(payments, pd.DataFrame):
        raise error("invalid_type", "payments", f"expected a pandas DataFrame or None, got {type(payments).__name__}")
    codes, labels = (None, [])
    if customer is not None:
        try:
            codes, labels = _codes(_column(batches, customer), np, pd)
        except TypeError as e:
            raise error("invalid_type", "customer", f"customer cells must be names: {e}") from None
    inv = _days(_column(batches, invoice_on), "invoice_on", np, pd)
    due = _days(_column(batches, due_on), "due_on", np, pd)
    amounts = _amounts(_column(batches, amount), np, pd, amount_scale)
    if payments is None:
        rows, pay_on, paid = np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64)
    else:
        pay_on = _days(_column(payments, payment_on), "payments.on", np, pd)
        paid = _amounts(_column(payments, payment_amount), np, pd, amount_scale, "payments.amount")
        rows = _rows(_column(payments, payment_batch), None if id is None else _column(batches, id), np, pd)
    args = (codes, labels, inv, due, amounts, amount_scale, rows, pay_on, paid, amount_scale)
    return _Read(batches, False, args, batches.index)


def _rows(batch: Any, ids: Any, np: Any, pd: Any) -> Any:
    """Each payment's batch row: by the batches' ids (-1 for none: the core refuses it), or
    the row positions themselves."""
    if ids is not None:
        index = pd.Index(ids)
        if not index.is_unique:
            i = int(np.flatnonzero(index.duplicated())[0])
            raise error("duplicate_name", f"id[{i}]", f"batch id {index[i]!r} appears twice")
        return np.ascontiguousarray(index.get_indexer(batch), dtype=np.int64)
    if not pd.api.types.is_integer_dtype(batch.dtype) or batch.isna().any():
        raise error("invalid_type", "payments.batch", f"expected batch row positions (integers), got {batch.dtype}; or pass id=")
    return np.ascontiguousarray(batch.to_numpy(dtype=np.int64))


def _read_arrow(batches: Any, payments: Any, customer: str | None, id: str | None, invoice_on: str, due_on: str, amount: str,  # noqa: A002
                payment_batch: str, payment_on: str, payment_amount: str, amount_scale: Any) -> _Read:
    from crmkit._arrow import ArrowColumns

    names = [invoice_on, due_on, amount, *([customer] if customer is not None else []), *([id] if id is not None else [])]
    cols = ArrowColumns(batches, names)
    np = cols.np
    codes, labels = cols.codes(customer) if customer is not None else (None, [])
    inv, due = cols.days(invoice_on, "invoice_on"), cols.days(due_on, "due_on")
    amounts, scale = cols.amounts(amount, amount_scale)
    if payments is None:
        rows, pay_on, paid, paid_scale = np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64), scale
    else:
        pcols = ArrowColumns(payments, [payment_batch, payment_on, payment_amount])
        pay_on = pcols.days(payment_on, "payments.on")
        paid, paid_scale = pcols.amounts(payment_amount, amount_scale, "payments.amount")
        batch = pcols.column(payment_batch)
        if id is not None:
            import pyarrow.compute as pc

            ids = cols.column(id)
            counts = pc.value_counts(ids)
            if len(counts) != len(ids):
                seen: set = set()
                for i, v in enumerate(ids.to_pylist()):
                    if v in seen:
                        raise error("duplicate_name", f"id[{i}]", f"batch id {v!r} appears twice")
                    seen.add(v)
            rows = np.ascontiguousarray(pc.index_in(batch, value_set=ids).fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
        else:
            if not cols.pa.types.is_integer(batch.type) or batch.null_count:
                raise error("invalid_type", "payments.batch", f"expected batch row positions (integers), got {batch.type}; or pass id=")
            rows = np.ascontiguousarray(batch.to_numpy(zero_copy_only=False), dtype=np.int64)
    args = (codes, labels, inv, due, amounts, scale, rows, pay_on, paid, paid_scale)
    return _Read(batches, True, args, None)
