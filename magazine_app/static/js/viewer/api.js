// Talking to the server: JSON with the CSRF token, the debounced reading position, and the
// batched reading-time events of the publisher's statistics.

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

export class HttpError extends Error {
  constructor(status, url) {
    super(`HTTP ${status} for ${url}`);
    this.status = status;
  }
}

export async function getJSON(url) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!response.ok) throw new HttpError(response.status, url);
  return response.json();
}

export async function postJSON(url, body, { keepalive = false } = {}) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    keepalive,
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new HttpError(response.status, url);
  return response;
}

/** Saves the page a logged-in reader is on, at most every `delay` ms, and on leaving. */
export class PositionSaver {
  constructor(url, delay = 1500) {
    this.url = url;
    this.delay = delay;
    this.pending = null;
    this.saved = null;
    this.timer = 0;
  }

  set(page) {
    if (!this.url) return;
    this.pending = page;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), this.delay);
  }

  flush(keepalive = false) {
    clearTimeout(this.timer);
    const page = this.pending;
    if (!this.url || page === null || page === this.saved) return;
    this.pending = null;
    this.saved = page;
    postJSON(this.url, { page }, { keepalive }).catch((error) => {
      if (error instanceof HttpError && error.status === 401) this.url = null;  // logged out
      else this.saved = null;  // try again on the next page turn
    });
  }
}

/**
 * Seconds spent on each page while the document is visible, sent in batches every
 * `interval` ms and when the page is hidden (sendBeacon cannot set headers, so the CSRF
 * token travels in the body). A 404 or another refusal switches it off silently.
 */
export class ReadingClock {
  constructor(url, interval = 30000) {
    this.url = url;
    this.interval = interval;
    this.pages = [];
    this.since = 0;
    this.totals = new Map();
    this.timer = url ? setInterval(() => this.send(false), interval) : 0;
  }

  show(pages) {
    this.tally();
    this.pages = pages.slice();
  }

  tally() {
    const now = performance.now();
    if (this.since && this.pages.length && document.visibilityState === "visible") {
      const seconds = (now - this.since) / 1000;
      for (const page of this.pages) this.totals.set(page, (this.totals.get(page) || 0) + seconds);
    }
    this.since = now;
  }

  batch() {
    this.tally();
    const events = [];
    for (const [page, seconds] of this.totals) {
      if (seconds < 1) continue;  // kept for the next batch
      events.push({ page, seconds: Math.round(seconds) });
      this.totals.delete(page);
    }
    return events;
  }

  send(leaving) {
    if (!this.url) return;
    const events = this.batch();
    if (!events.length) return;
    const body = JSON.stringify({ events, csrf_token: csrfToken() });
    if (leaving && navigator.sendBeacon) {
      navigator.sendBeacon(this.url, new Blob([body], { type: "application/json" }));
      return;
    }
    fetch(this.url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body,
    }).then((response) => {
      if (response.status >= 400 && response.status < 500) this.stop();
    }, () => {});
  }

  /** Visibility changes: count only visible time. */
  pause() { this.tally(); this.since = 0; }
  resume() { this.since = performance.now(); }

  stop() {
    clearInterval(this.timer);
    this.url = null;
  }
}
