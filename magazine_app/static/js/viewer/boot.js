// The viewer's first script: it waits until the first page (already in the HTML) is decoded,
// then loads the rest. On a slow line the page image gets the bandwidth, and on a slow
// phone the CPU, before ~60 KB of interface code does.
const first = document.querySelector("#sheet img");
let started = false;

function start() {
  if (started) return;
  started = true;
  import("./main.js");
}

if (!first || first.complete) {
  start();
} else {
  first.decode().then(start, start);
  setTimeout(start, 3000);  // never leave the interface waiting on a stalled image
}
