// The page-wide status line (role="status", aria-live="polite"): what just happened.

let region = null;
let timer = null;

export function initStatus(node) {
  region = node;
}

/** Show (and announce) a short message; errors stay until the next message. */
export function announce(message, { error = false, sticky = false } = {}) {
  if (!region) return;
  clearTimeout(timer);
  region.classList.toggle("is-error", error);
  region.textContent = message;
  if (!error && !sticky) timer = setTimeout(() => clearStatus(), 8000);
}

export function clearStatus() {
  if (!region) return;
  clearTimeout(timer);
  region.textContent = "";
  region.classList.remove("is-error");
}
