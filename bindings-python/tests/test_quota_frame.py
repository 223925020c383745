"""`quota_frame`: the quota over a DataFrame of deals gives `quota_attainment`'s report on the
same deals as records, whatever the dtypes (int ids, categoricals, datetime64, float money)
and whether the data is pandas or Arrow."""

from __future__ import annotations

import datetime
import random

import pytest

import crmkit

pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")

AS_OF = datetime.date(2026, 11, 23)
POLICY = {
    "stages": [
        {"name": "a", "probability": "0.15", "duration": "40"},
        {"name": "b", "probability": "0.3", "duration": "25"},
        {"name": "won", "kind": "won"},
        {"name": "lost", "kind": "lost"},
    ],
    "duration_unit": "days",
    "placement": "expected_close",
    "undated": "unscheduled",
    "group_by": ["owner", "team"],
}


def book(n=300, seed=7):
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        stage = rng.choice(["a", "b", "won", "lost"])
        back = rng.randrange(0, 400)
        if stage == "won":
            close = AS_OF - datetime.timedelta(days=back)
        else:
            close = rng.choice([None, AS_OF + datetime.timedelta(days=rng.randrange(-100, 500))])
        rows.append((f"d{i}", stage, rng.randrange(0, 10_000_000), rng.choice([7, 11, 13]), rng.choice(["east", "west", None]), close))
    return rows


def frame(rows):
    return pd.DataFrame(
        {
            "stage": pd.Categorical([r[1] for r in rows]),
            "cents": np.array([r[2] for r in rows], dtype=np.int64),
            "owner": np.array([r[3] for r in rows], dtype=np.int32),
            "team": [r[4] for r in rows],
            "close": pd.to_datetime([r[5] for r in rows]),
        }
    )


def records(rows):
    deals = []
    for deal_id, stage, cents, owner, team, close in rows:
        d = {"id": deal_id, "stage": stage, "amount": f"{cents // 100}.{cents % 100:02d}", "owner": str(owner)}
        if team is not None:
            d["team"] = team
        if close is not None:
            d["expected_close_on"] = close.isoformat()
        deals.append(d)
    return deals


@pytest.mark.parametrize("fields", [[], ["owner"], ["team"], ["team", "owner"]])
@pytest.mark.parametrize("period", ["month", "quarter", "year"])
def test_quota_frame_gives_the_record_report(fields, period):
    rows = book()
    label = {"month": "2026-11", "quarter": "2026-Q4", "year": "2026"}[period]
    keys = {"owner": 7, "team": "east"}
    quotas = [{"key": {f: keys[f] for f in fields}, "period": label, "amount": "250000"}]
    won = [{"id": "w1", "amount": "1000", "closed_on": "2026-11-02", "owner": "7", "team": "east"}]
    quota = {"group_by": fields, "period": period}
    out = crmkit.quota_frame(frame(rows), POLICY, quota, quotas, AS_OF, won=won, amount="cents", amount_scale=2, expected_close_on="close")
    text_quotas = [{**q, "key": {k: str(v) for k, v in q["key"].items()}} for q in quotas]
    want = crmkit.quota_attainment({**POLICY, "group_by": []}, quota, {"deals": records(rows), "quotas": text_quotas, "won": won}, AS_OF)
    assert out.attrs["report"] == want
    assert len(out) == len(want["lines"])
    assert list(out.columns) == [*fields, "period", "first_month", "last_month", "quota", "won_deals", "won_amount", "open_deals",
                                 "open_amount", "open_weighted", "attainment", "gap", "coverage", "weighted_coverage", "reasons"]
    if "owner" in fields:
        # An int32 owner column's ids come back as ints.
        assert set(out["owner"]) <= {7, 11, 13}
        assert out["owner"].dtype == np.int64
    for line, row in zip(want["lines"], out.itertuples(index=False)):
        assert (row.period, row.quota, row.won_amount, row.open_weighted, row.coverage, list(row.reasons)) == (
            line["period"], line["quota"], line["won"]["amount"], line["open"]["weighted"], line["coverage"], line["reasons"])


def test_quota_frame_over_arrow_data_gives_the_pandas_report():
    pa = pytest.importorskip("pyarrow")
    rows = book(120, seed=3)
    df = frame(rows)
    quota = {"group_by": ["team"], "period": "quarter"}
    quotas = [{"key": {"team": "east"}, "period": "2026-Q4", "amount": "90000.50"}]
    want = crmkit.quota_frame(df, POLICY, quota, quotas, AS_OF, amount="cents", amount_scale=2, expected_close_on="close")
    table = pa.Table.from_pandas(df, preserve_index=False)
    got = crmkit.quota_frame(table, POLICY, quota, quotas, AS_OF, amount="cents", amount_scale=2, expected_close_on="close")
    assert isinstance(got, pa.Table)
    assert got.column("team").to_pylist() == [None if pd.isna(t) else t for t in want["team"]]
    assert got.column("open_weighted").to_pylist() == want["open_weighted"].tolist()
    assert got.column("attainment").to_pylist() == want["attainment"].tolist()
    assert got.schema.metadata[b"crmkit.report"]


def test_quota_frame_refuses_a_won_row_without_its_close_date():
    df = pd.DataFrame({"stage": ["a", "won"], "amount": [100, 200], "owner": ["li", "li"], "team": ["e", "e"], "close": [None, None]})
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.quota_frame(df, POLICY, {"group_by": ["owner"]}, [], AS_OF, expected_close_on="close")
    assert (caught.value.code, caught.value.path) == ("missing_value", "expected_close_on[1]")


def test_quota_fields_must_be_key_columns():
    df = pd.DataFrame({"stage": ["a"], "amount": [100], "owner": ["li"]})
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.quota_frame(df, {**POLICY, "group_by": ["owner"]}, {"group_by": ["team"]}, [], AS_OF)
    assert (caught.value.code, caught.value.path) == ("invalid_value", "group_by[0]")
