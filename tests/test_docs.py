"""The generated parts of the docs (settings tables, the object table, Hub definitions) are up to date."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import generate_docs
import yaml
from qbd_client import catalog as qbd_catalog
from qbo_client import catalog, settings


def test_committed_docs_are_what_the_generator_produces() -> None:
    assert generate_docs.stale() == []


def test_check_reports_a_changed_table_and_a_missing_hub_file(tmp_path: Path) -> None:
    for output in generate_docs.OUTPUTS:
        target = tmp_path / output.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(generate_docs.ROOT / output.path, target)
    readme = tmp_path / "README.md"
    readme.write_text(readme.read_text().replace("| Invoice | transaction |", "| Invoice | name list |"))
    (tmp_path / "hub/loaders/target-quickbooks--qbo-connectors.yml").unlink()
    assert generate_docs.stale(tmp_path) == ["README.md", "hub/loaders/target-quickbooks--qbo-connectors.yml"]
    assert generate_docs.write(tmp_path) == [
        "README.md",
        "hub/loaders/target-quickbooks--qbo-connectors.yml",
    ]
    assert generate_docs.stale(tmp_path) == []


def _table_rows(block: str) -> list[str]:
    text = (generate_docs.ROOT / "README.md").read_text()
    start = text.index(f"<!-- BEGIN GENERATED: {block} ")
    end = text.index(f"<!-- END GENERATED: {block} -->")
    lines = text[start:end].splitlines()
    return [line.split("|")[1].strip() for line in lines if line.startswith("| ")][1:]


def test_object_table_has_a_row_per_catalog_object() -> None:
    rows = _table_rows("objects")
    assert [name for name in rows if catalog.find(name)] == list(catalog.names())


def test_desktop_object_table_has_a_row_per_desktop_catalog_object() -> None:
    rows = _table_rows("desktop-objects")
    assert rows == [spec.name for spec in qbd_catalog.OBJECTS if not spec.is_report]


def test_hub_definitions_declare_the_plugins_settings() -> None:
    for plugin, meta in generate_docs.PLUGINS.items():
        about = json.loads(generate_docs.about(plugin, "json"))
        path = generate_docs.ROOT / "hub" / meta["kind"] / f"{plugin}--{generate_docs.VARIANT}.yml"
        hub = yaml.safe_load(path.read_text())
        assert hub["name"] == plugin
        assert hub["executable"] == plugin
        assert hub["capabilities"] == sorted(about["capabilities"])
        properties = about["settings"]["properties"]
        assert [s["name"] for s in hub["settings"]] == list(properties)
        assert {s["name"] for s in hub["settings"] if s.get("sensitive")} == {
            name for name, prop in properties.items() if prop.get("secret")
        }
        assert {"client_secret", "refresh_token"} <= {
            s["name"] for s in hub["settings"] if s.get("sensitive")
        }
        assert hub["settings_group_validation"] == [
            ["client_id", "client_secret", "realm_id"],
            ["bridge_token", "bridge_url", "company"],
        ]
        assert all(s["kind"] in generate_docs.HUB_KINDS for s in hub["settings"])


def test_the_tap_and_the_target_declare_the_client_settings_alike() -> None:
    """The client settings come from one list (qbo_client.settings): first in both, the same in both."""
    tap, target = (
        json.loads(generate_docs.about(plugin, "json"))["settings"]["properties"]
        for plugin in generate_docs.PLUGINS
    )
    names = list(settings.NAMES)
    assert list(tap)[: len(names)] == names
    assert list(target)[: len(names)] == names
    assert {n: tap[n] for n in names} == {n: target[n] for n in names}
    assert tap["client_id"]["secret"] is True
    assert target["environment"]["enum"] == ["production", "sandbox"]
