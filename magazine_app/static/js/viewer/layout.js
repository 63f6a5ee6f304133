// Pure functions of the viewer: spread pairing, navigation, fitting, page lookup.
// No DOM here, so that the rules a magazine reader cares about stay readable.

/** Width from which "auto" shows two pages side by side (CSS px, landscape only). */
export const SPREAD_MIN_WIDTH = 900;

/**
 * The pages shown together with `page`. Single: just it. Spread: the cover alone, then
 * pairs by page number, even on the left (2-3, 4-5, ...); a last even page stands alone.
 */
export function viewOf(page, count, spread) {
  if (!spread || page <= 1) return [Math.max(1, page)];
  const left = page % 2 === 0 ? page : page - 1;
  return left + 1 <= count ? [left, left + 1] : [left];
}

/** The first page of the next view, or null at the end. */
export function nextPage(page, count, spread) {
  const view = viewOf(page, count, spread);
  const last = view[view.length - 1];
  return last < count ? last + 1 : null;
}

/** The first page of the previous view, or null at the start. */
export function prevPage(page, count, spread) {
  const first = viewOf(page, count, spread)[0];
  return first > 1 ? viewOf(first - 1, count, spread)[0] : null;
}

/** Should this screen show spreads? `mode` is "auto", "single" or "spread". */
export function wantsSpread(mode, width, height) {
  if (mode === "spread") return true;
  if (mode === "single") return false;
  return width >= SPREAD_MIN_WIDTH && width > height;
}

/** Leaf widths and the common height that fit pages of these aspect ratios in a box. */
export function fit(ratios, width, height) {
  const total = ratios.reduce((a, r) => a + r, 0) || 1;
  const h = Math.max(1, Math.min(height, width / total));
  return { height: h, widths: ratios.map((r) => r * h) };
}

/** A page number from what a reader typed: its label ("iv", "12") or its number. */
export function resolvePage(input, pages, count) {
  const value = String(input).trim().toLowerCase();
  if (!value) return null;
  const byLabel = pages.find((p) => String(p.label).toLowerCase() === value);
  if (byLabel) return byLabel.number;
  const n = Number.parseInt(value, 10);
  if (String(n) === value && n >= 1 && n <= count) return n;
  return null;
}

/** "4-5" or "4": how the current view is named in the URL-free parts of the interface. */
export function viewLabel(view, pages) {
  const label = (n) => (pages && pages[n - 1] ? pages[n - 1].label : String(n));
  return view.map(label).join("-");
}

/** The TOC entry the reader is in: the last one starting at or before the page. */
export function currentTocIndex(toc, page) {
  let index = -1;
  toc.forEach((entry, i) => {
    if (entry.page <= page) index = i;
  });
  return index;
}

/** Fill "{name}" slots of an interface string. */
export function fmt(template, values) {
  return String(template).replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
}
