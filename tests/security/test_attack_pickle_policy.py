"""Pickle-policy bypasses: code-running helpers inside allowed packages.

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

from kubeserve.inference.pickle_policy import refused
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
