// Who is at the table, kept true live as people join, change role or leave.

import { format } from "./format.js";
import { t } from "./strings.js";

const ROLE_ORDER = format.roles;

export function renderMembers(members, mySeat) {
  const list = document.getElementById("members");
  const items = [];
  const sorted = [...members].sort((a, b) => ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role));
  for (const member of sorted) {
    const li = document.createElement("li");
    li.className = "member" + (member.id === mySeat ? " you" : "");
    const role = document.createElement("span");
    role.className = "member-role";
    role.textContent = t(`role.${member.role}`);
    const name = document.createElement("span");
    name.className = "member-name";
    // textContent, never innerHTML: names are other people's input.
    name.textContent = member.id === mySeat ? t("you") : member.name || t("someone");
    li.append(role, name);
    items.push(li);
  }
  list.replaceChildren(...items);
  document.getElementById("members-count").textContent = String(members.length);
}
