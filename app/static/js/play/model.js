// The board as data: zones, the one placement rule the phone checks early, and predicting the
// board from the server's board plus the commands the server has not confirmed yet. Pure but
// for the zones, which are the format's (format.js).

import { format } from "./format.js";

export const ZONES = format.zones;

export const zoneKey = (side, extent) => `${side}-${extent}`;

/** Placements per zone, in board order. */
export function byZone(board) {
  const zones = new Map(ZONES.map(([side, extent]) => [zoneKey(side, extent), []]));
  for (const placement of board) zones.get(zoneKey(placement.side, placement.extent))?.push(placement);
  for (const list of zones.values()) list.sort((a, b) => a.position - b.position);
  return zones;
}

/** Every placement in reading order: left before right, limited before large, top to bottom. */
export function inOrder(board) {
  return [...byZone(board).values()].flat();
}

/** A factor lies on a side at most once (its other copy may lie on the other side). */
export function sideTaken(board, factor, side, exceptCard = null) {
  return board.some((p) => p.factor === factor && p.side === side && p.card !== exceptCard);
}

/** The first copy of a factor that is still in the hand, or null. */
export function freeCard(board, cards) {
  const placed = new Set(board.map((p) => p.card));
  return cards.find((card) => !placed.has(card)) ?? null;
}

function renumber(board) {
  const out = [];
  for (const list of byZone(board).values()) list.forEach((p, i) => out.push({ ...p, position: i }));
  return out;
}

/** The board after one command, as the server would make it (the server stays the judge). */
export function applyCommand(board, command, factorOf) {
  const current = board.find((p) => p.card === command.card);
  switch (command.type) {
    case "place": {
      const rest = board.filter((p) => p.card !== command.card);
      const moved = {
        ...(current ?? { card: command.card, factor: factorOf(command.card), explanation: "", custom_name: "" }),
        side: command.side,
        extent: command.extent,
      };
      const zones = byZone(rest);
      const zone = zones.get(zoneKey(command.side, command.extent));
      if (!zone) return board;
      zone.splice(Math.min(command.position, zone.length), 0, moved);
      const out = [];
      for (const list of zones.values()) list.forEach((p, i) => out.push({ ...p, position: i }));
      return out;
    }
    case "return":
      return renumber(board.filter((p) => p.card !== command.card));
    case "explain":
      return current ? board.map((p) => (p === current ? { ...p, explanation: command.text } : p)) : board;
    case "name":
      return current ? board.map((p) => (p === current ? { ...p, custom_name: command.text } : p)) : board;
    default:
      return board;
  }
}

/** What the table will look like once the pending commands land. */
export function predict(board, commands, factorOf) {
  return commands.reduce((next, command) => applyCommand(next, command, factorOf), board);
}

export function predictNotes(notes, commands) {
  const next = { ...notes };
  for (const command of commands) if (command.type === "note") next[command.field] = command.text;
  return next;
}
