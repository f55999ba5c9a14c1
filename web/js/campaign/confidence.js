// How sure the attributions are: plays per confidence bucket; buckets under the
// chosen minimum are greyed (they are not counted as streams).

import { barConfig, COLORS } from "../charts.js";
import { table } from "../dom.js";
import { formatNumber } from "../format.js";

export function renderConfidence(ui, slot, analytics) {
  const buckets = Array.isArray(analytics.confidence_histogram) ? analytics.confidence_histogram : [];
  const minimum = Number(analytics.min_confidence ?? 0);
  const label = (b) => `${Number(b.min).toFixed(1)}–${Number(b.max).toFixed(1)}`;
  const counted = (b) => Number(b.min) >= minimum - 1e-9;
  ui.histogramBox.hidden = buckets.length === 0;
  if (buckets.length) {
    slot.render(
      barConfig(buckets.map(label), [{ label: "Matched plays", data: buckets.map((b) => b.streams ?? 0) }], {
        colorsPerBar: buckets.map((b) => (counted(b) ? COLORS.streams : COLORS.muted)),
      }),
    );
  }
  ui.histogramTable.replaceChildren(
    table(
      [
        { label: "Confidence", value: label },
        { label: "Matched plays", num: true, value: (b) => formatNumber(b.streams) },
        { label: "Counted as streams", value: (b) => (counted(b) ? "Yes" : "No: below the minimum") },
      ],
      buckets,
      { testid: "confidence-table" },
    ),
  );
}
