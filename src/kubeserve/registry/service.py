"""Registry rules: models, versions, uploads. Ownership is checked here; others' ids are 404."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Sequence
from pathlib import Path

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from kubeserve.config import Settings
from kubeserve.db import after_commit
from kubeserve.disk import remove_version_dirs
from kubeserve.errors import Conflict, NotFound, Unprocessable
from kubeserve.inference.requirements import RequirementsError, parse_requirements
from kubeserve.orm import Model, ModelVersion, User, VersionStatus
from kubeserve.registry import code
from kubeserve.registry.build import Builder
from kubeserve.registry.repository import ModelRepository, VersionRepository
from kubeserve.registry.schemas import ModelCreate, ModelUpdate, VersionCreate
from kubeserve.registry.upload import FieldRule, StagedFile, receive_files
from kubeserve.storage.base import ArtifactStore

MODEL_EXTENSIONS = (".joblib", ".pkl", ".pickle")
REQUIREMENTS_FILE = "requirements.txt"
UPLOAD_IN_PROGRESS = "another upload to this version is in progress"
UPLOAD_FIELDS = ("status", "s3_path", "sha256", "size_bytes", "signature", "error")


def model_prefix(model: Model) -> str:
    return f"models/{model.user_id}/{model.name}/"


def version_prefix(model: Model, version: ModelVersion) -> str:
    return f"{model_prefix(model)}{version.version_tag}/"


async def create_model(session: AsyncSession, user: User, data: ModelCreate) -> Model:
    models = ModelRepository(session)
    if await models.get_by_name(user.id, data.name) is not None:
        raise Conflict(f"you already have a model named {data.name!r}")
    return await models.add(Model(user_id=user.id, **data.model_dump()))


async def list_models(session: AsyncSession, user: User, limit: int, offset: int) -> Sequence[Model]:
    return await ModelRepository(session).list_owned(user.id, limit, offset)


async def get_model(session: AsyncSession, user: User, model_id: int) -> Model:
    model = await ModelRepository(session).get_owned(model_id, user.id)
    if model is None:
        raise NotFound("model not found")
    return model


async def update_model(session: AsyncSession, user: User, model_id: int, data: ModelUpdate) -> Model:
    model = await get_model(session, user, model_id)
    return await ModelRepository(session).update(model, data.model_dump(exclude_none=True))


async def delete_model(
    session: AsyncSession, store: ArtifactStore, settings: Settings, user: User, model_id: int
) -> None:
    """Delete the model, its versions (cascade) and, once committed, its artifacts and packages."""
    model = await get_model(session, user, model_id)
    prefix = model_prefix(model)
    version_ids = [v.id for v in await VersionRepository(session).list_for_model(model.id)]
    await ModelRepository(session).delete(model)
    after_commit(session, lambda: store.delete_prefix(prefix))
    after_commit(session, lambda: remove_version_dirs(settings, version_ids))


async def create_version(
    session: AsyncSession, user: User, model_id: int, data: VersionCreate
) -> ModelVersion:
    model = await get_model(session, user, model_id)
    versions = VersionRepository(session)
    if await versions.get_by_tag(model.id, data.version_tag) is not None:
        raise Conflict(f"{model.name} already has a version {data.version_tag!r}")
    return await versions.add(
        ModelVersion(
            model_id=model.id,
            version_tag=data.version_tag,
            allow_unsafe_pickle=data.allow_unsafe_pickle,
        )
    )


async def list_versions(session: AsyncSession, user: User, model_id: int) -> Sequence[ModelVersion]:
    model = await get_model(session, user, model_id)
    return await VersionRepository(session).list_for_model(model.id)


async def get_version(session: AsyncSession, user: User, version_id: int) -> tuple[ModelVersion, Model]:
    found = await VersionRepository(session).get_owned(version_id, user.id)
    if found is None:
        raise NotFound("version not found")
    return found


async def delete_version(
    session: AsyncSession, store: ArtifactStore, settings: Settings, user: User, version_id: int
) -> None:
    version, model = await get_version(session, user, version_id)
    prefix = version_prefix(model, version)
    await VersionRepository(session).delete(version)
    after_commit(session, lambda: store.delete_prefix(prefix))
    after_commit(session, lambda: remove_version_dirs(settings, [version_id]))


def upload_rules(settings: Settings) -> dict[str, FieldRule]:
    """Per multipart field of an upload: the file extensions and the size it may have."""
    return {
        "model_file": FieldRule(MODEL_EXTENSIONS, settings.max_model_bytes),
        "requirements_file": FieldRule((".txt",), settings.max_requirements_bytes),
        "code_file": FieldRule(code.EXTENSIONS, settings.max_code_bytes),
    }


async def upload(
    session: AsyncSession,
    store: ArtifactStore,
    builder: Builder,
    settings: Settings,
    user: User,
    version_id: int,
    request: Request,
) -> ModelVersion:
    """Stream the files to staging, store them, then point the version at them (Building).

    A version takes one artifact: once it is Building or Ready it is immutable (make a new
    version); a Pending or Failed one may be uploaded again. The upload first claims the
    version (Building, no artifact) so that a concurrent one gets 409; a failed upload puts
    the version back as it was.
    """
    version, model = await get_version(session, user, version_id)
    if version.status == VersionStatus.BUILDING and version.s3_path is None:
        raise Conflict(UPLOAD_IN_PROGRESS)
    if version.status in (VersionStatus.BUILDING, VersionStatus.READY):
        raise Conflict(f"version is {version.status}; create a new version to upload again")
    versions = VersionRepository(session)
    previous = {name: getattr(version, name) for name in UPLOAD_FIELDS}
    if not await versions.claim_for_upload(version.id, version.status):
        raise Conflict(UPLOAD_IN_PROGRESS)
    await session.refresh(version)  # the claim was written by another session
    staging_root = settings.data_dir / "staging"
    staging_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=staging_root) as staging:
        try:
            key, model_file = await _store_upload(
                store, settings, request, version_prefix(model, version), previous["s3_path"], Path(staging)
            )
        except BaseException:  # released before the staging files go: nothing half-done is seen
            await versions.release_upload_claim(version.id, previous)
            raise
    stale = previous["s3_path"] if previous["s3_path"] and previous["s3_path"] != key else None
    await versions.update(
        version,
        {
            "s3_path": key,
            "sha256": model_file.sha256,
            "size_bytes": model_file.size,
            "status": VersionStatus.BUILDING,
            "signature": None,
            "error": None,
        },
    )
    if stale:
        after_commit(session, lambda: store.delete(stale))
    after_commit(session, lambda: builder.submit(version.id))
    return version


async def _store_upload(
    store: ArtifactStore,
    settings: Settings,
    request: Request,
    prefix: str,
    previous_key: str | None,
    tmp: Path,
) -> tuple[str, StagedFile]:
    """Stream the files to a private staging dir, then into the store under `prefix`;
    returns the model's key."""
    files = await receive_files(request, upload_rules(settings), tmp)
    model_file = files.get("model_file")
    if model_file is None or model_file.size == 0:
        raise Unprocessable("model_file is required and must not be empty")
    requirements = files.get("requirements_file")
    requirements_path = requirements.path if requirements else tmp / REQUIREMENTS_FILE
    if requirements is None:
        requirements_path.write_bytes(b"")
    _check_text(requirements_path)
    shipped = files.get("code_file")
    if shipped is not None:
        packed = tmp / code.CODE_FILE
        await asyncio.to_thread(code.pack, shipped.path, shipped.filename, packed, settings.max_code_bytes)
    key = f"{prefix}model{model_file.extension}"
    try:
        # Requirements and code first: the model key is what the version will point at.
        await store.put_file(prefix + REQUIREMENTS_FILE, requirements_path)
        if shipped is not None:
            await store.put_file(prefix + code.CODE_FILE, packed)
        elif previous_key is not None:  # a re-upload without code: none of the old one's
            await store.delete(prefix + code.CODE_FILE)
        await store.put_file(key, model_file.path)
    except BaseException:
        if previous_key is None:  # nothing was there before: leave nothing behind
            await store.delete_prefix(prefix)
        raise
    return key, model_file


def _check_text(path: Path) -> None:
    """UTF-8 and plain, bounded requirements: abuse is a 422 here, not a failed build later."""
    try:
        parse_requirements(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise Unprocessable("requirements_file is not UTF-8 text") from exc
    except RequirementsError as exc:
        raise Unprocessable(str(exc)) from exc


def artifact_key(version: ModelVersion) -> str:
    if version.s3_path is None:
        raise NotFound("this version has no artifact yet")
    return version.s3_path
