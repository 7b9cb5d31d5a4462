# ruff: noqa: T201  (a measuring script: its output is the report)
"""Experiment: a small convolutional network, trained from scratch on the CPU, scores the texture detector's windows.

This is the script behind the "RoI network" figures in docs/vision.md (2026-12-02). It is not part of the package:
it measures whether a Fast R-CNN-like head on the candidate windows of ``zhizao.vision.detect`` beats the
gradient-boosted window scorer on NEU-DET, before the idea is built into the detector (the next step, see
docs/vision.md, "What is not done yet").

The network (PyTorch, CPU build, no downloaded weights):

- the four-stage backbone of ``zhizao.vision.boxnet`` (strides 2–16), its last three stages fused at stride 4 and
  reduced to 32 channels;
- per window, the features averaged over 7 × 7 bins: 5 × 5 inside the window and a ring of one bin outside it (where
  a defect ends, the box should end), two samples per bin side (bilinear), and the window's log width and height and
  centre as fractions of the image;
- two fully connected layers of 128, then per class the logit of "this window overlaps a true box of the class by
  IoU ≥ 0.5" (binary cross-entropy) and a class-agnostic box correction (smooth L1 on windows with IoU ≥ 0.4, the
  deltas of Fast R-CNN scaled by 0.1 and 0.2);
- two auxiliary heads that also serve inspection: per class, a map of the share of each stride-4 cell inside a true
  box (weight 0.5), and the probability that the image holds the class (weight 0.3), used as the class prior.

Training: 48 windows per image (up to 16 with IoU ≥ 0.5 with some true box, up to 12 with 0.2–0.5, the rest below
0.2), drawn from every class's candidate windows and 8 jittered copies of each true box; batches of 16 images, random
left-right and up-down mirror images, AdamW with a one-cycle schedule peaking at 4e-3. Inspection: the image and its
mirror image; per class whose prior is at least 0.05, the ``--top-k`` candidate windows with the highest mean class
map are scored (their probability averaged with their mirror's, times √prior), corrected, then the detector's own
NMS (IoU 0.25), box fusion and minimum score.

Run from the repository root with the vision extra installed, the machine otherwise quiet::

    .venv/bin/python scripts/experiments/roi_scorer.py --data ../shared/data/neu_det --split validation
    .venv/bin/python scripts/experiments/roi_scorer.py --data ../shared/data/neu_det --split test

``validation``: the stated test split (seed 20200101) is left out and its training part split again with seed 7
(1,152 fitting / 288 validation images), as ``zhizao vision evaluate detect --validation-seed 7`` does. ``test``:
trained on the 1,440 training images, scored on the 360 test images of the stated split.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as functional
from torch import nn

from zhizao.vision import boxnet, detect
from zhizao.vision.folders import read_boxes
from zhizao.vision.images import read_grey
from zhizao.vision.metrics import mean_average_precision
from zhizao.vision.splits import DEFAULT_SEED, stratified_holdout

CHANNELS = 32
BINS = 7  # 5 inside the window and a ring of one bin outside it
SAMPLES = 2  # per bin side
WINDOWS, POSITIVES, NEAR_MISSES = 48, 16, 12  # per training image
BATCH = 16
JITTERED_COPIES = 8


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--split", choices=("validation", "test"), default="validation")
    parser.add_argument("--epochs", type=int, default=30, help="0: load --load and only inspect")
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--no-regression", action="store_true", help="train and inspect without box correction")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--top-k", type=int, default=3000, help="windows scored per class and image")
    parser.add_argument("--save", type=Path)
    parser.add_argument("--load", type=Path)
    args = parser.parse_args()
    if args.epochs < 0 or args.top_k < 1 or args.width < 1:
        parser.error("--epochs must be 0 or more, --top-k and --width 1 or more")
    if args.epochs == 0 and (args.load is None or not args.load.is_file()):
        parser.error("--epochs 0 only inspects: --load must name the weights a training run saved (--save)")
    if not (args.data / "annotations").is_dir():
        parser.error(f"--data {args.data}: not a folder laid out as NEU-DET (images/, annotations/)")
    return args


class Network(nn.Module):  # type: ignore[misc]
    def __init__(self, classes: int, width: int) -> None:
        super().__init__()
        block, w = boxnet._block, width
        self.stage1 = nn.Sequential(block(1, w, 2), block(w, w))
        self.stage2 = nn.Sequential(block(w, 2 * w, 2), block(2 * w, 2 * w))
        self.stage3 = nn.Sequential(block(2 * w, 4 * w, 2), block(4 * w, 4 * w))
        self.stage4 = nn.Sequential(block(4 * w, 4 * w, 2), block(4 * w, 4 * w, dilation=2))
        self.reduce = nn.Sequential(
            nn.Conv2d(10 * w, CHANNELS, 1, bias=False),
            nn.BatchNorm2d(CHANNELS),
            nn.ReLU(True),
            block(CHANNELS, CHANNELS),
        )
        self.map_head = nn.Conv2d(CHANNELS, classes, 1)
        self.presence = nn.Linear(4 * w, classes)
        self.fc = nn.Sequential(
            nn.Linear(CHANNELS * BINS * BINS + 4, 128), nn.ReLU(True), nn.Linear(128, 128), nn.ReLU(True)
        )
        self.cls = nn.Linear(128, classes)
        self.reg = nn.Linear(128, 4)

    def features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        fused, coarse = boxnet.fused_stages(self, x)
        feat = self.reduce(fused)
        return feat, self.map_head(feat), self.presence(coarse.mean(dim=(2, 3)))

    def windows(
        self, feat: torch.Tensor, windows: torch.Tensor, shape: tuple[int, int]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Per window (work pixels of an image of ``shape``; ``feat`` of that one image): class logits, box deltas."""
        height, width = shape
        x0, y0, x1, y1 = windows.unbind(1)
        bin_w, bin_h = (x1 - x0) / 5, (y1 - y0) / 5
        n = BINS * SAMPLES
        steps = (torch.arange(n, dtype=torch.float32) + 0.5) / SAMPLES - 1.0  # bins from -1 (the ring) to 6
        xs = x0[:, None] + steps[None, :] * bin_w[:, None]
        ys = y0[:, None] + steps[None, :] * bin_h[:, None]
        grid = torch.stack(
            [(xs / width * 2 - 1)[:, None, :].expand(-1, n, -1), (ys / height * 2 - 1)[:, :, None].expand(-1, -1, n)],
            -1,
        )
        count = len(windows)
        sampled = functional.grid_sample(feat, grid.reshape(1, count * n, n, 2), align_corners=False)
        sampled = sampled.reshape(CHANNELS, count, n, n).permute(1, 0, 2, 3)
        pooled = functional.avg_pool2d(sampled, SAMPLES).flatten(1)
        geometry = torch.stack(
            [
                torch.log((x1 - x0) / width),
                torch.log((y1 - y0) / height),
                (x0 + x1) / 2 / width,
                (y0 + y1) / 2 / height,
            ],
            1,
        )
        hidden = self.fc(torch.cat([pooled, geometry], 1))
        return self.cls(hidden), self.reg(hidden)


def deltas(windows: np.ndarray, truth: np.ndarray) -> np.ndarray:
    w, h = windows[:, 2] - windows[:, 0], windows[:, 3] - windows[:, 1]
    cx, cy = windows[:, 0] + w / 2, windows[:, 1] + h / 2
    tw, th = truth[:, 2] - truth[:, 0], truth[:, 3] - truth[:, 1]
    tcx, tcy = truth[:, 0] + tw / 2, truth[:, 1] + th / 2
    return np.stack([(tcx - cx) / w / 0.1, (tcy - cy) / h / 0.1, np.log(tw / w) / 0.2, np.log(th / h) / 0.2], 1)


def corrected(windows: np.ndarray, d: np.ndarray, height: int, width: int) -> np.ndarray:
    w, h = windows[:, 2] - windows[:, 0], windows[:, 3] - windows[:, 1]
    cx, cy = windows[:, 0] + w / 2 + d[:, 0] * 0.1 * w, windows[:, 1] + h / 2 + d[:, 1] * 0.1 * h
    nw, nh = w * np.exp(np.clip(d[:, 2] * 0.2, -1, 1)), h * np.exp(np.clip(d[:, 3] * 0.2, -1, 1))
    return np.stack(
        [
            np.clip(cx - nw / 2, 0, width),
            np.clip(cy - nh / 2, 0, height),
            np.clip(cx + nw / 2, 0, width),
            np.clip(cy + nh / 2, 0, height),
        ],
        1,
    )


def mirrored(boxes: np.ndarray, height: int, width: int, axis: str) -> np.ndarray:
    boxes = boxes.copy()
    if axis == "x":
        boxes[:, [0, 2]] = width - boxes[:, [2, 0]]
    else:
        boxes[:, [1, 3]] = height - boxes[:, [3, 1]]
    return boxes


class Experiment:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rng = np.random.default_rng(args.seed)
        self.items = read_boxes(args.data)
        train_at, test_at = stratified_holdout([item.label for item in self.items], 0.2, DEFAULT_SEED)
        if args.split == "test":
            self.fit_at, self.held_at = train_at, test_at
        else:
            fit, held = stratified_holdout([self.items[i].label for i in train_at], 0.2, 7)
            self.fit_at, self.held_at = [train_at[i] for i in fit], [train_at[i] for i in held]
        self.classes = tuple(sorted({box.label for item in self.items for box in item.boxes}))
        self.fit_data, self.held_data = self.load(self.fit_at), self.load(self.held_at)
        self.shapes = []
        for index, label in enumerate(self.classes):
            fractions = np.array(
                [
                    [(box.x1 - box.x0) / work.shape[1], (box.y1 - box.y0) / work.shape[0]]
                    for (work, _, _), i in zip(self.fit_data, self.fit_at, strict=True)
                    for box in self.items[i].boxes
                    if box.label == label
                ]
            )
            self.shapes.append(detect._box_shapes(fractions, 12, args.seed + index))
        self.window_cache: dict[tuple[int, ...], tuple[np.ndarray, list[np.ndarray]]] = {}
        self.network = Network(len(self.classes), args.width)

    def load(self, indices: list[int]) -> list[tuple[np.ndarray, float, list[np.ndarray]]]:
        out = []
        for i in indices:
            work, factor = detect._work_image(read_grey(self.items[i].path))
            out.append((work, factor, [detect._corners(self.items[i].boxes, label) / factor for label in self.classes]))
        return out

    def candidates(self, shape: tuple[int, ...]) -> tuple[np.ndarray, list[np.ndarray]]:
        if shape not in self.window_cache:
            per_class = [detect._windows(shapes, shape[0], shape[1], 25) for shapes in self.shapes]
            self.window_cache[shape] = (np.concatenate(per_class), per_class)
        return self.window_cache[shape]

    def jittered(self, truth: np.ndarray, height: int, width: int) -> np.ndarray:
        if len(truth) == 0:
            return np.zeros((0, 4))
        copies = np.repeat(truth, JITTERED_COPIES, axis=0)
        w, h = copies[:, 2] - copies[:, 0], copies[:, 3] - copies[:, 1]
        out = copies + self.rng.normal(0, 0.12, (len(copies), 4)) * np.stack([w, h, w, h], 1)
        out[:, [0, 2]] = np.clip(out[:, [0, 2]], 0, width)
        out[:, [1, 3]] = np.clip(out[:, [1, 3]], 0, height)
        return out[(out[:, 2] - out[:, 0] > 2) & (out[:, 3] - out[:, 1] > 2)]

    def sample(
        self, work: np.ndarray, truth: list[np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Training windows of one image: the windows, per-class targets, box deltas and where the deltas count."""
        height, width = work.shape
        every = np.concatenate(truth) if any(len(t) for t in truth) else np.zeros((0, 4))
        pool = np.concatenate([self.candidates(work.shape)[0], self.jittered(every, height, width)])
        best = detect._iou_matrix(pool, every).max(1) if len(every) else np.zeros(len(pool))
        hits = np.flatnonzero(best >= 0.5)
        near = np.flatnonzero((best >= 0.2) & (best < 0.5))
        misses = np.flatnonzero(best < 0.2)
        hits = self.rng.choice(hits, min(POSITIVES, len(hits)), replace=False) if len(hits) else hits
        near = self.rng.choice(near, min(NEAR_MISSES, len(near)), replace=False) if len(near) else near
        misses = self.rng.choice(misses, WINDOWS - len(hits) - len(near), replace=False)
        chosen = pool[np.concatenate([hits, near, misses])]
        targets = np.zeros((len(chosen), len(self.classes)), np.float32)
        for index, boxes in enumerate(truth):
            if len(boxes):
                targets[:, index] = detect._iou_matrix(chosen, boxes).max(1) >= 0.5
        box_deltas = np.zeros((len(chosen), 4), np.float32)
        counted = np.zeros(len(chosen), bool)
        if len(every):
            overlap = detect._iou_matrix(chosen, every)
            counted = overlap.max(1) >= 0.4
            box_deltas = deltas(chosen, every[overlap.argmax(1)]).astype(np.float32)
        return chosen, targets, box_deltas, counted

    def train(self) -> float:
        args, rng, network = self.args, self.rng, self.network
        inputs = [boxnet._network_input(work) for work, _, _ in self.fit_data]
        maps = [boxnet._targets(work.shape, truth) for work, _, truth in self.fit_data]
        present = np.array([[len(boxes) > 0 for boxes in truth] for _, _, truth in self.fit_data], np.float32)
        batches = len(self.fit_data) // BATCH
        optimiser = torch.optim.AdamW(network.parameters(), 2e-3, weight_decay=1e-4)
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, 4e-3, total_steps=args.epochs * batches)
        started = time.time()
        for epoch in range(args.epochs):
            network.train()
            order = rng.permutation(len(self.fit_data))
            sums = np.zeros(4)
            for k in range(batches):
                batch = order[k * BATCH : (k + 1) * BATCH]
                xs, ys, windows, targets, box_deltas, counted = [], [], [], [], [], []
                for i in batch:
                    work, _, truth = self.fit_data[i]
                    height, width = work.shape
                    x, y = inputs[i].copy(), maps[i].copy()
                    truth = [t.copy() for t in truth]
                    if rng.random() < 0.5:
                        x, y = x[:, ::-1], y[:, :, ::-1]
                        truth = [mirrored(t, height, width, "x") if len(t) else t for t in truth]
                    if rng.random() < 0.5:
                        x, y = x[::-1], y[:, ::-1]
                        truth = [mirrored(t, height, width, "y") if len(t) else t for t in truth]
                    sample = self.sample(work, truth)
                    xs.append(np.ascontiguousarray(x))
                    ys.append(np.ascontiguousarray(y))
                    for store, value in zip((windows, targets, box_deltas, counted), sample, strict=True):
                        store.append(value)
                feat, class_maps, presence = network.features(torch.from_numpy(np.stack(xs))[:, None])
                outputs = [
                    network.windows(feat[j : j + 1], torch.from_numpy(windows[j]).float(), self.fit_data[i][0].shape)
                    for j, i in enumerate(batch)
                ]
                logits, regressed = torch.cat([o[0] for o in outputs]), torch.cat([o[1] for o in outputs])
                class_loss = functional.binary_cross_entropy_with_logits(
                    logits, torch.from_numpy(np.concatenate(targets))
                )
                map_loss = functional.binary_cross_entropy_with_logits(class_maps, torch.from_numpy(np.stack(ys)))
                presence_loss = functional.binary_cross_entropy_with_logits(presence, torch.from_numpy(present[batch]))
                mask = torch.from_numpy(np.concatenate(counted))
                box_loss = torch.zeros(())
                if not args.no_regression and mask.any():
                    box_loss = functional.smooth_l1_loss(
                        regressed[mask], torch.from_numpy(np.concatenate(box_deltas))[mask]
                    )
                loss = class_loss + 0.5 * map_loss + 0.3 * presence_loss + box_loss
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                schedule.step()
                sums += [class_loss.item(), map_loss.item(), presence_loss.item(), box_loss.item()]
            losses = " ".join(
                f"{name} {value:.3f}" for name, value in zip(("cls", "map", "pres", "reg"), sums / batches, strict=True)
            )
            print(f"epoch {epoch} {time.time() - started:.0f}s {losses}", flush=True)
        return time.time() - started

    @torch.no_grad()
    def inspect(self) -> tuple[list[tuple[detect.Box, ...]], float]:
        settings, network, args = detect.Settings(), self.network.eval(), self.args
        found = []
        started = time.time()
        for work, factor, _ in self.held_data:
            height, width = work.shape
            _, per_class = self.candidates(work.shape)
            x = torch.from_numpy(boxnet._network_input(work))[None, None]
            feat, class_map, presence = network.features(x)
            feat_m, class_map_m, presence_m = network.features(torch.flip(x, [3]))
            prior = ((torch.sigmoid(presence) + torch.sigmoid(presence_m)) / 2)[0].numpy()
            class_map = (torch.sigmoid(class_map) + torch.flip(torch.sigmoid(class_map_m), [3])) / 2
            class_map = functional.interpolate(class_map, size=(height, width), mode="bilinear", align_corners=False)
            means = class_map[0].numpy().astype(np.float64)
            boxes = []
            for index, windows in enumerate(per_class):
                if prior[index] < settings.min_prior:
                    continue
                table = np.zeros((height + 1, width + 1))
                table[1:, 1:] = means[index].cumsum(0).cumsum(1)
                qx0, qy0 = np.floor(windows[:, 0]).astype(int), np.floor(windows[:, 1]).astype(int)
                qx1, qy1 = np.ceil(windows[:, 2]).astype(int), np.ceil(windows[:, 3]).astype(int)
                inside = (table[qy1, qx1] - table[qy0, qx1] - table[qy1, qx0] + table[qy0, qx0]) / np.maximum(
                    (qx1 - qx0) * (qy1 - qy0), 1
                )
                windows = windows[np.argsort(-inside)[: args.top_k]]
                logits, d = network.windows(feat, torch.from_numpy(windows).float(), (height, width))
                logits_m, d_m = network.windows(
                    feat_m, torch.from_numpy(mirrored(windows, height, width, "x")).float(), (height, width)
                )
                probability = (torch.sigmoid(logits[:, index]) + torch.sigmoid(logits_m[:, index])) / 2
                scores = probability.numpy().astype(np.float64) * np.sqrt(prior[index])
                if not args.no_regression:
                    d, d_m = d.numpy().copy(), d_m.numpy().copy()
                    d_m[:, 0] = -d_m[:, 0]  # the mirror's horizontal shift points the other way
                    windows = corrected(windows, (d + d_m) / 2, height, width)
                kept = detect._nms(windows, scores, settings.nms_iou, settings.boxes_per_class)
                kept = kept[scores[kept] >= settings.min_score * np.sqrt(prior[index])]
                shape = (round(height * factor), round(width * factor))
                boxes += [
                    detect._to_box(window, factor, shape, self.classes[index], float(score))
                    for window, score in zip(detect._fused(windows, scores, kept, settings), scores[kept], strict=True)
                ]
            found.append(tuple(sorted(boxes, key=lambda box: -box.score)))
        return found, time.time() - started


def main() -> None:
    args = parse()
    torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    experiment = Experiment(args)
    print(f"{len(experiment.fit_at)} training / {len(experiment.held_at)} scored images", flush=True)
    if args.epochs:
        print(f"train_seconds {experiment.train():.0f}", flush=True)
        if args.save:
            torch.save(experiment.network.state_dict(), args.save)
    else:
        experiment.network.load_state_dict(torch.load(args.load))
    found, seconds = experiment.inspect()
    truth = [experiment.items[i].boxes for i in experiment.held_at]
    print(f"inspection_ms_per_image {1000 * seconds / len(found):.0f}", flush=True)
    for threshold in (0.5, 0.3):
        value, per_class = mean_average_precision(truth, found, threshold)
        print(f"mAP@{threshold} {value:.4f}", {label: round(ap, 3) for label, ap in per_class.items()}, flush=True)


if __name__ == "__main__":
    main()
