"""`python -m kubeserve.inference`: the same as `kubeserve serve-model`."""

import typer

from kubeserve.inference.cli import serve_model

if __name__ == "__main__":
    typer.run(serve_model)
