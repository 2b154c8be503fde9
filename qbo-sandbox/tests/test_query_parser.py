"""The query language parser: recorded queries, the documented syntax, errors with their Fault codes."""

from __future__ import annotations

import json
import pickle
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qbo_sandbox.query import (
    Condition,
    OrderBy,
    Query,
    QueryError,
    like_to_regex,
    normalize_path,
    parse,
)
from shared import fixtures_dir

# ---------------------------------------------------------------------------------------------------------
# Helpers


def _where(text: str) -> tuple[Condition, ...]:
    return parse(text).where


def _only_condition(text: str) -> Condition:
    (condition,) = parse(text).where
    return condition


def _outcome(text: str) -> Query | QueryError:
    """The parse result or the QueryError; any other exception propagates and fails the test."""
    try:
        return parse(text)
    except QueryError as error:
        return error


def _error(text: str) -> QueryError:
    with pytest.raises(QueryError) as info:
        parse(text)
    return info.value


def _typed(value: Any) -> Any:
    """Value with its type attached: True == 1 in Python, and the parser must not mix bools and ints up."""
    if isinstance(value, tuple):
        return tuple(_typed(v) for v in value)
    return (type(value).__name__, value)


def _quote(value: str) -> str:
    """A string literal the way a client escapes it: backslash first, then the apostrophe."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


# ---------------------------------------------------------------------------------------------------------
# Recorded queries (real traffic against Intuit's sandbox)


def _queries_in(interaction: dict[str, Any]) -> list[str]:
    request = interaction.get("request", {})
    found = parse_qs(urlsplit(request.get("uri", "")).query).get("query", [])
    body = request.get("body")
    if isinstance(body, str) and body.strip().lower().startswith("select"):
        found.append(body)  # POST /query sends the query as an application/text body
    return found


def _recorded_queries() -> list[tuple[str, str]]:
    queries: list[tuple[str, str]] = []
    for path in sorted((fixtures_dir() / "recorded").glob("*.json")):
        interactions = json.loads(path.read_text(encoding="utf-8"))
        for interaction in interactions if isinstance(interactions, list) else [interactions]:
            queries.extend((f"{path.stem}:{len(queries)}", q) for q in _queries_in(interaction))
    return queries


RECORDED = _recorded_queries()


def test_recorded_fixtures_hold_queries() -> None:
    # Guards the parametrisation below against silently collecting nothing.
    assert len(RECORDED) >= 10
    assert {name.split(":")[0] for name, _ in RECORDED} >= {"all__vendors_by_5", "get__display_name"}


@pytest.mark.parametrize("text", [q for _, q in RECORDED], ids=[name for name, _ in RECORDED])
def test_every_recorded_query_parses(text: str) -> None:
    query = parse(text)
    assert query.entity in {"Customer", "Vendor", "Custmoer"}  # entity existence is the server's check


def test_recorded_display_name_query_unescapes_the_apostrophe() -> None:
    (text,) = [q for name, q in RECORDED if name.startswith("get__display_name")]
    assert parse(text).where == (Condition("DisplayName", "=", "Amy's Bird Sanctuary"),)


def test_recorded_ampersand_query_keeps_the_ampersand() -> None:
    (text,) = [q for name, q in RECORDED if name.startswith("misc__ampersand")]
    assert parse(text).where == (Condition("DisplayName", "=", "Robertson & Associates"),)


def test_recorded_paging_queries_page_by_five() -> None:
    pages = [parse(q) for name, q in RECORDED if name.startswith("all__vendors_by_5") and "COUNT" not in q]
    assert [(p.start_position, p.max_results) for p in pages] == [(s, 5) for s in (1, 6, 11, 16, 21, 26)]


def test_recorded_count_query_is_a_count() -> None:
    counts = [parse(q) for _, q in RECORDED if "COUNT" in q]
    assert counts
    assert all(q.count and q.entity == "Vendor" for q in counts)


def test_recorded_inactive_vendors_query_is_in_with_bools() -> None:
    (text,) = [q for name, q in RECORDED if name.startswith("get__inactive_vendors")]
    assert _typed(parse(text).where[0].value) == (("bool", True), ("bool", False))


def test_docs_sample_batch_query_parses() -> None:
    body = json.loads((fixtures_dir() / "docs-samples" / "batch__00_request_body.json").read_text())
    (text,) = [item["Query"] for item in body["BatchItemRequest"] if "Query" in item]
    assert parse(text).where == (Condition("TotalAmt", ">", "300.00"),)


# ---------------------------------------------------------------------------------------------------------
# SELECT, FROM, defaults


def test_select_star_has_documented_defaults() -> None:
    assert parse("SELECT * FROM Customer") == Query("Customer", False, (), (), 1, 100)


def test_count_star_is_a_count_query() -> None:
    assert parse("SELECT COUNT(*) FROM Invoice").count is True


def test_count_allows_spaces_inside_the_parentheses() -> None:
    assert parse("select count ( * ) from Invoice").count is True


def test_entity_is_kept_as_written() -> None:
    assert parse("select * from invoice").entity == "invoice"


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * FROM Customer WHERE Active = true ORDERBY DisplayName ASC STARTPOSITION 1 MAXRESULTS 10",
        "select * from Customer where Active = TRUE orderby DisplayName asc startposition 1 maxresults 10",
        "Select * From Customer Where Active = True OrderBy DisplayName Asc StartPosition 1 MaxResults 10",
        "sElEcT * fRoM Customer wHeRe Active = tRuE oRdEr By DisplayName aSc sTaRtPoSiTiOn 1 mAxReSuLtS 10",
    ],
)
def test_keywords_are_case_insensitive(text: str) -> None:
    assert parse(text) == Query(
        "Customer", False, (Condition("Active", "=", True),), (OrderBy("DisplayName", False),), 1, 10
    )


def test_keyword_case_insensitivity_covers_and_in_like_desc_false() -> None:
    query = parse(
        "select * from Item where Name like '%a' aNd Active iN (FALSE) and Sku LIKE 'x' order by Name dEsC"
    )
    assert [c.op for c in query.where] == ["LIKE", "IN", "LIKE"]
    assert query.where[1].value == (False,)
    assert query.order_by == (OrderBy("Name", True),)


@pytest.mark.parametrize(
    "text",
    [
        "SELECT\t*\tFROM\tCustomer\tWHERE\tName\t=\t'x'",
        "SELECT *\nFROM Customer\nWHERE Name = 'x'\n",
        "  SELECT    *    FROM   Customer   WHERE   Name='x'  ",
        "SELECT * FROM Customer\r\nWHERE Name\r\n=\r\n'x'",
    ],
)
def test_whitespace_is_flexible(text: str) -> None:
    assert parse(text) == Query("Customer", False, (Condition("Name", "=", "x"),), (), 1, 100)


def test_keywords_may_be_used_as_entity_and_property_names() -> None:
    # The contextual lexer only looks for identifiers where an identifier can stand.
    query = parse("SELECT * FROM Order WHERE Desc = 'x' AND In IN (1) ORDERBY Asc DESC")
    assert query.entity == "Order"
    assert [c.path for c in query.where] == ["Desc", "In"]
    assert query.order_by == (OrderBy("Asc", True),)


# ---------------------------------------------------------------------------------------------------------
# ORDER BY


def test_orderby_and_order_by_are_equivalent() -> None:
    one_word = parse("SELECT * FROM Invoice ORDERBY TxnDate DESC")
    two_words = parse("SELECT * FROM Invoice ORDER BY TxnDate DESC")
    split_over_lines = parse("SELECT * FROM Invoice order\n\tby TxnDate DESC")
    assert one_word == two_words == split_over_lines
    assert one_word.order_by == (OrderBy("TxnDate", True),)


def test_order_by_takes_several_keys_with_their_own_directions() -> None:
    query = parse("SELECT * FROM Invoice ORDER BY MetaData.LastUpdatedTime DESC, Id, DocNumber ASC")
    assert query.order_by == (
        OrderBy("MetaData.LastUpdatedTime", True),
        OrderBy("Id", False),
        OrderBy("DocNumber", False),
    )


def test_order_by_without_direction_is_ascending() -> None:
    assert parse("SELECT * FROM Invoice ORDERBY Id").order_by == (OrderBy("Id", False),)


def test_order_by_glued_to_its_key_is_a_parse_error() -> None:
    assert _error("SELECT * FROM Customer ORDER BYName").code == "4000"


# ---------------------------------------------------------------------------------------------------------
# Property paths


@pytest.mark.parametrize(
    "path", ["MetaData.LastUpdatedTime", "Metadata.LastUpdatedTime", "metadata.CreateTime"]
)
def test_metadata_paths_parse_and_are_kept_as_written(path: str) -> None:
    assert _only_condition(f"SELECT * FROM Customer WHERE {path} > '2020-01-01'").path == path


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("Metadata.LastUpdatedTime", "MetaData.LastUpdatedTime"),
        ("metadata.CreateTime", "MetaData.CreateTime"),
        ("METADATA.LastUpdatedTime", "MetaData.LastUpdatedTime"),
        ("MetaData.LastUpdatedTime", "MetaData.LastUpdatedTime"),
        ("CustomerRef", "CustomerRef"),
        ("displayname", "displayname"),
        ("MetaDataX.Foo", "MetaDataX.Foo"),
        ("Metadata", "Metadata"),
    ],
)
def test_normalize_path_canonicalises_only_the_metadata_prefix(path: str, expected: str) -> None:
    assert normalize_path(path) == expected


def test_dotted_entity_name_is_a_parse_error() -> None:
    error = _error("SELECT * FROM Foo.Bar")
    assert error.code == "4000"
    assert "Foo.Bar" in error.detail


# ---------------------------------------------------------------------------------------------------------
# Values


def test_escaped_apostrophe_in_value() -> None:
    assert _only_condition(r"SELECT * FROM Customer WHERE DisplayName = 'Amy\'s Bird Sanctuary'").value == (
        "Amy's Bird Sanctuary"
    )


def test_escaped_backslash_in_value() -> None:
    assert _only_condition(r"SELECT * FROM Customer WHERE Notes = 'a\\b'").value == "a\\b"


def test_escaped_backslash_before_the_closing_quote_ends_the_string() -> None:
    assert _only_condition(r"SELECT * FROM Customer WHERE Notes = 'ends with \\'").value == "ends with \\"


def test_other_backslash_sequences_are_kept_literally() -> None:
    assert _only_condition(r"SELECT * FROM Customer WHERE Notes = 'C:\temp\new'").value == r"C:\temp\new"


def test_backslash_before_the_closing_quote_escapes_it() -> None:
    # 'abc\' is an unterminated string: the quote is escaped.
    assert _error("SELECT * FROM Customer WHERE Notes = 'abc\\'").code == "4000"


def test_unicode_and_spaces_in_string_values_are_kept() -> None:
    assert (
        _only_condition("SELECT * FROM Customer WHERE Name = '  Café ☕ 北京\t'").value == "  Café ☕ 北京\t"
    )


def test_empty_string_value() -> None:
    assert _only_condition("SELECT * FROM Customer WHERE Name = ''").value == ""


@pytest.mark.parametrize(
    ("literal", "expected"),
    [("42", ("int", 42)), ("-7", ("int", -7)), ("+3", ("int", 3)), ("19.99", ("float", 19.99)),
     ("-0.5", ("float", -0.5)), (".5", ("float", 0.5)), ("true", ("bool", True)), ("FALSE", ("bool", False)),
     ("'42'", ("str", "42"))],
)  # fmt: skip
def test_bare_numbers_and_bools_are_typed(literal: str, expected: tuple[str, Any]) -> None:
    assert _typed(_only_condition(f"SELECT * FROM Invoice WHERE TotalAmt = {literal}").value) == expected


@pytest.mark.parametrize("op", ["=", "<", ">", "<=", ">=", "!="])
def test_comparison_operators(op: str) -> None:
    assert _only_condition(f"SELECT * FROM Invoice WHERE TotalAmt {op} 10").op == op


def test_operators_need_no_surrounding_spaces() -> None:
    assert _where("SELECT * FROM Invoice WHERE TotalAmt>=10 AND Balance!=0") == (
        Condition("TotalAmt", ">=", 10),
        Condition("Balance", "!=", 0),
    )


def test_several_conditions_joined_by_and_keep_their_order() -> None:
    where = _where(
        "SELECT * FROM Invoice WHERE CustomerRef = '5' AND TxnDate >= '2024-01-01' AND Balance > 0"
    )
    assert [c.path for c in where] == ["CustomerRef", "TxnDate", "Balance"]


def test_in_with_strings() -> None:
    condition = _only_condition("SELECT * FROM Customer WHERE Id IN ('1', '2' ,'3')")
    assert condition == Condition("Id", "IN", ("1", "2", "3"))


def test_in_with_bools() -> None:
    assert _typed(_only_condition("SELECT * FROM Vendor WHERE Active IN (true,false)").value) == (
        ("bool", True),
        ("bool", False),
    )


def test_in_with_numbers_and_mixed_values() -> None:
    assert _typed(_only_condition("SELECT * FROM Item WHERE Qty IN (1, -2.5, 'three', true)").value) == (
        ("int", 1),
        ("float", -2.5),
        ("str", "three"),
        ("bool", True),
    )


def test_in_with_a_single_value_is_still_a_tuple() -> None:
    assert _only_condition("SELECT * FROM Customer WHERE Id IN ('9')").value == ("9",)


def test_empty_in_list_is_a_parse_error() -> None:
    assert _error("SELECT * FROM Customer WHERE Id IN ()").code == "4000"


@pytest.mark.parametrize(
    "text", ["SELECT * FROM Customer WHERE Id IN (1,)", "SELECT * FROM Customer WHERE Id IN 1"]
)
def test_malformed_in_list_is_a_parse_error(text: str) -> None:
    assert _error(text).code == "4000"


def test_integer_beyond_64_bits_is_invalid() -> None:
    error = _error("SELECT * FROM Invoice WHERE TotalAmt = " + "9" * 5000)
    assert error.code == "4001"
    assert len(error.detail) < 200


def test_decimal_too_large_for_a_float_is_invalid() -> None:
    assert _error("SELECT * FROM Invoice WHERE TotalAmt = " + "9" * 400 + ".0").code == "4001"


# ---------------------------------------------------------------------------------------------------------
# LIKE


def test_like_condition_keeps_the_pattern() -> None:
    assert _only_condition("SELECT * FROM Customer WHERE DisplayName LIKE 'Amy%'") == Condition(
        "DisplayName", "LIKE", "Amy%"
    )


def test_like_pattern_unescapes_apostrophes() -> None:
    assert _only_condition(r"SELECT * FROM Customer WHERE DisplayName LIKE '%\'s%'").value == "%'s%"


@pytest.mark.parametrize("value", ["5", "true", "('a')"])
def test_like_takes_only_a_string(value: str) -> None:
    assert _error(f"SELECT * FROM Customer WHERE DisplayName LIKE {value}").code == "4000"


@pytest.mark.parametrize(
    ("pattern", "matches", "misses"),
    [
        ("Amy%", ["Amy", "Amy's Bird Sanctuary", "amy"], ["Bob Amy", " Amy"]),
        ("%Sanctuary", ["Amy's Bird Sanctuary", "sanctuary"], ["Sanctuary Inc"]),
        ("%Bird%", ["Bird", "Amy's Bird Sanctuary", "BIRD"], ["Bir d"]),
        ("A%y%s", ["Amys", "A y s", "Ayyyss"], ["Amy", "Bmys"]),
        ("%", ["", "anything\nat all"], []),
        ("%%", ["", "x"], []),
        ("", [""], ["x"]),
        ("exact", ["exact", "EXACT"], ["exactly", "inexact"]),
    ],
)
def test_like_to_regex_percent_is_the_only_wildcard(
    pattern: str, matches: list[str], misses: list[str]
) -> None:
    regex = like_to_regex(pattern)
    assert all(regex.fullmatch(s) for s in matches)
    assert not any(regex.fullmatch(s) for s in misses)


@pytest.mark.parametrize(
    "meta", [".", "*", "+", "?", "(", ")", "[", "]", "{1}", "^", "$", "|", "\\", "\\d", "_"]
)
def test_like_to_regex_treats_regex_metacharacters_literally(meta: str) -> None:
    regex = like_to_regex(f"a{meta}b%")
    assert regex.fullmatch(f"a{meta}b and more")
    assert not regex.fullmatch("axb")
    assert not regex.fullmatch("ab")


def test_like_to_regex_is_anchored_whatever_the_match_method() -> None:
    regex = like_to_regex("Bird")
    assert not regex.search("Amy's Bird Sanctuary")
    assert not regex.match("Birds")


def test_like_to_regex_is_case_insensitive_across_scripts() -> None:
    assert like_to_regex("café%").fullmatch("CAFÉ CRÈME")


def test_like_to_regex_does_not_backtrack_catastrophically() -> None:
    regex = like_to_regex("%a" * 30 + "%b")
    assert regex.fullmatch("a" * 20_000) is None
    assert regex.fullmatch("a" * 20_000 + "b")


# ---------------------------------------------------------------------------------------------------------
# STARTPOSITION, MAXRESULTS


def test_startposition_and_maxresults_in_either_order() -> None:
    start_first = parse("SELECT * FROM Vendor STARTPOSITION 6 MAXRESULTS 5")
    max_first = parse("SELECT * FROM Vendor MAXRESULTS 5 STARTPOSITION 6")
    assert start_first == max_first
    assert (start_first.start_position, start_first.max_results) == (6, 5)


def test_startposition_alone_keeps_the_default_page_size() -> None:
    query = parse("SELECT * FROM Vendor STARTPOSITION 101")
    assert (query.start_position, query.max_results) == (101, 100)


def test_maxresults_alone_starts_at_one() -> None:
    query = parse("SELECT * FROM Vendor MAXRESULTS 1000")
    assert (query.start_position, query.max_results) == (1, 1000)


def test_paging_follows_where_and_order_by() -> None:
    query = parse("SELECT * FROM Vendor WHERE Active = true ORDERBY Id MAXRESULTS 2 STARTPOSITION 3")
    assert (query.start_position, query.max_results, len(query.where), len(query.order_by)) == (3, 2, 1, 1)


@pytest.mark.parametrize("value", [1001, 1500, 10**9])
def test_maxresults_over_1000_is_invalid(value: int) -> None:
    error = _error(f"SELECT * FROM Customer MAXRESULTS {value}")
    assert (error.code, error.message) == ("4001", "Invalid query")
    assert error.detail == f"QueryValidationError: value {value} is too large. Max allowed value is 1000"


def test_maxresults_with_thousands_of_digits_is_invalid_with_a_short_detail() -> None:
    error = _error("SELECT * FROM Customer MAXRESULTS " + "9" * 10_000)
    assert error.code == "4001"
    assert len(error.detail) < 200


@pytest.mark.parametrize("clause", ["MAXRESULTS 0", "MAXRESULTS -5", "STARTPOSITION 0", "STARTPOSITION -1"])
def test_maxresults_or_startposition_below_one_is_invalid(clause: str) -> None:
    assert _error(f"SELECT * FROM Customer {clause}").code == "4001"


@pytest.mark.parametrize(
    "clause",
    ["MAXRESULTS 5.5", "STARTPOSITION 1.0", "MAXRESULTS '5'", "MAXRESULTS", "STARTPOSITION 1 STARTPOSITION 2",
     "MAXRESULTS 1 MAXRESULTS 2", "MAXRESULTS 5 WHERE Active = true", "MAXRESULTS5"],
)  # fmt: skip
def test_malformed_paging_is_a_parse_error(clause: str) -> None:
    assert _error(f"SELECT * FROM Customer {clause}").code == "4000"


# ---------------------------------------------------------------------------------------------------------
# Id


@pytest.mark.parametrize("op", ["<", ">", "<=", ">=", "!="])
@pytest.mark.parametrize("path", ["Id", "ID", "id"])
def test_id_takes_only_equals_and_in(op: str, path: str) -> None:
    assert _error(f"SELECT * FROM Customer WHERE {path} {op} '5'").code == "4001"


def test_id_with_like_is_invalid() -> None:
    assert _error("SELECT * FROM Customer WHERE Id LIKE '5%'").code == "4001"


def test_id_with_equals_or_in_is_fine() -> None:
    assert _where("SELECT * FROM Customer WHERE Id = '5' AND Id IN ('5', '6')") == (
        Condition("Id", "=", "5"),
        Condition("Id", "IN", ("5", "6")),
    )


# ---------------------------------------------------------------------------------------------------------
# Parse errors


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "SELECT * FROM Customer;",
        "SELECT * FROM Customer WHERE Name = 'x';",
        "SELECT * Customer",
        "SELECT FROM Customer",
        "SELECT Id Name FROM Customer",
        "SELECT Id, FROM Customer",
        "SELECT COUNT(*), Id FROM Customer",
        "SELECT * FROM",
        "SELECT * FROM Customer WHERE",
        "SELECT * FROM Customer WHERE Name",
        "SELECT * FROM Customer WHERE Name =",
        "SELECT * FROM Customer WHERE Name = 'a' OR Name = 'b'",
        "SELECT * FROM Customer WHERE Name = 'a' AND",
        "SELECT * FROM Customer WHERE Name <> 'a'",
        "SELECT * FROM Customer WHERE Name == 'a'",
        'SELECT * FROM Customer WHERE Name = "a"',
        "SELECT * FROM Customer WHERE Name = a",
        "SELECT * FROM Customer GROUP BY Name",
        "SELECT * FROM Customer ORDERBY",
        "SELECT * FROM Customer ORDERBY Name,",
        "SELECT * FROM Customer ORDERBY Name DESC ASC",
        "SELECT * FROM Customer c JOIN Invoice i",
        "SELECT * FROMCustomer",
        "SELECT COUNT(Id) FROM Customer",
        "SELECT COUNT(*) FROM Customer WHERE Name = 'x' extra",
        "DELETE FROM Customer",
        "SELECT * FROM Customer WHERE MetaData..LastUpdatedTime > '2020'",
        "SELECT * FROM Customer WHERE 1 = 1",
    ],
)
def test_syntax_errors_are_4000(text: str) -> None:
    error = _error(text)
    assert (error.code, error.message) == ("4000", "Error parsing query")
    assert error.detail.startswith("QueryParserError: ")


def test_trailing_semicolon_is_a_parse_error() -> None:
    error = _error("SELECT * FROM Customer;")
    assert error.code == "4000"
    assert "line 1, column 23" in error.detail
    assert '";"' in error.detail


def test_parse_error_names_the_offending_token_line_and_column() -> None:
    error = _error("SELECT * FROM Customer WHERE Name = 'foo' 'bar'")
    assert error.detail == 'QueryParserError: Encountered " <STRING> "\'bar\' "" at line 1, column 43.'


def test_parse_error_names_an_unexpected_identifier_like_intuit() -> None:
    error = _error("SELECT * FROM Purchase WHERE TxnDate")
    assert error.detail == 'QueryParserError: Encountered "<EOF>" at line 1, column 37.'
    error = _error("SELECT * FROM Purchase ORDERBY Id TxnDate")
    assert error.detail == 'QueryParserError: Encountered " <IDENTIFIER> "TxnDate "" at line 1, column 35.'


def test_parse_error_names_an_unexpected_keyword() -> None:
    error = _error("SELECT * FROM Customer WHERE Name = 'a' WHERE Name = 'b'")
    assert error.detail == 'QueryParserError: Encountered " "WHERE" "WHERE "" at line 1, column 41.'


def test_parse_error_position_counts_lines() -> None:
    error = _error("SELECT *\nFROM Customer\nWHERE Name = = 'x'")
    assert "line 3, column 14" in error.detail


def test_unterminated_string_is_a_parse_error_at_its_opening_quote() -> None:
    error = _error("SELECT * FROM Customer WHERE Name = 'foo")
    assert error.code == "4000"
    assert "line 1, column 37" in error.detail
    assert "'foo" in error.detail


def test_empty_query_is_a_parse_error_at_eof() -> None:
    assert _error("").detail == 'QueryParserError: Encountered "<EOF>" at line 1, column 1.'


def test_non_text_input_is_a_query_error() -> None:
    assert _error(b"SELECT * FROM Customer").code == "4000"  # type: ignore[arg-type]


def test_query_error_carries_code_message_and_detail() -> None:
    error = _error("SELECT * FROM Customer MAXRESULTS 1500")
    assert isinstance(error, Exception)
    assert "4001" in str(error)
    assert "value 1500 is too large" in str(error)
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes; xdist pickles errors
    assert (copy.code, copy.message, copy.detail) == (error.code, error.message, error.detail)


def test_syntax_errors_win_over_validation_errors() -> None:
    # MAXRESULTS 1500 comes first, but the statement is not even well formed.
    assert _error("SELECT * FROM Customer MAXRESULTS 1500 WHERE").code == "4000"


# ---------------------------------------------------------------------------------------------------------
# Hostile input


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * FROM Customer WHERE Name = ''; DROP TABLE x; --'",
        "SELECT * FROM Customer WHERE Name = 'x' OR '1'='1'",
        "SELECT * FROM Customer WHERE Name = 'x' -- comment",
        "SELECT * FROM Customer WHERE Name = 'x' /* comment */",
        "SELECT * FROM Customer; DROP TABLE Customer",
        "SELECT * FROM Customer UNION SELECT * FROM sqlite_master",
        "SELECT * FROM Customer WHERE Name = 'x' AND 1=1",
        "SELECT * FROM Customer WHERE Id IN (SELECT Id FROM Invoice)",
        "SELECT * FROM Customer WHERE Name = 'a\x00b' \x00",
        "SELECT * FROM Customer\x00",
        "SELECT * FROM Customer WHERE Id IN ((((((((((1))))))))))",
        "SELECT * FROM Customer WHERE Id IN (" + "(" * 10_000 + "1" + ")" * 10_000 + ")",
        "SELECT * FROM Cüstomer",
        "SELECT * FROM Customer WHERE Näme = 'x'",
        "\uff33\uff25\uff2c\uff25\uff23\uff34 * FROM Customer",  # fullwidth letters
        "SELECT * FROM Customer WHERE Name = 'x'\u00a0",
        "SELECT * FROM Customer WHERE Name = '\ud800'; --",
    ],
)
def test_injection_attempts_are_parse_errors(text: str) -> None:
    error = _error(text)
    assert error.code == "4000"
    assert len(error.detail) < 250


def test_injection_inside_a_quoted_value_stays_a_value() -> None:
    condition = _only_condition(r"SELECT * FROM Customer WHERE Name = 'x\' OR 1=1; DROP TABLE y; --'")
    assert condition == Condition("Name", "=", "x' OR 1=1; DROP TABLE y; --")


def test_nul_bytes_inside_a_string_value_are_kept() -> None:
    assert _only_condition("SELECT * FROM Customer WHERE Name = 'a\x00b'").value == "a\x00b"


def test_one_megabyte_string_value_parses() -> None:
    value = "x'\\" * 350_000
    assert _only_condition(f"SELECT * FROM Customer WHERE Name = {_quote(value)}").value == value


@pytest.mark.parametrize(
    "text",
    [
        "'" + "a" * 1_000_000,
        "SELECT * FROM Customer WHERE Name = '" + "a" * 1_000_000,
        "SELECT * FROM Customer WHERE Name = '" + "\\" * 1_000_001,
        "SELECT * FROM " + "C" * 1_000_000 + " trailing",
        "SELECT * FROM Customer WHERE " + "x" * 1_000_000,
        "(" * 1_000_000,
        "\x00" * 1_000_000,
        "SELECT * FROM Customer WHERE Id IN (" + "'1'," * 100_000 + ")",
    ],
    ids=["quote", "unterminated", "backslashes", "long-entity", "long-path", "parens", "nuls", "long-in"],
)
def test_one_megabyte_garbage_is_a_parse_error_with_a_short_detail(text: str) -> None:
    error = _error(text)
    assert error.code == "4000"
    assert len(error.detail) < 250


def test_long_in_list_parses() -> None:
    values = tuple(str(i) for i in range(10_000))
    text = "SELECT * FROM Customer WHERE Id IN (" + ", ".join(_quote(v) for v in values) + ")"
    assert _only_condition(text).value == values


def test_identical_queries_share_one_parse() -> None:
    text = "SELECT * FROM Customer WHERE DisplayName = 'cached'"
    assert parse(text) is parse(text)


# ---------------------------------------------------------------------------------------------------------
# Properties


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_arbitrary_text_parses_or_raises_query_error(text: str) -> None:
    outcome = _outcome(text)
    if isinstance(outcome, QueryError):
        assert outcome.code in {"4000", "4001"}
        assert len(outcome.detail) < 250
    else:
        assert isinstance(outcome, Query)


_VOCABULARY = [
    "SELECT", "select", "*", "COUNT", "(", ")", "FROM", "Customer", "WHERE", "AND", "OR", "Id", "Name",
    "MetaData.LastUpdatedTime", "=", "<", ">", "<=", ">=", "!=", "<>", "IN", "LIKE", "'x'", "'a\\'b'", "'",
    "\\", "1", "-2.5", "1500", "0", "true", "FALSE", ",", ";", "ORDERBY", "ORDER", "BY", "ASC", "DESC",
    "STARTPOSITION", "MAXRESULTS", ".", "\x00", "--", "é",
]  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.sampled_from(_VOCABULARY), max_size=25),
    st.sampled_from([" ", "", "\n", "\t "]),
    st.booleans(),
)
def test_token_soup_parses_or_raises_query_error(words: list[str], separator: str, with_prefix: bool) -> None:
    # Words of the language in random order reach far more parser states than random characters do.
    text = ("SELECT * FROM Customer " if with_prefix else "") + separator.join(words)
    outcome = _outcome(text)
    assert isinstance(outcome, Query) or outcome.code in {"4000", "4001"}


_WS = st.sampled_from([" ", "  ", "\t", "\n", "\r\n", " \t\n "])
_OPT_WS = st.sampled_from(["", " ", "\n\t"])
_IDENT = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)
_PATH = st.lists(_IDENT, min_size=1, max_size=3).map(".".join).filter(lambda p: p.lower() != "id")


def _keyword(word: str) -> st.SearchStrategy[str]:
    flags = st.lists(st.booleans(), min_size=len(word), max_size=len(word))
    return flags.map(
        lambda upper: "".join(c.upper() if u else c.lower() for c, u in zip(word, upper, strict=True))
    )


@st.composite
def _scalar(draw: st.DrawFn, kind: str | None = None) -> tuple[str, Any]:
    """(literal as written, expected value)."""
    kind = kind or draw(st.sampled_from(["str", "int", "decimal", "bool"]))
    if kind == "str":
        value = draw(st.text())
        return _quote(value), value
    if kind == "int":
        number = draw(st.integers(-(2**63), 2**63 - 1))
        text = str(number) if number < 0 or not draw(st.booleans()) else f"+{number}"
        return text, number
    if kind == "decimal":
        text = draw(st.from_regex(r"[+-]?([0-9]{1,12}\.[0-9]{0,6}|\.[0-9]{1,6})", fullmatch=True))
        return text, float(text)
    flag = draw(st.booleans())
    return draw(_keyword(str(flag).lower())), flag


@st.composite
def _condition(draw: st.DrawFn) -> tuple[str, Condition]:
    path = draw(_PATH)
    kind = draw(st.sampled_from(["compare", "in", "like"]))
    if kind == "compare":
        op = draw(st.sampled_from(["=", "<", ">", "<=", ">=", "!="]))
        literal, value = draw(_scalar())
        return f"{path}{draw(_OPT_WS)}{op}{draw(_OPT_WS)}{literal}", Condition(path, op, value)
    if kind == "in":
        items = draw(st.lists(_scalar(), min_size=1, max_size=5))
        inner = ",".join(f"{draw(_OPT_WS)}{literal}{draw(_OPT_WS)}" for literal, _ in items)
        text = f"{path}{draw(_WS)}{draw(_keyword('in'))}{draw(_OPT_WS)}({inner})"
        return text, Condition(path, "IN", tuple(value for _, value in items))
    literal, value = draw(_scalar("str"))
    return f"{path}{draw(_WS)}{draw(_keyword('like'))}{draw(_WS)}{literal}", Condition(path, "LIKE", value)


@st.composite
def _query(draw: st.DrawFn) -> tuple[str, Query]:
    ws = _WS
    entity = draw(_IDENT)
    count = draw(st.booleans())
    if count:
        projection = f"{draw(_keyword('count'))}{draw(_OPT_WS)}({draw(_OPT_WS)}*{draw(_OPT_WS)})"
    else:
        projection = "*"
    text = (
        f"{draw(_OPT_WS)}{draw(_keyword('select'))}{draw(ws)}{projection}{draw(ws)}{draw(_keyword('from'))}"
    )
    text += f"{draw(ws)}{entity}"

    conditions = draw(st.lists(_condition(), max_size=4))
    if conditions:
        joiner = draw(ws) + draw(_keyword("and")) + draw(ws)
        text += f"{draw(ws)}{draw(_keyword('where'))}{draw(ws)}" + joiner.join(t for t, _ in conditions)

    keys = draw(st.lists(st.tuples(_PATH, st.sampled_from([None, "asc", "desc"])), max_size=3))
    if keys:
        spelling = draw(st.sampled_from(["orderby", "order by"]))
        orderby = draw(ws).join(draw(_keyword(word)) for word in spelling.split())
        rendered = [path + (f"{draw(ws)}{draw(_keyword(d))}" if d else "") for path, d in keys]
        text += f"{draw(ws)}{orderby}{draw(ws)}" + f"{draw(_OPT_WS)},{draw(_OPT_WS)}".join(rendered)

    start = draw(st.none() | st.integers(1, 2**31 - 1))
    max_results = draw(st.none() | st.integers(1, 1000))
    clauses = []
    if start is not None:
        clauses.append(f"{draw(_keyword('startposition'))}{draw(ws)}{start}")
    if max_results is not None:
        clauses.append(f"{draw(_keyword('maxresults'))}{draw(ws)}{max_results}")
    for clause in draw(st.permutations(clauses)):
        text += draw(ws) + clause
    text += draw(_OPT_WS)

    expected = Query(
        entity=entity,
        count=count,
        where=tuple(c for _, c in conditions),
        order_by=tuple(OrderBy(path, d == "desc") for path, d in keys),
        start_position=start or 1,
        max_results=max_results or 100,
    )
    return text, expected


@settings(max_examples=300, deadline=None)
@given(_query())
def test_generated_valid_queries_round_trip(case: tuple[str, Query]) -> None:
    text, expected = case
    parsed = parse(text)
    assert parsed == expected
    assert [(c.path, c.op, _typed(c.value)) for c in parsed.where] == [
        (c.path, c.op, _typed(c.value)) for c in expected.where
    ]


@given(st.text())
def test_quoted_strings_round_trip(value: str) -> None:
    assert _only_condition(f"SELECT * FROM Customer WHERE Name = {_quote(value)}").value == value


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=30), st.text(max_size=40))
def test_like_to_regex_agrees_with_a_reference_matcher(pattern: str, candidate: str) -> None:
    assert bool(like_to_regex(pattern).fullmatch(candidate)) == _reference_like(pattern, candidate)


@given(
    st.lists(st.sampled_from(["%", "a", "b", "A", "."]), max_size=10), st.text(alphabet="abAB.", max_size=12)
)
def test_like_to_regex_agrees_with_a_reference_matcher_on_small_alphabets(
    parts: list[str], candidate: str
) -> None:
    pattern = "".join(parts)
    assert bool(like_to_regex(pattern).fullmatch(candidate)) == _reference_like(pattern, candidate)


def _reference_like(pattern: str, candidate: str) -> bool:
    """Naive LIKE: the obvious backtracking regex, fine for short inputs."""
    regex = ".*".join(re.escape(p) for p in pattern.split("%"))
    return re.fullmatch(regex, candidate, re.IGNORECASE | re.DOTALL) is not None
