"""Pickle-policy bypasses: code-running helpers inside allowed packages.

Second pass (cleanup): the name deny-list still let library *functions* through that read,
write or evaluate what the pickle gives them (`pandas.read_pickle` = another, unchecked
unpickling; `pandas.read_csv`, `numpy.save`, `scipy.io.loadmat`, ...). A pickle may now call
only classes, numpy ufuncs and the packages' rebuild helpers (`not_rebuilders`).

The policy allows whole packages (numpy, pandas, scipy, ...) minus dangerous *names*. Some
allowed packages hold helpers that run what they are given under harmless names:
`numpy.testing._private.utils.runstring(src, {})` is `exec(src, {})`. A pickle calling it
ran arbitrary code in the build and the replicas by default, without the owner's switch.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest

from kubeserve.inference.pickle_policy import not_rebuilders, refused
from kubeserve.inference.pickle_scan import scan_file


class _Via:
    def __init__(self, fn: Any, *args: Any) -> None:
        self.fn, self.args = fn, args

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (self.fn, self.args)


def _bypasses() -> list[Any]:
    from numpy import ctypeslib
    from numpy.testing._private import extbuild, utils

    return [
        _Via(utils.runstring, "import os; os.getpid()", {}),
        _Via(ctypeslib.load_library, "libevil", "/tmp"),
        _Via(extbuild.build_and_import_extension, "evil", []),
    ]


@pytest.mark.parametrize("index", range(3))
def test_code_running_helpers_of_allowed_packages_are_refused(tmp_path: Path, index: int) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(_bypasses()[index], protocol=4))
    found = scan_file(path).globals
    assert refused(found) != [], found


LIBRARY_FUNCTIONS = [
    "pandas.io.pickle:read_pickle",  # a second unpickling, unchecked
    "pandas:read_pickle",
    "pandas:read_csv",
    "pandas.io.clipboard:clipboard_get",
    "pandas.io.parquet:read_parquet",
    "numpy:loadtxt",
    "numpy:fromfile",
    "numpy:save",
    "numpy.lib.format:open_memmap",
    "scipy.io:loadmat",
    "scipy.io:savemat",
    "joblib:dump",
    "sklearn.utils:_safe_indexing",
]


@pytest.mark.parametrize("item", LIBRARY_FUNCTIONS)
def test_library_functions_that_the_name_list_let_through_are_refused(item: str) -> None:
    assert refused(["numpy:ndarray", item]) == []  # the name deny-list alone: passed
    assert not_rebuilders(["numpy:ndarray", item]) == [item]


def test_a_read_pickle_model_fails_its_build(tmp_path: Path) -> None:
    import pandas as pd

    from kubeserve.inference.inspect import BuildFailed, describe, vet

    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(_Via(pd.read_pickle, str(tmp_path / "other.pkl")), protocol=4))
    scan = vet(path)  # the static scan alone lets it through
    with pytest.raises(BuildFailed, match="pandas.io.pickle.read_pickle"):
        describe(path, scan, tmp_path / "packages", [])


# Third pass (attacker2): classes *reachable* through an allowed module but defined elsewhere
# passed as "classes", and joblib's loader passed as a rebuild helper by its name (`_unpickle*`).
FOREIGN_OR_LOADERS = [
    "dateutil.zoneinfo:BytesIO",  # io.BytesIO: a file object of the pickle's bytes
    "pandas.io.common:TextIOWrapper",
    "scipy._lib._ccallback:PyCFuncPtr",  # ctypes' function pointer: call any C function
    "joblib.numpy_pickle:Unpickler",  # pickle's own Unpickler
    "dateutil.zoneinfo.rebuild:TarFile",
    "joblib.numpy_pickle:_unpickle",  # joblib's loader: a second, unchecked unpickling
    "pandas.io.pytables:Term",  # pandas.core.computation's expression, re-exported
]


@pytest.mark.parametrize("item", FOREIGN_OR_LOADERS)
def test_foreign_classes_and_loaders_reached_through_allowed_modules_are_refused(item: str) -> None:
    assert refused(["numpy:ndarray", item]) == []  # the name deny-list alone: passed
    assert not_rebuilders(["numpy:ndarray", item]) == [item]


def test_a_second_unpickling_through_joblibs_loader_runs_nothing(tmp_path: Path) -> None:
    """`joblib.numpy_pickle._unpickle(dateutil.zoneinfo.BytesIO(inner), False)`: both passed
    the policy, and the inner pickle (never scanned) ran `exec` in the build without the switch."""
    from kubeserve.inference.inspect import BuildFailed, describe, vet

    marker = tmp_path / "pwned"
    inner = pickle.dumps(_Via(exec, f"open({str(marker)!r}, 'w').write('pwned')"), protocol=4)
    outer = (
        b"\x80\x04cjoblib.numpy_pickle\n_unpickle\ncdateutil.zoneinfo\nBytesIO\n"
        + b"B"
        + len(inner).to_bytes(4, "little")
        + inner
        + b"\x85R\x89\x86R."  # BytesIO(inner); _unpickle(that, False)
    )
    path = tmp_path / "model.pkl"
    path.write_bytes(outer)
    scan = vet(path)
    assert sorted(scan.globals) == ["dateutil.zoneinfo:BytesIO", "joblib.numpy_pickle:_unpickle"]
    with pytest.raises(BuildFailed, match="joblib.numpy_pickle._unpickle"):
        describe(path, scan, tmp_path / "packages", [])
    assert not marker.exists()


def test_a_pandas_expression_class_runs_nothing(tmp_path: Path) -> None:
    """`pandas.core.computation.expr.Expr(src)` (a class defined in pandas) evaluates `src` in
    its constructor, attribute access and calls included, with the loader's frame in scope."""
    from kubeserve.inference.inspect import BuildFailed, describe, vet

    marker = tmp_path / "pwned"
    source = f"sys.modules.get('os').system('touch {marker}')".encode()
    path = tmp_path / "model.pkl"
    path.write_bytes(
        b"\x80\x04cpandas.core.computation.expr\nExpr\nX"
        + len(source).to_bytes(4, "little")
        + source
        + b"\x85R."  # Expr(source)
    )
    with pytest.raises(BuildFailed, match="pandas.core.computation.expr.Expr"):
        describe(path, vet(path), tmp_path / "packages", [])
    assert not marker.exists()
