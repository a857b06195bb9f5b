// The hand: the cards not on the board, one entry per factor with how many copies are left,
// and the tray that appears once a card is chosen (tap a card, then tap where it goes).

import { deck } from "./deck.js";
import { freeCard } from "./model.js";
import { t } from "./strings.js";

const root = document.getElementById("hand");
const tray = document.getElementById("tray");

export function createHand({ onSelect, onPlace, onCancel }) {
  if (!root) return null;
  const empty = document.getElementById("hand-empty");
  const trayName = document.getElementById("tray-name");

  // Delegated: drag-and-drop leaves clones of hand cards behind, and they must work too.
  root.addEventListener("click", (event) => {
    const button = event.target.closest(".hand-card");
    if (button) onSelect(button.closest(".hand-item").dataset.factor);
  });
  tray.addEventListener("click", (event) => {
    const target = event.target.closest(".target");
    if (target && !target.disabled) onPlace(target.dataset.side, target.dataset.extent);
  });
  document.getElementById("tray-cancel").addEventListener("click", onCancel);

  return {
    render(board, { canPlace, selected }) {
      root.hidden = !canPlace;
      let any = false;
      for (const group of root.querySelectorAll(".hand-group")) {
        let groupAny = false;
        for (const li of group.querySelectorAll(".hand-item")) {
          const factor = li.dataset.factor;
          const cards = deck.cardsOf(factor);
          const left = cards.filter((c) => !board.some((p) => p.card === c)).length;
          li.hidden = left === 0;
          groupAny ||= left > 0;
          const button = li.querySelector(".hand-card");
          button.setAttribute("aria-pressed", String(selected === factor));
          const copies = li.querySelector(".copies");
          copies.textContent = `${left}×`;
          li.querySelector(".copies-sr").textContent = t("copies", { n: left });
          const lies = li.querySelector(".card-lies");
          const left_ = deck.sideTaken(board, factor, "stimulating");
          const right = deck.sideTaken(board, factor, "hindering");
          lies.textContent = left_ && right ? t("lies.both") : left_ ? t("lies.stimulating") : right ? t("lies.hindering") : "";
          lies.hidden = !lies.textContent;
          lies.dataset.side = left_ ? "stimulating" : "hindering";
        }
        group.hidden = !groupAny;
        const jump = root.querySelector(`.hand-jump [data-category="${CSS.escape(group.dataset.category)}"]`);
        if (jump) jump.hidden = !groupAny;
        any ||= groupAny;
      }
      empty.hidden = any;

      tray.hidden = !(canPlace && selected);
      if (canPlace && selected) {
        trayName.textContent = deck.label(selected);
        let anyTaken = false;
        for (const target of tray.querySelectorAll(".target")) {
          const taken = deck.sideTaken(board, selected, target.dataset.side);
          target.disabled = taken;
          target.title = taken ? t("taken") : "";
          anyTaken ||= taken;
        }
        tray.querySelector(".targets-note").hidden = !anyTaken;
      }
      document.body.classList.toggle("tray-open", !tray.hidden);
      // Messages (toast, flash) stand above the tray, not on it.
      document.body.style.setProperty("--tray-height", tray.hidden ? "0px" : `${tray.offsetHeight}px`);
    },
    /** Is the chosen factor still in the hand? (someone else may have laid its last copy) */
    stillThere: (board, factor) => freeCard(board, deck.cardsOf(factor)) !== null,
  };
}
