"""Data quality of one data point, for the session's diagnostics: is it still reporting? Pure, no I/O.

A point is *stale* when its newest sample is older than its staleness limit:

- with an expected rate ``r`` (Hz): ``max(60 s, 3 / r)`` — three missed samples, but never under a minute, so a
  1 Hz point is not called stale by one late batch;
- without one, a measurement or counter: 600 s (assumed; the page says so);
- without one, a state or text point: not judged — such points report on change and may stay silent for days.

A newest sample more than 60 s ahead of the server's clock is flagged (a device clock set wrong), not trusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from zhizao.telemetry.kinds import SignalKind
from zhizao.ui.i18n import N_

US = 1_000_000
STALE_FLOOR_S = 60.0
MISSED_SAMPLES = 3
ASSUMED_STALE_S = 600.0
FUTURE_TOLERANCE_S = 60.0
ON_CHANGE_KINDS = frozenset({SignalKind.STATE, SignalKind.TEXT})


class Freshness(StrEnum):
    FRESH = "fresh"
    STALE = "stale"
    NEVER = "never"  # no sample stored
    AHEAD = "ahead"  # the newest sample lies in the future
    NOT_JUDGED = "not_judged"  # reported on change, no expected rate


FRESHNESS_LABELS: dict[str, str] = {
    Freshness.FRESH: N_("fresh"),
    Freshness.STALE: N_("stale"),
    Freshness.NEVER: N_("no data yet"),
    Freshness.AHEAD: N_("timestamp in the future (device clock?)"),
    Freshness.NOT_JUDGED: N_("reports on change (not judged)"),
}


@dataclass(frozen=True, slots=True)
class Quality:
    freshness: Freshness
    age_s: float | None  # now − newest sample; None without a sample
    stale_after_s: float | None  # the limit applied; None when not judged
    assumed: bool  # the limit is the default, not from the point's expected rate


def stale_after_s(kind: SignalKind, expected_rate_hz: float | None) -> tuple[float | None, bool]:
    """The staleness limit in seconds and whether it is assumed; (None, False) when the point is not judged."""
    if expected_rate_hz is not None and expected_rate_hz > 0:
        return max(STALE_FLOOR_S, MISSED_SAMPLES / expected_rate_hz), False
    if kind in ON_CHANGE_KINDS:
        return None, False
    return ASSUMED_STALE_S, True


def assess(last_ts_us: int | None, now_us: int, kind: SignalKind, expected_rate_hz: float | None) -> Quality:
    limit, assumed = stale_after_s(kind, expected_rate_hz)
    if last_ts_us is None:
        return Quality(Freshness.NEVER, None, limit, assumed)
    age_s = (now_us - last_ts_us) / US
    if age_s < -FUTURE_TOLERANCE_S:
        return Quality(Freshness.AHEAD, age_s, limit, assumed)
    if limit is None:
        return Quality(Freshness.NOT_JUDGED, age_s, None, False)
    return Quality(Freshness.STALE if age_s > limit else Freshness.FRESH, age_s, limit, assumed)
