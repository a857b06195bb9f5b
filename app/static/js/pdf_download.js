// The PDF report takes a few seconds to make the first time: its download link says so
// while it is being made, instead of a click that seems to do nothing. The file is fetched,
// then handed to the browser as a download under its own name; a second click meanwhile
// does nothing more. Without JavaScript the link is a plain download, as before.

const links = document.querySelectorAll("a[data-making]");

async function download(link) {
  if (link.getAttribute("aria-busy") === "true") return;
  const label = link.textContent;
  link.setAttribute("aria-busy", "true");
  link.textContent = link.dataset.making;
  try {
    const response = await fetch(link.href, { credentials: "same-origin" });
    if (!response.ok) throw new Error(String(response.status));
    const url = URL.createObjectURL(await response.blob());
    const save = document.createElement("a");
    save.href = url;
    save.download = link.getAttribute("download") || "report.pdf";
    document.body.append(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    link.textContent = label;
  } catch {
    link.textContent = link.dataset.failed;
    setTimeout(() => { link.textContent = label; }, 6000);
  } finally {
    link.removeAttribute("aria-busy");
  }
}

for (const link of links) {
  link.addEventListener("click", (event) => {
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    download(link);
  });
}
