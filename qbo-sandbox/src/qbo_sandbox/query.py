"""The QuickBooks Online query language (``SELECT * FROM Customer WHERE ...``), parsed with a lark grammar.

The select list is ``*``, ``COUNT(*)`` or columns: ``*`` and property names in any mix (python-quickbooks
reads items with ``SELECT *, Sku FROM Item``; others read ``SELECT Id, DisplayName FROM Customer``).

``parse`` turns query text into a :class:`Query` or raises :class:`QueryError` carrying the Fault code,
Message and Detail the real API answers (4000 parse error, 4001 invalid query). Whether the entity exists
and a property is filterable is the server's business: it checks them against its catalog.
"""

from __future__ import annotations

import functools
import importlib.resources
import math
import re
from dataclasses import dataclass
from typing import Any, TypeAlias, cast

from lark import Lark, Token, Transformer
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

__all__ = [
    "DEFAULT_MAX_RESULTS",
    "MAX_MAX_RESULTS",
    "Condition",
    "OrderBy",
    "Query",
    "QueryError",
    "Scalar",
    "like_to_regex",
    "normalize_path",
    "parse",
]

Scalar: TypeAlias = "str | int | float | bool"
Value: TypeAlias = "str | int | float | bool | tuple[str | int | float | bool, ...]"

DEFAULT_MAX_RESULTS = 100
MAX_MAX_RESULTS = 1000
# QBO's parser is Java: STARTPOSITION is an int there. Capping it also keeps it a valid SQLite OFFSET.
MAX_START_POSITION = 2**31 - 1
# Numbers in conditions must fit the server's SQLite integers (signed 64-bit); beyond that a bound
# parameter would raise OverflowError deep in the server instead of a clean 4001.
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
# Never echo more than this much of the caller's input in a Detail.
_ECHO_LIMIT = 100
# Identical query strings recur (paging loops, polling); only short ones are cached so the cache
# cannot pin megabytes of hostile input.
_CACHE_TEXT_LIMIT = 4096

COMPARISON_OPS = frozenset({"=", "<", ">", "<=", ">=", "!="})


@dataclass(frozen=True)
class Condition:
    """One ``WHERE`` term: ``path op value``; ``value`` is a tuple for ``IN``."""

    path: str
    op: str
    value: Value


@dataclass(frozen=True)
class OrderBy:
    """One ``ORDERBY`` key."""

    path: str
    descending: bool


@dataclass(frozen=True)
class Query:
    """A parsed query. ``start_position`` is 1-based.

    ``fields`` are the properties named in the select list, as written; ``star`` says whether the list
    holds ``*`` (then the answer is whole entities whatever else it names: ``SELECT *, Sku FROM Item``).
    """

    entity: str
    count: bool
    where: tuple[Condition, ...]
    order_by: tuple[OrderBy, ...]
    start_position: int = 1
    max_results: int = DEFAULT_MAX_RESULTS
    fields: tuple[str, ...] = ()
    star: bool = True

    @property
    def projected(self) -> bool:
        """True when the answer carries only the named properties (no ``*``, no ``COUNT(*)``)."""
        return not self.count and not self.star


_MESSAGES = {"4000": "Error parsing query", "4001": "Invalid query"}


class QueryError(Exception):
    """A query the API rejects: ``code`` "4000" (parse error) or "4001" (invalid), plus Message and Detail."""

    code: str
    message: str
    detail: str

    def __init__(self, code: str, detail: str) -> None:
        self.code = code
        self.message = _MESSAGES[code]
        self.detail = detail
        super().__init__(f"{code} {self.message}: {detail}")

    # Exceptions are pickled by re-calling __init__ with self.args; keep that working (pytest-xdist).
    def __reduce__(self) -> tuple[type[QueryError], tuple[str, str]]:
        return (type(self), (self.code, self.detail))


def _parse_error(detail: str) -> QueryError:
    return QueryError("4000", f"QueryParserError: {detail}")


def _invalid(detail: str) -> QueryError:
    return QueryError("4001", f"QueryValidationError: {detail}")


def _echo(text: str, limit: int = _ECHO_LIMIT) -> str:
    """Caller's text made safe for a Detail: clipped, control characters escaped."""
    clipped = text[:limit]
    out = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in clipped)
    return out + "..." if len(text) > limit else out


# ---------------------------------------------------------------------------------------------------------
# Grammar and parser, built once at import.


class _Collect(Transformer[Token, Any]):
    """Runs inside the LALR parser (no tree is built): condenses rules into tuples of tokens.

    Tokens are kept, not converted, so that validation after the parse can point at them and so that
    syntax errors always win over validation errors, whatever their order in the text.
    """

    def query(self, c: list[Any]) -> tuple[Any, ...]:
        return tuple(c)  # (projection, entity token, where | None, order | None, paging | None)

    def count(self, _: list[Any]) -> None:
        return None  # COUNT(*): no columns

    def columns(self, c: list[Any]) -> tuple[Token | None, ...]:
        return tuple(c)  # a property token per named column, None for each `*`

    def star(self, _: list[Any]) -> None:
        return None

    def field(self, c: list[Any]) -> Token:
        return cast("Token", c[0])

    def where(self, c: list[Any]) -> tuple[Any, ...]:
        return tuple(c)

    def compare(self, c: list[Any]) -> tuple[Token, str, Any]:
        return (c[0], str(c[1]), c[2])

    def in_list(self, c: list[Any]) -> tuple[Token, str, Any]:
        return (c[0], "IN", tuple(c[1:]))

    def like(self, c: list[Any]) -> tuple[Token, str, Any]:
        return (c[0], "LIKE", c[1])

    def order(self, c: list[Any]) -> tuple[Any, ...]:
        return tuple(c)

    def sort_key(self, c: list[Any]) -> tuple[Token, bool]:
        direction = c[1]
        return (c[0], direction is not None and direction.type == "DESC")

    def paging(self, c: list[Any]) -> dict[str, Token]:
        return dict(item for item in c if item is not None)

    def start(self, c: list[Any]) -> tuple[str, Token]:
        return ("start", c[0])

    def max(self, c: list[Any]) -> tuple[str, Token]:
        return ("max", c[0])


def _load_grammar() -> str:
    return importlib.resources.files("qbo_sandbox").joinpath("query.lark").read_text(encoding="utf-8")


_PARSER = Lark(
    _load_grammar(),
    start="query",
    parser="lalr",
    lexer="contextual",
    transformer=_Collect(),
    maybe_placeholders=True,
)


# ---------------------------------------------------------------------------------------------------------
# Public functions.


def parse(text: str) -> Query:
    """Parse and validate a query; raises :class:`QueryError` (and nothing else) for any bad input."""
    if not isinstance(text, str):
        raise _parse_error(f"the query must be text, not {type(text).__name__}")
    if len(text) <= _CACHE_TEXT_LIMIT:
        return _parse_cached(text)
    return _parse(text)


@functools.lru_cache(maxsize=1024)
def _parse_cached(text: str) -> Query:
    # Query is frozen and made of tuples, so sharing one instance between callers is safe.
    return _parse(text)


def _parse(text: str) -> Query:
    try:
        raw = _PARSER.parse(text)
    except UnexpectedToken as e:
        if e.token.type == "$END":
            raise _eof_error(text) from None
        raise _unexpected(e.token) from None
    except UnexpectedCharacters as e:
        raise _lexical_error(text, e.pos_in_stream or 0) from None
    except UnexpectedEOF:
        raise _eof_error(text) from None
    except LarkError as e:  # any other lark failure is still the caller's malformed query
        raise _parse_error(_echo(str(e))) from None
    return _finish(cast("tuple[Any, ...]", raw))


def normalize_path(path: str) -> str:
    """Canonical spelling of the common ``MetaData.`` prefix (clients send ``Metadata.``); else unchanged."""
    if path[:9].lower() == "metadata.":
        return "MetaData." + path[9:]
    return path


def like_to_regex(pattern: str) -> re.Pattern[str]:
    """Regex for a LIKE pattern: ``%`` matches any run of characters, all else literal; case-insensitive.

    The regex is anchored (``match``, ``search`` and ``fullmatch`` agree) and cannot backtrack
    catastrophically: a naive ``.*a.*a.*b`` is exponential on long values, so each middle segment takes
    its leftmost occurrence through an atomic look-ahead (``(?=(.*?seg))\\N``), which is always a correct
    choice when ``%`` is the only wildcard.
    """
    parts = [re.escape(p) for p in pattern.split("%")]
    if len(parts) == 1:
        body = parts[0]
    else:
        middle = [f"(?=(.*?{seg}))\\{i}" for i, seg in enumerate((p for p in parts[1:-1] if p), start=1)]
        body = parts[0] + "".join(middle) + ".*" + parts[-1]
    # re.compile keeps its own cache of recent patterns, so callers may call this once per row.
    return re.compile(rf"\A{body}\Z", re.IGNORECASE | re.DOTALL)


# ---------------------------------------------------------------------------------------------------------
# Errors in the shape QBO's JavaCC parser reports them (verbatim from a live sandbox):
#   QueryParserError: Encountered " <IDENTIFIER> "TxnDate "" at line 1, column 29.

_TOKEN_KINDS = {"STRING": "<STRING>", "IDENT": "<IDENTIFIER>"}


def _kind(tok: Token) -> str:
    if tok.type in _TOKEN_KINDS:
        return _TOKEN_KINDS[tok.type]
    if tok.type == "NUMBER":
        return "<DECIMAL>" if "." in tok.value else "<INTEGER>"
    # Keywords and punctuation are named by their own spelling, as JavaCC does.
    return '"' + " ".join(str(tok.value).split()).upper() + '"'


def _unexpected(tok: Token) -> QueryError:
    return _parse_error(
        f'Encountered " {_kind(tok)} "{_echo(str(tok.value))} "" at line {tok.line}, column {tok.column}.'
    )


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _eof_error(text: str) -> QueryError:
    line, column = _position(text, len(text))
    return _parse_error(f'Encountered "<EOF>" at line {line}, column {column}.')


def _lexical_error(text: str, offset: int) -> QueryError:
    line, column = _position(text, offset)
    char = text[offset] if offset < len(text) else ""
    if char == "'":
        # The only way a quote fails to lex is a string that never closes.
        return _parse_error(
            f"Lexical error at line {line}, column {column}. Unterminated string: "
            f'"{_echo(text[offset:], 40)}"'
        )
    code = ord(char) if char else -1
    return _parse_error(
        f'Lexical error at line {line}, column {column}. Encountered: "{_echo(char)}" ({code})'
    )


# ---------------------------------------------------------------------------------------------------------
# From the parser's tuples to a validated Query.

_ESCAPE = re.compile(r"\\(['\\])")


def _unescape(body: str) -> str:
    # Only \' and \\ are escapes; any other backslash pair is kept as written (`'C:\temp'` stays as is).
    return _ESCAPE.sub(r"\1", body) if "\\" in body else body


def _scalar(tok: Token) -> Scalar:
    kind = tok.type
    if kind == "STRING":
        return _unescape(tok.value[1:-1])
    if kind == "TRUE":
        return True
    if kind == "FALSE":
        return False
    text = str(tok.value)
    if "." in text:
        number = float(text)  # float() accepts any length; overflow gives inf, rejected below
        if not math.isfinite(number):
            raise _invalid(f"value {_echo(text)} is out of range")
        return number
    # int() refuses more than 4300 digits (ValueError); 20 digits already exceed 64 bits.
    if len(text.lstrip("+-").lstrip("0")) > 19 or not _INT64_MIN <= int(text) <= _INT64_MAX:
        raise _invalid(f"value {_echo(text)} is out of range")
    return int(text)


def _bounded_int(tok: Token, low: int, high: int) -> int:
    text = str(tok.value)
    if "." in text:
        raise _unexpected(tok)
    digits = text.lstrip("+-").lstrip("0")
    if len(digits) > 12:  # far outside either bound; skip int() on possibly thousands of digits
        if text.startswith("-"):
            raise _invalid(f"value {_echo(text)} is too small. Min allowed value is {low}")
        raise _invalid(f"value {_echo(text)} is too large. Max allowed value is {high}")
    number = int(text)
    if number > high:
        raise _invalid(f"value {number} is too large. Max allowed value is {high}")
    if number < low:
        raise _invalid(f"value {number} is too small. Min allowed value is {low}")
    return number


def _finish(raw: tuple[Any, ...]) -> Query:
    columns, entity, where, order, paging = raw
    if "." in entity.value:
        raise _unexpected(entity)  # entity names are plain identifiers; the grammar shares IDENT
    conditions = []
    for path_tok, op, value in where or ():
        path = str(path_tok.value)
        if path.lower() == "id" and op not in ("=", "IN"):
            raise _invalid(f"operator '{op}' is not supported for property 'Id'; use = or IN")
        converted: Value = tuple(_scalar(v) for v in value) if op == "IN" else _scalar(value)
        conditions.append(Condition(path, op, converted))
    order_by = tuple(OrderBy(str(tok.value), desc) for tok, desc in order or ())
    paging = paging or {}
    start = _bounded_int(paging["start"], 1, MAX_START_POSITION) if "start" in paging else 1
    max_results = _bounded_int(paging["max"], 1, MAX_MAX_RESULTS) if "max" in paging else DEFAULT_MAX_RESULTS
    named = tuple(str(tok.value) for tok in columns or () if tok is not None)
    return Query(
        entity=str(entity.value),
        count=columns is None,
        where=tuple(conditions),
        order_by=order_by,
        start_position=start,
        max_results=max_results,
        fields=named,
        star=columns is None or any(tok is None for tok in columns),
    )
