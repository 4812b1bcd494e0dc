"""Team defaults: nearest postmortem.toml or [tool.postmortem], flags win, typos are errors."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from pipeline.config import _KEYS, Config, load_config
from pipeline.errors import PostmortemError


def test_no_config_gives_the_built_in_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert (config.template, config.tz, config.redact, config.redact_ips) == (
        "default",
        None,  # no zone stated: each file's zone is inferred
        True,
        False,
    )
    assert dict(config.services) == {}


def test_postmortem_toml_is_read(tmp_path: Path) -> None:
    (tmp_path / "postmortem.toml").write_text(
        'template = "brief"\ntz = "Europe/Berlin"\nredact-ips = true\n'
        '[services]\ngunicorn = "checkout-api"\n'
    )
    config = load_config(tmp_path)
    assert config == Config(
        template="brief",
        tz="Europe/Berlin",
        redact=True,
        redact_ips=True,
        services={"gunicorn": "checkout-api"},
        source=tmp_path / "postmortem.toml",
    )


def test_pyproject_tool_table_is_read_from_a_parent_directory(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.postmortem]\ntz = "+02:00"\n'
    )
    nested = tmp_path / "incidents" / "2024-03-14"
    nested.mkdir(parents=True)
    config = load_config(nested)
    assert config.tz == "+02:00"
    assert config.source == tmp_path / "pyproject.toml"


def test_pyproject_without_the_table_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "postmortem.toml").write_text('template = "brief"\n')
    child = tmp_path / "service"
    child.mkdir()
    (child / "pyproject.toml").write_text('[project]\nname = "service"\n')
    assert load_config(child).template == "brief"


def test_postmortem_toml_wins_over_pyproject_in_the_same_directory(tmp_path: Path) -> None:
    (tmp_path / "postmortem.toml").write_text('tz = "UTC"\n')
    (tmp_path / "pyproject.toml").write_text('[tool.postmortem]\ntz = "Asia/Tokyo"\n')
    assert load_config(tmp_path).tz == "UTC"


def test_nearest_config_wins(tmp_path: Path) -> None:
    (tmp_path / "postmortem.toml").write_text('tz = "Asia/Tokyo"\n')
    child = tmp_path / "team"
    child.mkdir()
    (child / "postmortem.toml").write_text("redact_ips = true\n")
    config = load_config(child)
    assert (config.tz, config.redact_ips) == (None, True)


def test_flags_override_the_file_and_none_means_not_given(tmp_path: Path) -> None:
    (tmp_path / "postmortem.toml").write_text('template = "brief"\ntz = "Asia/Tokyo"\n')
    config = load_config(tmp_path).override(tz="UTC", template=None, redact=False)
    assert (config.template, config.tz, config.redact) == ("brief", "UTC", False)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('tempalte = "brief"\n', "unknown key 'tempalte'"),
        ('redact = "no"\n', "redact must be a bool"),
        ("tz = 2\n", "tz must be a str"),
        ("[services]\nnginx = 1\n", "services must map"),
        ("template = \n", "not valid TOML"),
    ],
)
def test_bad_config_is_an_error_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "postmortem.toml").write_text(text)
    with pytest.raises(PostmortemError, match=message) as error:
        load_config(tmp_path)
    assert str(tmp_path / "postmortem.toml") in str(error.value)


def test_every_config_field_is_a_known_key() -> None:
    assert {f.name for f in fields(Config)} == _KEYS | {"source"}


def test_config_is_frozen() -> None:
    with pytest.raises(AttributeError):
        Config().tz = "x"  # type: ignore[misc]
