// The game's format as the page was rendered with it (<template id="format-data">, from
// app/game/format.py): who leads each round, the board's zones, the roles in their order.

const data = document.getElementById("format-data")?.content;
const all = (selector) => [...(data?.querySelectorAll(selector) ?? [])];

const leaders = new Map(all("[data-leader]").map((el) => [Number(el.dataset.number), el.dataset.leader]));

export const format = {
  /** Every zone as [side, extent], in board order: left before right, limited before large. */
  zones: all("[data-side]").map((el) => [el.dataset.side, el.dataset.extent]),
  /** The role ids, in the format's order (the member list sorts by it). */
  roles: all("[data-role]").map((el) => el.dataset.role),
  /** The rounds `role` leads (and lays the cards in), in order; empty for every other role. */
  roundsLedBy: (role) => [...leaders].filter(([, leader]) => leader === role).map(([n]) => n),
};
