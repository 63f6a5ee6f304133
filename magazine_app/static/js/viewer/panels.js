// The viewer's side panel (table of contents, search), the thumbnails strip and the text
// mode. Thumbnails are built when the strip first opens and load lazily, so a closed strip
// costs nothing.
import { currentTocIndex, fmt } from "./layout.js";

export class Panel {
  constructor(root, buttons, onOpenChange) {
    this.root = root;
    this.buttons = buttons;            // {toc: button, search: button}
    this.title = root.querySelector(".panel__title");
    this.onOpenChange = onOpenChange;
    this.current = null;
  }

  get open() {
    return this.current !== null;
  }

  toggle(name) {
    if (this.current === name) this.close();
    else this.show(name);
  }

  show(name) {
    this.current = name;
    this.root.hidden = false;
    for (const section of this.root.querySelectorAll("[data-panel]")) section.hidden = section.dataset.panel !== name;
    for (const [key, button] of Object.entries(this.buttons)) button.setAttribute("aria-expanded", String(key === name));
    this.title.textContent = this.buttons[name].getAttribute("aria-label");
    this.onOpenChange(name);
    const focusable = this.root.querySelector(`[data-panel="${name}"] input, [data-panel="${name}"] a[aria-current="true"], [data-panel="${name}"] a`);
    if (focusable) focusable.focus({ preventScroll: false });
  }

  close() {
    const was = this.current;
    this.current = null;
    this.root.hidden = true;
    for (const button of Object.values(this.buttons)) button.setAttribute("aria-expanded", "false");
    this.onOpenChange(null);
    if (was && this.buttons[was]) this.buttons[was].focus();
  }

  /** Mark the TOC entry the reader is in. */
  markToc(toc, page) {
    const links = this.root.querySelectorAll(".vtoc a");
    const index = currentTocIndex(toc, page);
    links.forEach((a, i) => {
      if (i === index) a.setAttribute("aria-current", "true");
      else a.removeAttribute("aria-current");
    });
  }
}

export class Thumbnails {
  constructor(nav, button, strings, go) {
    this.nav = nav;
    this.list = nav.querySelector(".thumbs__list");
    this.button = button;
    this.strings = strings;
    this.go = go;
    this.built = false;
    this.pages = null;
    this.list.addEventListener("click", (event) => {
      const target = event.target.closest("button[data-page]");
      if (target) this.go(Number(target.dataset.page));
    });
  }

  get open() {
    return !this.nav.hidden;
  }

  setPages(pages) {
    this.pages = pages;
    if (this.built) this.build();
  }

  toggle(view) {
    this.nav.hidden = !this.nav.hidden;
    this.button.setAttribute("aria-expanded", String(this.open));
    if (this.open) {
      if (!this.built && this.pages) this.build();
      this.mark(view, true);
    }
  }

  build() {
    this.list.replaceChildren();
    for (const page of this.pages) {
      const li = document.createElement("li");
      li.className = "thumbs__item";
      const button = document.createElement("button");
      button.type = "button";
      button.className = "thumbs__btn";
      button.dataset.page = String(page.number);
      const img = document.createElement("img");
      img.alt = "";
      img.loading = "lazy";
      img.decoding = "async";
      img.width = 64;
      img.height = Math.round(64 * (page.height / page.width || 1.414));
      img.style.setProperty("--r", String(page.width / page.height || 0.707));
      const label = document.createElement("span");
      label.textContent = page.label;
      if (page.locked) {
        img.src = page.placeholder;
        button.classList.add("thumbs__btn--locked");
        button.setAttribute("aria-label", fmt(this.strings.lockedThumb, { label: page.label }));
        label.prepend(lockIcon(), " ");
      } else {
        img.src = page.thumb.url;
        button.setAttribute("aria-label", fmt(this.strings.thumb, { label: page.label }));
      }
      button.append(img, label);
      li.append(button);
      this.list.append(li);
    }
    this.built = true;
  }

  mark(view, scroll = false) {
    if (!this.built) return;
    let first = null;
    for (const button of this.list.querySelectorAll("button[data-page]")) {
      const on = view.includes(Number(button.dataset.page));
      if (on) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
      if (on && !first) first = button;
    }
    if (first && (scroll || this.open)) first.scrollIntoView({ block: "nearest", inline: "center" });
  }
}

function lockIcon() {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", "thumbs__lock");
  svg.setAttribute("aria-hidden", "true");
  const use = document.createElementNS("http://www.w3.org/2000/svg", "use");
  use.setAttribute("href", "#i-lock");
  svg.append(use);
  return svg;
}

/** Text mode: the shown pages' text in reading order, in place of their images. */
export class TextMode {
  constructor(article, button, strings, loadText) {
    this.article = article;
    this.button = button;
    this.strings = strings;
    this.loadText = loadText;   // (number) => Promise<string|null>, null when locked
    this.on = false;
    this.token = 0;
  }

  toggle(view, pages) {
    this.on = !this.on;
    this.button.setAttribute("aria-pressed", String(this.on));
    this.article.hidden = !this.on;
    if (this.on) this.render(view, pages);
  }

  async render(view, pages) {
    if (!this.on) return;
    const token = ++this.token;
    this.article.replaceChildren(paragraph(this.strings.loadingText));
    const parts = await Promise.all(view.map(async (number) => {
      const label = pages ? pages[number - 1].label : String(number);
      try {
        return { label, text: await this.loadText(number) };
      } catch {
        return { label, text: undefined };
      }
    }));
    if (token !== this.token) return;
    this.article.replaceChildren(...parts.map(({ label, text }) => {
      const section = document.createElement("section");
      section.className = "textview__page";
      const heading = document.createElement("h2");
      heading.textContent = fmt(this.strings.page, { label });
      section.append(heading);
      if (text === null) section.append(paragraph(this.strings.lockedText));
      else if (text === undefined) section.append(paragraph(this.strings.textError));
      else if (!text.trim()) section.append(paragraph(this.strings.noText));
      else for (const block of text.split(/\n\s*\n/)) section.append(paragraph(unwrap(block)));
      return section;
    }));
    this.article.scrollTop = 0;
  }
}

function paragraph(text) {
  const p = document.createElement("p");
  p.textContent = text;
  return p;
}

/** Join a block's lines; a hyphen at a line end before a lowercase letter is a word cut. */
function unwrap(block) {
  return block.replace(/-\s*\n\s*(?=[a-zà-ÿ])/g, "").replace(/\s*\n\s*/g, " ");
}
