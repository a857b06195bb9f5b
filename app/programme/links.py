"""The links a programme is made of: which workshops they open, and how many no longer work.

A programme reads only workshops whose links it was given, each link checked as the summary
checks it (app.summary.shares, app.workshops.service): a revoked share link, a deleted or
expired workshop, a mistyped or made-up token all open nothing, and cannot be told apart
(the view says only how many links no longer work).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from app.models import Workshop
from app.summary.shares import workshop_for_share
from app.workshops.retention import is_expired
from app.workshops.service import workshop_for_token

MAX_LINKS = 30  # a programme of many municipalities; a pasted log file is refused
MAX_TEXT = 20_000  # characters in the pasted text
# "/s/<token>" (a share link) or "/f/<token>" (a facilitator link), anywhere in a line: a
# whole address, its path, or the "s/<token>" form the programme link's fragment uses.
_LINK = re.compile(r"(?:^|[/\s,=])([fs])/([A-Za-z0-9_-]{20,100})(?![A-Za-z0-9_-])")


@dataclass(frozen=True)
class Link:
    kind: str  # "s": a share link, "f": a facilitator link
    token: str

    @property
    def base(self) -> str:
        """Where this link's summary pages start: "/s/<token>" or "/f/<token>"."""
        return f"/{self.kind}/{self.token}"


@dataclass(frozen=True)
class Pasted:
    links: tuple[Link, ...]  # in the order given, each once
    not_links: int  # lines with text but no workshop link in them


def parse_links(text: str) -> Pasted:
    """The workshop links in what someone pasted, one or more per line, in order."""
    links: list[Link] = []
    not_links = 0
    for line in text.splitlines():
        found = [Link(kind, token) for kind, token in _LINK.findall(line)]
        if not found and line.strip():
            not_links += 1
        links.extend(link for link in found if link not in links)
    return Pasted(tuple(links), not_links)


@dataclass(frozen=True)
class Opened:
    workshops: tuple[tuple[Link, Workshop], ...]  # each workshop once, by its first link
    broken: int  # links that open nothing (any more)

    @property
    def facilitator(self) -> bool:
        """Is a working facilitator link among them (the programme link then holds it)?"""
        return any(link.kind == "f" for link, _ in self.workshops)


def open_links(session: Session, links: Sequence[Link]) -> Opened:
    opened: list[tuple[Link, Workshop]] = []
    broken = 0
    for link in links:
        if link.kind == "f":
            workshop = workshop_for_token(session, link.token)
        else:
            workshop = workshop_for_share(session, link.token)
        if workshop is None or is_expired(workshop):
            broken += 1
        elif all(workshop.id != seen.id for _, seen in opened):
            opened.append((link, workshop))
    return Opened(tuple(opened), broken)


def fragment(links: Sequence[Link]) -> str:
    """The programme link's fragment: the browser keeps it, never sends it (no server log)."""
    return "links=" + ",".join(f"{link.kind}/{link.token}" for link in links)
