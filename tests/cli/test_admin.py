"""`kubeserve admin`: the operator's grant/revoke where the control plane runs (its settings,
its database), then an admin's `users` and `quota`, as the README shows them."""

from __future__ import annotations

from tests.cli.conftest import EMAIL, Cli
from tests.fixtures.control_plane import ControlPlane


def test_the_operator_makes_an_admin_who_sets_quotas(cli: Cli, control_plane: ControlPlane) -> None:
    cli.register()
    assert "admins only" in cli.fails("admin", "users")

    stranger = control_plane.kubeserve("admin", "grant", "nobody@example.com")
    assert stranger.returncode == 1 and "Traceback" not in stranger.stderr
    assert "no user nobody@example.com: they register first" in stranger.stderr
    granted = control_plane.kubeserve("admin", "grant", EMAIL.upper())
    assert granted.returncode == 0 and granted.stdout.strip() == f"{EMAIL} is now an admin", granted.stderr

    [me] = cli.json("admin", "users")
    assert (me["email"], me["role"], me["quota"]) == (
        EMAIL,
        "admin",
        {"cpu": "2", "memory": "4Gi", "pods": 5},
    )
    set_ = cli("admin", "quota", EMAIL, "--cpu", "4", "--memory", "8Gi", "--pods", "10")
    assert set_.stdout.strip() == f"{EMAIL}: cpu 4, memory 8Gi, pods 10"
    table = cli("admin", "users").stdout
    assert "4*" in table and "8Gi*" in table and "10*" in table
    assert "not a CPU quantity" in cli.fails("admin", "quota", EMAIL, "--cpu", "lots")
    assert "no user 'bob@example.com'" in cli.fails("admin", "quota", "bob@example.com")
    reset = cli("admin", "quota", str(me["id"]), "--default")
    assert reset.stdout.strip() == f"{EMAIL}: cpu 2, memory 4Gi, pods 5"

    revoked = control_plane.kubeserve("admin", "revoke", EMAIL)
    assert revoked.stdout.strip() == f"{EMAIL} is no longer an admin"
    assert "admins only" in cli.fails("admin", "quota", EMAIL)
