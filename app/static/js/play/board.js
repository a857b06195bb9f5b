// The shared board: four zone lists filled from the (predicted) board. Placed cards are
// buttons for those who may lay cards (they open the card's actions), plain text for others.

import { deck, setTitle } from "./deck.js";
import { byZone, zoneKey } from "./model.js";
import { fill, t } from "./strings.js";

const root = document.getElementById("board");
const lists = new Map([...root.querySelectorAll(".zone-cards")].map((ol) => [zoneKey(ol.dataset.side, ol.dataset.extent), ol]));
const zones = new Map([...root.querySelectorAll(".zone")].map((z) => [zoneKey(z.dataset.side, z.dataset.extent), z]));

export const zoneName = (side, extent) => zones.get(zoneKey(side, extent))?.dataset.zoneName ?? `${side}, ${extent}`;

export function createBoard({ onOpen, onPlace }) {
  const items = new Map(); // card id -> <li>
  let editable = null;
  let drawn = false; // after the first drawing, new cards are marked as just arrived

  root.addEventListener("click", (event) => {
    const place = event.target.closest(".zone-place");
    if (place && !place.disabled) {
      onPlace(place.dataset.side, place.dataset.extent);
      return;
    }
    const card = event.target.closest("button.placed-card");
    if (card) onOpen(card.closest(".placed").dataset.card, card);
  });

  function item(placement) {
    let li = items.get(placement.card);
    if (!li) {
      li = document.createElement("li");
      li.className = "placed";
      li.dataset.card = placement.card;
      const face = document.createElement(editable ? "button" : "div");
      face.className = "placed-card";
      if (editable) {
        face.type = "button";
        face.setAttribute("aria-haspopup", "dialog");
      }
      const code = document.createElement("span");
      code.className = "card-code";
      const body = document.createElement("span");
      body.className = "card-body";
      const title = document.createElement("span");
      title.className = "card-title";
      const explanation = document.createElement("span");
      explanation.className = "card-expl";
      body.append(title, explanation);
      face.append(code, " ", body);
      li.append(face);
      items.set(placement.card, li);
      if (drawn) {
        li.classList.add("arrived");
        li.addEventListener("animationend", () => li.classList.remove("arrived"), { once: true });
      }
    }
    li.dataset.factor = placement.factor;
    const face = li.firstElementChild;
    const [code, body] = face.children;
    const [title, explanation] = body.children;
    // textContent only: names and explanations are what people typed.
    code.textContent = placement.factor;
    setTitle(title, deck.title(placement));
    explanation.textContent = placement.explanation || "";
    explanation.hidden = !placement.explanation;
    li.classList.toggle("blank", deck.factor(placement.factor).blank);
    if (editable) {
      face.setAttribute("aria-label", t("placed.label", { card: deck.label(placement), zone: zoneName(placement.side, placement.extent) }));
    }
    return li;
  }

  return {
    /** Show `board`; `selected` is the factor chosen in the hand (tap-to-place), if any. */
    render(board, { canPlace, selected, focusSide }) {
      if (editable !== canPlace) {
        editable = canPlace;
        items.clear(); // placed cards change from text to buttons and back
        for (const ol of lists.values()) ol.replaceChildren();
        drawn = false;
      }
      const focused = document.activeElement?.closest?.(".placed")?.dataset.card;
      const seen = new Set();
      for (const [key, placements] of byZone(board)) {
        const ol = lists.get(key);
        placements.forEach((placement, index) => {
          const li = item(placement);
          seen.add(placement.card);
          if (ol.children[index] !== li) ol.insertBefore(li, ol.children[index] ?? null);
        });
        const zone = zones.get(key);
        zone.querySelector(".zone-count").textContent = placements.length ? String(placements.length) : "";
        const button = zone.querySelector(".zone-place");
        button.hidden = !(canPlace && selected);
        if (canPlace && selected) {
          const taken = deck.sideTaken(board, selected, zone.dataset.side);
          button.disabled = taken;
          button.setAttribute("aria-label", taken ? t("taken") : fill(button.dataset.label, { card: deck.label(selected) }));
          button.title = taken ? t("taken") : "";
        }
      }
      for (const ol of lists.values()) {
        for (const child of [...ol.children]) {
          // Leftovers: cards that left the board, or drag-and-drop ghosts.
          const card = child.dataset.card;
          if (!card || !seen.has(card) || items.get(card) !== child) child.remove();
        }
      }
      for (const card of items.keys()) if (!seen.has(card)) items.delete(card);
      if (focused && !document.activeElement?.closest?.(".placed")) items.get(focused)?.firstElementChild.focus();
      drawn = true;
      root.dataset.focus = focusSide ?? "";
      root.classList.toggle("choosing", Boolean(canPlace && selected));
    },
    element: (card) => items.get(card),
  };
}
