"""requirements.txt: parse strictly, diff against what is installed, pin scikit-learn.

Pure functions (no pip, no unpickling) so the control plane can reuse them.
"""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

SKLEARN = "scikit-learn"
MAX_LINES = 1000  # comments included
MAX_REQUIREMENTS = 100
MAX_LINE_LENGTH = 500
# Top-level modules a pickle may import, and the distribution that provides each.
PICKLE_PACKAGES = {"pandas": "pandas"}


class RequirementsError(ValueError):
    """A requirements.txt line that is not a plain `name[extras] specifier; marker`."""


def parse_requirements(text: str) -> list[Requirement]:
    """Plain requirements only: options, includes, URLs, VCS links and paths are refused;
    at most MAX_REQUIREMENTS of them, MAX_LINES lines of at most MAX_LINE_LENGTH characters."""
    reqs: list[Requirement] = []
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        raise RequirementsError(f"requirements.txt has {len(lines)} lines; at most {MAX_LINES} are allowed")
    for lineno, raw in enumerate(lines, start=1):
        if len(raw) > MAX_LINE_LENGTH:
            raise RequirementsError(
                f"requirements.txt line {lineno} is {len(raw)} characters long; "
                f"at most {MAX_LINE_LENGTH} are allowed"
            )
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if len(reqs) == MAX_REQUIREMENTS:
            raise RequirementsError(f"requirements.txt lists more than {MAX_REQUIREMENTS} requirements")
        where = f"requirements.txt line {lineno} ({line!r})"
        if line.startswith("-"):
            raise RequirementsError(
                f"{where}: options such as -e, -r, --index-url are not allowed; "
                "list plain requirements like 'pandas==2.2.2'"
            )
        if "://" in line or line.startswith((".", "/", "~")):
            raise RequirementsError(
                f"{where}: URLs, VCS links and local paths are not allowed; "
                "list a released package from the index instead"
            )
        try:
            req = Requirement(line)
        except InvalidRequirement as exc:
            raise RequirementsError(f"{where}: not a valid requirement ({exc})") from exc
        if req.url:
            raise RequirementsError(f"{where}: direct references (name @ url) are not allowed")
        reqs.append(req)
    return reqs


def search_path(packages_dir: Path | None) -> list[str]:
    """Where installed distributions are looked up: the private dir first, as at run time."""
    head = [str(packages_dir)] if packages_dir is not None and packages_dir.is_dir() else []
    return head + [p for p in sys.path if p not in head]


def installed_version(name: str, packages_dir: Path | None = None) -> str | None:
    """The version of the first distribution called `name` on the search path, if any."""
    for dist in importlib.metadata.distributions(name=name, path=search_path(packages_dir)):
        return dist.version
    return None


def unsatisfied(reqs: list[Requirement], packages_dir: Path | None = None) -> list[Requirement]:
    """The requirements whose name is missing or whose installed version misses the specifier."""
    missing = []
    for req in reqs:
        if req.marker is not None and not req.marker.evaluate():
            continue  # not for this platform / Python
        version = installed_version(req.name, packages_dir)
        if version is None or not req.specifier.contains(version, prereleases=True):
            missing.append(req)
    return missing


def pin_recorded_sklearn(
    reqs: list[Requirement], recorded: str | None, installed: str | None
) -> tuple[list[Requirement], str | None]:
    """Pin the scikit-learn version the artifact was trained with, unless the user pinned one.

    Returns the (possibly extended) requirements and a note saying what was done, if anything.
    """
    own = [r for r in reqs if canonicalize_name(r.name) == SKLEARN]
    if recorded is None or any(r.specifier for r in own):
        return reqs, None
    if recorded == installed:
        return reqs, None
    pinned = [r for r in reqs if r not in own] + [Requirement(f"{SKLEARN}=={recorded}")]
    note = (
        f"the model was trained with scikit-learn {recorded} and requirements.txt pins no "
        f"version; pinned {SKLEARN}=={recorded} (the image has {installed or 'none'})"
    )
    return pinned, note


def implied_by_pickle(modules: list[str], reqs: list[Requirement]) -> list[Requirement]:
    """Distributions the pickle's own imports need and requirements.txt does not list."""
    listed = {canonicalize_name(r.name) for r in reqs}
    needed = {PICKLE_PACKAGES[m.split(".")[0]] for m in modules if m.split(".")[0] in PICKLE_PACKAGES}
    return [Requirement(d) for d in sorted(needed) if canonicalize_name(d) not in listed]
