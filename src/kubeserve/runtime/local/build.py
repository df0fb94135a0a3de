"""Builds on this machine: `python -m kubeserve.inference.inspect` in child processes.

The version's files are fetched into a build folder of their own (`data_dir/builds/`, never
shared). The install step runs outside the sandbox (wheels only: no user code runs, so it has
the network) into the version's packages dir, which local replicas reuse; then a second child
inside the sandbox (runtime/sandbox.py: no network, only the files and packages visible, read
only) unpickles the model and records its signature. Without a sandbox (a single-user install)
one unsandboxed child does both. The control plane only reads their JSON answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from kubeserve.config import Settings
from kubeserve.runtime import process, sandbox
from kubeserve.runtime.base import BuildAnswer, BuildSpec
from kubeserve.storage import ArtifactStore, parse_uri
from kubeserve.storage.base import ArtifactNotFound


def packages_dir(settings: Settings, version_id: int) -> Path:
    """Where the build installs what a version's requirements add; local replicas reuse it."""
    return (settings.data_dir / "packages" / str(version_id)).resolve()


async def build(spec: BuildSpec, settings: Settings, store: ArtifactStore | None) -> BuildAnswer:
    """Fetch the files into a fresh build folder, inspect them there, remove the folder."""
    builds = settings.data_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f"{spec.version_id}-", dir=builds)).resolve()
    workdir.chmod(0o755)  # the sandbox's own uid reads it (bound read-only at /model)
    try:
        model = workdir / Path(parse_uri(spec.artifact_uri)[1]).name
        requirements = workdir / "requirements.txt"
        await _fetch(spec.artifact_uri, model, store)
        await _fetch(spec.requirements_uri, requirements, store)
        code = None
        if spec.code_uri is not None:
            code = workdir / "code.zip"
            await _fetch(spec.code_uri, code, store)
        flags = ["--allow-unsafe-pickle"] if spec.allow_unsafe_pickle else []
        return await _inspect(settings, spec.version_id, model, requirements, code, flags)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


async def _fetch(uri: str, dest: Path, store: ArtifactStore | None) -> None:
    """A file:// URI is copied; anything else comes from the store (raises StorageError)."""
    bucket, key = parse_uri(uri)
    if bucket:
        if store is None:
            raise ValueError(f"no artifact store to fetch {uri}")
        await store.fetch_to(key, dest)
        return
    try:
        await asyncio.to_thread(shutil.copyfile, key, dest)
    except FileNotFoundError:
        raise ArtifactNotFound(f"artifact not found: {Path(key).name}") from None


async def _inspect(
    settings: Settings, version_id: int, model: Path, requirements: Path, code: Path | None, flags: list[str]
) -> BuildAnswer:
    """Install outside the sandbox (wheels only, network), then load inside it (none).

    Every file lives in the build's own folder, bound read-only at /model in the sandbox."""
    deadline = time.monotonic() + settings.build_timeout_seconds
    packages = packages_dir(settings, version_id)
    packages.mkdir(parents=True, exist_ok=True)

    def files(folder: Path, packages: Path) -> list[str]:
        found = ["--model", str(folder / model.name), "--packages-dir", str(packages)]
        found += ["--requirements", str(folder / requirements.name), *flags]
        return found + (["--code", str(folder / code.name)] if code is not None else [])

    outside = files(model.parent, packages)
    if not sandbox.enabled(settings):  # a single-user install: one unsandboxed child
        return await _child(settings, [*outside, "--step", "all"], model.parent, deadline)
    installed = await _child(settings, [*outside, "--step", "install"], model.parent, deadline)
    if not installed.ok:
        return installed
    inside = [*files(sandbox.MODEL_DIR, sandbox.PACKAGES_DIR), "--step", "load"]
    inside += [f"--note={note}" for note in installed.notes]
    box = sandbox.Box(
        name=f"build-{version_id}-{secrets.token_hex(4)}",
        read_only={sandbox.MODEL_DIR: model.parent, sandbox.PACKAGES_DIR: packages},
        memory_mb=settings.build_memory_mb,
        max_processes=settings.sandbox_max_processes,
        cpus=settings.sandbox_cpus,
    )
    try:
        return await _child(settings, inside, model.parent, deadline, box)
    finally:
        sandbox.release(box)


async def _child(
    settings: Settings, args: list[str], cwd: Path, deadline: float, box: sandbox.Box | None = None
) -> BuildAnswer:
    """One `python -m kubeserve.inference.inspect` child (in `box` when given); its answer."""
    argv = [process.python(), "-m", "kubeserve.inference.inspect", *args]
    if box is not None:
        argv = sandbox.command(argv, box, hidden=[settings.data_dir])
    extra = {"PIP_INDEX_URL": settings.pip_index_url} if settings.pip_index_url else {}
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        env=process.scrubbed_env(str(cwd), extra),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
        preexec_fn=process.limits(settings.build_memory_mb),
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), max(0.1, deadline - time.monotonic()))
    except TimeoutError:
        return BuildAnswer.failed(f"build timed out after {settings.build_timeout_seconds} s")
    finally:
        with contextlib.suppress(ProcessLookupError):
            await process.stop(proc, grace=2)
    return _answer(out, err, proc.returncode)


def _answer(out: bytes, err: bytes, returncode: int | None) -> BuildAnswer:
    """The child's last stdout line is its JSON answer; anything else is a crash."""
    lines = out.strip().splitlines()
    if lines and (answer := BuildAnswer.parse(lines[-1])) is not None:
        return answer
    if returncode is not None and returncode < 0:
        return BuildAnswer.failed(f"build killed by signal {-returncode} (memory limit?)")
    tail = "\n".join(err.decode(errors="replace").strip().splitlines()[-5:])
    if "MemoryError" in tail:
        return BuildAnswer.failed("build ran out of memory (limit reached while loading)")
    return BuildAnswer.failed(f"build crashed (exit {returncode}): {tail or 'no output'}")
