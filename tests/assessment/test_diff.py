"""Differences between model versions."""

from __future__ import annotations

from tests.assessment.toy import toy_data
from zhizao.assessment.kinds import EnterpriseType
from zhizao.assessment.model import WeightChange, diff_models, load_model, parse_model


def test_a_version_against_itself_is_empty() -> None:
    model = load_model()
    assert diff_models(model, model).empty


def test_added_removed_changed_requirements_and_weights() -> None:
    old = parse_model(toy_data())
    data = toy_data()
    data["version"] = "toy-v2"
    org = data["factors"][0]["domains"][0]["subdomains"][0]
    org["requirements"][0]["text"]["en"] = "Reworded."
    org["requirements"][0]["evidence"] = ["document", "record"]
    org["requirements"] = [r for r in org["requirements"] if r["id"] != "org.L1.2"]
    org["requirements"].append(org["requirements"][1] | {"id": "org.L2.2"})
    data["weights"]["process"]["domains_by_level"][5] = {"org": 0.3, "prod": 0.7}
    new = parse_model(data)
    diff = diff_models(old, new)
    assert (diff.old_version, diff.new_version) == ("toy-v1", "toy-v2")
    assert diff.added == ("org.L2.2",)
    assert diff.removed == ("org.L1.2",)
    assert [(change.id, change.fields) for change in diff.changed] == [("org.L1.1", ("evidence", "text.en"))]
    assert diff.weights == (
        WeightChange(enterprise_type=EnterpriseType.PROCESS, path="domains_by_level.5.org", old=0.2, new=0.3),
        WeightChange(enterprise_type=EnterpriseType.PROCESS, path="domains_by_level.5.prod", old=0.8, new=0.7),
    )
    assert not diff.empty
