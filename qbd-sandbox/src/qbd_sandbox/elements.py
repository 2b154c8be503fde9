"""qbXML elements in and out of the store, in the order of the generated qbXML spec.

A record is kept as a *text mapping*: element names as keys, text exactly as QuickBooks writes it
(``"210.00"``, ``"true"``) as leaves, mappings for aggregates and lists for repeated elements. That
mapping is written as JSON, and rendered back to XML in the spec's element order. The spec lookups
(the flattened names and the order of a node list) are cached per node list, because a page of a
hundred invoices renders thousands of elements.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree
from qbd_client import qbxml
from qbd_client.xml import Element, local_name

Node = dict[str, Any]
TextMap = dict[str, Any]

_FLAT: dict[int, tuple[Sequence[Node], dict[str, Node]]] = {}
_ORDER: dict[int, tuple[Sequence[Node], list[str]]] = {}
_POSITION: dict[int, tuple[Sequence[Node], dict[str, int]]] = {}


def flat(nodes: Sequence[Node]) -> dict[str, Node]:
    """Element name -> its spec node, choices and sequences flattened (cached)."""
    hit = _FLAT.get(id(nodes))
    if hit is not None and hit[0] is nodes:
        return hit[1]
    index = qbxml._flat_names(nodes)
    _FLAT[id(nodes)] = (nodes, index)
    return index


def order(nodes: Sequence[Node]) -> list[str]:
    """The element names of a node list in schema order (cached)."""
    hit = _ORDER.get(id(nodes))
    if hit is not None and hit[0] is nodes:
        return hit[1]
    names = qbxml._order(nodes)
    _ORDER[id(nodes)] = (nodes, names)
    return names


def position(nodes: Sequence[Node]) -> dict[str, int]:
    """Element name -> its place in the schema order (cached)."""
    hit = _POSITION.get(id(nodes))
    if hit is not None and hit[0] is nodes:
        return hit[1]
    places = {name: place for place, name in enumerate(order(nodes))}
    _POSITION[id(nodes)] = (nodes, places)
    return places


def repeated(node: Node) -> bool:
    top = node.get("max", 1)
    return top == "unbounded" or (isinstance(top, int) and top > 1) or bool(node.get("_repeat"))


def children(node: Node) -> list[Node]:
    kids: list[Node] = node.get("children", [])
    return kids


def latin1(text: str) -> str:
    """Text as QuickBooks stores it: characters outside ISO-8859-1 become ``?``."""
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("latin-1", "replace").decode("latin-1")
    return text


def text_mapping(element: Element, nodes: Sequence[Node]) -> TextMap:
    """The children of ``element`` as a text mapping, repeated elements as lists (per the spec)."""
    index = flat(nodes)
    out: TextMap = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = local_name(child)
        node = index.get(name)
        if node is not None and node["type"] == "aggregate":
            value: Any = text_mapping(child, children(node))
        elif len(child):
            value = text_mapping(child, [])
        else:
            value = latin1(child.text or "")
        if node is not None and repeated(node):
            out.setdefault(name, []).append(value)
        elif name in out:
            previous = out[name]
            out[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            out[name] = value
    return out


def render(parent: Element, data: Mapping[str, Any], nodes: Sequence[Node]) -> None:
    """Append ``data`` to ``parent`` in the spec's order; keys the spec does not know are left out."""
    index = flat(nodes)
    places = position(nodes)
    # A record holds a few dozen of the hundreds of elements its spec allows: order what it holds.
    for name in sorted((k for k in data if k in places), key=places.__getitem__):
        value = data[name]
        if value is None:
            continue
        node = index[name]
        for item in value if type(value) is list else (value,):
            child = etree.SubElement(parent, name)
            if type(item) is dict:
                render(child, item, children(node))
            else:
                child.text = str(item)


def element(tag: str, data: Mapping[str, Any], nodes: Sequence[Node]) -> Element:
    out = etree.Element(tag)
    render(out, data, nodes)
    return out


def typed(tag: str, data: Mapping[str, Any], nodes: Sequence[Node]) -> dict[str, Any]:
    """The record as :func:`qbd_client.qbxml.to_dict` gives it (Decimal, bool, int leaves)."""
    return qbxml.to_dict(element(tag, data, nodes), nodes)


def typed_fields(data: Mapping[str, Any], nodes: Sequence[Node]) -> dict[str, Any]:
    """A text mapping as :func:`qbd_client.qbxml.to_dict` would read its rendered element.

    Repeated elements are lists (even of one), amounts Decimal, integers int, booleans bool; keys
    the spec does not know are left out, as rendering leaves them out.
    """
    index = flat(nodes)
    out: dict[str, Any] = {}
    for name in order(nodes):
        value = data.get(name)
        if value is None:
            continue
        node = index[name]
        items = value if isinstance(value, list) else [value]
        converted = [
            typed_fields(item, children(node))
            if isinstance(item, Mapping)
            else qbxml._to_python(str(item), node["type"])
            for item in items
        ]
        out[name] = converted if repeated(node) or len(converted) > 1 else converted[0]
    return out


def text_fields(data: Mapping[str, Any], nodes: Sequence[Node], where: str) -> TextMap:
    """Python fields as the text mapping ``text_mapping(from_dict(where, data, nodes))`` gives, without XML.

    For trusted callers (the sample generator) that skip building and validating a request:
    the same texts (``format_value``, ISO-8859-1), the same schema order and lists; a key the spec
    does not know still raises :class:`qbd_client.qbxml.QbxmlError`.
    """
    index = flat(nodes)
    places = position(nodes)
    unknown = [key for key in data if key not in places]
    if unknown:
        raise qbxml.QbxmlError(f"{where} has no element {unknown[0]}")
    out: TextMap = {}
    for name in sorted(data, key=places.__getitem__):
        value = data[name]
        if value is None:
            continue
        node = index[name]
        items = value if type(value) is list else [value]
        if not items:
            continue
        if node["type"] == "aggregate":
            texts: list[Any] = [text_fields(item, children(node), f"{where}.{name}") for item in items]
        else:
            kind = node["type"]
            texts = [latin1(qbxml.format_value(item, kind)) for item in items]
        if repeated(node):
            out[name] = texts
        elif len(texts) == 1:
            out[name] = texts[0]
        else:
            raise qbxml.QbxmlError(f"{where}.{name} takes one value, got {len(texts)}")
    return out


def text_from_python(data: Mapping[str, Any], nodes: Sequence[Node], where: str) -> TextMap:
    """Python fields (as ``to_dict`` shapes them) as a text mapping; raises QbxmlError for unknown keys."""
    return text_mapping(qbxml.from_dict(where, data, nodes), nodes)


# -- amounts ------------------------------------------------------------------------------------

CENT = Decimal("0.01")


def dec(value: Any, default: Decimal | None = None) -> Decimal | None:
    """A text leaf as Decimal (None or ``default`` when absent or not a number)."""
    if value is None or value == "":
        return default
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return default


def amount(value: Decimal) -> str:
    """An AMTTYPE text: two decimals, half up (``-0.00`` written as ``0.00``)."""
    rounded = value.quantize(CENT, rounding="ROUND_HALF_UP")
    if rounded == 0:
        rounded = Decimal("0.00")
    return f"{rounded:.2f}"


def cents(value: Any) -> int:
    number = dec(value, Decimal(0)) or Decimal(0)
    return int((number * 100).quantize(Decimal(1), rounding="ROUND_HALF_UP"))


def from_cents(value: int) -> str:
    return amount(Decimal(value) / 100)


def quantity(value: Decimal) -> str:
    """A QUANTYPE / PRICETYPE text without trailing zeros (``0.2``, ``35``)."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def price(value: Decimal) -> str:
    """A PRICETYPE text: at least two decimals, as QuickBooks shows rates (``1.00``, ``10.125``)."""
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    places = max(2, -exponent if isinstance(exponent, int) else 2)
    return f"{value:.{places}f}"
