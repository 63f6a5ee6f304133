// Pointer gestures on the stage, for mouse, pen and touch alike: swipe to turn the page,
// drag to pan when zoomed, pinch to zoom, double-click or double-tap to zoom in and out,
// Ctrl+wheel (and trackpad pinch, which browsers report as Ctrl+wheel) to zoom.

const SWIPE_MIN = 50;       // px
const TAP_SLOP = 10;        // px a tap may move
const DOUBLE_TAP_MS = 320;
const DOUBLE_TAP_SCALE = 2.5;

export function attachGestures(stage, zoom, { next, prev, enabled }) {
  const pointers = new Map();
  let start = null;          // the first pointer's start, for swipes and taps
  let pinch = null;          // {distance, scale}
  let moved = false;
  let lastTap = null;
  let suppressClick = false;

  const interactive = (target) => target.closest("button, a, input, .lockcard, .textview");

  stage.addEventListener("pointerdown", (event) => {
    if (!enabled() || (event.pointerType === "mouse" && event.button !== 0)) return;
    if (interactive(event.target) && !zoom.zoomed) return;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (pointers.size === 1) {
      start = { x: event.clientX, y: event.clientY, t: performance.now() };
      moved = false;
    } else if (pointers.size === 2) {
      pinch = { distance: spread(pointers), scale: zoom.scale };
      moved = true;
    }
  });

  stage.addEventListener("pointermove", (event) => {
    const previous = pointers.get(event.pointerId);
    if (!previous) return;
    const current = { x: event.clientX, y: event.clientY };
    pointers.set(event.pointerId, current);
    if (!moved && Math.hypot(current.x - start.x, current.y - start.y) > TAP_SLOP) {
      moved = true;
      stage.setPointerCapture(event.pointerId);
      if (zoom.zoomed) stage.classList.add("is-dragging");
    }
    if (pinch && pointers.size >= 2) {
      const centre = middle(pointers);
      zoom.zoomTo(pinch.scale * (spread(pointers) / pinch.distance), zoom.point({ clientX: centre.x, clientY: centre.y }));
    } else if (moved && zoom.zoomed) {
      zoom.panBy(current.x - previous.x, current.y - previous.y);
    }
  });

  const end = (event) => {
    if (!pointers.has(event.pointerId)) return;
    pointers.delete(event.pointerId);
    stage.classList.remove("is-dragging");
    if (pointers.size >= 1) return;  // still pinching with one finger down
    const wasPinch = pinch !== null;
    pinch = null;
    if (event.type === "pointercancel" || !start) return;
    const dx = event.clientX - start.x;
    const dy = event.clientY - start.y;
    const quick = performance.now() - start.t < 700;
    if (moved) suppressClick = true;
    if (!wasPinch && !zoom.zoomed && quick && Math.abs(dx) > SWIPE_MIN && Math.abs(dx) > 1.5 * Math.abs(dy)) {
      if (dx < 0) next(); else prev();
      return;
    }
    if (!moved) tap(event);
  };
  stage.addEventListener("pointerup", end);
  stage.addEventListener("pointercancel", end);

  function tap(event) {
    const now = performance.now();
    if (lastTap && now - lastTap.t < DOUBLE_TAP_MS && Math.hypot(event.clientX - lastTap.x, event.clientY - lastTap.y) < 30) {
      lastTap = null;
      if (zoom.zoomed) zoom.reset(true);
      else zoom.zoomTo(DOUBLE_TAP_SCALE, zoom.point(event), true);
      return;
    }
    lastTap = { t: now, x: event.clientX, y: event.clientY };
  }

  // A drag that ends over a link must not follow it.
  stage.addEventListener("click", (event) => {
    if (suppressClick) {
      suppressClick = false;
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  stage.addEventListener("wheel", (event) => {
    if (!enabled()) return;
    if (event.ctrlKey || event.metaKey) {
      event.preventDefault();
      zoom.zoomBy(Math.exp(-event.deltaY * 0.0025), zoom.point(event));
    } else if (zoom.zoomed) {
      event.preventDefault();
      zoom.panBy(-event.deltaX, -event.deltaY);
    }
  }, { passive: false });

  // Safari's own pinch events would zoom the whole page.
  stage.addEventListener("gesturestart", (event) => event.preventDefault());
}

function spread(pointers) {
  const [a, b] = [...pointers.values()];
  return Math.max(1, Math.hypot(a.x - b.x, a.y - b.y));
}

function middle(pointers) {
  const [a, b] = [...pointers.values()];
  return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
}
