"""The Python surface: types in and out, errors, no mutation, version, packaging."""

from __future__ import annotations

import copy
import datetime
import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

import crmkit

REPO = Path(__file__).resolve().parents[2]

POLICY = {
    "stages": [
        {"name": "lead", "conversion": "0.3", "duration": "30"},
        {"name": "proposal", "conversion": Decimal("0.6"), "duration": 15},
        {"name": "won", "kind": "won"},
        {"name": "lost", "kind": "lost"},
    ],
    "duration_unit": "days",
    "placement": "actual",
    "undated": "half_elapsed",
    "group_by": ["owner"],
}
DEALS = [
    {"id": "a", "stage": "lead", "amount": Decimal("1000.50"), "owner": "ann", "entered_stage_on": datetime.date(2026, 11, 1)},
    {"id": "b", "stage": "proposal", "amount": "2500", "owner": "bob", "entered_stage_on": "2026-10-01"},
    {"id": "c", "stage": "won", "amount": 700, "owner": "ann"},
    {"id": "d", "stage": "proposal", "amount": "99.99"},
]
AS_OF = datetime.date(2026, 11, 23)


def _raises(code: str, path: str, fn, *args, **kwargs) -> crmkit.CrmkitError:
    with pytest.raises(crmkit.CrmkitError) as caught:
        fn(*args, **kwargs)
    assert (caught.value.code, caught.value.path) == (code, path), str(caught.value)
    return caught.value


def _walk(value):
    yield value
    if isinstance(value, dict):
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)


def test_installed_wheel_not_source_tree():
    source = REPO / "bindings-python" / "python"
    assert source not in Path(crmkit.__file__).resolve().parents, crmkit.__file__
    assert "site-packages" in crmkit.__file__


def test_money_is_decimal_and_dates_are_dates():
    report = crmkit.forecast(POLICY, DEALS, AS_OF)
    assert report["as_of"] == AS_OF and type(report["as_of"]) is datetime.date
    assert report["placement"] == "actual" and report["duration_unit"] == "days"
    line = report["deals"][0]
    assert line["amount"] == Decimal("1000.50") and isinstance(line["amount"], Decimal)
    assert line["probability"] == Decimal("0.18")
    assert line["weighted"] == Decimal("180.09")
    assert line["in_stage"] == Decimal(22) and line["reasons"] == ["weighted_by_stage_probability", "placed_actual"]
    assert report["deals"][3]["reasons"][-2:] == ["undated_fallback", "placed_half_elapsed"]
    for m in report["months"]:
        assert isinstance(m["month"], str) and isinstance(m["offset"], int) and isinstance(m["deals"], int)
        assert isinstance(m["amount"], Decimal) and isinstance(m["weighted"], Decimal)
    assert report["totals"]["won"]["amount"] == Decimal("700.00")
    assert [g["key"] for g in report["groups"]] == [{"owner": None}, {"owner": "ann"}, {"owner": "bob"}]
    assert not any(isinstance(v, float) for v in _walk(report))


def test_as_of_accepts_date_or_iso_string():
    assert crmkit.forecast(POLICY, DEALS, AS_OF) == crmkit.forecast(POLICY, DEALS, "2026-11-23")


def test_datetime_as_of_is_invalid_date():
    _raises("invalid_date", "as_of", crmkit.forecast, POLICY, DEALS, datetime.datetime(2026, 11, 23, 9, 30))


def test_inputs_are_not_mutated():
    policy, deals = copy.deepcopy(POLICY), copy.deepcopy(DEALS)
    crmkit.forecast(policy, deals, AS_OF)
    assert policy == POLICY and deals == DEALS


def test_crmkit_error():
    assert issubclass(crmkit.CrmkitError, ValueError)
    assert crmkit.CrmkitError.__module__ == "crmkit" and crmkit.CrmkitError.__name__ == "CrmkitError"
    bad = [dict(DEALS[0], amount=1000.5)]
    err = _raises("invalid_decimal", "deals[0].amount", crmkit.forecast, POLICY, bad, AS_OF)
    assert str(err).startswith("deals[0].amount: ")
    with pytest.raises(ValueError):
        crmkit.forecast(POLICY, bad, AS_OF)


@pytest.mark.parametrize(
    ("policy_change", "deal_change", "code", "path"),
    [
        ({"placement": "someday"}, {}, "invalid_value", "placement"),
        ({"stages": [{"name": "won", "kind": "won"}]}, {"stage": "won"}, "no_open_stage", "stages"),
        ({}, {"stage": "nowhere"}, "unknown_stage", "deals[0].stage"),
        ({}, {"amount": "-1"}, "negative_amount", "deals[0].amount"),
        ({}, {"amount": Decimal("NaN")}, "invalid_decimal", "deals[0].amount"),
        ({}, {"entered_stage_on": datetime.date(2026, 12, 1)}, "date_after_as_of", "deals[0].entered_stage_on"),
        ({}, {"entered_stage_on": datetime.datetime(2026, 11, 1, 8)}, "invalid_date", "deals[0].entered_stage_on"),
        ({}, {"typo": 1}, "unknown_field", "deals[0].typo"),
    ],
)
def test_core_error_codes_reach_python(policy_change, deal_change, code, path):
    _raises(code, path, crmkit.forecast, {**POLICY, **policy_change}, [{**DEALS[0], **deal_change}], AS_OF)


def test_decimals_in_any_exponent_form_are_passed_in_full():
    # str(Decimal("1E+3")) is "1E+3", which the core refuses; crmkit writes the digits.
    deals = [
        dict(DEALS[0], amount=Decimal("1E+3")),
        dict(DEALS[1], amount=Decimal("0E-8")),
        dict(DEALS[3], amount=Decimal("1.25E-1")),
    ]
    lines = crmkit.forecast(POLICY, deals, AS_OF)["deals"]
    assert [format(x["amount"], "f") for x in lines] == ["1000", "0.00000000", "0.125"]


def test_numpy_integers_are_integers():
    np = pytest.importorskip("numpy")
    report = crmkit.forecast(POLICY, [dict(DEALS[0], amount=np.int64(1200))], AS_OF)
    assert report["deals"][0]["amount"] == Decimal(1200)


def test_unsupported_objects_are_a_crmkit_error():
    # A set is an iterable (read as a list), which is not an amount; an object crmkit has no
    # reason to read is invalid_type at its path. Never a bare TypeError.
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.forecast(POLICY, [dict(DEALS[0], amount={1, 2})], AS_OF)
    assert (caught.value.code, caught.value.path) == ("invalid_type", "deals[0].amount")
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.forecast(POLICY, [dict(DEALS[0], amount=object())], AS_OF)
    assert (caught.value.code, caught.value.path) == ("invalid_type", "deals[0].amount")


def _workspace_version() -> str:
    text = (REPO / "Cargo.toml").read_text(encoding="utf-8")
    section = re.search(r"^\[workspace\.package\]\n(.*?)(?=^\[)", text, re.S | re.M)
    assert section, "Cargo.toml has a [workspace.package] section"
    version = re.search(r'^version\s*=\s*"([^"]+)"', section.group(1), re.M)
    assert version, "[workspace.package] has a version"
    return version.group(1)


def test_version_matches_workspace_and_npm_package():
    assert crmkit.__version__ == _workspace_version()
    package_json = REPO / "bindings-wasm" / "package.json"
    if package_json.exists():
        assert json.loads(package_json.read_text(encoding="utf-8"))["version"] == crmkit.__version__


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/", check=False)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_import_loads_neither_numpy_nor_pandas():
    assert _run("import sys, crmkit; print(sorted({'numpy', 'pandas'} & set(sys.modules)))") == "[]"


def test_works_without_numpy_installed():
    code = """
import sys
class NoNumpy:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("numpy", "pandas"):
            raise ImportError(f"no {name} here")
sys.meta_path.insert(0, NoNumpy())
import crmkit
policy = {"stages": [{"name": "open", "conversion": "0.5", "duration": "1"}],
          "duration_unit": "months", "placement": "remaining_full"}
print(crmkit.forecast(policy, [{"id": "a", "stage": "open", "amount": "10"}], "2026-01-01")["totals"]["open"]["weighted"])
try:
    crmkit.forecast_frame(None, policy, "2026-01-01")
except ImportError:
    print("frame needs pandas")
"""
    assert _run(code).splitlines() == ["5.00", "frame needs pandas"]


def test_every_frame_function_says_how_to_install_pandas():
    code = """
import sys
class NoNumpy:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("numpy", "pandas"):
            raise ImportError(f"no {name} here")
sys.meta_path.insert(0, NoNumpy())
import crmkit
for call in (lambda: crmkit.forecast_frame(None, {}, "2026-01-01"), lambda: crmkit.score_frame(None, {}, "2026-01-01"),
             lambda: crmkit.evaluate_pool_frame(None, None, {}, "2026-01-01"), lambda: crmkit.attribution_frame(None, {})):
    try:
        call()
    except ImportError as e:
        print("crmkit[pandas]" in str(e))
"""
    assert _run(code).splitlines() == ["True"] * 4


def test_type_stubs_ship_with_the_package():
    package = Path(crmkit.__file__).parent
    for name in ("py.typed", "__init__.pyi", "_native.pyi"):
        assert (package / name).exists(), name
