"""Duplicate matching from Python: the stubs describe the real outputs, errors are typed."""

from __future__ import annotations

import json

import pytest

import crmkit
from test_stubs import stub


def test_outputs_match_the_stub_typeddicts():
    dicts, literals = stub()
    company = crmkit.compare({"type": "company_name"}, "北京字节跳动科技有限公司", "北京字节跳动科技有限公司上海分公司")
    shapes = [
        ("ValueComparison", company),
        ("CompanyName", company["parts"][0]),
        ("Phone", crmkit.normalize_phone("010-62345678 转 8")),
        ("Email", crmkit.normalize_email("li@qq.com")),
        ("Domain", crmkit.normalize_domain("www.example.com.cn")),
        ("PersonName", crmkit.normalize_person_name("张伟")),
        ("CreditCode", crmkit.normalize_credit_code("91110108551385082Q")),
    ]
    for name, value in shapes:
        assert set(value) <= dicts[name], (name, set(value) - dicts[name])
    assert company["verdict"] in literals["Verdict"]
    assert set(company["reasons"]) <= literals["MatchReason"]
    assert company["parts"][0]["form_class"] in literals["FormClass"]


def test_the_issue_examples():
    base = "北京字节跳动科技有限公司"
    verdict = lambda other: crmkit.compare({"type": "company_name"}, base, other)["verdict"]  # noqa: E731
    assert verdict("字节跳动（北京）科技有限公司") == "DUPLICATE"
    assert verdict("北京字节跳动科技有限公司上海分公司") == "RELATED"
    assert verdict("北京仁和互联网络技术有限公司") == "DISTINCT"


@pytest.mark.parametrize(
    ("call", "code", "path"),
    [
        (lambda: crmkit.normalize_company(" "), "missing_value", "name"),
        (lambda: crmkit.normalize_phone("8676543"), "invalid_value", "phone"),
        (lambda: crmkit.normalize_credit_code("91110108551385082A"), "invalid_value", "credit_code"),
        (lambda: crmkit.compare({"type": "cosine"}, "a", "b"), "invalid_value", "comparator.type"),
        (lambda: crmkit.compare({"type": "numeric", "tolerance": 0.5}, "1", "2"), "invalid_decimal", "comparator.tolerance"),
        (lambda: crmkit.compare({"type": "exact", "tolerance": "5"}, "1", "2"), "unknown_field", "comparator.tolerance"),
        (lambda: crmkit.normalize_email(None), "invalid_type", "email"),
    ],
)
def test_bad_input_is_a_crmkit_error(call, code, path):
    with pytest.raises(crmkit.CrmkitError) as caught:
        call()
    assert (caught.value.code, caught.value.path) == (code, path)


POLICY = {
    "fields": [
        {"field": "company", "comparator": {"type": "company_name"}},
        {"field": "phone", "comparator": {"type": "phone"}},
    ],
    "rules": {
        "duplicate": [{"name": "same company", "all": [{"field": "company", "verdict": "DUPLICATE"}]}],
        "related": [{"name": "same group", "all": [{"field": "company", "verdict": "RELATED"}]}],
    },
}
BOOK = [
    {"id": "C1", "owner": "王芳", "fields": {"company": "北京字节跳动科技有限公司", "phone": "010-62345678"}},
    {"id": "C2", "owner": "李雷", "fields": {"company": "北京字节跳动科技有限公司上海分公司"}},
    {"id": "C3", "fields": {"company": "小米科技有限责任公司"}},
]


@pytest.mark.parametrize(
    ("call", "code", "path"),
    [
        (lambda index: index.query(BOOK[0], None), "invalid_type", "limit"),
        (lambda index: index.query(BOOK[0], True), "invalid_type", "limit"),
        (lambda index: index.query(BOOK[0], -1), "out_of_range", "limit"),
        (lambda index: index.remove(3), "invalid_type", "id"),
        (lambda index: crmkit.DedupIndex.from_bytes("text"), "invalid_type", "data"),
        (lambda index: crmkit.link_records(POLICY, BOOK, BOOK, 2.5), "invalid_type", "limit"),
    ],
)
def test_index_arguments_of_the_wrong_kind_are_crmkit_errors(call, code, path):
    # Found by the hypothesis property at 2,000 examples: these were TypeError / OverflowError.
    with pytest.raises(crmkit.CrmkitError) as caught:
        call(crmkit.DedupIndex(POLICY, BOOK))
    assert (caught.value.code, caught.value.path) == (code, path)


def test_index_handle_round_trip_and_updates():
    dicts, _ = stub()
    index = crmkit.DedupIndex(POLICY, BOOK)
    assert len(index) == 3
    lead = {"id": "L1", "fields": {"company": "字节跳动（北京）科技有限公司", "phone": "bad"}}
    found = index.query(lead)
    assert found["claimed_by"] == "王芳"
    assert [c["id"] for c in found["candidates"]] == ["C1", "C2"]
    assert set(found) <= dicts["QueryReport"] and set(found["candidates"][0]) <= dicts["Candidate"]
    assert found["issues"][0]["field"] == "phone"
    again = crmkit.DedupIndex.from_bytes(index.to_bytes())
    assert again.query(lead) == found
    assert index.remove("C1") and not index.remove("C1")
    assert index.query(lead)["claimed_by"] is None
    index.add({"id": "C9", "owner": "赵六", "fields": {"company": "字节跳动"}})
    assert index.query(lead)["claimed_by"] == "赵六"
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.DedupIndex.from_bytes(b"CRMKDDIX" + (1).to_bytes(4, "little") + bytes(16))
    assert caught.value.code == "corrupt_data"


def test_dedup_frame_builds_columns_in_rust():
    import numpy as np
    import pandas as pd

    df = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "company": ["北京字节跳动科技有限公司", "字节跳动（北京）科技有限公司", None, "小米科技有限公司"],
            "phone": ["13800000001", np.nan, "13800000002", "bad"],
            "owner": ["王芳", "李雷", None, None],
        },
        index=[10, 11, 12, 13],
    )
    out = crmkit.dedup_frame(df, POLICY, owner="owner")
    assert list(out.index) == [10, 11, 12, 13]
    assert out["cluster"].dtype == np.int64 and out["is_survivor"].dtype == bool
    assert out["cluster"].tolist() == [0, 0, -1, -1]
    assert out.attrs["clusters"][0]["owners"] == ["李雷", "王芳"]
    assert out.attrs["issues"][0]["record"] == "d"
    # attrs are shared, not deep-copied, by derived frames (a copy per column access was
    # 0.8 s with 100,000 clusters), and stay plain lists for the caller
    assert out["cluster"].attrs["clusters"] is out.attrs["clusters"]
    assert isinstance(out.attrs["clusters"], list) and out.attrs["clusters"] == list(out.attrs["clusters"])
    import pickle

    assert pickle.loads(pickle.dumps(out)).attrs["clusters"] == out.attrs["clusters"]


def test_batch_and_pairs_match_the_stubs():
    dicts, literals = stub()
    report = crmkit.find_duplicates(POLICY, BOOK + [{"id": "X", "fields": {"company": "字节跳动"}}])
    assert set(report) <= dicts["DedupReport"]
    assert set(report["clusters"][0]) <= dicts["Cluster"]
    assert set(report["pairs"][0]) <= dicts["PairMatch"]
    assert set(report["pairs"][0]["fields"][0]) <= dicts["FieldExplanation"]
    assert report["clusters"][0]["survivor_reason"] in literals["SurvivorReason"]
    link = crmkit.link_records(POLICY, BOOK, [{"id": "L", "fields": {"company": "小米科技有限公司"}}])
    assert link["links"][0]["left"] == "C3" and set(link) <= dicts["LinkReport"]


def _frame_data():
    return {
        "id": ["a", "b", "c", "d", "e"],
        "company": ["北京字节跳动科技有限公司", "字节跳动（北京）科技有限公司", None, "小米科技有限公司", "小米科技有限责任公司"],
        "phone": ["13800000001", None, "13800000002", "13800000003", "13800000003"],
        "owner": ["王芳", "李雷", None, None, "王芳"],
    }


def test_dedup_frame_reads_arrow_polars_and_pandas_alike():
    import pandas as pd
    import pyarrow as pa
    import polars as pl

    data = _frame_data()
    expected = crmkit.dedup_frame(pd.DataFrame(data), POLICY, owner="owner")
    assert expected["cluster"].tolist() == [0, 0, -1, 1, 1]
    table = crmkit.dedup_frame(pa.table(data), POLICY, owner="owner")
    assert isinstance(table, pa.Table)
    assert table.column("cluster").to_pylist() == expected["cluster"].tolist()
    assert table.column("is_survivor").to_pylist() == expected["is_survivor"].tolist()
    assert json.loads(table.schema.metadata[b"crmkit.clusters"]) == expected.attrs["clusters"]
    frame = crmkit.dedup_frame(pl.DataFrame(data).with_columns(pl.col("company").cast(pl.Categorical)), POLICY, owner="owner")
    assert isinstance(frame, pl.DataFrame)
    assert frame["cluster"].to_list() == expected["cluster"].tolist()
    arrow_backed = pd.DataFrame(data).astype({"company": pd.ArrowDtype(pa.string()), "phone": "category"})
    assert crmkit.dedup_frame(arrow_backed, POLICY, owner="owner")["cluster"].tolist() == expected["cluster"].tolist()


def test_dedup_frame_columns_are_arrow_buffers_not_python_rows():
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    from crmkit._dedup import _pandas_text

    offsets, data, valid = _pandas_text(pd.Series(["北京", None, "abc"]), "fields.company", pa, np)
    assert offsets.dtype == np.int64 and data.dtype == np.uint8 and valid.tolist() == [True, False, True]
    assert bytes(data[offsets[2] : offsets[3]]) == b"abc"
    # Without pyarrow: numpy arrays, never a Python list.
    assert _pandas_text(pd.Series([1, 2]), "ids", None, np).dtype == np.int64
    assert _pandas_text(pd.Series(["x", None], dtype=object), "ids", None, np).dtype == object


def test_dedup_frame_integer_phones_and_float_columns():
    import numpy as np
    import pandas as pd

    df = pd.DataFrame({"id": [1, 2], "company": ["甲科技有限公司", "乙贸易有限公司"], "phone": [13800000001, 13800000001]})
    policy = {"fields": [{"field": "company", "comparator": {"type": "company_name"}}, {"field": "phone", "comparator": {"type": "phone"}}],
              "rules": {"duplicate": [{"name": "same phone", "all": [{"field": "phone"}]}]}}
    out = crmkit.dedup_frame(df, policy)
    assert out["cluster"].tolist() == [0, 0]  # int64 ids and phones read as their text
    assert out.attrs["clusters"][0]["members"] == ["1", "2"]
    df["phone"] = [13800000001.0, np.nan]
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.dedup_frame(df, policy)
    assert (caught.value.code, caught.value.path) == ("invalid_type", "fields.phone[0]")
    df["phone"] = [np.nan, np.nan]  # an all-missing column is blank, whatever its dtype
    assert crmkit.dedup_frame(df, policy)["cluster"].tolist() == [-1, -1]
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.dedup_frame(df, policy, id="key")
    assert (caught.value.code, caught.value.path) == ("missing_field", "key")


def test_dedup_parts_on_frames_give_dedup_frame_and_read_arrow():
    """blocking_keys_frame -> score_block_frame (all blocks in one call) -> connected
    components -> cluster_pairs_frame gives dedup_frame's clusters; pyarrow and polars input
    give what pandas input gives."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import polars as pl

    data = _frame_data()
    df = pd.DataFrame(data)
    keys = crmkit.blocking_keys_frame(df, POLICY)
    assert list(keys.columns) == ["row", "key"] and keys.attrs["max_block_size"] == 200
    for other in (pa.table(data), pl.DataFrame(data)):
        got = crmkit.blocking_keys_frame(other, POLICY)
        got = got.to_pandas() if hasattr(got, "to_pandas") else got
        assert got["row"].tolist() == keys["row"].tolist() and got["key"].tolist() == keys["key"].tolist()
    rows = keys["row"].to_numpy()
    block = df.iloc[rows].reset_index(drop=True)
    pairs = crmkit.score_block_frame(block, POLICY, keys["key"].to_numpy())
    for other in (pa.Table.from_pandas(block), pl.from_pandas(block)):
        got = crmkit.score_block_frame(other, POLICY, keys["key"].to_numpy())
        got = got.to_pandas() if hasattr(got, "to_pandas") else got
        assert got.values.tolist() == pairs.values.tolist()
    duplicate = pairs[pairs["verdict"] == "DUPLICATE"]
    left, right = rows[duplicate["left"].to_numpy()], rows[duplicate["right"].to_numpy()]
    assert sorted(zip(left, right)) == [(0, 1), (3, 4)]  # each pair once, though in several blocks
    whole = crmkit.dedup_frame(df, POLICY, owner="owner")
    out = crmkit.cluster_pairs_frame(df, POLICY, left, right, owner="owner")
    assert out["cluster"].tolist() == whole["cluster"].tolist() and out.attrs["clusters"] == whole.attrs["clusters"]
    polars = crmkit.cluster_pairs_frame(pl.DataFrame(data), POLICY, left, right, owner="owner")
    assert isinstance(polars, pl.DataFrame) and polars["cluster"].to_list() == whole["cluster"].tolist()
    with pytest.raises(crmkit.CrmkitError) as e:
        crmkit.score_block_frame(block, {**POLICY, "max_block_size": 2}, np.zeros(len(block), dtype=np.int64))
    assert (e.value.code, e.value.path) == ("limit_exceeded", "keys")
    with pytest.raises(crmkit.CrmkitError) as e:
        crmkit.cluster_pairs_frame(df, POLICY, [0], [9])
    assert (e.value.code, e.value.path) == ("invalid_value", "pairs[0]")


def test_dedup_frames_say_how_to_install_numpy():
    from test_api import _run

    code = """
import sys
class NoNumpy:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("numpy", "pandas"):
            raise ImportError(f"no {name} here")
sys.meta_path.insert(0, NoNumpy())
import crmkit
for call in (lambda: crmkit.dedup_frame(None, {}), lambda: crmkit.blocking_keys_frame(None, {}),
             lambda: crmkit.score_block_frame(None, {}, 1), lambda: crmkit.cluster_pairs_frame(None, {}, [], [])):
    try:
        call()
    except ImportError as e:
        print("crmkit[pandas]" in str(e))
"""
    assert _run(code).splitlines() == ["True"] * 4


def _large_book(n):
    """A frame whose blocks are large: a few 字号 in several cities, industries and forms."""
    import random

    import pandas as pd

    rng = random.Random(7)
    brands, regions = ["华信", "东方", "鑫源", "瑞宏", "中科", "天明", "汇金", "凯越"], ["北京", "上海", "深圳", ""]
    industries, forms = ["科技", "网络科技", "贸易", ""], ["有限公司", "股份有限公司", "有限责任公司", ""]
    company = [f"{rng.choice(regions)}{rng.choice(brands)}{rng.choice(industries)}{rng.choice(forms)}" for _ in range(n)]
    phone = [f"1390000{rng.randrange(300):04d}" if rng.random() < 0.7 else None for _ in range(n)]
    return pd.DataFrame({"id": [f"R{i}" for i in range(n)], "company": company, "phone": phone})


def test_dedup_frame_threads_give_one_answer_and_are_checked():
    import gc

    df = _large_book(1500)
    one = crmkit.dedup_frame(df, {**POLICY, "threads": 1}, settings={"max_cluster_size": 8})
    assert one.attrs["stats"]["candidate_pairs"] >= 50_000
    for threads in (2, 4):
        many = crmkit.dedup_frame(df, {**POLICY, "threads": threads}, settings={"max_cluster_size": 8})
        assert many["cluster"].tolist() == one["cluster"].tolist()
        assert many.attrs["clusters"] == one.attrs["clusters"] and many.attrs["refused"] == one.attrs["refused"]
    for bad in (0, 65):
        with pytest.raises(crmkit.CrmkitError) as caught:
            crmkit.dedup_frame(df, {**POLICY, "threads": bad})
        assert (caught.value.code, caught.value.path) == ("out_of_range", "threads")
    assert gc.isenabled()  # paused while the report is built, back after an error too
