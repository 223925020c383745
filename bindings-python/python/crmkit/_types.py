"""The types of crmkit's stubs, at run time.

``crmkit/__init__.pyi`` is the one description of the shapes crmkit takes and returns
(``ForecastPolicy``, ``ForecastReport``, the ``Literal`` names...). mypy and IDEs read it;
this module makes the same names importable at run time (``from crmkit import
ForecastPolicy``) by reading the stub's type definitions, not its function signatures, the
first time one is asked for. Every domain's types come along with nothing to keep in sync.
"""

from __future__ import annotations

import __future__
import ast
import functools
import importlib
import inspect
import pathlib
import typing
from typing import Any

_STUB = pathlib.Path(__file__).with_name("__init__.pyi")
# Modules the stub's type definitions may use; anything else (pandas, for function
# signatures) is left out, and a definition that needs it is `Any` at run time.
_MODULES = {"datetime", "decimal", "typing", "typing_extensions", "collections.abc"}


@functools.lru_cache(maxsize=None)
def _tree() -> ast.Module:
    return ast.parse(_STUB.read_text(encoding="utf-8"))


def _defines(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and node.value is not None and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def _import(node: ast.Import | ast.ImportFrom, namespace: dict[str, Any]) -> None:
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name in _MODULES:
                namespace[alias.asname or alias.name] = importlib.import_module(alias.name)
        return
    if node.module not in _MODULES:
        return
    for alias in node.names:
        value = None
        for module in (node.module, "typing"):  # typing_extensions may be absent: typing has them on 3.11+
            try:
                value = getattr(importlib.import_module(module), alias.name)
                break
            except (ImportError, AttributeError):
                continue
        # Unknown here, only ever used in annotations, which stay strings.
        namespace[alias.asname or alias.name] = value if value is not None else typing.Any


@functools.lru_cache(maxsize=None)
def names() -> dict[str, Any]:
    """Every type the stub defines (TypedDicts, Literal and Union aliases), by name."""
    import crmkit

    namespace: dict[str, Any] = {"__name__": "crmkit"}
    defined: dict[str, Any] = {}
    # Annotations evaluated, so that TypedDict sees NotRequired; where that fails (`X | None`
    # before Python 3.10, no typing_extensions before 3.11) they stay strings, as in a stub.
    lazy = __future__.annotations.compiler_flag
    for node in _tree().body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            _import(node, namespace)
            continue
        targets = [n for n in _defines(node) if not n.startswith("_") and n not in vars(crmkit)]
        if not targets:
            continue  # functions, CrmkitError and __version__ are the real ones
        module = ast.Module(body=[node], type_ignores=[])
        for flags in (0, lazy):
            try:
                exec(compile(module, str(_STUB), "exec", flags=flags, dont_inherit=True), namespace)  # noqa: S102
                break
            except Exception:  # noqa: BLE001, S112 - an alias over a type absent at run time
                continue
        else:
            for name in targets:
                namespace[name] = typing.Any
        for name in targets:
            defined[name] = namespace[name]
    return defined


def keys(name: str) -> list[tuple[str, str, bool]]:
    """The keys of the stub's TypedDict ``name``: (key, annotation as written, required)."""
    for node in _tree().body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            out = []
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    text = ast.unparse(item.annotation)
                    optional = text.startswith("NotRequired[")
                    out.append((item.target.id, text[len("NotRequired[") : -1] if optional else text, not optional))
            return out
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and _defines(node) == [name]:
            fields = node.value.args[1]
            if isinstance(fields, ast.Dict):
                return [(k.value, ast.unparse(v), True) for k, v in zip(fields.keys, fields.values) if isinstance(k, ast.Constant)]
    raise KeyError(name)


def describe(*type_names: str) -> str:
    """Text for a function's docstring: the keys of these TypedDicts and of the TypedDicts
    they contain, as the stub declares them."""
    lines: list[str] = []
    seen: set[str] = set()
    todo = list(type_names)
    while todo:
        name = todo.pop(0)
        if name in seen:
            continue
        seen.add(name)
        try:
            fields = keys(name)
        except KeyError:
            continue  # an alias (Literal, Union): its values are in its annotation text
        lines.append(f"``{name}`` keys (``crmkit.{name}``):")
        for key, annotation, required in fields:
            lines.append(f"    {key}: {annotation}{'' if required else '  (optional)'}")
            todo.extend(n for n in _names_in(annotation) if n not in seen)
        lines.append("")
    literals = [f"    {name}: {' | '.join(values)}" for name in sorted(seen) if (values := _literal(name))]
    if literals:
        lines += ["Allowed values:", *literals, ""]
    return "\n".join(lines)


def _literal(name: str) -> list[str]:
    """The values of the stub's ``name = Literal[...]`` alias, else nothing."""
    for node in _tree().body:
        if isinstance(node, ast.Assign) and _defines(node) == [name] and isinstance(node.value, ast.Subscript):
            if getattr(node.value.value, "id", "") == "Literal":
                elts = node.value.slice.elts if isinstance(node.value.slice, ast.Tuple) else [node.value.slice]
                return [repr(e.value) for e in elts if isinstance(e, ast.Constant)]
    return []


def _names_in(annotation: str) -> list[str]:
    tree = ast.parse(annotation, mode="eval")
    return [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id[:1].isupper()]


def document(*type_names: str) -> Any:
    """Decorator: appends the keys of these stub TypedDicts to a function's docstring, so
    ``help(crmkit.forecast)`` lists every policy key."""

    def decorate(fn: Any) -> Any:
        doc = inspect.cleandoc(fn.__doc__ or "")
        fn.__doc__ = f"{doc}\n\n{describe(*type_names)}".rstrip() + "\n"
        return fn

    return decorate
