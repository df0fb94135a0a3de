"""`python -m kubeserve.inference` (and `kubeserve serve-model`): serve one model over HTTP.

One flag per `ModelServerSettings` field (`--max-batch-size` for `max_batch_size`), each
falling back to its `KUBESERVE_MODEL_*` variable. argparse, not Typer: the model-server
image holds only serving dependencies.
"""

from __future__ import annotations

import argparse
import sys

from pydantic import ValidationError

from kubeserve.inference.settings import ModelServerSettings


def parser() -> argparse.ArgumentParser:
    flags = argparse.ArgumentParser(
        prog="kubeserve serve-model",
        description="Serve one model: fetch, verify, install requirements, load, then /predict and V2.",
        epilog="Every flag falls back to its KUBESERVE_MODEL_* environment variable.",
    )
    for name, field in ModelServerSettings.model_fields.items():
        option = "--" + name.replace("_", "-")
        flags.add_argument(option, dest=name, default=None, metavar=name.upper(), help=field.description)
    return flags


def main(argv: list[str] | None = None) -> int:
    given = {k: v for k, v in vars(parser().parse_args(argv)).items() if v is not None}
    try:
        settings = ModelServerSettings(**given)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        print(f"error: invalid settings: {problems} (flags or KUBESERVE_MODEL_*)", file=sys.stderr)
        return 2
    from kubeserve.inference.server import serve

    return serve(settings)
