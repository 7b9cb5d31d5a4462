"""The maturity model as versioned data: factors → domains → sub-domains → requirements per level, and weights.

The structure follows GB/T 39116-2020 (4 capability factors, 12 domains, 20 sub-domains, 5 levels); the requirement
texts are our own words. Each version is one YAML file in ``maturity/`` named after its version
(``gbt39116-v1.yaml``); a new version is a new file, never an edit of a published one, because stored ratings
refer to requirement ids of one version::

    model = load_model()                       # the newest version
    model.requirement("production.planning.L3.1").text.zh
    diff_models(load_model("gbt39116-v1"), load_model("gbt39116-v2"))

Loading validates what the scoring relies on: unique ids, ids that say where they sit
(``<sub-domain key>.L<level>.<n>``), every referenced key defined, and weight sets that sum to 1.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cached_property
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from zhizao.assessment.kinds import Applicability, EnterpriseType, EvidenceType, TelemetryCheck
from zhizao.errors import FieldProblem, InputError, plain_message

LEVELS = (1, 2, 3, 4, 5)
WEIGHT_TOLERANCE = 1e-6
KEY_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$"
VERSION_PATTERN = r"^[a-z0-9]+-v[0-9]+$"

Level = Annotated[int, Field(ge=1, le=5)]
Weight = Annotated[float, Field(gt=0, le=1)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Text(_Frozen):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class LevelInfo(_Frozen):
    number: Level
    key: str = Field(pattern=KEY_PATTERN)
    name: Text


class Requirement(_Frozen):
    id: str = Field(pattern=r"^[a-z0-9_.]+\.L[1-5]\.[0-9]+$")
    text: Text
    evidence: tuple[EvidenceType, ...] = Field(min_length=1)
    applies_to: Applicability = Applicability.BOTH
    verifiable_by: TelemetryCheck | None = None

    @property
    def level(self) -> int:
        return int(self.id.rsplit(".", 2)[1][1:])


class ImpactProfile(_Frozen):
    """Expected effect of maturing this sub-domain on the programme's targets: 0 none … 3 high (our judgement)."""

    productivity: int = Field(ge=0, le=3)
    cost: int = Field(ge=0, le=3)
    quality: int = Field(ge=0, le=3)

    @property
    def total(self) -> int:
        return self.productivity + self.cost + self.quality


class SubDomain(_Frozen):
    key: str = Field(pattern=KEY_PATTERN)
    name: Text
    first_level: Level = 1
    impact: ImpactProfile
    capabilities: tuple[str, ...] = Field(min_length=1)
    requirements: tuple[Requirement, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _requirements_in_place(self) -> Self:
        for requirement in self.requirements:
            prefix = f"{self.key}.L{requirement.level}."
            if not requirement.id.startswith(prefix) or "." in requirement.id.removeprefix(prefix):
                raise ValueError(f"requirement {requirement.id}: ids in sub-domain {self.key} are {prefix}<n>")
            if requirement.level < self.first_level:
                raise ValueError(f"requirement {requirement.id}: sub-domain {self.key} starts at {self.first_level}")
        levels = {requirement.level for requirement in self.requirements}
        missing = [level for level in LEVELS if level >= self.first_level and level not in levels]
        if missing:
            raise ValueError(f"sub-domain {self.key} has no requirements at level(s) {missing}")
        return self

    def requirements_at(self, level: int) -> tuple[Requirement, ...]:
        return tuple(requirement for requirement in self.requirements if requirement.level == level)


class Domain(_Frozen):
    key: str = Field(pattern=KEY_PATTERN)
    name: Text
    subdomains: tuple[SubDomain, ...] = Field(min_length=1)

    def levels(self) -> set[int]:
        return {requirement.level for sub in self.subdomains for requirement in sub.requirements}


class Factor(_Frozen):
    key: str = Field(pattern=KEY_PATTERN)
    name: Text
    domains: tuple[Domain, ...] = Field(min_length=1)


class WeightSet(_Frozen):
    """One enterprise type's weights: domains within each level, sub-domains within their domain.

    A domain with one sub-domain needs no sub-domain weights (it is 1)."""

    domains_by_level: dict[Level, dict[str, Weight]]
    subdomains: dict[str, dict[str, Weight]] = {}


class MaturityModel(_Frozen):
    version: str = Field(pattern=VERSION_PATTERN)
    title: Text
    levels: tuple[LevelInfo, ...]
    capability_keys: tuple[str, ...] = Field(min_length=1)
    factors: tuple[Factor, ...] = Field(min_length=1)
    weights: dict[EnterpriseType, WeightSet]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems = [*self._id_problems(), *self._reference_problems()]
        for enterprise_type in EnterpriseType:
            if enterprise_type not in self.weights:
                problems.append(f"weights: no weight set for {enterprise_type.value} manufacturing")
            else:
                problems.extend(self._weight_problems(enterprise_type, self.weights[enterprise_type]))
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _id_problems(self) -> list[str]:
        problems = []
        if tuple(level.number for level in self.levels) != LEVELS:
            problems.append("levels: expected the levels 1 to 5 in order")
        for kind, keys in (
            ("domain", [domain.key for domain in self.domains]),
            ("sub-domain", [sub.key for sub in self.subdomains]),
            ("requirement", [requirement.id for requirement in self.requirements]),
            ("factor", [factor.key for factor in self.factors]),
        ):
            duplicates = sorted({key for key in keys if keys.count(key) > 1})
            if duplicates:
                problems.append(f"{kind} keys must be unique: {', '.join(duplicates)}")
        for domain in self.domains:
            for sub in domain.subdomains:
                if sub.key != domain.key and not sub.key.startswith(f"{domain.key}."):
                    problems.append(f"sub-domain {sub.key}: keys in domain {domain.key} are {domain.key}[.<name>]")
        return problems

    def _reference_problems(self) -> list[str]:
        known = set(self.capability_keys)
        return [
            f"sub-domain {sub.key}: unknown capability key {key!r}"
            for sub in self.subdomains
            for key in sub.capabilities
            if key not in known
        ]

    def _weight_problems(self, enterprise_type: EnterpriseType, weights: WeightSet) -> list[str]:
        where = f"weights.{enterprise_type.value}"
        problems = []
        for level in LEVELS:
            expected = {domain.key for domain in self.domains if level in domain.levels()}
            given = weights.domains_by_level.get(level, {})
            problems.extend(_weight_set_problems(f"{where}.domains_by_level.{level}", given, expected))
        domains = {domain.key: domain for domain in self.domains}
        for key in sorted(set(weights.subdomains) - set(domains)):
            problems.append(f"{where}.subdomains.{key}: no such domain")
        for domain in self.domains:
            if len(domain.subdomains) > 1 or domain.key in weights.subdomains:
                expected = {sub.key for sub in domain.subdomains}
                given = weights.subdomains.get(domain.key, {})
                problems.extend(_weight_set_problems(f"{where}.subdomains.{domain.key}", given, expected))
        return problems

    # Indexes, built once per (immutable) model.
    @cached_property
    def domains(self) -> tuple[Domain, ...]:
        return tuple(domain for factor in self.factors for domain in factor.domains)

    @cached_property
    def subdomains(self) -> tuple[SubDomain, ...]:
        return tuple(sub for domain in self.domains for sub in domain.subdomains)

    @cached_property
    def requirements(self) -> tuple[Requirement, ...]:
        return tuple(requirement for sub in self.subdomains for requirement in sub.requirements)

    @cached_property
    def _by_id(self) -> dict[str, tuple[Requirement, SubDomain, Domain]]:
        return {
            requirement.id: (requirement, sub, domain)
            for domain in self.domains
            for sub in domain.subdomains
            for requirement in sub.requirements
        }

    def requirement(self, requirement_id: str) -> Requirement:
        """The requirement with this id; KeyError when this version has none."""
        return self._by_id[requirement_id][0]

    def has_requirement(self, requirement_id: str) -> bool:
        return requirement_id in self._by_id

    def subdomain_of(self, requirement_id: str) -> SubDomain:
        return self._by_id[requirement_id][1]

    def domain_of(self, requirement_id: str) -> Domain:
        return self._by_id[requirement_id][2]

    def applicable(self, enterprise_type: EnterpriseType) -> tuple[Requirement, ...]:
        return tuple(requirement for requirement in self.requirements if requirement.applies_to.covers(enterprise_type))


def _weight_set_problems(where: str, given: Mapping[str, float], expected: set[str]) -> list[str]:
    problems = []
    if missing := sorted(expected - set(given)):
        problems.append(f"{where}: no weight for {', '.join(missing)}")
    if unknown := sorted(set(given) - expected):
        problems.append(f"{where}: {', '.join(unknown)} has no requirements there")
    total = sum(given.values())
    if given and abs(total - 1) > WEIGHT_TOLERANCE:
        problems.append(f"{where}: weights sum to {total:.6g}, not 1")
    return problems


# --- loading ---------------------------------------------------------------------------------------------------------

_VERSION_NUMBER = re.compile(r"^(?P<family>.+)-v(?P<number>[0-9]+)$")


def _sort_key(version: str) -> tuple[str, int]:
    match = _VERSION_NUMBER.match(version)
    return (match["family"], int(match["number"])) if match else (version, 0)


def available_versions() -> list[str]:
    """The model versions shipped in the package, oldest first (``gbt39116-v1``, ``gbt39116-v2`` …)."""
    folder = files("zhizao.assessment").joinpath("maturity")
    names = [entry.name.removesuffix(".yaml") for entry in folder.iterdir() if entry.name.endswith(".yaml")]
    return sorted(names, key=_sort_key)


def load_model(version: str | None = None) -> MaturityModel:
    """A shipped model version (the newest when ``version`` is None); InputError naming the versions there are."""
    versions = available_versions()
    chosen = version or versions[-1]
    if chosen not in versions:
        raise InputError.for_field("model_version", f"no model {chosen!r}; there are {', '.join(versions)}")
    text = files("zhizao.assessment").joinpath("maturity", f"{chosen}.yaml").read_text(encoding="utf-8")
    return _cached(chosen, text)


_LOADED: dict[tuple[str, str], MaturityModel] = {}


def _cached(version: str, text: str) -> MaturityModel:
    # Models are immutable and parsing ~250 requirements takes milliseconds; scoring loads them per request.
    key = (version, text)
    if key not in _LOADED:
        _LOADED[key] = parse_model(yaml.safe_load(text), source=f"{version}.yaml", expected_version=version)
    return _LOADED[key]


def load_model_file(path: Path) -> MaturityModel:
    """A model from any YAML file (a draft version, a test's broken variant); its version must match its name."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError.for_field("model", f"{path}: cannot be read ({exc})") from exc
    except yaml.YAMLError as exc:
        raise InputError.for_field("model", f"{path}: not YAML ({exc})") from exc
    return parse_model(data, source=path.name, expected_version=path.stem)


def parse_model(data: object, *, source: str = "model", expected_version: str | None = None) -> MaturityModel:
    """Validate parsed YAML into a model; every problem becomes a FieldProblem with its path in the file."""
    try:
        model = MaturityModel.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        # A list whose item failed is also reported as too short (pydantic counts the valid items); say it once.
        failed = [problem["loc"] for problem in errors]
        fields = [
            FieldProblem(".".join(str(part) for part in problem["loc"]) or "model", plain_message(problem["msg"]))
            for problem in errors
            if not (
                problem["type"] == "too_short"
                and any(loc[: len(problem["loc"])] == problem["loc"] and loc != problem["loc"] for loc in failed)
            )
        ]
        summary = "; ".join(f"{field.field}: {field.message}" for field in fields[:5])
        raise InputError(f"{source} is not a valid maturity model: {summary}", fields=fields) from exc
    if expected_version is not None and model.version != expected_version:
        message = f"the file says version {model.version!r}, its name says {expected_version!r}"
        raise InputError(f"{source}: {message}", fields=[FieldProblem("version", message)])
    return model


# --- differences between versions ------------------------------------------------------------------------------------


class RequirementChange(_Frozen):
    id: str
    fields: tuple[str, ...]  # what changed: text.zh, text.en, evidence, applies_to, verifiable_by


class WeightChange(_Frozen):
    enterprise_type: EnterpriseType
    path: str  # domains_by_level.<level>.<domain> or subdomains.<domain>.<sub-domain>
    old: float | None  # None: not weighted in the older version
    new: float | None


class ModelDiff(_Frozen):
    old_version: str
    new_version: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[RequirementChange, ...]
    weights: tuple[WeightChange, ...]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.weights)


def diff_models(old: MaturityModel, new: MaturityModel) -> ModelDiff:
    """What a newer version adds, removes and changes: requirements by id, weights by position."""
    old_by_id = {requirement.id: requirement for requirement in old.requirements}
    new_by_id = {requirement.id: requirement for requirement in new.requirements}
    changed = []
    for requirement_id in sorted(old_by_id.keys() & new_by_id.keys()):
        before = _flat(old_by_id[requirement_id].model_dump(mode="json"))
        after = _flat(new_by_id[requirement_id].model_dump(mode="json"))
        if fields := sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path)):
            changed.append(RequirementChange(id=requirement_id, fields=tuple(fields)))
    weights: list[WeightChange] = []
    for enterprise_type in EnterpriseType:
        old_weights = _flat_weights(old.weights.get(enterprise_type))
        new_weights = _flat_weights(new.weights.get(enterprise_type))
        weights.extend(
            WeightChange(
                enterprise_type=enterprise_type, path=path, old=old_weights.get(path), new=new_weights.get(path)
            )
            for path in sorted(old_weights.keys() | new_weights.keys())
            if old_weights.get(path) != new_weights.get(path)
        )
    return ModelDiff(
        old_version=old.version,
        new_version=new.version,
        added=tuple(sorted(new_by_id.keys() - old_by_id.keys())),
        removed=tuple(sorted(old_by_id.keys() - new_by_id.keys())),
        changed=tuple(changed),
        weights=tuple(weights),
    )


def _flat(data: Mapping[str, object], prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _flat_weights(weights: WeightSet | None) -> dict[str, float]:
    if weights is None:
        return {}
    flat = {
        f"domains_by_level.{level}.{domain}": weight
        for level, by_domain in weights.domains_by_level.items()
        for domain, weight in by_domain.items()
    }
    flat.update(
        (f"subdomains.{domain}.{sub}", weight)
        for domain, by_sub in weights.subdomains.items()
        for sub, weight in by_sub.items()
    )
    return flat
