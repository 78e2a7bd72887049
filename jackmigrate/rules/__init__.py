"""The rule registry: one module per rule in this package, found by name.

``all_rules()`` imports every module of the package (except ``base``) and collects the
concrete :class:`~jackmigrate.rules.base.Rule` subclasses they define.  ``layers()``
orders a selection into traversal layers from the rules' ``after`` constraints, so
ordering lives on the rules, never in a hand-sorted list.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from typing import Iterable, Optional

from jackmigrate.rules.base import Rule

__all__ = ["Rule", "RegistryError", "all_rules", "get_rule", "select_rules", "layers"]


class RegistryError(Exception):
    """Bad rule metadata (duplicate id, unknown or cyclic ordering) or bad selection."""


_REGISTRY: Optional[dict[str, type[Rule]]] = None


def _load() -> dict[str, type[Rule]]:
    found: dict[str, type[Rule]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name == "base" or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for obj in vars(module).values():
            if (
                isinstance(obj, type)
                and issubclass(obj, Rule)
                and obj is not Rule
                and obj.id
                and obj.__module__ == module.__name__
            ):
                other = found.get(obj.id)
                if other is not None and other is not obj:
                    raise RegistryError(
                        f"rule id {obj.id} defined twice: {other.__module__} and {obj.__module__}"
                    )
                found[obj.id] = obj
    names: dict[str, str] = {}
    for rule in found.values():
        if rule.name in names:
            raise RegistryError(f"rule name {rule.name!r} used by {names[rule.name]} and {rule.id}")
        names[rule.name] = rule.id
        for dep in rule.after:
            if dep != "*" and dep not in found:
                raise RegistryError(f"{rule.id} runs after unknown rule {dep}")
    return dict(sorted(found.items()))


def all_rules() -> dict[str, type[Rule]]:
    """Every registered rule by id, in id order."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = _load()
    return _REGISTRY


def get_rule(key: str) -> type[Rule]:
    """A rule by id (JM001) or name (quixote-imports)."""
    rules = all_rules()
    if key.upper() in rules:
        return rules[key.upper()]
    for rule in rules.values():
        if rule.name == key:
            return rule
    raise RegistryError(f"unknown rule {key!r}")


def _matches(rule: type[Rule], pattern: str) -> bool:
    # "JM0" selects JM001..JM099, like ruff's prefix selection; names match exactly.
    pattern = pattern.strip()
    return rule.id.startswith(pattern.upper()) or rule.name == pattern or pattern.upper() == "ALL"


def select_rules(
    select: Iterable[str] = (), ignore: Iterable[str] = ()
) -> list[type[Rule]]:
    """Rules chosen by id prefixes / names; empty ``select`` means all.  Unknown
    selectors are an error (a typo must not silently disable the check)."""
    rules = all_rules()
    select = [s for s in select if s.strip()]
    ignore = [s for s in ignore if s.strip()]
    for pattern in (*select, *ignore):
        if not any(_matches(r, pattern) for r in rules.values()):
            raise RegistryError(f"unknown rule selector {pattern!r}")
    chosen = [r for r in rules.values() if not select or any(_matches(r, p) for p in select)]
    return [r for r in chosen if not any(_matches(r, p) for p in ignore)]


def layers(rules: Iterable[type[Rule]]) -> list[list[type[Rule]]]:
    """Group rules into traversal layers: a rule sits one layer after the deepest rule it
    must run after (constraints on unselected rules are ignored).  Within a layer rules
    keep id order.  ``after = ("*",)`` puts a rule in a last layer of its own kind."""
    # Asked for every file and pass, mostly with the same few sets of rules.
    return [list(layer) for layer in _layers(tuple(rules))]


@functools.lru_cache(maxsize=256)
def _layers(rules: tuple[type[Rule], ...]) -> tuple[tuple[type[Rule], ...], ...]:
    last = [r for r in rules if "*" in r.after]
    chosen = {r.id: r for r in rules if "*" not in r.after}
    depth: dict[str, int] = {}

    def visit(rule_id: str, stack: tuple[str, ...]) -> int:
        if rule_id in depth:
            return depth[rule_id]
        if rule_id in stack:
            cycle = " -> ".join((*stack[stack.index(rule_id):], rule_id))
            raise RegistryError(f"ordering cycle: {cycle}")
        deps = [d for d in chosen[rule_id].after if d in chosen]
        level = 1 + max((visit(d, (*stack, rule_id)) for d in deps), default=-1)
        depth[rule_id] = level
        return level

    for rid in sorted(chosen):
        visit(rid, ())
    result: list[list[type[Rule]]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for rid in sorted(chosen):
        result[depth[rid]].append(chosen[rid])
    if last:
        # after = ("*",): checks that must see the result of every other rule
        result.append(sorted(last, key=lambda r: r.id))
    return tuple(tuple(layer) for layer in result)
