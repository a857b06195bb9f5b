// The deck as the page was rendered with it (<template id="deck-data">): titles and card ids.

import { sideTaken } from "./model.js";

const factors = new Map(); // code -> { code, title, blank }
const factorOfCard = new Map(); // "A1-2" -> "A1"
const cardsOfFactor = new Map(); // "A1" -> ["A1-1", "A1-2"]

const data = document.getElementById("deck-data")?.content;
for (const el of data?.querySelectorAll("[data-code]") ?? []) {
  factors.set(el.dataset.code, { code: el.dataset.code, title: el.dataset.title, blank: el.hasAttribute("data-blank") });
}
for (const el of data?.querySelectorAll("[data-card]") ?? []) {
  const { card, factor } = el.dataset;
  factorOfCard.set(card, factor);
  if (!cardsOfFactor.has(factor)) cardsOfFactor.set(factor, []);
  cardsOfFactor.get(factor).push(card);
}

export const deck = {
  factor: (code) => factors.get(code) ?? { code, title: code, blank: false },
  factorOf: (card) => factorOfCard.get(card) ?? card.split("-")[0],
  cardsOf: (factor) => cardsOfFactor.get(factor) ?? [],
  /** What a card on the board is called: a blank card by the name the respondent gave it. */
  title(placementOrFactor) {
    const code = placementOrFactor.factor ?? placementOrFactor;
    const factor = this.factor(code);
    return (factor.blank && placementOrFactor.custom_name) || factor.title;
  },
  /** May this factor not go to `side`? Its other copy lies there already; blank cards are
   *  exempt (two different "other, namely …" factors may lie on one side). */
  sideTaken(board, factor, side, exceptCard = null) {
    return !this.factor(factor).blank && sideTaken(board, factor, side, exceptCard);
  },
  /** "A1 Toekomstdromen": for announcements and labels. */
  label(placementOrFactor) {
    const code = placementOrFactor.factor ?? placementOrFactor;
    return `${code} ${this.title(placementOrFactor)}`;
  },
};

/** Put a title into an element as text, with a line-break chance after each "/"
 *  ("Leidinggevenden/management" must fit a phone). Text nodes only: titles can be typed. */
export function setTitle(element, text) {
  const parts = text.split("/");
  const nodes = [];
  parts.forEach((part, i) => {
    nodes.push(document.createTextNode(i < parts.length - 1 ? `${part}/` : part));
    if (i < parts.length - 1) nodes.push(document.createElement("wbr"));
  });
  element.replaceChildren(...nodes);
}
