// The table as the server last told it: a snapshot, then numbered events applied in order.
// A gap in the numbers means we missed something; the caller asks for a fresh snapshot.

export function createTable() {
  const state = {
    seq: null, // null until the first snapshot
    you: null,
    members: [],
    round: null,
    board: [],
    locked: false,
    notes: {},
    pictures: [],
  };
  let awaitingSnapshot = true;

  function takeSnapshot(message) {
    Object.assign(state, {
      seq: message.seq,
      you: message.you,
      members: message.members ?? [],
      round: message.round,
      board: message.board ?? [],
      locked: Boolean(message.locked),
      notes: { ...(message.notes ?? {}) },
      pictures: message.pictures ?? [],
    });
    awaitingSnapshot = false;
  }

  /** Returns "applied" | "duplicate" | "gap" | "waiting". */
  function applyEvent(event) {
    if (awaitingSnapshot || state.seq === null) return "waiting";
    if (event.seq <= state.seq) return "duplicate";
    if (event.seq > state.seq + 1) {
      awaitingSnapshot = true;
      return "gap";
    }
    state.seq = event.seq;
    if (event.board) state.board = event.board;
    if (typeof event.locked === "boolean") state.locked = event.locked;
    if (event.kind === "note" && event.field) state.notes = { ...state.notes, [event.field]: event.text ?? "" };
    if (event.round) state.round = event.round;
    if (event.members) state.members = event.members;
    if (event.pictures) state.pictures = event.pictures;
    return "applied";
  }

  return {
    state,
    takeSnapshot,
    applyEvent,
    /** After a reconnect or a resync request, events wait for the snapshot that follows. */
    expectSnapshot() {
      awaitingSnapshot = true;
    },
    get awaiting() {
      return awaitingSnapshot;
    },
  };
}
