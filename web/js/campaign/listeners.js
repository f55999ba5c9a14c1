// Listeners who connected, by state, in plain words.

import { el } from "../dom.js";
import { formatNumber } from "../format.js";
import { STATES } from "./labels.js";

export function renderListenerStates(list, analytics) {
  const states = analytics.listener_states;
  if (!states || typeof states !== "object") {
    list.replaceChildren(el("li", { class: "empty", text: "Listener states are not available yet." }));
    return;
  }
  list.replaceChildren(
    ...Object.entries(STATES).map(([name, { label, about }]) =>
      el(
        "li",
        { "data-testid": `listener-state-${name}` },
        el("span", { class: "state-count", text: formatNumber(states[name] ?? 0) }),
        el("span", {}, el("strong", { text: label }), el("br"), el("span", { class: "hint", text: about })),
      ),
    ),
  );
}
