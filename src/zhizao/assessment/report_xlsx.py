"""The item ratings of an assessment as an Excel workbook: one row per rating, filterable, with a frozen header.

Rows follow the model's order (factor, domain, sub-domain, level, item), and an item's ratings keep the order they
were given in — the consensus first when built with :func:`sheet_rows`. Ratings are numbers, so the workbook can
be summed and pivoted; an item marked not applicable says so in the rating column.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from zhizao.assessment.model import MaturityModel
from zhizao.assessment.report_text import ReportLanguage, grade_label, model_text, report_language, text
from zhizao.assessment.scoring import ALLOWED_RATINGS, ItemRating, RatingsSheet
from zhizao.errors import FieldProblem, InputError

# (header key, column width in characters)
COLUMNS = (
    ("col_domain", 14),
    ("col_subdomain", 16),
    ("col_level", 6),
    ("col_item_id", 30),
    ("col_item_text", 60),
    ("col_rating", 10),
    ("col_evidence_grade", 12),
    ("col_comment", 40),
    ("col_rater", 16),
)
WRAPPED = {"col_item_text", "col_comment"}
HEADER_FILL = PatternFill("solid", fgColor="EEF2F6")


@dataclass(frozen=True, slots=True)
class RaterRating:
    """One rating of one item and who gave it: an expert's name, or the consensus (see :func:`sheet_rows`)."""

    rater: str
    rating: ItemRating


def sheet_rows(
    sheet: RatingsSheet, lang: str = "zh", expert_names: Mapping[str, str] | None = None
) -> list[RaterRating]:
    """A ratings sheet's consensus ratings (rater ``专家组共识`` / ``consensus``), then each expert's own, named by
    ``expert_names`` (expert id → name; the id where a name is missing)."""
    language = report_language(lang)
    names = expert_names or {}
    rows = [RaterRating(text("consensus", language), rating) for rating in sheet.ratings]
    for expert, ratings in sorted(sheet.independent.items()):
        rows.extend(RaterRating(names.get(expert, expert), rating) for rating in ratings)
    return rows


def render_ratings_xlsx(model: MaturityModel, ratings: Sequence[RaterRating], lang: str = "zh") -> bytes:
    """The ratings as an .xlsx workbook; InputError naming each rating of an unknown item, with a value outside
    0 / 0.5 / 0.8 / 1, with both a value and a not-applicable mark, or given twice by one rater."""
    language = report_language(lang)
    _check(model, ratings)
    order = {requirement.id: index for index, requirement in enumerate(model.requirements)}
    ordered = sorted(enumerate(ratings), key=lambda pair: (order[pair[1].rating.item], pair[0]))

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = text("sheet_ratings", language)
    sheet.append([text(key, language) for key, _width in COLUMNS])
    for _index, entry in ordered:
        sheet.append(_row(model, entry, language))
    for column, (key, width) in enumerate(COLUMNS, start=1):
        letter = sheet.cell(row=1, column=column).column_letter
        sheet.column_dimensions[letter].width = width
        header = sheet.cell(row=1, column=column)
        header.font = Font(bold=True)
        header.fill = HEADER_FILL
        if key in WRAPPED:
            for cell in sheet[letter][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    last_letter = sheet.cell(row=1, column=len(COLUMNS)).column_letter
    sheet.auto_filter.ref = f"A1:{last_letter}{len(ratings) + 1}"
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _row(model: MaturityModel, entry: RaterRating, lang: ReportLanguage) -> list[object]:
    rating = entry.rating
    requirement = model.requirement(rating.item)
    value: object = text("not_applicable", lang) if rating.not_applicable else rating.rating
    return [
        model_text(model.domain_of(rating.item).name, lang),
        model_text(model.subdomain_of(rating.item).name, lang),
        requirement.level,
        rating.item,
        model_text(requirement.text, lang),
        value,
        # A not-applicable item has no evidence to grade.
        None if rating.not_applicable else grade_label(rating.evidence_grade, lang),
        rating.comment or None,
        entry.rater,
    ]


def _check(model: MaturityModel, ratings: Sequence[RaterRating]) -> None:
    problems = []
    seen: set[tuple[str, str]] = set()
    for index, entry in enumerate(ratings):
        where, rating = f"ratings[{index}]", entry.rating
        if not model.has_requirement(rating.item):
            problems.append(FieldProblem(f"{where}.item", f"{rating.item}: no such item in model {model.version}"))
        elif (rating.item, entry.rater) in seen:
            problems.append(FieldProblem(f"{where}.item", f"{rating.item}: rated more than once by {entry.rater}"))
        if rating.not_applicable and rating.rating is not None:
            message = f"{rating.item}: give a rating or mark it not applicable, not both"
            problems.append(FieldProblem(f"{where}.rating", message))
        elif rating.rating is not None and rating.rating not in ALLOWED_RATINGS:
            message = f"{rating.item}: rating {rating.rating:g} is not one of 0, 0.5, 0.8, 1"
            problems.append(FieldProblem(f"{where}.rating", message))
        seen.add((rating.item, entry.rater))
    if problems:
        raise InputError(f"{len(problems)} problem(s) with the ratings: {problems[0].message}", fields=problems)
