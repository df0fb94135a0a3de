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
from kubeserve.errors import Conflict, NotFound, Unprocessable
from kubeserve.orm import Model, ModelVersion, User, VersionStatus
from kubeserve.registry import code
from kubeserve.registry.build import Builder
from kubeserve.registry.repository import ModelRepository, VersionRepository
from kubeserve.registry.schemas import ModelCreate, ModelUpdate, VersionCreate
from kubeserve.registry.upload import FieldRule, receive_files
from kubeserve.storage.base import ArtifactStore

MODEL_EXTENSIONS = (".joblib", ".pkl", ".pickle")
REQUIREMENTS_FILE = "requirements.txt"


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


async def delete_model(session: AsyncSession, store: ArtifactStore, user: User, model_id: int) -> None:
    """Delete the model, its versions (cascade) and, once committed, its artifacts."""
    model = await get_model(session, user, model_id)
    prefix = model_prefix(model)
    await ModelRepository(session).delete(model)
    after_commit(session, lambda: store.delete_prefix(prefix))


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


async def delete_version(session: AsyncSession, store: ArtifactStore, user: User, version_id: int) -> None:
    version, model = await get_version(session, user, version_id)
    prefix = version_prefix(model, version)
    await VersionRepository(session).delete(version)
    after_commit(session, lambda: store.delete_prefix(prefix))


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
    version); a Pending or Failed one may be uploaded again.
    """
    version, model = await get_version(session, user, version_id)
    if version.status in (VersionStatus.BUILDING, VersionStatus.READY):
        raise Conflict(f"version is {version.status}; create a new version to upload again")
    rules = upload_rules(settings)
    staging_root = settings.data_dir / "staging"
    staging_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=staging_root) as tmp:
        files = await receive_files(request, rules, Path(tmp))
        model_file = files.get("model_file")
        if model_file is None or model_file.size == 0:
            raise Unprocessable("model_file is required and must not be empty")
        requirements = files.get("requirements_file")
        requirements_path = requirements.path if requirements else Path(tmp) / REQUIREMENTS_FILE
        if requirements is None:
            requirements_path.write_bytes(b"")
        _check_text(requirements_path)
        shipped = files.get("code_file")
        if shipped is not None:
            packed = Path(tmp) / code.CODE_FILE
            await asyncio.to_thread(
                code.pack, shipped.path, shipped.filename, packed, settings.max_code_bytes
            )
        prefix = version_prefix(model, version)
        key = f"{prefix}model{model_file.extension}"
        try:
            # Requirements and code first: the model key is what the version will point at.
            await store.put_file(prefix + REQUIREMENTS_FILE, requirements_path)
            if shipped is not None:
                await store.put_file(prefix + code.CODE_FILE, packed)
            elif version.s3_path is not None:  # a re-upload without code: none of the old one's
                await store.delete(prefix + code.CODE_FILE)
            await store.put_file(key, model_file.path)
        except BaseException:
            if version.s3_path is None:  # nothing was there before: leave nothing behind
                await store.delete_prefix(prefix)
            raise
    stale = version.s3_path if version.s3_path and version.s3_path != key else None
    await VersionRepository(session).update(
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


def _check_text(path: Path) -> None:
    try:
        path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise Unprocessable("requirements_file is not UTF-8 text") from exc


def artifact_key(version: ModelVersion) -> str:
    if version.s3_path is None:
        raise NotFound("this version has no artifact yet")
    return version.s3_path
