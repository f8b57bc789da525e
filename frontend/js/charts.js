// Chart.js 4 (vendor/chart.umd.min.js, pinned in package.json) wrappers. Each chart also gets a text alternative.

const charts = new Map();

function palette() {
  const css = getComputedStyle(document.documentElement);
  const v = (name) => css.getPropertyValue(name).trim();
  return {
    pos: v("--pos"),
    neu: v("--neu"),
    neg: v("--neg"),
    accent: v("--accent"),
    accent2: v("--accent-2"),
    text: v("--text"),
    muted: v("--muted"),
    grid: v("--grid"),
    surface: v("--surface"),
    series: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => v(`--s${i}`)),
  };
}

function ChartLib() {
  if (!window.Chart) throw new Error("Chart.js did not load (vendor/chart.umd.min.js missing: run the frontend build)");
  return window.Chart;
}

function applyDefaults(p) {
  const C = ChartLib();
  C.defaults.color = p.muted;
  C.defaults.borderColor = p.grid;
  C.defaults.font.family = getComputedStyle(document.body).fontFamily;
  C.defaults.font.size = 12;
  C.defaults.plugins.legend.labels.boxWidth = 10;
  C.defaults.plugins.legend.labels.boxHeight = 10;
  C.defaults.plugins.tooltip.padding = 10;
  C.defaults.maintainAspectRatio = false;
  C.defaults.animation.duration = 350;
}

function draw(id, config) {
  const C = ChartLib();
  const canvas = document.getElementById(id);
  if (!canvas) return null;
  charts.get(id)?.destroy();
  const chart = new C(canvas, config);
  charts.set(id, chart);
  return chart;
}

function setAlt(id, text) {
  const el = document.getElementById(id);
  if (el) el.textContent = text;
}

const pct = (n, total) => (total ? Math.round((n / total) * 1000) / 10 : 0);
const signed = (x) => (x > 0 ? "+" : "") + Number(x).toFixed(2);

export function clearCharts(ids) {
  for (const id of ids) {
    charts.get(id)?.destroy();
    charts.delete(id);
  }
}

export function sentimentDoughnut(result) {
  const p = palette();
  applyDefaults(p);
  const s = result.sentiment || {};
  const data = [s.positive || 0, s.neutral || 0, s.negative || 0];
  const total = data.reduce((a, b) => a + b, 0);
  draw("chart-sentiment", {
    type: "doughnut",
    data: {
      labels: ["Positive", "Neutral", "Negative"],
      datasets: [{ data, backgroundColor: [p.pos, p.neu, p.neg], borderColor: p.surface, borderWidth: 2, hoverOffset: 6 }],
    },
    options: {
      cutout: "64%",
      plugins: {
        legend: { position: "bottom" },
        tooltip: { callbacks: { label: (c) => ` ${c.label}: ${c.raw} (${pct(c.raw, total)}%)` } },
      },
    },
  });
  const unscored = Number(s.unscored) || 0;
  setAlt(
    "alt-sentiment",
    `${pct(data[0], total)}% positive, ${pct(data[1], total)}% neutral, ${pct(data[2], total)}% negative of ${total} scored posts` +
      (unscored ? ` (${unscored} not scored).` : "."),
  );
}

function bucketLabel(iso, byDay) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return byDay
    ? d.toLocaleDateString(undefined, { month: "short", day: "numeric" })
    : d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

/** Buckets with covered:false are outside the span the posts cover: no data, never zero. */
const isUncovered = (b) => b.covered === false;

function hatchPattern(ctx, color) {
  const tile = document.createElement("canvas");
  tile.width = 8;
  tile.height = 8;
  const t = tile.getContext("2d");
  t.strokeStyle = color;
  t.lineWidth = 1.5;
  t.beginPath();
  t.moveTo(0, 8);
  t.lineTo(8, 0);
  t.moveTo(-2, 2);
  t.lineTo(2, -2);
  t.moveTo(6, 10);
  t.lineTo(10, 6);
  t.stroke();
  return ctx.createPattern(tile, "repeat");
}

/** Draws a hatched band over the uncovered buckets, behind the bars. */
const uncoveredBands = {
  id: "uncoveredBands",
  beforeDatasetsDraw(chart, _args, opts) {
    const flags = opts.flags || [];
    if (!flags.some(Boolean)) return;
    const { ctx, chartArea, scales } = chart;
    const x = scales.x;
    const step = flags.length > 1 ? Math.abs(x.getPixelForValue(1) - x.getPixelForValue(0)) : chartArea.width;
    ctx.save();
    ctx.fillStyle = hatchPattern(ctx, opts.color);
    for (let i = 0; i < flags.length; i += 1) {
      if (!flags[i]) continue;
      let j = i;
      while (j + 1 < flags.length && flags[j + 1]) j += 1;
      const left = Math.max(chartArea.left, x.getPixelForValue(i) - step / 2);
      const right = Math.min(chartArea.right, x.getPixelForValue(j) + step / 2);
      ctx.fillRect(left, chartArea.top, right - left, chartArea.bottom - chartArea.top);
      i = j;
    }
    ctx.restore();
  },
};

export function timelineChart(result) {
  const p = palette();
  applyDefaults(p);
  const tl = Array.isArray(result.timeline) ? result.timeline : [];
  const byDay = (result.window?.hours || 24) > 72;
  const labels = tl.map((b) => bucketLabel(b.start, byDay));
  const flags = tl.map(isUncovered);
  const val = (b, k) => (isUncovered(b) ? null : b[k] || 0);
  draw("chart-timeline", {
    type: "bar",
    plugins: [uncoveredBands],
    data: {
      labels,
      datasets: [
        { type: "bar", label: "Positive", data: tl.map((b) => val(b, "positive")), backgroundColor: p.pos, stack: "v", yAxisID: "y", borderRadius: 2 },
        { type: "bar", label: "Neutral", data: tl.map((b) => val(b, "neutral")), backgroundColor: p.neu, stack: "v", yAxisID: "y", borderRadius: 2 },
        { type: "bar", label: "Negative", data: tl.map((b) => val(b, "negative")), backgroundColor: p.neg, stack: "v", yAxisID: "y", borderRadius: 2 },
        {
          type: "line",
          label: "Mean sentiment",
          data: tl.map((b) => (!isUncovered(b) && b.posts ? b.mean_compound : null)),
          borderColor: p.accent,
          backgroundColor: p.accent,
          yAxisID: "y2",
          tension: 0.35,
          spanGaps: false,
          pointRadius: 2,
          borderWidth: 2,
        },
      ],
    },
    options: {
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { stacked: true, grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 12 } },
        y: { stacked: true, beginAtZero: true, title: { display: true, text: "Posts" }, ticks: { precision: 0 } },
        y2: { position: "right", min: -1, max: 1, grid: { drawOnChartArea: false }, title: { display: true, text: "Mean compound" } },
      },
      plugins: {
        legend: { position: "bottom" },
        uncoveredBands: { flags, color: p.muted },
        tooltip: {
          callbacks: {
            footer: (items) => (items.length && flags[items[0].dataIndex] ? "Not covered by the fetched posts: no data" : ""),
          },
        },
      },
    },
  });
  const legend = document.getElementById("timeline-uncovered");
  const uncovered = flags.filter(Boolean).length;
  const unit = byDay ? "daily buckets" : "hourly buckets";
  if (legend) {
    legend.hidden = !uncovered;
    document.getElementById("timeline-uncovered-text").textContent = uncovered
      ? `Hatched: ${uncovered} of ${tl.length} ${unit} not covered by the fetched posts (no data, not zero).`
      : "";
    legend.dataset.uncovered = String(uncovered);
  }
  if (!tl.length) {
    setAlt("alt-timeline", "No posts in this window.");
    return;
  }
  const covered = tl.filter((b) => !isUncovered(b));
  const peak = covered.reduce((a, b) => (b.posts > a.posts ? b : a), covered[0] || tl[0]);
  const active = covered.filter((b) => b.posts);
  const first = active[0];
  const last = active[active.length - 1];
  setAlt(
    "alt-timeline",
    `${tl.length} ${unit}` +
      (uncovered ? `, of which ${uncovered} not covered by the fetched posts (no data)` : "") +
      `; busiest ${bucketLabel(peak.start, byDay)} with ${peak.posts} posts. ` +
      (first && last ? `Mean sentiment moved from ${signed(first.mean_compound)} to ${signed(last.mean_compound)}.` : ""),
  );
}

/** GDELT's average news tone, drawn apart from our sentiment: its own chart, axis and scale (result.news_tone). */
export function newsToneChart(result) {
  const panel = document.getElementById("news-tone-panel");
  const tone = result.news_tone;
  const points = Array.isArray(tone?.points) ? tone.points : [];
  if (panel) panel.hidden = !points.length;
  if (!points.length) return;
  const p = palette();
  applyDefaults(p);
  const byDay = (result.window?.hours || 24) > 72;
  const values = points.map((pt) => pt.value);
  const bound = Math.max(1, Math.ceil(Math.max(...values.map((v) => Math.abs(v)))));
  draw("chart-news-tone", {
    type: "line",
    data: {
      labels: points.map((pt) => bucketLabel(pt.start, byDay)),
      datasets: [
        { label: "GDELT average tone", data: values, borderColor: p.accent, backgroundColor: p.accent, tension: 0.3, pointRadius: 1, borderWidth: 2 },
      ],
    },
    options: {
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 12 } },
        y: { min: -bound, max: bound, title: { display: true, text: "GDELT tone" } },
      },
      plugins: { legend: { position: "bottom" } },
    },
  });
  document.getElementById("news-tone-scale").textContent = `${tone.scale} · ${points.length} intervals, reported by ${tone.provider}.`;
  const mean = values.reduce((a, v) => a + v, 0) / values.length;
  setAlt(
    "alt-news-tone",
    `${points.length} intervals of GDELT's average news tone; mean ${signed(Math.round(mean * 100) / 100)}, ` +
      `from ${signed(values[0])} to ${signed(values[values.length - 1])} (GDELT's scale, not the sentiment scale).`,
  );
}

export function sentimentColor(compound, p = palette()) {
  if (compound === undefined || compound === null) return p.accent2;
  if (compound >= 0.05) return p.pos;
  if (compound <= -0.05) return p.neg;
  return p.neu;
}

export function termsChart(result) {
  const p = palette();
  applyDefaults(p);
  const terms = (result.top_terms || []).slice(0, 12);
  draw("chart-terms", {
    type: "bar",
    data: {
      labels: terms.map((t) => t.term),
      datasets: [
        {
          label: "Mentions",
          data: terms.map((t) => t.count),
          backgroundColor: terms.map((t) => sentimentColor(t.sentiment, p)),
          borderRadius: 4,
          barThickness: "flex",
          maxBarThickness: 18,
        },
      ],
    },
    options: {
      indexAxis: "y",
      scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { grid: { display: false }, ticks: { color: p.text } } },
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            afterLabel: (c) => {
              const t = terms[c.dataIndex];
              return t && typeof t.sentiment === "number" ? `Mean sentiment ${signed(t.sentiment)}` : "";
            },
          },
        },
      },
    },
  });
  setAlt(
    "alt-terms",
    terms.length ? `Most mentioned: ${terms.slice(0, 5).map((t) => `${t.term} (${t.count})`).join(", ")}.` : "No terms found.",
  );
}

/** rows: GET /api/compare rows (share from the API, computed by it from the estimates). */
export function compareCharts(rows) {
  const p = palette();
  applyDefaults(p);
  const labels = rows.map((r) => r.keyword);
  const shares = rows.map((r) => Math.round((Number(r.share) || 0) * 1000) / 10);
  draw("chart-share", {
    type: "doughnut",
    data: {
      labels,
      datasets: [{ data: shares, backgroundColor: rows.map((_, i) => p.series[i % p.series.length]), borderColor: p.surface, borderWidth: 2 }],
    },
    options: {
      cutout: "58%",
      plugins: {
        legend: { position: "bottom" },
        tooltip: { callbacks: { label: (c) => ` ${c.label}: ${c.raw}% (${rows[c.dataIndex].basis || "posts analyzed"})` } },
      },
    },
  });
  setAlt("alt-share", `Share of voice: ${rows.map((r, i) => `${r.keyword} ${shares[i].toFixed(1)}%`).join(", ")}.`);

  const frac = (r, k) => {
    const s = r.sentiment || {};
    const n = (s.positive || 0) + (s.neutral || 0) + (s.negative || 0);
    return n ? Math.round(((s[k] || 0) / n) * 1000) / 10 : 0;
  };
  draw("chart-compare", {
    type: "bar",
    data: {
      labels,
      datasets: [
        { label: "Positive %", data: rows.map((r) => frac(r, "positive")), backgroundColor: p.pos, stack: "s" },
        { label: "Neutral %", data: rows.map((r) => frac(r, "neutral")), backgroundColor: p.neu, stack: "s" },
        { label: "Negative %", data: rows.map((r) => frac(r, "negative")), backgroundColor: p.neg, stack: "s" },
      ],
    },
    options: {
      indexAxis: "y",
      scales: {
        x: { stacked: true, min: 0, max: 100, ticks: { callback: (v) => `${v}%` } },
        y: { stacked: true, grid: { display: false }, ticks: { color: p.text } },
      },
      plugins: { legend: { position: "bottom" } },
    },
  });
  setAlt(
    "alt-compare",
    rows
      .map((r) => `${r.keyword}: ${frac(r, "positive")}% positive, ${frac(r, "negative")}% negative, mean ${signed(r.sentiment?.mean_compound || 0)}`)
      .join("; ") + ".",
  );
}

/** Re-draw every live chart with the current theme's colours. */
export function redrawAll(renderers) {
  for (const fn of renderers) fn();
}
