// The page's words: the server renders them in the page language into <template id="strings">,
// with {name} where a value goes. Scripts never carry user-facing text of their own.

const words = new Map();
for (const el of document.getElementById("strings")?.content.querySelectorAll("[data-k]") ?? []) {
  words.set(el.dataset.k, el.textContent.trim());
}

/** Fill {name} placeholders in a text from the template (or a data-text attribute). */
export function fill(text, params = {}) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** The text for `key` in the page language. */
export function t(key, params) {
  return fill(words.get(key) ?? key, params);
}
