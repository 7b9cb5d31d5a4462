"""The programme-KPI Excel template and its all-or-nothing import, and summing entered months into a window."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from zhizao.errors import InputError
from zhizao.production.programme_excel import MAX_BYTES, SHEETS, read_entered_records, template_workbook
from zhizao.production.programme_inputs import CostCategory, CostLine, Delivery, EnteredRecords, LabourMonth


def fill(template: bytes, rows: dict[str, list[list[Any]]]) -> bytes:
    """The template with ``rows`` appended under the headers of the sheets titled by the keys."""
    workbook = load_workbook(io.BytesIO(template))
    for title, values in rows.items():
        for row in values:
            workbook[title].append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def problems(caught: pytest.ExceptionInfo[InputError]) -> dict[str, str]:
    return {problem.field: problem.message for problem in caught.value.fields}


QUARTER: dict[str, list[list[Any]]] = {
    "工时": [["2024-01", 12000], [date(2024, 2, 1), 11000.5], ["2024年3月", "12,500"]],
    "成本": [
        # Materials in Chinese, energy by its code; the price index for March materials reflects 5 % inflation.
        ["2024-01", "材料", 500000, 100],
        ["2024-02", "材料", 480000.25, 100],
        ["2024-03", "materials", "525000", 105],
        ["2024-01", "能源", 60000, 100],
        ["2024-02", "energy", 58000, 100],
        ["2024-03", "能源", 0, 100],
    ],
    "交付": [
        ["SO-1", "P-100", 20, date(2024, 1, 3), date(2024, 1, 10)],
        [1002, "P-200", "5", "2024-02-01", "2024/2/6"],
        ["SO-3", "P-100", 1, "2024年3月30日", date(2024, 4, 2)],  # delivered after the quarter
    ],
}


def test_template_has_a_sheet_per_record_kind_with_chinese_headers() -> None:
    workbook = load_workbook(io.BytesIO(template_workbook()))
    assert workbook.sheetnames == ["工时", "成本", "交付", "说明"]
    for spec in SHEETS:
        header = next(workbook[spec.title].iter_rows(values_only=True))
        assert list(header) == list(spec.columns.values())
    assert [row[2] for row in workbook["说明"].iter_rows(min_row=2, values_only=True)][:2] == ["month", "hours"]
    # The empty template reads as nothing entered, not as an error.
    assert read_entered_records(template_workbook()) == EnteredRecords()


def test_round_trip_template_filled_parsed() -> None:
    records = read_entered_records(fill(template_workbook(), QUARTER))
    assert records.labour == (
        LabourMonth(month="2024-01", hours=Decimal(12000)),
        LabourMonth(month="2024-02", hours=Decimal("11000.5")),
        LabourMonth(month="2024-03", hours=Decimal(12500)),
    )
    assert records.costs[1] == CostLine(
        category=CostCategory.MATERIALS, amount=Decimal("480000.25"), price_index=Decimal(100), month="2024-02"
    )
    assert [line.category for line in records.costs].count(CostCategory.ENERGY) == 3
    assert records.deliveries[1] == Delivery(
        order_id="1002", product="P-200", quantity=5, order_date=date(2024, 2, 1), delivery_date=date(2024, 2, 6)
    )
    # Summed into the first quarter: 12 000 + 11 000.5 + 12 500 = 35 500.5 h; six cost lines; SO-3 falls outside.
    quarter = records.for_window(date(2024, 1, 1), date(2024, 3, 31))
    assert quarter.labour_hours == Decimal("35500.5")
    assert len(quarter.costs) == 6
    assert [delivery.order_id for delivery in quarter.deliveries] == ["SO-1", "1002"]


def test_english_sheet_names_and_column_codes_are_accepted() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    workbook.remove(sheet)
    for spec in SHEETS:
        workbook.create_sheet(spec.code).append(list(reversed(spec.columns)))  # any column order
    workbook["labour"].append([1500, "2024-05"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert read_entered_records(buffer.getvalue()).labour == (LabourMonth(month="2024-05", hours=Decimal(1500)),)


def test_every_bad_row_is_reported_and_nothing_is_returned() -> None:
    content = fill(
        template_workbook(),
        {
            "工时": [["2024-01", 100], ["2024-13", 100], ["2024-01", 90], ["2024-02", -5]],
            "成本": [["2024-01", "租金", 1000, 100], ["2024-01", "材料", "abc", 0], ["2024-02", "材料", None, 100]],
            "交付": [
                ["SO-1", "P", 1, "2024-01-05", "2024-01-04"],
                ["SO-2", "P", 1.5, "31/01/2024", "2024-02-01"],
                ["SO-1", "P", 2, "2024-01-01", "2024-01-02"],
            ],
        },
    )
    with pytest.raises(InputError) as caught:
        read_entered_records(content)
    found = problems(caught)
    assert found == {
        "labour.rows[3].month": "'2024-13' is not a month (write 2024-01)",
        "labour.rows[5].hours": "Input should be greater than or equal to 0",
        "labour.rows[4].month": "2024-01 repeats row 2",
        "costs.rows[2].category": "unknown cost category '租金' (one of 材料、人工、能源、维修、其他)",
        "costs.rows[3].amount": "'abc' is not a number",
        "costs.rows[3].price_index": "Input should be greater than 0",
        "costs.rows[4].amount": "is empty",
        "deliveries.rows[2]": "order SO-1 is delivered before it was ordered",
        "deliveries.rows[3].quantity": "1.5 is not a whole number",
        "deliveries.rows[3].order_date": "'31/01/2024' is not a date (write 2024-01-31)",
        "deliveries.rows[4].order_id": "SO-1 repeats row 2",
    }
    assert caught.value.message == "11 problems in the workbook; nothing was imported"


def test_a_price_index_of_zero_is_named() -> None:
    content = fill(template_workbook(), {"成本": [["2024-01", "材料", 1000, 0]]})
    with pytest.raises(InputError) as caught:
        read_entered_records(content)
    assert problems(caught) == {"costs.rows[2].price_index": "Input should be greater than 0"}


def test_file_level_problems() -> None:
    with pytest.raises(InputError) as caught:
        read_entered_records(b"not a workbook")
    assert problems(caught) == {"file": "is not an Excel .xlsx workbook"}
    with pytest.raises(InputError) as caught:
        read_entered_records(b"x" * (MAX_BYTES + 1))
    assert problems(caught) == {"file": "larger than 5 MiB"}

    workbook = load_workbook(io.BytesIO(template_workbook()))
    del workbook["交付"]
    workbook["工时"].delete_cols(2)
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(InputError) as caught:
        read_entered_records(buffer.getvalue())
    assert problems(caught) == {
        "labour": "missing columns: 工时（小时）",
        "deliveries": "the workbook has no sheet named 交付 (deliveries)",
    }


def test_a_window_must_be_whole_months_with_every_month_entered() -> None:
    records = read_entered_records(fill(template_workbook(), QUARTER))
    with pytest.raises(InputError) as caught:
        records.for_window(date(2024, 1, 15), date(2024, 3, 30))
    assert set(problems(caught)) == {"start", "end"}
    # April has neither labour hours nor costs; March–April touches both months.
    with pytest.raises(InputError) as caught:
        records.for_window(date(2024, 3, 1), date(2024, 4, 30))
    assert problems(caught) == {
        "labour.2024-04": "no labour hours entered for this month",
        "costs.2024-04.materials": "no materials cost entered (other months have one)",
        "costs.2024-04.energy": "no energy cost entered (other months have one)",
    }
    without_energy = EnteredRecords(
        labour=(LabourMonth(month="2024-01", hours=Decimal(1)),),
        costs=(CostLine(category=CostCategory.ENERGY, amount=Decimal(1), price_index=Decimal(100), month="2024-02"),),
    )
    with pytest.raises(InputError) as caught:
        without_energy.for_window(date(2024, 1, 1), date(2024, 1, 31))
    assert problems(caught) == {"costs.2024-01": "no costs entered for this month"}
