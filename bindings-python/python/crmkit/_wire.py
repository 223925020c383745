"""The Python input rule, in one place: caller objects to the JSON text the native module reads.

Every public function passes its dict-like arguments through :func:`to_json` and its dates
through :func:`as_of_text`, so every domain accepts the same Python types and refuses the
rest with a ``CrmkitError`` that has a code and a path (never a ``TypeError``,
``RecursionError``, ``MemoryError``...):

* any ``Mapping`` (dict, ``MappingProxyType``...) with ``str`` keys; any sequence or iterable
  (list, tuple, generator...) except ``str`` / ``bytes``;
* ``str``, ``int``, ``bool``, ``None``, ``decimal.Decimal`` (written out in full, never in
  exponent form);
* ``datetime.date``; a naive ``datetime`` / ``pandas.Timestamp`` / ``numpy.datetime64`` at midnight
  (its date; with a time of day it is ``invalid_date``: dates are days everywhere in crmkit);
  an aware ``datetime`` as the instant it is (RFC 3339 with its offset), for the pool's times;
* numpy scalars (``np.int64``, ``np.float32``, ``np.bool_``...) as their Python value;
* ``float`` stays a float, which the core refuses for money and rates (``invalid_decimal``);
  NaN and infinities are ``invalid_type`` (a missing value is left out or ``None``).

The common case costs one ``json.dumps`` in C. Only when it fails is the value walked again
in Python, to find the path and the code of the first problem.

On the way out, :func:`share_attrs` is how every ``*_frame`` puts its report in pandas
``attrs`` (shared by derived frames, not deep-copied into each).
"""

from __future__ import annotations

import datetime
import decimal
import json
import math
import operator
from collections.abc import Iterable, Mapping
from typing import Any

from crmkit import _native

#: Levels of nesting accepted (serde_json's recursion limit, the same in every language).
MAX_NESTING = 128


def error(code: str, path: str, message: str) -> _native.CrmkitError:
    """A ``CrmkitError`` raised from Python, built as the native ones are."""
    err = _native.CrmkitError(f"{path}: {message}" if path else message)
    err.code = code
    err.path = path
    return err


class _Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _is_numpy(obj: Any) -> bool:
    return type(obj).__module__ == "numpy"


def date_text(obj: Any) -> str | None:
    """``YYYY-MM-DD`` of a date-like value, ``None`` when ``obj`` is not one. Raises
    ``_Refused`` for a missing date (NaT) or one with a time of day."""
    if isinstance(obj, datetime.datetime):
        if obj != obj:  # pandas.NaT is a datetime that is not equal to itself
            raise _Refused("invalid_type", "NaT is not a date; leave the field out or use None")
        if obj.utcoffset() is not None:
            # An aware datetime is an instant (the pool's `claimed_at`, `as_of`), midnight or
            # not: RFC 3339 with its offset; where the core wants a date it is `invalid_date`.
            return obj.isoformat()
        if (obj.hour, obj.minute, obj.second, obj.microsecond, getattr(obj, "nanosecond", 0)) != (0, 0, 0, 0, 0):
            raise _Refused("invalid_date", f"{obj.isoformat()} has a time of day; pass its date (.date())")
        return obj.date().isoformat()
    if isinstance(obj, datetime.date):
        return obj.isoformat()
    if _is_numpy(obj) and type(obj).__name__ == "datetime64":
        import numpy as np

        if np.isnat(obj):
            raise _Refused("invalid_type", "NaT is not a date; leave the field out or use None")
        day = obj.astype("datetime64[D]")
        if day != obj:
            raise _Refused("invalid_date", f"{obj} has a time of day; pass its date")
        return str(day)  # years beyond 9999 print as "+10000-...", which the core refuses
    return None


def _decimal_text(d: decimal.Decimal) -> str:
    # Not str(): it writes Decimal("1E+3") and Decimal("0.00000000") in exponent form, which
    # the core refuses (money is written out in full). "f" never uses an exponent, but would
    # build a string of a billion digits for Decimal("1E+999999999"): values no crmkit decimal
    # holds (beyond 28 digits either side) keep their short form, which the core refuses as
    # invalid_decimal.
    if not d.is_finite() or not -40 <= d.adjusted() <= 40 or d.as_tuple().exponent < -40:
        return str(d)
    return format(d, "f")


def _convert(obj: Any, memo: dict[int, Any]) -> Any:
    """The JSON-able value of a non-JSON type (``json.dumps``' ``default`` hook)."""
    if isinstance(obj, decimal.Decimal):
        return _decimal_text(obj)
    text = date_text(obj)
    if text is not None:
        return text
    if isinstance(obj, Mapping):
        return dict(obj)
    if _is_numpy(obj) and hasattr(obj, "item"):
        return obj.item()  # np.int64 -> int, np.float32 -> float, np.bool_ -> bool, np.str_ -> str
    if hasattr(obj, "__index__") and not isinstance(obj, (bytes, bytearray)):
        return operator.index(obj)
    if isinstance(obj, Iterable) and not isinstance(obj, (str, bytes, bytearray, memoryview)):
        # A generator can be read once: keep what it gave, for the diagnosis walk.
        items = memo[id(obj)] = (obj, list(obj))
        return items[1]
    raise _Refused(
        "invalid_type", f"crmkit cannot read a {type(obj).__name__}; use str, int, Decimal, date, dict or list"
    )


def to_json(obj: Any, name: str = "value", root: str = "") -> str:
    """JSON text of the argument ``name``, whose fields the core reports under ``root`` (``""``
    for a policy: ``stages[1].conversion``; ``"deals"``: ``deals[3].amount``).

    Raises ``CrmkitError`` with the path of the first value crmkit cannot read."""
    if obj is None:
        raise error("invalid_type", root or name, f"`{name}` is None; pass a dict or a list")
    memo: dict[int, Any] = {}
    try:
        return json.dumps(obj, default=lambda o: _convert(o, memo), allow_nan=False, ensure_ascii=True)
    except (_Refused, ValueError, TypeError, RecursionError, OverflowError, MemoryError):
        pass
    try:
        _diagnose(obj, root, 0, set(), memo, root)
    except _native.CrmkitError as e:
        if e.path:
            raise
        # The value as a whole (a policy crmkit cannot read): named, as the core names it.
        raise error(e.code, name, str(e)) from None
    # json.dumps failed where the walk finds nothing wrong (it should not happen): still a
    # CrmkitError, never the internal exception.
    raise error("invalid_type", root or name, f"`{name}` cannot be read as crmkit input")


def _join(path: str, key: Any, index: bool) -> str:
    if index:
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _diagnose(obj: Any, path: str, depth: int, stack: set[int], memo: dict[int, Any], root: str) -> None:
    """Walks ``obj`` as ``to_json`` writes it and raises ``CrmkitError`` at the first value
    that ``json.dumps`` could not write."""
    if obj is None or isinstance(obj, (str, bool, int)):
        return
    if isinstance(obj, float):
        if not math.isfinite(obj):
            raise error("invalid_type", path, f"{obj} is not a value; leave the field out (or None) when it is missing")
        return
    if id(obj) in memo:
        obj = memo[id(obj)][1]
    elif not isinstance(obj, (dict, list, tuple)):
        try:
            converted = _convert(obj, memo)
        except _Refused as refused:
            raise error(refused.code, path, refused.message) from None
        if id(obj) in memo:
            converted = memo[id(obj)][1]
        if converted is obj:
            return
        _diagnose(converted, path, depth, stack, memo, root)
        return
    if depth >= MAX_NESTING:
        # At the argument's root, as the core reports it (it counts brackets, not fields).
        raise error("limit_exceeded", root, f"nested deeper than {MAX_NESTING} levels")
    if id(obj) in stack:
        raise error("invalid_value", path, "the value contains itself (a circular reference)")
    stack.add(id(obj))
    if isinstance(obj, dict):
        for key, value in obj.items():
            if not isinstance(key, str):
                raise error("invalid_type", _join(path, repr(key), False), f"keys must be strings, not {type(key).__name__}")
            _diagnose(value, _join(path, key, False), depth + 1, stack, memo, root)
    else:
        for i, value in enumerate(obj):
            _diagnose(value, _join(path, i, True), depth + 1, stack, memo, root)
    stack.discard(id(obj))


def count(value: Any, name: str, limit: int = 2**32 - 1) -> int:
    """A whole count argument (``limit=10``): an int (numpy's too) from 0 to ``limit``; a bool,
    a float, ``None`` or text is ``invalid_type`` at ``name``, beyond the range ``out_of_range``."""
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise error("invalid_type", name, f"expected a whole number, got {type(value).__name__}")
    if not 0 <= int(value) <= limit:
        raise error("out_of_range", name, f"{value} is outside 0..{limit}")
    return int(value)


def unicode_labels(labels: list[str], path: str) -> list[str]:
    """``labels`` as they are, or ``invalid_value`` at ``path`` for the first one that is not
    Unicode text (a lone surrogate, which Python strings can hold and Rust strings cannot).
    ASCII labels, the common case, are not encoded."""
    for j, label in enumerate(labels):
        if not label.isascii():
            try:
                label.encode("utf-8")
            except UnicodeEncodeError:
                raise error("invalid_value", path, f"label {j} is not Unicode text (a lone surrogate)") from None
    return labels


def as_of_text(as_of: Any, name: str = "as_of") -> str:
    """``as_of`` (or another date argument) as the core reads it: a ``YYYY-MM-DD`` string
    as given (the core checks it), or the ISO date of a date-like value."""
    if isinstance(as_of, str):
        if not as_of.isascii():  # a date is ASCII; this also keeps lone surrogates out of Rust
            raise error("invalid_date", name, f"{as_of[:40]!r} is not a YYYY-MM-DD date")
        return as_of
    try:
        text = date_text(as_of)
    except _Refused as refused:
        raise error(refused.code, name, refused.message) from None
    if text is None:
        raise error("invalid_type", name, f"expected a date or a YYYY-MM-DD string, got {type(as_of).__name__}")
    return text


# --- What a frame's ``attrs`` hold -------------------------------------------------------------
#
# pandas (2.1 and later) deep-copies ``attrs`` into every object derived from a frame
# (``out["col"]``, ``out.head()``, a slice, a ``concat`` of equal attrs): with 100,000 lines
# in a list that was 0.8 s per column access (pandas 3.1). Every ``*_frame`` function puts
# its report values in ``attrs`` through :func:`share_attrs`, so derived frames hold the same
# objects instead of copies. Shared objects must not change under a frame that holds them:
# the containers refuse changes (``TypeError``; copy them first: ``list(v)``, ``dict(v)``,
# ``np.array(v)``) and the lines inside are the report's own: copy before changing them.


def _refuse(self: Any, *args: Any, **kwargs: Any) -> Any:
    raise TypeError(
        f"this {type(self).__name__} is in a frame's attrs, shared by the frames derived from it "
        "(pandas deep-copies attrs into each); copy it before changing it (list(v), dict(v))"
    )


class SharedList(list):  # type: ignore[type-arg]
    """A read-only ``list`` that ``copy.deepcopy`` returns as it is (see :func:`share_attrs`).
    It compares, iterates, indexes and serialises (``json``, ``pickle``) as a list."""

    __slots__ = ()
    append = extend = insert = pop = remove = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse

    def __deepcopy__(self, memo: Any) -> SharedList:
        return self

    def __reduce__(self) -> Any:
        # pickle's default for a list subclass appends after creating it, which is refused.
        return (SharedList, (list(self),))


class SharedDict(dict):  # type: ignore[type-arg]
    """A read-only ``dict`` that ``copy.deepcopy`` returns as it is (see :func:`share_attrs`)."""

    __slots__ = ()
    pop = popitem = setdefault = update = clear = _refuse
    __setitem__ = __delitem__ = __ior__ = _refuse

    def __deepcopy__(self, memo: Any) -> SharedDict:
        return self

    def __reduce__(self) -> Any:
        return (SharedDict, (dict(self),))


def shared(value: Any) -> Any:
    """``value`` as derived frames share it: a ``list`` as a :class:`SharedList`, a ``dict`` as
    a :class:`SharedDict` (each a shallow copy: the caller's own object is not frozen), a numpy
    array as a read-only ``SharedArray`` view; anything else (numbers, text, ``Decimal``, a
    DataFrame) as it is."""
    if isinstance(value, (SharedList, SharedDict)) or (_SHARED_ARRAY is not None and isinstance(value, _SHARED_ARRAY)):
        return value
    if isinstance(value, list):
        return SharedList(value)
    if isinstance(value, dict):
        return SharedDict(value)
    if _is_numpy(value):
        import numpy as np

        if isinstance(value, np.ndarray):
            return _shared_array(value)
    return value


def share_attrs(attrs: dict, values: Mapping[str, Any]) -> None:
    """Sets ``attrs[key]`` to :func:`shared` ``(value)`` for each of ``values``."""
    for key, value in values.items():
        attrs[key] = shared(value)


def _shared_array(array: Any) -> Any:
    """A read-only ``SharedArray`` view of ``array`` (no copy: the array must be one nobody
    else writes, as the native module's fresh outputs are)."""
    out = array.view(_shared_array_class())
    out.flags.writeable = False
    return out


_SHARED_ARRAY: Any = None


def _shared_array_class() -> Any:
    """The ``SharedArray`` class, built on first use: numpy is an optional dependency, and
    ``crmkit._wire.SharedArray`` (a module ``__getattr__``) finds it when unpickling."""
    global _SHARED_ARRAY
    if _SHARED_ARRAY is not None:
        return _SHARED_ARRAY
    import numpy as np

    class SharedArray(np.ndarray):  # type: ignore[type-arg]
        """A read-only array that ``copy.deepcopy`` returns as it is (see
        :func:`share_attrs`). Results computed from it (``credits / 100``) are plain arrays;
        it pickles as a ``SharedArray`` again (read-only)."""

        def __deepcopy__(self, memo: Any) -> Any:
            return self

        def __reduce__(self) -> Any:
            return (_shared_array, (np.asarray(self),))

        def __array_wrap__(self, array: Any, context: Any = None, return_scalar: bool = False) -> Any:
            out = np.asarray(array)
            return out[()] if return_scalar else out

    SharedArray.__module__, SharedArray.__qualname__ = __name__, "SharedArray"
    _SHARED_ARRAY = SharedArray
    return SharedArray


def __getattr__(name: str) -> Any:
    if name == "SharedArray":
        return _shared_array_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
