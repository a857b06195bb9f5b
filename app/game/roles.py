"""Who sits at a table: the five roles of the game and the rules for taking one."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from app.game.refusal import Refusal


class Role(StrEnum):
    INTERVIEWER = "interviewer"
    RESPONDENT_1 = "respondent1"
    RESPONDENT_2 = "respondent2"
    REPORTER = "reporter"
    OBSERVER = "observer"


def N_(message: str) -> str:  # noqa: N802 (gettext's marker, which Babel extracts)
    """Mark a message for the catalogues; the game core imports nothing outside app.game."""
    return message


# The one name of each role (English msgid; Dutch in app/i18n: the game's own words,
# "Interviewer", "Respondent", "Rapporteur", "Observant"). Every page, export and text
# that names a role takes it from here, through the catalogue of its language.
ROLE_LABELS: dict[Role, str] = {
    Role.INTERVIEWER: N_("Interviewer"),
    Role.RESPONDENT_1: N_("Respondent 1"),
    Role.RESPONDENT_2: N_("Respondent 2"),
    Role.REPORTER: N_("Reporter"),
    Role.OBSERVER: N_("Observer"),
}


# Every role but the observer is held by one phone; extra people join as observers.
SINGLE_ROLES: tuple[Role, ...] = (
    Role.INTERVIEWER,
    Role.RESPONDENT_1,
    Role.RESPONDENT_2,
    Role.REPORTER,
)
# Five roles plus two extra observers: a table of seven is the most a board can hold.
MAX_SEATS = 7
MAX_NAME_LENGTH = 40


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise Refusal("unknown_role", "There is no such role.", status=422) from None


def check_can_take(role: Role, taken: Iterable[Role]) -> None:
    """Raise a Refusal when `role` cannot be taken at a table where `taken` are held."""
    held = list(taken)
    if len(held) >= MAX_SEATS:
        raise Refusal("table_full", "This table is full.", {"max": MAX_SEATS})
    if role in SINGLE_ROLES and role in held:
        raise Refusal("role_taken", "Someone else already has this role.")


def clean_display_name(value: str | None) -> str:
    """Names are optional; keep them short and single-line. Escaping happens when shown."""
    name = " ".join((value or "").split())
    if len(name) > MAX_NAME_LENGTH:
        raise Refusal(
            "name_too_long",
            "A name can be at most %(max)s characters.",
            {"max": MAX_NAME_LENGTH},
            status=422,
        )
    return name
