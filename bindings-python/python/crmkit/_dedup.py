"""Duplicate matching (查重): normalisers and comparators over plain values."""

from __future__ import annotations

import contextlib
import gc
from typing import Any, Iterator, Mapping, Sequence

from crmkit import _native
from crmkit._types import document
from crmkit._wire import count, error, share_attrs, to_json


__all__ = [
    "DedupIndex",
    "blocking_keys",
    "blocking_keys_frame",
    "cluster_pairs",
    "cluster_pairs_frame",
    "compare",
    "dedup_frame",
    "estimate_model",
    "find_duplicates",
    "link_records",
    "match_records",
    "normalize_company",
    "normalize_credit_code",
    "normalize_domain",
    "normalize_email",
    "normalize_person_name",
    "normalize_phone",
    "score_block",
    "score_block_frame",
]


@document("CompanyName")
def normalize_company(name: str) -> dict:
    """A company name in parts: ``region`` (leading or in brackets), ``brand`` (字号),
    ``industry``, ``legal_form`` and its ``form_class``, ``group``, ``branch``, ``pinyin``,
    after NFKC, traditional → simplified and case folding. Raises ``CrmkitError``
    (``missing_value`` at ``name`` when blank).

    >>> import crmkit
    >>> n = crmkit.normalize_company("北京字节跳动科技有限公司上海分公司")
    >>> (n["region"], n["brand"], n["industry"], n["legal_form"], n["branch"])
    (['北京'], '字节跳动', '科技', '有限公司', '上海分公司')
    """
    return _native.normalize_company(to_json(name, "name", "name"))


@document("Phone")
def normalize_phone(phone: str, default_country: str = "86") -> dict:
    """A phone number in E.164 (``e164``, ``kind``, ``country_code``, ``area_code``,
    ``extension``); ``default_country`` is the calling code of numbers written without one.
    Raises ``CrmkitError`` (``invalid_value`` at ``phone`` when it cannot be read).

    >>> import crmkit
    >>> crmkit.normalize_phone("(0755) 8676-5432 转 8001")["e164"]
    '+8675586765432'
    """
    return _native.normalize_phone(to_json(phone, "phone", "phone"), to_json(default_country, "default_country", "default_country"))


@document("Email")
def normalize_email(email: str) -> dict:
    """An e-mail address: ``email``, ``canonical`` (provider rules), ``local``, ``domain``,
    ``free_mail``, ``role``. Raises ``CrmkitError``."""
    return _native.normalize_email(to_json(email, "email", "email"))


@document("Domain")
def normalize_domain(domain: str) -> dict:
    """The ``host`` and registrable ``domain`` of a URL, e-mail address or host, and whether
    it is ``free_mail``. Raises ``CrmkitError``."""
    return _native.normalize_domain(to_json(domain, "domain", "domain"))


@document("PersonName")
def normalize_person_name(name: str) -> dict:
    """A person's name: ``normalized``, ``pinyin`` (Chinese) and an order-free ``key`` shared
    by 张伟, Zhang Wei and Wei Zhang. Raises ``CrmkitError``."""
    return _native.normalize_person_name(to_json(name, "name", "name"))


@document("CreditCode")
def normalize_credit_code(code: str) -> dict:
    """A unified social credit code checked by its check character, split into its fields.
    Raises ``CrmkitError`` (``invalid_value`` at ``credit_code``)."""
    return _native.normalize_credit_code(to_json(code, "code", "code"))


@document("Comparator")
def compare(comparator: Mapping[str, Any], a: str, b: str) -> dict:
    """Compares two values: ``similarity`` in [0, 1], the normalised ``left`` and ``right``,
    ``reasons``, and for ``{"type": "company_name"}`` a ``verdict`` (DUPLICATE / RELATED /
    DISTINCT) and both names' ``parts``. Raises ``CrmkitError``.

    >>> import crmkit
    >>> c = crmkit.compare({"type": "company_name"}, "北京字节跳动科技有限公司", "字节跳动（北京）科技有限公司")
    >>> c["verdict"], c["reasons"]
    ('DUPLICATE', ['brand_same', 'region_same'])
    """
    return _native.compare(to_json(comparator), to_json(a, "a", "a"), to_json(b, "b", "b"))


@document("MatchPolicy", "DedupRecord")
def match_records(policy: Mapping[str, Any], a: Mapping[str, Any], b: Mapping[str, Any]) -> dict:
    """Compares two records (``{"id", "owner"?, "fields": {name: value}}``) under a policy:
    ``verdict``, ``score``, the ``rule`` that decided or the Fellegi-Sunter ``match_weight``
    and ``band``, and one explained line per field. Raises ``CrmkitError``."""
    return _native.match_records(to_json(policy), to_json(a, "a", "a"), to_json(b, "b", "b"))


@document("MatchPolicy", "DedupRecord")
def estimate_model(
    policy: Mapping[str, Any], records: Sequence[Mapping[str, Any]], settings: Mapping[str, Any] | None = None
) -> dict:
    """Fellegi-Sunter m, u and prior by EM from unlabelled records; ``report["model"]`` goes
    back into the policy's ``fellegi_sunter``. ``settings``: ``max_iterations``,
    ``random_pairs``, ``seed`` (an integer or its decimal text, as every seed). Raises
    ``CrmkitError``."""
    return _native.estimate_model(to_json(policy), to_json(settings or {}), to_json(records, "records", "records"))


@document("MatchPolicy", "DedupRecord")
def find_duplicates(
    policy: Mapping[str, Any], records: Sequence[Mapping[str, Any]], settings: Mapping[str, Any] | None = None
) -> dict:
    """De-duplicates a table of records: ``clusters`` (members, survivor, merged values,
    owners), explained ``pairs``, ``refused`` merges, ``issues``, ``stats``. Raises ``CrmkitError``.

    >>> import crmkit
    >>> policy = {"fields": [{"field": "company", "comparator": {"type": "company_name"}}],
    ...           "rules": {"duplicate": [{"name": "same", "all": [{"field": "company", "verdict": "DUPLICATE"}]}]}}
    >>> records = [{"id": "1", "fields": {"company": "北京字节跳动科技有限公司"}},
    ...            {"id": "2", "fields": {"company": "字节跳动（北京）科技有限公司"}}]
    >>> crmkit.find_duplicates(policy, records)["clusters"][0]["members"]
    ['1', '2']
    """
    return _native.find_duplicates(to_json(policy), to_json(settings or {}), to_json(records, "records", "records"))


@document("MatchPolicy", "DedupRecord")
def link_records(
    policy: Mapping[str, Any], left: Sequence[Mapping[str, Any]], right: Sequence[Mapping[str, Any]], limit: int = 10
) -> dict:
    """For each record of ``right``, its DUPLICATE and RELATED records in ``left`` with their
    owners. Raises ``CrmkitError``."""
    return _native.link_records(to_json(policy), to_json(left, "left", "left"), to_json(right, "right", "right"), count(limit, "limit"))


def _text_error(path: str, message: str) -> Any:
    from crmkit._wire import error

    return error("invalid_type", path, message)


def _arrow_text(pa: Any, np: Any, arr: Any, path: str) -> tuple:
    """A column as the native module reads text without a Python object per row: the
    offsets (int64) and UTF-8 bytes of an Arrow large_string array, and its validity (bool,
    ``None`` when no value is missing). Integers become their decimal text (in Arrow's C++);
    a float column with a value is refused: a phone or an id as a float is already wrong."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks else pa.array([], arr.type)
    kind = arr.type
    if pa.types.is_dictionary(kind):
        arr = arr.dictionary_decode()
        kind = arr.type
    n = len(arr)
    if pa.types.is_null(kind) or (pa.types.is_floating(kind) and arr.null_count == n):
        return np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.uint8), np.zeros(n, dtype=bool)
    if pa.types.is_floating(kind):
        i = int(np.flatnonzero(arr.is_valid().to_numpy(zero_copy_only=False))[0])
        raise _text_error(f"{path}[{i}]", f"{arr[i].as_py()!r} is a float; pass text (a phone or an id as a string or an integer)")
    if pa.types.is_integer(kind) or pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        arr = arr.cast(pa.large_string())
    else:
        raise _text_error(path, f"an Arrow {kind} column is not text")
    valid = arr.is_valid().to_numpy(zero_copy_only=False) if arr.null_count else None
    buffers = arr.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64)[arr.offset : arr.offset + n + 1]
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else np.zeros(0, dtype=np.uint8)
    return offsets, data, valid


def _pandas_text(series: Any, path: str, pa: Any, np: Any) -> Any:
    """A pandas column for the native module: Arrow buffers when pyarrow is installed (one
    pass in C++, zero-copy for Arrow-backed strings); otherwise its numpy array (int64 as
    numbers, objects read one by one in Rust; never a Python list)."""
    if pa is not None:
        try:
            arr = pa.array(series, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            arr = None  # mixed objects (str and int): the native module reads each one
        if arr is not None:
            return _arrow_text(pa, np, arr, path)
    values = series.to_numpy()
    if values.dtype.kind in "iu":
        return np.ascontiguousarray(values, dtype=np.int64)
    if values.dtype.kind == "f":
        filled = np.flatnonzero(~np.isnan(values))
        if len(filled):
            i = int(filled[0])
            raise _text_error(f"{path}[{i}]", f"{values[i]!r} is a float; pass text (a phone or an id as a string or an integer)")
        return np.full(len(values), None, dtype=object)
    return np.asarray(values, dtype=object)


def _numpy(function: str) -> Any:
    """numpy, or an ImportError that says how to install it."""
    try:
        import numpy as np
    except ImportError as e:
        raise ImportError(
            f"{function} needs numpy ({e.name} is not installed): pip install 'crmkit[pandas]', "
            "or 'crmkit[arrow]' for Arrow data"
        ) from e
    return np


def _read_frame(df: Any, policy: Mapping[str, Any], id: str, owner: str | None, function: str = "dedup_frame") -> tuple:  # noqa: A002
    """``(ids, owners, columns, pa)``: a table's id, owner and policy-field columns as the
    native module reads them (see :func:`dedup_frame`), and pyarrow (or ``None``)."""
    np = _numpy(function)

    fields = policy.get("fields") if isinstance(policy, Mapping) else None
    names = [f.get("field") for f in fields if isinstance(f, Mapping)] if isinstance(fields, (list, tuple)) else []
    names = [n for n in dict.fromkeys(names) if isinstance(n, str)]
    if type(df).__module__.split(".")[0] == "pandas":
        import pandas as pd

        try:
            import pyarrow as pa
        except ImportError:
            pa = None
        if not isinstance(df, pd.DataFrame):
            raise _text_error("df", f"expected a pandas DataFrame or Arrow data, got {type(df).__name__}")
        present = set(df.columns)

        def column(name: str, path: str) -> Any:
            return _pandas_text(df[name], path, pa, np)

    else:
        from crmkit._arrow import ArrowColumns, is_arrow

        if not is_arrow(df):
            raise _text_error("df", f"expected a pandas DataFrame or Arrow data, got {type(df).__name__}")
        cols = ArrowColumns(df, [id, *([owner] if owner is not None else []), *names])
        pa = cols.pa
        present = set(cols.table.column_names)

        def column(name: str, path: str) -> Any:
            arr = cols.column(name)
            if name in cols.labels:  # a polars categorical, exported as its codes
                labels = pa.array(cols.labels[name], pa.large_string())
                arr = pa.DictionaryArray.from_arrays(arr.cast(pa.int32()), labels)
            return _arrow_text(pa, np, arr, path)

    for name in (id, owner):
        if name is not None and name not in present:
            from crmkit._wire import error

            raise error("missing_field", str(name), f"the table has no column {name!r}")
    ids = column(id, "ids")
    owners = column(owner, "owners") if owner is not None else None
    # A policy field without a column is the core's `missing_value` at `fields.<name>`.
    columns = [(name, column(name, f"fields.{name}")) for name in names if name in present]
    return ids, owners, columns, pa


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """The cyclic garbage collector paused while the report is built: a million-row table's
    200,000 clusters are 1.5 million new container objects, and the collector walked them
    again and again as they were made (a tenth of `dedup_frame`'s time), though none can be
    part of a cycle."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@document("MatchPolicy")
def dedup_frame(
    df: Any,
    policy: Mapping[str, Any],
    *,
    id: str = "id",  # noqa: A002
    owner: str | None = None,
    settings: Mapping[str, Any] | None = None,
) -> Any:
    """De-duplicates a table: one column per policy field (named as the field), ids in
    ``id``, owners in ``owner``.

    ``df`` is a pandas DataFrame, or any Arrow tabular data (a polars DataFrame, a pyarrow
    Table or RecordBatch, a DuckDB result: an object with the Arrow PyCapsule interface;
    reading it needs pyarrow). Columns are read without a Python object per row: string,
    dictionary (categorical) and integer columns as Arrow buffers when pyarrow is installed
    (zero-copy for Arrow-backed strings), otherwise as numpy arrays read in Rust. Integers
    (phones, ids) are read as their decimal text; missing values (None, NaN, NA) are blank; a
    float column with a value is ``invalid_type`` at ``fields.<name>[i]`` (a phone as a float
    has already lost digits).

    pandas in: a DataFrame with the index of ``df`` and the columns ``cluster`` (int64, -1
    outside clusters) and ``is_survivor`` (bool); ``attrs["clusters"]``, ``attrs["refused"]``,
    ``attrs["issues"]``, ``attrs["stats"]``. Arrow in: the same two columns in the caller's
    library (polars in, polars out; otherwise a pyarrow Table whose schema metadata carries
    ``crmkit.clusters``, ``crmkit.refused``, ``crmkit.issues`` and ``crmkit.stats`` as JSON).

    Raises ``CrmkitError``: ``missing_field`` at the name of the ``id`` or ``owner`` column
    when absent; the core's codes at ``ids[i]``, ``fields.<name>``...
    """
    ids, owners, columns, pa = _read_frame(df, policy, id, owner)
    with _no_gc():
        cluster, survivor, report = _native.find_duplicates_columns(
            to_json(policy), to_json(settings or {}, "settings", "settings"), ids, owners, columns
        )
    if type(df).__module__.split(".")[0] == "pandas":
        import pandas as pd

        out = pd.DataFrame({"cluster": cluster, "is_survivor": survivor}, index=df.index)
        share_attrs(out.attrs, {key: report[key] for key in ("clusters", "refused", "issues", "stats")})
        return out
    from crmkit._arrow import output, with_metadata

    table = pa.table({"cluster": pa.array(cluster), "is_survivor": pa.array(survivor)})
    return output(df, with_metadata(table, {k: report[k] for k in ("clusters", "refused", "issues", "stats")}))


class DedupIndex:
    """An indexed book for 查重: ``query`` one incoming record for its DUPLICATE and RELATED
    records and their owners (撞单); ``add`` / ``update`` / ``remove`` keep it current;
    ``to_bytes`` / ``from_bytes`` persist it. Raises ``CrmkitError``.

    >>> import crmkit
    >>> policy = {"fields": [{"field": "company", "comparator": {"type": "company_name"}}],
    ...           "rules": {"duplicate": [{"name": "same", "all": [{"field": "company", "verdict": "DUPLICATE"}]}]}}
    >>> index = crmkit.DedupIndex(policy, [{"id": "C1", "owner": "王芳", "fields": {"company": "北京字节跳动科技有限公司"}}])
    >>> index.query({"id": "L1", "fields": {"company": "字节跳动（北京）科技有限公司"}})["claimed_by"]
    '王芳'
    """

    def __init__(self, policy: Mapping[str, Any], records: Sequence[Mapping[str, Any]] = (), *, _inner: Any = None):
        self._inner = _inner if _inner is not None else _native.DedupIndex(to_json(policy), to_json(records, "records", "records"))

    def add(self, record: Mapping[str, Any]) -> list:
        """Adds a record; returns the values that could not be read."""
        return self._inner.add(to_json(record, "record", "record"))

    def update(self, record: Mapping[str, Any]) -> list:
        """Replaces the record with the same id (or adds it)."""
        return self._inner.update(to_json(record, "record", "record"))

    def remove(self, id: str) -> bool:  # noqa: A002
        """Removes a record; ``False`` when there is none."""
        if not isinstance(id, str):
            raise error("invalid_type", "id", f"expected a string, got {type(id).__name__}")
        return self._inner.remove(id)

    def query(self, record: Mapping[str, Any], limit: int = 10) -> dict:
        """The book's DUPLICATE then RELATED records for ``record``, best first."""
        return self._inner.query(to_json(record, "record", "record"), count(limit, "limit"))

    def to_bytes(self) -> bytes:
        """The index as bytes (version header and checksum)."""
        return self._inner.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> "DedupIndex":
        """An index from ``to_bytes``; ``corrupt_data`` / ``unsupported_version`` otherwise."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise error("invalid_type", "data", f"expected bytes, got {type(data).__name__}")
        return cls({}, _inner=_native.DedupIndex.from_bytes(bytes(data)))

    def __len__(self) -> int:
        return len(self._inner)


@document("MatchPolicy", "DedupRecord")
def blocking_keys(policy: Mapping[str, Any], records: Sequence[Mapping[str, Any]]) -> dict:
    """The blocking keys of records under a policy, as long columns: ``row`` (the record's
    position) and ``key`` (a 64-bit hash as a decimal string), with the policy's
    ``max_block_size`` (a key of more records is not used) and ``issues``. For a table, see
    :func:`blocking_keys_frame`. Raises ``CrmkitError``.

    >>> import crmkit
    >>> policy = {"fields": [{"field": "phone", "comparator": {"type": "phone"}}],
    ...           "rules": {"duplicate": [{"name": "same", "all": [{"field": "phone"}]}]}}
    >>> k = crmkit.blocking_keys(policy, [{"id": "1", "fields": {"phone": "010-6275 1234"}},
    ...                                   {"id": "2", "fields": {"phone": "+86 10 62751234"}}])
    >>> k["row"], k["key"][0] == k["key"][1]
    ([0, 1], True)
    """
    return _native.blocking_keys(to_json(policy), to_json(records, "records", "records"))


@document("MatchPolicy", "DedupRecord")
def score_block(policy: Mapping[str, Any], records: Sequence[Mapping[str, Any]], settings: Mapping[str, Any]) -> dict:
    """The DUPLICATE and RELATED pairs among the records of one block: ``settings`` gives the
    block's ``key`` and the table's ``skipped`` keys (those over ``max_block_size``); a pair
    is scored only when ``key`` is the smallest key the two records share outside
    ``skipped``, so a pair sharing several keys is scored once. ``left`` / ``right`` are
    positions in ``records``; scores as ``find_duplicates`` gives them. Raises
    ``CrmkitError`` (``limit_exceeded`` at ``ids`` for a block over ``max_block_size``)."""
    return _native.score_block(to_json(policy), to_json(settings, "settings", "settings"), to_json(records, "records", "records"))


@document("MatchPolicy", "DedupRecord")
def cluster_pairs(
    policy: Mapping[str, Any],
    records: Sequence[Mapping[str, Any]],
    pairs: Sequence[Sequence[str]],
    settings: Mapping[str, Any] | None = None,
) -> dict:
    """The clusters of one connected component of DUPLICATE pairs (``pairs`` of ids), under
    ``find_duplicates``'s guards: exactly the clusters ``find_duplicates`` gives these
    records within the whole table. Cluster ids count from 0 here; cannot-links naming ids
    of other records are ignored. Raises ``CrmkitError``."""
    return _native.cluster_pairs(
        to_json(policy), to_json(settings or {}, "settings", "settings"), to_json(records, "records", "records"), to_json(pairs, "pairs", "pairs")
    )


def _frame_out(df: Any, data: dict, pa: Any, attrs: Mapping[str, Any], index: bool = False) -> Any:
    """Columns in the caller's library: pandas in, pandas out (``attrs``); otherwise Arrow
    (polars in, polars out) with ``attrs`` as ``crmkit.*`` schema metadata (JSON)."""
    if type(df).__module__.split(".")[0] == "pandas":
        import numpy as np
        import pandas as pd

        # A list of text stays object-typed when empty (not float64).
        out = pd.DataFrame({k: np.asarray(v, dtype=object) if isinstance(v, list) else v for k, v in data.items()}, index=df.index if index else None)
        share_attrs(out.attrs, attrs)
        return out
    from crmkit._arrow import output, with_metadata

    table = pa.table({k: pa.array(v, pa.string()) if isinstance(v, list) else pa.array(v) for k, v in data.items()})
    return output(df, with_metadata(table, attrs))


@document("MatchPolicy")
def blocking_keys_frame(df: Any, policy: Mapping[str, Any], *, id: str = "id") -> Any:  # noqa: A002
    """:func:`blocking_keys` of a table (pandas or Arrow data, read as :func:`dedup_frame`
    reads it): columns ``row`` (int64, the row's position) and ``key`` (int64), one row per
    (record, key); ``attrs["max_block_size"]`` and ``attrs["issues"]`` (Arrow: schema
    metadata). Raises ``CrmkitError``."""
    ids, _, columns, pa = _read_frame(df, policy, id, None, "blocking_keys_frame")
    row, key, report = _native.blocking_keys_columns(to_json(policy), ids, columns)
    return _frame_out(df, {"row": row, "key": key}, pa, {"max_block_size": report["max_block_size"], "issues": report["issues"]})


@document("MatchPolicy")
def score_block_frame(df: Any, policy: Mapping[str, Any], key: Any, skipped: Any = (), *, id: str = "id") -> Any:  # noqa: A002
    """:func:`score_block` over the rows of a table: ``key`` is the block (an int64 from
    :func:`blocking_keys_frame`) of every row, or each row's block (a column name or an int64
    array: many blocks in one call, a record on one row per block); ``skipped``, the keys over
    ``max_block_size``. Columns ``left`` and ``right`` (int64 row positions), ``score``
    (float64), ``verdict``. Raises ``CrmkitError`` (``limit_exceeded`` at ``keys`` for a block
    over ``max_block_size``)."""
    ids, _, columns, pa = _read_frame(df, policy, id, None, "score_block_frame")
    import numpy as np

    n = len(df)

    def int64(value: Any, path: str) -> Any:
        try:
            return np.ascontiguousarray(np.asarray(value, dtype=np.int64).reshape(-1))
        except (TypeError, ValueError, OverflowError):
            raise error("invalid_type", path, "expected 64-bit integer keys") from None

    skipped = int64(skipped, "skipped")
    if isinstance(key, str):
        if key not in df.columns:
            raise error("missing_field", key, f"the table has no column {key!r}")
        keys = int64(df[key].to_numpy() if hasattr(df[key], "to_numpy") else df[key], "keys")
    elif isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        keys = np.full(n, key, dtype=np.int64) if -(2**63) <= int(key) < 2**63 else int64("x", "key")
    else:
        keys = int64(key, "keys")
    left, right, score, verdict = _native.score_block_columns(to_json(policy), keys, skipped, ids, columns)
    return _frame_out(df, {"left": left, "right": right, "score": score, "verdict": verdict}, pa, {})


@document("MatchPolicy")
def cluster_pairs_frame(
    df: Any,
    policy: Mapping[str, Any],
    left: Any,
    right: Any,
    *,
    id: str = "id",  # noqa: A002
    owner: str | None = None,
    settings: Mapping[str, Any] | None = None,
) -> Any:
    """:func:`cluster_pairs` over a table (one component, rows in input order) and its
    DUPLICATE pairs of row positions ``(left[k], right[k])``: the output of
    :func:`dedup_frame` (``cluster``, ``is_survivor``, the clusters in ``attrs``).
    Raises ``CrmkitError``."""
    ids, owners, columns, pa = _read_frame(df, policy, id, owner, "cluster_pairs_frame")
    import numpy as np

    try:
        left = np.ascontiguousarray(np.asarray(left, dtype=np.int64).reshape(-1))
        right = np.ascontiguousarray(np.asarray(right, dtype=np.int64).reshape(-1))
    except (TypeError, ValueError, OverflowError):
        raise error("invalid_type", "pairs", "expected integer row positions") from None
    cluster, survivor, report = _native.cluster_pairs_columns(
        to_json(policy), to_json(settings or {}, "settings", "settings"), ids, owners, columns, left, right
    )
    attrs = {k: report[k] for k in ("clusters", "refused", "issues", "stats")}
    return _frame_out(df, {"cluster": cluster, "is_survivor": survivor}, pa, attrs, index=True)
