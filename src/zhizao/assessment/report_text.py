"""What the report (a diagnosis's or a self-assessment's) and the ratings workbook say, in Chinese (the default)
or English. Pure.

The report is signed by the expert team and the enterprise and filed with the programme office, so its headings
are written here in both languages rather than through the UI catalogues: a file must read the same whoever
downloads it. Names of levels, domains, sub-domains and requirement texts come from the model's own ``Text``.
"""

from __future__ import annotations

from enum import StrEnum

from zhizao.assessment.kinds import EnterpriseType, EvidenceGrade
from zhizao.assessment.model import MaturityModel, Text
from zhizao.errors import InputError


class ReportLanguage(StrEnum):
    ZH = "zh"
    EN = "en"


def report_language(lang: str) -> ReportLanguage:
    """``zh`` or ``en`` as the enum; InputError naming the field ``lang`` for anything else."""
    try:
        return ReportLanguage(lang)
    except ValueError:
        raise InputError.for_field("lang", f"the report language is zh or en, not {lang!r}") from None


# key → (Chinese, English)
_TEXT: dict[str, tuple[str, str]] = {
    "title": ("智能制造能力成熟度诊断报告", "Smart manufacturing capability maturity diagnosis report"),
    "title_self": ("智能制造能力成熟度自评估报告", "Smart manufacturing capability maturity self-assessment report"),
    "subtitle_self": (
        "企业自评估：各条目由企业自行评分，未经专家组现场诊断。",
        "Self-assessment: the enterprise rated every item itself; no expert team diagnosed it on site.",
    ),
    "enterprise": ("企业名称", "Enterprise"),
    "industry": ("所属行业", "Industry"),
    "enterprise_type": ("制造类型", "Manufacturing type"),
    "model_version": ("评估模型", "Maturity model"),
    "diagnosis_date": ("诊断日期", "Diagnosis date"),
    "assessment_date": ("评估日期", "Assessment date"),
    "result": ("总体结果", "Overall result"),
    "overall_score": ("综合得分", "Overall score"),
    "level": ("成熟度等级", "Maturity level"),
    "confidence": ("证据置信度", "Evidence confidence"),
    "confidence_note": (
        "证据置信度：{rated} 个已评分条目中，经数据验证或现场核查的条目所占比例。",
        "Evidence confidence: the share of the {rated} rated items backed by data-verified or on-site evidence.",
    ),
    "self_declared_note": (
        "评分为企业自我声明，未经专家核查；如需经核查的结果，请申请现场咨询诊断。",
        "The ratings are self-declared by the enterprise and not checked by experts; an on-site diagnosis gives a "
        "checked result.",
    ),
    "score_note": (
        "综合得分 = 已达到的等级数 + 下一等级的得分；某一等级得分不低于 {threshold} 且其下各级均已达到，方为达到该级。",
        "Overall score = levels reached + the next level's score; a level is reached when it scores at least "
        "{threshold} and every lower level is reached.",
    ),
    "provisional": (
        "注意：本结果为暂定结果，尚有 {count} 个适用条目未评分。",
        "Note: this result is provisional; {count} applicable item(s) are not rated yet.",
    ),
    "below_level_1": ("未达到{name}", "Below level 1 ({name})"),
    "level_name": ("第{number}级 {name}", "Level {number} ({name})"),
    "radar": ("各能力域得分雷达图", "Domain scores (radar)"),
    "radar_caption": ("各能力域在{level}的得分", "Domain scores at {level}"),
    "radar_threshold": ("虚线：达级阈值 {threshold}", "Dashed ring: the threshold {threshold}"),
    "level_scores": ("各等级得分", "Scores by level"),
    "col_level": ("等级", "Level"),
    "col_score": ("得分", "Score"),
    "col_reached": ("是否达到", "Reached"),
    "col_rated": ("已评分条目", "Rated items"),
    "yes": ("已达到", "yes"),
    "no": ("未达到", "no"),
    "not_scored": ("无适用条目", "nothing rated"),
    "strengths": ("优势", "Strengths"),
    "strengths_none": (
        "尚无子域在已达到等级或下一等级的得分达到阈值。",
        "No sub-domain yet scores at the threshold at the reached or the next level.",
    ),
    "col_subdomain": ("能力子域", "Sub-domain"),
    "col_domain": ("能力域", "Domain"),
    "gaps": ("差距分析", "Gaps"),
    "gaps_summary": (
        "距离{level}：当前得分 {score}，阈值 {threshold}，差距 {deficit}。满足下列 {count} 个条目后可达到{after}。",
        "To reach {level}: score now {score}, threshold {threshold}, shortfall {deficit}. Meeting the {count} "
        "item(s) below reaches {after}.",
    ),
    "gaps_top": (
        "已达到目标等级，无需进一步提升。",
        "The target level is reached; there is nothing further to plan.",
    ),
    "gaps_domains": (
        "下一等级中低于阈值的能力域：",
        "Domains below the threshold at the next level:",
    ),
    "gaps_domains_none": ("（无）", "(none)"),
    "col_shortfall": ("差距", "Shortfall"),
    "roadmap": ("提升路线图", "Upgrade roadmap"),
    "roadmap_note": (
        "按预期影响（生产效率 + 运营成本 + 产品质量，各 0–3）排序，其次按对等级得分的提升。所列条目均为达级所必需。",
        "Ordered by expected impact (productivity + operating cost + quality, each 0–3), then by the gain in the "
        "level's score. Every item listed is needed to reach the level.",
    ),
    "col_order": ("序号", "#"),
    "col_item": ("条目", "Item"),
    "col_requirement": ("要求", "Requirement"),
    "col_rating": ("当前评分", "Rating now"),
    "col_gain": ("得分提升", "Gain"),
    "col_impact": ("影响", "Impact"),
    "col_integrators": ("可承接的系统集成商", "Integrators covering it"),
    "no_integrator": ("目录中暂无", "none in the directory"),
    "benchmark": ("同行业对标", "Industry benchmark"),
    "benchmark_suppressed": (
        "样本不足：同行业（{industry}）其他企业少于 {minimum} 家，为保护企业信息不予显示。",
        "Too few peers: fewer than {minimum} other enterprises in the industry ({industry}); not shown, to keep "
        "them anonymous.",
    ),
    "benchmark_note": (
        "同行业（{industry}）其他 {count} 家企业综合得分的分布（匿名）；本企业综合得分 {overall}，百分位 {rank}。",
        "Overall scores of {count} other enterprises in the industry ({industry}), anonymised; this enterprise "
        "scores {overall}, percentile rank {rank}.",
    ),
    "col_minimum": ("最低", "Minimum"),
    "col_lower_quartile": ("下四分位", "Lower quartile"),
    "col_median": ("中位数", "Median"),
    "col_upper_quartile": ("上四分位", "Upper quartile"),
    "col_maximum": ("最高", "Maximum"),
    "experts": ("专家组", "Expert team"),
    "assessed_by": ("评估方式", "Assessed by"),
    "assessed_by_self": (
        "企业自评估：由企业自行完成，无专家组参与。",
        "Self-assessment: carried out by the enterprise itself, with no expert team.",
    ),
    "col_name": ("姓名", "Name"),
    "col_employer": ("工作单位", "Employer"),
    "col_specialities": ("专业领域", "Specialities"),
    "col_role": ("职责", "Role"),
    "lead": ("组长", "lead"),
    "member": ("成员", "member"),
    "signatures": ("签字", "Signatures"),
    "sign_lead": ("专家组组长", "Lead expert"),
    "sign_expert": ("专家", "Expert"),
    "sign_enterprise": ("企业负责人", "Enterprise representative"),
    "sign_signature": ("签字", "Signature"),
    "sign_date": ("日期", "Date"),
    "page": ("第 {page} 页 / 共 {pages} 页", "Page {page} of {pages}"),
    "not_applicable": ("不适用", "n/a"),
    "consensus": ("专家组共识", "consensus"),
    "sheet_ratings": ("评分明细", "Ratings"),
    "col_item_id": ("条目编号", "Item id"),
    "col_item_text": ("条目要求", "Requirement"),
    "col_evidence_grade": ("证据等级", "Evidence grade"),
    "col_comment": ("说明", "Comment"),
    "col_rater": ("评分人", "Rater"),
}

_ENTERPRISE_TYPES = {
    EnterpriseType.DISCRETE: ("离散型制造", "discrete manufacturing"),
    EnterpriseType.PROCESS: ("流程型制造", "process manufacturing"),
}
_GRADES = {
    EvidenceGrade.SELF_DECLARED: ("自我声明", "self-declared"),
    EvidenceGrade.DOCUMENTED: ("有文件", "documented"),
    EvidenceGrade.DATA_VERIFIED: ("数据验证", "data-verified"),
    EvidenceGrade.SITE_CHECKED: ("现场核查", "checked on site"),
}


def _pick(pair: tuple[str, str], lang: ReportLanguage) -> str:
    return pair[0] if lang is ReportLanguage.ZH else pair[1]


def text(key: str, lang: ReportLanguage, **values: object) -> str:
    """A fixed text of the report, with ``{placeholders}`` filled from ``values``."""
    template = _pick(_TEXT[key], lang)
    return template.format(**values) if values else template


def model_text(value: Text, lang: ReportLanguage) -> str:
    return value.zh if lang is ReportLanguage.ZH else value.en


def enterprise_type_label(enterprise_type: EnterpriseType, lang: ReportLanguage) -> str:
    return _pick(_ENTERPRISE_TYPES[enterprise_type], lang)


def grade_label(grade: EvidenceGrade, lang: ReportLanguage) -> str:
    return _pick(_GRADES[grade], lang)


def level_label(model: MaturityModel, level: int, lang: ReportLanguage) -> str:
    """``第3级 集成级`` / ``Level 3 (Integrated)``; level 0 is ``未达到规划级`` / ``Below level 1 (Planned)``."""
    if level == 0:
        return text("below_level_1", lang, name=model_text(model.levels[0].name, lang))
    return text("level_name", lang, number=level, name=model_text(model.levels[level - 1].name, lang))


def level_name(model: MaturityModel, level: int, lang: ReportLanguage) -> str:
    """The bare name (``集成级``); level 0 as :func:`level_label`."""
    if level == 0:
        return level_label(model, 0, lang)
    return model_text(model.levels[level - 1].name, lang)


def score_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def percent_text(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"
