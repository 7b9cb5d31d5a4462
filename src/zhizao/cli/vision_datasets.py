"""``zhizao vision dataset import|version|list``, ``zhizao vision train`` and ``zhizao vision models``: the platform's
inspection datasets and model registry from the command line (registered into ``vision`` by ``register``).

The CLI acts without a signed-in user; what it changes is audited, and the audit log names an actor, so it acts as
the platform's first active administrator (as ``zhizao sharing invoice`` does). Mistakes are one line per problem on
stderr and exit status 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts.auth import principal_of
from zhizao.accounts.models import Organisation, User
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.cli.common import DatabaseUrl, DataDir, err, guarded, open_database, say, settings_from
from zhizao.errors import InputError, ZhizaoError
from zhizao.fields import MAX_ID
from zhizao.vision import datasets, evaluation, registry, training, versions
from zhizao.vision.models import VisionDataset
from zhizao.vision.schemas import DatasetCreate, VersionCreate
from zhizao.vision.splits import DEFAULT_SEED
from zhizao.vision.types import Task

dataset_app = typer.Typer(help="Inspection datasets: import a folder, list, freeze a version.", no_args_is_help=True)

Id = Annotated[int, typer.Option(min=1, max=MAX_ID)]


def register(vision_app: typer.Typer) -> None:
    vision_app.add_typer(dataset_app, name="dataset")
    vision_app.command("train")(train)
    vision_app.command("models")(models)


def _administrator(session: Session) -> Principal:
    admin = session.scalar(select(User).where(User.role == Role.ADMIN, User.is_active).order_by(User.id))
    if admin is None:
        raise InputError.for_field("admin", "create an administrator first (zhizao users create --role admin)")
    return principal_of(admin)


def _enterprise(session: Session, value: str) -> int:
    text = value.strip()
    if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID:
        found = session.scalar(select(Organisation.id).where(Organisation.id == int(text)))
    else:
        found = session.scalar(select(Organisation.id).where(Organisation.name == text))
    if found is None:
        raise InputError.for_field("enterprise", f"no organisation {value!r}")
    return found


@dataset_app.command("import")
def import_dataset(
    enterprise: Annotated[str, typer.Option(help="The enterprise's id or exact name.")],
    name: Annotated[str, typer.Option(help="The dataset's name (created when the enterprise has none of it).")],
    task: Annotated[Task, typer.Option(help="classify, detect or anomaly.")],
    product: Annotated[str, typer.Option(help="The product code the images show.")],
    data: Annotated[Path, typer.Option("--data", help="The image folder.", file_okay=False)],
    data_dir: DataDir = None, database_url: DatabaseUrl = None,
) -> None:  # fmt: skip
    """Import a folder laid out like the benchmarks (class folders; images/ with annotations/ VOC boxes; a good
    folder and defect folders) into a dataset, all or nothing: any unusable file stops it, naming every such file."""
    settings = settings_from(data_dir, database_url)
    with open_database(settings) as database, database.session() as session:

        def act() -> tuple[VisionDataset, datasets.AddResult]:
            with session.begin():
                actor = _administrator(session)
                organisation_id = _enterprise(session, enterprise)
                dataset = session.scalar(
                    select(VisionDataset).where(
                        VisionDataset.organisation_id == organisation_id, VisionDataset.name == name.strip()
                    )
                )
            created = dataset is None
            if dataset is None:
                spec = DatasetCreate(name=name, task=task, product_code=product, organisation_id=organisation_id)
                dataset = datasets.create_dataset(session, actor, spec)
            elif (dataset.task, dataset.product_code) != (task, product.strip()):
                raise InputError.for_field("name", f"dataset {dataset.name!r} exists for {dataset.task.value} "
                                           f"images of product {dataset.product_code}")  # fmt: skip
            err.print(f"reading and checking the images of {data} …", markup=False)
            dataset_id = dataset.id
            try:
                return dataset, datasets.import_folder(session, settings, actor, dataset_id, data)
            except ZhizaoError:
                if created:  # all or nothing: not even the empty dataset stays
                    session.rollback()
                    datasets.delete_dataset(session, settings, actor, dataset_id)
                raise

        dataset, result = guarded(act)
        with session.begin():
            total, labelled, per_class = datasets.counts(session, dataset.id)
    say(f"dataset {dataset.id} {dataset.name!r} ({dataset.task.value}, product {dataset.product_code}): "
        f"{len(result.added)} images added, {result.duplicates} already held; "
        f"{total} images, {labelled} labelled")  # fmt: skip
    for label, count in sorted(per_class.items()):
        say(f"  {label}: {count}")


@dataset_app.command("list")
def list_datasets(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Every enterprise's datasets with their image counts and versions."""
    settings = settings_from(data_dir, database_url)
    with open_database(settings) as database, database.session() as session:
        actor = guarded(lambda: _administrator(session))
        for dataset in datasets.list_datasets(session, actor):
            total, labelled, _per_class = datasets.counts(session, dataset.id)
            numbers = [str(version.number) for version in versions.versions_of(session, dataset.id)]
            say(f"{dataset.id}  {dataset.name}  {dataset.task.value}  product {dataset.product_code}  "
                f"enterprise {dataset.organisation_id}  {total} images ({labelled} labelled)  "
                f"versions {', '.join(numbers) or '—'}")  # fmt: skip


@dataset_app.command("version")
def version(
    dataset: Annotated[int, typer.Option(min=1, max=MAX_ID, help="The dataset's id.")],
    seed: Annotated[int, typer.Option(min=0, max=2**31 - 1, help="Seed of the stated splits.")] = DEFAULT_SEED,
    validation_share: Annotated[float, typer.Option(min=0.05, max=0.4)] = 0.15,
    test_share: Annotated[float, typer.Option(min=0.05, max=0.4)] = 0.15,
    data_dir: DataDir = None, database_url: DatabaseUrl = None,
) -> None:  # fmt: skip
    """Freeze the dataset's labelled images into a version with fixed train / validation / test splits."""
    settings = settings_from(data_dir, database_url)
    with open_database(settings) as database, database.session() as session:
        actor = guarded(lambda: _administrator(session))
        session.rollback()
        data = VersionCreate(seed=seed, validation_share=validation_share, test_share=test_share)
        made = guarded(lambda: versions.create_version(session, actor, dataset, data))
    say(f"version {made.number} of dataset {dataset} (id {made.id}): seed {made.seed}, validation share "
        f"{made.validation_share}, test share {made.test_share}")  # fmt: skip
    for split, counts in made.counts.items():
        say(f"  {split}: {sum(counts.values())} images — " + ", ".join(f"{k} {v}" for k, v in counts.items()))


LearnedMaps = Annotated[bool, typer.Option("--learned-maps", help="Detection only: add the class maps of two small "
                         "networks trained from scratch (needs PyTorch: pip install 'zhizao[vision]').")]  # fmt: skip


def train(
    version: Annotated[int, typer.Option(min=1, max=MAX_ID, help="The dataset version's id.")],
    learned_maps: LearnedMaps = False,
    data_dir: DataDir = None, database_url: DatabaseUrl = None,
) -> None:  # fmt: skip
    """Train a model from a dataset version here and now, evaluate it on the version's test split and register it."""
    settings = settings_from(data_dir, database_url)
    with open_database(settings) as database, database.session() as session:
        actor = guarded(lambda: _administrator(session))
        session.rollback()
        err.print(f"training from dataset version {version} …", markup=False)
        options = training.TrainingOptions(learned_maps=learned_maps)
        model = guarded(lambda: training.train_model(session, settings, actor, version, options))
    name, value = evaluation.headline(model.task, model.metrics)
    say(f"model {model.id} (#{model.number} of dataset {model.dataset_id}, {model.algorithm}): {name} "
        f"{'—' if value is None else f'{value:.4f}'} on {model.metrics.get('test_images', 0)} test images; trained "
        f"in {model.train_seconds or 0:.1f} s; latency {model.latency_ms or 0:.2f} ms per image")  # fmt: skip
    for label, figure in evaluation.per_class(model.task, model.metrics).items():
        say(f"  {label}: {figure:.4f}")


def models(
    dataset: Annotated[int | None, typer.Option(min=1, max=MAX_ID, help="Only this dataset's models.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per model.")] = False,
    data_dir: DataDir = None, database_url: DatabaseUrl = None,
) -> None:  # fmt: skip
    """The model registry: every model with its dataset version, status, headline figure, time and latency."""
    settings = settings_from(data_dir, database_url)
    with open_database(settings) as database, database.session() as session:
        actor = guarded(lambda: _administrator(session))
        rows = guarded(lambda: registry.list_models(session, actor, dataset_id=dataset))
        for model in rows:
            name, value = evaluation.headline(model.task, model.metrics)
            if as_json:
                say(json.dumps({"id": model.id, "dataset_id": model.dataset_id, "number": model.number,
                                "version_id": model.dataset_version_id, "task": model.task.value,
                                "algorithm": model.algorithm, "options": model.options,
                                "status": model.status.value, "error": model.error,
                                "metrics": model.metrics, "train_seconds": model.train_seconds,
                                "latency_ms": model.latency_ms}, ensure_ascii=False))  # fmt: skip
                continue
            figure = "—" if value is None else f"{name} {value:.4f}"
            say(f"{model.id}  dataset {model.dataset_id} #{model.number}  version {model.dataset_version_id}  "
                f"{model.task.value}  {model.status.value}  {model.algorithm or ''}  {figure}  "
                f"train {model.train_seconds or 0:.1f} s  latency {model.latency_ms or 0:.2f} ms"
                + (f"  error: {model.error}" if model.error else ""))  # fmt: skip
