// The facilitator's live view: every table's round, clock, cards and people, and the whistle.
import { whistle } from "./whistle.js";

const panel = document.getElementById("rounds");
const status = document.getElementById("dash-status");
const announce = document.getElementById("dash-announce");
const labels = document.getElementById("dash-labels").content;
const word = (k) => labels.querySelector(`[data-k="${k}"]`)?.textContent ?? k;
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

function render(t) {
  const tr = row(t.number);
  if (!tr) return;
  tr.dataset.status = t.round.status;
  tr.querySelector('[data-cell="round"]').textContent = `${word("round")} ${t.round.number} · ${word(t.round.status)}`;
  tr.querySelector('[data-cell="clock"]').textContent = mmss(remaining(t.round));
  tr.querySelector('[data-cell="cards"]').textContent = `${t.stimulating} ${word("left")} · ${t.hindering} ${word("right")}`;
  tr.querySelector('[data-cell="members"]').textContent = `${t.members.length} ${word("people")}`;
}

function apply(event) {
  const t = tables.get(event.table_id);
  if (!t) return;
  if (event.kind === "round") {
    offset = event.round.server_time - Date.now();
    t.round = event.round;
    if (event.round.whistle) { whistle(); announce.textContent = `${t.number}: ${word("ended")}`; }
  } else if (event.kind === "board") {
    t.stimulating = event.board.filter((p) => p.side === "stimulating").length;
    t.hindering = event.board.filter((p) => p.side === "hindering").length;
  } else if (event.kind === "members") {
    t.members = event.members;
  }
  render(t);
}

function connect(delay = 500) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const url = `${scheme}://${location.host}/ws/workshops/${panel.dataset.workshop}?key=${encodeURIComponent(panel.dataset.key)}`;
  const socket = new WebSocket(url);
  socket.addEventListener("open", () => { status.textContent = status.dataset.online; status.classList.add("online"); delay = 500; });
  socket.addEventListener("message", (e) => {
    const message = JSON.parse(e.data);
    if (message.type === "dashboard") {
      tables.clear();
      for (const t of message.tables) {
        tables.set(t.table_id, t);
        offset = t.round.server_time - Date.now();
        render(t);
      }
    } else if (message.type === "event") {
      apply(message);
    }
  });
  socket.addEventListener("close", () => {
    status.textContent = status.dataset.offline; status.classList.remove("online");
    setTimeout(() => connect(Math.min(delay * 2, 8000)), delay);
  });
}

// Buttons work without script (a form post); with script they don't reload the page.
for (const form of panel.querySelectorAll("[data-round-form]")) {
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = new FormData(form);
    if (e.submitter) body.set(e.submitter.name, e.submitter.value);
    // getAttribute: the buttons are named "action", which shadows form.action.
    await fetch(form.getAttribute("action"), { method: "POST", body, redirect: "manual" });
  });
}

setInterval(() => { for (const t of tables.values()) render(t); }, 500);
connect();
