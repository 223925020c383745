"""Duplicate matching (查重): normalisers and comparators over plain values."""

from __future__ import annotations

from typing import Any, Mapping

from crmkit import _native
from crmkit._wire import to_json

__all__ = [
    "compare",
    "normalize_company",
    "normalize_credit_code",
    "normalize_domain",
    "normalize_email",
    "normalize_person_name",
    "normalize_phone",
]


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
    return _native.normalize_company(to_json(name))


def normalize_phone(phone: str, default_country: str = "86") -> dict:
    """A phone number in E.164 (``e164``, ``kind``, ``country_code``, ``area_code``,
    ``extension``); ``default_country`` is the calling code of numbers written without one.
    Raises ``CrmkitError`` (``invalid_value`` at ``phone`` when it cannot be read).

    >>> import crmkit
    >>> crmkit.normalize_phone("(0755) 8676-5432 转 8001")["e164"]
    '+8675586765432'
    """
    return _native.normalize_phone(to_json(phone), to_json(default_country))


def normalize_email(email: str) -> dict:
    """An e-mail address: ``email``, ``canonical`` (provider rules), ``local``, ``domain``,
    ``free_mail``, ``role``. Raises ``CrmkitError``."""
    return _native.normalize_email(to_json(email))


def normalize_domain(domain: str) -> dict:
    """The ``host`` and registrable ``domain`` of a URL, e-mail address or host, and whether
    it is ``free_mail``. Raises ``CrmkitError``."""
    return _native.normalize_domain(to_json(domain))


def normalize_person_name(name: str) -> dict:
    """A person's name: ``normalized``, ``pinyin`` (Chinese) and an order-free ``key`` shared
    by 张伟, Zhang Wei and Wei Zhang. Raises ``CrmkitError``."""
    return _native.normalize_person_name(to_json(name))


def normalize_credit_code(code: str) -> dict:
    """A unified social credit code checked by its check character, split into its fields.
    Raises ``CrmkitError`` (``invalid_value`` at ``credit_code``)."""
    return _native.normalize_credit_code(to_json(code))


def compare(comparator: Mapping[str, Any], a: str, b: str) -> dict:
    """Compares two values: ``similarity`` in [0, 1], the normalised ``left`` and ``right``,
    ``reasons``, and for ``{"type": "company_name"}`` a ``verdict`` (DUPLICATE / RELATED /
    DISTINCT) and both names' ``parts``. Raises ``CrmkitError``.

    >>> import crmkit
    >>> c = crmkit.compare({"type": "company_name"}, "北京字节跳动科技有限公司", "字节跳动（北京）科技有限公司")
    >>> c["verdict"], c["reasons"]
    ('DUPLICATE', ['brand_same', 'region_same'])
    """
    return _native.compare(to_json(comparator), to_json(a), to_json(b))
