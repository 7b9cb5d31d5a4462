"""Maturity assessment: the model as data, self-assessment, the expert pool, diagnoses, scoring, reports."""
