// The round clock. The server owns the time: each round object carries the server's clock,
// so every phone counts down to the same deadline however wrong its own clock is.

import { t } from "./strings.js";
import { announce } from "./announce.js";

const $ = (id) => document.getElementById(id);

export function formatTime(ms) {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  return `${String(Math.floor(seconds / 60)).padStart(2, "0")}:${String(seconds % 60).padStart(2, "0")}`;
}

/** `lookText(round)`: what the minute to look at the cards says to this phone, or null for the
 *  roles it does not speak to (the other respondent has no cards in view). */
export function createClock({ lookText = () => null } = {}) {
  const clock = $("clock");
  const time = $("clock-time");
  const state = $("clock-state");
  const look = $("look");
  const lookLeft = $("look-left");
  const lookWords = $("look-text");
  let round = null;
  let offset = 0; // server time minus local time
  let warned = false;

  const serverNow = () => Date.now() + offset;

  function remaining() {
    if (!round) return 0;
    if (round.status === "running" && round.deadline != null) return Math.max(0, round.deadline - serverNow());
    return Math.max(0, round.remaining_ms ?? 0);
  }

  function tick() {
    if (!round) return;
    const left = remaining();
    const text = formatTime(left);
    if (time.textContent !== text) time.textContent = text;
    let label = "";
    let mode = round.status;
    if (round.status === "waiting") label = t("clock.waiting");
    else if (round.status === "paused") label = t("clock.paused");
    else if (round.status === "ended") label = t("clock.ended");
    else if (left === 0) { label = t("clock.up"); mode = "up"; }
    else if (left <= 60_000) mode = "last-minute";
    if (state.textContent !== label) state.textContent = label;
    state.hidden = !label;
    clock.dataset.state = mode;
    if (left > 60_000) warned = false;
    if (round.status === "running" && left > 0 && left <= 60_000 && !warned) {
      warned = true;
      announce(t("clock.minute"));
    }
    const lookFor = round.look_until != null && round.status === "running" ? round.look_until - serverNow() : 0;
    const words = lookFor > 0 ? lookText(round) : null;
    look.hidden = !words;
    if (words) {
      if (lookWords.textContent !== words) lookWords.textContent = words;
      lookLeft.textContent = formatTime(lookFor);
    }
  }

  setInterval(tick, 250);
  return {
    /** A round object from a snapshot or event: re-anchor to the server's clock. */
    setRound(next) {
      round = next;
      if (typeof next.server_time === "number") offset = next.server_time - Date.now();
      tick();
    },
  };
}
