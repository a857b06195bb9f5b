// The referee's whistle, synthesised with WebAudio (no sound file to download).
// Mobile browsers only allow sound after a user gesture, so the first tap unlocks it.

let context = null;

function unlock() {
  const Ctor = window.AudioContext || window.webkitAudioContext;
  if (!Ctor) return;
  context = context || new Ctor();
  if (context.state === "suspended") context.resume();
}
for (const type of ["pointerdown", "keydown", "touchstart"]) {
  window.addEventListener(type, unlock, { capture: true, passive: true });
}

export function whistle() {
  if (navigator.vibrate) navigator.vibrate([300, 100, 300]);
  if (!context) return false;
  const now = context.currentTime;
  const gain = context.createGain();
  gain.connect(context.destination);
  gain.gain.setValueAtTime(0.0001, now);
  gain.gain.exponentialRampToValueAtTime(0.35, now + 0.03);
  gain.gain.setValueAtTime(0.35, now + 1.1);
  gain.gain.exponentialRampToValueAtTime(0.0001, now + 1.25);
  // Two close tones, warbled: the pea-whistle trill.
  for (const base of [2600, 2900]) {
    const osc = context.createOscillator();
    const lfo = context.createOscillator();
    const depth = context.createGain();
    osc.type = "sine";
    osc.frequency.value = base;
    lfo.frequency.value = 28;
    depth.gain.value = 90;
    lfo.connect(depth).connect(osc.frequency);
    osc.connect(gain);
    osc.start(now); lfo.start(now);
    osc.stop(now + 1.3); lfo.stop(now + 1.3);
  }
  document.dispatchEvent(new CustomEvent("kaartspel:whistle"));
  return true;
}
