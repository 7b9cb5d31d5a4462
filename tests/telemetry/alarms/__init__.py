"""Tests of the pure alarm core: rules, the ISA-18.2 lifecycle table, the engine and the flood metric."""
