// One websocket per phone, reconnecting with backoff when the venue Wi-Fi drops it.
//
// Phones sleep, switch networks and walk out of range; a socket can look open long after the
// path behind it died. So we ping every 2 s, and a socket that has said nothing for 4.5 s is
// closed and reopened: the phone says "offline" within 5 s of losing the venue's Wi-Fi (issue
// #19), not after a minute. The browser's own offline event says it at once. Closing with
// 4403 (no seat) or 4404 (no table) means the page is stale.
//
// The socket opens at once and the page listens when it is ready (listen): on a slow network
// the handshake then overlaps with loading the rest of the page. What happens before anyone
// listens (open, messages, status) is kept and handed over in order.

const PING_EVERY = 2000;
const SILENT_TOO_LONG = 4500;
const CHECK_EVERY = 500;

export function connectTable(code) {
  let delay = 500;
  let socket = null;
  let retryTimer = null;
  let lastHeard = 0;
  let listener = null;
  const early = []; // [handler name, argument] until someone listens

  function tell(name, argument) {
    if (listener) listener[name](argument);
    else early.push([name, argument]);
  }
  const onOpen = () => tell("onOpen");
  const onStatus = (isOpen) => tell("onStatus", isOpen);
  const onMessage = (message) => tell("onMessage", message);

  function open() {
    clearTimeout(retryTimer);
    retryTimer = null;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/ws/tables/${encodeURIComponent(code)}`);
    socket = ws;
    ws.addEventListener("open", () => {
      delay = 500;
      lastHeard = Date.now();
      onStatus(true);
      onOpen();
    });
    ws.addEventListener("message", (event) => {
      lastHeard = Date.now();
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return; // not ours to understand; the next snapshot will put things right
      }
      onMessage(message);
    });
    ws.addEventListener("close", (event) => {
      if (socket !== ws) return;
      socket = null;
      onStatus(false);
      if (event.code === 4403 || event.code === 4404) {
        window.location.reload();
        return;
      }
      retryTimer = setTimeout(open, delay);
      delay = Math.min(delay * 2, 8000);
    });
  }

  function isOpen() {
    return socket?.readyState === WebSocket.OPEN;
  }

  function reconnect() {
    const dead = socket;
    socket = null;
    dead?.close();
    onStatus(false);
    open();
  }

  // Come back at once when the phone wakes up or the network returns, not after the backoff.
  // A socket that slept with the phone may look open but be dead: ask, and give it 5 seconds.
  function wake() {
    if (!socket) {
      open();
      return;
    }
    if (!isOpen()) return;
    const asked = Date.now();
    socket.send('{"type":"ping"}');
    setTimeout(() => {
      if (isOpen() && lastHeard < asked) reconnect();
    }, 5000);
  }
  // The network came back: a socket opened while it was away may hang; start afresh at once.
  window.addEventListener("online", () => {
    if (isOpen()) wake();
    else reconnect();
  });
  // The phone knows it lost the network: say so now, and keep commands for later.
  window.addEventListener("offline", () => {
    const dead = socket;
    socket = null;
    dead?.close();
    onStatus(false);
    clearTimeout(retryTimer);
    retryTimer = setTimeout(open, delay);
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") wake();
  });

  let lastPing = 0;
  setInterval(() => {
    if (!isOpen()) return;
    if (Date.now() - lastHeard > SILENT_TOO_LONG) {
      reconnect(); // a dead path can take a minute to report its close; don't wait for it
      return;
    }
    if (Date.now() - lastPing >= PING_EVERY) {
      lastPing = Date.now();
      socket.send('{"type":"ping"}');
    }
  }, CHECK_EVERY);

  open();
  return {
    isOpen,
    /** Start hearing the socket: what it said so far first, in order. */
    listen({ onMessage, onOpen = () => {}, onStatus = () => {} }) {
      listener = { onMessage, onOpen, onStatus };
      for (const [name, argument] of early.splice(0)) listener[name](argument);
    },
    /** Send a message; false when offline (the caller keeps it for later). */
    send(message) {
      if (!isOpen()) return false;
      socket.send(JSON.stringify(message));
      return true;
    },
  };
}
