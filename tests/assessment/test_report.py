"""The diagnosis report: its text layer, the radar chart as drawn, Chinese glyphs really rendered, the English
option, the benchmark section, refusals; the self-assessment's report (no team, signed by the enterprise alone);
and the ratings workbook.

The enterprise below is rated on the shipped model (discrete): every item of levels 1–3 fully met, level 5 not met,
and at level 4 the equipment items fully met, the energy items largely (0.8), everything else partly (0.5).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from datetime import date

import numpy as np
import pypdfium2 as pdfium
import pytest
from openpyxl import load_workbook

from tests.assessment.toy import sheet as toy_sheet
from tests.assessment.toy import toy_model
from zhizao.assessment.benchmark import PeerScore, benchmark
from zhizao.assessment.gaps import Integrator, analyse_gaps
from zhizao.assessment.kinds import EnterpriseType, EvidenceGrade
from zhizao.assessment.lifecycle import AssessmentKind
from zhizao.assessment.model import MaturityModel, load_model
from zhizao.assessment.report import (
    RaterRating,
    ReportExpert,
    ReportInput,
    radar_level,
    render_pdf,
    render_ratings_xlsx,
    sheet_rows,
    strengths,
)
from zhizao.assessment.report_radar import RADAR_HEIGHT, SERIES
from zhizao.assessment.scoring import ItemRating, RatingsSheet, score
from zhizao.errors import InputError

MODEL = load_model("gbt39116-v1")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
TITLE_ZH = "智能制造能力成熟度诊断报告"
INTEGRATORS = [
    Integrator(1, "申城智能装备集成", frozenset({"automation", "digital_twin"})),
    Integrator(2, "浦江数据科技", frozenset({"data_platform", "iiot"})),
]


def _rating(item: str, level: int) -> float:
    if level <= 3:
        return 1.0
    if level == 5:
        return 0.0
    if item.startswith("equipment."):
        return 1.0
    return 0.8 if item.startswith("production.energy.") else 0.5


def _sheet(overrides: dict[str, float] | None = None) -> RatingsSheet:
    ratings = []
    for requirement in MODEL.applicable(EnterpriseType.DISCRETE):
        value = (overrides or {}).get(requirement.id, _rating(requirement.id, requirement.level))
        grade = EvidenceGrade.SITE_CHECKED if requirement.level == 2 else EvidenceGrade.DOCUMENTED
        ratings.append(ItemRating(item=requirement.id, rating=value, evidence_grade=grade))
    return RatingsSheet(model_version=MODEL.version, enterprise_type=EnterpriseType.DISCRETE, ratings=ratings)


EXPERTS = [
    ReportExpert(name="李敏", employer="华东理工研究院", specialities=["能源管理"]),
    ReportExpert(name="王建国", employer="上海交通大学", specialities=["数字化车间", "MES"], lead=True),
]


def _input(
    sheet: RatingsSheet | None = None, integrators: list[Integrator] = INTEGRATORS, **changes: object
) -> ReportInput:
    sheet = sheet or _sheet()
    data: dict[str, object] = {
        "enterprise_name": "上海示例汽车零部件有限公司",
        "industry": "汽车",
        "enterprise_type": EnterpriseType.DISCRETE,
        "model_version": MODEL.version,
        "diagnosis_date": date(2026, 3, 2),
        "score": score(MODEL, sheet),
        "gaps": analyse_gaps(MODEL, sheet, integrators),
        "experts": EXPERTS,
        "benchmark": None,
    }
    return ReportInput.model_validate(data | changes)


@pytest.fixture(scope="module")
def report_zh() -> bytes:
    return render_pdf(_input())


def _pages(content: bytes) -> list[str]:
    document = pdfium.PdfDocument(content)
    texts = [page.get_textpage().get_text_range() for page in document]
    document.close()
    return texts


def _box(content: bytes, needle: str) -> tuple[int, tuple[float, float, float, float]]:
    """The page index and the box (left, bottom, right, top, in points) of the first occurrence of ``needle``."""
    document = pdfium.PdfDocument(content)
    try:
        for index, page in enumerate(document):
            textpage = page.get_textpage()
            found = textpage.search(needle).get_next()
            if found is not None:
                start, count = found
                boxes = [textpage.get_charbox(start + offset) for offset in range(count)]
                left, bottom = min(box[0] for box in boxes), min(box[1] for box in boxes)
                right, top = max(box[2] for box in boxes), max(box[3] for box in boxes)
                return index, (left, bottom, right, top)
    finally:
        document.close()
    raise AssertionError(f"{needle!r} is on no page")


def _render(content: bytes, page_index: int, scale: float) -> tuple[np.ndarray, float]:
    """The page as an RGB array, and its height in points (to turn PDF coordinates into rows)."""
    document = pdfium.PdfDocument(content)
    page = document[page_index]
    image = np.asarray(page.render(scale=scale).to_pil().convert("RGB")).astype(int)
    height = page.get_height()
    document.close()
    return image, height


def _crop(image: np.ndarray, height: float, scale: float, box: tuple[float, float, float, float]) -> np.ndarray:
    left, bottom, right, top = box
    return image[
        int((height - top) * scale) : int((height - bottom) * scale) + 1, int(left * scale) : int(right * scale) + 1
    ]


@pytest.fixture
def chinese_font() -> str:
    """A CJK font pdfium can put in place of the report's named, non-embedded CID font. Without one the Chinese
    glyphs are not drawn, which the pixel checks would take for a broken report: skip, but fail on CI
    (``ZHIZAO_TEST_REQUIRE_BROWSER=1``), whose machine installs ``fonts-wqy-microhei``."""
    fc_list = shutil.which("fc-list")
    found = ""
    if fc_list:
        # fontconfig's own listing tool, run with fixed arguments
        listed = subprocess.run([fc_list, ":lang=zh", "file"], capture_output=True, text=True, check=False)  # noqa: S603
        found = next((line.strip() for line in listed.stdout.splitlines() if line.strip()), "")
    if not found:
        reason = "no Chinese font for the PDF viewer to draw with (`fc-list :lang=zh` lists none; "
        reason += "apt-get install fonts-wqy-microhei)"
        if os.environ.get("ZHIZAO_TEST_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}; ZHIZAO_TEST_REQUIRE_BROWSER=1 forbids skipping")
        pytest.skip(reason)
    return found


def test_text_layer_has_the_chinese_headings_level_and_signatures(report_zh: bytes) -> None:
    pages = _pages(report_zh)
    text = "\n".join(pages)
    for heading in (
        TITLE_ZH,
        "总体结果",
        "各能力域得分雷达图",
        "各等级得分",
        "优势",
        "差距分析",
        "提升路线图",
        "专家组",
        "签字",
    ):
        assert heading in text, heading
    assert "第3级 集成级" in text  # levels 1–3 are met in full, level 4 is not
    assert "3.55" in text  # 3 + level 4's score (see the next test)
    assert "上海示例汽车零部件有限公司" in text and "离散型制造" in text and "2026-03-02" in text
    for signer in ("专家组组长", "专家", "企业负责人", "王建国", "李敏"):
        assert signer in text, signer
    assert "日期：" in text
    # Table cells wrap Chinese anywhere, so names are looked for with the line breaks taken out.
    flat = re.sub(r"\s", "", text)
    assert "浦江数据科技" in flat  # it covers the data and network items on the roadmap
    assert "申城智能装备集成" not in flat  # equipment items are met already: no roadmap item needs it
    assert "data.L4.1" in flat and "目录中暂无" in flat  # design items: no integrator in the directory
    assert f"第 1 页 / 共 {len(pages)} 页" in pages[0] and f"第 {len(pages)} 页 / 共 {len(pages)} 页" in pages[-1]
    assert "同行业对标" not in text  # no benchmark was given


def test_self_assessment_report_has_no_team_and_only_the_enterprise_signs(report_zh: bytes) -> None:
    own = render_pdf(_input(kind=AssessmentKind.SELF, experts=[]))
    text = "\n".join(_pages(own))
    assert "智能制造能力成熟度自评估报告" in text and TITLE_ZH not in text
    assert "企业自评估" in text and "评估方式" in text  # the team section says who assessed
    assert "评分为企业自我声明" in text and "评估日期" in text and "诊断日期" not in text
    assert "企业负责人" in text and "专家组组长" not in text and "组长" not in text
    assert "王建国" not in text and "李敏" not in text
    assert text.count("签字：") == 1  # the enterprise's line only
    # The same ratings as a diagnosis: the score, roadmap and level are the same, the team and its lines are back.
    assert "第3级 集成级" in text and "3.55" in text and "提升路线图" in text
    diagnosis = "\n".join(_pages(report_zh))
    assert "自评估" not in diagnosis and "评估方式" not in diagnosis and "自我声明" not in diagnosis
    assert diagnosis.count("签字：") == 3  # the lead, the other expert, the enterprise

    english = "\n".join(_pages(render_pdf(_input(kind=AssessmentKind.SELF, experts=[]), "en")))
    assert "Smart manufacturing capability maturity self-assessment report" in english
    assert "Self-assessment:" in english and "self-declared" in english and "Assessment date" in english
    assert "Enterprise representative" in english and "Lead expert" not in english and "Expert team" not in english


def test_self_assessment_report_with_experts_is_refused() -> None:
    with pytest.raises(InputError) as raised:
        render_pdf(_input(kind=AssessmentKind.SELF))
    assert [(problem.field, problem.message) for problem in raised.value.fields] == [
        ("experts", "a self-assessment has no expert team, but 2 expert(s) were given")
    ]


def test_level_four_score_and_strengths_by_hand() -> None:
    report = _input()
    # Level 4, discrete weights: equipment 0.09 scores 1; production 0.21 scores 0.8·0.10 (energy) + 0.5·0.90 =
    # 0.53; every other domain (weights summing to 0.70) scores 0.5. 0.09 + 0.21·0.53 + 0.35 = 0.5513.
    assert report.score.level == 3 and report.score.overall == pytest.approx(3.5513)
    # At level 4, equipment (1.0) and energy (0.8) meet the threshold; then the best of level 3, where everything
    # scores 1: the largest share of the level is data's and organisation_strategy's 0.08 each, data first by key.
    assert [(found.subdomain, found.level, found.score) for found in report.strengths] == [
        ("equipment", 4, 1.0),
        ("production.energy", 4, 0.8),
        ("data", 3, 1.0),
    ]
    assert [found.subdomain for found in strengths(report.score, limit=5)][3:] == [
        "organisation_strategy",
        "design.product",
    ]


def test_radar_chart_is_drawn_to_scale(report_zh: bytes) -> None:
    caption = "各能力域在第4级 优化级的得分"

    def series_pixels(content: bytes) -> tuple[int, int]:
        page_index, (_left, bottom, _right, _top) = _box(content, caption)
        scale = 2.0
        image, height = _render(content, page_index, scale)
        # The caption tops the drawing; the chart lies below it, RADAR_HEIGHT points in all.
        area = image[int((height - bottom) * scale) : int((height - bottom + RADAR_HEIGHT) * scale)]
        dark = int((area.sum(axis=2) < 3 * 120).sum())
        red, green, blue = area[..., 0], area[..., 1], area[..., 2]
        # The filled polygon (series colour over white) and its outline: clearly more blue than red.
        bluish = int(((blue - red > 30) & (blue - green > 15)).sum())
        return dark, bluish

    dark, high = series_pixels(report_zh)
    assert dark > 500, "no axes, labels or outline drawn in the chart area"
    assert high > 5_000, "no polygon of the domain scores"
    assert SERIES.hexval().lower() == "0x1f5fbf"
    # The same enterprise with its equipment items at level 4 not met: that vertex falls to the centre.
    unmet = {requirement.id: 0.0 for requirement in MODEL.requirements if requirement.id.startswith("equipment.L4.")}
    _dark, low = series_pixels(render_pdf(_input(_sheet(unmet))))
    # The polygon's area is proportional to Σ r_i·r_(i+1) over adjacent axes. Equipment (1.0) sits between two
    # domains at 0.5, production (0.53) between two more; the other 8 pairs are 0.5·0.5. With equipment at 1:
    # 8·0.25 + 2·0.5 + 2·0.265 = 3.53; at 0: 8·0.25 + 0 + 2·0.265 = 2.53.
    assert low / high == pytest.approx(2.53 / 3.53, abs=0.03)


def test_chinese_glyphs_really_render(report_zh: bytes, chinese_font: str) -> None:
    page_index, title_box = _box(report_zh, TITLE_ZH)
    assert page_index == 0
    scale = 3.0
    image, height = _render(report_zh, 0, scale)
    title = _crop(image, height, scale, title_box)
    share_dark = float((title.sum(axis=2) < 3 * 128).mean())
    assert share_dark > 0.05, f"the title's Chinese glyphs are not drawn ({share_dark:.1%} dark, font {chinese_font})"
    _page, level_box = _box(report_zh, "集成级")
    assert (_crop(image, height, scale, level_box).sum(axis=2) < 3 * 128).mean() > 0.05
    # The same-sized area in the margin beside the title stays white: the dark pixels are the glyphs.
    left, bottom, right, top = title_box
    margin = _crop(image, height, scale, (2, bottom, 2 + min(right - left, 40), top))
    assert (margin.sum(axis=2) < 3 * 250).sum() == 0


def test_english_report_has_no_chinese_in_its_headings() -> None:
    english = _input(
        enterprise_name="Example Auto Parts Co.",
        industry="automotive",
        experts=[ReportExpert(name="Jianguo Wang", employer="SJTU", specialities=["MES"], lead=True)],
        integrators=[Integrator(2, "Pujiang Data", frozenset({"data_platform"}))],
    )
    pages = _pages(render_pdf(english, "en"))
    text = "\n".join(pages)
    assert not CJK.findall(text), CJK.findall(text)[:10]
    for heading in (
        "Smart manufacturing capability maturity diagnosis report",
        "Overall result",
        "Strengths",
        "Gaps",
        "Upgrade roadmap",
        "Expert team",
        "Signatures",
        "Lead expert",
        "Enterprise representative",
    ):
        assert heading in text, heading
    assert "Level 3 (Integrated)" in text and "Domain scores at Level 4 (Optimised)" in text
    assert f"Page 1 of {len(pages)}" in pages[0]


def test_english_report_keeps_names_typed_in_chinese() -> None:
    text = "\n".join(_pages(render_pdf(_input(), "en")))
    assert "上海示例汽车零部件有限公司" in text and "王建国" in text
    assert "Overall result" in text and "总体结果" not in text


def test_benchmark_section_or_too_few_peers() -> None:
    overall = _input().score.overall
    peers = [PeerScore(index, "汽车", 2.0 + index / 4) for index in range(1, 5)]
    suppressed = benchmark(99, "汽车", overall, peers)
    text = "\n".join(_pages(render_pdf(_input(benchmark=suppressed))))
    assert "同行业对标" in text and "样本不足" in text and "少于 5 家" in text
    shown = benchmark(99, "汽车", overall, [*peers, PeerScore(5, "汽车", 4.0)])
    text = "\n".join(_pages(render_pdf(_input(benchmark=shown))))
    assert "样本不足" not in text
    # others: 2.25 2.5 2.75 3.0 4.0; 3.55 is above four of five
    assert "其他 5 家企业" in text and "百分位 80" in text and "2.75" in text


def test_parts_that_disagree_are_refused() -> None:
    process_ratings = [
        ItemRating(item=requirement.id, rating=1.0) for requirement in MODEL.applicable(EnterpriseType.PROCESS)
    ]
    process_sheet = RatingsSheet(
        model_version=MODEL.version, enterprise_type=EnterpriseType.PROCESS, ratings=process_ratings
    )
    # A process enterprise's score (level 5) with the discrete plan (from level 3), and a team with no lead.
    mixed = _input(score=score(MODEL, process_sheet), experts=[ReportExpert(name="甲"), ReportExpert(name="乙")])
    with pytest.raises(InputError) as raised:
        render_pdf(mixed)
    fields = [problem.field for problem in raised.value.fields]
    assert fields == ["score.enterprise_type", "gaps.level", "experts"], fields
    assert raised.value.fields[2].message == "a team has exactly one lead expert, not 0"
    other_industry = benchmark(99, "电子", 3.0, [])
    with pytest.raises(InputError) as raised:
        render_pdf(_input(benchmark=other_industry))
    assert [problem.field for problem in raised.value.fields] == ["benchmark.industry"]
    with pytest.raises(InputError) as raised:
        render_pdf(_input(), "fr")
    assert raised.value.fields[0].field == "lang"
    with pytest.raises(InputError) as raised:
        render_pdf(_input(model_version="gbt39116-v9"))
    assert raised.value.fields[0].field == "model_version"


def test_radar_shows_the_next_level_or_the_target_when_reached() -> None:
    toy: MaturityModel = toy_model()
    ratings = {requirement.id: 1.0 for requirement in toy.applicable(EnterpriseType.DISCRETE)}
    assert radar_level(score(toy, toy_sheet("discrete", ratings))) == 5  # all reached: the top level
    ratings["org.L3.1"] = 0.0
    assert radar_level(score(toy, toy_sheet("discrete", ratings))) == 3
    below = dict.fromkeys(ratings, 0.0)
    assert radar_level(score(toy, toy_sheet("discrete", below))) == 1


def test_workbook_has_every_rated_item_filterable_under_a_frozen_header() -> None:
    sheet = _sheet()
    first, second = sheet.ratings[0].item, sheet.ratings[1].item
    sheet = sheet.model_copy(
        update={
            "ratings": (
                sheet.ratings[0].model_copy(update={"rating": None, "not_applicable": True, "comment": "无此业务"}),
                *sheet.ratings[1:],
            ),
            "independent": {"e7": (ItemRating(item=second, rating=0.8),)},
        }
    )
    rows = sheet_rows(sheet, "zh", {"e7": "王建国"})
    workbook = load_workbook(io.BytesIO(render_ratings_xlsx(MODEL, rows, "zh")))
    table = workbook["评分明细"]
    header = [cell.value for cell in table[1]]
    assert header == ["能力域", "能力子域", "等级", "条目编号", "条目要求", "当前评分", "证据等级", "说明", "评分人"]
    assert table.freeze_panes == "A2"
    assert table.auto_filter.ref == f"A1:I{len(rows) + 1}"
    body = [[cell.value for cell in row] for row in table.iter_rows(min_row=2)]
    assert len(body) == len(rows) == len(sheet.ratings) + 1
    assert {row[3] for row in body} == {rating.item for rating in sheet.ratings}
    by_key = {(row[3], row[8]): row for row in body}
    assert by_key[(first, "专家组共识")][5:8] == ["不适用", None, "无此业务"]
    assert by_key[(second, "王建国")][5] == 0.8 and by_key[(second, "专家组共识")][5] == 1.0
    assert by_key[(second, "专家组共识")][6] == "有文件"
    requirement = MODEL.requirement(second)
    assert by_key[(second, "王建国")][:5] == [
        MODEL.domain_of(second).name.zh,
        MODEL.subdomain_of(second).name.zh,
        requirement.level,
        second,
        requirement.text.zh,
    ]
    order = [requirement.id for requirement in MODEL.requirements]
    assert [row[3] for row in body] == sorted((row[3] for row in body), key=order.index)


def test_workbook_in_english_and_bad_ratings_refused() -> None:
    item = MODEL.requirements[0].id
    english = load_workbook(
        io.BytesIO(render_ratings_xlsx(MODEL, [RaterRating("Wang", ItemRating(item=item, rating=0.5))], "en"))
    )
    assert english.sheetnames == ["Ratings"]
    assert [cell.value for cell in english["Ratings"][2]][3:] == [
        item,
        MODEL.requirements[0].text.en,
        0.5,
        "self-declared",
        None,
        "Wang",
    ]
    bad = [
        RaterRating("Wang", ItemRating(item="no.such.L1.1", rating=1.0)),
        RaterRating("Wang", ItemRating(item=item, rating=0.7)),
        RaterRating("Wang", ItemRating(item=item, rating=1.0)),
        RaterRating("Li", ItemRating(item=item, rating=1.0, not_applicable=True)),
    ]
    with pytest.raises(InputError) as raised:
        render_ratings_xlsx(MODEL, bad)
    assert [(problem.field, problem.message) for problem in raised.value.fields] == [
        ("ratings[0].item", "no.such.L1.1: no such item in model gbt39116-v1"),
        ("ratings[1].rating", f"{item}: rating 0.7 is not one of 0, 0.5, 0.8, 1"),
        ("ratings[2].item", f"{item}: rated more than once by Wang"),
        ("ratings[3].rating", f"{item}: give a rating or mark it not applicable, not both"),
    ]
