// Text that saves itself as you type (debounced), and takes news from the server only while
// you are not typing in it: an event for the field you are editing never clobbers your words.

const DELAY = 600;
const all = new Set();

/** A text box as tall as its text (never cut mid-line): field-sizing where the browser has
 *  it, else measured. Hidden boxes measure 0 and are left alone until shown. */
export function grow(element) {
  if (!element.isConnected || CSS.supports?.("field-sizing", "content")) return;
  if (!element.offsetParent) return;
  element.style.height = "auto";
  const border = element.offsetHeight - element.clientHeight;
  element.style.height = `${element.scrollHeight + border}px`;
}

export function savedField(element, save) {
  let timer = null;
  const field = {
    element,
    /** Send now what is waiting for the debounce (on blur, close, or leaving the page). */
    flush() {
      if (timer === null) return;
      clearTimeout(timer);
      timer = null;
      save(element.value);
    },
    /** Show the server's (predicted) text unless the person is busy with this field. */
    show(text) {
      if (document.activeElement === element || timer !== null) return;
      if (element.value !== text) element.value = text ?? "";
      grow(element);
    },
    /** The thing this text belongs to is gone: drop what was waiting, stop saving. */
    forget() {
      clearTimeout(timer);
      timer = null;
      all.delete(field);
    },
  };
  element.addEventListener("input", () => {
    grow(element);
    clearTimeout(timer);
    timer = setTimeout(() => field.flush(), DELAY);
  });
  element.addEventListener("blur", () => field.flush());
  all.add(field);
  return field;
}

export function flushAll() {
  for (const field of all) field.flush();
}

// A phone locks its screen mid-sentence: send what was typed before the page sleeps.
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "hidden") flushAll();
});
window.addEventListener("pagehide", flushAll);
