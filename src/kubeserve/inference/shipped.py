"""The user's shipped code (code.zip, see registry/code.py) made importable before loading.

The zip goes on `sys.path` as it is (zipimport: nothing is extracted, so the sandbox can keep
it read-only). A class pickled as `__main__.X` (defined in a notebook or a script) is looked
up in the shipped modules: `__main__` gets a module `__getattr__` that imports them in turn.
"""

from __future__ import annotations

import importlib
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
HOW_TO_SHIP = (
    "ship the code that defines it with the model: `kubeserve push model.joblib --code my_code.py` "
    "(or the upload's code_file field: a .py file, or a .zip/.tar.gz of modules)"
)


def top_level_modules(names: list[str]) -> list[str]:
    """Importable top-level names among archive entries: `x.py`, and directories of .py files."""
    found = set()
    for name in names:
        if name.endswith(".py"):
            parts = name.split("/")
            top = parts[0][:-3] if len(parts) == 1 else parts[0]
            if _MODULE.match(top):
                found.add(top)
    return sorted(found)


def modules_in(code: Path) -> list[str]:
    """The top-level modules a code zip provides."""
    with zipfile.ZipFile(code) as archive:
        return top_level_modules(archive.namelist())


def activate(code: Path) -> list[str]:
    """Make the shipped modules importable and `__main__.X` resolve to them; their names."""
    entry = str(code)
    if entry not in sys.path:
        sys.path.insert(0, entry)
    importlib.invalidate_caches()
    modules = modules_in(code)
    main = sys.modules["__main__"]
    fallback = getattr(main, "__getattr__", None)

    def find(name: str) -> Any:
        if name.startswith("__"):  # dunder lookups (copy, pickle protocol) are not classes
            raise AttributeError(name)
        for module in modules:
            found = getattr(importlib.import_module(module), name, None)
            if found is not None:
                return found
        if fallback is not None:
            return fallback(name)
        raise AttributeError(f"module '__main__' has no attribute {name!r}")

    main.__getattr__ = find  # type: ignore[attr-defined,method-assign]
    return modules


_MISSING = re.compile(r"Can't get attribute '([^']+)' on <module '([^']+)'")


def explain_missing(exc: BaseException, shipped: list[str]) -> str | None:
    """A reason naming the class a pickle refers to and cannot find, and how to ship it."""
    match = _MISSING.search(str(exc))
    if match is None:
        return None
    name, module = match.groups()
    main = sys.modules["__main__"]
    if module == getattr(getattr(main, "__spec__", None), "name", None):  # `python -m` names it so
        module = "__main__"
    where = "a notebook or script" if module == "__main__" else f"module {module!r}"
    if shipped:
        return (
            f"the model refers to {module}.{name} (defined in {where}), which the shipped code "
            f"(modules {', '.join(shipped)}) does not define: {HOW_TO_SHIP}"
        )
    return f"the model refers to {module}.{name} (defined in {where}), which is not installed: {HOW_TO_SHIP}"
