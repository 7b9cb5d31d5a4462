"""The shipped model's structure, and the loader's validation against broken variants written to tmp_path."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.assessment.toy import toy_data
from zhizao.assessment.kinds import EnterpriseType, TelemetryCheck
from zhizao.assessment.model import available_versions, load_model, load_model_file
from zhizao.errors import InputError

# Names as in /work/shared/GLOSSARY.md.
SUBDOMAINS = {
    "organisation_strategy": "组织战略",
    "personnel_skills": "人员技能",
    "data": "数据",
    "integration": "集成",
    "information_security": "信息安全",
    "equipment": "装备",
    "network": "网络",
    "design.product": "产品设计",
    "design.process": "工艺设计",
    "production.procurement": "采购",
    "production.planning": "计划与调度",
    "production.operations": "生产作业",
    "production.equipment_management": "设备管理",
    "production.safety_environment": "安全环保",
    "production.warehousing": "仓储配送",
    "production.energy": "能源管理",
    "logistics": "物流",
    "sales": "销售",
    "service.customer": "客户服务",
    "service.product": "产品服务",
}


def test_the_shipped_model_has_the_structure_of_gbt_39116() -> None:
    assert available_versions() == ["gbt39116-v1"]
    model = load_model()
    assert model.version == "gbt39116-v1"
    assert [(factor.key, factor.name.zh) for factor in model.factors] == [
        ("people", "人员"),
        ("technology", "技术"),
        ("resources", "资源"),
        ("manufacturing", "制造"),
    ]
    assert len(model.domains) == 12
    assert {sub.key: sub.name.zh for sub in model.subdomains} == SUBDOMAINS
    assert [level.name.zh for level in model.levels] == ["规划级", "规范级", "集成级", "优化级", "引领级"]


def test_every_applicable_cell_has_two_to_four_requirements_for_each_enterprise_type() -> None:
    model = load_model()
    for enterprise_type in EnterpriseType:
        cells = Counter((model.subdomain_of(r.id).key, r.level) for r in model.applicable(enterprise_type))
        expected = {(sub.key, level) for sub in model.subdomains for level in range(sub.first_level, 6)}
        assert set(cells) == expected
        assert all(2 <= count <= 4 for count in cells.values()), cells
    starts = {sub.key: sub.first_level for sub in model.subdomains if sub.first_level > 1}
    assert starts == {"integration": 2, "service.product": 3}


def test_requirement_texts_are_bilingual_and_telemetry_checks_are_all_used() -> None:
    model = load_model()
    for requirement in model.requirements:
        assert re.search(r"[\u4e00-\u9fff]", requirement.text.zh), requirement.id
        assert requirement.text.en.isascii() and requirement.text.en.endswith("."), requirement.id
    assert {r.verifiable_by for r in model.requirements if r.verifiable_by} == set(TelemetryCheck)


def test_an_unknown_version_names_the_ones_there_are() -> None:
    with pytest.raises(InputError) as caught:
        load_model("gbt39116-v9")
    assert caught.value.fields[0].field == "model_version"
    assert "there are gbt39116-v1" in caught.value.message


def _write(tmp_path: Path, data: Any, name: str = "toy-v1.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_the_toy_model_loads_from_a_file(tmp_path: Path) -> None:
    assert len(load_model_file(_write(tmp_path, toy_data())).requirements) == 17


def _subdomain(data: dict[str, Any], key: str) -> dict[str, Any]:
    subs = [sub for factor in data["factors"] for domain in factor["domains"] for sub in domain["subdomains"]]
    return next(sub for sub in subs if sub["key"] == key)


def _duplicate_id(data: dict[str, Any]) -> None:
    _subdomain(data, "org")["requirements"][1]["id"] = "org.L1.1"


def _weights_off(data: dict[str, Any]) -> None:
    data["weights"]["process"]["domains_by_level"][3] = {"org": 0.3, "prod": 0.6}


def _unknown_domain_weight(data: dict[str, Any]) -> None:
    data["weights"]["discrete"]["subdomains"]["quality"] = {"quality": 1.0}


def _missing_domain_weight(data: dict[str, Any]) -> None:
    data["weights"]["discrete"]["domains_by_level"][2] = {"org": 1.0}


def _weight_for_a_sub_domain_of_another_domain(data: dict[str, Any]) -> None:
    data["weights"]["discrete"]["subdomains"]["prod"] = {"prod.plan": 0.5, "org": 0.5}


def _unknown_capability(data: dict[str, Any]) -> None:
    _subdomain(data, "prod.ops")["capabilities"] = ["mes", "quantum"]


def _id_in_the_wrong_sub_domain(data: dict[str, Any]) -> None:
    _subdomain(data, "prod.plan")["requirements"][0]["id"] = "prod.ops.L1.1"


def _below_the_first_level(data: dict[str, Any]) -> None:
    _subdomain(data, "prod.ops")["requirements"].append(
        _subdomain(data, "prod.ops")["requirements"][0] | {"id": "prod.ops.L1.1"}
    )


def _a_level_without_requirements(data: dict[str, Any]) -> None:
    reqs = _subdomain(data, "prod.plan")["requirements"]
    _subdomain(data, "prod.plan")["requirements"] = [r for r in reqs if ".L4." not in r["id"]]


def _no_process_weights(data: dict[str, Any]) -> None:
    del data["weights"]["process"]


def _bad_evidence_type(data: dict[str, Any]) -> None:
    _subdomain(data, "org")["requirements"][0]["evidence"] = ["rumour"]


def _sub_domain_outside_its_domain(data: dict[str, Any]) -> None:
    ops = _subdomain(data, "prod.ops")
    ops["key"] = "ops"
    for requirement in ops["requirements"]:
        requirement["id"] = requirement["id"].removeprefix("prod.")


def _unknown_field(data: dict[str, Any]) -> None:
    _subdomain(data, "org")["requirements"][0]["weight"] = 2


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (_duplicate_id, "requirement keys must be unique: org.L1.1"),
        (_weights_off, "weights.process.domains_by_level.3: weights sum to 0.9, not 1"),
        (_unknown_domain_weight, "weights.discrete.subdomains.quality: no such domain"),
        (_missing_domain_weight, "weights.discrete.domains_by_level.2: no weight for prod"),
        (_weight_for_a_sub_domain_of_another_domain, "weights.discrete.subdomains.prod: no weight for prod.ops"),
        (_unknown_capability, "sub-domain prod.ops: unknown capability key 'quantum'"),
        (_id_in_the_wrong_sub_domain, "ids in sub-domain prod.plan are prod.plan.L1.<n>"),
        (_below_the_first_level, "sub-domain prod.ops starts at 2"),
        (_a_level_without_requirements, "sub-domain prod.plan has no requirements at level(s) [4]"),
        (_no_process_weights, "weights: no weight set for process manufacturing"),
        (_bad_evidence_type, "Input should be 'document', 'record'"),
        (_sub_domain_outside_its_domain, "sub-domain ops: keys in domain prod are prod[.<name>]"),
        (_unknown_field, "Extra inputs are not permitted"),
    ],
)
def test_broken_models_are_refused_with_the_reason(
    tmp_path: Path, breakage: Callable[[dict[str, Any]], None], message: str
) -> None:
    data = toy_data()
    breakage(data)
    with pytest.raises(InputError) as caught:
        load_model_file(_write(tmp_path, data))
    assert caught.value.message.startswith("toy-v1.yaml is not a valid maturity model")
    assert any(message in field.message for field in caught.value.fields), caught.value.fields


def test_the_error_paths_point_into_the_file(tmp_path: Path) -> None:
    data = toy_data()
    _bad_evidence_type(data)
    with pytest.raises(InputError) as caught:
        load_model_file(_write(tmp_path, data))
    assert caught.value.fields[0].field == "factors.0.domains.0.subdomains.0.requirements.0.evidence.0"


def test_a_file_whose_version_differs_from_its_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="the file says version 'toy-v1', its name says 'toy-v2'"):
        load_model_file(_write(tmp_path, toy_data(), name="toy-v2.yaml"))


def test_a_file_that_is_not_yaml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "toy-v1.yaml"
    path.write_text("version: [unclosed", encoding="utf-8")
    with pytest.raises(InputError, match="not YAML"):
        load_model_file(path)
