// The reporter's record and the observer's reflection: note fields saved as you type, and
// (for the reporter) every placed card's explanation, in board order.

import { deck } from "./deck.js";
import { inOrder } from "./model.js";
import { savedField } from "./fields.js";
import { zoneName } from "./board.js";

export function createNotes({ send }) {
  const fields = new Map();
  for (const area of document.querySelectorAll("textarea[data-note]")) {
    const field = area.dataset.note;
    fields.set(field, savedField(area, (text) => send({ type: "note", field, text })));
  }
  const list = document.getElementById("record-cards");
  const empty = document.getElementById("record-empty");
  const cards = new Map(); // card id -> { li, label, field }

  function entryFor(li, area, label, card) {
    return { li, label, field: savedField(area, (text) => send({ type: "explain", card, text })) };
  }
  // The page came with the record as it was (play.html): take those boxes over as they are.
  for (const li of list?.querySelectorAll("li[data-card]") ?? []) {
    cards.set(li.dataset.card, entryFor(li, li.querySelector("textarea"), li.querySelector("label"), li.dataset.card));
  }

  function cardItem(placement) {
    let entry = cards.get(placement.card);
    if (!entry) {
      const li = document.createElement("li");
      const label = document.createElement("label");
      const area = document.createElement("textarea");
      area.id = `record-${placement.card}`;
      area.rows = 2;
      area.maxLength = 2000;
      label.htmlFor = area.id;
      li.append(label, area);
      li.dataset.card = placement.card;
      entry = entryFor(li, area, label, placement.card);
      cards.set(placement.card, entry);
    }
    entry.label.textContent = `${deck.label(placement)} · ${zoneName(placement.side, placement.extent)}`;
    entry.li.className = `record-card ${placement.side}`;
    entry.field.show(placement.explanation);
    return entry;
  }

  return {
    render(notes, board) {
      for (const [name, field] of fields) field.show(notes[name] ?? "");
      if (!list) return;
      const placements = inOrder(board);
      const keep = new Set(placements.map((p) => p.card));
      for (const [card, entry] of cards) {
        if (!keep.has(card)) {
          entry.field.forget();
          entry.li.remove();
          cards.delete(card);
        }
      }
      placements.forEach((placement, index) => {
        const { li } = cardItem(placement);
        if (list.children[index] !== li) list.insertBefore(li, list.children[index] ?? null);
      });
      empty.hidden = placements.length > 0;
    },
  };
}
