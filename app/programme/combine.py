"""Several workshops as one chart: the factors their decks share, and all their interviews.

Pure: the workshops' records and decks in, plain values out; every figure still comes from
app.summary.aggregate, so the programme's chart counts exactly as each summary does.

What "the same factor" means across decks: the same factor code in the same category code
(the blank "Anders" card: both decks' blank card, code and empty category alike). Titles may
differ (a Dutch and an English workshop of one deck share every factor); a factor that moved
to another category, or that one deck lacks, is left out of the combined chart, and the view
names what was left out. Titles and order come from the lead deck (see ``lead``).

N is the sum of the workshops' N: an interview counts once it has a card on its board, as in
its own summary, also when its cards all lie on factors the other decks lack.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.deck import Deck, Factor
from app.summary.aggregate import Chart, Filter, SortOrder, chart
from app.summary.records import WorkshopRecord

FactorKey = tuple[str, str]  # (factor code, category code)


def factor_key(factor: Factor) -> FactorKey:
    return (factor.code, factor.category)


@dataclass(frozen=True)
class Source:
    """One workshop of the programme: what it produced, its deck, and its own summary's link."""

    record: WorkshopRecord
    deck: Deck
    summary: str  # "/s/<token>/summary" or "/f/<token>/summary": the link it was given by


@dataclass(frozen=True)
class LeftOut:
    """A workshop's factors that the combined chart cannot show (another deck lacks them)."""

    source: Source
    factors: tuple[Factor, ...]


@dataclass(frozen=True)
class Combined:
    sources: tuple[Source, ...]
    deck: Deck  # the lead deck, holding only the shared factors
    left_out: tuple[LeftOut, ...]  # only workshops that lose a factor

    @property
    def decks_differ(self) -> bool:
        return bool(self.left_out)

    @property
    def shared_count(self) -> int:
        return len(self.deck.factors())


def lead(sources: Sequence[Source], language: str) -> Source:
    """Whose deck gives the titles: the first workshop in the view's language, else the first."""
    return next((s for s in sources if s.deck.language == language), sources[0])


def shared_deck(deck: Deck, keys: set[FactorKey]) -> Deck:
    """``deck`` with only the factors in ``keys``; empty categories and types drop out."""
    categories = [
        category.model_copy(
            update={"factors": [f for f in category.factors if factor_key(f) in keys]}
        )
        for category in deck.categories
    ]
    kept = {f.code for c in categories for f in c.factors}
    types = [
        kind.model_copy(update={"factors": [code for code in kind.factors if code in kept]})
        for kind in deck.conversion_types
    ]
    blank = deck.blank if deck.blank is not None and factor_key(deck.blank) in keys else None
    # Not validated again: a subset of a valid deck breaks none of its rules that matter here.
    return deck.model_copy(
        update={
            "categories": [c for c in categories if c.factors],
            "conversion_types": [t for t in types if t.factors],
            "blank": blank,
        }
    )


def combine(sources: Sequence[Source], language: str) -> Combined:
    """The programme's shared deck (see the module's docstring) and what each workshop loses."""
    if not sources:
        raise ValueError("a programme needs at least one workshop")
    keys = set.intersection(*({factor_key(f) for f in s.deck.factors()} for s in sources))
    left_out = tuple(
        LeftOut(s, lost)
        for s in sources
        if (lost := tuple(f for f in s.deck.factors() if factor_key(f) not in keys))
    )
    return Combined(tuple(sources), shared_deck(lead(sources, language).deck, keys), left_out)


def pooled(sources: Sequence[Source], title: str) -> WorkshopRecord:
    """Every interview of the sources in one record, the input of aggregate.chart.

    Table numbers repeat across workshops; the chart does not mind (a programme filters by
    workshop, never by table). Cards on factors outside the shared deck stay on their boards:
    the chart has no row for them, and they still make their interview count.
    """
    first = sources[0].record
    return WorkshopRecord(
        id="",
        title=title,
        date=min(s.record.date for s in sources),
        organisation=None,
        language=first.language,
        deck_id=first.deck_id,
        table_count=sum(s.record.table_count for s in sources),
        round_minutes=first.round_minutes,
        retention_days=min(s.record.retention_days for s in sources),
        interviews=tuple(i for s in sources for i in s.record.interviews),
        game=first.game,  # the chart reads the board; every workshop plays one format today
    )


def programme_chart(
    combined: Combined,
    chosen: Sequence[Source],
    title: str,
    round_: int | None = None,
    sort: SortOrder = "category",
) -> Chart:
    """The chart over the chosen workshops' interviews, on the shared factors."""
    return chart(pooled(chosen, title), combined.deck, Filter(round=round_), sort)


def workshop_chart(
    combined: Combined, source: Source, round_: int | None = None, sort: SortOrder = "category"
) -> Chart:
    """One workshop's chart on the shared factors, to lay beside the others."""
    return chart(source.record, combined.deck, Filter(round=round_), sort)
