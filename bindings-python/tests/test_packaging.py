"""What `scripts/python.sh` builds, and the README's install paths: the wheel's platform tag,
an sdist that builds on its own, and no `pip install crmkit` from an index that lacks it."""

from __future__ import annotations

import os
import re
import subprocess
import tarfile
import tomllib
from pathlib import Path

import crmkit

REPO = Path(__file__).resolve().parents[2]
WHEELS = REPO / "target" / "wheels"
README = (REPO / "README.md").read_text(encoding="utf-8")


def one(pattern: str) -> Path:
    found = sorted(WHEELS.glob(pattern))
    assert len(found) == 1, f"{pattern} in {WHEELS}: {found}"
    return found[0]


def test_the_sdist_carries_the_rust_workspace_it_builds_from():
    sdist = one("crmkit-*.tar.gz")
    with tarfile.open(sdist) as tar:
        root = tar.getnames()[0].split("/")[0]
        names = {n.removeprefix(f"{root}/") for n in tar.getnames()}
        pyproject = tomllib.loads(tar.extractfile(f"{root}/pyproject.toml").read().decode())
        workspace = tomllib.loads(tar.extractfile(f"{root}/Cargo.toml").read().decode())
    for needed in ["Cargo.lock", "core/src/lib.rs", "bindings-python/src/lib.rs", "python/crmkit/__init__.pyi", "python/crmkit/py.typed"]:
        assert needed in names, needed
    assert pyproject["tool"]["maturin"]["manifest-path"] in names
    # Only members the archive holds: the WASM crate, benches and tests stay out.
    assert all(f"{m}/Cargo.toml" in names for m in workspace["workspace"]["members"]), workspace["workspace"]["members"]
    assert pyproject["project"]["optional-dependencies"]["pandas"], "the [pandas] extra"


def test_the_wheel_tag():
    wheel = one("crmkit-*.whl").name
    assert "-cp39-abi3-" in wheel, wheel
    if os.environ.get("CRMKIT_PORTABLE_WHEEL") == "1":
        # zig links against glibc 2.17: no symbol of a later glibc in the installed module.
        assert "manylinux_2_17_x86_64" in wheel, wheel
        native = next(Path(crmkit.__file__).parent.glob("_native*.so"))
        symbols = subprocess.run(["objdump", "-T", str(native)], capture_output=True, text=True, check=True).stdout
        versions = {tuple(map(int, v.split("."))) for v in re.findall(r"GLIBC_(\d+\.\d+)", symbols)}
        assert max(versions) <= (2, 17), sorted(versions)[-3:]
    else:
        assert re.search(r"manylinux_2_\d+_x86_64", wheel), wheel


def install_table() -> str:
    start = README.index("## Install")
    return README[start : README.index("\n## ", start + 1)]


def test_the_readme_installs_from_the_clone_never_from_an_index():
    table = install_table()
    for command in ['pip install ./bindings-python', 'pip install "./bindings-python[pandas]"', "bash scripts/python.sh --build-only"]:
        assert command in table, command
    assert not re.search(r"pip install ['\"]?crmkit", README), "crmkit is not on PyPI"
