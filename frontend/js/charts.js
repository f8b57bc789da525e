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
    series: [v("--s1"), v("--s2"), v("--s3"), v("--s4"), v("--s5")],
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
  setAlt(
    "alt-sentiment",
    `${pct(data[0], total)}% positive, ${pct(data[1], total)}% neutral, ${pct(data[2], total)}% negative of ${total} posts.`,
  );
}

function bucketLabel(iso, byDay) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return byDay
    ? d.toLocaleDateString(undefined, { month: "short", day: "numeric" })
    : d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

export function timelineChart(result) {
  const p = palette();
  applyDefaults(p);
  const tl = Array.isArray(result.timeline) ? result.timeline : [];
  const byDay = (result.window?.hours || 24) > 72;
  const labels = tl.map((b) => bucketLabel(b.start, byDay));
  draw("chart-timeline", {
    type: "bar",
    data: {
      labels,
      datasets: [
        { type: "bar", label: "Positive", data: tl.map((b) => b.positive || 0), backgroundColor: p.pos, stack: "v", yAxisID: "y", borderRadius: 2 },
        { type: "bar", label: "Neutral", data: tl.map((b) => b.neutral || 0), backgroundColor: p.neu, stack: "v", yAxisID: "y", borderRadius: 2 },
        { type: "bar", label: "Negative", data: tl.map((b) => b.negative || 0), backgroundColor: p.neg, stack: "v", yAxisID: "y", borderRadius: 2 },
        {
          type: "line",
          label: "Mean sentiment",
          data: tl.map((b) => (b.posts ? b.mean_compound : null)),
          borderColor: p.accent,
          backgroundColor: p.accent,
          yAxisID: "y2",
          tension: 0.35,
          spanGaps: true,
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
      plugins: { legend: { position: "bottom" } },
    },
  });
  if (!tl.length) {
    setAlt("alt-timeline", "No posts in this window.");
    return;
  }
  const peak = tl.reduce((a, b) => (b.posts > a.posts ? b : a), tl[0]);
  const active = tl.filter((b) => b.posts);
  const first = active[0];
  const last = active[active.length - 1];
  setAlt(
    "alt-timeline",
    `${tl.length} ${byDay ? "days" : "hours"}; busiest ${bucketLabel(peak.start, byDay)} with ${peak.posts} posts. ` +
      (first && last ? `Mean sentiment moved from ${signed(first.mean_compound)} to ${signed(last.mean_compound)}.` : ""),
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

export function compareCharts(rows) {
  const p = palette();
  applyDefaults(p);
  const labels = rows.map((r) => r.keyword);
  draw("chart-share", {
    type: "doughnut",
    data: {
      labels,
      datasets: [{ data: rows.map((r) => r.posts), backgroundColor: rows.map((_, i) => p.series[i % p.series.length]), borderColor: p.surface, borderWidth: 2 }],
    },
    options: {
      cutout: "58%",
      plugins: {
        legend: { position: "bottom" },
        tooltip: { callbacks: { label: (c) => ` ${c.label}: ${(rows[c.dataIndex].share * 100).toFixed(1)}% (${c.raw} posts)` } },
      },
    },
  });
  setAlt("alt-share", `Share of voice: ${rows.map((r) => `${r.keyword} ${(r.share * 100).toFixed(1)}%`).join(", ")}.`);

  const frac = (r, k) => (r.posts ? Math.round((r[k] / r.posts) * 1000) / 10 : 0);
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
    rows.map((r) => `${r.keyword}: ${frac(r, "positive")}% positive, ${frac(r, "negative")}% negative, mean ${signed(r.mean_compound)}`).join("; ") + ".",
  );
}

/** Re-draw every live chart with the current theme's colours. */
export function redrawAll(renderers) {
  for (const fn of renderers) fn();
}
