// The facilitator's live view: every table's round, clock, cards, people and record, the
// tables that need help, and the whistle.
import { whistle } from "./whistle.js";
import { connectWorkshop, showGone, showStatus } from "./workshop_feed.js";

const panel = document.getElementById("rounds");
const announce = document.getElementById("dash-announce");
const helpSummary = document.getElementById("help-summary");
const labels = document.getElementById("dash-labels").content;
const word = (k) => labels.querySelector(`[data-k="${k}"]`)?.textContent ?? k;
// The workshop's format (app/game/format.py), as the page lists it: the roles in order, and the
// note fields whose text counts as "recorded".
const ROLES = [...labels.querySelectorAll("[data-role]")].map((el) => el.dataset.role);
const RECORDED = new Set([...labels.querySelectorAll("[data-recorded]")].map((el) => el.dataset.recorded));
const NO_CARDS_AFTER = 5 * 60_000;
const tables = new Map(); // table_id -> summary
let offset = 0; // server clock minus ours

function row(number) { return panel.querySelector(`tr[data-table-number="${number}"]`); }

function mmss(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

function remaining(round) {
  if (round.status === "running" && round.deadline) return round.deadline - (Date.now() + offset);
  return round.remaining_ms;
}

// Why a table may need the facilitator: said in words, not only by colour.
function needsHelp(t) {
  const reasons = [];
  const online = new Set(t.online ?? []);
  if (!t.members.some((m) => m.role === t.round.respondent)) reasons.push(word("help-no-respondent"));
  if (online.size === 0) reasons.push(word("help-nobody"));
  const played = t.round.duration_ms - remaining(t.round);
  if (t.round.status !== "waiting" && t.round.status !== "ended" && played >= NO_CARDS_AFTER && t.stimulating + t.hindering === 0) {
    reasons.push(word("help-no-cards"));
  }
  return reasons;
}

function seatsCell(t) {
  const online = new Set(t.online ?? []);
  const list = document.createElement("ul");
  list.className = "seat-chips";
  for (const role of ROLES) {
    const holders = t.members.filter((m) => m.role === role);
    const item = document.createElement("li");
    const connected = holders.some((m) => online.has(m.id));
    const state = connected ? "connected" : holders.length ? "seated" : "free";
    item.className = `chip-${state}`;
    item.textContent = word(`short-${role}`);
    item.title = `${word(role)}: ${word(state)}`;
    const spoken = document.createElement("span");
    spoken.className = "sr-only";
    spoken.textContent = ` (${word(role)}: ${word(state)})`;
    item.append(spoken);
    list.append(item);
  }
  return list;
}

function render(t) {
  const tr = row(t.number);
  if (!tr) return;
  tr.dataset.status = t.round.status;
  tr.querySelector('[data-cell="round"]').textContent = `${word("round")} ${t.round.number} · ${word(t.round.status)}`;
  tr.querySelector('[data-cell="clock"]').textContent = mmss(remaining(t.round));
  tr.querySelector('[data-cell="cards"]').textContent = `${t.stimulating} ${word("left")} · ${t.hindering} ${word("right")}`;
  const connected = (t.online ?? []).length;
  const members = tr.querySelector('[data-cell="members"]');
  const count = document.createElement("span");
  count.className = "seat-count";
  count.textContent = `${connected}/${t.members.length} ${word("connected")}`;
  members.replaceChildren(seatsCell(t), count);
  tr.querySelector('[data-cell="record"]').textContent = t.recorded ? word("written") : word("not-written");
  const reasons = needsHelp(t);
  tr.classList.toggle("needs-help", reasons.length > 0);
  tr.querySelector('[data-cell="help"]').textContent = reasons.length ? `⚠ ${reasons.join(", ")}` : "";
}

function renderAll() {
  for (const t of tables.values()) render(t);
  const helpless = [...tables.values()].filter((t) => needsHelp(t).length).map((t) => t.number).sort((a, b) => a - b);
  helpSummary.hidden = helpless.length === 0;
  helpSummary.textContent = helpless.length ? `${word("help-count")} ${helpless.join(", ")}` : "";
}

function apply(event) {
  const t = tables.get(event.table_id);
  if (!t) return;
  if (event.kind === "round") {
    offset = event.round.server_time - Date.now();
    if (event.round.number !== t.round.number) t.recorded = false; // a new round, a new record
    t.round = event.round;
    if (event.round.whistle) { whistle(); announce.textContent = `${t.number}: ${word("ended")}`; }
  } else if (event.kind === "board") {
    t.stimulating = event.stimulating; // the dashboard gets the counts, not the board
    t.hindering = event.hindering;
  } else if (event.kind === "members") {
    t.members = event.members;
  } else if (event.kind === "note" && RECORDED.has(event.field)) {
    if (event.text.trim()) t.recorded = true;
  }
}

connectWorkshop(panel.dataset.workshop, panel.dataset.key, {
  onStatus: showStatus(document.getElementById("dash-status")),
  onGone: showGone(document.getElementById("dash-status")),
  onMessage: (message) => {
    if (message.type === "dashboard") {
      tables.clear();
      for (const t of message.tables) {
        tables.set(t.table_id, t);
        offset = t.round.server_time - Date.now();
      }
    } else if (message.type === "event") {
      apply(message);
    } else if (message.type === "presence") {
      const t = tables.get(message.table_id);
      if (t) t.online = message.online;
    }
    renderAll();
  },
});

// Ending one table's round locks its board: ask first (the dialog's buttons say which).
const confirmDialog = document.getElementById("confirm-end");
function confirmEnd(number) {
  const title = document.getElementById("confirm-end-title");
  title.textContent = title.dataset.text.replace("{n}", number);
  confirmDialog.returnValue = "";
  confirmDialog.showModal();
  confirmDialog.querySelector('button[value="cancel"]').focus();
  return new Promise((resolve) => {
    confirmDialog.addEventListener("close", () => resolve(confirmDialog.returnValue === "end"), { once: true });
  });
}

// Buttons work without script (a form post); with script they don't reload the page.
for (const form of panel.querySelectorAll("[data-round-form]")) {
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = new FormData(form);
    if (e.submitter) body.set(e.submitter.name, e.submitter.value);
    if (body.get("action") === "end" && body.get("table") && !(await confirmEnd(body.get("table")))) return;
    // getAttribute: the buttons are named "action", which shadows form.action.
    await fetch(form.getAttribute("action"), { method: "POST", body, redirect: "manual" });
  });
}

setInterval(renderAll, 500);
