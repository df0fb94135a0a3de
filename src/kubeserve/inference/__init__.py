"""The model server: one generic runner for every uploaded model, and the build check.

Layout (runtime contract, data plane, thin HTTP layer, wired in `server`):
settings, artifact, requirements, installer, pickle_scan (+ pickle_vm), model, signature,
codec, v2, batching (+ merge), metrics, dataplane, startup, asgi, rest, server, cli, inspect.
"""
