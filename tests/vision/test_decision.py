"""A station's own decision threshold: what it may be for each kind of model, how it turns a model's verdict, and
the operating points it is chosen from (worked by hand)."""

from __future__ import annotations

import pytest

from zhizao.errors import InputError
from zhizao.vision.decision import at_threshold, check_threshold, operating_points, part_score
from zhizao.vision.types import Box, Task, Verdict, VerdictKind

BOXES = (Box(10, 10, 40, 40, "scratch", 0.62), Box(60, 60, 90, 90, "patches", 0.31))


@pytest.mark.parametrize(
    ("task", "threshold", "message"),
    [
        (Task.CLASSIFY, 0.5, "most probable class"),
        (Task.DETECT, 0.0, "above 0 and at most 1"),
        (Task.DETECT, 1.5, "above 0 and at most 1"),
        (Task.ANOMALY, float("nan"), "finite"),
        (Task.ANOMALY, 0.0, "above 0"),  # good images score about 0: everything would be flagged
    ],
)
def test_thresholds_a_model_cannot_take_are_refused_by_field(task: Task, threshold: float, message: str) -> None:
    with pytest.raises(InputError, match=message) as raised:
        check_threshold(task, threshold)
    assert raised.value.fields[0].field == "body.threshold"


def test_thresholds_a_model_can_take() -> None:
    assert check_threshold(Task.DETECT, 1.0) == 1.0
    assert check_threshold(Task.ANOMALY, 12.5) == 12.5
    assert check_threshold(Task.CLASSIFY, None) is None


def test_an_anomaly_verdict_is_decided_at_the_stations_threshold() -> None:
    verdict = Verdict(VerdictKind.ANOMALOUS, None, 11.0, threshold=10.0)
    stricter = at_threshold(verdict, Task.ANOMALY, 12.0)
    assert (stricter.kind, stricter.score, stricter.threshold) == (VerdictKind.PASS, 11.0, 12.0)
    laxer = at_threshold(Verdict(VerdictKind.PASS, None, 7.0, threshold=10.0), Task.ANOMALY, 6.0)
    assert (laxer.kind, laxer.threshold) == (VerdictKind.ANOMALOUS, 6.0)
    assert at_threshold(verdict, Task.ANOMALY, None) is verdict
    assert at_threshold(verdict, Task.ANOMALY, 11.0).kind is VerdictKind.PASS  # anomalous only above it


def test_a_detector_verdict_needs_a_box_at_the_threshold() -> None:
    verdict = Verdict(VerdictKind.DEFECT, "scratch", 0.62, BOXES)
    kept = at_threshold(verdict, Task.DETECT, 0.6)
    assert (kept.kind, kept.label, kept.score, kept.boxes) == (VerdictKind.DEFECT, "scratch", 0.62, BOXES)
    passed = at_threshold(verdict, Task.DETECT, 0.7)
    assert (passed.kind, passed.label, passed.boxes) == (VerdictKind.PASS, None, BOXES)
    assert passed.score == pytest.approx(0.38)  # 1 − the best box's score: how sure the pass is
    assert at_threshold(Verdict(VerdictKind.PASS, None, 1.0), Task.DETECT, 0.5).score == 1.0
    assert part_score(verdict, Task.DETECT) == 0.62 and part_score(passed, Task.DETECT) == 0.62


def test_operating_points_of_an_anomaly_model() -> None:
    good = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]
    defect = [2.5, 8.5, 9.5, 12.0]
    points = operating_points(Task.ANOMALY, good, defect, 11.0)
    # own 11: every good passes, one defect of four flagged; all good pass up to 10 (> 10 flagged: 12 only);
    # 99 % and 95 % of ten images is still all ten; 90 %: nine pass at 9, and 9.5 and 12 are flagged
    assert points == [
        {"threshold": 11.0, "good_passed": 1.0, "defects_flagged": 0.25},
        {"threshold": 10.0, "good_passed": 1.0, "defects_flagged": 0.25},
        {"threshold": 9.0, "good_passed": 0.9, "defects_flagged": 0.5},
    ]


def test_operating_points_of_a_detector() -> None:
    good = [0.0, 0.0, 0.0, 0.0, 0.0, 0.1, 0.1, 0.2, 0.3, 0.4]  # the best box of each defect-free image (0: none)
    defect = [0.1, 0.35, 0.9]
    points = operating_points(Task.DETECT, good, defect, None)
    # a box counts at or above the threshold, so each lies a step (of the 4 decimals shown) past the box that passes
    assert [point["threshold"] for point in points] == [0.4001, 0.3001]
    assert [(point["good_passed"], point["defects_flagged"]) for point in points] == [
        (1.0, pytest.approx(1 / 3)),
        (0.9, pytest.approx(2 / 3)),
    ]
    assert operating_points(Task.DETECT, [], defect, None) == []


def test_operating_point_thresholds_are_what_a_person_types_back() -> None:
    good = [1.0] * 9 + [9.87654321]
    anomaly_points = operating_points(Task.ANOMALY, good, [9.87659, 20.0], None)
    assert anomaly_points[0] == {"threshold": 9.8766, "good_passed": 1.0, "defects_flagged": 0.5}
    # a detector's threshold stays a box score: 0.99995 rounds up to 1.0; past a box of 1.0 there is none
    assert [point["threshold"] for point in operating_points(Task.DETECT, [0.2, 0.99995], [1.0], None)] == [1.0]
    assert operating_points(Task.DETECT, [0.2, 1.0], [1.0], None) == []
