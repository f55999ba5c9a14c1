// One page at a time in <main>: the previous page's cleanup runs first
// (timers, charts, blob URLs), then the heading is focused for keyboard and screen reader users.

let cleanup = null;

export function setPage(main, render, found) {
  if (typeof cleanup === "function") cleanup();
  cleanup = null;
  main.replaceChildren();
  cleanup = render(main, found) ?? null;
  focusHeading(main);
}

export function focusHeading(root) {
  const heading = root.querySelector("h1:not([hidden])");
  if (heading && heading.offsetParent !== null) heading.focus({ preventScroll: false });
}

export function setTitle(text) {
  document.title = text ? `${text} · Soundlink` : "Soundlink";
}
