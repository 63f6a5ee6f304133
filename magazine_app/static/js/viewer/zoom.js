// Zoom and pan of the sheet: a CSS transform (translate, then scale from the top-left
// corner) that keeps the point under the finger or cursor where it is, and never lets the
// page drift out of the stage.

export const MIN_SCALE = 1;
export const MAX_SCALE = 5;
export const STEP = 1.5;

export class Zoom {
  constructor(stage, sheet, onChange) {
    this.stage = stage;
    this.sheet = sheet;
    this.onChange = onChange;
    this.scale = 1;
    this.x = 0;
    this.y = 0;
  }

  get zoomed() {
    return this.scale > 1.01;
  }

  /** The sheet's untransformed box, in stage coordinates. */
  box() {
    return {
      left: this.sheet.offsetLeft,
      top: this.sheet.offsetTop,
      width: this.sheet.offsetWidth,
      height: this.sheet.offsetHeight,
    };
  }

  /** Stage coordinates of a pointer event (or of the stage's centre). */
  point(event) {
    const rect = this.stage.getBoundingClientRect();
    if (!event) return { x: rect.width / 2, y: rect.height / 2 };
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  }

  /** Scale to `scale` keeping the stage point `at` fixed. */
  zoomTo(scale, at = this.point(), animate = false) {
    const next = Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
    const b = this.box();
    const localX = (at.x - b.left - this.x) / this.scale;
    const localY = (at.y - b.top - this.y) / this.scale;
    this.x = at.x - b.left - localX * next;
    this.y = at.y - b.top - localY * next;
    this.scale = next;
    this.apply(animate);
  }

  zoomBy(factor, at, animate = false) {
    this.zoomTo(this.scale * factor, at, animate);
  }

  panBy(dx, dy) {
    this.x += dx;
    this.y += dy;
    this.apply(false);
  }

  reset(animate = false) {
    this.scale = 1;
    this.x = 0;
    this.y = 0;
    this.apply(animate);
  }

  /** Keep the page covering the stage when it is larger, centred when it is smaller. */
  clamp() {
    const b = this.box();
    const sw = this.stage.clientWidth;
    const sh = this.stage.clientHeight;
    const w = b.width * this.scale;
    const h = b.height * this.scale;
    this.x = w <= sw ? (sw - w) / 2 - b.left : Math.min(-b.left, Math.max(sw - b.left - w, this.x));
    this.y = h <= sh ? (sh - h) / 2 - b.top : Math.min(-b.top, Math.max(sh - b.top - h, this.y));
  }

  apply(animate) {
    if (this.scale <= 1.001) {
      this.scale = 1;
      this.x = 0;
      this.y = 0;
    } else {
      this.clamp();
    }
    this.sheet.classList.toggle("is-animating", Boolean(animate));
    this.sheet.style.transform = this.scale === 1 ? "" : `translate(${this.x}px, ${this.y}px) scale(${this.scale})`;
    this.stage.classList.toggle("is-zoomed", this.zoomed);
    this.onChange(this.scale);
  }
}
