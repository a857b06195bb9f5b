// The facilitator's live feed of a whole workshop (every table's events), reconnecting with
// backoff. The dashboard, one table's view and the plenary all listen through this.
// Closed with 4403 (the key is not this workshop's, or the workshop is past its deletion date:
// docs/protocol.md), trying again cannot help: it stops, and onGone tells the page.
const CLOSE_REFUSED = 4403;

export function connectWorkshop(workshopId, key, { onMessage, onStatus = () => {}, onGone = () => {} }) {
  let delay = 500;
  function open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/workshops/${encodeURIComponent(workshopId)}?key=${encodeURIComponent(key)}`);
    socket.addEventListener("open", () => { delay = 500; onStatus(true); });
    socket.addEventListener("message", (e) => {
      let message;
      try { message = JSON.parse(e.data); } catch { return; }
      onMessage(message, socket);
    });
    socket.addEventListener("close", (event) => {
      onStatus(false);
      if (event.code === CLOSE_REFUSED) {
        onGone();
        return;
      }
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 8000);
    });
  }
  open();
}

// The "live / reconnecting…" badge next to a heading.
export function showStatus(element) {
  return (online) => {
    if (element.classList.contains("gone")) return;
    element.textContent = online ? element.dataset.online : element.dataset.offline;
    element.classList.toggle("online", online);
  };
}

// The same badge once the feed has stopped for good: it says why, in the page's language.
export function showGone(element) {
  return () => {
    element.textContent = element.dataset.gone;
    element.classList.remove("online");
    element.classList.add("gone");
    element.setAttribute("role", "alert");
  };
}
