"""A refusal: the game core's way of saying no, with a code programs read and a message people do."""

from __future__ import annotations


class Refusal(Exception):
    """Raised when a rule says no. `message` is an English msgid, translated at the edge."""

    def __init__(
        self,
        code: str,
        message: str,
        params: dict[str, object] | None = None,
        status: int = 409,
        details: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.params = params or {}
        self.status = status
        self.details = details  # (field, problem) pairs, already in the reader's language
