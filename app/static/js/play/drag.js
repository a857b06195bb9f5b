// Drag and drop, the bonus on top of tapping: SortableJS connects the hand and the four zones,
// on touch and with a mouse. A drop only *asks* the server (place / return); the board is then
// drawn again from the (predicted) state, so whatever Sortable did to the DOM is replaced.

import Sortable from "../../vendor/sortablejs/sortable.esm.min.js";

export function enableDrag({ allowed, onDropFromHand, onMove, onReturn, onDragging }) {
  const zoneLists = [...document.querySelectorAll("#board .zone-cards")];
  const handLists = [...document.querySelectorAll("#hand .hand-list")];
  if (!handLists.length) return null; // this role never lays cards
  const common = {
    animation: 150,
    delay: 180, // on touch, a short press starts a drag so that a swipe still scrolls
    delayOnTouchOnly: true,
    fallbackTolerance: 4,
    scroll: true,
    bubbleScroll: true,
    scrollSensitivity: 90,
    ghostClass: "drag-ghost",
    chosenClass: "drag-chosen",
    dragClass: "drag-moving",
    onStart: () => onDragging(true),
    onEnd: () => onDragging(false),
  };
  const sortables = [];

  for (const list of handLists) {
    sortables.push(Sortable.create(list, {
      ...common,
      sort: false,
      draggable: ".hand-item",
      group: {
        name: "cards",
        pull: "clone",
        put: (to, from, dragged) => dragged.classList.contains("placed"), // back to the hand
      },
      onAdd(event) {
        const card = event.item.dataset.card;
        event.item.remove();
        onReturn(card);
      },
    }));
  }
  for (const list of zoneLists) {
    sortables.push(Sortable.create(list, {
      ...common,
      draggable: ".placed",
      emptyInsertThreshold: 24,
      group: {
        name: "cards",
        pull: true,
        put: (to, from, dragged) => allowed(dragged, to.el.dataset.side),
      },
      onAdd(event) {
        const { side, extent } = list.dataset;
        if (event.item.classList.contains("hand-item")) {
          const factor = event.item.dataset.factor;
          event.item.remove(); // the clone stays in the hand; the board is redrawn from state
          onDropFromHand(factor, side, extent, event.newDraggableIndex);
        } else {
          onMove(event.item.dataset.card, side, extent, event.newDraggableIndex);
        }
      },
      onUpdate(event) {
        onMove(event.item.dataset.card, list.dataset.side, list.dataset.extent, event.newDraggableIndex);
      },
    }));
  }
  return {
    setEnabled(enabled) {
      for (const sortable of sortables) sortable.option("disabled", !enabled);
    },
  };
}
