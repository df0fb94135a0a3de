"""The build check, run in a sandboxed child: `python -m kubeserve.inference.inspect`.

    --model PATH [--requirements PATH] [--code ZIP] --packages-dir DIR

Scans the pickle without executing it, installs what the requirements add (and the
scikit-learn version the artifact records, when requirements.txt pins none), loads the model,
checks `predict`, and prints ONE JSON object as stdout's last line:
`{"ok": true, "signature": {...}}` (exit 0) or `{"ok": false, "error": "..."}` (exit 1).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any


class BuildFailed(Exception):
    """A reason a person can act on."""


def inspect_model(
    model: Path,
    requirements: Path | None,
    packages_dir: Path,
    index_url: str | None = None,
    code: Path | None = None,
) -> dict[str, Any]:
    """The signature of the model, or BuildFailed. Unpickles: only ever call in a child."""
    from kubeserve.inference import installer
    from kubeserve.inference.pickle_scan import NotAPickle, scan_file
    from kubeserve.inference.requirements import RequirementsError

    if not model.is_file():
        raise BuildFailed(f"model file not found: {model}")
    try:
        scan = scan_file(model)
    except NotAPickle as exc:
        raise BuildFailed(str(exc)) from None
    text = ""
    if requirements is not None and requirements.is_file():  # an upload may have none
        text = requirements.read_text(errors="replace")
    try:
        notes = installer.ensure(text, packages_dir, scan.sklearn_version, index_url, scan.modules)
    except (RequirementsError, installer.InstallError) as exc:
        raise BuildFailed(str(exc)) from None
    if scan.suspicious:
        notes.append(f"the pickle imports {', '.join(scan.suspicious)}: it runs code when loaded")
    from kubeserve.inference import shipped
    from kubeserve.inference.model import ModelLoadError, SklearnModel
    from kubeserve.inference.signature import describe

    modules = shipped.activate(code) if code is not None else []
    try:
        loaded = SklearnModel.load(model, modules)
    except ModelLoadError as exc:
        raise BuildFailed(str(exc)) from None
    signature = describe(loaded)
    if code is not None:
        signature["code"] = {"modules": modules}
    signature.update(
        pickle_modules=scan.modules,
        pickle_globals=scan.globals,
        sklearn_version_recorded=scan.sklearn_version,
        notes=notes,
    )
    return signature


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kubeserve.inference.inspect", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--requirements", type=Path)
    parser.add_argument("--packages-dir", type=Path, required=True)
    parser.add_argument("--code", type=Path, help="the user's shipped code (code.zip)")
    parser.add_argument("--index-url", help="package index (default: pip's, PIP_INDEX_URL)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    try:
        answer: dict[str, Any] = {
            "ok": True,
            "signature": inspect_model(
                args.model, args.requirements, args.packages_dir, args.index_url, args.code
            ),
        }
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
