// The interviewer's script, one step at a time: the current question big, its sub-questions as a
// checklist, previous/next. Where the interviewer is, and what is ticked, survives a reload.

import { fill } from "./strings.js";

export function createScript({ storageKey, onSide }) {
  const root = document.getElementById("script");
  if (!root) return null;
  const steps = [...root.querySelectorAll(".script-step")];
  const count = document.getElementById("script-count");
  const prev = document.getElementById("step-prev");
  const next = document.getElementById("step-next");
  let key = storageKey(1);
  let saved = read();
  root.classList.add("stepping");
  document.getElementById("script-nav").hidden = false;

  function read() {
    try {
      return JSON.parse(localStorage.getItem(key) || "null") ?? { step: 1, ticked: [] };
    } catch {
      return { step: 1, ticked: [] };
    }
  }
  function write() {
    try {
      localStorage.setItem(key, JSON.stringify(saved));
    } catch {
      // the script still works, it just forgets on reload
    }
  }

  function show(focusText = false) {
    saved.step = Math.min(Math.max(saved.step, 1), steps.length);
    steps.forEach((step, i) => {
      const current = i + 1 === saved.step;
      step.hidden = !current;
      step.classList.toggle("current", current);
    });
    const current = steps[saved.step - 1];
    count.textContent = fill(count.dataset.text, { n: saved.step });
    prev.disabled = saved.step === 1;
    next.disabled = saved.step === steps.length;
    for (const box of root.querySelectorAll("[data-sub]")) box.checked = saved.ticked.includes(box.dataset.sub);
    onSide(current.dataset.side ?? null);
    if (focusText) current.querySelector(".step-text").focus();
    write();
  }

  for (const step of steps) step.querySelector(".step-text").tabIndex = -1;
  prev.addEventListener("click", () => { saved.step -= 1; show(true); });
  next.addEventListener("click", () => { saved.step += 1; show(true); });
  root.addEventListener("change", (event) => {
    const box = event.target.closest("[data-sub]");
    if (!box) return;
    saved.ticked = saved.ticked.filter((s) => s !== box.dataset.sub);
    if (box.checked) saved.ticked.push(box.dataset.sub);
    write();
  });

  show();
  return {
    /** Each interview starts at question 1 with nothing ticked. */
    setRound(number) {
      const nextKey = storageKey(number);
      if (nextKey === key) return;
      key = nextKey;
      saved = read();
      show();
    },
  };
}
