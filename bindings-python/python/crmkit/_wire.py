"""Caller objects to the JSON text the native module reads."""

from __future__ import annotations

import datetime
import decimal
import json
import operator
from typing import Any


def _default(obj: Any) -> Any:
    if isinstance(obj, decimal.Decimal):
        # Not str(): it writes Decimal("1E+3") and Decimal("0.00000000") in exponent form,
        # which the core refuses (money is written out in full). "f" never uses an exponent;
        # NaN and Infinity stay words and are refused as invalid_decimal.
        return format(obj, "f")
    if isinstance(obj, datetime.date):
        # A datetime gets its time part too, and the core refuses it as invalid_date.
        return obj.isoformat()
    if hasattr(obj, "__index__"):
        # numpy integers, as found in rows taken from a DataFrame.
        return operator.index(obj)
    raise TypeError(f"crmkit cannot pass a {type(obj).__name__} ({obj!r}); use str, int, Decimal, date, dict or list")


def to_json(obj: Any) -> str:
    """JSON text of ``obj``: ``Decimal`` as its digits, ``date`` as ``YYYY-MM-DD``, the rest
    as ``json.dumps`` writes it (floats stay floats, so the core refuses float money)."""
    return json.dumps(obj, default=_default, ensure_ascii=False)


def as_of_text(as_of: datetime.date | str) -> str:
    """``as_of`` as the core reads it: a ``date``'s ISO form, or the caller's string."""
    return as_of.isoformat() if isinstance(as_of, datetime.date) else as_of
