// Chart.js (web/vendor/chart.umd.min.js, a classic script loaded before the modules)
// behind a small slot: create once, then update in place on every refresh.
// Every chart has a table with the same numbers next to it, so a missing Chart.js
// (make web-vendor not run) or a screen reader loses nothing.

export const COLORS = {
  clicks: "#2a5db0",
  authorizations: "#b86e00",
  streams: "#0b6e3e",
  muted: "#b9bec5",
};

const reducedMotion = () => globalThis.matchMedia?.("(prefers-reduced-motion: reduce)").matches ?? false;

export function chartsAvailable() {
  return typeof globalThis.Chart === "function";
}

export class ChartSlot {
  /** canvas: the <canvas>; box: its sized container (.chart). */
  constructor(canvas, box) {
    this.canvas = canvas;
    this.box = box;
    this.chart = null;
  }

  render(config) {
    if (!chartsAvailable()) {
      this.box.replaceChildren();
      const note = document.createElement("p");
      note.className = "chart-fallback";
      note.textContent = "Charts are unavailable right now; the table holds the same numbers.";
      this.box.append(note);
      this.box.classList.remove("chart");
      return;
    }
    const options = { ...baseOptions(), ...config.options };
    if (this.chart && this.chart.config.type === config.type) {
      this.chart.data = config.data;
      this.chart.options = options;
      this.chart.update("none");
    } else {
      this.destroy();
      this.chart = new globalThis.Chart(this.canvas, { type: config.type, data: config.data, options });
    }
  }

  destroy() {
    this.chart?.destroy();
    this.chart = null;
  }
}

function baseOptions() {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: reducedMotion() ? false : { duration: 250 },
    interaction: { mode: "index", intersect: false },
    plugins: { legend: { position: "bottom", labels: { usePointStyle: true } } },
  };
}

/** A line chart of series over time. */
export function lineConfig(labels, series) {
  return {
    type: "line",
    data: {
      labels,
      datasets: series.map((s, index) => ({
        label: s.label,
        data: s.data,
        borderColor: s.color,
        backgroundColor: s.color,
        borderWidth: 2,
        borderDash: [[], [6, 3], [2, 2]][index % 3],
        pointStyle: ["circle", "rect", "triangle"][index % 3],
        pointRadius: labels.length > 60 ? 0 : 3,
        tension: 0.2,
      })),
    },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { ticks: { maxRotation: 0, autoSkip: true } } } },
  };
}

/** A bar chart; horizontal bars for long category names. */
export function barConfig(labels, series, { horizontal = false, colorsPerBar = null } = {}) {
  return {
    type: "bar",
    data: {
      labels,
      datasets: series.map((s) => ({
        label: s.label,
        data: s.data,
        backgroundColor: colorsPerBar ?? s.color,
        borderColor: colorsPerBar ?? s.color,
        borderWidth: 1,
      })),
    },
    options: {
      indexAxis: horizontal ? "y" : "x",
      plugins: { legend: { display: series.length > 1, position: "bottom" } },
      scales: {
        [horizontal ? "x" : "y"]: { beginAtZero: true, ticks: { precision: 0 } },
        [horizontal ? "y" : "x"]: { ticks: { autoSkip: false, callback: shortLabel } },
      },
    },
  };
}

function shortLabel(value) {
  const label = this.getLabelForValue(value);
  return typeof label === "string" && label.length > 24 ? `${label.slice(0, 23)}…` : label;
}
