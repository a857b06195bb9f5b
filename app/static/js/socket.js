// One websocket per phone, reconnecting with backoff when the venue Wi-Fi drops it.

export function connectTable(code, { onMessage, onStatus }) {
  let delay = 500;
  let socket;
  function open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws/tables/${encodeURIComponent(code)}`);
    socket.addEventListener("open", () => { delay = 500; onStatus(true); });
    socket.addEventListener("message", (event) => onMessage(JSON.parse(event.data)));
    socket.addEventListener("close", (event) => {
      onStatus(false);
      if (event.code === 4403 || event.code === 4404) { window.location.reload(); return; }
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 8000);
    });
  }
  open();
  return { send: (message) => socket?.readyState === WebSocket.OPEN && socket.send(JSON.stringify(message)) };
}
