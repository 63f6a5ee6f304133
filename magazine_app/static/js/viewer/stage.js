// The pages on screen: one leaf per page, reused between turns; images chosen by the
// browser from `srcset` (thumb, screen, zoom renditions) for the displayed size and
// pixel density; links and search highlights drawn over the page in normalised
// coordinates. A locked page gets its blurred placeholder and the call to subscribe, never
// a request for its image (the payload has no URL for it anyway).
import { fit, fmt } from "./layout.js";

const GAP = 0;

export class Stage {
  constructor({ stage, sheet, lockTemplate, strings, onLink, onExpired }) {
    this.stage = stage;
    this.sheet = sheet;
    this.lockTemplate = lockTemplate;
    this.strings = strings;
    this.onLink = onLink;
    this.onExpired = onExpired;
    this.entries = null;
    this.leaves = new Map();
    this.view = [];
    this.hits = new Map();
    this.texts = new Map();
    this.preloaded = new Map();
    for (const leaf of sheet.querySelectorAll(".leaf[data-page]")) {
      this.leaves.set(Number(leaf.dataset.page), leaf);
      this.watch(leaf.querySelector(".leaf__img"));
    }
  }

  setEntries(pages) {
    const refreshed = this.entries !== null;
    this.entries = pages;
    for (const [number, leaf] of this.leaves) {
      const entry = this.entry(number);
      if (!entry) continue;
      if (refreshed && !entry.locked) this.setSources(leaf.querySelector(".leaf__img"), entry, true);
      this.decorate(leaf, entry);
    }
    this.preloaded.clear();
  }

  entry(number) {
    return this.entries ? this.entries[number - 1] : null;
  }

  ratio(number) {
    const entry = this.entry(number);
    if (entry && entry.height) return entry.width / entry.height;
    const leaf = this.leaves.get(number);
    return leaf ? Number(leaf.dataset.ratio) || 0.707 : 0.707;
  }

  /** Show these pages (one or two), reusing the leaves that stay. */
  show(view) {
    this.view = view.filter((n) => this.leaves.has(n) || this.entry(n));
    const wanted = this.view.map((n) => this.leaves.get(n) || this.create(n));
    for (const [number, leaf] of this.leaves) {
      if (!this.view.includes(number)) {
        leaf.remove();
        this.leaves.delete(number);
      }
    }
    wanted.forEach((leaf, i) => {
      if (this.sheet.children[i] !== leaf) this.sheet.insertBefore(leaf, this.sheet.children[i] || null);
    });
    const locked = wanted.filter((leaf) => leaf.classList.contains("leaf--locked"));
    for (const leaf of wanted) leaf.classList.toggle("leaf--hide-card", locked.length > 1 && leaf !== locked[locked.length - 1]);
    this.layout();
    return this.view;
  }

  /** Size the leaves to fit the stage; tell the browser the displayed width (`sizes`). */
  layout() {
    const style = getComputedStyle(this.stage);
    const wide = window.matchMedia("(min-width: 700px)").matches;
    const sideRoom = wide ? 128 : 16;
    const width = this.stage.clientWidth - sideRoom;
    const height = this.stage.clientHeight - (wide ? 24 : 16) - parseFloat(style.paddingTop || 0);
    const { height: h, widths } = fit(this.view.map((n) => this.ratio(n)), width - GAP, height);
    this.view.forEach((n, i) => {
      const leaf = this.leaves.get(n);
      if (!leaf) return;
      leaf.style.width = `${widths[i]}px`;
      leaf.style.height = `${h}px`;
      const img = leaf.querySelector(".leaf__img");
      if (img && img.srcset && !img.dataset.zoomed) img.sizes = `${Math.ceil(widths[i])}px`;
    });
    return { width: widths.reduce((a, w) => a + w, 0), height: h };
  }

  create(number) {
    const entry = this.entry(number);
    const leaf = document.createElement("div");
    leaf.className = "leaf";
    leaf.dataset.page = String(number);
    leaf.dataset.ratio = String(entry.width / entry.height || 0.707);
    const img = document.createElement("img");
    img.className = "leaf__img";
    img.decoding = "async";
    img.draggable = false;
    if (entry.locked) {
      img.src = entry.placeholder;
      img.classList.add("leaf__img--placeholder");
    } else {
      this.watch(img);
      this.setSources(img, entry, false);
    }
    leaf.append(img);
    this.decorate(leaf, entry);
    this.leaves.set(number, leaf);
    return leaf;
  }

  setSources(img, entry, keepZoom) {
    const zoomed = keepZoom && img.dataset.zoomed;
    if (!img.sizes || img.sizes.startsWith("min(")) img.sizes = "50vw";
    img.srcset = zoomed ? `${entry.zoom.url} ${entry.zoom.width}w` : srcsetOf(entry);
    img.src = zoomed ? entry.zoom.url : entry.screen.url;
    img.width = entry.screen.width;
    img.height = entry.screen.height;
  }

  /** Everything but the image: alternative text, placeholder, links, lock card. */
  decorate(leaf, entry) {
    const img = leaf.querySelector(".leaf__img");
    const values = { label: entry.label };
    leaf.classList.toggle("leaf--locked", entry.locked);
    if (entry.placeholder) leaf.style.backgroundImage = `url("${entry.placeholder}")`;
    if (entry.locked) {
      img.alt = fmt(this.strings.lockedAlt, values);
      if (!leaf.querySelector(".lockcard")) leaf.append(this.lockTemplate.content.cloneNode(true));
      return;
    }
    img.alt = fmt(this.strings.page, values);
    const describedBy = `alt-text-${entry.number}`;
    img.setAttribute("aria-describedby", describedBy);
    if (!leaf.querySelector(`#${describedBy}`)) {
      const text = document.createElement("div");
      text.className = "sr-only";
      text.id = describedBy;
      text.textContent = this.texts.get(entry.number) || "";
      leaf.append(text);
    }
    leaf.querySelector(".leaf__links")?.remove();
    if (entry.links && entry.links.length) leaf.append(this.links(entry));
    this.drawHits(leaf, entry.number);
  }

  links(entry) {
    const box = document.createElement("div");
    box.className = "leaf__links";
    for (const link of entry.links) {
      const a = document.createElement("a");
      a.className = "leaf__link";
      place(a, link.rect);
      if (link.page) {
        a.href = this.onLink.href(link.page);
        a.setAttribute("aria-label", fmt(this.strings.goTo, { n: link.page }));
        a.addEventListener("click", (event) => {
          event.preventDefault();
          this.onLink.go(link.page);
        });
      } else if (/^https?:\/\//i.test(link.uri || "")) {
        a.href = link.uri;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        a.setAttribute("aria-label", fmt(this.strings.external, { host: new URL(link.uri).host }));
      } else {
        continue;  // mailto:, javascript: and friends are not offered
      }
      box.append(a);
    }
    return box;
  }

  /** The page's text as the image's description (screen readers), once it is known. */
  setText(number, text) {
    this.texts.set(number, text);
    const node = document.getElementById(`alt-text-${number}`);
    if (node) node.textContent = text;
  }

  setHits(byPage, current) {
    this.hits = byPage;
    this.currentHit = current;
    for (const [number, leaf] of this.leaves) this.drawHits(leaf, number);
  }

  drawHits(leaf, number) {
    leaf.querySelectorAll(".leaf__hit").forEach((el) => el.remove());
    for (const [i, rect] of (this.hits.get(number) || []).entries()) {
      const mark = document.createElement("div");
      mark.className = "leaf__hit";
      if (this.currentHit && this.currentHit.page === number && this.currentHit.rect === i) mark.classList.add("is-current");
      place(mark, rect);
      leaf.append(mark);
    }
  }

  /** Switch the shown pages to the high-resolution rendition (after it has loaded). */
  sharpen() {
    for (const number of this.view) {
      const entry = this.entry(number);
      const img = this.leaves.get(number)?.querySelector(".leaf__img");
      if (!entry || entry.locked || !entry.zoom || !img || img.dataset.zoomed) continue;
      img.dataset.zoomed = "1";
      const hi = new Image();
      hi.decoding = "async";
      hi.src = entry.zoom.url;
      hi.decode().then(() => {
        img.srcset = `${entry.zoom.url} ${entry.zoom.width}w`;
        img.sizes = `${entry.zoom.width}px`;
        img.src = entry.zoom.url;
      }, () => {
        delete img.dataset.zoomed;
      });
    }
  }

  /** Fetch (and decode) the images of pages about to be shown, at the size they will have. */
  preload(numbers) {
    for (const number of numbers) {
      const entry = this.entry(number);
      if (!entry || entry.locked || this.preloaded.has(number) || this.leaves.has(number)) continue;
      const width = this.leaves.size ? Math.ceil(parseFloat(this.sheet.firstElementChild.style.width) || 600) : 600;
      const img = new Image();
      img.decoding = "async";
      img.sizes = `${width}px`;
      img.srcset = srcsetOf(entry);
      this.preloaded.set(number, img);
      img.decode().catch(() => {});
    }
  }

  whenShown() {
    const imgs = this.view.map((n) => this.leaves.get(n)?.querySelector(".leaf__img")).filter(Boolean);
    return Promise.all(imgs.map((img) => (img.complete ? Promise.resolve() : img.decode().catch(() => {}))));
  }

  watch(img) {
    if (!img || img.dataset.watched) return;
    img.dataset.watched = "1";
    img.addEventListener("error", () => {
      if (!img.classList.contains("leaf__img--placeholder")) this.onExpired();
    });
  }
}

export function srcsetOf(entry) {
  return ["thumb", "screen", "zoom"]  // storage.RENDITION_SIZES
    .filter((size) => entry[size])
    .map((size) => `${entry[size].url} ${entry[size].width}w`)
    .join(", ");
}

function place(el, rect) {
  const [x0, y0, x1, y1] = rect;
  el.style.left = `${x0 * 100}%`;
  el.style.top = `${y0 * 100}%`;
  el.style.width = `${Math.max(0, x1 - x0) * 100}%`;
  el.style.height = `${Math.max(0, y1 - y0) * 100}%`;
}
