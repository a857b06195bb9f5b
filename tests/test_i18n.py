"""Dutch is complete: every English message in code and templates has a Dutch translation."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from app.deck import default_cards_dir, load_library
from app.i18n import catalogue_path, gettext_for, pick_language

ROOT = Path(__file__).resolve().parent.parent


def test_every_message_is_translated_to_dutch(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    extract = "from babel.messages.frontend import main; main()"
    subprocess.run(
        [
            sys.executable,
            "-c",
            extract,
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "Refusal:2",
            "-k",
            "respond:4",
            "-k",
            "_error:4",
            "-k",
            "translate:2",
            "--no-location",
            "-o",
            str(pot),
            "app",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    with catalogue_path("nl").open("rb") as handle:
        translated = {
            (m.id if isinstance(m.id, str) else m.id[0])
            for m in read_po(handle)
            if m.id and (m.string if isinstance(m.string, str) else all(m.string))
        }
    assert len(wanted) > 50
    assert sorted(wanted - translated) == []


def test_language_choice() -> None:
    assert pick_language(None, "", "en-GB,en;q=0.9") == "en"
    assert pick_language("fr", None) == "nl"
    assert pick_language("en", "nl") == "en"
    assert gettext_for("nl").gettext("Choose your role") == "Kies je rol"
    assert gettext_for("en").gettext("Choose your role") == "Choose your role"


# The game's own words for its roles (GAME.md, the workshop's slides: "1 rapporteur (legt
# verslag)", "1 Observant (reflecteert)"), and the other words that drifted in before.
DUTCH_ROLES = ["Interviewer", "Respondent 1", "Respondent 2", "Rapporteur", "Observant"]
OTHER_ROLE_WORDS = re.compile(r"observator|verslaglegger|notulist|waarnemer", re.IGNORECASE)


def test_each_role_has_one_name_from_one_place() -> None:
    """A role's name is the format's (cards/llo.format.yaml, both languages), nowhere else."""
    game = load_library(default_cards_dir()).format("llo")
    assert [role.name("nl") for role in game.roles] == DUTCH_ROLES
    format_text = (default_cards_dir() / "llo.format.yaml").read_text(encoding="utf-8")
    with catalogue_path("nl").open("rb") as handle:
        strings = [
            text
            for message in read_po(handle)
            for text in ([message.string] if isinstance(message.string, str) else message.string)
        ]
    for text in [*strings, format_text]:
        assert not OTHER_ROLE_WORDS.search(text or ""), text
    # No page or module names a role but through the format.
    for path in [*(ROOT / "app").rglob("*.py"), *(ROOT / "app" / "templates").glob("*.html")]:
        text = path.read_text(encoding="utf-8")
        for role in game.roles:
            for language in ("nl", "en"):
                assert f'_("{role.name(language)}")' not in text, (path, role.id)
