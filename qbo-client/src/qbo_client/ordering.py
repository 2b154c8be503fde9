"""Graph algorithms over the catalog's references: the order in which a client writes objects."""

from __future__ import annotations

from . import catalog
from .catalog import Kind
from .references import schema_references

_KIND_ORDER = {Kind.SINGLETON: 0, Kind.NAME_LIST: 1, Kind.OTHER: 2, Kind.TRANSACTION: 3}


def write_order() -> tuple[str, ...]:
    """Every object a client can write, parents before children, derived from the references.

    An object comes after every object it refers to (accounts before items, items and customers
    before invoices, invoices before the payments linked to them, payments before deposits).
    Objects whose references form a cycle (Account -> TaxCode -> TaxRate -> TaxAgency -> Account:
    optional references such as an account's default tax code) are ordered among themselves by
    placing first, each time, the one with the fewest references still unplaced (name lists
    before other objects, then by name): a reference from it to a later object must already exist
    in the company. References of an object to itself (``ParentRef``) are the writer's to order.
    """
    writable = [s for s in catalog.OBJECTS if s.create or s.update]
    names_ = {s.name for s in writable}
    deps = {s.name: (schema_references(s.name) & names_) - {s.name} for s in writable}
    rank = {s.name: (_KIND_ORDER[s.kind], s.name) for s in writable}
    component = _components(deps)
    members: dict[int, set[str]] = {}
    for name, comp in component.items():
        members.setdefault(comp, set()).add(name)
    needs = {c: {component[d] for n in m for d in deps[n]} - {c} for c, m in members.items()}
    placed: list[str] = []
    done: set[int] = set()
    while len(done) < len(members):
        ready = [c for c in members if c not in done and not needs[c] - done]
        comp = min(ready, key=lambda c: min(rank[n] for n in members[c]))
        left = set(members[comp])
        while left:
            free = [n for n in left if not deps[n] & left]
            if free:
                name = min(free, key=rank.__getitem__)
            else:
                name = min(left, key=lambda n: (len(deps[n] & left), rank[n]))
            placed.append(name)
            left.discard(name)
        done.add(comp)
    return tuple(placed)


def _components(deps: dict[str, frozenset[str]]) -> dict[str, int]:
    """Strongly connected components of the reference graph (Tarjan), as name -> component number."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: dict[str, int] = {}

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(deps[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            number = len(set(out.values()))
            while True:
                top = stack.pop()
                on_stack.discard(top)
                out[top] = number
                if top == node:
                    break

    for node in sorted(deps):
        if node not in index:
            visit(node)
    return out
