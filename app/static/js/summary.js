// The summary on the facilitator's laptop follows the tables: while cards are still being
// laid, the chart and the lists under it refresh themselves (share links stay as loaded).
import { connectWorkshop } from "./workshop_feed.js";
import "./pdf_download.js";

const live = document.getElementById("summary-live");
const REFRESHED = ["chart-panel", "summary-lists", "recommendations"];
let pending = null;

async function refresh() {
  const response = await fetch(location.pathname + location.search, { headers: { Accept: "text/html" } });
  if (!response.ok) return;
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  for (const id of REFRESHED) {
    const fresh = page.getElementById(id);
    const here = document.getElementById(id);
    if (!fresh || !here) continue;
    const open = here.querySelector("details")?.open; // keep the figures table as it was
    here.replaceWith(document.adoptNode(fresh));
    if (open) document.getElementById(id).querySelector("details").open = true;
  }
}

if (live?.dataset.key) {
  connectWorkshop(live.dataset.workshop, live.dataset.key, {
    onMessage: (message) => {
      if (message.type !== "event" || !["board", "note", "round"].includes(message.kind)) return;
      clearTimeout(pending);
      pending = setTimeout(refresh, 1500); // a burst of moves becomes one refresh
    },
  });
}
