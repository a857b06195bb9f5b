// The create page's deck editor: start from a deck of cards/ (or the deck already checked),
// edit categories and cards, see them as a phone's hand shows them. It writes the deck, in
// the deck file's keys, into the form's hidden own_deck field; the server checks it with the
// same schema as every other deck. Without JavaScript the page still takes a deck file.

const form = document.querySelector("form[action='/workshops']");
const editButton = document.getElementById("deck-edit");
const editor = document.getElementById("deck-editor");
const field = document.getElementById("own_deck");
const ownChoice = document.getElementById("deck-own");
const decks = JSON.parse(document.getElementById("editor-decks").dataset.json);
const words = JSON.parse(document.getElementById("editor-words").dataset.json);

let deck = null;
let edited = false;

function language() {
  const checked = form.querySelector("input[name=language]:checked");
  return checked ? checked.value : "nl";
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  node.append(...children.filter(Boolean));
  return node;
}

function fromCards(id) {
  const source = decks[id][language()] || Object.values(decks[id])[0];
  const copy = structuredClone(source);
  delete copy.conversion_types; // edited decks group the summary by their own categories
  return { ...copy, id: "own", language: language() };
}

function start() {
  let given = null;
  try {
    const carried = JSON.parse(field.value || "null");
    given = Array.isArray(carried) ? carried.find((d) => d.language === language()) || carried[0] : null;
  } catch {
    given = null;
  }
  deck = given ? structuredClone(given) : fromCards(Object.keys(decks)[0]);
}

function save() {
  deck.language = language();
  field.value = JSON.stringify([deck]);
  renderPreview();
}

function changed() {
  edited = true;
  save();
}

function input(label, value, onChange, attributes = {}) {
  const box = element("input", { value: value ?? "", "aria-label": label, ...attributes });
  box.addEventListener("input", () => {
    onChange(attributes.type === "number" ? Number(box.value) : box.value);
    changed();
  });
  return box;
}

function cardRow(factors, index, withRemove = true) {
  const factor = factors[index];
  return element(
    "li",
    { class: "editor-card" },
    input(words.code, factor.code, (v) => (factor.code = v.toUpperCase()), { class: "code", maxlength: "8" }),
    input(words.title, factor.title, (v) => (factor.title = v), { maxlength: "80" }),
    input(words.subtitle, factor.subtitle, (v) => (factor.subtitle = v), { maxlength: "200" }),
    withRemove &&
      element("button", {
        type: "button",
        class: "button subtle",
        text: "×",
        "aria-label": `${words.remove} ${factor.code}`,
        onclick: () => {
          factors.splice(index, 1);
          render();
          changed();
        },
      }),
  );
}

function nextCode(category) {
  const used = new Set(category.factors.map((f) => f.code));
  let n = category.factors.length + 1;
  while (used.has(`${category.code}${n}`)) n += 1;
  return `${category.code}${n}`;
}

function categoryBlock(index) {
  const category = deck.categories[index];
  const list = element("ul", { class: "editor-cards" }, ...category.factors.map((_, i) => cardRow(category.factors, i)));
  return element(
    "fieldset",
    { class: "editor-category" },
    element("legend", { text: `${words.category} ${index + 1}` }),
    element(
      "div",
      { class: "editor-card" },
      input(words.code, category.code, (v) => (category.code = v.toUpperCase()), { class: "code", maxlength: "7" }),
      input(words.category_title, category.title, (v) => (category.title = v), { maxlength: "80" }),
      element("button", {
        type: "button",
        class: "button subtle",
        text: words.remove_category,
        onclick: () => {
          deck.categories.splice(index, 1);
          render();
          changed();
        },
      }),
    ),
    list,
    element("button", {
      type: "button",
      class: "button",
      text: words.add_card,
      onclick: () => {
        category.factors.push({ code: nextCode(category), title: "", subtitle: "" });
        render();
        changed();
      },
    }),
  );
}

function render() {
  const choices = element(
    "select",
    { "aria-label": words.start_from, id: "editor-start" },
    ...Object.keys(decks).map((id) => element("option", { value: id, text: (decks[id][language()] || {}).title || id })),
  );
  const blankToggle = element("input", { type: "checkbox", id: "editor-blank" });
  blankToggle.checked = Boolean(deck.blank);
  blankToggle.addEventListener("change", () => {
    deck.blank = blankToggle.checked ? { code: "X", title: words.blank_title, subtitle: words.blank_subtitle } : undefined;
    if (!deck.blank) delete deck.blank;
    render();
    changed();
  });
  editor.replaceChildren(
    element(
      "div",
      { class: "editor-row" },
      choices,
      element("button", {
        type: "button",
        class: "button",
        text: words.start_again,
        onclick: () => {
          deck = fromCards(choices.value);
          render();
          changed();
        },
      }),
    ),
    element("label", { for: "editor-title", text: words.deck_title }),
    input(words.deck_title, deck.title, (v) => (deck.title = v), { id: "editor-title", maxlength: "120" }),
    element("label", { for: "editor-copies", text: words.copies }),
    input(words.copies, deck.copies, (v) => (deck.copies = v), { id: "editor-copies", type: "number", min: "1", max: "4" }),
    ...deck.categories.map((_, i) => categoryBlock(i)),
    element("button", {
      type: "button",
      class: "button",
      text: words.add_category,
      onclick: () => {
        const letters = new Set(deck.categories.map((c) => c.code));
        const code = "ABCDEFGHIJKLMNOPQRSTUVW".split("").find((l) => !letters.has(l)) || "Z";
        deck.categories.push({ code, title: "", factors: [{ code: `${code}1`, title: "", subtitle: "" }] });
        render();
        changed();
      },
    }),
    element("label", { class: "editor-blank" }, blankToggle, document.createTextNode(` ${words.blank}`)),
    deck.blank && element("ul", { class: "editor-cards" }, cardRow([deck.blank], 0, false)),
    element("div", { id: "editor-preview", "aria-live": "polite" }),
  );
  renderPreview();
}

// The preview uses the play page's markup for a hand of cards.
function renderPreview() {
  const target = document.getElementById("editor-preview");
  if (!target) return;
  const groups = [...deck.categories.map((c) => ({ code: c.code, title: c.title, factors: c.factors }))];
  if (deck.blank) groups.push({ code: deck.blank.code, title: words.other, factors: [deck.blank] });
  const cards = groups.reduce((n, g) => n + g.factors.length, 0) * (deck.copies || 0);
  target.replaceChildren(
    element(
      "section",
      { class: "deck-preview" },
      element("h3", { text: `${words.preview}: ${deck.title}` }),
      element("p", { class: "muted small", text: `${cards} ${words.cards}` }),
      ...groups.map((group) =>
        element(
          "div",
          { class: "hand-group" },
          element("h4", { class: "hand-cat" }, element("span", { class: "cat-code", text: group.code }), document.createTextNode(` ${group.title}`)),
          element(
            "ul",
            { class: "hand-list" },
            ...group.factors.map((f) =>
              element(
                "li",
                { class: "hand-item" },
                element(
                  "span",
                  { class: "hand-card" },
                  element("span", { class: "card-code", text: f.code }),
                  element("span", { class: "card-body" }, element("span", { class: "card-title", text: f.title }), element("span", { class: "card-sub", text: f.subtitle })),
                  element("span", { class: "copies", "aria-hidden": "true", text: `${deck.copies}×` }),
                ),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

editButton.hidden = false;
editButton.addEventListener("click", () => {
  ownChoice.checked = true;
  if (!deck) start();
  editor.hidden = false;
  render();
  save();
  document.getElementById("editor-title").focus();
});
form.addEventListener("change", (event) => {
  if (event.target.name === "language" && deck) {
    if (!edited) deck = fromCards(document.getElementById("editor-start")?.value || Object.keys(decks)[0]);
    render();
    save();
  }
});
