"""A frame's ``attrs`` are shared by the frames derived from it, not deep-copied into each.

pandas deep-copies ``attrs`` into every derived object (``out["col"]``, ``out.head()``, a
slice): with 100,000 report lines that was 0.8 s per column access. Every ``*_frame`` puts its
report values in ``attrs`` through ``crmkit._wire.share_attrs``: derived frames hold the same
objects, which refuse changes and pickle as they are.
"""

from __future__ import annotations

import copy
import datetime
import json
import pickle

import pytest

import crmkit
from crmkit._wire import SharedDict, SharedList, share_attrs, shared

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")


def test_shared_values_are_their_own_deep_copy_and_refuse_changes():
    lines = [{"month": "2026-11", "amount": "1.00"}]
    listed, mapped, array = shared(lines), shared({"a": [1]}), shared(np.arange(4, dtype=np.int64))
    assert listed is not lines and listed == lines and isinstance(listed, list)  # the caller's list stays its own
    lines.append({})
    assert len(listed) == 1
    for value in (listed, mapped, array):
        assert copy.deepcopy(value) is value and copy.deepcopy({"k": value})["k"] is value
        back = pickle.loads(pickle.dumps(value))
        assert type(back) is type(value) and copy.deepcopy(back) is back
    assert pickle.loads(pickle.dumps(listed)) == lines[:1] and pickle.loads(pickle.dumps(mapped)) == {"a": [1]}
    assert list(pickle.loads(pickle.dumps(array))) == [0, 1, 2, 3]
    assert json.loads(json.dumps({"l": listed, "d": mapped})) == {"l": lines[:1], "d": {"a": [1]}}
    changes = [
        lambda: listed.append(1), lambda: listed.extend([1]), lambda: listed.insert(0, 1), lambda: listed.pop(),
        lambda: listed.remove(listed[0]), lambda: listed.clear(), lambda: listed.sort(), lambda: listed.reverse(),
        lambda: listed.__setitem__(0, 1), lambda: listed.__delitem__(0), lambda: listed.__iadd__([1]),
        lambda: listed.__imul__(2), lambda: mapped.__setitem__("b", 1), lambda: mapped.__delitem__("a"),
        lambda: mapped.update(b=1), lambda: mapped.pop("a"), lambda: mapped.popitem(), lambda: mapped.clear(),
        lambda: mapped.setdefault("b", 1), lambda: mapped.__ior__({"b": 1}),
    ]  # fmt: skip
    for change in changes:
        with pytest.raises(TypeError, match="shared by the frames derived from it"):
            change()
    assert listed == lines[:1] and mapped == {"a": [1]}
    with pytest.raises(ValueError, match="read-only"):
        array[0] = 9
    cents = array / 100  # arithmetic gives a plain, writeable array
    assert type(cents) is np.ndarray and cents.flags.writeable and int(array.sum()) == 6
    # A copy to change is one call away.
    assert list(listed) + [2] == [*lines[:1], 2] and {**mapped, "b": 1} == {"a": [1], "b": 1}
    assert shared(listed) is listed and shared(array) is array and shared(5) == 5 and shared("x") == "x"


def assert_shared(frame, keys):
    """Each of ``keys`` in ``frame.attrs`` is the same object in derived frames; the frame
    pickles with its attrs."""
    derived = [frame[frame.columns[0]], frame.head(1), frame.iloc[:1], frame.copy()]
    for key in keys:
        value = frame.attrs[key]
        assert isinstance(value, (SharedList, SharedDict)), (key, type(value))
        for other in derived:
            assert other.attrs[key] is value, key
    back = pickle.loads(pickle.dumps(frame))
    assert {k: back.attrs[k] for k in keys} == {k: frame.attrs[k] for k in keys}


def test_forecast_frame_attrs_are_shared():
    policy = {"stages": [{"name": "open", "conversion": "0.5", "duration": "30"}, {"name": "won", "kind": "won"}],
              "duration_unit": "days", "placement": "half_elapsed", "group_by": ["owner"]}  # fmt: skip
    df = pd.DataFrame({"stage": ["open", "won", "open"], "amount": [100, 200, 300], "owner": ["a", "b", "a"]})
    out = crmkit.forecast_frame(df, policy, datetime.date(2026, 11, 23))
    assert_shared(out, ["totals", "stages", "months", "groups"])


def test_commission_frame_attrs_are_shared():
    plan = {"kind": "retroactive", "bounds": "upper_inclusive", "tiers": [{"from": "0", "rate": "0.02"}]}
    df = pd.DataFrame({"rep": ["a", "b", "a"], "on": pd.to_datetime(["2026-03-01", "2026-03-02", "2026-03-03"]),
                       "amount": [1000, 2000, 3000]})  # fmt: skip
    frame, lines = crmkit.commission_frame(df, plan, "2026-03-31", statements=True)
    for out in (frame, lines):
        assert_shared(out, ["reps", "totals", "reason_labels"])


def test_pool_frames_attrs_are_shared():
    policy = {"time_zone": "Asia/Shanghai", "pools": [{"id": "p", "scope": {"everyone": True},
              "rules": [{"id": "r", "kind": "no_follow_up", "limit": 30}], "claims": {"daily_limit": 1}}]}  # fmt: skip
    records = pd.DataFrame({"owner": ["wang", "li"], "claimed_at": pd.to_datetime(["2026-09-01T02:00:00Z"] * 2, utc=True)})
    activities = pd.DataFrame({"record": [0], "at": pd.to_datetime(["2026-10-01T01:00:00Z"], utc=True),
                               "type": ["call"], "actor": ["wang"]})  # fmt: skip
    assert_shared(crmkit.evaluate_pool_frame(records, activities, policy, "2026-11-01"), ["totals", "pools"])
    teams = {"teams": [{"id": "a", "strategy": "round_robin", "reps": [{"id": "li"}, {"id": "zhao"}]}],
             "routes": [{"id": "all", "when": {}, "team": "a"}], "fallback_queue": "queue"}  # fmt: skip
    out = crmkit.assign_records_frame(pd.DataFrame({"region": ["north", "south"]}), teams, cursors={"a": 1})
    assert_shared(out, ["cursors", "load"])
    pooled = pd.DataFrame({"id": ["c1"], "pool": ["p"], "pooled_at": pd.to_datetime(["2026-10-01T00:00:00Z"], utc=True)})
    requests = pd.DataFrame({"user": ["li", "li"], "record": ["c1", "c2"]})
    out = crmkit.check_claims_frame(requests, pooled, policy, "2026-11-02T09:00:00+08:00")
    assert_shared(out, ["holdings", "pools"])


def test_batch_frames_attrs_are_shared():
    batches = pd.DataFrame({"customer": ["acme", "globex"], "invoice_on": pd.to_datetime(["2026-01-01", "2026-02-01"]),
                            "due_on": pd.to_datetime(["2026-01-31", "2026-03-01"]), "amount": [1000, 2000]})  # fmt: skip
    payments = pd.DataFrame({"batch": [0], "on": pd.to_datetime(["2026-02-15"]), "amount": [1000]})
    out = crmkit.payment_interest_frame(batches, payments, {"late_rate": "0.18", "day_count": "actual_365"}, "2026-06-30")
    assert_shared(out, ["totals"])
    out = crmkit.collections_frame(batches, payments, {}, "2026-06-30")
    assert_shared(out, ["aging", "customers", "dso", "reason_labels"])


def test_share_attrs_on_a_plain_frame():
    frame = pd.DataFrame({"x": [1, 2]})
    share_attrs(frame.attrs, {"lines": [1, 2], "credits": np.arange(2), "scale": 2})
    assert frame["x"].attrs["credits"] is frame.attrs["credits"] and frame.attrs["scale"] == 2
    # Equal attrs stay on a concat (pandas compares them; the shared objects are the same).
    assert pd.concat([frame, frame.head(1)]).attrs["lines"] is frame.attrs["lines"]
