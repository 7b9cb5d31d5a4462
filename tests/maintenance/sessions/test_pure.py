"""The session lifecycle table and the data-quality rule, against hand-worked cases. No database."""

from __future__ import annotations

import pytest

from zhizao.errors import Conflict
from zhizao.maintenance.sessions.lifecycle import EndReason, SessionEvent, SessionStatus, next_state
from zhizao.maintenance.sessions.live import trend_bucket_s
from zhizao.maintenance.sessions.quality import Freshness, assess, stale_after_s
from zhizao.telemetry.kinds import SignalKind

S, E, R = SessionStatus, SessionEvent, EndReason
US = 1_000_000
NOW = 1_700_000_000 * US


@pytest.mark.parametrize(
    ("state", "event", "expected"),
    [
        (S.OPEN, E.CLOSE, (S.CLOSED, R.CLOSED)),
        (S.OPEN, E.END, (S.ENDED, R.ENDED_BY_OWNER)),
        (S.OPEN, E.CONSENT_REVOKED, (S.LAPSED, R.CONSENT_REVOKED)),
        (S.OPEN, E.CONSENT_EXPIRED, (S.LAPSED, R.CONSENT_EXPIRED)),
    ],
)
def test_an_open_session_ends_four_ways(
    state: SessionStatus, event: SessionEvent, expected: tuple[SessionStatus, EndReason]
) -> None:
    assert next_state(state, event) == expected


@pytest.mark.parametrize("state", [S.CLOSED, S.ENDED, S.LAPSED])
@pytest.mark.parametrize("event", list(SessionEvent))
def test_an_ended_session_never_moves_again(state: SessionStatus, event: SessionEvent) -> None:
    with pytest.raises(Conflict):
        next_state(state, event)


@pytest.mark.parametrize(
    ("kind", "rate", "limit", "assumed"),
    [
        (SignalKind.MEASUREMENT, 1.0, 60.0, False),  # 3 / 1 Hz = 3 s, but never under a minute
        (SignalKind.MEASUREMENT, 0.01, 300.0, False),  # 3 / 0.01 Hz = 300 s
        (SignalKind.COUNTER, 0.02, 150.0, False),  # 3 / 0.02 Hz = 150 s
        (SignalKind.MEASUREMENT, None, 600.0, True),  # no rate: the assumed default
        (SignalKind.STATE, None, None, False),  # reports on change: not judged
        (SignalKind.TEXT, None, None, False),
        (SignalKind.STATE, 0.1, 60.0, False),  # a state point with a declared rate is judged
    ],
)
def test_staleness_limit(kind: SignalKind, rate: float | None, limit: float | None, assumed: bool) -> None:
    assert stale_after_s(kind, rate) == (limit, assumed)


def test_freshness_of_samples() -> None:
    m = SignalKind.MEASUREMENT
    assert assess(None, NOW, m, 1.0).freshness is Freshness.NEVER
    fresh = assess(NOW - 59 * US, NOW, m, 1.0)
    assert (fresh.freshness, fresh.age_s, fresh.stale_after_s) == (Freshness.FRESH, 59.0, 60.0)
    assert assess(NOW - 60 * US, NOW, m, 1.0).freshness is Freshness.FRESH  # the limit itself is still fresh
    stale = assess(NOW - 61 * US, NOW, m, 1.0)
    assert (stale.freshness, stale.age_s) == (Freshness.STALE, 61.0)
    assert assess(NOW + 30 * US, NOW, m, 1.0).freshness is Freshness.FRESH  # small clock skew is tolerated
    assert assess(NOW + 61 * US, NOW, m, 1.0).freshness is Freshness.AHEAD
    silent_state = assess(NOW - 86_400 * US, NOW, SignalKind.STATE, None)
    assert (silent_state.freshness, silent_state.age_s) == (Freshness.NOT_JUDGED, 86_400.0)
    assumed = assess(NOW - 601 * US, NOW, m, None)
    assert (assumed.freshness, assumed.assumed) == (Freshness.STALE, True)


@pytest.mark.parametrize(("minutes", "bucket"), [(15, 10), (60, 10), (240, 60), (1440, 360)])
def test_trend_buckets(minutes: int, bucket: int) -> None:
    assert trend_bucket_s(minutes) == bucket
