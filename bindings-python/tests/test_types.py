"""The stub's names exist at run time, and help() shows every policy key."""

from __future__ import annotations

import ast
import pathlib
import pydoc
import typing

import pytest

import crmkit
from crmkit import _types

STUB = pathlib.Path(crmkit.__file__).with_name("__init__.pyi")


def stub_names() -> tuple[set[str], set[str]]:
    """Public functions, and every other public name the stub defines."""
    functions, others = set(), set()
    for node in ast.parse(STUB.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef):
            functions.add(node.name)
        else:
            others.update(n for n in _types._defines(node) if not n.startswith("_"))
    return functions, others


def test_every_stub_name_is_importable_at_run_time():
    functions, others = stub_names()
    assert {"ForecastPolicy", "ForecastReport", "Deal", "Placement", "CrmkitError"} <= others
    for name in sorted(functions | others):
        assert getattr(crmkit, name) is not None, name
    namespace: dict[str, object] = {}
    exec("from crmkit import ForecastPolicy, ForecastReport, DecimalInput, Reason", namespace)  # noqa: S102
    assert namespace["ForecastPolicy"] is crmkit.ForecastPolicy


def test_the_runtime_typeddicts_are_the_stubs():
    assert typing.is_typeddict(crmkit.ForecastPolicy)
    assert crmkit.ForecastPolicy.__required_keys__ == {"stages", "duration_unit", "placement"}
    assert "group_by" in crmkit.ForecastPolicy.__optional_keys__
    assert crmkit.ForecastPolicy.__module__ == "crmkit"
    assert set(typing.get_args(crmkit.Placement)) == {"remaining_full", "half_elapsed", "actual", "expected_close"}
    # A TypedDict builds the plain dict the functions take.
    policy = crmkit.ForecastPolicy(stages=[{"name": "open", "conversion": "1", "duration": "0"}], duration_unit="days", placement="remaining_full")
    report = crmkit.forecast(policy, [{"id": "a", "stage": "open", "amount": "1"}], "2026-01-05")
    assert set(report) == set(crmkit.ForecastReport.__annotations__)


def test_unknown_names_are_attribute_errors():
    with pytest.raises(AttributeError, match="NoSuchThing"):
        crmkit.NoSuchThing  # noqa: B018
    with pytest.raises(ImportError):
        exec("from crmkit import NoSuchThing", {})  # noqa: S102


@pytest.mark.parametrize(
    ("function", "types"),
    [
        ("forecast", ["ForecastPolicy", "Stage", "Deal"]),
        ("forecast_frame", ["ForecastPolicy", "Stage"]),
        ("forecast_ranges", ["ForecastPolicy", "RangeSettings", "Deal"]),
        ("allocate_target", ["AllocationPolicy", "AllocationInput", "HistoryRow"]),
        ("allocate_tree", ["AllocationTreePolicy", "AllocationTreeInput"]),
        ("funnel_history", ["HistoryPolicy", "StageEvent"]),
    ],
)
def test_help_lists_every_policy_key(function, types):
    text = pydoc.render_doc(getattr(crmkit, function), renderer=pydoc.plaintext)
    for name in types:
        assert f"``{name}`` keys" in text, name
        for key, _, _ in _types.keys(name):
            assert f"    {key}: " in text, f"{function}: {name}.{key}"


def test_every_public_function_documents_its_input_types():
    functions, _ = stub_names()
    for name in functions:
        assert "keys (``crmkit." in (getattr(crmkit, name).__doc__ or ""), f"{name}: decorate it with crmkit._types.document(...)"
