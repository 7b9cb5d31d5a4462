"""The cockpit's Excel export opens as a workbook holding every section's numbers, the edition and the time."""

from __future__ import annotations

import io
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.conftest import World, bearer
from tests.programme.builders import current_edition
from tests.programme.test_cockpit_records import add_project
from zhizao.accounts.roles import Role
from zhizao.programme.kinds import District, Industry, ProjectStage
from zhizao.ui.i18n import translations

S = ProjectStage
zh = translations("zh_CN").gettext  # the export is in the language of the page it was downloaded from


def rows(sheet: Any) -> dict[str, list[Any]]:
    """A sheet's data rows (below its edition, time and header rows) by their first cell."""
    return {row[0]: list(row[1:]) for row in sheet.iter_rows(min_row=5, values_only=True) if row[0] is not None}


def test_the_workbook_holds_every_section(client: TestClient, world: World) -> None:
    edition = current_edition(world)
    add_project(
        world, edition, S.BENCHMARK, Industry.AUTOMOTIVE, District.JIADING, robots=(200, 220), kpis=("0.25", "-0.25")
    )
    add_project(
        world, edition, S.RECOGNISED, Industry.AUTOMOTIVE, District.JIADING, robots=(50, 50), kpis=("0.10", "-0.30")
    )
    add_project(world, edition, S.DIAGNOSED, Industry.BIOMEDICINE, District.MINHANG)
    response = client.get(
        f"/programme/cockpit.xlsx?edition_id={edition}", headers=bearer(client, world.user(Role.OFFICER))
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith('attachment; filename="cockpit-2020-2022-')
    workbook = load_workbook(io.BytesIO(response.content))
    names = [zh(name) for name in ("Targets", "Industries", "Funnel", "Districts", "KPI results", "KPI distribution",
                                   "Talent and support")]  # fmt: skip
    assert workbook.sheetnames == names
    for sheet in workbook.worksheets:  # each sheet says which edition and when
        assert sheet["B1"].value.startswith("2020-2022") and sheet["B2"].value.endswith("CST")
    targets = rows(workbook[zh("Targets")])
    assert targets[zh("Smart factories recognised")] == [2, 100, 0.02]
    assert targets[zh("Robots newly deployed")] == [250, 10000, 0.025]
    assert workbook[zh("Targets")]["D5"].number_format == "0.0%"
    industries = rows(workbook[zh("Industries")])
    assert industries[zh("Automotive")][:4] == [2, 0, 20, 0.1] and industries[zh("Automotive")][4:6] == [1, 3]
    funnel = rows(workbook[zh("Funnel")])
    assert (
        funnel[zh("Applied")] == [0, 3]
        and funnel[zh("Diagnosed")] == [1, 3]
        and funnel[zh("Benchmark factory")] == [1, 1]
    )
    assert rows(workbook[zh("Districts")])[zh("Jiading")] == [2, 0, 0]
    results = rows(workbook[zh("KPI results")])
    assert results[zh("Accepted factories")] == [2] and results[zh("Meets both targets")] == [1]
    assert results[zh("Mean productivity gain (per cent)")] == [17.5]  # (25 + 10) / 2
    distribution = list(workbook[zh("KPI distribution")].iter_rows(min_row=5, values_only=True))
    assert (zh("Productivity gain"), "10 – 20 %", 1) in distribution and (
        zh("Productivity gain"),
        "20 – 30 %",
        1,
    ) in distribution
    assert (zh("Operating cost reduction"), "30 – 50 %", 1) in distribution
