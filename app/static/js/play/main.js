// The seat page: one table, one role. Wires the socket, the table state, the outbox and the
// views together. Every change is drawn from one place (render) out of the server's state plus
// the commands it has not confirmed yet, so the screen can never drift from the server's truth.

import { soundState, whistle } from "../whistle.js"; // shared with the facilitator's dashboard; unlocks audio on first tap
import { alertMessage, announce, confirmAction } from "./announce.js";
import { createBoard, zoneName } from "./board.js";
import { createCardDialog } from "./card-dialog.js";
import { createClock } from "./clock.js";
import { socket } from "./connect.js";
import { deck } from "./deck.js";
import { format } from "./format.js";
import { createHand } from "./hand.js";
import { renderMembers } from "./members.js";
import { byZone, freeCard, predict, predictNotes, zoneKey } from "./model.js";
import { createNotes } from "./notes.js";
import { createOutbox } from "./outbox.js";
import { createScript } from "./script.js";
import { fill, t } from "./strings.js";
import { createTable } from "./table.js";

const $ = (id) => document.getElementById(id);
const root = $("play");
const code = root.dataset.table;
const mySeat = Number(root.dataset.seat);
const myRole = root.dataset.role;
const asks = root.classList.contains("asks"); // reads the script (the interviewer)
const myRounds = format.roundsLedBy(myRole); // the rounds this phone's role tells its story in

const table = createTable();
const { state } = table;
// The minute to look at the cards is the respondent's; the interviewer, who says it, sees it too.
const clock = createClock({
  lookText(round) {
    if (myRole === round.respondent) return t("look.you");
    if (asks) return t("look.other", { role: t(`role.${round.respondent}`) });
    return null;
  },
});
let selected = null; // the factor chosen in the hand, waiting for a place on the board
let focusSide = null; // the half of the board the interviewer's current question is about
let dragging = false;
let online = false;
let everOnline = false;
let savedSomething = false;
let resyncTimer = null;
let retries = 0; // "busy" answers in a row, for backing off
let retryTimer = null;
let roundNumber = null;
let drawPending = false;
let wasDrawn = false;

// --- talking to the server ----------------------------------------------------------------

// The socket was opened by connect.js while this script loaded; it is listened to at the end of
// this file, when everything its messages touch exists.

const outbox = createOutbox({
  storageKey: `ks-outbox:${code}:${mySeat}`,
  transmit: (command) => socket.send(command),
  onChange() {
    if (outbox.size) savedSomething = true;
    showStatus();
    schedule();
  },
});

function send(fields) {
  return outbox.push(fields);
}

function resync() {
  socket.send({ type: "resync" });
  // Until the snapshot comes, events are ignored; ask again if it gets lost on the way.
  clearTimeout(resyncTimer);
  resyncTimer = setTimeout(() => table.awaiting && resync(), 5000);
}

function receive(message) {
  switch (message.type) {
    case "snapshot":
      table.takeSnapshot(message);
      clearTimeout(resyncTimer);
      if (!checkSeat(message.members, message.you)) return;
      roundChanged(message.round, {});
      outbox.settle(state.seq);
      schedule();
      break;
    case "event": {
      const result = table.applyEvent(message);
      if (result === "gap") resync();
      if (result !== "applied") return;
      if (message.members && !checkSeat(message.members)) return;
      if (message.round) roundChanged(message.round, { blow: message.round.whistle === true });
      outbox.settle(state.seq);
      schedule();
      break;
    }
    case "ack":
      retries = 0;
      outbox.ack(message.id, message.seq, state.seq);
      break;
    case "error":
      refused(message);
      break;
    default:
      break; // pong, or something newer than this page
  }
}

function refused(message) {
  if (message.retry) {
    // "Busy, try again": the same command (or, without an id, everything unconfirmed) once more.
    if (message.id ? outbox.retry(message.id) : retryAll()) {
      if (!message.id) alertMessage(message.message);
      return;
    }
    if (!message.id) {
      // Still busy after every retry (the database is away): ask again later, not at once.
      alertMessage(message.message);
      clearTimeout(retryTimer);
      retryTimer = setTimeout(resync, 8000);
      return;
    }
  }
  if (message.id) outbox.drop(message.id);
  alertMessage(message.message || t("error"));
  // The server's board is the truth: fetch it rather than guess what it kept.
  table.expectSnapshot();
  resync();
}

function retryAll() {
  if (retries >= 5) return false;
  retries += 1;
  clearTimeout(retryTimer);
  retryTimer = setTimeout(() => outbox.resend(), 500 * 2 ** retries);
  return true;
}

/** Our seat gone or our role changed (on another tab)? The server decides what page to show. */
function checkSeat(members, you) {
  const me = members.find((m) => m.id === mySeat);
  if (you === null || !me || me.role !== myRole) {
    window.location.reload();
    return false;
  }
  return true;
}

function roundChanged(round, { blow = false }) {
  clock.setRound(round);
  if (blow) {
    whistle();
    const notice = $("whistle-notice");
    if (!notice.open) notice.showModal();
  }
  if (round.status !== "ended" && $("whistle-notice").open) $("whistle-notice").close();
  // A new interview: the server follows with a fresh board and empty notes.
  if (round.number !== roundNumber) selected = null;
  roundNumber = round.number;
  script?.setRound(round.number);
}

/** Offline with unsent changes: say how many cards wait, so nobody lays them again. */
function showPending() {
  const box = $("pending");
  const commands = online ? [] : outbox.commands();
  box.hidden = commands.length === 0;
  if (!commands.length) return;
  const cards = new Set(commands.filter((c) => c.card).map((c) => c.card)).size;
  const text = cards ? t(cards === 1 ? "pending.one" : "pending.other", { n: cards }) : t("pending.notes");
  if (box.textContent !== text) box.textContent = text;
}

function showStatus() {
  showPending();
  const conn = $("conn");
  const mode = !online ? (everOnline ? "offline" : "connecting") : outbox.size ? "saving" : savedSomething ? "saved" : "live";
  if (conn.dataset.state === mode) return;
  conn.dataset.state = mode;
  conn.textContent = t(`conn.${mode}`);
  conn.title = mode === "offline" ? t("conn.offline.title") : "";
}

// --- what the phone may do ---------------------------------------------------------------

// The respondent whose interview it is lays the cards; the interviewer asks (app/game/permissions.py).
const mayPlace = () => state.round !== null && !state.locked && myRole === state.round.respondent;

const currentBoard = () => predict(state.board, outbox.commands(), deck.factorOf);

function placeFactor(factor, side, extent, position = null) {
  const board = currentBoard();
  const card = freeCard(board, deck.cardsOf(factor));
  if (!card || !mayPlace()) return null;
  if (deck.sideTaken(board, factor, side)) {
    alertMessage(t("taken"));
    schedule();
    return null;
  }
  const size = byZone(board).get(zoneKey(side, extent)).length;
  send({ type: "place", card, side, extent, position: position ?? size });
  confirmAction(t("said.placed", { card: deck.label(factor), zone: zoneName(side, extent) }));
  return card;
}

function moveCard(placement, side, extent, position) {
  send({ type: "place", card: placement.card, side, extent, position });
  if (side === placement.side && extent === placement.extent) {
    confirmAction(t("said.moved", { card: deck.label(placement), n: position + 1 }));
  } else {
    confirmAction(t("said.placed", { card: deck.label(placement), zone: zoneName(side, extent) }));
  }
}

function giveBack(placement) {
  send({ type: "return", card: placement.card });
  confirmAction(t("said.returned", { card: deck.label(placement) }));
}

function choose(factor) {
  selected = selected === factor ? null : factor;
  announce(selected ? t("said.selected", { card: deck.label(factor) }) : t("said.cancelled"));
  schedule();
  // Chosen: on to the places it can go (the tray), not 25 Shift+Tabs back to the board.
  if (selected) requestAnimationFrame(() => $("tray")?.querySelector(".target:not(:disabled)")?.focus({ preventScroll: true }));
}

function focusHandCard(factor) {
  const item = document.querySelector(`#hand .hand-item[data-factor="${CSS.escape(factor ?? "")}"]:not([hidden]) .hand-card`);
  (item ?? $("hand-title"))?.focus({ preventScroll: true });
}

/** Tap-to-place finished: hand the focus back to the hand, where the next card is chosen. */
function afterTapPlace(factor, card) {
  selected = null;
  schedule();
  requestAnimationFrame(() => {
    focusHandCard(factor);
    // A blank card needs its name: open it straight away.
    if (card && deck.factor(factor).blank) dialog?.open(card, currentBoard());
  });
}

// --- the views -----------------------------------------------------------------------------

const board = createBoard({
  onOpen(card) {
    if (mayPlace()) dialog?.open(card, currentBoard());
  },
  onPlace(side, extent) {
    const factor = selected;
    if (factor) afterTapPlace(factor, placeFactor(factor, side, extent));
  },
});

const hand = createHand({
  onSelect: choose,
  onPlace(side, extent) {
    const factor = selected;
    if (factor) afterTapPlace(factor, placeFactor(factor, side, extent));
  },
  onCancel: cancelChoice,
});

const dialog = createCardDialog({
  send,
  place: moveCard,
  giveBack,
  cardElement: (card) => board.element(card),
});

// Dragging is a bonus: its library loads only for those who lay cards, and only once the page
// works by tapping (after the first board is drawn), so that on a slow network it never holds
// up the snapshot. If it fails to load, tapping still does everything.
let drag = null;
let dragRequested = false;
function loadDrag() {
  if (!hand || dragRequested) return;
  dragRequested = true;
  import("./drag.js").then(({ enableDrag }) => {
    drag = enableDrag(dragHandlers);
    schedule();
  }).catch(() => {});
}
const dragHandlers = {
  allowed(dragged, side) {
    if (!mayPlace()) return false;
    return !deck.sideTaken(currentBoard(), dragged.dataset.factor, side, dragged.dataset.card ?? null);
  },
  onDropFromHand(factor, side, extent, index) {
    placeFactor(factor, side, extent, index);
    selected = null;
  },
  onMove(card, side, extent, index) {
    const placement = currentBoard().find((p) => p.card === card);
    if (placement) moveCard(placement, side, extent, index);
    else schedule();
  },
  onReturn(card) {
    const placement = currentBoard().find((p) => p.card === card);
    if (placement) giveBack(placement);
  },
  onDragging(now) {
    dragging = now;
    if (!now) schedule();
  },
};

const notes = createNotes({ send });

const script = createScript({
  storageKey: (round) => `ks-script:${code}:${round}`,
  onSide(side) {
    focusSide = side;
    schedule();
  },
});

function cancelChoice() {
  const factor = selected;
  choose(null);
  requestAnimationFrame(() => focusHandCard(factor));
}

$("whistle-test").addEventListener("click", () => whistle());
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && selected && !$("card-dialog")?.open) cancelChoice();
});
// Sound needs a first tap on this page; until then, ask for it (the tap itself unlocks it).
function showSound() {
  $("sound-on").hidden = soundState() !== "off";
}
document.addEventListener("kaartspel:sound", showSound);
$("sound-on").addEventListener("click", () => {
  $("sound-on").hidden = true;
  $("whistle-test").focus({ preventScroll: true });
});
showSound();

// --- drawing -------------------------------------------------------------------------------

function schedule() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    if (!dragging) render();
  });
}

function render() {
  if (state.seq === null || !state.round) return;
  const commands = outbox.commands();
  const current = predict(state.board, commands, deck.factorOf);
  const canPlace = mayPlace();
  if (selected && (!canPlace || !hand?.stillThere(current, selected))) selected = null;

  board.render(current, { canPlace, selected, focusSide });
  hand?.render(current, { canPlace, selected });
  drag?.setEnabled(canPlace);
  if (dialog) {
    if (!canPlace && $("card-dialog").open) $("card-dialog").close();
    else if (dialog.update(current) === "gone") announce(t("said.gone"));
  }
  notes.render(predictNotes(state.notes, commands), current);
  renderMembers(state.members, mySeat);

  const { round } = state;
  $("round-label").textContent = `${t("round", { n: round.number })} · ${t("sharing", { role: t(`role.${round.respondent}`) })}`;
  if (state.locked && !root.classList.contains("locked") && wasDrawn) announce($("locked").querySelector("p").textContent);
  if (!wasDrawn) setTimeout(loadDrag); // after this frame: the page works by tapping now
  wasDrawn = true;
  root.classList.toggle("locked", state.locked);
  $("locked").hidden = !state.locked;
  const latest = [...state.pictures].sort((a, b) => b.round - a.round)[0];
  const link = $("picture-link");
  link.hidden = !latest;
  if (latest) link.href = latest.url;
  for (const id of ["turn-later", "turn-done"]) $(id).hidden = true;
  if (myRounds.length && round.respondent !== myRole && !state.locked) {
    // The next round this role leads, else the last one it led.
    const next = myRounds.find((n) => n > round.number);
    const mine = next ?? myRounds[myRounds.length - 1];
    const banner = $(next ? "turn-later" : "turn-done");
    banner.textContent = fill(banner.dataset.text, { n: mine });
    banner.hidden = false;
  }
}

// --- listening -----------------------------------------------------------------------------

// What the socket said before this script ran (its opening, maybe the snapshot) comes first.
socket.listen({
  onOpen() {
    online = everOnline = true;
    table.expectSnapshot(); // the server sends one on every connect
    outbox.resend();
    showStatus();
  },
  onStatus(isOnline) {
    online = isOnline;
    showStatus();
  },
  onMessage: receive,
});
