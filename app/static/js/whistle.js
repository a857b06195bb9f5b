// The referee's whistle, synthesised with WebAudio (no sound file to download).
//
// Mobile browsers only allow sound after a user gesture, and iPhones only for a sound started
// inside one: so the context is made at once (suspended where the browser insists) and the
// first tap anywhere, on any button, resumes it and plays a silent sound (issue #19). Whether
// sound is allowed yet is kept on <html data-sound="on|off|none"> and told with a
// "kaartspel:sound" event, so that the page can ask people to tap for sound.

const Ctor = window.AudioContext || window.webkitAudioContext;
let context = null;

function tell() {
  const state = !context ? "none" : context.state === "running" ? "on" : "off";
  if (document.documentElement.dataset.sound === state) return;
  document.documentElement.dataset.sound = state;
  document.dispatchEvent(new CustomEvent("kaartspel:sound", { detail: state }));
}

function make() {
  if (context || !Ctor) return context;
  try {
    context = new Ctor();
  } catch {
    return null; // no audio output at all: the whistle is seen and felt, not heard
  }
  context.addEventListener("statechange", tell); // iPhones suspend it again after a call
  return context;
}

function unlock() {
  const audio = make();
  if (!audio || audio.state === "running") return;
  audio.resume().then(tell, () => {});
  const silence = audio.createBufferSource();
  silence.buffer = audio.createBuffer(1, 1, 22050);
  silence.connect(audio.destination);
  silence.start(0);
}
// touchend and click, not only pointerdown: Safari counts a tap as a gesture when it ends.
for (const type of ["pointerdown", "pointerup", "touchend", "click", "keydown"]) {
  window.addEventListener(type, unlock, { capture: true, passive: true });
}
make();
tell();

/** "on" (sound plays), "off" (a tap is needed first) or "none" (no audio on this device). */
export const soundState = () => document.documentElement.dataset.sound;

export function whistle() {
  if (navigator.vibrate) navigator.vibrate([300, 100, 300]);
  document.dispatchEvent(new CustomEvent("kaartspel:whistle"));
  if (!context || context.state !== "running") return false;
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
  return true;
}
