"""Learned defect maps for the detector: a small fully convolutional network trained from scratch on the boxes.

Optional (``pip install zhizao[vision]``: PyTorch, CPU build; no downloaded weights). The network sees the work
image at full resolution, normalised per image, and predicts for every class the share of each output cell
(4 × 4 pixels) that lies inside a true box of the class: box-level labels used as a coarse
segmentation target. A pooled head also predicts the image's class, which helps the features learn what
distinguishes the classes. The detector reads the maps as extra texture channels, so its window scorer learns
where a class's evidence ends.

The weights are kept as plain named arrays (saved in the detector's ``.npz``, no pickle) and loaded into the
module only when a model inspects or trains.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import torch
import torch.nn.functional as functional
from numpy.typing import NDArray
from torch import nn

Float = NDArray[np.float64]

BATCH = 32
IMAGE_LOSS_WEIGHT = 0.3


@dataclass(frozen=True, slots=True)
class TrainingSettings:
    width: int = 16  # full resolution at 16 channels beat half resolution at 24 on NEU (docs/vision.md)
    epochs: int = 20
    learning_rate: float = 4e-3


def _block(inputs: int, outputs: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(inputs, outputs, 3, stride, padding=dilation, dilation=dilation, bias=False),
        nn.BatchNorm2d(outputs),
        nn.ReLU(inplace=True),
    )


class _Network(nn.Module):  # type: ignore[misc,unused-ignore]  # nn.Module is Any where PyTorch is absent
    """Four stages at strides 2, 4, 8 and 16; the last three are fused at stride 4 for the maps."""

    def __init__(self, classes: int, width: int) -> None:
        super().__init__()
        w = width
        self.stage1 = nn.Sequential(_block(1, w, 2), _block(w, w))
        self.stage2 = nn.Sequential(_block(w, 2 * w, 2), _block(2 * w, 2 * w))
        self.stage3 = nn.Sequential(_block(2 * w, 4 * w, 2), _block(4 * w, 4 * w))
        self.stage4 = nn.Sequential(_block(4 * w, 4 * w, 2), _block(4 * w, 4 * w, dilation=2))
        self.head = nn.Sequential(
            nn.Conv2d(10 * w, 2 * w, 1, bias=False),
            nn.BatchNorm2d(2 * w),
            nn.ReLU(inplace=True),
            _block(2 * w, 2 * w),
            nn.Conv2d(2 * w, classes, 1),
        )
        self.image_head = nn.Linear(4 * w, classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        fused, coarse = fused_stages(self, x)
        return self.head(fused), self.image_head(coarse.mean(dim=(2, 3)))


class Stages(Protocol):
    """A network with boxnet's four stages (the map network, and experiments built on its backbone)."""

    @property
    def stage1(self) -> nn.Module: ...
    @property
    def stage2(self) -> nn.Module: ...
    @property
    def stage3(self) -> nn.Module: ...
    @property
    def stage4(self) -> nn.Module: ...


def fused_stages(network: Stages, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The last three of ``network``'s four stages (``stage1`` … ``stage4``) fused at stride 4, and the last stage."""
    fine = network.stage2(network.stage1(x))
    middle = network.stage3(fine)
    coarse = network.stage4(middle)
    size = fine.shape[-2:]
    fused = torch.cat(
        [
            fine,
            functional.interpolate(middle, size=size, mode="bilinear", align_corners=False),
            functional.interpolate(coarse, size=size, mode="bilinear", align_corners=False),
        ],
        dim=1,
    )
    return fused, coarse


def _network_input(work: Float) -> NDArray[np.float32]:
    """The work image at the network's scale, zero mean and unit spread (lighting differs between images)."""
    centred = work - work.mean()
    return np.asarray(centred / (centred.std() + 1e-6), dtype=np.float32)


def _output_side(side: int) -> int:
    """The side of the network's output for an input side (four stride-2 convolutions, then back to stride 4)."""
    for _ in range(2):
        side = (side + 1) // 2
    return side


def _targets(shape: tuple[int, int], boxes: Sequence[Float]) -> NDArray[np.float32]:
    """(classes, h, w) share of each output cell inside a true box of the class; boxes in work pixels."""
    height, width = shape
    out_h, out_w = _output_side(height), _output_side(width)
    masks = np.zeros((len(boxes), height, width), dtype=np.float32)
    for index, corners in enumerate(boxes):
        for x0, y0, x1, y1 in np.round(corners).astype(np.intp):
            masks[index, max(y0, 0) : y1, max(x0, 0) : x1] = 1.0
    table = np.zeros((len(boxes), height + 1, width + 1))
    table[:, 1:, 1:] = masks.cumsum(axis=1).cumsum(axis=2)
    rows = np.round(np.linspace(0, height, out_h + 1)).astype(np.intp)
    cols = np.round(np.linspace(0, width, out_w + 1)).astype(np.intp)
    sums = (table[:, rows[1:]][:, :, cols[1:]] - table[:, rows[:-1]][:, :, cols[1:]]
            - table[:, rows[1:]][:, :, cols[:-1]] + table[:, rows[:-1]][:, :, cols[:-1]])  # fmt: skip
    areas = np.diff(rows)[:, None] * np.diff(cols)[None, :]
    return np.asarray(sums / np.maximum(areas, 1), dtype=np.float32)


class _Threads:
    """Torch on at most two threads while it works (more threads on shared cores only contend), then as before."""

    def __enter__(self) -> None:
        self.before = torch.get_num_threads()
        torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

    def __exit__(self, *_: object) -> None:
        torch.set_num_threads(self.before)


@dataclass(slots=True)
class BoxNet:
    """A trained map network: its class count, width and weights as named arrays."""

    classes: int
    width: int
    weights: dict[str, NDArray[Any]]
    _network: _Network | None = field(default=None, repr=False, compare=False)

    def _module(self) -> _Network:
        if self._network is None:  # built once: inspection calls maps() for every image
            network = _Network(self.classes, self.width)
            network.load_state_dict({name: torch.from_numpy(array) for name, array in self.weights.items()})
            self._network = network.eval()
        return self._network

    def maps(self, works: Sequence[Float]) -> list[NDArray[np.float32]]:
        """Per work image, (classes, h, w) probabilities on the network's output grid (a quarter of the work image's
        sides), averaged with those of the mirror image."""
        network = self._module()
        out: list[NDArray[np.float32]] = [np.zeros(0, np.float32)] * len(works)
        with _Threads(), torch.no_grad():
            for group in _shape_groups(works):
                for start in range(0, len(group), BATCH):
                    batch = group[start : start + BATCH]
                    x = torch.from_numpy(np.stack([_network_input(works[i]) for i in batch]))[:, None]
                    maps = torch.sigmoid(network(x)[0])
                    mirrored = torch.flip(torch.sigmoid(network(torch.flip(x, [3]))[0]), [3])
                    for index, image_maps in zip(batch, ((maps + mirrored) / 2).numpy(), strict=True):
                        out[index] = image_maps
        return out

    def arrays(self, prefix: str) -> dict[str, NDArray[Any]]:
        return {prefix + name: array for name, array in self.weights.items()}

    @classmethod
    def from_arrays(cls, arrays: dict[str, NDArray[Any]], prefix: str, classes: int, width: int) -> BoxNet:
        weights = {name[len(prefix) :]: np.asarray(array) for name, array in arrays.items() if name.startswith(prefix)}
        return cls(classes, width, weights)


def train(
    works: Sequence[Float],
    boxes: Sequence[Sequence[Float]],
    labels: NDArray[np.int64],
    classes: int,
    *,
    seed: int,
    settings: TrainingSettings | None = None,
) -> BoxNet:
    """A map network for ``works`` (work images) with per-image, per-class box corners and image classes."""
    settings = settings or TrainingSettings()
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed % (2**31))
    inputs = [_network_input(work) for work in works]
    targets = [_targets(work.shape, image_boxes) for work, image_boxes in zip(works, boxes, strict=True)]
    groups = list(_shape_groups(works))
    steps_per_epoch = sum(max(1, len(group) // BATCH) for group in groups)
    network = _Network(classes, settings.width)
    optimiser = torch.optim.AdamW(network.parameters(), settings.learning_rate / 2, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, settings.learning_rate, total_steps=settings.epochs * steps_per_epoch
    )
    with _Threads():
        network.train()
        for _ in range(settings.epochs):
            for batch in _epoch_batches(groups, rng):
                x, y = _augmented(inputs, targets, batch, rng)
                maps, logits = network(torch.from_numpy(x)[:, None])
                loss = functional.binary_cross_entropy_with_logits(maps, torch.from_numpy(y))
                if (labels[batch] >= 0).any():  # images without boxes have no class (label -1)
                    image_labels = torch.from_numpy(labels[batch])
                    loss = loss + IMAGE_LOSS_WEIGHT * functional.cross_entropy(logits, image_labels, ignore_index=-1)
                optimiser.zero_grad()
                loss.backward()  # type: ignore[no-untyped-call,unused-ignore]
                optimiser.step()
                schedule.step()
    weights = {name: tensor.detach().numpy().copy() for name, tensor in network.state_dict().items()}
    return BoxNet(classes, settings.width, weights)


def _shape_groups(works: Sequence[Float]) -> Iterator[list[int]]:
    by_shape: dict[tuple[int, ...], list[int]] = {}
    for index, work in enumerate(works):
        by_shape.setdefault(work.shape, []).append(index)
    yield from by_shape.values()


def _epoch_batches(groups: list[list[int]], rng: np.random.Generator) -> Iterator[list[int]]:
    batches: list[list[int]] = []
    for group in groups:
        order = [group[i] for i in rng.permutation(len(group))]
        count = max(1, len(order) // BATCH)
        batches.extend(order[k * BATCH : (k + 1) * BATCH] for k in range(count))
    for index in rng.permutation(len(batches)):
        yield batches[index]


def _augmented(
    inputs: list[NDArray[np.float32]], targets: list[NDArray[np.float32]], batch: list[int], rng: np.random.Generator
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """The batch with random left-right and up-down mirror images (a surface defect has no up or left)."""
    x = np.stack([inputs[i] for i in batch])
    y = np.stack([targets[i] for i in batch])
    for axis in (2, 1):
        flip = rng.random(len(batch)) < 0.5
        x[flip] = np.flip(x[flip], axis=axis)
        y[flip] = np.flip(y[flip], axis=axis + 1)
    return np.ascontiguousarray(x), np.ascontiguousarray(y)
