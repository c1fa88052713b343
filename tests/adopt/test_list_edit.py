"""list_edit inserts strings into a TOML array or an INI multi-line option and changes no other
byte; where it cannot prove the result means the old settings plus the new strings, None."""

from __future__ import annotations

import pytest

from lane_tasks.adopt.list_edit import append_ini_lines, append_toml_array

TABLE = ("tool", "check-manifest")
NEW = ["lanes.toml", "release-evidence/**"]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (
            '[tool.check-manifest]\nignore = ["a"]  # why\n\n[tool.x]\ny = 1\n',
            '[tool.check-manifest]\nignore = ["a", "lanes.toml", "release-evidence/**"]  # why'
            "\n\n[tool.x]\ny = 1\n",
        ),
        (
            '[tool.check-manifest]\nignore = [\n    "a"  # last\n]\n',
            '[tool.check-manifest]\nignore = [\n    "a",  # last\n    "lanes.toml",\n'
            '    "release-evidence/**"\n]\n',
        ),
        (
            "[tool.'check-manifest']\r\nignore = [\r\n  'a]',\r\n]\r\n",
            "[tool.'check-manifest']\r\nignore = [\r\n  'a]',\r\n  \"lanes.toml\",\r\n"
            '  "release-evidence/**",\r\n]\r\n',
        ),
        (
            "[tool.check-manifest]\nignore = []\n",
            '[tool.check-manifest]\nignore = ["lanes.toml", "release-evidence/**"]\n',
        ),
        (
            '[tool.check-manifest]\nignore-bad-ideas = ["*.mo"]\n',
            '[tool.check-manifest]\nignore = ["lanes.toml", "release-evidence/**"]\n'
            'ignore-bad-ideas = ["*.mo"]\n',
        ),
        (
            '[project]\nname = "x"',
            '[project]\nname = "x"\n\n[tool.check-manifest]\n'
            'ignore = ["lanes.toml", "release-evidence/**"]\n',
        ),
    ],
    ids=["one-line", "one-a-line", "crlf-quoted", "empty", "no-key", "no-table"],
)
def test_toml_arrays_get_the_strings_in_place(before: str, after: str) -> None:
    assert append_toml_array(before, TABLE, "ignore", NEW) == after


@pytest.mark.parametrize(
    "text",
    [
        '[tool]\ncheck-manifest = { ignore = ["a"] }\n',  # an inline table: not followed
        '[tool.check-manifest]\nignore = "a"\n',  # not an array
        "[tool.check-manifest\n",  # not TOML
    ],
)
def test_toml_it_cannot_prove_is_none(text: str) -> None:
    assert append_toml_array(text, TABLE, "ignore", NEW) is None


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (
            "[check-manifest]\nignore =\n\t.a\n\n# next\n[flake8]\nx = 1\n",
            "[check-manifest]\nignore =\n\t.a\n\tlanes.toml\n\trelease-evidence/**\n\n# next\n"
            "[flake8]\nx = 1\n",
        ),
        (
            "[check-manifest]\nIGNORE = .a\n",
            "[check-manifest]\nIGNORE = .a\n    lanes.toml\n    release-evidence/**\n",
        ),
        (
            "[check-manifest]\nignore-bad-ideas = *.mo\n",
            "[check-manifest]\nignore =\n    lanes.toml\n    release-evidence/**\n"
            "ignore-bad-ideas = *.mo\n",
        ),
        (
            "[metadata]\nname = x\n",
            "[metadata]\nname = x\n\n[check-manifest]\nignore =\n    lanes.toml\n"
            "    release-evidence/**\n",
        ),
    ],
    ids=["tab-indented", "same-line-value", "no-option", "no-section"],
)
def test_ini_options_get_the_lines_in_place(before: str, after: str) -> None:
    assert append_ini_lines(before, "check-manifest", "ignore", NEW) == after


def test_ini_that_does_not_parse_is_none() -> None:
    text = "[check-manifest\nignore = a\n"
    assert append_ini_lines(text, "check-manifest", "ignore", NEW) is None
