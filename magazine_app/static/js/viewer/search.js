// The in-viewer search box, against the recherche.json. Hits are listed with their
// snippet, open their page, and are highlighted over the image in normalised coordinates,
// so they follow every rendition and zoom level.
import { getJSON, HttpError } from "./api.js";
import { fmt } from "./layout.js";

export class Search {
  constructor(section, url, strings, { go, highlight }) {
    this.section = section;
    this.url = url;
    this.strings = strings;
    this.go = go;
    this.highlight = highlight;   // (Map page -> rects, current {page, rect}|null)
    this.form = section.querySelector("form");
    this.input = section.querySelector("input[type=search]");
    this.status = section.querySelector(".vsearch__status");
    this.list = section.querySelector(".vsearch__hits");
    this.nav = section.querySelector(".vsearch__nav");
    this.hits = [];
    this.index = -1;
    this.token = 0;
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.run(this.input.value);
    });
    this.list.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-index]");
      if (button) this.select(Number(button.dataset.index));
    });
    section.querySelector('[data-action="hit-next"]').addEventListener("click", () => this.step(1));
    section.querySelector('[data-action="hit-prev"]').addEventListener("click", () => this.step(-1));
  }

  async run(query) {
    const q = query.trim();
    const token = ++this.token;
    this.list.replaceChildren();
    this.hits = [];
    this.index = -1;
    this.nav.hidden = true;
    this.highlight(new Map(), null);
    if (!q) {
      this.status.textContent = "";
      return;
    }
    this.status.textContent = this.strings.searching;
    let data;
    try {
      data = await getJSON(`${this.url}?q=${encodeURIComponent(q)}`);
    } catch (error) {
      if (token === this.token) this.status.textContent = this.strings.searchError;
      if (!(error instanceof HttpError)) console.error(error);
      return;
    }
    if (token !== this.token) return;
    this.hits = data.hits || [];
    // Only readable pages are searched; for a preview reader the server adds a notice
    // that is the same whatever the query (it says nothing of the locked pages' text).
    const parts = [this.hits.length ? fmt(this.strings.hits, { n: this.hits.length }) : this.strings.noHits];
    if (data.notice) parts.push(String(data.notice));
    this.status.textContent = parts.join(" ");
    this.hits.forEach((hit, i) => {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.index = String(i);
      const page = document.createElement("span");
      page.className = "vsearch__page";
      page.textContent = fmt(this.strings.page, { label: hit.label || hit.page });
      const snippet = document.createElement("span");
      snippet.append(...markedSnippet(hit.snippet || ""));
      button.append(page, snippet);
      li.append(button);
      this.list.append(li);
    });
    this.nav.hidden = this.hits.length < 2;
    const byPage = new Map();
    for (const hit of this.hits) byPage.set(hit.page, [...(byPage.get(hit.page) || []), ...(hit.rects || [])]);
    this.byPage = byPage;
    this.highlight(byPage, null);
    if (this.hits.length) this.select(0, false);
  }

  select(index, focusPage = true) {
    if (!this.hits.length) return;
    this.index = (index + this.hits.length) % this.hits.length;
    const hit = this.hits[this.index];
    for (const button of this.list.querySelectorAll("button[data-index]")) {
      if (Number(button.dataset.index) === this.index) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
    }
    // The first rect of this hit among its page's rects marks "the current one".
    const before = this.hits.slice(0, this.index).filter((h) => h.page === hit.page)
      .reduce((n, h) => n + (h.rects || []).length, 0);
    this.highlight(this.byPage, { page: hit.page, rect: before });
    this.go(hit.page, focusPage);
  }

  step(delta) {
    this.select(this.index + delta);
  }
}

/** The snippet's text with its <mark> elements kept, everything else as plain text. */
function markedSnippet(html) {
  const nodes = [];
  const parts = String(html).split(/<mark>|<\/mark>/i);
  parts.forEach((part, i) => {
    const text = decode(part);
    if (i % 2 === 1) {
      const mark = document.createElement("mark");
      mark.textContent = text;
      nodes.push(mark);
    } else if (text) {
      nodes.push(document.createTextNode(text));
    }
  });
  return nodes;
}

function decode(text) {
  const doc = new DOMParser().parseFromString(`<p>${text.replace(/</g, "&lt;")}</p>`, "text/html");
  return doc.body.textContent || "";
}
