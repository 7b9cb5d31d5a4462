"""Readable names of the audit actions of vision datasets and the model registry (English ids, translated where
shown)."""

from zhizao.ui.i18n import N_

ACTION_LABELS: dict[str, str] = {
    "vision_dataset.create": N_("Created inspection dataset"),
    "vision_dataset.update": N_("Changed inspection dataset"),
    "vision_dataset.delete": N_("Deleted inspection dataset"),
    "vision_dataset.import": N_("Imported images into a dataset"),
    "vision_dataset.upload": N_("Uploaded images into a dataset"),
    "vision_image.add": N_("Added an image to a dataset"),
    "vision_image.label": N_("Labelled an image"),
    "vision_version.create": N_("Froze a dataset version"),
    "vision_model.train": N_("Queued model training"),
    "vision_model.done": N_("Trained an inspection model"),
    "vision_model.failed": N_("Model training failed"),
}
