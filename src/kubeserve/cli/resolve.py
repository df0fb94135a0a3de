"""NAME_OR_ID: find a deployment by id, by its name, or by its model's name; a model by name."""

from __future__ import annotations

from kubeserve.cli.errors import CliError
from kubeserve.client import Client, Deployment, KubeServeAPIError, Model


def deployment(client: Client, ref: str) -> Deployment:
    """The deployment `ref` names: an id, a deployment name, or a model with one deployment."""
    if ref.isdigit():
        try:
            return client.get_deployment(int(ref))
        except KubeServeAPIError as exc:
            if exc.status == 404:
                raise CliError(f"no deployment with id {ref}") from exc
            raise
    deployments = client.list_deployments()
    by_name = [d for d in deployments if d["name"] == ref]
    by_model = [d for d in deployments if d["model_name"] == ref]
    if by_name:
        return by_name[0]
    if len(by_model) == 1:
        return by_model[0]
    if by_model:
        names = ", ".join(d["name"] for d in by_model)
        raise CliError(f"model {ref} has {len(by_model)} deployments ({names}): name one of them")
    raise CliError(
        f"no deployment called {ref!r}, and no deployed model of that name (see `kubeserve deployments`)"
    )


def model(client: Client, name: str) -> Model:
    """Your model called `name`."""
    found = client.find_model(name)
    if found is None:
        raise CliError(f"no model called {name!r} (see `kubeserve models`)")
    return found


def model_deployments(client: Client, model_id: int) -> list[Deployment]:
    """The model's deployments, newest first."""
    found = [d for d in client.list_deployments() if d["model_id"] == model_id]
    return sorted(found, key=lambda d: d["id"], reverse=True)
