"""Who may touch vision data: enterprise users of the dataset's own enterprise, and administrators (for any).

Every other role is refused (403); another tenant's dataset, image, version or model is 404, so that ids of other
tenants' rows reveal nothing.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.errors import NotFound, PermissionDenied
from zhizao.fields import MAX_ID
from zhizao.vision.models import VisionDataset, VisionDatasetVersion, VisionImage, VisionModel

MANAGER_ROLES = frozenset({Role.ADMIN, Role.ENTERPRISE})


def require_manager(actor: Principal) -> None:
    if actor.role not in MANAGER_ROLES:
        raise PermissionDenied(f"role {actor.role.value} may not manage inspection datasets or models")


def _mine(actor: Principal, organisation_id: int) -> bool:
    return actor.role == Role.ADMIN or (actor.role == Role.ENTERPRISE and actor.organisation_id == organisation_id)


def get_dataset(session: Session, actor: Principal, dataset_id: int, *, lock: bool = False) -> VisionDataset:
    """The dataset, if the caller manages it; ``lock`` takes its row lock (PostgreSQL) so that numbering the
    dataset's versions and models, or adding classes, takes turns."""
    require_manager(actor)
    dataset = session.get(VisionDataset, dataset_id) if 0 < dataset_id <= MAX_ID else None
    if dataset is None or not _mine(actor, dataset.organisation_id):
        raise NotFound(f"inspection dataset {dataset_id} not found")
    if lock:
        session.refresh(dataset, with_for_update=True)
    return dataset


def get_image(session: Session, actor: Principal, image_id: int) -> tuple[VisionImage, VisionDataset]:
    require_manager(actor)
    image = session.get(VisionImage, image_id) if 0 < image_id <= MAX_ID else None
    dataset = session.get(VisionDataset, image.dataset_id) if image is not None else None
    if image is None or dataset is None or not _mine(actor, dataset.organisation_id):
        raise NotFound(f"image {image_id} not found")
    return image, dataset


def get_version(session: Session, actor: Principal, version_id: int) -> tuple[VisionDatasetVersion, VisionDataset]:
    require_manager(actor)
    version = session.get(VisionDatasetVersion, version_id) if 0 < version_id <= MAX_ID else None
    dataset = session.get(VisionDataset, version.dataset_id) if version is not None else None
    if version is None or dataset is None or not _mine(actor, dataset.organisation_id):
        raise NotFound(f"dataset version {version_id} not found")
    return version, dataset


def get_model(session: Session, actor: Principal, model_id: int) -> VisionModel:
    require_manager(actor)
    model = session.get(VisionModel, model_id) if 0 < model_id <= MAX_ID else None
    if model is None or not _mine(actor, model.organisation_id):
        raise NotFound(f"inspection model {model_id} not found")
    return model
