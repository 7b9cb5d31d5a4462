"""JSON API of the model registry (``/api/vision``): train a model from a dataset version (queued, trained by a
background thread of the server: poll the model until ``status`` is done or failed), list and read models."""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from zhizao.accounts.deps import SessionDep, require_role
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.fields import IdPath, IdQuery
from zhizao.vision import access, registry, training
from zhizao.vision.schemas import ModelRead, TrainIn

router = APIRouter(prefix="/api/vision", tags=["vision models"])

Manager = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.ENTERPRISE))]
_queue_lock = threading.Lock()


def training_queue(request: Request) -> training.TrainingQueue:
    """The app's training queue, made on first use (one background thread per server process)."""
    state = request.app.state
    with _queue_lock:
        found = getattr(state, "vision_training", None)
        if not isinstance(found, training.TrainingQueue):
            found = training.TrainingQueue(state.database, state.settings)
            state.vision_training = found
    return found


TrainingQueueDep = Annotated[training.TrainingQueue, Depends(training_queue)]


@router.post("/models", status_code=status.HTTP_202_ACCEPTED)
def train(data: TrainIn, principal: Manager, session: SessionDep, trainer: TrainingQueueDep) -> ModelRead:
    """Queue the training of a model from a dataset version; the answer is the queued model (202). It is trained
    in the background on the version's train split and evaluated on its test split."""
    options = training.TrainingOptions(learned_maps=data.learned_maps)
    model = training.queue_training(session, principal, data.version_id, options)
    trainer.submit(model.id, principal)
    return ModelRead.model_validate(model)


@router.get("/models")
def list_models(
    principal: Manager, session: SessionDep, dataset_id: IdQuery = None, organisation_id: IdQuery = None
) -> list[ModelRead]:
    """The caller's models, newest first (administrators: every enterprise's, or one's)."""
    with session.begin():
        rows = registry.list_models(session, principal, dataset_id=dataset_id, organisation_id=organisation_id)
        return [ModelRead.model_validate(row) for row in rows]


@router.get("/models/{model_id}")
def read_model(model_id: IdPath, principal: Manager, session: SessionDep) -> ModelRead:
    """A model: status (queued, running, done, failed with the error), metrics on the test split, training time
    and latency per image."""
    with session.begin():
        return ModelRead.model_validate(access.get_model(session, principal, model_id))
