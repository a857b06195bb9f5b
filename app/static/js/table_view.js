// One table's board on the facilitator's laptop: the picture is redrawn by the server on
// every change, so what is seen here is exactly what the report will keep.
import { connectWorkshop, showGone, showStatus } from "./workshop_feed.js";

const figure = document.getElementById("live-board");
const img = document.getElementById("live-board-img");
const setStatus = showStatus(document.getElementById("table-status"));
const tableId = Number(figure.dataset.table);
const source = img.getAttribute("src");
let pending = null;

function redraw() {
  clearTimeout(pending);
  pending = setTimeout(() => { img.src = `${source}?v=${Date.now()}`; }, 300);
}

connectWorkshop(figure.dataset.workshop, figure.dataset.key, {
  onStatus: (online) => { setStatus(online); if (online) redraw(); },
  onGone: showGone(document.getElementById("table-status")),
  onMessage: (message) => {
    if (message.type === "event" && message.table_id === tableId && ["board", "round"].includes(message.kind)) redraw();
  },
});
