"""The published list and the case collection as PDFs: real PDF files, Chinese by default and English on request,
naming the recognised enterprises and only them, with each case's verified results."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
from fastapi.testclient import TestClient

from tests.conftest import World
from tests.programme.builders import current_edition
from tests.programme.test_cockpit_records import add_project
from zhizao.programme.kinds import District, Industry, ProjectStage

S = ProjectStage


def pdf_text(content: bytes) -> str:
    document = pdfium.PdfDocument(content)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


@pytest.fixture
def edition_id(world: World) -> int:
    edition = current_edition(world)
    add_project(
        world,
        edition,
        S.BENCHMARK,
        Industry.ELECTRONICS,
        District.SONGJIANG,
        name="松江电子科技有限公司",
        kpis=("0.32", "-0.21"),
        case=("柔性装配", "柔性装配线实现多品种混线生产。", "A flexible assembly line."),
    )
    add_project(world, edition, S.RECOGNISED, Industry.AEROSPACE, District.PUDONG, name="浦东航空制造有限公司")
    add_project(world, edition, S.IN_CONSTRUCTION, Industry.AEROSPACE, name="在建工厂有限公司")
    return edition


def test_smart_factory_list_pdf_in_chinese_and_english(client: TestClient, edition_id: int) -> None:
    chinese = client.get(f"/public/smart-factories.pdf?edition_id={edition_id}")
    assert chinese.status_code == 200 and chinese.headers["content-type"] == "application/pdf"
    assert chinese.content.startswith(b"%PDF")
    assert 'filename="smart-factories-2020-2022-zh.pdf"' in chinese.headers["content-disposition"]
    text = pdf_text(chinese.content)
    assert "松江电子科技有限公司" in text and "浦东航空制造有限公司" in text and "在建工厂有限公司" not in text
    english = client.get("/public/smart-factories.pdf?lang=en")
    assert english.content.startswith(b"%PDF")
    text = pdf_text(english.content)
    assert "松江电子科技有限公司" in text  # Chinese names are set in the CID font inside the English file
    assert client.get("/public/smart-factories.pdf?lang=fr").status_code == 422


def test_case_collection_pdf_holds_the_narratives_and_results(client: TestClient, edition_id: int) -> None:
    chinese = client.get("/public/cases.pdf")
    assert chinese.status_code == 200 and chinese.content.startswith(b"%PDF")
    text = pdf_text(chinese.content)
    assert "柔性装配线实现多品种混线生产。" in text and "松江电子科技有限公司" in text
    assert "+32.00 %" in text and "−21.00 %" in text and "2021-01-01 – 2021-03-31" in text
    assert "在建工厂有限公司" not in text
    english = pdf_text(client.get("/public/cases.pdf?lang=en").content)
    assert "A flexible assembly line." in english and "柔性装配线" not in english
