// A placed card's actions: explain it, name it (blank cards), move it to another zone or up and
// down within its zone, or take it back into the hand. A native <dialog>: focus stays inside,
// Escape closes, and focus returns to the card.

import { deck } from "./deck.js";
import { byZone, zoneKey } from "./model.js";
import { savedField } from "./fields.js";
import { t } from "./strings.js";
import { zoneName } from "./board.js";

const $ = (id) => document.getElementById(id);

export function createCardDialog({ send, place, giveBack, cardElement }) {
  const dialog = $("card-dialog");
  if (!dialog) return null;
  const explain = savedField($("cd-explain"), (text) => card && send({ type: "explain", card, text }));
  const name = savedField($("cd-name"), (text) => card && send({ type: "name", card, text }));
  let card = null;
  let board = [];

  const current = () => board.find((p) => p.card === card);

  function fillIn() {
    const placement = current();
    if (!placement) return;
    $("cd-code").textContent = placement.factor;
    $("cd-title").textContent = deck.title(placement);
    const zone = byZone(board).get(zoneKey(placement.side, placement.extent));
    $("cd-where").textContent = `${zoneName(placement.side, placement.extent)} · ${t("position", { n: placement.position + 1, total: zone.length })}`;
    const blank = deck.factor(placement.factor).blank;
    $("cd-name-box").hidden = !blank;
    if (blank) name.show(placement.custom_name);
    explain.show(placement.explanation);
    let anyTaken = false;
    for (const button of dialog.querySelectorAll(".target")) {
      const here = button.dataset.side === placement.side && button.dataset.extent === placement.extent;
      const taken = deck.sideTaken(board, placement.factor, button.dataset.side, placement.card);
      button.disabled = here || taken;
      button.setAttribute("aria-pressed", String(here));
      button.title = taken ? t("taken") : "";
      anyTaken ||= taken;
    }
    dialog.querySelector(".targets-note").hidden = !anyTaken;
    $("cd-up").disabled = placement.position === 0;
    $("cd-down").disabled = placement.position >= zone.length - 1;
  }

  dialog.addEventListener("click", (event) => {
    const placement = current();
    if (!placement) return;
    const target = event.target.closest(".target");
    if (target && !target.disabled) {
      const size = byZone(board).get(zoneKey(target.dataset.side, target.dataset.extent)).length;
      place(placement, target.dataset.side, target.dataset.extent, size);
    } else if (event.target.closest("#cd-up")) {
      place(placement, placement.side, placement.extent, placement.position - 1);
    } else if (event.target.closest("#cd-down")) {
      place(placement, placement.side, placement.extent, placement.position + 1);
    } else if (event.target.closest("#cd-return")) {
      flush();
      giveBack(placement);
      dialog.close();
    }
  });

  function flush() {
    explain.flush();
    name.flush();
  }

  dialog.addEventListener("close", () => {
    flush();
    const closed = card;
    const factor = deck.factorOf(closed ?? "");
    card = null;
    // Back to the card (it may have been re-drawn meanwhile), or to the hand it went back to.
    requestAnimationFrame(() => {
      const target = cardElement(closed)?.querySelector(".placed-card")
        ?? document.querySelector(`#hand .hand-item[data-factor="${CSS.escape(factor)}"]:not([hidden]) .hand-card`)
        ?? document.getElementById("hand-title");
      target?.focus({ preventScroll: true });
    });
  });

  return {
    open(cardId, currentBoard) {
      card = cardId;
      board = currentBoard;
      $("cd-explain").value = "";
      $("cd-name").value = "";
      fillIn();
      dialog.showModal();
      // Straight to typing for the blank card's name, else the explanation is one tap away.
      if (!$("cd-name-box").hidden && !current()?.custom_name) $("cd-name").focus();
    },
    /** The board changed while open: follow the card, or close if it left the board. */
    update(currentBoard) {
      board = currentBoard;
      if (!card || !dialog.open) return;
      if (!current()) {
        card = null;
        dialog.close();
        return "gone";
      }
      fillIn();
      return null;
    },
  };
}
