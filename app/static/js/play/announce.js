// Telling people what happened: quietly to screen readers, visibly for refusals.

const live = document.getElementById("announce");
const flashBox = document.getElementById("flash");
const toast = document.getElementById("toast");
const toastText = document.getElementById("toast-text");
let toastTimer = null;
let flashTimer = null;

/** A polite message for screen readers (visible text already shows the change). */
export function announce(text) {
  if (!live || !text) return;
  // Re-setting the same text is not announced again; clear first.
  live.textContent = "";
  requestAnimationFrame(() => { live.textContent = text; });
}

/** What your own tap did, said and briefly shown (the board may be scrolled out of sight). */
export function confirmAction(text) {
  announce(text);
  if (!flashBox || !text) return;
  flashBox.textContent = text; // aria-hidden: the live region already says it
  flashBox.hidden = false;
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => { flashBox.hidden = true; }, 2500);
}

/** A refusal or problem: shown on screen (role=alert) until dismissed or for a few seconds. */
export function alertMessage(text) {
  if (!toast || !text) return;
  toastText.textContent = text;
  toast.hidden = false;
  if (flashBox) flashBox.hidden = true; // the refusal matters more than what we thought happened
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { toast.hidden = true; }, 7000);
}

document.getElementById("toast-close")?.addEventListener("click", () => {
  toast.hidden = true;
});
