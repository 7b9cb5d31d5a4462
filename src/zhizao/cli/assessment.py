"""``zhizao assessment …``: score a ratings file offline, plan the gaps to the next level, inspect model versions.

Registered by the root CLI as ``app.add_typer(assessment_app, name="assessment")``. Results are JSON on stdout;
a mistake in the input is one line per problem, ``error: <field>: <reason>``, on stderr and exit code 2.
The ratings file format is in ``docs/assessment.md``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from zhizao.assessment.gaps import Integrator, analyse_gaps
from zhizao.assessment.model import LEVELS, MaturityModel, diff_models, load_model, load_model_file
from zhizao.assessment.scoring import DEFAULT_THRESHOLD, RatingsSheet, parse_ratings, score
from zhizao.cli.common import error, guarded, out, say
from zhizao.errors import FieldProblem, InputError

assessment_app = typer.Typer(help="Maturity assessment: scoring, gap analysis, model versions.", no_args_is_help=True)
model_app = typer.Typer(help="The maturity model's versions.", no_args_is_help=True)
assessment_app.add_typer(model_app, name="model")

RatingsOption = Annotated[Path, typer.Option("--ratings", help="Ratings file (JSON; see docs/assessment.md).")]
ThresholdOption = Annotated[
    float, typer.Option(help="Score a level needs to be reached (GB/T 39117 uses 0.8).", min=0.01, max=1.0)
]
ProvisionalOption = Annotated[
    bool, typer.Option("--provisional", help="Score what is rated; unrated items do not count (self-assessment).")
]


def _read_json(path: Path, option: str) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        error(option, f"no such file: {path}")
    except (OSError, UnicodeDecodeError) as exc:
        error(option, f"{path} cannot be read: {exc}")
    except json.JSONDecodeError as exc:
        error(option, f"{path} is not JSON: {exc}")
    raise typer.Exit(2)


def _sheet_and_model(ratings: Path) -> tuple[RatingsSheet, MaturityModel]:
    sheet = guarded(lambda: parse_ratings(_read_json(ratings, "ratings")))
    return sheet, guarded(lambda: load_model(sheet.model_version))


@assessment_app.command("score")
def score_command(
    ratings: RatingsOption,
    threshold: ThresholdOption = DEFAULT_THRESHOLD,
    provisional: ProvisionalOption = False,
) -> None:
    """Score a ratings file: levels, domain and sub-domain scores, confidence and inter-rater agreement as JSON."""
    sheet, model = _sheet_and_model(ratings)
    result = guarded(lambda: score(model, sheet, threshold=threshold, provisional=provisional))
    say(result.model_dump_json(indent=2))


@assessment_app.command("gaps")
def gaps_command(
    ratings: RatingsOption,
    integrators: Annotated[
        Path | None,
        typer.Option(help='Integrators to match, JSON: [{"id": 1, "name": "…", "capabilities": ["mes", …]}, …].'),
    ] = None,
    threshold: ThresholdOption = DEFAULT_THRESHOLD,
    provisional: ProvisionalOption = False,
) -> None:
    """The fewest items to meet for the next level, in roadmap order, with the integrators that cover each."""
    sheet, model = _sheet_and_model(ratings)
    directory = [] if integrators is None else guarded(lambda: _integrators(_read_json(integrators, "integrators")))
    plan = guarded(lambda: analyse_gaps(model, sheet, directory, threshold=threshold, provisional=provisional))
    say(plan.model_dump_json(indent=2))


def _integrators(data: object) -> list[Integrator]:
    if not isinstance(data, list):
        raise InputError.for_field("integrators", "expected a JSON list of integrators")
    found, problems = [], []
    for index, entry in enumerate(data):
        try:
            found.append(
                Integrator(id=int(entry["id"]), name=str(entry["name"]), capabilities=frozenset(entry["capabilities"]))
            )
        except (KeyError, TypeError, ValueError):
            problems.append(
                FieldProblem(f"integrators[{index}]", 'expected {"id": int, "name": str, "capabilities": [str]}')
            )
    if problems:
        raise InputError("the integrators are not valid", fields=problems)
    return found


def _model(reference: str) -> MaturityModel:
    """A shipped version by name, or a draft model file by path."""
    path = Path(reference)
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise InputError.for_field("model", f"no such file: {path}")
        return load_model_file(path)
    return load_model(reference)


@model_app.command("show")
def show_command(
    version: Annotated[str | None, typer.Argument(help="Version or YAML file (default: the newest version).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The whole model as JSON instead of a summary.")] = False,
) -> None:
    """The model's factors, domains and sub-domains with their number of requirements per level."""
    model = guarded(lambda: load_model() if version is None else _model(version))
    if as_json:
        say(model.model_dump_json(indent=2))
        return
    table = Table("sub-domain", "名称", *(f"L{level}" for level in LEVELS), title=_title(model))
    for factor in model.factors:
        for domain in factor.domains:
            for sub in domain.subdomains:
                counts = [len(sub.requirements_at(level)) for level in LEVELS]
                table.add_row(sub.key, sub.name.zh, *(str(count) if count else "–" for count in counts))
        table.add_section()  # one section per capability factor
    out.print(table)
    say(
        f"{len(model.requirements)} requirements; levels: "
        + ", ".join(f"{level.number} {level.name.zh}" for level in model.levels)
    )


def _title(model: MaturityModel) -> str:
    return f"{model.version}: {model.title.zh}"


@model_app.command("diff")
def diff_command(
    old: Annotated[str, typer.Argument(help="Older version, or a YAML file.")],
    new: Annotated[str, typer.Argument(help="Newer version, or a YAML file.")],
) -> None:
    """Requirements added, removed and changed, and weights changed, between two model versions, as JSON."""
    before = guarded(lambda: _model(old))
    after = guarded(lambda: _model(new))
    say(diff_models(before, after).model_dump_json(indent=2))
