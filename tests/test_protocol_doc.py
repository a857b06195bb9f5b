"""docs/protocol.md stays true: every message type is described and every example validates."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app.realtime import protocol as p

DOC = (Path(__file__).resolve().parent.parent / "docs" / "protocol.md").read_text(encoding="utf-8")
EXAMPLES = [json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", DOC, re.DOTALL)]
SERVER_MODELS = {m.model_fields["type"].default: m for m in p.SERVER_MESSAGES}


def test_every_message_type_has_a_section_and_an_example() -> None:
    types = p.example_types()
    documented = set(re.findall(r"^### (\w+)$", DOC, re.MULTILINE))
    assert set(types["client"]) | set(types["server"]) == documented
    example_types = {example["type"] for example in EXAMPLES}
    assert documented == example_types


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e["type"])
def test_examples_validate_against_the_models(example: dict) -> None:
    if example["type"] in SERVER_MODELS:
        SERVER_MODELS[example["type"]].model_validate(example)
    else:
        p.CLIENT_MESSAGE.validate_python(example)


def test_documented_error_codes_exist_in_the_code() -> None:
    source = "\n".join(
        path.read_text(encoding="utf-8")
        for path in (Path(__file__).resolve().parent.parent / "app").rglob("*.py")
    )
    listed = re.search(r"Codes include (.*?)\. The connection", DOC, re.DOTALL)
    assert listed
    for code in re.findall(r"`(\w+)`", listed.group(1)):
        assert f'"{code}"' in source, code
