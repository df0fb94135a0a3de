"""/models, /models/{id}/versions, /versions/{id}, upload and artifact download."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from kubeserve.accounts.dependencies import CurrentUser
from kubeserve.db import SessionDep
from kubeserve.ids import MAX_ID, IdPath
from kubeserve.registry import service
from kubeserve.registry.schemas import (
    ModelCreate,
    ModelRead,
    ModelUpdate,
    UploadRule,
    VersionCreate,
    VersionRead,
)
from kubeserve.state import BuilderDep, SettingsDep, StoreDep

router = APIRouter(tags=["registry"])


UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "model_file": {"type": "string", "format": "binary"},
                        "requirements_file": {"type": "string", "format": "binary"},
                        "code_file": {"type": "string", "format": "binary"},
                    },
                    "required": ["model_file"],
                }
            }
        },
    }
}


@router.post("/models", response_model=ModelRead, status_code=status.HTTP_201_CREATED)
async def create_model(data: ModelCreate, session: SessionDep, user: CurrentUser) -> Any:
    """Register a model name (unique per user)."""
    return await service.create_model(session, user, data)


@router.get("/models", response_model=list[ModelRead])
async def list_models(
    session: SessionDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> Any:
    """Your models."""
    return await service.list_models(session, user, limit, offset)


@router.get("/models/{model_id}", response_model=ModelRead)
async def get_model(model_id: IdPath, session: SessionDep, user: CurrentUser) -> Any:
    return await service.get_model(session, user, model_id)


@router.patch("/models/{model_id}", response_model=ModelRead)
async def update_model(model_id: IdPath, data: ModelUpdate, session: SessionDep, user: CurrentUser) -> Any:
    """Change a model's description or type (its name is fixed)."""
    return await service.update_model(session, user, model_id, data)


@router.delete("/models/{model_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_model(
    model_id: IdPath, session: SessionDep, user: CurrentUser, store: StoreDep, settings: SettingsDep
) -> Response:
    """Delete a model with all its versions and artifacts."""
    await service.delete_model(session, store, settings, user, model_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/models/{model_id}/versions", response_model=VersionRead, status_code=status.HTTP_201_CREATED)
async def create_version(
    model_id: IdPath, data: VersionCreate, session: SessionDep, user: CurrentUser
) -> Any:
    """Create an empty version (status Pending) to upload an artifact into."""
    return await service.create_version(session, user, model_id, data)


@router.get("/models/{model_id}/versions", response_model=list[VersionRead])
async def list_versions(model_id: IdPath, session: SessionDep, user: CurrentUser) -> Any:
    return await service.list_versions(session, user, model_id)


@router.get("/versions/{version_id}", response_model=VersionRead)
async def get_version(version_id: IdPath, session: SessionDep, user: CurrentUser) -> Any:
    version, _ = await service.get_version(session, user, version_id)
    return version


@router.delete("/versions/{version_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_version(
    version_id: IdPath, session: SessionDep, user: CurrentUser, store: StoreDep, settings: SettingsDep
) -> Response:
    await service.delete_version(session, store, settings, user, version_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/versions/{version_id}/upload", response_model=VersionRead, openapi_extra=UPLOAD_BODY)
async def upload(
    version_id: IdPath,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    store: StoreDep,
    builder: BuilderDep,
    settings: SettingsDep,
) -> Any:
    """Upload `model_file` (.joblib/.pkl/.pickle), optional `requirements_file` (.txt) and
    optional `code_file`: your own Python code the model needs (.py, or a .zip/.tar.gz of
    modules and packages; classes pickled as `__main__.X` are found in it).

    The version becomes `Building`; a sandboxed build then marks it `Ready` or `Failed`.
    """
    return await service.upload(session, store, builder, settings, user, version_id, request)


@router.get("/versions/{version_id}/artifact", response_class=StreamingResponse)
async def download_artifact(
    version_id: IdPath, session: SessionDep, user: CurrentUser, store: StoreDep
) -> StreamingResponse:
    """Stream the version's model file back to its owner."""
    version, model = await service.get_version(session, user, version_id)
    key = service.artifact_key(version)
    filename = f"{model.name}-{version.version_tag}{key[key.rfind('.') :]}"
    return StreamingResponse(
        store.stream(key),
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Checksum-Sha256": version.sha256 or "",
        },
    )


@router.get("/upload-rules", response_model=dict[str, UploadRule])
async def upload_rules(settings: SettingsDep, user: CurrentUser) -> Any:
    """Per upload field: the accepted file extensions and the largest size, to check before sending."""
    return {
        name: UploadRule(extensions=list(r.extensions), max_bytes=r.max_bytes)
        for name, r in service.upload_rules(settings).items()
    }
