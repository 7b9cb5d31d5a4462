"""The one interface every inspection model offers, and loading a saved model from its folder.

A model is saved as a folder the platform writes itself (``model.json`` naming the task and the format version,
beside the model's arrays); models are never uploaded, so a folder is trusted as the platform's own files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol

from zhizao.errors import InputError
from zhizao.vision.images import ImageSpec
from zhizao.vision.types import GreyImage, Task, Verdict

MODEL_FILE = "model.json"


class InspectionModel(Protocol):
    task: Task
    classes: tuple[str, ...]  # defect classes (classify, detect); () for anomaly
    spec: ImageSpec  # the images it takes

    def inspect(self, image: GreyImage) -> Verdict:
        """The verdict on one image (already checked against ``spec``)."""
        ...

    def save(self, folder: Path) -> None:
        """Writes ``model.json`` (with at least ``{"task": ...}``) and the model's files into ``folder``."""
        ...


def load_model(folder: Path) -> InspectionModel:
    """The model saved in ``folder``, by the task its ``model.json`` names."""
    try:
        meta = json.loads((folder / MODEL_FILE).read_text(encoding="utf-8"))
        task = Task(meta["task"])
    except (OSError, ValueError, KeyError) as error:
        raise InputError.for_field(str(folder), f"not a saved inspection model ({error})") from None
    if task is Task.CLASSIFY:
        from zhizao.vision import classify

        return classify.load(folder)
    if task is Task.DETECT:
        from zhizao.vision import detect

        return detect.load(folder)
    from zhizao.vision import anomaly

    return anomaly.load(folder)
