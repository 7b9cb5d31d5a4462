"""Product models of customisable products (option families, rules, prices, super-BOM, routing), their checks before
release, and the CP-SAT configurator that checks, greys out, explains and completes configurations.

Pure: no database and no web here; the models are pydantic data that round-trip through JSON, so a later layer
stores versions and serves pages on top. Start with ``loading.parse_product_model`` / ``load_demo_model``, then
``configurator.configurator_for(model)``; see docs/c2m-configurator.md.
"""
