"""In a real browser (issue #7): Debian's Chromium, driven by Playwright, against `python -m app`
on 127.0.0.1.

One test plays a whole workshop as people would: the facilitator fills in the start form on a
laptop, the join link comes from decoding the QR code on the screen, five phones take the five
roles, cards are laid by tapping and by dragging (finger and mouse), one phone reloads and
another loses its connection mid-round, the real clock ends round 1 (one minute: the waiting is
used for all of that), round 2 starts on a fresh board and the whistle ends it; then the
summary, its chart and the PDF, CSV and XLSX downloads. The rest is accessibility, on a second
workshop whose phones took their seats through the API: axe-core on every page at phone and
laptop size, 44-px touch targets on the participants' pages, reflow at 200% zoom, and the
keyboard on the laptop pages.

Each accessibility test collects every problem it finds before failing, so one run lists them
all. Screenshots of each page at each size land in test-artifacts/screenshots/.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from openpyxl import load_workbook
from PIL import Image
from playwright.sync_api import Browser, Locator, Page, Route, expect, sync_playwright
from pypdf import PdfReader

from app.deck import load_library
from app.settings import ROOT
from app.summary.exports import PLACEMENT_COLUMNS
from tests.browser import (
    AXE_FILE,
    CHROMIUM,
    LAPTOP,
    LAUNCH_ARGS,
    PHONE,
    ROLES,
    SCREENSHOTS,
    STEP_MS,
    ZOOMED_PHONE,
    AppServer,
    Person,
    axe_violations,
    board_of,
    focus_problems,
    hand_card,
    horizontal_scroll,
    join_table,
    mouse_drag,
    person,
    screenshot,
    seated_phones,
    small_targets,
    tab_through,
    tap_place,
    touch_drag,
    type_note,
    wait_board,
    wait_live,
    zone_list,
)
from tests.conftest import require
from tests.live_server import serving

DECK = load_library(ROOT / "cards").deck("llo", "nl")
EMPTY = {
    f"{side}-{extent}": []
    for side in ("stimulating", "hindering")
    for extent in ("limited", "large")
}
ROUND_SECONDS = 60  # the shortest round the start form allows: the real clock ends round 1


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    require(CHROMIUM.exists(), f"Chromium is not installed at {CHROMIUM} (Debian: chromium)")
    require(AXE_FILE.exists(), f"axe-core is not vendored at {AXE_FILE}")
    yield from serving(AppServer(tmp_path_factory.mktemp("browser")))


@pytest.fixture(scope="module")
def browser(server: AppServer) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=LAUNCH_ARGS, timeout=30_000
        )
        try:
            yield chromium
        finally:
            chromium.close()


def no_page_errors(people: list[Person]) -> None:
    errors = [error for who in people for error in who.errors]
    assert not errors, "uncaught errors in the pages' scripts:\n" + "\n".join(errors)


def decode_qr(png: bytes) -> list[str]:
    try:
        from pyzbar.pyzbar import decode
    except (ImportError, OSError) as error:  # ImportError without Debian's libzbar0
        require(False, f"pyzbar cannot decode QR codes ({error}); apt-get install libzbar0")
        raise
    return [symbol.data.decode() for symbol in decode(Image.open(io.BytesIO(png)))]


def row(page: Page, number: int) -> Locator:
    return page.locator(f'#rounds tr[data-table-number="{number}"]')


# --- 1. a whole workshop, with a phone that reloads and one that loses its connection ---


def test_a_workshop_played_from_the_start_form_to_the_downloads(
    server: AppServer, browser: Browser
) -> None:
    title = "Leren in de buitendienst"
    people: list[Person] = []
    try:
        # The facilitator, on a laptop, fills in the start form.
        facilitator = person(browser, server.base, "facilitator", phone=False)
        people.append(facilitator)
        laptop = facilitator.page
        laptop.goto("/")
        laptop.locator("#title").fill(title)
        laptop.locator("#tables").fill("2")
        laptop.locator("#round_minutes").fill("1")
        screenshot(laptop, "game-01-start-form-laptop")
        laptop.locator('form[action="/workshops"] button[type="submit"]').click()
        laptop.wait_for_load_state()
        assert re.search(r"/f/[\w-]+$", laptop.url), (
            f"the start form did not lead to the facilitator page: {laptop.url} says "
            f"{laptop.locator('main').inner_text()[:300]!r}"
        )
        token = laptop.url.rsplit("/", 1)[-1]
        expect(laptop.locator("h1")).to_have_text(title)
        expect(laptop.locator("#dash-status")).to_have_text(re.compile("live"))
        screenshot(laptop, "game-02-facilitator-laptop")

        # Table 1's code on the projector, read by a phone camera.
        laptop.locator('a.qr-link[href="#table-1"]').click()
        expect(laptop.locator("#table-1")).to_be_visible()
        expect(laptop.locator("#table-1 img")).to_have_js_property("complete", True)
        laptop.wait_for_timeout(200)
        shot = laptop.screenshot(path=str(SCREENSHOTS / "game-03-projector-table-1-laptop.png"))
        codes = decode_qr(shot)
        assert len(codes) == 1, f"expected one QR code on the projector, decoded {codes}"
        join_url = codes[0]
        code = laptop.locator("#table-1 .projector-code strong").inner_text().replace("-", "")
        assert join_url == f"{server.base}/j/{code}", join_url
        laptop.locator("#table-1 .projector-nav a[href='#']").click()

        # Five phones scan it and take the five roles.
        phones = {role: person(browser, server.base, role, phone=True) for role in ROLES}
        people += phones.values()
        join_table(phones, join_url)
        screenshot(phones["observer"].page, "game-04-observer-waiting-phone")
        expect(row(laptop, 1).locator('[data-cell="members"]')).to_contain_text("5/5")

        # The facilitator starts the round; the real clock will end it.
        laptop.locator('.rounds-head button[value="start"]').click()
        started = time.monotonic()
        expect(row(laptop, 1)).to_have_attribute("data-status", "running")
        respondent = phones["respondent1"]
        r1 = respondent.page
        expect(r1.locator("#hand")).to_be_visible()
        for role, phone in phones.items():
            expect(phone.page.locator("#clock")).not_to_have_attribute("data-state", "waiting")

        def everyone_sees(board: dict[str, list[str]]) -> None:
            for role, phone in phones.items():
                wait_board(phone.page, board, role)

        # Tapping: a card, then a zone's "Place here".
        board = {**EMPTY, "stimulating-large": ["A1-1"]}
        tap_place(r1, "A1", "stimulating", "large")
        everyone_sees(board)
        board["hindering-limited"] = ["B2-1"]
        tap_place(r1, "B2", "hindering", "limited")
        everyone_sees(board)
        screenshot(r1, "game-05-respondent1-tapped-phone")
        # Dragging with a finger, from the hand onto a zone list (SortableJS).
        touch_drag(
            respondent,
            r1.locator('#hand .hand-item[data-factor="A2"]'),
            zone_list(r1, "hindering", "large"),
        )
        board["hindering-large"] = ["A2-1"]
        everyone_sees(board)
        # Dragging with a mouse, a card on the board to another zone.
        mouse_drag(
            r1,
            r1.locator('#board .placed[data-card="B2-1"]'),
            zone_list(r1, "stimulating", "limited"),
        )
        board["hindering-limited"] = []
        board["stimulating-limited"] = ["B2-1"]
        everyone_sees(board)

        # Mid-round, the observer's phone reloads while the respondent lays a card ...
        observer, reporter = phones["observer"], phones["reporter"]
        observer.page.reload(wait_until="commit")
        tap_place(r1, "C2", "stimulating", "large")
        board["stimulating-large"] = ["A1-1", "C2-1"]
        wait_live(observer.page)
        everyone_sees(board)
        # ... and the reporter's loses its connection for a few seconds while a card is laid,
        # another goes back to the hand, and the reporter itself writes.
        reporter.context.set_offline(True)
        went = time.monotonic()
        tap_place(r1, "D1", "hindering", "limited")
        r1.locator('#board .placed[data-card="A2-1"] .placed-card').tap()
        r1.locator("#cd-return").tap()
        expect(r1.locator("#card-dialog")).to_be_hidden()
        stands_out = "Alles wat hij leerde, leerde hij van collega's."
        type_note(reporter.page, "#note-stands_out", stands_out, saved=False)
        reporter.page.wait_for_timeout(max(0, 3000 - (time.monotonic() - went) * 1000))
        reporter.context.set_offline(False)
        board["hindering-limited"] = ["D1-1"]
        board["hindering-large"] = []
        everyone_sees(board)  # the zone lists' card ids, the same on all five phones
        wait_live(reporter.page)
        expect(row(laptop, 1).locator('[data-cell="cards"]')).to_have_text(
            re.compile(r"^3\D+1\D*$")
        )

        # The reporter writes the story and a recommendation, the observer a reflection.
        story = "Van monteur naar teamleider, met steun van thuis."
        advice = "Geef monteurs tijd om te leren onder werktijd."
        reflection = "Dromen en zelfvertrouwen hangen samen."
        type_note(reporter.page, "#note-development", story)
        type_note(reporter.page, "#note-recommendations", advice)
        type_note(observer.page, "#note-reflection", reflection)
        written = laptop.locator("#dash-labels").evaluate(
            "t => t.content.querySelector('[data-k=written]').textContent"
        )
        expect(row(laptop, 1).locator('[data-cell="record"]')).to_have_text(written)
        for role, phone in phones.items():
            screenshot(phone.page, f"game-06-{role}-round1-phone")
        screenshot(laptop, "game-07-facilitator-round1-laptop")

        # The clock runs out: the server blows the whistle and the board locks everywhere.
        left = ROUND_SECONDS + 15 - (time.monotonic() - started)
        expect(r1.locator("#locked")).to_be_visible(timeout=max(left, 1) * 1000)
        for role, phone in phones.items():
            expect(phone.page.locator("#locked")).to_be_visible()
            expect(phone.page.locator("#clock")).to_have_attribute("data-state", "ended")
            wait_board(phone.page, board, role)
        expect(row(laptop, 1)).to_have_attribute("data-status", "ended")
        expect(r1.locator("#hand")).to_be_hidden()
        screenshot(r1, "game-08-respondent1-whistled-phone")
        round_1 = board

        # Round 2 starts clean: an empty board, every card back in respondent 2's hand.
        laptop.locator('.rounds-head button[value="start"]').click()
        r2 = phones["respondent2"].page
        expect(r2.locator("#hand")).to_be_visible()
        everyone_sees(EMPTY)
        round_word = r2.locator("#strings").evaluate(
            "t => t.content.querySelector('[data-k=round]').textContent"
        )
        expect(r2.locator("#round-label")).to_contain_text(round_word.replace("{n}", "2"))
        expect(r2.locator('#hand .hand-item[data-factor="A1"] .copies')).to_have_text("2×")
        expect(r2.locator("#hand .hand-item[hidden]")).to_have_count(0)
        expect(reporter.page.locator("#note-development")).to_have_value("")
        expect(reporter.page.locator("#note-stands_out")).to_have_value("")
        expect(observer.page.locator("#note-reflection")).to_have_value("")
        expect(r1.locator("#turn-done")).to_be_visible()
        expect(r1.locator("#hand")).to_be_hidden()
        board = {**EMPTY, "hindering-limited": ["A1-1"]}
        tap_place(r2, "A1", "hindering", "limited")
        everyone_sees(board)
        screenshot(r2, "game-09-respondent2-round2-phone")

        # The facilitator ends round 2 with the whistle.
        laptop.locator('.rounds-head button[value="end"]').click()
        for phone in phones.values():
            expect(phone.page.locator("#locked")).to_be_visible()
        expect(row(laptop, 1)).to_have_attribute("data-status", "ended")
        screenshot(laptop, "game-10-facilitator-ended-laptop")

        # The summary: N = 2 interviews with cards, and the chart shows what was laid.
        laptop.locator(f'.head-actions a[href="/f/{token}/summary"]').click()
        laptop.wait_for_url(f"**/f/{token}/summary")
        expect(laptop.locator(".chart-head")).to_contain_text("N = 2")
        labels = laptop.locator("#chart svg text").all_text_contents()
        # Each factor lay on one of the two boards: 50%, with its zone's sign.
        for sign in ("++50", "+50", "\u221250"):
            assert sign in labels, f"chart segment label {sign!r} missing; labels: {labels}"
        assert "\u2212\u221250" not in labels, "A2 went back to the hand, nothing lies there"
        for factor in ("A1", "B2", "C2", "D1"):
            assert any(DECK.factor(factor).title in label for label in labels), factor
        expect(laptop.locator("main")).to_contain_text(advice)
        screenshot(laptop, "game-11-summary-laptop")

        # The downloads, as a person clicks them.
        files = {}
        for name in ("report.pdf", "placements.csv", "workshop.xlsx"):
            with laptop.expect_download(timeout=STEP_MS * 3) as download:
                laptop.locator(f'#downloads a[href="/f/{token}/{name}"]').click()
            stem, extension = name.split(".")
            assert re.fullmatch(
                rf"kaartspel-leren-in-de-buitendienst-\d{{4}}-\d\d-\d\d-\w+\.{extension}",
                download.value.suggested_filename,
            ), download.value.suggested_filename
            files[name] = download.value.path().read_bytes()

        laid = {
            ("1", "1", "A1", "stimulating", "large"),
            ("1", "1", "C2", "stimulating", "large"),
            ("1", "1", "B2", "stimulating", "limited"),
            ("1", "1", "D1", "hindering", "limited"),
            ("1", "2", "A1", "hindering", "limited"),
        }
        assert {z: c for z, c in round_1.items() if c} == {
            "stimulating-large": ["A1-1", "C2-1"],
            "stimulating-limited": ["B2-1"],
            "hindering-limited": ["D1-1"],
        }
        key = ("table", "round", "factor_code", "side", "extent")
        rows = list(csv.DictReader(io.StringIO(files["placements.csv"].decode("utf-8-sig"))))
        assert {tuple(r[k] for k in key) for r in rows} == laid, rows
        assert len(rows) == len(laid)

        book = load_workbook(io.BytesIO(files["workshop.xlsx"]), read_only=True)
        sheet = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
        where = [PLACEMENT_COLUMNS.index(k) for k in key]
        assert {tuple(str(r[i]) for i in where) for r in sheet[1:]} == laid, sheet
        everything = " ".join(
            str(cell)
            for ws in book.worksheets
            for r in ws.iter_rows(values_only=True)
            for cell in r
        )
        for text in (story, advice, reflection, stands_out):
            assert text in everything, f"{text!r} not in the workbook"

        assert files["report.pdf"].startswith(b"%PDF")
        pdf = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(files["report.pdf"])).pages)
        pdf = re.sub(r"\s+", " ", pdf)
        factors = (DECK.factor(f).title for f in ("A1", "B2", "C2", "D1"))
        for text in (title, story, advice, stands_out, *factors):
            assert text in pdf, f"{text!r} not in the PDF report"

        no_page_errors(people)
    finally:
        for who in people:
            who.close()


# --- 2-5. accessibility ----------------------------------------------------------------------


@dataclass
class Scene:
    """A workshop in full swing for the accessibility tests: table 1 seated and playing round
    1 with cards and notes, table 2 empty; a phone per role and a spare laptop and phone."""

    workshop: dict
    token: str
    code: str
    phones: dict[str, Person]
    laptop: Person
    phone: Person

    def pages(self) -> dict[str, str]:
        """Every page outside the table page, by a name for messages and screenshots."""
        token, other = self.token, self.workshop["tables"][1]["join_code"]
        return {
            "start": "/",
            "facilitator": f"/f/{token}",
            "projector": f"/f/{token}#table-1",
            "table-cards": f"/f/{token}/cards",
            "join-code": "/j",
            "join-free": f"/j/{other}",
            "join-taken": f"/j/{self.code}",
            "summary": f"/f/{token}/summary",
            "plenary": f"/f/{token}/plenary",
            "table-view": f"/f/{token}/tables/1",
            "report": f"/f/{token}/report.html",
            "error": "/f/this-link-is-not-valid",
        }


PARTICIPANT_PAGES = ("join-code", "join-free", "join-taken", "error")


@pytest.fixture(scope="module")
def scene(server: AppServer, browser: Browser) -> Iterator[Scene]:
    workshop = server.create_workshop("Toegankelijk spelen", tables=2)
    code = workshop["tables"][0]["join_code"]
    phones = seated_phones(browser, server, code, ROLES)
    laptop = person(browser, server.base, "laptop", phone=False)
    phone = person(browser, server.base, "phone", phone=True)
    try:
        server.round_action(workshop, "start")
        respondent = phones["respondent1"].page
        expect(respondent.locator("#hand")).to_be_visible()
        tap_place(respondent, "A1", "stimulating", "large")
        tap_place(respondent, "B2", "hindering", "limited")
        tap_place(respondent, "D1", "stimulating", "limited")
        type_note(
            phones["reporter"].page, "#note-development", "Een nieuwe baan gevonden.", keys=False
        )
        type_note(
            phones["reporter"].page, "#note-recommendations", "Maak tijd voor leren.", keys=False
        )
        type_note(
            phones["observer"].page, "#note-reflection", "Rustig en open gesprek.", keys=False
        )
        board = board_of(respondent)
        for role, seat in phones.items():
            wait_board(seat.page, board, role)
        yield Scene(workshop, workshop["token"], code, phones, laptop, phone)
    finally:
        for who in [*phones.values(), laptop, phone]:
            who.close()


def table_page_states(scene: Scene, *, touch: bool = True) -> Iterator[tuple[str, Page]]:
    """Each role's table page, and the respondent's while laying a card and in a card's
    actions (the tray and the dialog are where most of the tapping happens). touch=False
    reaches those states with the keyboard: at 200% zoom the sticky status bar can cover
    what Playwright scrolls to, and the pointer is not what is tested there."""
    for role, seat in scene.phones.items():
        yield f"play-{role}", seat.page
    respondent = scene.phones["respondent1"].page

    def press(locator: Locator) -> None:
        if touch:
            locator.tap()
        else:
            locator.focus()
            respondent.keyboard.press("Enter")

    press(hand_card(respondent, "C1"))
    expect(respondent.locator("#tray")).to_be_visible()
    yield "play-respondent1-choosing", respondent
    press(respondent.locator("#tray-cancel"))
    expect(respondent.locator("#tray")).to_be_hidden()
    press(respondent.locator('#board .placed[data-card="A1-1"] .placed-card'))
    expect(respondent.locator("#card-dialog")).to_be_visible()
    yield "play-respondent1-card-dialog", respondent
    respondent.keyboard.press("Escape")
    expect(respondent.locator("#card-dialog")).to_be_hidden()


def test_no_serious_or_critical_axe_violations_on_any_page(scene: Scene) -> None:
    problems: list[str] = []
    sizes = {"laptop": LAPTOP, "phone": PHONE}
    # Each page loads once, on the device it is made for, and is then seen at the other size.
    for name, path in scene.pages().items():
        who, order = (
            (scene.phone, ("phone", "laptop"))
            if name in PARTICIPANT_PAGES
            else (scene.laptop, ("laptop", "phone"))
        )
        who.page.goto(path)
        for size in order:
            who.page.set_viewport_size(sizes[size])
            if name == "plenary":
                expect(who.page.locator(".slide.is-current")).to_have_count(1)
            problems += axe_violations(who.page, f"{name} ({size})")
            screenshot(who.page, f"{name}-{size}")
        who.page.set_viewport_size(sizes[order[0]])
    for size in ("phone", "laptop"):
        for seat in scene.phones.values():
            seat.page.set_viewport_size(sizes[size])
        for name, page in table_page_states(scene):
            problems += axe_violations(page, f"{name} ({size})")
            screenshot(page, f"{name}-{size}")
    for seat in scene.phones.values():
        seat.page.set_viewport_size(PHONE)
    no_page_errors([*scene.phones.values(), scene.laptop, scene.phone])
    assert not problems, f"{len(problems)} serious/critical axe-core violations:\n" + "\n".join(
        problems
    )


def test_touch_targets_on_the_participants_pages_are_at_least_44px(scene: Scene) -> None:
    problems: list[str] = []
    for seat in scene.phones.values():
        seat.page.set_viewport_size(PHONE)
    pages = scene.pages()
    for name in PARTICIPANT_PAGES:
        scene.phone.page.goto(pages[name])
        problems += small_targets(scene.phone.page, name)
    for name, page in table_page_states(scene):
        problems += small_targets(page, name)
    assert not problems, f"{len(problems)} touch targets under 44x44 px:\n" + "\n".join(problems)


def test_phone_pages_reflow_at_200_percent_zoom(
    scene: Scene, server: AppServer, browser: Browser
) -> None:
    problems: list[str] = []
    zoomed = person(
        browser,
        server.base,
        "zoomed",
        phone=True,
        viewport=ZOOMED_PHONE,
        device_scale_factor=2,
    )
    # The table cards are an A4 print layout and the projector view is for a beamer.
    pages = {n: p for n, p in scene.pages().items() if n not in ("table-cards", "projector")}
    try:
        for name, path in pages.items():
            zoomed.page.goto(path)
            problems += horizontal_scroll(zoomed.page, f"{name} at 200%")
            if name in PARTICIPANT_PAGES:
                screenshot(zoomed.page, f"{name}-zoom200-phone")
        for seat in scene.phones.values():
            seat.page.set_viewport_size(ZOOMED_PHONE)
        for name, page in table_page_states(scene, touch=False):
            problems += horizontal_scroll(page, f"{name} at 200%")
            screenshot(page, f"{name}-zoom200-phone")
    finally:
        for seat in scene.phones.values():
            seat.page.set_viewport_size(PHONE)
        zoomed.close()
    assert not problems, "pages that scroll sideways at 200% zoom:\n" + "\n".join(problems)


def test_laptop_pages_work_by_keyboard(scene: Scene) -> None:
    problems: list[str] = []
    page = scene.laptop.page
    pages = scene.pages()
    for name in (
        "start",
        "facilitator",
        "table-cards",
        "summary",
        "plenary",
        "table-view",
        "report",
    ):
        page.goto(pages[name])
        problems += focus_problems(tab_through(page), name)

    def round_buttons() -> None:
        """Enter and Space on the facilitator's round buttons."""
        page.goto(pages["facilitator"])
        table_1 = row(page, 1)
        expect(table_1).to_have_attribute("data-status", "running")
        page.locator('.rounds-head button[value="pause"]').focus()
        page.keyboard.press("Enter")
        expect(table_1).to_have_attribute("data-status", "paused")
        page.locator('.rounds-head button[value="start"]').focus()
        page.keyboard.press("Space")
        expect(table_1).to_have_attribute("data-status", "running")

    def summary_filters() -> None:
        """A table ticked with Space, a round chosen with the arrow keys, shown with Enter."""
        page.goto(pages["summary"])
        page.locator('.filter-tables input[value="1"]').focus()
        page.keyboard.press("Space")
        page.locator('select[name="round"]').focus()
        page.keyboard.press("ArrowDown")
        expect(page.locator('select[name="round"]')).to_have_value("1")
        page.locator('.chart-filters button[type="submit"]').focus()
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"summary\?table=1&round=1"))
        expect(page.locator(".chart-head")).to_contain_text("N = 1")

    def plenary_keys() -> None:
        """Arrow keys, Home and End step through the slides; the links work with Enter."""
        page.goto(pages["plenary"])
        slides = page.locator("#slides .slide").count()
        assert slides == 3, f"expected chart, table 1 round 1, recommendations; got {slides}"
        current = page.locator("#slides .slide.is-current")
        for key, slide in (("ArrowRight", 2), ("ArrowRight", 3), ("ArrowLeft", 2), ("Home", 1)):
            page.keyboard.press(key)
            expect(current).to_have_attribute("id", f"slide-{slide}")
        page.keyboard.press("End")
        expect(current).to_have_attribute("id", f"slide-{slides}")
        page.locator('.plenary-nav a[rel="prev"]').focus()
        page.keyboard.press("Enter")
        expect(current).to_have_attribute("id", f"slide-{slides - 1}")

    for check in (round_buttons, summary_filters, plenary_keys):
        try:
            check()
        except AssertionError as error:
            problems.append(f"{check.__doc__} — {' '.join(str(error).split())[:400]}")

    # The interviewer may sit at a laptop: the table page by keyboard too.
    interviewer = scene.phones["interviewer"].page
    interviewer.set_viewport_size(LAPTOP)
    try:
        interviewer.reload()
        wait_live(interviewer)
        problems += focus_problems(tab_through(interviewer), "play-interviewer (laptop)")
    finally:
        interviewer.set_viewport_size(PHONE)
    assert not problems, "keyboard problems on the laptop pages:\n" + "\n".join(problems)


# --- 6. loading --------------------------------------------------------------------------------


def test_the_table_page_keeps_what_the_socket_said_before_its_script_ran(scene: Scene) -> None:
    """connect.js opens the websocket before the page's main script has arrived (issue #5: on
    slow 3G the handshake overlaps with loading). Here the main script is held back until the
    snapshot is in: the page must still show it, with no error."""
    respondent = scene.phones["respondent1"]
    page = respondent.context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    held: list[Route] = []
    page.route(re.compile(r"/static/build/play-[A-Z0-9]+\.js$"), lambda route: held.append(route))
    try:
        with page.expect_websocket() as opened:
            page.goto(f"/t/{scene.code}", wait_until="commit")
        opened.value.wait_for_event(
            "framereceived", lambda frame: '"snapshot"' in str(frame), timeout=STEP_MS
        )
        assert len(held) == 1, "the main script was not requested"
        assert page.locator("#conn").get_attribute("data-state") == "connecting"
        held[0].continue_()
        wait_live(page)
        expect(page.locator("#hand")).to_be_visible()
        assert board_of(page) == board_of(respondent.page)
        assert not errors, errors
    finally:
        page.close()


# --- the PDF download (issue #17) ------------------------------------------------------------


def test_the_pdf_link_says_while_the_pdf_is_made(server: AppServer, browser: Browser) -> None:
    workshop = server.create_workshop("Het rapport", tables=1)
    laptop = person(browser, server.base, "laptop", phone=False)
    try:
        page = laptop.page
        # Making a PDF takes a moment; its answer is held back a little longer here, so the
        # waiting state is there to be seen on any machine.
        page.add_init_script(
            "(() => { const fetched = window.fetch; window.fetch = (...args) =>"
            " new Promise((done) => setTimeout(done, 1500)).then(() => fetched(...args)); })()"
        )
        page.goto(f"/f/{workshop['token']}/summary")
        link = page.locator(f'#downloads a[href="/f/{workshop["token"]}/report.pdf"]')
        label = link.inner_text()
        with page.expect_download(timeout=STEP_MS * 3) as download:
            link.click()
            expect(link).to_have_text("PDF wordt gemaakt…")
            expect(link).to_have_attribute("aria-busy", "true")
            link.click()  # a second click while it is made starts nothing more
        assert re.fullmatch(
            r"kaartspel-het-rapport-[\d-]+-report\.pdf", download.value.suggested_filename
        )
        assert download.value.path().read_bytes().startswith(b"%PDF")
        expect(link).to_have_text(label)
        expect(link).not_to_have_attribute("aria-busy", "true")
        page.goto(f"/f/{workshop['token']}/report.html")
        expect(page.locator("#chart svg")).to_be_visible()  # the page's chart: the SVG drawing
        screenshot(page, "report-page-laptop")
        no_page_errors([laptop])
    finally:
        laptop.close()
