"""The build check, run in a child: `python -m kubeserve.inference.inspect`.

    --model PATH|URL [--requirements PATH|URL] [--code ZIP|URL] --packages-dir DIR
    [--step install|load|all] [--allow-unsafe-pickle]

Scans the pickle without executing it and applies the pickle policy (pickle_policy.py);
`install` then installs what the requirements add (and the scikit-learn version the
artifact records, when requirements.txt pins none) — wheels only, no user code runs, so the
control plane runs this step outside the sandbox, with network; `load` (in the sandbox, no
network) unpickles the model, checks `predict` and records its signature; `all` does both.
Prints ONE JSON object as stdout's last line: `{"ok": true, "signature": {...}}` /
`{"ok": true, "notes": [...]}` (exit 0) or `{"ok": false, "error": "..."}` (exit 1).
An http(s) URL (a presigned GET: a build pod on Kubernetes) is first downloaded under TMPDIR.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any


class BuildFailed(Exception):
    """A reason a person can act on."""


def vet(model: Path, allow_unsafe: bool = False, code: Path | None = None) -> Any:
    """Scan the pickle and apply the policy (the user's shipped modules allowed); the scan,
    or BuildFailed. Never unpickles, never imports the shipped code."""
    from kubeserve.inference import shipped
    from kubeserve.inference.pickle_policy import reason, refused
    from kubeserve.inference.pickle_scan import NotAPickle, scan_file

    if not model.is_file():
        raise BuildFailed(f"model file not found: {model}")
    try:
        scan = scan_file(model)
    except NotAPickle as exc:
        raise BuildFailed(str(exc)) from None
    own = [*shipped.modules_in(code), "__main__"] if code is not None else []
    bad = refused(scan.globals, own)
    if bad and not allow_unsafe:
        raise BuildFailed(reason(bad))
    return scan


def install(scan: Any, requirements: Path | None, packages_dir: Path, index_url: str | None) -> list[str]:
    """Install what the requirements add (wheels only); notes worth telling the user."""
    from kubeserve.inference import installer
    from kubeserve.inference.requirements import RequirementsError

    text = ""
    if requirements is not None and requirements.is_file():  # an upload may have none
        text = requirements.read_text(errors="replace")
    try:
        return installer.ensure(text, packages_dir, scan.sklearn_version, index_url, scan.modules)
    except (RequirementsError, installer.InstallError) as exc:
        raise BuildFailed(str(exc)) from None


def describe(
    model: Path,
    scan: Any,
    packages_dir: Path,
    notes: list[str],
    code: Path | None = None,
    allow_unsafe: bool = False,
) -> dict[str, Any]:
    """Unpickle and describe the model. Runs user code: only ever call in a sandboxed child."""
    from kubeserve.inference import installer, shipped
    from kubeserve.inference.model import ModelLoadError, SklearnModel
    from kubeserve.inference.pickle_policy import not_rebuilders, reason, refused
    from kubeserve.inference.signature import describe as signature_of

    installer.activate(packages_dir)
    modules = shipped.activate(code) if code is not None else []
    own = [*modules, "__main__"] if code is not None else []
    calls = not_rebuilders(scan.globals, own)  # needs the version's packages: checked here
    if calls and not allow_unsafe:
        raise BuildFailed(reason(calls))
    bad = refused(scan.globals, own)
    bad += [g for g in calls if g not in bad]
    if bad:
        notes.append(f"accepted by its owner: the pickle imports {', '.join(bad)} (runs code when loaded)")
    try:
        loaded = SklearnModel.load(model, modules)
    except ModelLoadError as exc:
        raise BuildFailed(str(exc)) from None
    signature = signature_of(loaded)
    if code is not None:
        signature["code"] = {"modules": modules}
    signature.update(
        pickle_modules=scan.modules,
        pickle_globals=scan.globals,
        sklearn_version_recorded=scan.sklearn_version,
        notes=notes,
    )
    return signature


def local_files(args: argparse.Namespace) -> None:
    """Download what is given as an http(s) URL; a local path stays as it is."""
    from kubeserve.inference.artifact import ArtifactError, fetch

    folder: Path | None = None
    for name in ("model", "requirements", "code"):
        value = getattr(args, name)
        if value is None or not value.startswith(("http://", "https://")):
            setattr(args, name, Path(value) if value is not None else None)
            continue
        folder = folder or Path(tempfile.mkdtemp(prefix="inspect-"))
        try:
            setattr(args, name, fetch(value, folder / name))  # a folder each: names may clash
        except ArtifactError as exc:
            raise BuildFailed(str(exc)) from None


def run(args: argparse.Namespace) -> dict[str, Any]:
    local_files(args)
    scan = vet(args.model, args.allow_unsafe_pickle, args.code)
    notes = args.note
    if args.step in ("install", "all"):
        notes = notes + install(scan, args.requirements, args.packages_dir, args.index_url)
        if args.step == "install":
            return {"ok": True, "notes": notes}
    signature = describe(args.model, scan, args.packages_dir, notes, args.code, args.allow_unsafe_pickle)
    return {"ok": True, "signature": signature}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kubeserve.inference.inspect", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--model", required=True, help="a path, or an http(s) URL to download")
    parser.add_argument("--requirements", help="a path, or an http(s) URL to download")
    parser.add_argument("--packages-dir", type=Path, required=True)
    parser.add_argument("--index-url", help="package index (default: pip's, PIP_INDEX_URL)")
    parser.add_argument("--step", choices=("install", "load", "all"), default="all")
    parser.add_argument("--allow-unsafe-pickle", action="store_true", help="the owner's switch")
    parser.add_argument("--code", help="the user's shipped code (code.zip): a path or an http(s) URL")
    parser.add_argument("--note", action="append", default=[], help="notes of an earlier step")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    try:
        answer = run(args)
    except BuildFailed as exc:
        answer = {"ok": False, "error": str(exc)}
    except Exception as exc:  # a user's model can fail in any way: still answer in JSON
        logging.exception("inspect crashed")
        answer = {"ok": False, "error": f"the model could not be checked: {type(exc).__name__}: {exc}"}
    sys.stdout.write("\n" + json.dumps(answer, default=str) + "\n")
    sys.stdout.flush()
    return 0 if answer["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
