"""The workshop's figures: the research chart's shares per factor, connections, top factors.

Pure: a WorkshopRecord and a deck in, plain values out. Every figure on the page, in the
report and in the downloads comes from here, so they cannot disagree.

How it counts, as the research did (GAME.md, "N=24"):
- N is the number of interviews (boards) with at least one card, not the number of cards.
- A factor's share on a side is the share of those interviews in which it lay on that side.
  Each interview counts at most once per factor and side. The two copies of a factor can
  lie on both sides of one board: that interview then counts on both sides. Two blank
  "Anders" cards on one side count once, at the larger extent.
- Each side's total is rounded half up, as printed in the research (12.5% → 13%). Its two
  segments (limited, large) are rounded so that they add up to that total: each gets its
  share rounded down, and the points still missing go to the larger remainders (the
  largest remainder method; a tie goes to "limited"). So ++13 and +42 against a total of 54
  becomes ++12 and +42: what is printed adds up.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Literal

from app.deck import Category, ConversionType, Deck, Factor
from app.summary.records import InterviewRecord, WorkshopRecord

SIDES = ("stimulating", "hindering")
EXTENTS = ("limited", "large")
# "type": the research's own grouping by type of conversion factor (the deck's conversion_types).
SortOrder = Literal["category", "type", "stimulating", "hindering"]
SORT_ORDERS: tuple[SortOrder, ...] = ("category", "type", "stimulating", "hindering")
TOP = 5  # how many top factors the summary names per side
PAIRS = 10  # how many connections the summary lists


def percent(count: int, n: int) -> int:
    """count/n as a whole percentage, rounded half up (exact: integers only)."""
    if n <= 0:
        return 0
    return (200 * count + n) // (2 * n)


@dataclass(frozen=True)
class Share:
    count: int
    n: int

    @property
    def percent(self) -> int:
        return percent(self.count, self.n)

    @property
    def fraction(self) -> float:
        """Exact share for drawing bar lengths (the label shows the rounded percent)."""
        return self.count / self.n if self.n else 0.0


def split_percent(counts: Sequence[int], n: int) -> tuple[int, ...]:
    """Whole percentages of count/n that add up to percent(sum(counts), n): largest remainder.

    Every part gets its exact share rounded down; the points the total still needs go to the
    parts with the largest remainders, earlier parts first on a tie. A part of zero stays zero.
    """
    if n <= 0:
        return tuple(0 for _ in counts)
    floors = [100 * count // n for count in counts]
    missing = percent(sum(counts), n) - sum(floors)
    # Remainders compared exactly, in hundredths of a count: (100 * count) mod n.
    ranked = sorted(range(len(counts)), key=lambda i: (-(100 * counts[i] % n), i))
    for i in ranked[:missing]:
        floors[i] += 1
    return tuple(floors)


@dataclass(frozen=True)
class Filter:
    """Which interviews the figures are about: some tables (empty = all) and one round or both."""

    tables: frozenset[int] = frozenset()
    round: int | None = None

    def admits(self, interview: InterviewRecord) -> bool:
        if self.tables and interview.table not in self.tables:
            return False
        return self.round is None or interview.round == self.round

    @property
    def is_everything(self) -> bool:
        return not self.tables and self.round is None


@dataclass(frozen=True)
class Named:
    """A name a respondent gave the blank card, and the side of the board it lay on."""

    name: str
    side: str


@dataclass(frozen=True)
class FactorRow:
    code: str
    title: str
    category: str  # category code; "" for the blank card
    order: int  # place in the deck, for ties
    counts: dict[tuple[str, str], Share]  # (side, extent) -> interviews
    stimulating: Share
    hindering: Share
    reference: int | None  # the research's stimulating share (N=24), if the deck has it
    named: tuple[Named, ...] = ()  # for the blank card: the names respondents gave it, by side

    def share(self, side: str, extent: str) -> Share:
        return self.counts[(side, extent)]

    def segment(self, side: str, extent: str) -> int:
        """The segment's percentage as printed: the side's two segments add up to its total."""
        shares = [self.counts[(side, e)].count for e in EXTENTS]
        return split_percent(shares, self.stimulating.n)[EXTENTS.index(extent)]

    def named_on(self, side: str) -> tuple[str, ...]:
        return tuple(named.name for named in self.named if named.side == side)


@dataclass(frozen=True)
class Group:
    code: str  # category code, or "" for a flat, sorted list
    title: str
    rows: tuple[FactorRow, ...]


@dataclass(frozen=True)
class Pair:
    first: FactorRow
    second: FactorRow
    together: Share  # interviews in which both lay on the board (either side)


@dataclass(frozen=True)
class Chart:
    n: int  # interviews with at least one card, within the filter
    interviews: int  # all interviews within the filter, empty boards included
    filter: Filter
    sort: SortOrder
    groups: tuple[Group, ...]
    has_reference: bool
    pairs: tuple[Pair, ...] = field(default=())

    @property
    def rows(self) -> tuple[FactorRow, ...]:
        return tuple(row for group in self.groups for row in group.rows)

    def top(self, side: str, limit: int = TOP) -> tuple[FactorRow, ...]:
        """The factors most often on a side (ties in deck order), leaving out those never there."""
        rows = [row for row in self.rows if _side(row, side).count]
        return tuple(sorted(rows, key=lambda row: (-_side(row, side).count, row.order))[:limit])


def _side(row: FactorRow, side: str) -> Share:
    return row.stimulating if side == "stimulating" else row.hindering


def chart(
    workshop: WorkshopRecord,
    deck: Deck,
    selection: Filter | None = None,
    sort: SortOrder = "category",
) -> Chart:
    selection = selection or Filter()
    chosen = [i for i in workshop.interviews if selection.admits(i)]
    counted = [i for i in chosen if i.counted]
    n = len(counted)
    rows = {f.code: _row(f, i, counted, n) for i, f in enumerate(deck.factors())}
    groups: list[Group]
    if sort in ("category", "type"):
        # A deck without conversion types (the outcome cards) is grouped by its categories.
        kinds: Sequence[Category | ConversionType] = deck.categories
        if sort == "type" and deck.conversion_types:
            kinds = deck.conversion_types
        groups = [Group(k.code, k.title, tuple(rows[code] for code in k.codes)) for k in kinds]
        if deck.blank is not None:
            groups.append(Group("", deck.blank.title, (rows[deck.blank.code],)))
    else:
        # Most first; ties go to the side with fewer against it, then deck order.
        other = "hindering" if sort == "stimulating" else "stimulating"
        ordered = sorted(
            rows.values(), key=lambda r: (-_side(r, sort).count, _side(r, other).count, r.order)
        )
        groups = [Group("", "", tuple(ordered))]
    return Chart(
        n=n,
        interviews=len(chosen),
        filter=selection,
        sort=sort,
        groups=tuple(groups),
        has_reference=any(f.research_stimulating is not None for f in deck.factors()),
        pairs=connections(counted, rows, n),
    )


def _row(factor: Factor, order: int, interviews: Sequence[InterviewRecord], n: int) -> FactorRow:
    counts: Counter[tuple[str, str]] = Counter()
    sides: Counter[str] = Counter()
    named: list[Named] = []
    for interview in interviews:
        strongest: dict[str, str] = {}
        for card in interview.cards:
            if card.factor != factor.code:
                continue
            if card.side not in strongest or card.extent == "large":
                strongest[card.side] = card.extent
            given = Named(card.custom_name.strip(), card.side)
            if factor.blank and given.name and given not in named:
                named.append(given)
        for side, extent in strongest.items():
            counts[(side, extent)] += 1
            sides[side] += 1
    return FactorRow(
        code=factor.code,
        title=factor.title,
        category=factor.category,
        order=order,
        counts={(s, e): Share(counts[(s, e)], n) for s in SIDES for e in EXTENTS},
        stimulating=Share(sides["stimulating"], n),
        hindering=Share(sides["hindering"], n),
        reference=factor.research_stimulating,
        named=tuple(named),
    )


def connections(
    interviews: Sequence[InterviewRecord], rows: dict[str, FactorRow], n: int, limit: int = PAIRS
) -> tuple[Pair, ...]:
    """The pairs of factors that lie on the same board most often (either side)."""
    order = {code: row.order for code, row in rows.items()}
    together: Counter[tuple[str, str]] = Counter()
    for interview in interviews:
        # A card whose factor the deck lacks (a programme's shared deck) has no row: skipped.
        present = sorted(
            {card.factor for card in interview.cards if card.factor in order},
            key=order.__getitem__,
        )
        together.update(combinations(present, 2))
    ranked = sorted(
        together,
        key=lambda pair: (-together[pair], order[pair[0]], order[pair[1]]),
    )
    return tuple(Pair(rows[a], rows[b], Share(together[(a, b)], n)) for a, b in ranked[:limit])


# --- recommendations, brought together ---------------------------------------------


@dataclass(frozen=True)
class Recommendation:
    text: str
    table: int
    round: int
    also: tuple[str, ...] = ()  # titles of the other categories it names, in the order named


@dataclass(frozen=True)
class RecommendationGroup:
    code: str  # category code; "" for those that mention none
    title: str
    items: tuple[Recommendation, ...]


_BULLET = re.compile(r"^\s*(?:[-*•·–]|\d+[.)])\s*")


def split_recommendations(text: str) -> list[str]:
    """A reporter's field as separate recommendations: one per line, bullets removed."""
    items = [_BULLET.sub("", line).strip() for line in text.splitlines()]
    return [item for item in items if item]


def _mention(title: str) -> re.Pattern[str]:
    """A factor or category title as people write it: any part of "A/B", Dutch compounds
    and plurals included ("opleiding" in "opleidingstijd", "leidinggevenden" as "leidinggevende")."""
    parts = []
    for alternative in title.split("/"):
        words = re.findall(r"\w+", alternative.casefold())
        if not words:
            continue
        stems = [w[:-2] if len(w) > 6 and w.endswith("en") else w for w in words]
        # Short words must match whole ("geld" is not "geldig"); longer ones as a prefix.
        pieces = [re.escape(w) + (r"\w*" if len(w) >= 6 else r"\b") for w in stems]
        parts.append(r"(?<!\w)" + r"\W+".join(pieces))
    return re.compile("|".join(parts) or r"(?!)")


def recommendation_groups(
    workshop: WorkshopRecord, deck: Deck, other_title: str
) -> tuple[RecommendationGroup, ...]:
    """Every recommendation once, under the first category it mentions (by name or factor).

    A recommendation that names several categories is listed under the one it names first
    in its text, and says which others it names (``also``), so the list counts each once.
    """
    names = {
        c.code: [_mention(c.title)] + [_mention(f.title) for f in c.factors]
        for c in deck.categories
    }
    titles = {c.code: c.title for c in deck.categories} | {"": other_title}
    grouped: dict[str, list[Recommendation]] = {code: [] for code in [*names, ""]}
    gathered = [note.id for note in workshop.game.notes if note.gathered]
    for interview in workshop.interviews:
        texts = [t for field in gathered for t in split_recommendations(interview.note(field))]
        for text in texts:
            folded = text.casefold()
            first: dict[str, int] = {}  # category -> where in the text it is first named
            for code, found in names.items():
                places = [m.start() for f in found if (m := f.search(folded))]
                if places:
                    first[code] = min(places)
            # sorted() is stable: a tie in place keeps the deck's order of categories.
            hits = sorted(first, key=first.__getitem__) or [""]
            also = tuple(titles[code] for code in hits[1:])
            grouped[hits[0]].append(Recommendation(text, interview.table, interview.round, also))
    return tuple(
        RecommendationGroup(code, titles[code], tuple(items))
        for code, items in grouped.items()
        if items
    )
