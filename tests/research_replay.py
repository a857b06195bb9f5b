"""The research's 24 interviews, replayed: boards whose chart prints the published figures.

"Stimulerende en belemmerende factoren LLO bij buitendienst gemeenten (N=24)" (GAME.md)
printed each factor's stimulating share. Twelve tables of two rounds here lay exactly as
many stimulating cards per factor as those shares need (23/24 = 96% for
Ontwikkelmogelijkheden, …, 0/24 for Economie), with the split between "limited" and
"large" and the hindering counts made up in the research's hindering order. Explanations
and notes are written in the tone of the research's quotes, of varied length, so the report
made from them is as long as a real one. Deterministic: the same boards every run.

Used by the report tests (page count, overlap, text layer) and by bench/summary_render.py.
"""

from __future__ import annotations

import random

from tests.seeding import Card

TABLES = 12
N = 2 * TABLES

# factor: (stimulating large, stimulating limited); the sum is the research's count of 24.
STIMULATING: dict[str, tuple[int, int]] = {
    "A1": (3, 10),  # 13/24 = 54%: the example, ++13 and +42 against a total of 54
    "A2": (14, 8),  # 22 = 92%
    "A3": (5, 6),  # 11 = 46%
    "A4": (1, 4),  # 5 = 21%
    "A5": (3, 5),  # 8 = 33%
    "A6": (1, 2),  # 3 = 13%
    "B1": (3, 6),  # 9 = 38%
    "B2": (7, 8),  # 15 = 63%
    "B3": (1, 4),  # 5 = 21%
    "B4": (2, 3),  # 5 = 21%
    "B5": (0, 3),  # 3 = 13%
    "C1": (13, 8),  # 21 = 88%
    "C2": (15, 8),  # 23 = 96%
    "C3": (9, 10),  # 19 = 79%
    "C4": (2, 3),  # 5 = 21%
    "C5": (2, 6),  # 8 = 33%
    "D1": (5, 7),  # 12 = 50%
    "D2": (4, 6),  # 10 = 42%
    "D3": (4, 7),  # 11 = 46%
    "E1": (0, 0),  # 0%
    "E2": (0, 1),  # 1 = 4%
    "E3": (2, 4),  # 6 = 25%
    "E4": (0, 1),  # 1 = 4%
    "E5": (1, 1),  # 2 = 8%
    "X": (1, 1),  # 2 = 8%
}
# The research's hindering order, most first (the shares themselves were not printed).
HINDERING: dict[str, tuple[int, int]] = {
    "A2": (4, 6),
    "C1": (5, 4),
    "C2": (3, 5),
    "B2": (3, 4),
    "A6": (2, 4),
    "A1": (1, 4),
    "A5": (2, 2),
    "A3": (1, 3),
    "B4": (1, 2),
    "C3": (1, 2),
    "B3": (0, 2),
    "C4": (1, 1),
    "E1": (0, 1),
    "X": (1, 0),
}
CUSTOM = {"stimulating": ["Mantelzorg", "Reistijd naar de opleiding"], "hindering": ["Werkdruk"]}

_WHY_STIMULATING = (
    "Dit gaf de doorslag om te beginnen.",
    "Zonder dit was ik er nooit aan begonnen.",
    "Het hielp, maar het was niet het belangrijkste.",
    "Mijn leidinggevende zag het eerder dan ik zelf en zei: ga het gewoon doen.",
    "We hadden er budget voor en ik kreeg de uren ervoor in het rooster.",
    "Collega's vroegen me steeds om hulp; toen dacht ik: dat kan ik ook officieel leren.",
    "Thuis stonden ze er helemaal achter, ook toen het zwaar was met de kinderen.",
    "Ik wilde laten zien dat ik meer kan dan alleen het werk op straat.",
    "",
    "Het gaf vertrouwen dat ik het kon, na jaren niet meer in de schoolbanken.",
    "Door de nieuwe machines moest ik wel bijleren, en dat bleek leuk.",
    "Ik mocht zelf kiezen hoe ik het aanpakte, en fouten maken mocht ook.",
)
_WHY_HINDERING = (
    "Daar liep het bijna op stuk.",
    "Het remde een beetje, vooral in het begin.",
    "De ploeg was onderbezet; elke opleidingsdag moest iemand anders het werk overnemen.",
    "School was voor mij nooit een fijne plek; dat zit er nog steeds in.",
    "",
    "Ik wist jarenlang niet wat de ontwikkelmogelijkheden waren in de organisatie.",
    "Mijn rug speelde op, dus het praktijkdeel was lastig.",
)
_STORIES = (
    "Van medewerker groen naar voorman, met een mbo-opleiding naast het werk.",
    "Een collega van de reiniging heeft zijn groot rijbewijs gehaald en rijdt nu op de "
    "veegwagen. Hij twijfelde lang, want school was nooit zijn ding, maar de leidinggevende "
    "bleef het aankaarten en regelde de uren. Halverwege wilde hij stoppen; een collega die "
    "het eerder deed nam hem mee naar de lessen.",
    "Na een burn-out opnieuw begonnen, eerst halve dagen, nu als coördinator van de "
    "buitendienst. Ze heeft geleerd om hulp te vragen en om werk uit handen te geven.",
    "Een taalcursus Nederlands op het werk, daarna de opleiding tot vakkracht riolering.",
    "Hij werkte twintig jaar hetzelfde en ging op zijn 55e nog een cursus "
    "digitale vaardigheden doen, omdat alle werkbonnen op de tablet kwamen.",
    "Van uitzendkracht naar vaste aanstelling, met een traject via het opleidingsfonds.",
)
_STANDS_OUT = (
    "De leidinggevende komt bij bijna elke kaart terug, positief én negatief.",
    "Veel kaarten aan de stimulerende kant; de belemmeringen zitten vooral in tijd.",
    "Zelfvertrouwen ligt aan beide kanten: eerst een rem, later de motor.",
    "",
)
_RECOMMENDATIONS = (
    "- Plan opleidingstijd in het rooster, niet erbovenop\n- Laat collega's elkaar coachen",
    "Leidinggevenden moeten het gesprek over ontwikkeling vaker aangaan, ook met wie stil is.",
    "- Maak ontwikkelmogelijkheden op werk zichtbaar voor iedereen\n"
    "- Vergoed de reistijd naar de opleiding",
    "Geef mensen met weinig zelfvertrouwen een maatje, een collega die het al gedaan heeft.",
    "- Zorg dat de familiesituatie bespreekbaar is bij de leidinggevende",
    "",
)
_CONNECTIONS = (
    "Leidinggevende en zelfvertrouwen versterken elkaar.",
    "Werktaken en experimenteren horen bij elkaar: nieuwe taken geven ruimte om te proberen.",
    "",
)
_REFLECTIONS = (
    "Opvallend hoe vaak de leidinggevende terugkomt, als deur en als drempel.",
    "Het verhaal begon bij één persoon die het zag zitten; zonder dat was er niets gebeurd. "
    "We leren hieruit dat aandacht van de leidinggevende het verschil maakt, en dat een "
    "opleiding die in werktijd valt de drempel het meest verlaagt.",
    "De respondent zei weinig over de eigen rol; het gesprek ging vooral over de organisatie.",
)


def _spread(rng: random.Random, counts: dict[str, tuple[int, int]]) -> dict[int, list[tuple]]:
    """Each factor's cards over that many different interviews, large ones first."""
    laid: dict[int, list[tuple]] = {i: [] for i in range(N)}
    for factor, (large, limited) in counts.items():
        chosen = rng.sample(range(N), large + limited)
        for k, index in enumerate(chosen):
            laid[index].append((factor, "large" if k < large else "limited"))
    return laid


def boards() -> tuple[dict[tuple[int, int], list[Card]], dict[tuple[int, int], dict[str, str]]]:
    """(boards, notes) keyed by (table, round), as tests.seeding.seed_workshop takes them."""
    rng = random.Random(24)
    stimulating = _spread(rng, STIMULATING)
    hindering = _spread(rng, HINDERING)
    laid: dict[tuple[int, int], list[Card]] = {}
    notes: dict[tuple[int, int], dict[str, str]] = {}
    custom = {side: list(names) for side, names in CUSTOM.items()}
    for index in range(N):
        key = (index // 2 + 1, index % 2 + 1)
        cards: list[Card] = []
        for side, placed, why in (
            ("stimulating", stimulating[index], _WHY_STIMULATING),
            ("hindering", hindering[index], _WHY_HINDERING),
        ):
            for factor, extent in placed:
                # The first copy goes to the stimulating side, the second to the hindering one.
                copy = 1 if side == "stimulating" else 2
                name = custom[side].pop(0) if factor == "X" else ""
                cards.append((f"{factor}-{copy}", side, extent, rng.choice(why), name))
        laid[key] = cards
        written = {
            "development": _STORIES[index % len(_STORIES)],
            "stands_out": _STANDS_OUT[index % len(_STANDS_OUT)],
            "recommendations": _RECOMMENDATIONS[index % len(_RECOMMENDATIONS)],
            "connections": _CONNECTIONS[index % len(_CONNECTIONS)],
            "reflection": _REFLECTIONS[index % len(_REFLECTIONS)],
        }
        notes[key] = {field: text for field, text in written.items() if text}
    return laid, notes


# The stimulating shares as printed in the research's chart (GAME.md), to the percent.
PUBLISHED = {
    "C2": 96, "A2": 92, "C1": 88, "C3": 79, "B2": 63, "A1": 54, "D1": 50, "A3": 46, "D3": 46,
    "D2": 42, "B1": 38, "A5": 33, "C5": 33, "E3": 25, "B4": 21, "C4": 21, "A4": 21, "B3": 21,
    "A6": 13, "B5": 13, "E5": 8, "X": 8, "E2": 4, "E4": 4, "E1": 0,
}  # fmt: skip
