// Keeps the "at this table" list true as others join, change role or leave.
import { connectTable } from "./socket.js";

const root = document.getElementById("table-live");
const list = document.getElementById("members");
const status = document.getElementById("live-status");
const labels = document.getElementById("role-labels").content;
const ROLE_ORDER = ["interviewer", "respondent1", "respondent2", "reporter", "observer"];
const mySeat = Number(root.dataset.seat);

const label = (selector) => labels.querySelector(selector)?.textContent ?? "";

function render(state) {
  const items = [];
  for (const role of ROLE_ORDER) {
    const holders = state.members.filter((m) => m.role === role);
    for (const member of holders.length ? holders : [null]) {
      const li = document.createElement("li");
      li.className = "member" + (member ? "" : " free") + (member && member.id === mySeat ? " you" : "");
      const roleSpan = document.createElement("span");
      roleSpan.className = "member-role";
      roleSpan.textContent = label(`[data-role="${role}"]`);
      const nameSpan = document.createElement("span");
      nameSpan.className = "member-name";
      // textContent, never innerHTML: names are other people's input.
      nameSpan.textContent = !member ? label('[data-label="free"]')
        : member.id === mySeat ? label('[data-label="you"]')
        : member.name || label('[data-label="someone"]');
      li.append(roleSpan, nameSpan);
      items.push(li);
    }
  }
  list.replaceChildren(...items);
}

connectTable(root.dataset.table, {
  onMessage(message) {
    if (message.type === "snapshot" || message.type === "members") {
      if (!message.members.some((m) => m.id === mySeat)) {
        window.location.reload(); // our seat is gone (we left on another tab): back to the join page
        return;
      }
      render(message);
    }
  },
  onStatus(online) {
    status.textContent = online ? status.dataset.online : status.dataset.offline;
    status.classList.toggle("online", online);
  },
});
