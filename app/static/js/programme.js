// The programme link is /programme#links=s/<token>,… : the links ride in the fragment, which
// the browser never sends to a server (nor to its logs). Opened, this page moves them into
// the form and posts it, keeping the fragment in the address so that it can be kept again.
// The language switch keeps the fragment too. Without JavaScript, paste the links instead.
const PREFIX = "#links=";
const form = document.getElementById("programme-form");
const field = document.getElementById("programme-links");
const inView = document.querySelector("[data-programme-view]") !== null;

if (location.hash.startsWith(PREFIX)) {
  const switcher = document.querySelector("a.lang-switch");
  if (switcher) switcher.href = switcher.getAttribute("href") + location.hash;
  // Posted once: the view, or the form that says no link works, comes back filled in.
  if (!inView && form && field && !field.value.trim()) {
    field.value = decodeURIComponent(location.hash.slice(PREFIX.length)).split(",").join("\n");
    form.action = "/programme" + location.search + location.hash;
    form.requestSubmit();
  }
}
