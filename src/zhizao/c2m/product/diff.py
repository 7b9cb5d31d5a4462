"""What changed between two versions of a product model, for the release page and the change log."""

from __future__ import annotations

from decimal import Decimal

from zhizao.c2m.product.model import Frozen, ProductModel


class PriceChange(Frozen):
    code: str
    old: Decimal
    new: Decimal


class ModelDiff(Frozen):
    old_version: int
    new_version: int
    options_added: tuple[str, ...] = ()
    options_removed: tuple[str, ...] = ()
    options_discontinued: tuple[str, ...] = ()  # discontinued in the new version, not in the old
    options_reinstated: tuple[str, ...] = ()
    prices_changed: tuple[PriceChange, ...] = ()
    base_price: PriceChange | None = None
    rules_added: tuple[str, ...] = ()
    rules_removed: tuple[str, ...] = ()
    rules_changed: tuple[str, ...] = ()
    bom_changed: bool = False
    routing_changed: bool = False

    @property
    def empty(self) -> bool:
        return self == ModelDiff(old_version=self.old_version, new_version=self.new_version)


def diff_models(old: ProductModel, new: ProductModel) -> ModelDiff:
    both = [code for code in new.options if code in old.options]
    old_rules = {rule.id: rule for rule in old.rules}
    new_rules = {rule.id: rule for rule in new.rules}
    return ModelDiff(
        old_version=old.version,
        new_version=new.version,
        options_added=tuple(code for code in new.options if code not in old.options),
        options_removed=tuple(code for code in old.options if code not in new.options),
        options_discontinued=tuple(
            code for code in both if new.options[code].discontinued and not old.options[code].discontinued
        ),
        options_reinstated=tuple(
            code for code in both if old.options[code].discontinued and not new.options[code].discontinued
        ),
        prices_changed=tuple(
            PriceChange(code=code, old=old.options[code].price, new=new.options[code].price)
            for code in both
            if old.options[code].price != new.options[code].price
        ),
        base_price=None
        if old.base_price == new.base_price
        else PriceChange(code=new.code, old=old.base_price, new=new.base_price),
        rules_added=tuple(rule_id for rule_id in new_rules if rule_id not in old_rules),
        rules_removed=tuple(rule_id for rule_id in old_rules if rule_id not in new_rules),
        rules_changed=tuple(
            rule_id for rule_id, rule in new_rules.items() if rule_id in old_rules and old_rules[rule_id] != rule
        ),
        bom_changed=old.bom != new.bom,
        routing_changed=old.routing != new.routing,
    )
