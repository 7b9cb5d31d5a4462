"""Model pages: the registry (``/vision/models``) and a dataset's models side by side
(``/vision/datasets/{id}/models``): algorithm, dataset version, status, the headline figure, the per-class figures,
training time and latency. While a model is queued or running the comparison page refreshes itself every few
seconds."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from zhizao.accounts.deps import SessionDep
from zhizao.fields import IdPath
from zhizao.ui.i18n import N_
from zhizao.ui.templating import render
from zhizao.vision import evaluation, provenance, registry
from zhizao.vision.models import TrainingStatus
from zhizao.vision.pages_datasets import BASE, TASK_LABELS, Manager

router = APIRouter(include_in_schema=False)
HEADLINE_LABELS = {"accuracy": N_("Accuracy"), "map50": N_("mAP@0.5"), "image_auroc": N_("Image AUROC"),
                   "pass_rate": N_("Pass rate of good test images")}  # fmt: skip
PER_CLASS_LABELS = {"classify": N_("Recall per class"), "detect": N_("AP@0.5 per class"),
                    "anomaly": N_("AUROC per defect class")}  # fmt: skip
STATUS_LABELS = {TrainingStatus.QUEUED: N_("Queued"), TrainingStatus.RUNNING: N_("Training"),
                 TrainingStatus.DONE: N_("Trained"), TrainingStatus.FAILED: N_("Failed")}  # fmt: skip


@router.get("/vision/models")
def model_list(request: Request, principal: Manager, session: SessionDep) -> Response:
    rows = registry.list_models(session, principal)
    headlines = {row.id: evaluation.headline(row.task, row.metrics) for row in rows}
    context = {"models": rows, "headlines": headlines, "headline_labels": HEADLINE_LABELS,
               "status_labels": STATUS_LABELS, "tasks": TASK_LABELS}  # fmt: skip
    return render(request, "vision/models.html", context)


@router.get(BASE + "/{dataset_id}/models")
def comparison(request: Request, dataset_id: IdPath, principal: Manager, session: SessionDep) -> Response:
    """The dataset's models side by side, one column each."""
    compared = registry.compare(session, principal, dataset_id)
    busy = any(row.model.status in (TrainingStatus.QUEUED, TrainingStatus.RUNNING) for row in compared.models)
    context = {"comparison": compared, "busy": busy, "headline_labels": HEADLINE_LABELS,
               "per_class_label": PER_CLASS_LABELS[compared.dataset.task.value], "status_labels": STATUS_LABELS,
               "tasks": TASK_LABELS, "software": provenance.described}  # fmt: skip
    return render(request, "vision/comparison.html", context)
