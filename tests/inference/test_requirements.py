"""requirements.txt: strict parsing, diffing against what is installed, private installs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy
import pytest
import sklearn
from packaging.requirements import Requirement

from kubeserve.inference import installer
from kubeserve.inference.requirements import (
    RequirementsError,
    parse_requirements,
    pin_recorded_sklearn,
    unsatisfied,
)
from tests.inference.models import make_wheel


def test_plain_requirements_parse() -> None:
    reqs = parse_requirements(
        "# comment\nnumpy>=1.20  # inline\n\npandas[performance]==2.2; python_version>'3'\n"
    )
    assert [str(r) for r in reqs] == ["numpy>=1.20", 'pandas[performance]==2.2; python_version > "3"']


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("-e git+https://github.com/x/y.git#egg=y", "options such as -e"),
        ("-r other.txt", "options such as -e"),
        ("--index-url https://evil.example/simple", "options such as -e"),
        ("https://example.com/pkg-1.0-py3-none-any.whl", "URLs, VCS links and local paths"),
        ("git+https://github.com/x/y.git", "URLs, VCS links and local paths"),
        ("./local/pkg", "URLs, VCS links and local paths"),
        ("pkg @ https://example.com/pkg.whl", "URLs, VCS links and local paths"),
        ("not a requirement!!", "not a valid requirement"),
    ],
)
def test_anything_but_a_plain_requirement_is_refused(line: str, reason: str) -> None:
    with pytest.raises(RequirementsError) as info:
        parse_requirements(f"numpy\n{line}\n")
    assert "line 2" in str(info.value) and reason in str(info.value)


def test_diff_checks_name_and_specifier(tmp_path: Path) -> None:
    reqs = parse_requirements(
        f"numpy=={numpy.__version__}\nscikit-learn>=1.0\n"
        "numpy<1.0\nkubeserve-no-such-dist\nwinonly; sys_platform=='win32'"
    )
    assert [str(r) for r in unsatisfied(reqs, tmp_path)] == ["numpy<1.0", "kubeserve-no-such-dist"]


def test_satisfied_requirements_install_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_install(*args: object) -> None:
        raise AssertionError("nothing should be installed")

    monkeypatch.setattr(subprocess, "run", no_install)
    notes = installer.ensure(
        f"numpy\nscikit-learn=={sklearn.__version__}\n", tmp_path / "pk", recorded_sklearn=sklearn.__version__
    )
    assert notes == []


def test_missing_requirement_installed_from_a_local_wheel(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    make_wheel(wheels, "kstiny", "0.2.0")
    packages = tmp_path / "packages"
    env = {"PIP_FIND_LINKS": str(wheels), "PIP_NO_INDEX": "1"}
    code = (
        "import sys; from pathlib import Path; from kubeserve.inference import installer; "
        f"print(installer.ensure('kstiny==0.2.0', Path({str(packages)!r}))); "
        "import kstiny; print(kstiny.VERSION, kstiny.__file__)"
    )
    # A child: the test process's own sys.path stays clean.
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**_base_env(), **env}, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert "installed kstiny==0.2.0" in out.stdout
    assert f"0.2.0 {packages}" in out.stdout
    assert [str(r) for r in unsatisfied([Requirement("kstiny==0.2.0")], packages)] == []
    assert [str(r) for r in unsatisfied([Requirement("kstiny>=1")], packages)] == ["kstiny>=1"]


def test_install_failure_names_the_requirement(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))
    with pytest.raises(installer.InstallError, match="could not install kstiny==9.9"):
        installer.install([Requirement("kstiny==9.9")], tmp_path / "pk")


def test_recorded_sklearn_is_pinned_only_when_requirements_pin_none() -> None:
    reqs = parse_requirements("numpy\nscikit-learn\n")
    pinned, note = pin_recorded_sklearn(reqs, "1.2.2", sklearn.__version__)
    assert [str(r) for r in pinned] == ["numpy", "scikit-learn==1.2.2"]
    assert note is not None and "trained with scikit-learn 1.2.2" in note
    own = parse_requirements("scikit-learn>=1.3")
    assert pin_recorded_sklearn(own, "1.2.2", "1.5.0") == (own, None)
    assert pin_recorded_sklearn(reqs, sklearn.__version__, sklearn.__version__) == (reqs, None)
    assert pin_recorded_sklearn(reqs, None, sklearn.__version__) == (reqs, None)


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}


def test_install_failure_keeps_the_installer_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A package with only a source distribution: the installer's own words say why."""
    import tarfile

    sdist_dir = tmp_path / "links"
    sdist_dir.mkdir()
    setup = tmp_path / "setup.py"
    setup.write_text("from setuptools import setup; setup(name='kssdist', version='1.0')\n")
    with tarfile.open(sdist_dir / "kssdist-1.0.tar.gz", "w:gz") as tar:
        tar.add(setup, arcname="kssdist-1.0/setup.py")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(sdist_dir))
    with pytest.raises(installer.InstallError) as failure:
        installer.install([Requirement("kssdist==1.0")], tmp_path / "pk")
    message = str(failure.value)
    # uv says "has no usable wheels"; pip says it found no (binary) version to install
    assert "has no usable wheels" in message or "from versions: none" in message, message


def test_requirements_are_bounded() -> None:
    from kubeserve.inference.requirements import RequirementsError, parse_requirements

    assert len(parse_requirements("".join(f"pkg{i}==1\n" for i in range(100)))) == 100
    for text in ["".join(f"p{i}\n" for i in range(101)), "a" * 501, "#\n" * 1001]:
        with pytest.raises(RequirementsError):
            parse_requirements(text)
