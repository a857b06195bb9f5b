"""Helpers for tests/test_browser.py: a real `python -m app` on loopback, Debian's Chromium
driven by Playwright (sync API), phones, axe-core, and the checks a person with a phone, a
magnifier or only a keyboard would make.

Every wait has a deadline (STEP_MS for one step), so a broken page fails a test, never hangs it.
Nothing leaves 127.0.0.1: Chromium runs with its background networking switched off and axe-core
is served by the app itself from app/static/vendor/axe-core/.
"""

from __future__ import annotations

import contextlib
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import (
    Browser,
    BrowserContext,
    CDPSession,
    Locator,
    Page,
    expect,
    sync_playwright,
)

from app.settings import ROOT
from tests.live_server import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
# A 390-px phone at 200% text zoom lays out like a 195-px one (WCAG 1.4.4 / 1.4.10).
ZOOMED_PHONE = {"width": 195, "height": 422}
STEP_MS = 10_000  # any one browser step
AXE_FILE = ROOT / "app" / "static" / "vendor" / "axe-core" / "axe.min.js"
AXE_URL = "/static/vendor/axe-core/axe.min.js"  # same origin: the CSP forbids inline script
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
ROLES = ("interviewer", "respondent1", "respondent2", "reporter", "observer")
SERIOUS = ("serious", "critical")  # the axe-core impacts that fail a test
MIN_TARGET = 44  # px, WCAG 2.5.5 (and Apple's and Google's guidelines)
expect.set_options(timeout=STEP_MS)


class AppServer(LiveServer):
    """`python -m app`, as `make run` starts it, on 127.0.0.1 and a SQLite file of its own."""

    def command(self) -> list[str]:
        return [sys.executable, "-m", "app"]

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=STEP_MS / 1000, trust_env=False)

    # The JSON API, for tests that only need a workshop to exist (the full game uses the forms).

    def create_workshop(self, title: str, tables: int = 1, round_minutes: int = 15) -> dict:
        with self.http() as http:
            response = http.post(
                "/api/workshops",
                json={"title": title, "tables": tables, "round_minutes": round_minutes},
            )
        assert response.status_code == 201, response.text
        workshop: dict = response.json()
        workshop["token"] = workshop["facilitator_url"].rsplit("/", 1)[-1]
        return workshop

    def round_action(self, workshop: dict, action: str) -> None:
        with self.http() as http:
            response = http.post(
                f"/api/workshops/{workshop['id']}/rounds/{action}",
                json={},
                headers={"Authorization": f"Bearer {workshop['token']}"},
            )
        assert response.status_code == 200, response.text


def launched_chromium() -> Iterator[Browser]:
    """Debian's Chromium under Playwright, for a fixture to yield; closed afterwards."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=LAUNCH_ARGS, timeout=30_000
        )
        try:
            yield chromium
        finally:
            chromium.close()


# --- contexts -----------------------------------------------------------------------------


def new_context(browser: Browser, base: str, *, phone: bool, **options: Any) -> BrowserContext:
    """A laptop (1366x768) or a phone (390x844, touch), Dutch like the workshops it serves."""
    options = {"locale": "nl-NL", **options}
    if phone:
        options = {"viewport": PHONE, "has_touch": True, "is_mobile": True, **options}
    else:
        options = {"viewport": LAPTOP, **options}
    context = browser.new_context(base_url=base, accept_downloads=True, **options)
    context.set_default_timeout(STEP_MS)
    context.set_default_navigation_timeout(STEP_MS * 2)
    return context


@dataclass
class Person:
    """One browser context (a phone or a laptop) with its page, and what went wrong in it."""

    context: BrowserContext
    page: Page
    name: str
    errors: list[str] = field(default_factory=list)
    cdp: CDPSession | None = None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.context.close()


def person(browser: Browser, base: str, name: str, *, phone: bool, **options: Any) -> Person:
    context = new_context(browser, base, phone=phone, **options)
    page = context.new_page()
    who = Person(context, page, name)
    # An uncaught exception in the page's scripts is a bug even when the screen looks fine.
    page.on("pageerror", lambda error: who.errors.append(f"{name}: {error}"))
    return who


def seated_phones(
    browser: Browser, server: AppServer, code: str, roles: tuple[str, ...]
) -> dict[str, Person]:
    """Phones that already have their seats (taken through the JSON API, each device cookie put
    in its phone's cookie jar), showing the table page: for tests about something else than
    joining. The full game joins through the join page instead. The pages load side by side."""
    phones: dict[str, Person] = {}
    for role in roles:
        with server.http() as http:
            response = http.post(f"/api/tables/{code}/seat", json={"role": role, "name": role})
        assert response.status_code == 201, response.text
        phone = phones[role] = person(browser, server.base, role, phone=True)
        phone.context.add_cookies(
            [{"name": "ks_device", "value": response.cookies["ks_device"], "url": server.base}]
        )
        phone.page.goto(f"/t/{code}", wait_until="commit")
    for phone in phones.values():
        wait_live(phone.page)
    return phones


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """The whole page into test-artifacts/screenshots/<name>.png, from the top (a sticky
    header would otherwise be drawn where the page happened to be scrolled to)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if full_page:
        page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    return path


# --- the phone's table page ----------------------------------------------------------------


def join_table(phones: dict[str, Person], url: str) -> None:
    """Everyone at the table scans the code at once: each phone opens the join page, picks its
    role (the dict's key), types a name and takes the seat."""
    for phone in phones.values():
        phone.page.goto(url, wait_until="commit")
    for role, phone in phones.items():
        phone.page.locator(f'label.role-option[data-role="{role}"]').click()
        phone.page.locator("#name").fill(f"{role.title()} Tester")
        phone.page.locator('form[action^="/j/"] button[type="submit"]').click(no_wait_after=True)
    for role, phone in phones.items():
        try:
            phone.page.wait_for_url(re.compile(r"/t/[A-Z0-9]+$"))
        except Exception as error:
            said = phone.page.locator("main").inner_text()[:300]
            raise AssertionError(
                f"{role} could not take a seat: {phone.page.url} says {said!r}"
            ) from error
        wait_live(phone.page)


def wait_until(
    page: Page, script: str, what: str, arg: Any = None, timeout_ms: int = STEP_MS
) -> Any:
    """Poll a function in the page until it returns something truthy, within a deadline.

    (page.wait_for_function evaluates its predicate with eval(), which the app's
    Content-Security-Policy rightly forbids; page.evaluate is not affected.)"""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        value = page.evaluate(script, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {timeout_ms / 1000:g} s")
        page.wait_for_timeout(100)


def wait_live(page: Page) -> None:
    """The table page has its snapshot and nothing waits in the outbox."""
    expect(page.locator("#conn")).to_have_attribute("data-state", re.compile(r"^(live|saved)$"))
    wait_until(
        page,
        "() => document.querySelector('#round-label').textContent.includes('·')",
        "snapshot drawn (round label)",
    )


def board_of(page: Page) -> dict[str, list[str]]:
    """The card ids in each zone list, top to bottom, as this phone shows them."""
    result: dict[str, list[str]] = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('#board .zone-cards')].map(
            ol => [ol.dataset.side + '-' + ol.dataset.extent,
                   [...ol.children].filter(li => li.dataset.card).map(li => li.dataset.card)]))"""
    )
    return result


def wait_board(page: Page, expected: dict[str, list[str]], who: str) -> None:
    """Wait (bounded) until this phone shows exactly `expected`, then compare for the message."""
    with contextlib.suppress(AssertionError):
        wait_until(
            page,
            """expected => Object.entries(expected).every(([zone, cards]) => {
                const [side, extent] = zone.split('-');
                const ol = document.querySelector(
                    `#board .zone-cards[data-side="${side}"][data-extent="${extent}"]`);
                const shown = [...ol.children].filter(li => li.dataset.card).map(li => li.dataset.card);
                return JSON.stringify(shown) === JSON.stringify(cards);
            })""",
            "matching board",
            expected,
        )
    shown = board_of(page)
    assert shown == expected, f"{who} shows {shown}, expected {expected}"


def zone_list(page: Page, side: str, extent: str) -> Locator:
    return page.locator(f'#board .zone-cards[data-side="{side}"][data-extent="{extent}"]')


def hand_card(page: Page, factor: str) -> Locator:
    return page.locator(f'#hand .hand-item[data-factor="{factor}"] .hand-card')


def tap_place(page: Page, factor: str, side: str, extent: str) -> None:
    """Tap a card in the hand, then the zone's "Place here" button."""
    hand_card(page, factor).tap()
    expect(hand_card(page, factor)).to_have_attribute("aria-pressed", "true")
    button = page.locator(f'#board .zone[data-side="{side}"][data-extent="{extent}"] .zone-place')
    expect(button).to_be_enabled()
    button.tap()


def _drag_points(page: Page, source: Locator, target: Locator) -> tuple[float, float, float, float]:
    """Where a thumb starts and ends: the zone near the top of the screen (under the sticky
    status bar), the card further down, both on one screen, as a person lines them up."""
    target.evaluate("el => window.scrollBy(0, el.getBoundingClientRect().top - 140)")
    start, end = source.bounding_box(), target.bounding_box()
    assert start and end, "the card or the zone is not on the page"
    height = page.viewport_size["height"] if page.viewport_size else 0
    assert start["y"] >= 0 and start["y"] + 40 <= height, (
        f"the card is {start['y'] - end['y']:.0f} px below the zone: not on one screen"
    )
    return (
        start["x"] + start["width"] / 2,
        start["y"] + min(start["height"] / 2, 20),
        end["x"] + end["width"] / 2,
        end["y"] + end["height"] / 2,
    )


def touch_drag(who: Person, source: Locator, target: Locator, steps: int = 12) -> None:
    """A finger on the glass: press, hold (SortableJS waits 180 ms on touch, so that a swipe
    still scrolls), slide onto the zone and lift. Real touch events through the DevTools
    protocol, since Playwright's own API has only taps for touch screens."""
    page = who.page
    if who.cdp is None:
        who.cdp = who.context.new_cdp_session(page)
    cdp = who.cdp
    x0, y0, x1, y1 = _drag_points(page, source, target)

    def touch(kind: str, x: float, y: float) -> None:
        points = [] if kind == "touchEnd" else [{"x": x, "y": y, "id": 1}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", x0, y0)
    page.wait_for_timeout(350)
    for i in range(1, steps + 1):
        touch("touchMove", x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps)
        page.wait_for_timeout(25)
    page.wait_for_timeout(120)
    touch("touchEnd", x1, y1)


def mouse_drag(page: Page, source: Locator, target: Locator, steps: int = 12) -> None:
    """The same with a mouse: press, move in small steps onto the zone, release."""
    x0, y0, x1, y1 = _drag_points(page, source, target)
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + 6, y0 + 6, steps=2)
    page.mouse.move(x1, y1, steps=steps)
    page.wait_for_timeout(120)
    page.mouse.up()


def type_note(
    page: Page, selector: str, text: str, *, saved: bool = True, keys: bool = True
) -> None:
    """Type key by key as a person does (or paste, with keys=False), leave the field, and
    (unless the phone is offline) wait until the phone says it is saved."""
    area = page.locator(selector)
    area.click()
    if keys:
        area.press_sequentially(text, delay=5)
    else:
        area.fill(text)
    area.blur()
    if saved:
        expect(page.locator("#conn")).to_have_attribute("data-state", re.compile(r"^(live|saved)$"))


# --- accessibility ---------------------------------------------------------------------------


def load_axe(page: Page) -> None:
    """axe-core from the app itself (same origin: the CSP forbids inline script)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(url=AXE_URL)
        wait_until(page, "() => typeof window.axe === 'object'", "axe-core loaded")


def axe_violations(page: Page, label: str) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one line per node:
    `label: rule (impact): selector — what to fix`."""
    load_axe(page)
    results: list[dict] = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary,
                                          impact: n.impact}))}));
        }"""
    )
    lines = []
    for violation in results:
        for node in violation["nodes"]:
            impact = node["impact"] or violation["impact"]
            if impact in SERIOUS:
                summary = " ".join((node["summary"] or violation["help"]).split())
                lines.append(
                    f"{label}: {violation['id']} ({impact}): {node['target']} — {summary[:300]}"
                )
    return lines


def axe_rule_violations(page: Page, label: str, rules: tuple[str, ...]) -> list[str]:
    """Violations of the given axe-core rules, whatever their impact, one line per node."""
    load_axe(page)
    results: list[dict] = page.evaluate(
        """async rules => {
            const result = await axe.run(document, {runOnly: {type: 'rule', values: rules}});
            return result.violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target.join(' '))}));
        }""",
        list(rules),
    )
    return [f"{label}: {v['id']}: {node}" for v in results for node in v["nodes"] or ["page"]]


# A short CSS path to name an element in a failure message: the nearest id, then tags, classes
# and the attributes that tell elements apart here (long links are cut to their last part).
_CSS_PATH_JS = """
const cssPath = el => {
  const parts = [];
  for (let node = el; node && node.nodeType === 1 && parts.length < 4; node = node.parentElement) {
    if (node.id) { parts.unshift('#' + CSS.escape(node.id)); break; }
    let part = node.localName + [...node.classList].slice(0, 2).map(c => '.' + CSS.escape(c)).join('');
    for (const attr of ['data-role', 'data-factor', 'data-card', 'data-category', 'data-table-number',
                        'data-side', 'data-extent', 'name', 'value', 'aria-label', 'href', 'type']) {
      if (!node.hasAttribute(attr)) continue;
      const value = node.getAttribute(attr);
      part += value.length > 40 ? `[${attr}$="${value.slice(-30)}"]` : `[${attr}="${value}"]`;
      if (attr !== 'data-side') break;
    }
    parts.unshift(part);
  }
  return parts.join(' > ');
};
"""

# What a person can tap. Radio buttons and checkboxes count by their label, which is what a
# finger actually hits; 1x1 px visually hidden text (.sr-only) is not a target.
_TARGETS_JS = (
    "() => {"
    + _CSS_PATH_JS
    + """
  const shown = el => {
    if (el.closest('[hidden], [inert], details:not([open]) > :not(summary)')) return false;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || !el.getClientRects().length) return false;
    const box = el.getBoundingClientRect();
    return box.width > 1 && box.height > 1;
  };
  const out = [];
  const seen = new Set();
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]';
  for (const el of document.querySelectorAll(selector)) {
    let target = el;
    if (el.matches('input[type=radio], input[type=checkbox]') && el.labels && el.labels.length) target = el.labels[0];
    if (seen.has(target) || !shown(target)) continue;
    seen.add(target);
    const box = target.getBoundingClientRect();
    const text = (target.innerText || target.value || target.getAttribute('aria-label') || '').trim();
    out.push({selector: cssPath(target), width: Math.round(box.width * 10) / 10,
              height: Math.round(box.height * 10) / 10, text: text.replace(/\\s+/g, ' ').slice(0, 40)});
  }
  return out;
}"""
)


def small_targets(page: Page, label: str) -> list[str]:
    """Every visible button, link, input, select, textarea and summary under 44x44 px."""
    found: list[dict] = page.evaluate(_TARGETS_JS)
    return [
        f"{label}: {t['selector']} is {t['width']:g}x{t['height']:g} px ({t['text']!r})"
        for t in found
        if t["width"] < MIN_TARGET - 0.5 or t["height"] < MIN_TARGET - 0.5
    ]


# On a phone the browser widens its layout viewport to fit content that sticks out (and shows
# the page zoomed out), so innerWidth grows with the page: the phone's own width is clientWidth.
_OVERFLOW_JS = (
    "() => {"
    + _CSS_PATH_JS
    + """
  const width = document.documentElement.clientWidth;
  const clips = node => ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(node).overflowX);
  const sticksOut = box => box.width > 0 && box.right > width + 1;
  // Only the outermost culprits: not inside a scrolling box (that box scrolls, the page
  // doesn't), and not inside a parent that sticks out itself.
  const counts = el => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (clips(up)) return false;
    }
    const parent = el.parentElement;
    return parent === document.body || !sticksOut(parent.getBoundingClientRect());
  };
  // Not causes: hidden text, closed <details> (laid out once, then skipped), and fixed boxes
  // (a tray or a dialog spans the layout viewport, which the real culprits widen).
  const fixed = el => getComputedStyle(el).position === 'fixed';
  const skip = '.sr-only, script, style, template, details:not([open]) > :not(summary)';
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (!sticksOut(box) || el.closest(skip) || fixed(el) || !counts(el)) continue;
    wide.push(`${cssPath(el)} (right edge at ${Math.round(box.right)} px)`);
  }
  // Words too long for their box overflow it without making the box any wider.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let text = walker.nextNode(); text; text = walker.nextNode()) {
    const el = text.parentElement;
    if (!text.data.trim() || el.closest(skip)) continue;
    const range = document.createRange();
    range.selectNodeContents(text);
    const box = range.getBoundingClientRect();
    if (!sticksOut(box) || sticksOut(el.getBoundingClientRect()) || !counts(el)) continue;
    let clipped = false;
    for (let up = el; up && up !== document.body; up = up.parentElement) if (clips(up)) clipped = true;
    if (!clipped) wide.push(`text "${text.data.trim().slice(0, 30)}" in ${cssPath(el)} (right edge at ${Math.round(box.right)} px)`);
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, wide: wide.slice(0, 6)};
}"""
)


def horizontal_scroll(page: Page, label: str) -> list[str]:
    """At 200% zoom a phone page must reflow, not scroll sideways (WCAG 1.4.4 and 1.4.10)."""
    found: dict = page.evaluate(_OVERFLOW_JS)
    if found["scrollWidth"] <= found["width"] + 1:
        return []
    return [
        f"{label}: {found['scrollWidth']} px wide on a {found['width']}-px screen; "
        f"sticking out: {'; '.join(found['wide']) or '?'}"
    ]


# The focused element, and whether it shows that it has focus: an outline or a ring (box
# shadow), and for an outline drawn in a colour, its contrast with what lies around it
# (WCAG 2.4.7 visible, 1.4.11 at least 3:1 against the adjacent colour).
_FOCUS_JS = (
    "() => {"
    + _CSS_PATH_JS
    + """
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const parse = c => {
    const m = /rgba?\\(([^)]+)\\)/.exec(c || '');
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[\\s,/]+/).filter(Boolean).map(Number);
    return {r, g, b, a};
  };
  const luminance = ({r, g, b}) => {
    const f = v => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const backdrop = node => {
    for (; node; node = node.parentElement) {
      const c = parse(getComputedStyle(node).backgroundColor);
      if (c && c.a > 0.5) return c;
    }
    return {r: 255, g: 255, b: 255, a: 1};
  };
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const ring = Boolean(style.boxShadow) && style.boxShadow !== 'none';
  let contrast = null;
  let colours = '';
  const colour = parse(style.outlineColor);
  if (outline && style.outlineStyle !== 'auto' && colour) {
    // An outline with an offset lies on the parent's background, else on the element's edge.
    const behind = backdrop(parseFloat(style.outlineOffset) > 0 ? el.parentElement : el);
    const [hi, lo] = [luminance(colour), luminance(behind)].sort((x, y) => y - x);
    contrast = Math.round((hi + 0.05) / (lo + 0.05) * 100) / 100;
    colours = `rgb(${colour.r}, ${colour.g}, ${colour.b}) on rgb(${behind.r}, ${behind.g}, ${behind.b})`;
  }
  // A date input's calendar button lives in the browser's own shadow tree and draws the
  // browser's focus ring there; the input itself then does not match :focus.
  const inside = el.matches('input') && !el.matches(':focus');
  el.dataset.kbSeen = '1';
  if (el.type === 'radio' && el.name) document.querySelectorAll(`input[type=radio][name="${el.name}"]`).forEach(r => r.dataset.kbSeen = '1');
  return {selector: cssPath(el), outline: outline || inside, ring, contrast: inside ? null : contrast, colours, outlineStyle: style.outlineStyle,
          outlineWidth: style.outlineWidth, boxShadow: style.boxShadow};
}"""
)

# Everything that should be in the tab order: shown, enabled, not tabindex=-1; a radio group
# counts once (Tab enters it, arrows move within it).
_TABBABLE_JS = (
    "() => {"
    + _CSS_PATH_JS
    + """
  const selector = 'a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.tabIndex < 0 || el.dataset.kbSeen) continue;
    if (el.closest('[hidden], [inert], details:not([open]) > :not(summary)')) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || !el.getClientRects().length) continue;
    out.push(cssPath(el));
  }
  return out;
}"""
)


@dataclass
class TabWalk:
    stops: list[dict]
    unreached: list[str]


def tab_through(page: Page, limit: int = 250) -> TabWalk:
    """Press Tab from the top of a freshly loaded page until focus has gone round once;
    record every stop, and what should have been a stop but never was."""
    stops: list[dict] = []
    first = None
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(_FOCUS_JS)
        if stop is None:
            break  # past the last element: focus left the page
        if first is None:
            first = stop["selector"]
        elif stop["selector"] == first:
            break  # round once
        stops.append(stop)
    return TabWalk(stops, page.evaluate(_TABBABLE_JS))


def focus_problems(walk: TabWalk, label: str) -> list[str]:
    """No visible focus, a focus outline too faint to see, or a control Tab never reaches."""
    problems = [
        f"{label}: {stop['selector']} shows no focus (outline {stop['outlineStyle']} "
        f"{stop['outlineWidth']}, box-shadow {stop['boxShadow']})"
        for stop in walk.stops
        if not (stop["outline"] or stop["ring"])
    ]
    faint: dict[str, list[str]] = {}
    for stop in walk.stops:
        if stop["contrast"] is not None and stop["contrast"] < 3 and not stop["ring"]:
            faint.setdefault(f"{stop['colours']} = {stop['contrast']}:1", []).append(
                stop["selector"]
            )
    problems += [
        f"{label}: focus outline {colours}, under 3:1 (WCAG 1.4.11), on {len(where)} "
        f"element(s), e.g. {where[0]}"
        for colours, where in faint.items()
    ]
    problems += [f"{label}: Tab never reaches {selector}" for selector in walk.unreached]
    return problems
