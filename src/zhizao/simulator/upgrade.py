"""How the plant ran before its smart-factory upgrade: the conventional profile, derived from the smart one.

A factory with ``upgrade_at_ms`` runs conventionally before that instant and as a smart factory after it.
The difference is made of mechanisms a smart-factory upgrade is bought for, each one factor on one
:class:`~zhizao.simulator.catalogue.Profile` parameter, so an analysis can be checked against a known cause:

================================  ====================================================================
factor (conventional / smart)     mechanism
================================  ====================================================================
``setup_factor``                  no tool presetting or digital setup sheets: longer changeovers
``handover_factor``               shift handover on paper instead of from the machine's own record
``micro_stop_factor``             more micro-stops: part starvation and small jams nobody sees coming
``micro_stop_length_factor``      each noticed later: no andon, no alert on the operator's terminal
``mtbf_factor``                   no condition monitoring: worn parts are found by breaking down
``repair_factor``                 no remote diagnosis: waiting for the service engineer and for spares
``scrap_factor``                  no SPC or in-process gauging: drift is found at final inspection
``cycle_time_factor``             conservative feeds and programs never optimised against cycle data
``standby_power_factor``          machines left idling between jobs and over night: no energy management
================================  ====================================================================

With the defaults the default factory makes 28–33 % more good parts per shift after the upgrade, with 21–26 %
less energy per good part (nine weeks each side, seeds 1 and 2; see ``docs/data-acquisition.md``; the bounds are
tested in ``tests/simulator/test_upgrade.py``). All factors 1 give a conventional plant identical to the smart one.
"""

from __future__ import annotations

import dataclasses

from pydantic import BaseModel, ConfigDict, Field

from zhizao.simulator.catalogue import Profile
from zhizao.simulator.states import Activity

# Activities in which a machine is switched on but not working: where idling costs energy.
STANDBY_ACTIVITIES = (Activity.OFF_SHIFT, Activity.IDLE)


class ConventionalPractice(BaseModel):
    """Factors that turn a smart machine profile into the same machine run conventionally (see module)."""

    model_config = ConfigDict(frozen=True)

    setup_factor: float = Field(default=2.0, gt=0, le=20)
    handover_factor: float = Field(default=1.5, gt=0, le=20)
    micro_stop_factor: float = Field(default=2.0, gt=0, le=20)
    micro_stop_length_factor: float = Field(default=1.5, gt=0, le=20)
    mtbf_factor: float = Field(default=0.6, gt=0, le=20)
    repair_factor: float = Field(default=2.0, gt=0, le=20)
    scrap_factor: float = Field(default=2.0, gt=0, le=20)
    cycle_time_factor: float = Field(default=1.06, gt=0, le=20)
    standby_power_factor: float = Field(default=2.0, gt=0, le=20)


def conventional_profile(smart: Profile, practice: ConventionalPractice) -> Profile:
    """The profile of a machine that behaves as ``smart`` once upgraded, before its upgrade."""
    setup_mean, setup_sd = smart.setup_ms
    power = dict(smart.power_kw)
    for activity in STANDBY_ACTIVITIES:
        power[activity] = smart.power_kw[activity] * practice.standby_power_factor
    return dataclasses.replace(
        smart,
        setup_ms=(round(setup_mean * practice.setup_factor), round(setup_sd * practice.setup_factor)),
        handover_ms=round(smart.handover_ms * practice.handover_factor),
        micro_stop_prob=min(1.0, smart.micro_stop_prob * practice.micro_stop_factor),
        micro_stop_mean_ms=round(smart.micro_stop_mean_ms * practice.micro_stop_length_factor),
        mtbf_h=smart.mtbf_h * practice.mtbf_factor,
        repair_median_h=smart.repair_median_h * practice.repair_factor,
        base_scrap=min(1.0, smart.base_scrap * practice.scrap_factor),
        first_part_scrap=min(1.0, smart.first_part_scrap * practice.scrap_factor),
        cycle_time_factor=smart.cycle_time_factor * practice.cycle_time_factor,
        power_kw=power,
    )
