"""The demo programme's cast beside the enterprises, as data: parks, system integrators, vertical platforms, the
experts who join the assessment demo's pool, talent cohorts, events, support providers and the annual work plans.

Every organisation here is fictional. Revenues are in ¥100m (亿元) per year; the 2020–2022 edition counts each
listed integrator by its latest revenue up to 2022, so two of them are over ¥10bn and six over ¥1bn.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from zhizao.assessment.kinds import EnterpriseType
from zhizao.programme.kinds import District, Industry
from zhizao.programme.models_community import EventKind, SupportKind, TalentTrack

# Parks (智能制造特色产业园区) and the district each lies in.
PARKS: tuple[tuple[str, District, str], ...] = (
    ("临港新片区智能制造园", District.PUDONG, "临港新片区的高端装备与汽车零部件集聚区"),
    ("张江生物医药产业基地", District.PUDONG, "生物医药研发与制造基地"),
    ("嘉定汽车产业园", District.JIADING, "整车与零部件企业集聚的汽车产业园"),
    ("松江G60科创走廊智能制造园", District.SONGJIANG, "G60 科创走廊上的电子信息与智能装备园区"),
    ("闵行紫竹高新技术产业园", District.MINHANG, "高端装备与电子信息产业园"),
    ("宝山机器人产业园", District.BAOSHAN, "工业机器人与智能装备产业园"),
    ("金山碳谷绿湾产业园", District.JINSHAN, "绿色化工与新材料产业园"),
    ("奉贤东方美谷", District.FENGXIAN, "美丽健康与消费品产业园"),
)

# How an industry is named in the maturity assessment (experts list their industries so), and the kind of plant.
ASSESSMENT_INDUSTRY: dict[Industry, str] = {
    Industry.AUTOMOTIVE: "汽车零部件",
    Industry.ELECTRONICS: "电子信息",
    Industry.HIGH_END_EQUIPMENT: "高端装备",
    Industry.BIOMEDICINE: "生物医药",
    Industry.AEROSPACE: "航空航天",
    Industry.CHEMICALS_MATERIALS: "精细化工",
    Industry.FMCG_ENVIRONMENTAL: "消费品",
}
PROCESS_INDUSTRIES = frozenset({Industry.BIOMEDICINE, Industry.CHEMICALS_MATERIALS, Industry.FMCG_ENVIRONMENTAL})


def enterprise_type(industry: Industry) -> EnterpriseType:
    return EnterpriseType.PROCESS if industry in PROCESS_INDUSTRIES else EnterpriseType.DISCRETE


@dataclass(frozen=True, slots=True)
class DemoIntegrator:
    name: str  # a new organisation, except the accounts seeder's integrator (``existing``)
    district: District
    industries: tuple[Industry, ...]
    capabilities: tuple[str, ...]
    revenues: tuple[str, str, str, str]  # ¥100m in 2019, 2020, 2021, 2022
    description: str
    existing: bool = False

    def revenue_by_year(self) -> dict[int, Decimal]:
        return {2019 + index: Decimal(value) * 100_000_000 for index, value in enumerate(self.revenues)}


_A, _E, _H, _B = Industry.AUTOMOTIVE, Industry.ELECTRONICS, Industry.HIGH_END_EQUIPMENT, Industry.BIOMEDICINE
_S, _C, _F = Industry.AEROSPACE, Industry.CHEMICALS_MATERIALS, Industry.FMCG_ENVIRONMENTAL
INTEGRATORS: tuple[DemoIntegrator, ...] = (
    DemoIntegrator("上海申联智能科技股份有限公司", District.PUDONG, (_A, _E, _H, _S),
                   ("strategy_consulting", "system_integration", "mes", "aps", "erp", "digital_twin", "ai_analytics"),
                   ("96.5", "108.2", "121.7", "136.4"), "覆盖规划咨询到交付运维的智能工厂总集成商"),
    DemoIntegrator("上海浦江工业互联网科技有限公司", District.XUHUI, (_E, _B, _C, _F),
                   ("data_platform", "iiot", "industrial_network", "cybersecurity", "ai_analytics", "ems"),
                   ("71.3", "83.9", "97.5", "108.1"), "工业互联网平台与数据治理服务商"),
    DemoIntegrator("上海华跃自动化工程有限公司", District.MINHANG, (_A, _H, _S),
                   ("automation", "system_integration", "agv", "wms", "simulation"),
                   ("21.4", "24.9", "28.6", "32.3"), "产线自动化与智能物流系统集成"),
    DemoIntegrator("上海恒达机器人系统集成有限公司", District.BAOSHAN, (_A, _H, _E),
                   ("automation", "agv", "simulation", "remote_maintenance"),
                   ("14.2", "16.8", "19.1", "21.0"), "工业机器人工作站与柔性产线集成"),
    DemoIntegrator("上海睿博数字工厂科技有限公司", District.SONGJIANG, (_E, _H, _F),
                   ("mes", "qms", "plm", "capp", "data_platform"),
                   ("8.6", "10.2", "12.4", "14.5"), "MES、质量管理与数字化工艺软件"),
    DemoIntegrator("上海临港智能装备集成有限公司", District.PUDONG, (_A, _H, _S),
                   ("system_integration", "automation", "eam", "remote_maintenance"),
                   ("6.9", "8.4", "10.3", "11.8"), "高端装备智能化改造与设备运维"),
    DemoIntegrator("上海金联流程工业自动化有限公司", District.JINSHAN, (_C, _B, _F),
                   ("automation", "ehs", "ems", "industrial_network", "eam"),
                   ("5.1", "6.2", "7.4", "8.6"), "流程工业 DCS、安全环保与能源管理"),
    DemoIntegrator("上海航瑞航空智能装备有限公司", District.MINHANG, (_S, _H),
                   ("digital_twin", "simulation", "plm", "mes", "qms"),
                   ("4.3", "5.6", "7.2", "9.0"), "航空航天零部件数字化车间集成"),
    DemoIntegrator("上海嘉创工业软件有限公司", District.JIADING, (_A, _E),
                   ("aps", "srm", "crm", "tms", "wms"),
                   ("3.2", "4.1", "5.3", "6.2"), "计划排程与供应链协同软件"),
    DemoIntegrator("上海德源医药工程技术有限公司", District.PUDONG, (_B, _C),
                   ("system_integration", "qms", "ehs", "training"),
                   ("2.4", "3.0", "3.7", "4.5"), "符合 GMP 的制药工厂数字化工程"),
    DemoIntegrator("上海松科智能制造服务有限公司", District.SONGJIANG, (_F, _E, _B),
                   ("strategy_consulting", "training", "erp", "after_sales"),
                   ("1.8", "2.3", "3.0", "3.8"), "中小企业智能制造诊断咨询与培训"),
    DemoIntegrator("上海绿洲节能环保科技有限公司", District.QINGPU, (_F, _C),
                   ("ems", "ehs"),
                   ("0.4", "0.5", "0.7", "0.9"), "节能改造与环保监测"),
    DemoIntegrator("上海智联系统集成有限公司", District.MINHANG, (_A, _B, _C, _F),
                   ("data_platform", "system_integration", "iiot", "mes", "aps", "eam", "wms", "ems"),
                   ("1.6", "1.9", "2.4", "2.8"), "离散与流程行业的 MES 与设备联网", existing=True),
)  # fmt: skip
# Below the directory's minimum revenue (¥100m): its application is turned down, with the reason.
REJECTED_INTEGRATOR = "上海绿洲节能环保科技有限公司"


@dataclass(frozen=True, slots=True)
class DemoPlatform:
    operator: str  # an organisation of kind platform; the accounts seeder's own when ``existing``
    district: District
    name: str
    industry: Industry
    description: str
    services: tuple[str, ...]
    enterprises_served: int
    existing: bool = False


PLATFORMS: tuple[DemoPlatform, ...] = (
    DemoPlatform("上海电梯工业互联网平台有限公司", District.JIADING, "电梯远程运维平台", _H,
                 "电梯与特种设备的状态监测、预测性维护和远程诊断", ("远程监测", "预测性维护", "维保工单"), 2600,
                 existing=True),
    DemoPlatform("上海汽车产业链协同平台有限公司", District.JIADING, "汽车零部件协同制造平台", _A,
                 "整车厂与零部件企业的计划协同、质量追溯和产能共享", ("订单协同", "质量追溯", "产能共享"), 1850),
    DemoPlatform("上海芯联电子供应链平台有限公司", District.PUDONG, "电子信息供应链平台", _E,
                 "电子元器件供需对接、库存协同和 SMT 设备联网", ("供需对接", "库存协同", "设备联网"), 1520),
    DemoPlatform("上海医智工业互联网有限公司", District.PUDONG, "生物医药 GMP 数字化平台", _B,
                 "批记录电子化、验证管理和洁净环境监测", ("电子批记录", "验证管理", "环境监测"), 880),
    DemoPlatform("上海化工园区数智服务有限公司", District.JINSHAN, "化工园区安全环保平台", _C,
                 "危化品全流程监管、能耗与排放在线监测", ("安全监管", "能耗监测", "排放监测"), 1240),
    DemoPlatform("上海美谷消费品定制平台有限公司", District.FENGXIAN, "消费品 C2M 定制平台", _F,
                 "消费者个性化定制订单直达工厂排产", ("个性化定制", "柔性排产", "订单追踪"), 2150),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PoolExpert:
    """An expert who joins the assessment demo's pool for the programme (aerospace and consumer goods had none)."""

    username: str
    display_name: str
    industries: tuple[str, ...]
    specialities: tuple[str, ...]
    region: str


MORE_EXPERTS: tuple[PoolExpert, ...] = (
    PoolExpert("expert_qian", "钱航", ("航空航天", "高端装备"), ("数字孪生", "质量管理"), "闵行区"),
    PoolExpert("expert_wu", "吴婷", ("消费品", "食品", "生物医药"), ("柔性制造", "供应链"), "奉贤区"),
    PoolExpert("expert_zheng", "郑磊", ("精细化工", "消费品"), ("过程控制", "安全环保"), "金山区"),
    PoolExpert("expert_feng", "冯涛", ("汽车零部件", "电子信息"), ("工业机器人", "精益生产"), "嘉定区"),
    PoolExpert("expert_he", "何静", ("电子信息", "航空航天"), ("工业互联网", "数据治理"), "松江区"),
    PoolExpert("expert_lu", "陆明", ("汽车零部件", "高端装备", "航空航天"), ("MES", "设备管理"), "宝山区"),
)

# Talent cohorts: (year, track, name, provider, starts (month, day), ends (month, day), trainees).
COHORTS: tuple[tuple[int, TalentTrack, str, str, tuple[int, int], tuple[int, int], int], ...] = (
    (2020, TalentTrack.PLANNER, "2020 年智能制造规划师第一期", "上海智能制造研究院", (9, 1), (11, 30), 24),
    (2021, TalentTrack.PLANNER, "2021 年智能制造规划师第二期", "上海智能制造研究院", (3, 1), (5, 31), 30),
    (2021, TalentTrack.CONSULTANT, "2021 年智能制造咨询师第一期", "上海工业互联网创新中心", (9, 1), (11, 30), 28),
    (2022, TalentTrack.CONSULTANT, "2022 年智能制造咨询师第二期", "上海工业互联网创新中心", (3, 1), (6, 30), 32),
    (2022, TalentTrack.PLANNER, "2022 年智能制造规划师第三期", "上海智能制造研究院", (9, 1), (11, 30), 30),
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈"
GIVEN_NAMES = (
    "伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "霞", "平", "刚",
    "志强", "海燕", "建华", "晓东", "文博", "思远", "雨桐", "子涵", "浩然", "嘉怡", "俊杰", "欣怡", "宇航", "晨曦",
)  # fmt: skip

# Events: (title, kind, date, district, venue, organiser).
EVENTS: tuple[tuple[str, EventKind, str, District, str, str], ...] = (
    ("2020 智能工厂供需对接会（汽车与装备专场）", EventKind.MATCHMAKING, "2020-10-16", District.JIADING,
     "嘉定汽车产业园会议中心", "上海市经济和信息化委员会"),
    ("智能制造系统解决方案供应商论坛", EventKind.FORUM, "2021-04-22", District.XUHUI, "徐汇滨江会展中心",
     "上海市智能制造产业联盟"),
    ("2021 智能工厂供需对接会（电子与生物医药专场）", EventKind.MATCHMAKING, "2021-06-18", District.PUDONG,
     "张江科学会堂", "上海市经济和信息化委员会"),
    ("标杆智能工厂现场观摩：临港新片区", EventKind.SITE_VISIT, "2021-11-09", District.PUDONG,
     "临港新片区智能制造园", "上海市经济和信息化委员会"),
    ("智能制造成熟度评估师培训", EventKind.TRAINING, "2022-03-15", District.MINHANG, "紫竹国际会议中心",
     "上海智能制造研究院"),
    ("2022 智能工厂供需对接会（化工与消费品专场）", EventKind.MATCHMAKING, "2022-07-08", District.JINSHAN,
     "金山碳谷绿湾产业园", "上海市经济和信息化委员会"),
)  # fmt: skip

# Demand subjects an enterprise posts at a matchmaking event, and supply subjects an integrator posts.
DEMANDS = ("产线设备联网与数据采集", "MES 系统选型与实施", "仓储物流自动化改造", "能耗在线监测与能源管理",
           "质量追溯系统建设", "APS 高级排产")  # fmt: skip
SUPPLIES = ("设备联网与边缘计算方案", "MES 标准化产品与实施服务", "AGV 与智能仓储整体方案", "能源管理系统",
            "质量管理与追溯平台", "APS 计划排程软件")  # fmt: skip

# Support measures: kind → (provider, share of the project's budget in per cent).
SUPPORT_PROVIDERS: dict[SupportKind, tuple[str, int]] = {
    SupportKind.SUBSIDY: ("上海市经济和信息化委员会", 10),
    SupportKind.LOAN: ("申江银行上海分行", 30),
    SupportKind.FUND: ("上海智能制造产业投资基金", 25),
    SupportKind.LEASING: ("沪融融资租赁有限公司", 20),
    SupportKind.INSURANCE: ("东海财产保险上海分公司", 2),
}

# The annual work plan: per year, (task, due (month, day), status, progress, note).
WORK_PLAN: dict[int, tuple[tuple[str, tuple[int, int], str, int, str], ...]] = {
    2020: (
        ("发布 2020–2022 智能工厂专项行动实施方案", (3, 31), "done", 100, "沪经信制〔2020〕643号"),
        ("组建智能制造专家库", (5, 31), "done", 100, "首批入库专家 120 名"),
        ("开展首批智能工厂申报与现场诊断", (9, 30), "done", 100, ""),
        ("发布系统集成商推荐目录（第一批）", (11, 30), "done", 100, ""),
        ("举办汽车与装备专场供需对接会", (10, 31), "done", 100, ""),
    ),
    2021: (
        ("第二批智能工厂申报与诊断", (6, 30), "done", 100, ""),
        ("首批智能工厂验收与认定", (9, 30), "done", 100, ""),
        ("遴选标杆智能工厂", (12, 15), "done", 100, ""),
        ("培育垂直行业工业互联网平台", (12, 31), "done", 100, ""),
        ("智能制造咨询师培训两期", (11, 30), "done", 100, ""),
    ),
    2022: (
        ("第三批智能工厂申报与诊断", (6, 30), "done", 100, "受疫情影响，现场诊断部分改为远程"),
        ("智能工厂验收与认定（第二批）", (10, 31), "in_progress", 70, ""),
        ("标杆智能工厂案例集汇编出版", (12, 31), "in_progress", 40, ""),
        ("专项行动总结评估", (12, 31), "planned", 10, ""),
        ("工业机器人应用推广（万台目标）", (12, 31), "delayed", 60, "部分项目设备交付延后"),
    ),
}
