"""Hypothesis properties over the installed package (issue 6):

* any mutation of a vector's input, with values of any Python type, raises only CrmkitError;
* the dict API and the DataFrame API give the same report for the same deals.

Example counts stay small in the test command; ``scripts/fuzz.sh`` raises them
(``HYPOTHESIS_PROFILE=fuzz``).
"""

from __future__ import annotations

import copy
import datetime
import json
import os
import types
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crmkit
from test_vectors import FUNCTIONS as CALLS  # every vector function, one line per domain there

settings.register_profile("default", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

REPO = Path(__file__).resolve().parents[2]
CASES = [
    (doc["function"], case)
    for path in sorted((REPO / "tests" / "vectors").glob("*/*.json"))
    for doc in [json.loads(path.read_text(encoding="utf-8"))]
    for case in doc["cases"]
]



class Opaque:
    """An object crmkit has no reason to read."""


def nested(depth: int) -> list:
    out: list = []
    for _ in range(depth):
        out = [out]
    return out


def cyclic() -> dict:
    d: dict = {}
    d["self"] = d
    return d


ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["\ud800", " 2026-01-05", "2026-1-5", "0000-01-01", "+10000-01-01", "1e3", "NaN", "12,5", "won"]),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from([Decimal("1E+999999999999999999"), Decimal("1E-999999999"), Decimal("-0"), Decimal("0E-30")]),
    st.dates(),
    st.datetimes(),
    st.sampled_from([pd.Timestamp("2026-01-05"), pd.NaT, np.datetime64("2026-01-05"), np.datetime64("NaT")]),
    st.sampled_from([np.int64(7), np.float32(1.5), np.bool_(True), np.uint64(2**64 - 1), np.float64("nan")]),
    st.binary(max_size=4),
    st.builds(tuple, st.lists(st.integers(), max_size=3)),
    st.builds(frozenset, st.lists(st.integers(), max_size=3)),
    st.builds(lambda: types.MappingProxyType({"a": 1})),
    st.builds(lambda: iter([1, 2])),
    st.builds(Opaque),
    st.builds(lambda: {(1, 2): 3}),
    st.builds(lambda: nested(300)),
    st.builds(cyclic),
)


def nodes(value, path=()):
    """Every (path, value) in a JSON-like value, pre-order."""
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from nodes(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from nodes(v, (*path, i))


def replaced(root, path, new):
    if not path:
        return new
    out = copy.deepcopy(root)
    target = out
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return out


@given(st.data())
def test_any_mutated_input_raises_only_crmkit_error(data):
    function, case = data.draw(st.sampled_from(CASES))
    part = data.draw(st.sampled_from(["config", "input", "as_of"]))
    case = dict(case)
    if part == "as_of":
        case["as_of"] = data.draw(ODD_VALUES)
    else:
        # Below the root: the runner's own `case["input"].get(...)` needs a dict there.
        path = data.draw(st.sampled_from([p for p, _ in nodes(case[part]) if p] or [()]))
        case[part] = replaced(case[part], path, data.draw(ODD_VALUES))
    try:
        CALLS[function](case)
    except crmkit.CrmkitError as e:
        assert e.code and isinstance(e.path, str), e


STAGES = ["lead", "proposal", "won", "lost"]
POLICY = {
    "stages": [
        {"name": "lead", "conversion": "0.4", "duration": "20"},
        {"name": "proposal", "conversion": "0.5", "duration": "35"},
        {"name": "won", "kind": "won"},
        {"name": "lost", "kind": "lost"},
    ],
    "duration_unit": "days",
    "group_by": ["owner"],
}
AS_OF = datetime.date(2026, 1, 5)

deal_rows = st.lists(
    st.tuples(
        st.sampled_from(STAGES),
        st.integers(min_value=0, max_value=10**12),
        st.sampled_from(["ann", "bob", "cai", None]),
        st.integers(min_value=0, max_value=400),
    ),
    max_size=30,
)


@given(deal_rows, st.sampled_from(["remaining_full", "half_elapsed", "actual"]), st.sampled_from(["int", "float", "decimal", "str"]))
def test_dict_api_and_frame_api_agree(rows, placement, dtype):
    policy = {**POLICY, "placement": placement}
    entered = [AS_OF - datetime.timedelta(days=d) for *_, d in rows]
    deals = [
        {"id": f"d{i}", "stage": s, "amount": str(Decimal(c).scaleb(-2)), "entered_stage_on": entered[i], **({"owner": o} if o else {})}
        for i, (s, c, o, _) in enumerate(rows)
    ]
    cents = np.array([c for _, c, _, _ in rows], dtype=np.int64)
    amount = {
        "int": cents,
        "float": cents / 100.0,
        "decimal": [Decimal(int(c)).scaleb(-2) for c in cents],
        "str": [str(Decimal(int(c)).scaleb(-2)) for c in cents],
    }[dtype]
    df = pd.DataFrame(
        {
            "stage": pd.Series([s for s, *_ in rows], dtype=object),
            "amount": pd.Series(amount, dtype=None if dtype in ("int", "float") else object),
            "owner": pd.Series([o for _, _, o, _ in rows], dtype=object),
            "entered": pd.Series(entered, dtype=object),
        }
    )
    if dtype == "float" and (cents > 2**52).any():
        return  # a float64 holds cents exactly only below 2^53
    report = crmkit.forecast(policy, deals, AS_OF)
    out = crmkit.forecast_frame(
        df, policy, AS_OF, entered_stage_on="entered", amount_scale=2 if dtype == "int" else None
    )
    assert out.attrs["totals"] == report["totals"]
    assert out.attrs["stages"] == report["stages"]
    assert out.attrs["months"] == report["months"]
    rows_out = [(None if r.owner != r.owner else r.owner, r.month, r.deals, r.amount, r.weighted) for r in out.itertuples(index=False)]
    want = [(g["key"]["owner"], m["month"], m["deals"], m["amount"], m["weighted"]) for g in report["groups"] for m in g["months"]]
    assert rows_out == want
