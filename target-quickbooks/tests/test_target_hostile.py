"""Hostile input for the target: odd records and malformed Singer messages.

A record ends written exactly once (found again by its natural key on a second run, however its
name is quoted or spelled) or in the dead letter with the object, the QuickBooks code and what to
do; a line that is not a Singer message stops the run with its line number and a clear message
(exit status 2 from the command line, no stack trace). Nothing is ever half-written.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qbo_client.client import QBOClient
from singer_sdk.exceptions import RecordsWithoutSchemaException
from singer_sdk.singerlib.exceptions import InvalidInputLine
from target_quickbooks.mapping import StreamMappingError
from target_quickbooks.online.lookups import quote
from tq_helpers import (
    company_digest,
    dead_letters,
    lines,
    record,
    rows,
    run_target,
    run_text,
    schema,
    state,
)

HOSTILE = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
EXAMPLES = itertools.count()

# Names a careless writer mangles: query quoting, escapes, wildcards, scripts, combining marks.
NASTY_NAMES = [
    'O\'Brien \\ "x"',
    "\\'",
    "trailing backslash \\",
    "''double''",
    "%_wild%",
    "Zoë 😀",
    "\u202eRTL override",
    "שלום עולם",
    "e\u0301\u0301 combining",
    "tab\there",
    "a:b",
    "; DROP TABLE entities; --",
]
VALID_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), min_size=1, max_size=40
)

#: A defect, and the QuickBooks code its record must be dead-lettered with ("" if it is written).
DEFECTS = {
    "none": "",
    "nul": "2010",
    "lone-surrogate": "2010",
    "too-long": "2050",
    "wrong-type": "2010",
    "unknown-property": "2010",
}


@st.composite
def hostile_customer(draw: st.DrawFn, prefix: str) -> tuple[str, dict[str, Any]]:
    """A Customer record (its DisplayName starts with ``prefix``) and its defect."""
    defect = draw(st.sampled_from(sorted(DEFECTS)))
    # Stripped on its own, so that a blank draw cannot eat the space that ends the prefix.
    name = prefix + (draw(st.one_of(st.sampled_from(NASTY_NAMES), VALID_TEXT)).strip() or "blank")
    body: dict[str, Any] = {"DisplayName": name}
    if draw(st.booleans()):
        body["Notes"] = draw(st.one_of(st.sampled_from(NASTY_NAMES), VALID_TEXT))
    if defect == "nul":
        body["DisplayName"] = name + "\x00"
    elif defect == "lone-surrogate":
        body[draw(st.sampled_from(["DisplayName", "Notes"]))] = name + "\ud800"
    elif defect == "too-long":
        body["DisplayName"] = name + "x" * draw(st.sampled_from([500, 100 * 1024]))
    elif defect == "wrong-type":
        field, value = draw(
            st.sampled_from(
                [
                    ("Active", "maybe"),
                    ("BillAddr", "1 Main St"),
                    ("PrimaryEmailAddr", ["a@example.com"]),
                    ("Notes", {"text": "x"}),
                    ("Taxable", 3),
                ]
            )
        )
        body[field] = value
    elif defect == "unknown-property":
        body[draw(st.sampled_from(["Nickname", "display_name", "", "DROP TABLE"]))] = "x"
    return defect, body


@settings(HOSTILE, max_examples=25)
@given(data=st.data())
def test_hostile_records_end_written_once_or_dead_lettered(
    config: dict[str, Any], company: QBOClient, tmp_path: Path, data: st.DataObject
) -> None:
    example = next(EXAMPLES)
    run_config = {
        **config,
        "dead_letter_path": str(tmp_path / f"dead-{example}.jsonl"),
        "spool_dir": str(tmp_path / f"spool-{example}"),
    }
    prefix = f"HX{example}-"
    drawn = [data.draw(hostile_customer(f"{prefix}{n} ")) for n in range(data.draw(st.integers(1, 12)))]
    messages = [schema("customers", "Customer"), *(record("customers", b) for _, b in drawn), state({"n": 1})]

    first = run_target(run_config, messages)
    dead_first = dead_letters(run_config)
    second = run_target(run_config, messages)  # a replay: finds every name again, writes nothing
    dead_both = dead_letters(run_config)

    stored = {r["DisplayName"]: r for r in rows(company, "Customer", f"DisplayName LIKE '{prefix}%'")}
    expected_dead = {_number(b): (d, b) for d, b in drawn if DEFECTS[d]}
    assert sorted(_number(d["record"]) for d in dead_first) == sorted(expected_dead)
    assert [_no_time(d) for d in dead_both[len(dead_first) :]] == [_no_time(d) for d in dead_first]
    for letter in dead_first:
        defect, body = expected_dead[_number(letter["record"])]
        assert letter["stream"] == "customers"
        assert letter["object"] == "Customer"
        assert letter["code"] == DEFECTS[defect], letter
        position = int(_number(body).split("-")[1]) + 1  # the record's place in the input
        assert letter["reason"].startswith(f"customers record #{position}")
        assert ": " in letter["reason"]  # what is wrong, then what to do
        assert letter["record"] == body
        assert not [n for n in stored if n.startswith(_number(body) + " ")]  # nothing half-written
    written = [b for d, b in drawn if not DEFECTS[d]]
    assert sorted(stored) == sorted(b["DisplayName"] for b in written)
    for body in written:
        found = rows(company, "Customer", f"DisplayName = {quote(body['DisplayName'])}")
        assert [r["DisplayName"] for r in found] == [body["DisplayName"]]
        assert found[0].get("Notes") == body.get("Notes")
    assert first.counts.get("create", 0) == len(written)
    assert second.counts.get("unchanged", 0) == len(written)
    assert second.counts.get("create", 0) == second.counts.get("update", 0) == 0
    assert first.states == second.states == [{"n": 1}]


def _number(body: dict[str, Any]) -> str:
    """The unique head of a drawn record's DisplayName (``HX3-7``)."""
    return str(body["DisplayName"]).split(" ", 1)[0]


def _no_time(letter: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in letter.items() if k not in ("time", "intuit_tid")}


# -- malformed Singer messages ----------------------------------------------------------------------

GOOD = [
    schema("customers", "Customer"),
    record("customers", {"DisplayName": "Hostile Stream Co"}),
    record("customers", {"DisplayName": "Hostile Stream Two"}),
]
BAD_LINES: dict[str, tuple[str, type[Exception]]] = {
    "invalid JSON": (
        '{"type": "RECORD", "stream": "customers", "record": {"DisplayName": "x"',
        InvalidInputLine,
    ),
    "a JSON list": ("[1, 2, 3]", InvalidInputLine),
    "a JSON string": ('"RECORD"', InvalidInputLine),
    "no type": ('{"stream": "customers", "record": {}}', InvalidInputLine),
    "an unknown type": ('{"type": "RECORDS", "stream": "customers"}', InvalidInputLine),
    "a record without record": ('{"type": "RECORD", "stream": "customers"}', InvalidInputLine),
    "a record that is a list": ('{"type": "RECORD", "stream": "customers", "record": [1]}', InvalidInputLine),
    "a record without stream": ('{"type": "RECORD", "record": {"DisplayName": "x"}}', InvalidInputLine),
    "a schema without schema": ('{"type": "SCHEMA", "stream": "customers"}', InvalidInputLine),
    "a schema that is a string": ('{"type": "SCHEMA", "stream": "x", "schema": "{}"}', InvalidInputLine),
    "a state without value": ('{"type": "STATE"}', InvalidInputLine),
    "a state that is a list": ('{"type": "STATE", "value": [1]}', InvalidInputLine),
    "a huge integer": (
        '{"type": "RECORD", "stream": "customers", "record": {"Balance": ' + "9" * 5000 + "}}",
        InvalidInputLine,
    ),
    "a record before its schema": (
        '{"type": "RECORD", "stream": "vendors", "record": {"DisplayName": "x"}}',
        RecordsWithoutSchemaException,
    ),
    "an unknown stream": (
        '{"type": "SCHEMA", "stream": "marketing_leads", "schema": {"properties": {}}, "key_properties": []}',
        StreamMappingError,
    ),
}


@settings(HOSTILE, max_examples=40)
@given(
    case=st.sampled_from(sorted(BAD_LINES)),
    before=st.integers(0, len(GOOD)),
    state_first=st.booleans(),
    blank_lines=st.integers(0, 2),
)
def test_a_line_that_is_not_a_singer_message_stops_the_run_with_its_number(
    config: dict[str, Any],
    company: QBOClient,
    tmp_path: Path,
    case: str,
    before: int,
    state_first: bool,
    blank_lines: int,
) -> None:
    example = next(EXAMPLES)
    run_config = {**config, "dead_letter_path": str(tmp_path / f"dead-{example}.jsonl")}
    digest = company_digest(company, ["Customer"])
    bad, error = BAD_LINES[case]
    head = ([state({"first": True})] if state_first else []) + GOOD[:before]
    text = "\n" * blank_lines + lines(head) + bad + "\n" + lines(GOOD)
    number = blank_lines + len(head) + 1

    with pytest.raises(error) as raised:
        run_text(run_config, text)

    assert f"line {number} of the input" in str(raised.value)
    assert "Traceback" not in str(raised.value)
    assert company_digest(company, ["Customer"]) == digest  # nothing after the last state written
    assert dead_letters(run_config) == []


@pytest.mark.parametrize(
    "case", ["invalid JSON", "a record that is a list", "a record before its schema", "an unknown stream"]
)
def test_the_command_stops_with_a_clear_message_and_exit_status_2(
    config: dict[str, Any], company: QBOClient, tmp_path: Path, case: str
) -> None:
    digest = company_digest(company, ["Customer"])
    (tmp_path / "config.json").write_text(json.dumps(config))
    bad, _ = BAD_LINES[case]
    command = [sys.executable, "-m", "target_quickbooks.target", "--config", str(tmp_path / "config.json")]
    done = subprocess.run(
        command, input=lines(GOOD) + bad + "\n", capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    stopped = [line for line in done.stderr.splitlines() if "target-quickbooks stopped: " in line]
    assert len(stopped) == 1
    assert f"line {len(GOOD) + 1} of the input" in stopped[0]
    assert done.stdout == ""  # no state: nothing was confirmed
    for secret in (config["client_secret"], config["refresh_token"]):
        assert secret not in done.stderr
    assert company_digest(company, ["Customer"]) == digest
