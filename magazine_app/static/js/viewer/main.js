// The viewer: state, navigation, URL and history, keyboard, and the wiring of the parts.
// The page asked for is already in the HTML (its image is downloading before this runs);
// this script fetches pages.json, then shows spreads, preloads neighbours, and so on.
import { getJSON, HttpError, PositionSaver, ReadingClock } from "./api.js";
import { fmt, nextPage, prevPage, resolvePage, viewLabel, viewOf, wantsSpread } from "./layout.js";
import { Panel, TextMode, Thumbnails } from "./panels.js";
import { Search } from "./search.js";
import { Stage } from "./stage.js";
import { attachGestures } from "./gestures.js";
import { STEP, Zoom } from "./zoom.js";

const root = document.getElementById("viewer");
const $ = (selector) => root.querySelector(selector);
const buttons = (action) => root.querySelectorAll(`[data-action="${action}"]`);
const strings = JSON.parse(document.getElementById("viewer-strings").textContent);
const data = root.dataset;
const count = Number(data.pageCount);
const LAYOUT_KEY = "mgz-viewer-layout";

const state = {
  page: Number(data.page),
  payload: null,
  mode: localStorage.getItem(LAYOUT_KEY) || "auto",
  spread: false,
  view: [Number(data.page)],
  firstView: true,
  navigated: false,
  resume: data.resume ? Number(data.resume) : null,
  refreshing: null,
};

const stageEl = $("#stage");
const sheet = $("#sheet");
const stage = new Stage({
  stage: stageEl,
  sheet,
  lockTemplate: document.getElementById("lock-template"),
  strings,
  onLink: { href: pageUrl, go: (page) => goTo(page, { push: true }) },
  onExpired: refreshPayload,
});
const zoom = new Zoom(stageEl, sheet, onZoom);
const position = new PositionSaver(data.positionUrl || null);
const clock = new ReadingClock(data.eventsUrl, 1000 * Number(data.eventsInterval));
const panel = new Panel($("#panel"), { toc: $('[data-action="toc"]'), search: $('[data-action="search"]') }, () => {
  requestAnimationFrame(relayout);
});
const thumbs = new Thumbnails($("#thumbs"), $('[data-action="thumbs"]'), strings, (page) => goTo(page, { push: true }));
const textMode = new TextMode($("#textview"), $('[data-action="text"]'), strings, loadText);
const texts = new Map();
new Search(root.querySelector('[data-panel="search"]'), data.searchUrl, strings, {
  go: (page) => { if (!state.view.includes(page)) goTo(page, { push: true }); },
  highlight: (byPage, current) => stage.setHits(byPage, current),
});

function pageUrl(page) {
  return `${data.baseUrl}${page}`;
}

// ------------------------------------------------------------------ navigation

function goTo(page, { push = false, keepZoom = false } = {}) {
  const target = Math.min(Math.max(1, Number(page) || 1), count);
  state.page = target;
  state.navigated = true;
  if (history.state?.page !== target) {
    history[push ? "pushState" : "replaceState"]({ page: target }, "", pageUrl(target));
  }
  if (!keepZoom) zoom.reset();
  hideResume();
  render();
}

function next() {
  const page = nextPage(state.page, count, state.spread);
  if (page) goTo(page);
}

function prev() {
  const page = prevPage(state.page, count, state.spread);
  if (page) goTo(page);
}

function render() {
  const pages = state.payload ? state.payload.pages : null;
  const wanted = viewOf(state.page, count, state.spread);
  state.view = stage.show(pages ? wanted : wanted.filter((n) => stage.leaves.has(n)));
  const label = viewLabel(state.view, pages);
  $("#pager-input").value = label;
  $("#pager-input").removeAttribute("aria-invalid");
  for (const b of buttons("prev")) b.disabled = prevPage(state.page, count, state.spread) === null;
  for (const b of buttons("first")) b.disabled = state.view[0] <= 1;
  for (const b of buttons("next")) b.disabled = nextPage(state.page, count, state.spread) === null;
  for (const b of buttons("last")) b.disabled = state.view[state.view.length - 1] >= count;
  document.title = document.title.replace(/— [^—]+ — /, `— ${fmt(strings.page, { label }).toLowerCase()} — `);
  const login = root.querySelectorAll(".lockcard__login");
  for (const a of login) a.search = `?next=${encodeURIComponent(location.pathname)}`;
  if (!state.firstView) {
    $("#announce").textContent = state.view.length > 1
      ? fmt(strings.pages, { left: state.view[0], right: state.view[1] })
      : fmt(strings.pageOf, { label, count });
  }
  if (pages) {
    panel.markToc(state.payload.toc, state.view[state.view.length - 1]);
    thumbs.mark(state.view);
    textMode.render(state.view, pages);
    clock.show(state.view.filter((n) => !pages[n - 1].locked));
    // Opening an issue must not overwrite the position it offers to resume.
    if (state.navigated || !state.resume) position.set(state.view[0]);
    stage.whenShown().then(afterShown);
  }
  state.firstView = false;
}

/** Once the shown pages are on screen: their text for screen readers, then neighbours. */
function afterShown() {
  const pages = state.payload.pages;
  const shown = state.view.slice();
  for (const n of shown) {
    if (!pages[n - 1].locked) loadText(n).then((text) => stage.setText(n, text || ""), () => {});
  }
  const ahead = nextPage(state.page, count, state.spread);
  const behind = prevPage(state.page, count, state.spread);
  const around = [];
  if (ahead) around.push(...viewOf(ahead, count, state.spread));
  if (behind) around.push(...viewOf(behind, count, state.spread));
  const later = ahead ? nextPage(ahead, count, state.spread) : null;
  if (later) around.push(...viewOf(later, count, state.spread));
  stage.preload(around);
}

async function loadText(number) {
  if (state.payload && state.payload.pages[number - 1].locked) return null;
  if (!texts.has(number)) {
    texts.set(number, getJSON(`${data.textUrl}${number}.json?words=0`).then((d) => d.text || "", (error) => {
      texts.delete(number);
      if (error instanceof HttpError && error.status === 403) return null;
      throw error;
    }));
  }
  return texts.get(number);
}

// ------------------------------------------------------------------ layout and zoom

function relayout() {
  const spread = wantsSpread(state.mode, stageEl.clientWidth, stageEl.clientHeight);
  const layoutButton = $('[data-action="layout"]');
  layoutButton.setAttribute("aria-pressed", String(spread));
  if (spread !== state.spread) {
    state.spread = spread;
    zoom.reset();
    render();
  } else {
    stage.layout();
    zoom.apply(false);
  }
}

function onZoom(scale) {
  for (const b of buttons("zoom-out")) b.disabled = scale <= 1;
  if (scale > 1.01) stage.sharpen();
}

function zoomStep(factor) {
  if (!textMode.on) zoom.zoomBy(factor, undefined, true);
}

// ------------------------------------------------------------------ data

async function loadPayload() {
  state.payload = await getJSON(data.pagesUrl);
  stage.setEntries(state.payload.pages);
  thumbs.setPages(state.payload.pages);
  render();
  root.dataset.payload = "1";
}

/** Signed image URLs expire (403/410): fetch fresh ones, at most every 20 s. */
function refreshPayload() {
  if (state.refreshing) return;
  $("#announce").textContent = strings.expired;
  state.refreshing = loadPayload().finally(() => setTimeout(() => { state.refreshing = null; }, 20000));
}

// ------------------------------------------------------------------ resume offer

function offerResume() {
  const toast = $("#resume-toast");
  if (!state.resume || viewOf(state.page, count, state.spread).includes(state.resume)) {
    state.resume = null;
    return;
  }
  toast.querySelector(".toast__page").textContent = String(state.resume);
  toast.hidden = false;
}

function hideResume() {
  $("#resume-toast").hidden = true;
  state.resume = null;
}

// ------------------------------------------------------------------ events

const actions = {
  next, prev,
  first: () => goTo(1, { push: true }),
  last: () => goTo(count, { push: true }),
  toc: () => panel.toggle("toc"),
  search: () => panel.toggle("search"),
  "close-panel": () => panel.close(),
  thumbs: () => { thumbs.toggle(state.view); requestAnimationFrame(relayout); },
  text: () => textMode.toggle(state.view, state.payload?.pages),
  layout: () => {
    state.mode = state.spread ? "single" : "spread";
    localStorage.setItem(LAYOUT_KEY, state.mode);
    relayout();
  },
  "zoom-in": () => zoomStep(STEP),
  "zoom-out": () => zoomStep(1 / STEP),
  fullscreen: () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else root.requestFullscreen?.().catch(() => {});
  },
  resume: () => goTo(state.resume, { push: true }),
  "dismiss-resume": () => hideResume(),
};

root.addEventListener("click", (event) => {
  const button = event.target.closest("[data-action]");
  if (button && actions[button.dataset.action] && root.contains(button)) {
    event.preventDefault();
    actions[button.dataset.action]();
  }
});

$("#panel").addEventListener("click", (event) => {
  const link = event.target.closest(".vtoc a[data-page]");
  if (!link) return;
  event.preventDefault();
  goTo(Number(link.dataset.page), { push: true });
  if (!window.matchMedia("(min-width: 700px)").matches) panel.close();
});

$("#pager-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("#pager-input");
  const page = resolvePage(input.value, state.payload ? state.payload.pages : [], count);
  if (page === null) {
    input.setAttribute("aria-invalid", "true");
    $("#announce").textContent = fmt(strings.unknownPage, { value: input.value });
    return;
  }
  goTo(page, { push: true });
  input.blur();
});

document.addEventListener("keydown", (event) => {
  const typing = event.target.closest("input, textarea, select");
  if (event.key === "Escape") {
    if (zoom.zoomed) zoom.reset(true);
    else if (panel.open) panel.close();
    else if (textMode.on) textMode.toggle(state.view);
    else if (thumbs.open) actions.thumbs();
    else return;
    event.preventDefault();
    return;
  }
  if (typing || event.altKey || event.ctrlKey || event.metaKey) return;
  const keys = {
    ArrowRight: next, PageDown: next, ArrowLeft: prev, PageUp: prev,
    Home: actions.first, End: actions.last,
    "+": actions["zoom-in"], "=": actions["zoom-in"], "-": actions["zoom-out"],
  };
  const action = keys[event.key];
  if (action) {
    event.preventDefault();
    action();
  }
});

window.addEventListener("popstate", (event) => {
  const page = event.state?.page || Number(location.pathname.split("/").pop());
  if (page) goTo(page);
});

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "hidden") {
    clock.pause();
    clock.send(true);
    position.flush(true);
  } else {
    clock.resume();
  }
});
window.addEventListener("pagehide", () => {
  clock.send(true);
  position.flush(true);
});

document.addEventListener("fullscreenchange", () => {
  for (const b of buttons("fullscreen")) b.setAttribute("aria-pressed", String(Boolean(document.fullscreenElement)));
});

new ResizeObserver(() => relayout()).observe(stageEl);
attachGestures(stageEl, zoom, { next, prev, enabled: () => !textMode.on });

// ------------------------------------------------------------------ start

history.replaceState({ page: state.page }, "", pageUrl(state.page));
state.spread = wantsSpread(state.mode, stageEl.clientWidth, stageEl.clientHeight);
relayout();
render();
offerResume();
loadPayload()
  .catch((error) => {
    console.error("viewer: could not load the issue", error);
  });
root.dataset.ready = "1";
