// Commands the server has not confirmed yet. Each has an id the phone makes up; the server
// applies an id once, so after a reconnect (or a reload: the outbox is kept in localStorage)
// everything unconfirmed is simply sent again. A command leaves the outbox when the event it
// caused has arrived (ack.seq <= the last seen seq), so the screen never flickers back.

const KEEP_FOR = 6 * 3600_000; // a phone that comes back the next day should not replay old edits
const TEXT_TARGET = { explain: (c) => `explain:${c.card}`, name: (c) => `name:${c.card}`, note: (c) => `note:${c.field}` };

/** An id the server accepts (^[A-Za-z0-9_-]+$), also on plain http where randomUUID is missing. */
export function commandId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function createOutbox({ storageKey, transmit, onChange }) {
  let items = load(); // [{ command, at, ackSeq, tries }]

  function load() {
    try {
      const stored = JSON.parse(localStorage.getItem(storageKey) || "[]");
      return stored.filter((i) => Date.now() - i.at < KEEP_FOR).map((i) => ({ ...i, ackSeq: null, tries: 0 }));
    } catch {
      return [];
    }
  }

  function save() {
    try {
      const unconfirmed = items.filter((i) => i.ackSeq === null).map(({ command, at }) => ({ command, at }));
      if (unconfirmed.length) localStorage.setItem(storageKey, JSON.stringify(unconfirmed));
      else localStorage.removeItem(storageKey);
    } catch {
      // private mode or full: the outbox still works for this page's lifetime
    }
  }

  function changed() {
    save();
    onChange();
  }

  return {
    /** Queue a command (without id) and send it if we can; returns it with its id. */
    push(fields) {
      const command = { ...fields, id: commandId() };
      // Typing sends many versions of one text; only the newest unconfirmed one matters.
      const target = TEXT_TARGET[command.type]?.(command);
      if (target) items = items.filter((i) => i.ackSeq !== null || TEXT_TARGET[i.command.type]?.(i.command) !== target);
      items.push({ command, at: Date.now(), ackSeq: null, tries: 0 });
      transmit(command);
      changed();
      return command;
    },
    /** After (re)connecting: send everything unconfirmed again, in order, with the same ids. */
    resend() {
      for (const item of items) if (item.ackSeq === null) transmit(item.command);
    },
    ack(id, seq, lastSeq) {
      const item = items.find((i) => i.command.id === id);
      if (item) item.ackSeq = seq;
      this.settle(lastSeq);
    },
    /** Drop commands whose effect the board now shows. */
    settle(lastSeq) {
      const before = items.length;
      items = items.filter((i) => i.ackSeq === null || lastSeq === null || i.ackSeq > lastSeq);
      if (items.length !== before) changed();
      else save();
    },
    /** The server refused a command: forget it, hand it back to show what failed. */
    drop(id) {
      const item = items.find((i) => i.command.id === id);
      items = items.filter((i) => i !== item);
      changed();
      return item?.command ?? null;
    },
    /** The server said "try again": do so a few times, then give up like a refusal. */
    retry(id) {
      const item = items.find((i) => i.command.id === id);
      if (!item) return false;
      item.tries += 1;
      if (item.tries > 4) return false;
      setTimeout(() => items.includes(item) && item.ackSeq === null && transmit(item.command), 500 * 2 ** item.tries);
      return true;
    },
    /** Everything not yet visible in the server's state, oldest first (for predicting). */
    commands: () => items.map((i) => i.command),
    get size() {
      return items.length;
    },
  };
}
