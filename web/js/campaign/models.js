// The four attribution models side by side (same minimum confidence), only where they differ.

import { el, table } from "../dom.js";
import { formatNumber } from "../format.js";
import { MODELS } from "./labels.js";

export function renderModels(container, analytics) {
  const figures = analytics.models;
  if (!figures || typeof figures !== "object") {
    container.replaceChildren(el("p", { class: "empty", text: "The comparison of models is not available yet." }));
    return;
  }
  const names = [...Object.keys(MODELS).filter((m) => m in figures), ...Object.keys(figures).filter((m) => !(m in MODELS))];
  if (!modelsDiffer(figures)) {
    container.replaceChildren(
      el("p", {
        class: "empty",
        "data-testid": "models-same",
        text: "Every model gives these same numbers: no listener's play was shared with another of your campaigns. A table appears here when they differ.",
      }),
    );
    return;
  }
  container.replaceChildren(
    table(
      [
        {
          label: "Model",
          value: (name) =>
            el(
              "span",
              {},
              MODELS[name]?.name ?? name,
              name === analytics.model ? " (shown above)" : "",
              el("span", { class: "hint block", text: MODELS[name]?.about ?? "" }),
            ),
        },
        { label: "Streams", num: true, value: (name) => formatNumber(figures[name]?.streams) },
        { label: "Confidence-weighted", num: true, value: (name) => formatNumber(figures[name]?.weighted_streams) },
      ],
      names,
      { rowClass: (name) => (name === analytics.model ? "is-current" : null), testid: "models" },
    ),
  );
}

/** Whether any two models credit different streams or weighted streams. */
export function modelsDiffer(figures) {
  const seen = new Set(Object.values(figures).map((f) => `${f?.streams}|${f?.weighted_streams}`));
  return seen.size > 1;
}
