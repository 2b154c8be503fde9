"""The .qwc file: what the Web Connector reads from it, and each file it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest
from qbd_sandbox.qwc import REQUIRED, QwcError, parse_qwc, read_qwc

OWNER = "{57F3B9B1-86F1-4fcc-B1EE-566DE1813D20}"
FILE = "{90A44FB5-33D9-4815-AC85-BC87A7E7D1EB}"


def qwc(**overrides: str | None) -> bytes:
    """A .qwc document; an override of None leaves the element out, a string replaces its text."""
    values: dict[str, str | None] = {
        "AppName": "Singer bridge (acme)",
        "AppID": "",
        "AppURL": "https://bridge.example.com/qbwc",
        "AppDescription": "Reads and writes the acme company file",
        "AppSupport": "https://bridge.example.com/support",
        "UserName": "acme",
        "OwnerID": OWNER,
        "FileID": FILE,
        "QBType": "QBFS",
    }
    extra = overrides.pop("_extra", None) or ""
    values.update(overrides)
    body = "".join(f"<{k}>{v}</{k}>" for k, v in values.items() if v is not None)
    return f'<?xml version="1.0"?>\n<QBWCXML>{body}{extra}</QBWCXML>'.encode()


def refusal(data: bytes) -> str:
    with pytest.raises(QwcError) as caught:
        parse_qwc(data, "acme.qwc")
    message = str(caught.value)
    assert message.startswith("QBWC1039: There was a problem adding the application acme.qwc: ")
    assert "\n" not in message
    return message


def test_every_field_of_a_qwc_file_is_read() -> None:
    data = qwc(
        _extra="<Scheduler><RunEveryNMinutes>2</RunEveryNMinutes></Scheduler><IsReadOnly>true</IsReadOnly>"
    )
    app = parse_qwc(data)
    assert app.app_name == "Singer bridge (acme)"
    assert app.app_id == ""
    assert app.app_url == "https://bridge.example.com/qbwc"
    assert app.app_support == "https://bridge.example.com/support"
    assert app.app_description == "Reads and writes the acme company file"
    assert app.user_name == "acme"
    assert app.owner_id == OWNER
    assert app.file_id == FILE
    assert app.qb_type == "QBFS"
    assert app.run_every_seconds == 120.0
    assert app.is_read_only is True
    assert app.host == "bridge.example.com"


def test_run_every_n_seconds_and_no_scheduler() -> None:
    every = parse_qwc(qwc(_extra="<Scheduler><RunEveryNSeconds>30</RunEveryNSeconds></Scheduler>"))
    assert every.run_every_seconds == 30.0
    plain = parse_qwc(qwc())
    assert plain.run_every_seconds is None
    assert plain.is_read_only is False


def test_read_qwc_keeps_the_path(tmp_path: Path) -> None:
    path = tmp_path / "acme.qwc"
    path.write_bytes(qwc())
    assert read_qwc(path).path == path


@pytest.mark.parametrize("element", REQUIRED)
def test_a_missing_required_element_is_refused(element: str) -> None:
    message = refusal(qwc(**{element: None}))
    assert f"the required element {element} is missing" in message


@pytest.mark.parametrize("element", [e for e in REQUIRED if e != "AppID"])
def test_an_empty_required_element_is_refused(element: str) -> None:
    assert f"the required element {element} is empty" in refusal(qwc(**{element: ""}))


def test_http_is_refused_for_any_host_but_localhost() -> None:
    message = refusal(
        qwc(AppURL="http://bridge.example.com/qbwc", AppSupport="http://bridge.example.com/support")
    )
    assert "AppURL http://bridge.example.com/qbwc does not use https" in message
    assert "http only for localhost" in message


def test_http_is_allowed_for_localhost() -> None:
    app = parse_qwc(qwc(AppURL="http://localhost:8123/qbwc", AppSupport="http://localhost:8123/support"))
    assert app.host == "localhost"
    assert app.app_url == "http://localhost:8123/qbwc"


@pytest.mark.parametrize(
    ("url", "support"),
    [
        ("http://127.0.0.1:8123/qbwc", "http://localhost:8123/support"),
        ("https://127.0.0.1/qbwc", "https://127.0.0.1/support"),
        ("https://10.1.2.3/qbwc", "https://10.1.2.3/support"),
        ("https://[::1]:8443/qbwc", "https://[::1]:8443/support"),
    ],
)
def test_a_bare_ip_address_in_app_url_is_refused(url: str, support: str) -> None:
    message = refusal(qwc(AppURL=url, AppSupport=support))
    assert f"AppURL {url} names the host by its IP address" in message


def test_a_bare_ip_address_in_app_support_is_refused() -> None:
    message = refusal(qwc(AppURL="http://localhost:8123/qbwc", AppSupport="http://127.0.0.1:8123/support"))
    assert "AppSupport http://127.0.0.1:8123/support names the host by its IP address" in message


def test_app_support_on_another_host_is_refused() -> None:
    message = refusal(qwc(AppSupport="https://help.example.org/support"))
    assert "AppSupport https://help.example.org/support is not on the host of AppURL" in message


def test_a_url_without_scheme_or_host_is_refused() -> None:
    assert "AppURL 'bridge.example.com/qbwc' is not an http(s) URL" in refusal(
        qwc(AppURL="bridge.example.com/qbwc")
    )
    assert "is not an http(s) URL" in refusal(qwc(AppURL="ftp://bridge.example.com/qbwc"))


@pytest.mark.parametrize("element", ["OwnerID", "FileID"])
def test_owner_and_file_ids_must_be_guids(element: str) -> None:
    assert f"{element} 'acme-1' is not a GUID" in refusal(qwc(**{element: "acme-1"}))


def test_guids_without_braces_are_read() -> None:
    assert parse_qwc(qwc(OwnerID=OWNER.strip("{}"))).owner_id == OWNER.strip("{}")


def test_an_unknown_qb_type_is_refused() -> None:
    assert "QBType 'QBOE' is not one of QBFS, QBPOS" in refusal(qwc(QBType="QBOE"))


def test_scheduler_values_are_checked() -> None:
    both = (
        "<Scheduler><RunEveryNMinutes>1</RunEveryNMinutes><RunEveryNSeconds>5</RunEveryNSeconds></Scheduler>"
    )
    assert "both RunEveryNMinutes and RunEveryNSeconds" in refusal(qwc(_extra=both))
    zero = "<Scheduler><RunEveryNMinutes>0</RunEveryNMinutes></Scheduler>"
    assert "RunEveryNMinutes must be a whole number above 0" in refusal(qwc(_extra=zero))
    other = "<Scheduler><RunEveryNHours>1</RunEveryNHours></Scheduler>"
    assert "Scheduler has no element RunEveryNHours" in refusal(qwc(_extra=other))


def test_unknown_and_repeated_elements_are_refused() -> None:
    assert "unknown element Password" in refusal(qwc(_extra="<Password>x</Password>"))
    assert "element AppName appears more than once" in refusal(qwc(_extra="<AppName>again</AppName>"))


def test_a_file_that_is_not_a_qwc_is_refused() -> None:
    assert "its root element is QBXML, not QBWCXML" in refusal(b"<QBXML/>")
    assert "it is not a readable XML file" in refusal(b"<QBWCXML><AppName>")


def test_an_entity_in_a_qwc_file_is_never_expanded() -> None:
    data = (
        b'<?xml version="1.0"?><!DOCTYPE QBWCXML [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
        b"<QBWCXML><AppName>&secret;</AppName></QBWCXML>"
    )
    assert "not a readable XML file" in refusal(data)


def test_a_missing_file_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(QwcError, match=r"^cannot read the .qwc file .*nope\.qwc: No such file or directory$"):
        read_qwc(tmp_path / "nope.qwc")
