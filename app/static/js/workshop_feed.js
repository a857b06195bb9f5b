// The facilitator's live feed of a whole workshop (every table's events), reconnecting with
// backoff. The dashboard, one table's view and the plenary all listen through this.
export function connectWorkshop(workshopId, key, { onMessage, onStatus = () => {} }) {
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
    socket.addEventListener("close", () => {
      onStatus(false);
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 8000);
    });
  }
  open();
}

// The "live / reconnecting…" badge next to a heading.
export function showStatus(element) {
  return (online) => {
    element.textContent = online ? element.dataset.online : element.dataset.offline;
    element.classList.toggle("online", online);
  };
}
