"""Remaining useful life (RUL) from run-to-failure histories: C-MAPSS loading, windowed features, a boosted and
randomised-trees ensemble, conformal prediction intervals and the PHM08 evaluation protocol."""

from zhizao.maintenance.rul.online import ARTEFACT_MAGIC, PREDICTOR_INSPECTORS, PREDICTOR_LOADERS

__all__ = ["ARTEFACT_MAGIC", "PREDICTOR_INSPECTORS", "PREDICTOR_LOADERS"]
