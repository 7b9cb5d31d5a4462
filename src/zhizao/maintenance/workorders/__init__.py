"""Maintenance work orders and preventive maintenance plans: lifecycle, failure codes, spare parts, repair time
linked to the state ledger (MTTR, MTBF, availability), failure labels for the health and RUL models."""
