"""JSON API of inspection datasets (``/api/vision``): datasets, image uploads and files, labels, versions.

Enterprise users manage their own enterprise's datasets, administrators any; every other role gets 403, and another
tenant's dataset, image or version is 404. Folder imports read the server's disk, so they are a CLI command
(``zhizao vision dataset import``), not a route. The services own scope and transactions.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Response, UploadFile, status
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.responses import FileResponse

from zhizao.accounts.deps import SessionDep, SettingsDep, require_role
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.errors import InputError, NotFound
from zhizao.fields import IdPath, IdQuery, Limit, NoNul, Offset
from zhizao.vision import access, datasets, labelling, storage, versions
from zhizao.vision.images import MAX_IMAGE_BYTES
from zhizao.vision.models import ImageSource, Split, VisionDataset, VisionImage, VisionVersionItem
from zhizao.vision.schemas import (
    ClassCount,
    DatasetCreate,
    DatasetDetail,
    DatasetRead,
    DatasetUpdate,
    ImagePage,
    ImageRead,
    LabelIn,
    VersionCreate,
    VersionItemRead,
    VersionRead,
)
from zhizao.vision.types import Box

router = APIRouter(prefix="/api/vision", tags=["vision datasets"])

Manager = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.ENTERPRISE))]
MAX_FILES = 200  # per upload request; the request body limit (12 MiB by default) usually comes first


class UploadResult(BaseModel):
    added: list[ImageRead]
    duplicates: int  # files whose image the dataset holds already


class VersionItemPage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[VersionItemRead]


def dataset_detail(session: Session, dataset: VisionDataset) -> DatasetDetail:
    total, labelled, per_class = datasets.counts(session, dataset.id)
    return DatasetDetail(
        **DatasetRead.model_validate(dataset).model_dump(), images=total, labelled=labelled,
        unlabelled=total - labelled, per_class=[ClassCount(label=k, images=v) for k, v in sorted(per_class.items())],
        versions=[VersionRead.model_validate(row) for row in versions.versions_of(session, dataset.id)],
    )  # fmt: skip


def managed_dataset_id(dataset_id: IdPath, principal: Manager, session: SessionDep) -> int:
    """The caller's dataset, checked before an upload is read (another tenant's id: 404 at once)."""
    with session.begin():
        return access.get_dataset(session, principal, dataset_id).id


@router.get("/datasets")
def list_datasets(principal: Manager, session: SessionDep, organisation_id: IdQuery = None) -> list[DatasetRead]:
    """The caller's enterprise's datasets (administrators: all, or one enterprise's)."""
    rows = datasets.list_datasets(session, principal, organisation_id)
    return [DatasetRead.model_validate(row) for row in rows]


@router.post("/datasets", status_code=status.HTTP_201_CREATED)
def create_dataset(data: DatasetCreate, principal: Manager, session: SessionDep) -> DatasetRead:
    """A dataset of one product for one task (classify, detect, anomaly) with its classes; 409 for a name taken."""
    return DatasetRead.model_validate(datasets.create_dataset(session, principal, data))


@router.get("/datasets/{dataset_id}")
def read_dataset(dataset_id: IdPath, principal: Manager, session: SessionDep) -> DatasetDetail:
    """The dataset with its image counts (labelled per class, unlabelled) and its versions."""
    with session.begin():
        return dataset_detail(session, access.get_dataset(session, principal, dataset_id))


@router.patch("/datasets/{dataset_id}")
def update_dataset(dataset_id: IdPath, data: DatasetUpdate, principal: Manager, session: SessionDep) -> DatasetRead:
    return DatasetRead.model_validate(datasets.update_dataset(session, principal, dataset_id, data))


@router.delete("/datasets/{dataset_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_dataset(dataset_id: IdPath, principal: Manager, session: SessionDep, settings: SettingsDep) -> Response:
    """Deletes the dataset, its images and versions (409 while a model trained from it exists)."""
    datasets.delete_dataset(session, settings, principal, dataset_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/datasets/{dataset_id}/images")
def list_images(
    dataset_id: IdPath, principal: Manager, session: SessionDep, labelled: bool | None = None, offset: Offset = 0,
    limit: Limit = 50,
) -> ImagePage:  # fmt: skip
    with session.begin():
        access.get_dataset(session, principal, dataset_id)
        query = select(VisionImage).where(VisionImage.dataset_id == dataset_id)
        if labelled is not None:
            query = query.where(VisionImage.labelled.is_(labelled))
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(query.order_by(VisionImage.id).offset(offset).limit(limit)).all()
        return ImagePage(total=total, offset=offset, limit=limit, items=[ImageRead.model_validate(r) for r in rows])


@router.post("/datasets/{dataset_id}/images", status_code=status.HTTP_201_CREATED)
def upload_images(
    dataset_id: Annotated[int, Depends(managed_dataset_id)], principal: Manager, session: SessionDep,
    settings: SettingsDep, files: list[UploadFile] | None = None,
    label: Annotated[str | None, Form(max_length=100), NoNul] = None,
) -> UploadResult:  # fmt: skip
    """Multipart field ``files`` (one or several images), all or nothing: a corrupt, colour or oversized file is 422
    naming ``body.files.<n>`` and nothing is stored. ``label`` (optional) labels every file: a class, or ``good``
    (defect-free) in a detect or anomaly dataset; without it the images wait on the labelling page."""
    if not files:
        raise InputError.for_field("body.files", "attach one or more images (multipart field 'files')")
    if len(files) > MAX_FILES:
        raise InputError.for_field("body.files", f"at most {MAX_FILES} files per upload")
    chosen = (label or "").strip() or None
    incoming = [
        datasets.Incoming(
            file.file.read(MAX_IMAGE_BYTES + 1),
            file.filename or None,
            f"body.files.{index}",
            labelled=chosen is not None,
            label=chosen,
        )
        for index, file in enumerate(files)
    ]
    result = datasets.add_images(session, settings, principal, dataset_id, incoming, ImageSource.UPLOAD)
    return UploadResult(added=[ImageRead.model_validate(row) for row in result.added], duplicates=result.duplicates)


@router.get("/images/{image_id}")
def read_image(image_id: IdPath, principal: Manager, session: SessionDep) -> ImageRead:
    with session.begin():
        return ImageRead.model_validate(access.get_image(session, principal, image_id)[0])


@router.get("/images/{image_id}/file", response_class=FileResponse)
def image_file(image_id: IdPath, principal: Manager, session: SessionDep, settings: SettingsDep) -> FileResponse:
    """The stored image (grey PNG)."""
    with session.begin():
        image, _dataset = access.get_image(session, principal, image_id)
    path = storage.path_of(settings.data_dir, image.path)
    if not path.is_file():
        raise NotFound(f"the file of image {image_id} is missing from the data directory")
    return FileResponse(path, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})


@router.put("/images/{image_id}/label")
def label_image(image_id: IdPath, data: LabelIn, principal: Manager, session: SessionDep) -> ImageRead:
    """Label an image (422 naming the field for a class the dataset lacks or a box outside the image)."""
    boxes = [Box(box.x0, box.y0, box.x1, box.y1, box.label.strip()) for box in data.boxes]
    label = data.label.strip() if data.label is not None else None
    return ImageRead.model_validate(labelling.label_image(session, principal, image_id, label, boxes))


@router.get("/datasets/{dataset_id}/versions")
def list_versions(dataset_id: IdPath, principal: Manager, session: SessionDep) -> list[VersionRead]:
    with session.begin():
        access.get_dataset(session, principal, dataset_id)
        return [VersionRead.model_validate(row) for row in versions.versions_of(session, dataset_id)]


@router.post("/datasets/{dataset_id}/versions", status_code=status.HTTP_201_CREATED)
def create_version(dataset_id: IdPath, data: VersionCreate, principal: Manager, session: SessionDep) -> VersionRead:
    """Freeze the labelled images into fixed train / validation / test splits (seed and shares stated on the
    version); 422 naming ``classes.<name>`` for a class without labelled images."""
    return VersionRead.model_validate(versions.create_version(session, principal, dataset_id, data))


@router.get("/versions/{version_id}")
def read_version(version_id: IdPath, principal: Manager, session: SessionDep) -> VersionRead:
    with session.begin():
        return VersionRead.model_validate(access.get_version(session, principal, version_id)[0])


@router.get("/versions/{version_id}/items")
def version_items(
    version_id: IdPath, principal: Manager, session: SessionDep, split: Split | None = None, offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> VersionItemPage:  # fmt: skip
    """Which image is in which split, with the label the version froze."""
    with session.begin():
        access.get_version(session, principal, version_id)
        query = select(VisionVersionItem).where(VisionVersionItem.version_id == version_id)
        if split is not None:
            query = query.where(VisionVersionItem.split == split)
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(query.order_by(VisionVersionItem.image_id).offset(offset).limit(limit)).all()
        items = [VersionItemRead.model_validate(row) for row in rows]
        return VersionItemPage(total=total, offset=offset, limit=limit, items=items)
