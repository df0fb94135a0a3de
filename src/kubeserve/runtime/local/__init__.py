"""The local runtime: each replica is a supervised inference-server child process on this machine."""

from kubeserve.runtime.local.runtime import LocalRuntime

__all__ = ["LocalRuntime"]
