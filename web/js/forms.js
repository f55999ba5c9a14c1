// Form plumbing: field errors next to their fields, a busy submit button.

/** Remove every error message of a form. */
export function clearErrors(form) {
  for (const node of form.querySelectorAll("[data-error-for]")) {
    node.textContent = "";
    node.hidden = true;
  }
  for (const input of form.querySelectorAll("[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
    const describedBy = (input.getAttribute("aria-describedby") || "").split(" ").filter((id) => !id.startsWith("error-"));
    if (describedBy.length) input.setAttribute("aria-describedby", describedBy.join(" "));
    else input.removeAttribute("aria-describedby");
  }
  const general = form.querySelector("[data-ref=error]");
  if (general) {
    general.textContent = "";
    general.hidden = true;
  }
}

/** Show a message under a field (and mark the input invalid); false when the form has no such field. */
export function showFieldError(form, field, message) {
  const slot = form.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
  const input = form.elements.namedItem(field);
  if (!slot) return false;
  slot.textContent = message;
  slot.hidden = false;
  if (input instanceof HTMLElement) {
    slot.id ||= `error-${input.id || field}`;
    input.setAttribute("aria-invalid", "true");
    const describedBy = new Set((input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean));
    describedBy.add(slot.id);
    input.setAttribute("aria-describedby", [...describedBy].join(" "));
  }
  return true;
}

export function showFormError(form, message) {
  const general = form.querySelector("[data-ref=error]");
  if (!general) return;
  general.textContent = message;
  general.hidden = false;
}

/**
 * An API error's field problems under their fields; the rest as the form's message.
 * Model-level problems arrive as field "body" ("ends_at must be later than starts_at"):
 * they go under the field their sentence starts with.
 */
export function showApiErrors(form, error, words = {}) {
  const say = (message) => sentence(humanize(message, words));
  const leftover = [];
  for (const problem of error.details ?? []) {
    const field = fieldOf(form, problem);
    if (!(field && showFieldError(form, field, say(problem.message)))) leftover.push(problem.message);
  }
  if (!error.details?.length) {
    const field = fieldOf(form, { field: "body", message: error.message });
    if (field && showFieldError(form, field, say(error.message))) {
      focusFirstInvalid(form);
      return;
    }
  }
  if (leftover.length || !error.details?.length) {
    showFormError(form, leftover.length ? leftover.map(say).join(" ") : say(error.message));
  }
  focusFirstInvalid(form);
}

/** The API names fields as in JSON ("ends_at must be later than starts_at"): say them in words. */
export function humanize(message, words) {
  let text = String(message ?? "");
  for (const [name, word] of Object.entries(words)) {
    text = text.replace(new RegExp(`\\b${name}\\b`, "gi"), word);
  }
  return text;
}

function fieldOf(form, problem) {
  const named = String(problem.field || "").split(".").pop();
  if (named && named !== "body" && form.querySelector(`[data-error-for="${CSS.escape(named)}"]`)) return named;
  const first = /^([a-z_]+)\b/.exec(String(problem.message || "").toLowerCase())?.[1];
  return first && form.querySelector(`[data-error-for="${CSS.escape(first)}"]`) ? first : null;
}

function sentence(text) {
  const value = String(text || "");
  return value.charAt(0).toUpperCase() + value.slice(1);
}

export function focusFirstInvalid(form) {
  const invalid = form.querySelector("[aria-invalid=true]");
  if (invalid) invalid.focus();
  else form.querySelector("[data-ref=error]:not([hidden])")?.focus?.();
}

/** Disable a form's buttons while `work` runs; the submit button says `busyLabel`. */
export async function whileBusy(form, busyLabel, work) {
  const buttons = [...form.querySelectorAll("button")];
  const submit = form.querySelector("button[type=submit]");
  const label = submit?.textContent;
  for (const button of buttons) button.disabled = true;
  form.setAttribute("aria-busy", "true");
  if (submit && busyLabel) submit.textContent = busyLabel;
  try {
    return await work();
  } finally {
    for (const button of buttons) button.disabled = false;
    form.removeAttribute("aria-busy");
    if (submit && busyLabel) submit.textContent = label;
  }
}

/** A form's trimmed text value. */
export function value(form, name) {
  const field = form.elements.namedItem(name);
  return field && "value" in field ? field.value.trim() : "";
}
