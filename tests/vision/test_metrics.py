"""The evaluation metrics against values worked out by hand (the arithmetic is in the comments)."""

from __future__ import annotations

import pytest

from zhizao.vision.metrics import accuracy, auroc, average_precision, box_iou, mean_average_precision, recall_per_class
from zhizao.vision.types import Box


def box(x0: int, y0: int, x1: int, y1: int, label: str = "a", score: float = 1.0) -> Box:
    return Box(x0, y0, x1, y1, label, score)


def test_accuracy_and_recall_per_class() -> None:
    truth = ["a", "a", "a", "b", "b"]
    predicted = ["a", "b", "a", "b", "a"]
    assert accuracy(truth, predicted) == pytest.approx(3 / 5)
    assert recall_per_class(truth, predicted) == pytest.approx({"a": 2 / 3, "b": 1 / 2})
    with pytest.raises(ValueError, match="equal length"):
        accuracy(truth, predicted[:-1])


def test_auroc_counts_a_tie_as_one_half() -> None:
    # Positives score 0.9, 0.7, 0.5; negatives 0.5, 0.3, 0.1. Of the 9 (positive, negative) pairs the positive is
    # higher in 8 and tied in 1 (0.5 vs 0.5): AUROC = (8 + 0.5) / 9.
    labels = [True, True, False, False, True, False]
    scores = [0.9, 0.5, 0.5, 0.1, 0.7, 0.3]
    assert auroc(labels, scores) == pytest.approx(8.5 / 9)


def test_auroc_extremes() -> None:
    assert auroc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]) == pytest.approx(1.0)
    assert auroc([1, 1, 0, 0], [0.1, 0.2, 0.3, 0.4]) == pytest.approx(0.0)
    assert auroc([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5]) == pytest.approx(0.5)  # every pair tied
    with pytest.raises(ValueError, match="positive and one negative"):
        auroc([1, 1], [0.2, 0.3])


def test_box_iou_overlap_disjoint_nested_and_touching() -> None:
    # 10×10 boxes offset by 5 in x and y: intersection 5 × 5 = 25, union 100 + 100 − 25 = 175.
    assert box_iou(box(0, 0, 10, 10), box(5, 5, 15, 15)) == pytest.approx(25 / 175)
    assert box_iou(box(0, 0, 10, 10), box(20, 20, 30, 30)) == 0.0
    # A 4×4 box inside a 10×10 one: 16 / 100.
    assert box_iou(box(0, 0, 10, 10), box(2, 2, 6, 6)) == pytest.approx(0.16)
    # Half-open pixels: x1 = 10 and x0 = 10 share an edge but no pixel.
    assert box_iou(box(0, 0, 10, 10), box(10, 0, 20, 10)) == 0.0
    assert box_iou(box(0, 0, 10, 10), box(0, 0, 10, 10)) == 1.0


def test_average_precision_with_a_false_positive() -> None:
    truth = [[box(0, 0, 10, 10), box(20, 20, 30, 30)]]
    detections = [[box(0, 0, 10, 10, score=0.9), box(50, 50, 60, 60, score=0.8), box(20, 20, 30, 30, score=0.7)]]
    # Ranked: TP, FP, TP → precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1. Precision made monotone from the right:
    # 1 at recall 1/2, 2/3 at recall 1 → AP = 1/2 · 1 + 1/2 · 2/3 = 5/6.
    assert average_precision(truth, detections, "a") == pytest.approx(5 / 6)


def test_a_duplicate_detection_is_a_false_positive() -> None:
    truth = [[box(0, 0, 10, 10), box(20, 20, 30, 30)]]
    detections = [[box(0, 0, 10, 10, score=0.9), box(1, 0, 11, 10, score=0.8), box(20, 20, 30, 30, score=0.7)]]
    # The second box overlaps the first ground truth (IoU 90/110) but it is already matched: FP, as above → 5/6.
    assert average_precision(truth, detections, "a") == pytest.approx(5 / 6)


def test_a_missed_box_caps_recall() -> None:
    truth = [[box(0, 0, 10, 10)], [box(20, 20, 30, 30)]]
    detections: list[list[Box]] = [[box(0, 0, 10, 10, score=0.9)], []]
    # One of two boxes found, precision 1 up to recall 1/2 and nothing after: AP = 1/2.
    assert average_precision(truth, detections, "a") == pytest.approx(0.5)
    # A box in the other image does not match: the detection must be in the ground truth's image.
    assert average_precision(truth, [[], [box(0, 0, 10, 10, score=0.9)]], "a") == 0.0


def test_iou_of_exactly_the_threshold_matches() -> None:
    # (0,0,10,10) inside (0,0,10,20): 100 / 200 = 0.5, which counts at the threshold 0.5.
    assert average_precision([[box(0, 0, 10, 20)]], [[box(0, 0, 10, 10, score=0.5)]], "a") == 1.0
    assert average_precision([[box(0, 0, 10, 21)]], [[box(0, 0, 10, 10, score=0.5)]], "a") == 0.0


def test_a_looser_threshold_counts_a_box_drawn_unlike_the_annotator() -> None:
    # (0,0,10,10) inside (0,0,10,25): IoU 100 / 250 = 0.4, a miss at 0.5 and a hit at 0.3 (mAP@0.3 of the report).
    truth, found = [[box(0, 0, 10, 25)]], [[box(0, 0, 10, 10, score=0.5)]]
    assert mean_average_precision(truth, found, 0.5) == (0.0, {"a": 0.0})
    assert mean_average_precision(truth, found, 0.3) == (1.0, {"a": 1.0})


def test_mean_average_precision_over_two_classes() -> None:
    truth = [[box(0, 0, 10, 10), box(20, 20, 30, 30)], [box(40, 40, 50, 50, "b")]]
    detections = [
        [
            box(0, 0, 10, 10, score=0.9),
            box(50, 50, 60, 60, score=0.8),
            box(20, 20, 30, 30, score=0.7),
            box(0, 0, 10, 10, "b", score=0.95),  # class b on class a's box: a false positive for b only
        ],
        [box(40, 40, 50, 50, "b", score=0.6)],
    ]
    # Class a: 5/6 as in the false-positive case. Class b: FP (0.95) then TP (0.6) → precision 1/2 at recall 1,
    # AP = 1/2. mAP = (5/6 + 1/2) / 2 = 2/3.
    value, per_class = mean_average_precision(truth, detections)
    assert per_class == pytest.approx({"a": 5 / 6, "b": 0.5})
    assert value == pytest.approx(2 / 3)
    # A class with detections but no ground truth has no AP and does not enter the mean.
    assert average_precision(truth, detections, "c") is None
    with pytest.raises(ValueError, match="no ground-truth"):
        mean_average_precision([[]], [[box(0, 0, 1, 1)]])


def test_boxes_marked_difficult_count_neither_way() -> None:
    truth = [[box(0, 0, 10, 10), box(20, 20, 30, 30)]]
    difficult = [[box(40, 40, 50, 50)]]
    detections = [[box(40, 40, 50, 50, score=0.95), box(0, 0, 10, 10, score=0.9), box(50, 0, 60, 10, score=0.8),
                   box(20, 20, 30, 30, score=0.7)]]  # fmt: skip
    # The difficult box's detection is dropped; the rest rank TP, FP, TP as in the false-positive case: AP 5/6.
    assert average_precision(truth, detections, "a", ignored=difficult) == pytest.approx(5 / 6)
    # Counted as truth instead (what `map50` does): TP, TP, FP, TP over 3 boxes → AP 1/3 · 1 + 1/3 · 1 + 1/3 · 3/4.
    counted = [[*truth[0], *difficult[0]]]
    assert average_precision(counted, detections, "a") == pytest.approx(2 / 3 + 1 / 4)
    # Not found, a difficult box costs nothing: only the two others are to be found.
    assert average_precision(truth, [detections[0][1:]], "a", ignored=difficult) == pytest.approx(5 / 6)
    # A detection matching a box already found is a false alarm even where a difficult box lies near: the best match
    # decides (here the found box, IoU 1, against the difficult one's 0).
    again = [[*detections[0], box(0, 0, 10, 10, score=0.85)]]
    assert average_precision(truth, again, "a", ignored=difficult) == pytest.approx(1 / 2 + 1 / 2 * 2 / 4)
    value, per_class = mean_average_precision(truth, detections, ignored=difficult)
    assert (value, per_class) == (pytest.approx(5 / 6), pytest.approx({"a": 5 / 6}))
    with pytest.raises(ValueError, match="per image"):
        average_precision(truth, detections, "a", ignored=[[], []])
