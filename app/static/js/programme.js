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

// The PDF takes a moment to make: its button says so meanwhile (as pdf_download.js does for
// the summary's link), posting the same form itself and handing the file to the browser.
const downloads = document.getElementById("programme-downloads");
downloads?.addEventListener("submit", async (event) => {
  const button = event.submitter;
  if (!button?.dataset.making) return; // the other downloads: the browser's own
  event.preventDefault();
  if (button.getAttribute("aria-busy") === "true") return;
  const label = button.textContent;
  button.setAttribute("aria-busy", "true");
  button.textContent = button.dataset.making;
  try {
    const response = await fetch(button.formAction, {
      method: "POST",
      body: new FormData(downloads),
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error(String(response.status));
    const name = /filename="([^"]+)"/.exec(response.headers.get("content-disposition") || "");
    const url = URL.createObjectURL(await response.blob());
    const save = document.createElement("a");
    save.href = url;
    save.download = name ? name[1] : "programme.pdf";
    document.body.append(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    button.textContent = label;
  } catch {
    button.textContent = button.dataset.failed;
    setTimeout(() => { button.textContent = label; }, 6000);
  } finally {
    button.removeAttribute("aria-busy");
  }
});
