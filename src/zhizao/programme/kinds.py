"""The programme's vocabularies: industries (with the plan's quotas), Shanghai's 16 districts, enterprise sizes and
project stages. Pure data, no I/O; labels are English message ids translated where shown."""

from __future__ import annotations

from enum import StrEnum

from zhizao.ui.i18n import N_


class Industry(StrEnum):
    AUTOMOTIVE = "automotive"
    ELECTRONICS = "electronics"
    HIGH_END_EQUIPMENT = "high_end_equipment"
    BIOMEDICINE = "biomedicine"
    AEROSPACE = "aerospace"
    CHEMICALS_MATERIALS = "chemicals_materials"
    FMCG_ENVIRONMENTAL = "fmcg_environmental"


INDUSTRY_LABELS: dict[str, str] = {
    Industry.AUTOMOTIVE: N_("Automotive"),
    Industry.ELECTRONICS: N_("Electronic information"),
    Industry.HIGH_END_EQUIPMENT: N_("High-end equipment"),
    Industry.BIOMEDICINE: N_("Biomedicine"),
    Industry.AEROSPACE: N_("Aerospace"),
    Industry.CHEMICALS_MATERIALS: N_("Green chemicals and new materials"),
    Industry.FMCG_ENVIRONMENTAL: N_("Consumer goods, energy saving and environmental"),
}


class District(StrEnum):
    """Shanghai's 16 districts (市辖区)."""

    HUANGPU = "huangpu"
    XUHUI = "xuhui"
    CHANGNING = "changning"
    JINGAN = "jingan"
    PUTUO = "putuo"
    HONGKOU = "hongkou"
    YANGPU = "yangpu"
    MINHANG = "minhang"
    BAOSHAN = "baoshan"
    JIADING = "jiading"
    PUDONG = "pudong"
    JINSHAN = "jinshan"
    SONGJIANG = "songjiang"
    QINGPU = "qingpu"
    FENGXIAN = "fengxian"
    CHONGMING = "chongming"


DISTRICT_LABELS: dict[str, str] = {
    District.HUANGPU: N_("Huangpu"),
    District.XUHUI: N_("Xuhui"),
    District.CHANGNING: N_("Changning"),
    District.JINGAN: N_("Jing'an"),
    District.PUTUO: N_("Putuo"),
    District.HONGKOU: N_("Hongkou"),
    District.YANGPU: N_("Yangpu"),
    District.MINHANG: N_("Minhang"),
    District.BAOSHAN: N_("Baoshan"),
    District.JIADING: N_("Jiading"),
    District.PUDONG: N_("Pudong New Area"),
    District.JINSHAN: N_("Jinshan"),
    District.SONGJIANG: N_("Songjiang"),
    District.QINGPU: N_("Qingpu"),
    District.FENGXIAN: N_("Fengxian"),
    District.CHONGMING: N_("Chongming"),
}


class EnterpriseSize(StrEnum):
    """Size class under the national SME classification (工信部联企业〔2011〕300号)."""

    LARGE = "large"
    MEDIUM = "medium"
    SMALL = "small"
    MICRO = "micro"


ENTERPRISE_SIZE_LABELS: dict[str, str] = {
    EnterpriseSize.LARGE: N_("Large"),
    EnterpriseSize.MEDIUM: N_("Medium"),
    EnterpriseSize.SMALL: N_("Small"),
    EnterpriseSize.MICRO: N_("Micro"),
}


class ProjectStage(StrEnum):
    """Where a factory project is; the transitions between stages are in ``lifecycle``."""

    APPLIED = "applied"  # 申报
    DIAGNOSED = "diagnosed"  # 诊断完成
    PLAN_APPROVED = "plan_approved"  # 改造方案批准
    IN_CONSTRUCTION = "in_construction"  # 建设中
    ACCEPTED = "accepted"  # 通过验收
    RECOGNISED = "recognised"  # 认定为智能工厂
    BENCHMARK = "benchmark"  # 标杆工厂
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


PROJECT_STAGE_LABELS: dict[str, str] = {
    ProjectStage.APPLIED: N_("Applied"),
    ProjectStage.DIAGNOSED: N_("Diagnosed"),
    ProjectStage.PLAN_APPROVED: N_("Upgrade plan approved"),
    ProjectStage.IN_CONSTRUCTION: N_("In construction"),
    ProjectStage.ACCEPTED: N_("Accepted"),
    ProjectStage.RECOGNISED: N_("Recognised smart factory"),
    ProjectStage.BENCHMARK: N_("Benchmark factory"),
    ProjectStage.REJECTED: N_("Rejected"),
    ProjectStage.WITHDRAWN: N_("Withdrawn"),
}

# The funnel as the cockpit draws it, in order; a project counts in its stage and every stage before it.
FUNNEL_STAGES: tuple[ProjectStage, ...] = (
    ProjectStage.APPLIED,
    ProjectStage.DIAGNOSED,
    ProjectStage.PLAN_APPROVED,
    ProjectStage.IN_CONSTRUCTION,
    ProjectStage.ACCEPTED,
    ProjectStage.RECOGNISED,
    ProjectStage.BENCHMARK,
)
# Stages at which a project counts as a smart factory towards the edition's target.
SMART_FACTORY_STAGES = frozenset({ProjectStage.RECOGNISED, ProjectStage.BENCHMARK})
