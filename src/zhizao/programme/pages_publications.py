"""The programme's public pages (plan §六(十六)), reached without signing in: the published smart-factory list
(智能工厂名单), the case collection (案例集) with each case, and both as PDFs (``?lang=en`` for English).
Only recognised smart factories and benchmarks are ever shown; any other project id is a 404."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from starlette.responses import Response

from zhizao.accounts.deps import SessionDep
from zhizao.assessment.report_text import ReportLanguage
from zhizao.fields import IdPath, IdQuery
from zhizao.programme import publications, service_publications
from zhizao.programme.publications_pdf import cases_pdf, smart_factories_pdf
from zhizao.ui import i18n
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)

LIST, CASES = "/public/smart-factories", "/public/cases"
PDF_MEDIA_TYPE = "application/pdf"
HELPERS = {
    "productivity_text": publications.productivity_text,
    "cost_text": publications.cost_text,
    "period": publications.period,
}


def _page_language() -> ReportLanguage:
    return ReportLanguage.ZH if i18n.current_locale().startswith("zh") else ReportLanguage.EN


def _pdf(content: bytes, name: str, code: str, lang: ReportLanguage) -> Response:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", code)  # an ASCII file name, whatever the edition's code holds
    disposition = f'attachment; filename="{name}-{slug}-{lang.value}.pdf"'
    return Response(content, media_type=PDF_MEDIA_TYPE, headers={"Content-Disposition": disposition})


@router.get(LIST)
def smart_factory_list(request: Request, session: SessionDep, edition_id: IdQuery = None) -> Response:
    listing = service_publications.smart_factories(session, edition_id)
    return render(request, "programme/publications_list.html", {"listing": listing, "edition_id": edition_id})


@router.get(LIST + ".pdf")
def smart_factory_list_pdf(
    session: SessionDep, edition_id: IdQuery = None, lang: ReportLanguage = ReportLanguage.ZH
) -> Response:
    listing = service_publications.smart_factories(session, edition_id)
    return _pdf(smart_factories_pdf(listing, lang), "smart-factories", listing.edition.code, lang)


@router.get(CASES)
def case_collection(request: Request, session: SessionDep, edition_id: IdQuery = None) -> Response:
    collection = service_publications.cases(session, edition_id)
    lang = _page_language()
    context = {
        **HELPERS,
        "collection": collection,
        "edition_id": edition_id,
        "summaries": {case.project_id: publications.summary(case, lang) for case in collection.cases},
    }
    return render(request, "programme/publications_cases.html", context)


@router.get(CASES + ".pdf")
def case_collection_pdf(
    session: SessionDep, edition_id: IdQuery = None, lang: ReportLanguage = ReportLanguage.ZH
) -> Response:
    collection = service_publications.cases(session, edition_id)
    return _pdf(cases_pdf(collection, lang), "cases", collection.edition.code, lang)


@router.get(CASES + "/{project_id}")
def case_page(request: Request, session: SessionDep, project_id: IdPath) -> Response:
    case = service_publications.case(session, project_id)
    context = {**HELPERS, "case": case, "summary": publications.summary(case, _page_language())}
    return render(request, "programme/publications_case.html", context)
