"""The public publications: the smart-factory list, the case collection and a case, reached without signing in,
showing recognised factories and benchmarks only, with each case's verified KPI results and its windows."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import World
from tests.programme.builders import current_edition
from tests.programme.test_cockpit_records import add_project
from zhizao.programme.kinds import District, Industry, ProjectStage
from zhizao.ui.i18n import translations

S = ProjectStage
zh = translations("zh_CN").gettext  # what a zh-CN reader sees for an English message id
CASE = ("数字化车身车间", "以数字孪生驱动的车身焊装车间，焊装自动化率达 95%。", "A body shop run by its digital twin.")


@pytest.fixture
def published(world: World) -> dict[str, int]:
    """A benchmark and a recognised factory with cases and verifications, and projects not (yet) recognised."""
    edition = current_edition(world)
    return {
        "edition": edition,
        "benchmark": add_project(world, edition, S.BENCHMARK, Industry.AUTOMOTIVE, District.JIADING,
                                 name="上汽临港工厂", kpis=("0.25", "-0.22"), case=CASE),
        "recognised": add_project(world, edition, S.RECOGNISED, Industry.BIOMEDICINE, District.PUDONG,
                                  name="张江药业", case=("连续制造", "连续制造产线", "")),
        "accepted": add_project(world, edition, S.ACCEPTED, Industry.AUTOMOTIVE, name="验收未认定厂",
                                kpis=("0.30", "-0.30"), case=("未公开", "不应公开", "not public")),
        "applied": add_project(world, edition, S.APPLIED, Industry.ELECTRONICS, name="刚申报的企业"),
        "rejected": add_project(world, edition, S.REJECTED, Industry.ELECTRONICS, name="未通过的企业"),
    }  # fmt: skip


def test_the_list_shows_recognised_factories_and_benchmarks_only(client: TestClient, published: dict[str, int]) -> None:
    page = client.get("/public/smart-factories")
    assert page.status_code == 200, page.text
    html = page.text
    assert "上汽临港工厂" in html and "张江药业" in html
    for hidden in ("验收未认定厂", "刚申报的企业", "未通过的企业"):
        assert hidden not in html
    assert html.index("上汽临港工厂") < html.index("张江药业")  # automotive before biomedicine
    api = client.get("/api/programme/public/smart-factories")
    assert api.status_code == 200, api.text
    body = api.json()
    assert body["edition"]["id"] == published["edition"]
    rows = {row["enterprise_name"]: row for row in body["factories"]}
    assert set(rows) == {"上汽临港工厂", "张江药业"}
    assert rows["上汽临港工厂"] == {
        "project_id": published["benchmark"], "enterprise_name": "上汽临港工厂", "industry": "automotive",
        "district": "jiading", "recognised_year": 2022, "benchmark": True,
    }  # fmt: skip
    assert rows["张江药业"]["benchmark"] is False
    assert client.get("/api/programme/public/smart-factories?edition_id=999999").status_code == 404


def test_the_case_collection_shows_narratives_and_verified_results(
    client: TestClient, published: dict[str, int]
) -> None:
    html = client.get("/public/cases").text
    assert CASE[0] in html and CASE[1] in html
    assert "不应公开" not in html and "刚申报的企业" not in html
    # +25 % productivity, operating cost −22 %, with the windows the verification compared.
    assert "+25.00 %" in html and "−22.00 %" in html
    assert "2021-01-01 – 2021-03-31" in html and "2021-07-01 – 2021-09-30" in html
    case = client.get(f"/public/cases/{published['benchmark']}")
    assert case.status_code == 200 and CASE[1] in case.text and "+25.00 %" in case.text
    # A recognised factory without a verification says so rather than showing numbers.
    recognised = client.get(f"/public/cases/{published['recognised']}")
    assert recognised.status_code == 200 and "连续制造产线" in recognised.text
    assert zh("No verified result") in recognised.text and " %" not in recognised.text


def test_the_english_page_shows_the_english_narrative(client: TestClient, published: dict[str, int]) -> None:
    client.get("/lang/en?next=/public/cases")
    html = client.get(f"/public/cases/{published['benchmark']}").text
    assert CASE[2] in html and CASE[1] not in html
    # A case written only in Chinese is shown in Chinese rather than not at all.
    assert "连续制造产线" in client.get(f"/public/cases/{published['recognised']}").text


@pytest.mark.parametrize("stage", ["accepted", "applied", "rejected"])
def test_a_project_not_recognised_is_not_a_case(client: TestClient, published: dict[str, int], stage: str) -> None:
    response = client.get(f"/public/cases/{published[stage]}")
    assert response.status_code == 404
    assert client.get("/public/cases/999999").status_code == 404
