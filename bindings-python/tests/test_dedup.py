"""Duplicate matching from Python: the stubs describe the real outputs, errors are typed."""

from __future__ import annotations

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
        (lambda: crmkit.compare({"type": "numeric", "tolerance": 0.5}, "1", "2"), "invalid_decimal", "comparator"),
        (lambda: crmkit.normalize_email(None), "invalid_type", "email"),
    ],
)
def test_bad_input_is_a_crmkit_error(call, code, path):
    with pytest.raises(crmkit.CrmkitError) as caught:
        call()
    assert (caught.value.code, caught.value.path) == (code, path)
