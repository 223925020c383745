"""Arrow input for the ``*_frame`` functions: any object with the Arrow PyCapsule interface
(``__arrow_c_stream__`` / ``__arrow_c_array__``): a pyarrow Table or RecordBatch, a polars
DataFrame, a pandas DataFrame with Arrow dtypes, a DuckDB result...

:class:`ArrowColumns` reads the columns a native entry point takes, without a Python object
per row: dictionary-encoded columns give their int32 codes and labels, integer and float
columns their buffers, decimal128 columns their 64-bit units (a view of the buffer when every
value fits, checked in one vectorised pass), dates their day numbers. Zero-copy where the
layout allows (one chunk, no nulls, the width the core reads); otherwise one vectorised copy.
pyarrow (``pip install "crmkit[arrow]"``) reads the capsule; the caller's library needs
nothing else. Error paths are the core's: ``amount[i]`` at the row's position.

A domain's ``*_frame`` function uses it as ``forecast_frame`` does::

    cols = ArrowColumns(data, ["stage", "amount", ...])  # the columns it will read
    codes, labels = cols.codes("stage")       # int32 codes (-1 for null) and str labels
    amount, scale = cols.amounts("amount", amount_scale)
    days = cols.days("entered_stage_on")      # int64 days since 1970-01-01, i64 min for null
    ...call the native function...
    return output(data, table)                # the caller's library: polars, pandas or Arrow
"""

from __future__ import annotations

from typing import Any, Mapping

from crmkit import _native

NO_DATE = -(2**63)  # numpy's NaT, as the native functions read a missing date


def error(code: str, path: str, message: str) -> _native.CrmkitError:
    err = _native.CrmkitError(f"{path}: {message}")
    err.code = code
    err.path = path
    return err


def is_arrow(data: Any) -> bool:
    """Whether ``data`` speaks the Arrow PyCapsule interface (pandas frames are asked
    separately: they all have the methods, but only Arrow-backed ones benefit)."""
    return hasattr(data, "__arrow_c_stream__") or hasattr(data, "__arrow_c_array__")


def pyarrow() -> Any:
    try:
        import pyarrow as pa
    except ImportError:
        raise error(
            "invalid_type", "", 'reading Arrow data needs pyarrow: pip install "crmkit[arrow]" (or pyarrow)'
        ) from None
    return pa


class ArrowColumns:
    """The columns of one Arrow table, read for a native entry point."""

    def __init__(self, data: Any, names: list[str]) -> None:
        """``names``: the columns the caller will read (others are not exported)."""
        import numpy as np

        self.pa = pa = pyarrow()
        self.np = np
        self.labels: dict[str, list[str]] = {}
        if type(data).__module__.split(".")[0] == "polars":
            data = self._polars(data, names)
        try:
            self.table = pa.table(data)  # zero-copy: wraps the exported buffers
        except (TypeError, ValueError, pa.ArrowException) as e:
            raise error("invalid_type", "", f"not Arrow tabular data: {e}") from None

    def _polars(self, df: Any, names: list[str]) -> Any:
        """The columns of a polars frame to export, categoricals as their codes: polars
        builds a string dictionary per exported categorical column (about 12 ms per million
        rows), while its codes and category list cost nothing."""
        import polars as pl

        select = []
        for name in dict.fromkeys(names):
            if name not in df.columns:
                continue  # column() reports it
            dtype = df.schema[name]
            if isinstance(dtype, (pl.Categorical, pl.Enum)):
                categories = dtype.categories
                labels = categories.to_series() if hasattr(categories, "to_series") else categories
                self.labels[name] = [str(v) for v in labels.to_list()]
                select.append(pl.col(name).to_physical())
            else:
                select.append(pl.col(name))
        return df.select(select)

    def __len__(self) -> int:
        return self.table.num_rows

    def column(self, name: str, field: str | None = None) -> Any:
        """One contiguous array (chunks concatenated once, when there are several)."""
        if name not in self.table.column_names:
            raise error("missing_field", str(name), f"the table has no column {name!r}")
        chunked = self.table.column(name)
        if chunked.num_chunks == 1:
            arr = chunked.chunk(0)
        else:
            arr = chunked.combine_chunks() if chunked.num_chunks else self.pa.array([], chunked.type)
        if self.pa.types.is_string_view(arr.type):
            arr = arr.cast(self.pa.large_string())  # polars exports string views
        return arr

    def codes(self, name: str) -> tuple[Any, list[str]]:
        """Category codes (int32, -1 for null) and the labels they index."""
        pa, np = self.pa, self.np
        arr = self.column(name)
        if name in self.labels:  # a polars categorical, as its codes
            indices, labels = arr, self.labels[name]
        else:
            if not pa.types.is_dictionary(arr.type):
                arr = arr.dictionary_encode()  # in Arrow's C++: no Python object per row
            indices, labels = arr.indices, [str(v) for v in arr.dictionary.to_pylist()]
        if indices.null_count:
            indices = indices.cast(pa.int64()).fill_null(-1)
        return np.ascontiguousarray(indices.to_numpy(zero_copy_only=False), dtype=np.int32), labels

    def amounts(self, name: str, scale: Any, field: str = "amount") -> tuple[Any, Any]:
        """int64 units with their scale, float64 values (the core rounds them to ``scale``),
        or decimal strings (exact, slower) for anything else; errors at ``field[i]``."""
        pa, np = self.pa, self.np
        arr = self.column(name)
        kind = arr.type
        if arr.null_count and (pa.types.is_integer(kind) or pa.types.is_decimal(kind)):
            i = int(np.flatnonzero(arr.is_null().to_numpy(zero_copy_only=False))[0])
            raise error("invalid_type", f"{field}[{i}]", f"missing {field}: a row without one cannot be computed")
        if pa.types.is_integer(kind):
            if pa.types.is_unsigned_integer(kind) and kind.bit_width == 64 and len(arr):
                too_big = np.flatnonzero(arr.to_numpy() >= 2**63)
                if len(too_big):
                    raise error("overflow", f"{field}[{int(too_big[0])}]", "arithmetic overflow")
            return np.ascontiguousarray(arr.to_numpy(zero_copy_only=False), dtype=np.int64), scale
        if pa.types.is_floating(kind):
            values = arr.to_numpy(zero_copy_only=False)  # nulls become NaN: invalid_decimal in the core
            return np.ascontiguousarray(values, dtype=np.float64), scale
        if pa.types.is_decimal128(kind):
            units = self._decimal_units(arr)
            if units is not None:
                return units, kind.scale
        if pa.types.is_decimal(kind) or pa.types.is_string(kind) or pa.types.is_large_string(kind):
            return [format(v, "f") if not isinstance(v, str) else v for v in arr.to_pylist()], scale
        raise error("invalid_decimal", f"{field}[0]" if len(arr) else field, f"an Arrow {kind} column is not money")

    def _decimal_units(self, arr: Any) -> Any:
        """The 128-bit units of a decimal128 column as int64, when all fit (a view of the
        buffer's low words); else None."""
        np = self.np
        words = np.frombuffer(arr.buffers()[1], dtype="<i8")[2 * arr.offset : 2 * (arr.offset + len(arr))]
        low, high = words[0::2], words[1::2]
        if not np.array_equal(high, low >> 63):  # the high word is only the low word's sign
            return None
        return np.ascontiguousarray(low)

    def days(self, name: str, field: str) -> Any:
        """Days since 1970-01-01 as int64; ``NO_DATE`` for null."""
        pa, np = self.pa, self.np
        arr = self.column(name)
        if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
            import pyarrow.compute as pc

            # YYYY-MM-DD only, as everywhere in crmkit.
            parsed = pc.strptime(arr, format="%Y-%m-%d", unit="s", error_is_null=True)
            bad = np.flatnonzero(pc.and_(parsed.is_null(), arr.is_valid()).to_numpy(zero_copy_only=False))
            if len(bad):
                raise error("invalid_date", f"{field}[{int(bad[0])}]", f"{arr[int(bad[0])].as_py()!r} is not a date")
            arr = parsed
        if pa.types.is_timestamp(arr.type):
            if arr.type.tz is not None:
                import pyarrow.compute as pc

                arr = pc.local_timestamp(arr)  # the wall-clock date where the deal happened
            arr = arr.cast(pa.timestamp(arr.type.unit))
            # Dates are days everywhere in crmkit: a time of day other than midnight is refused,
            # as in dicts and pandas columns (never truncated in one place and refused in another).
            per_day = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}[arr.type.unit]
            ticks = arr.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
            timed = np.flatnonzero(ticks % per_day)
            if len(timed):
                i = int(timed[0])
                raise error("invalid_date", f"{field}[{i}]", f"{arr[i].as_py()} has a time of day; pass dates")
            arr = arr.cast(pa.date32(), safe=False)
        elif pa.types.is_date64(arr.type):
            arr = arr.cast(pa.date32())
        if not pa.types.is_date32(arr.type):
            raise error("invalid_date", f"{field}[0]" if len(arr) else field, f"an Arrow {arr.type} column is not dates")
        missing = arr.is_null().to_numpy(zero_copy_only=False) if arr.null_count else None
        days = arr.cast(pa.int32())
        out = np.asarray((days.fill_null(0) if missing is not None else days).to_numpy(zero_copy_only=False), dtype=np.int64)
        if missing is not None:
            out[missing] = NO_DATE
        return np.ascontiguousarray(out)


def with_metadata(table: Any, values: Mapping[str, Any]) -> Any:
    """``table`` with each of ``values`` as JSON in its schema metadata under ``crmkit.<key>``
    (what ``attrs`` holds for a pandas result; ``Decimal`` and dates as text)."""
    import json

    return table.replace_schema_metadata({f"crmkit.{k}": json.dumps(v, default=str, ensure_ascii=False) for k, v in values.items()})


def output(data: Any, table: Any) -> Any:
    """``table`` (a pyarrow Table) in the caller's library: polars in, polars out; pandas in,
    pandas out (Arrow dtypes: decimal128 money); otherwise the Arrow table itself."""
    module = type(data).__module__.split(".")[0]
    if module == "polars":
        import polars as pl

        return pl.from_arrow(table)
    if module == "pandas":
        import pandas as pd

        return table.to_pandas(types_mapper=pd.ArrowDtype)
    return table
