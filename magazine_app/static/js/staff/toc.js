// TOC editor: add, remove, reorder (up/down), change level, and pick a row's target page
// from the thumbnails. The form posts the rows in their on-screen order.
const list = document.getElementById("toc-list");

if (list) {
  const template = document.getElementById("toc-row-template");
  const picker = document.getElementById("picker");
  const help = document.getElementById("picker-help");
  let active = null;

  const syncLevel = (row) => {
    row.dataset.level = row.querySelector('[name="toc-level"]').value;
  };
  list.querySelectorAll("[data-row]").forEach(syncLevel);

  const activate = (row) => {
    if (active) active.classList.remove("is-active");
    active = row;
    if (!row) return;
    row.classList.add("is-active");
    const title = row.querySelector('[name="toc-title"]').value || "nouvelle entrée";
    help.textContent = `Choisissez la page de « ${title} ».`;
  };

  list.addEventListener("change", (event) => {
    const row = event.target.closest("[data-row]");
    if (row && event.target.name === "toc-level") syncLevel(row);
  });
  list.addEventListener("focusin", (event) => {
    const row = event.target.closest("[data-row]");
    if (row && row !== active) activate(row);
  });

  list.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-act]");
    if (!button) return;
    const row = button.closest("[data-row]");
    const act = button.dataset.act;
    if (act === "up" && row.previousElementSibling) {
      list.insertBefore(row, row.previousElementSibling);
      button.focus();
    } else if (act === "down" && row.nextElementSibling) {
      list.insertBefore(row.nextElementSibling, row);
      button.focus();
    } else if (act === "remove") {
      const next = row.nextElementSibling || row.previousElementSibling;
      if (row === active) activate(null);
      row.remove();
      if (next) next.querySelector('[name="toc-title"]').focus();
    } else if (act === "pick") {
      activate(row);
      if (window.matchMedia("(max-width: 999px)").matches) {
        picker.scrollIntoView({ behavior: "smooth", block: "start" });
      }
    }
  });

  document.getElementById("toc-add").addEventListener("click", () => {
    const row = template.content.firstElementChild.cloneNode(true);
    list.appendChild(row);
    syncLevel(row);
    activate(row);
    row.querySelector('[name="toc-title"]').focus();
  });

  picker.addEventListener("click", (event) => {
    const thumb = event.target.closest("[data-page]");
    if (!thumb) return;
    if (!active) {
      help.textContent = "Sélectionnez d'abord une entrée (bouton « Vignettes »).";
      return;
    }
    const input = active.querySelector('[name="toc-page"]');
    input.value = thumb.dataset.page;
    picker.querySelectorAll("[aria-pressed]").forEach((b) => b.removeAttribute("aria-pressed"));
    thumb.setAttribute("aria-pressed", "true");
    active.scrollIntoView({ behavior: "smooth", block: "center" });
    input.focus();
  });
}
