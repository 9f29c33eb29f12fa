"""``referat schema``: valid JSON Schemas, generated from the fields the validator reads."""

from __future__ import annotations

import datetime as dt
import json
import typing
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import yaml

from referat import fields, schema
from referat.config import Config, find_config, load_config
from referat.diagnostics import Collector
from referat.fields import Field
from referat.load import split_front_matter

from .conftest import EXAMPLES, invoke

KINDS = ["meeting", "item", "config"]
FIELDS = {
    "meeting": fields.MEETING_FIELDS,
    "item": fields.ITEM_FIELDS,
    "config": fields.CONFIG_FIELDS,
}


def _printed(*args: str) -> Any:
    result = invoke("schema", *args)
    assert result.exit_code == 0, result.output
    assert result.output.endswith("}\n")
    return json.loads(result.output)


def _validator(data: dict[str, Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        data, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def _json_ready(value: object) -> object:
    """YAML as an editor's language server sees it: dates are the text they were written as."""
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _errors(kind: str, data: object, config: Config | None = None) -> list[str]:
    validator = _validator(schema.schema(kind, config))  # type: ignore[arg-type]
    return [e.message for e in validator.iter_errors(_json_ready(data))]


def test_without_an_argument_prints_all_three_in_one_object() -> None:
    printed = _printed()
    assert list(printed) == KINDS
    for kind in KINDS:
        assert printed[kind] == _printed(kind)


@pytest.mark.parametrize("kind", KINDS)
def test_each_schema_is_valid_against_the_2020_12_meta_schema(kind: str) -> None:
    printed = _printed(kind)
    jsonschema.Draft202012Validator.check_schema(printed)
    assert printed["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert printed["$id"].endswith(f"/{kind}.json")
    assert printed["title"]


def test_output_is_deterministic() -> None:
    first, second = invoke("schema"), invoke("schema")
    assert first.output == second.output
    assert first.output.endswith("\n") and not first.output.endswith("\n\n")


def test_an_unknown_kind_is_a_usage_error() -> None:
    result = invoke("schema", "agenda")
    assert result.exit_code == 2


@pytest.mark.parametrize("kind", KINDS)
def test_properties_are_the_fields_of_the_validator(kind: str) -> None:
    printed = _printed(kind)
    specs = FIELDS[kind]
    assert list(printed["properties"]) == [f.key for f in specs]
    assert printed.get("required", []) == [f.key for f in specs if f.required]
    assert printed["additionalProperties"] is False
    for spec in specs:
        assert printed["properties"][spec.key]["description"] == spec.description


def test_every_field_kind_has_a_schema() -> None:
    for kind in typing.get_args(fields.Kind):
        spec = Field("x", kind, "d", choices=("a",), items=(Field("y", "string", "e"),))
        assert schema.field_schema(spec)["description"] == "d"


def test_a_field_added_to_the_definitions_appears_in_the_schema(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    added = Field("minute_taker", "string", "who wrote the minutes", required=True)
    monkeypatch.setattr(fields, "MEETING_FIELDS", (*fields.MEETING_FIELDS, added))
    generated = schema.schema("meeting")
    assert generated["properties"]["minute_taker"]["description"] == "who wrote the minutes"
    assert "minute_taker" in generated["required"]
    assert not _errors("meeting", {"body": "B", "date": "2021-03-01", "minute_taker": "Anne"})


def _example_files(name: str) -> list[Path]:
    return sorted(EXAMPLES.rglob(name))


def _front_matter(path: Path) -> object:
    split = split_front_matter(path.read_text(encoding="utf-8"), path, Collector())
    assert split.yaml_text is not None
    return yaml.safe_load(split.yaml_text)


def _config_near(path: Path) -> Config:
    found = find_config(path)
    return load_config(found, Collector()) if found else Config()


@pytest.mark.parametrize("path", _example_files("meeting.yaml"), ids=str)
def test_the_examples_meeting_yaml_is_valid(path: Path) -> None:
    assert _errors("meeting", yaml.safe_load(path.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize("path", _example_files("[0-9]*-*.md"), ids=str)
def test_the_examples_item_front_matter_is_valid(path: Path) -> None:
    config = _config_near(path)
    assert _errors("item", _front_matter(path), config) == []
    if config.case_required:
        assert _errors("item", _front_matter(path)) == []


@pytest.mark.parametrize("path", _example_files("referat.yaml"), ids=str)
def test_the_examples_referat_yaml_is_valid(path: Path) -> None:
    assert _errors("config", yaml.safe_load(path.read_text(encoding="utf-8"))) == []


MEETING = {"body": "Direktionen", "date": dt.date(2021, 3, 1), "time": "09:30"}


@pytest.mark.parametrize(
    "change",
    [
        {"bdoy": "Direktionen"},  # unknown key
        {"phase": "referat"},  # not a choice
        {"participants": "Lars Holte"},  # a text where a list belongs
        {"time": "9.30"},
        {"time": "24:00"},
        {"date": "1-3-2021"},
        {"date": "2021-02-30"},  # format: date
        {"language": "dk"},
        {"body": ""},
    ],
    ids=str,
)
def test_broken_meetings_are_invalid(change: dict[str, object]) -> None:
    assert _errors("meeting", MEETING) == []
    assert _errors("meeting", {**MEETING, **change}) != []


def test_a_meeting_without_a_date_is_invalid() -> None:
    assert _errors("meeting", {"body": "Direktionen"}) != []


ITEM = {
    "title": "Tilbudsviften",
    "case": "20/6598",
    "attachments": ["Notat", {"title": "Bilag", "file": "bilag/a.pdf", "public": False}],
}


@pytest.mark.parametrize(
    "change",
    [
        {"closed": "yes"},  # a text where true/false belongs
        {"titel": "Tilbudsviften"},
        {"attachments": [{"file": "bilag/a.pdf"}]},  # an attachment needs a title
        {"attachments": [{"title": "A", "path": "a.pdf"}]},
        {"attachments": "Notat"},
        {"title": None},
    ],
    ids=str,
)
def test_broken_items_are_invalid(change: dict[str, object]) -> None:
    assert _errors("item", ITEM) == []
    assert _errors("item", {**ITEM, **change}) != []


def test_text_fields_accept_what_the_validator_reads_as_text() -> None:
    # "title: 2021" is the title "2021" to referat, so the editor must not flag it.
    assert _errors("item", {**ITEM, "title": 2021}) == []


@pytest.mark.parametrize(
    "change",
    [
        {"numbering": "yearly"},
        {"sections": [{"key": "background"}]},  # a section needs a heading
        {"sections": [{"key": "decision", "heading": "Beslutning", "phase": "agenda"}]},
        {"case_required": "no"},
        {"sprog": "da"},
    ],
    ids=str,
)
def test_broken_configurations_are_invalid(change: dict[str, object]) -> None:
    good = {"language": "da", "case_pattern": r"^\d{2}/\d{1,6}$"}
    assert _errors("config", good) == []
    assert _errors("config", {**good, **change}) != []


def test_a_configuration_fits_the_item_schema_to_its_case_numbers() -> None:
    config_file = EXAMPLES / "en" / "referat.yaml"
    printed = _printed("item", "--config", str(config_file))
    assert "case" not in printed.get("required", [])
    config = load_config(config_file, Collector())
    assert _errors("item", {"title": "Any other business"}, config) == []
    assert _errors("item", {"title": "T", "case": "EMN-2025-009242"}, config) == []
    assert _errors("item", {"title": "T", "case": "20/6598"}, config) != []
    # Without a configuration the case number is required, in any form.
    assert _errors("item", {"title": "Any other business"}) != []


def test_a_broken_configuration_is_reported(tmp_path: Path) -> None:
    config_file = tmp_path / "referat.yaml"
    config_file.write_text("case_pattern: '('\n", encoding="utf-8")
    result = invoke("schema", "item", "--config", str(config_file))
    assert result.exit_code == 1
    assert "RF116" in result.output
