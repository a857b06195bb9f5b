// The plenary round on the projector: one slide at a time, keyboard or click, live updates.
//
// Without script the slides are anchors (#slide-n) and CSS shows the targeted one. With
// script, arrows/space/Home/End step through, and while tables are still adding, the
// facilitator's live feed refreshes the slides in place (keeping the one on screen).
import { connectWorkshop } from "./workshop_feed.js";

const slides = document.getElementById("slides");
const position = document.getElementById("plenary-position");
const of = document.getElementById("plenary-words").content.querySelector('[data-k="of"]').textContent;
const [prev, next] = document.querySelectorAll(".plenary-nav [data-step]");

function count() { return slides.querySelectorAll(".slide").length; }

function current() {
  const match = /^#slide-(\d+)$/.exec(location.hash);
  return match ? Math.min(Math.max(1, Number(match[1])), count()) : 1;
}

function show(n) {
  slides.classList.add("js"); // from now on the script picks the slide, not :target
  const total = count();
  n = Math.min(Math.max(1, n), total);
  if (location.hash !== `#slide-${n}`) history.replaceState(null, "", `#slide-${n}`);
  for (const slide of slides.querySelectorAll(".slide")) slide.classList.toggle("is-current", slide.id === `slide-${n}`);
  prev.href = `#slide-${Math.max(1, n - 1)}`;
  next.href = `#slide-${Math.min(total, n + 1)}`;
  prev.setAttribute("aria-disabled", String(n === 1));
  next.setAttribute("aria-disabled", String(n === total));
  position.textContent = `${n} ${of} ${total}`;
}

document.addEventListener("keydown", (e) => {
  if (e.altKey || e.ctrlKey || e.metaKey || e.target.closest("input, textarea, select")) return;
  const steps = { ArrowRight: 1, ArrowDown: 1, PageDown: 1, " ": 1, ArrowLeft: -1, ArrowUp: -1, PageUp: -1 };
  if (e.key in steps) { e.preventDefault(); show(current() + steps[e.key]); }
  else if (e.key === "Home") { e.preventDefault(); show(1); }
  else if (e.key === "End") { e.preventDefault(); show(count()); }
});
for (const link of [prev, next]) {
  link.addEventListener("click", (e) => { e.preventDefault(); show(current() + Number(link.dataset.step)); });
}
slides.addEventListener("click", (e) => {
  if (e.target.closest("a, button, summary")) return;
  show(current() + (e.clientX < window.innerWidth / 3 ? -1 : 1));
});
window.addEventListener("hashchange", () => show(current()));

// Live: any table event makes the page fetch itself again and swap the slides in.
let refresh = null;
async function reload() {
  const response = await fetch(location.pathname + location.search, { headers: { Accept: "text/html" } });
  if (!response.ok) return;
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = page.getElementById("slides");
  if (!fresh) return;
  const at = current();
  slides.replaceChildren(...fresh.childNodes);
  show(at);
}

if (slides.dataset.key) { // a share link has no live feed
  connectWorkshop(slides.dataset.workshop, slides.dataset.key, {
    onMessage: (message) => {
      if (message.type !== "event" || !["board", "note", "round"].includes(message.kind)) return;
      clearTimeout(refresh);
      refresh = setTimeout(reload, 1500); // a burst of moves becomes one refresh
    },
  });
}
show(current());
