"""Demo seeder: what the demo enterprise enters for the programme KPIs, and the verification run on it.

Labour hours, costs and deliveries are the enterprise's own books, so the demo derives plausible ones from what
its machines measured: the same crew before and after the upgrade, consumables per unit made, energy at the
industrial tariff, maintenance that fell with condition monitoring, overheads that rose by the upgrade's own
depreciation, prices up 2.5 % in the evaluation window (removed by the price index), and orders delivered sooner.
The verification itself is the product's: ``programme_service.run_verification`` over the two windows.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhizao.accounts.principal import Principal
from zhizao.production import programme_records, programme_service
from zhizao.production.models import DailyOutput
from zhizao.production.programme import DEFAULT, VerificationRules
from zhizao.production.programme_inputs import CostCategory, CostLine, Delivery, EnteredRecords, LabourMonth

CREW = 8  # operators per shift, three shifts, every day
WAGE_CNY_PER_HOUR = Decimal("68")
TARIFF_CNY_PER_KWH = Decimal("0.82")
CONSUMABLES_CNY_PER_UNIT = Decimal("0.01")  # packing and cutting consumables; most units are packed parts
MAINTENANCE_CNY = {False: Decimal("180000"), True: Decimal("105000")}  # per month: conventional, smart
OVERHEAD_CNY = {False: Decimal("150000"), True: Decimal("190000")}  # the smart factory's systems depreciate too
PRICE_INDEX = {False: Decimal("100"), True: Decimal("102.5")}
LEAD_DAYS = {False: (9.0, 2.5), True: (6.0, 1.5)}  # order-to-delivery days: mean, standard deviation
SEED = 643  # 沪经信制〔2020〕643号


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _months(first: date, last: date) -> list[date]:
    months, cursor = [], first.replace(day=1)
    while cursor <= last:
        months.append(cursor)
        cursor = (cursor.replace(day=28) + timedelta(days=4)).replace(day=1)
    return months


def _measured_per_month(
    session: Session, enterprise_id: int, first: date, last: date
) -> dict[str, tuple[int, Decimal]]:
    """Units made and kWh metered per month, as the sync job stored them."""
    rows = session.execute(
        select(
            DailyOutput.local_date,
            func.sum(DailyOutput.good + DailyOutput.scrap + DailyOutput.rework),
            func.sum(DailyOutput.energy_kwh),
        )
        .where(
            DailyOutput.enterprise_id == enterprise_id, DailyOutput.local_date >= first, DailyOutput.local_date <= last
        )
        .group_by(DailyOutput.local_date)
    ).all()
    units: dict[str, int] = defaultdict(int)
    energy: dict[str, Decimal] = defaultdict(Decimal)
    for day, made, kwh in rows:
        units[_month(day)] += int(made or 0)
        energy[_month(day)] += Decimal(str(kwh or 0))
    return {month: (units[month], energy[month]) for month in units}


def entered_records(
    session: Session, enterprise_id: int, baseline: tuple[date, date], evaluation: tuple[date, date]
) -> EnteredRecords:
    measured = _measured_per_month(session, enterprise_id, baseline[0], evaluation[1])
    labour, costs, deliveries = [], [], []
    rng = random.Random(SEED)  # noqa: S311 - demo data, reproducible on purpose
    for smart, (first, last) in ((False, baseline), (True, evaluation)):
        for start in _months(first, last):
            month = _month(start)
            days = ((start.replace(day=28) + timedelta(days=4)).replace(day=1) - start).days
            hours = Decimal(CREW * 24 * days)
            units, kwh = measured.get(month, (0, Decimal(0)))
            labour.append(LabourMonth(month=month, hours=hours))
            amounts = {
                CostCategory.LABOUR: hours * WAGE_CNY_PER_HOUR,
                CostCategory.ENERGY: (kwh * TARIFF_CNY_PER_KWH).quantize(Decimal("0.01")),
                CostCategory.MATERIALS: (units * CONSUMABLES_CNY_PER_UNIT).quantize(Decimal("0.01")),
                CostCategory.MAINTENANCE: MAINTENANCE_CNY[smart],
                CostCategory.OTHER: OVERHEAD_CNY[smart],
            }
            index = PRICE_INDEX[smart]
            costs += [
                CostLine(
                    category=category,
                    amount=(amount * index / 100).quantize(Decimal("0.01")),
                    price_index=index,
                    month=month,
                )
                for category, amount in amounts.items()
            ]
        mean, deviation = LEAD_DAYS[smart]
        day, number = first, 0
        while day <= last:
            lead = max(1, round(rng.gauss(mean, deviation)))
            if day + timedelta(days=lead) <= last:
                number += 1
                deliveries.append(
                    Delivery(
                        order_id=f"SO-{day:%Y%m%d}-{number:03d}",
                        product="CARTON_24",
                        quantity=rng.choice((480, 960, 1440)),
                        order_date=day,
                        delivery_date=day + timedelta(days=lead),
                    )
                )
            day += timedelta(days=2)
    return EnteredRecords(labour=tuple(labour), costs=tuple(costs), deliveries=tuple(deliveries))


def seed_programme(
    session: Session,
    actor: Principal,
    enterprise_id: int,
    baseline: tuple[date, date],
    evaluation: tuple[date, date],
    rules: VerificationRules = DEFAULT,
) -> list[tuple[str, str]]:
    """Enter the books and run the verification; returns report rows (KPI, verdict)."""
    records = entered_records(session, enterprise_id, baseline, evaluation)
    session.rollback()
    programme_records.replace_entered_records(session, actor, enterprise_id, records)
    stored = programme_service.run_verification(
        session,
        actor,
        enterprise_id,
        programme_service.DateWindow(*baseline),
        programme_service.DateWindow(*evaluation),
        rules,
    )
    return [("productivity", stored.productivity_verdict), ("operating cost", stored.cost_verdict)]
