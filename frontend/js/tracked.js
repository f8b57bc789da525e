// The Tracked view: keywords scanned on a schedule, their history (volume + mean sentiment) and their alerts,
// plus the live last hour from the Bluesky stream (every matching post, per minute) and each alert's explanation.
// Admin actions (track / untrack) need the admin token: asked for in the form, kept only in sessionStorage.
// Untrusted text (keywords, terms) only goes through textContent via h(): no innerHTML here.
import { request } from "./api.js";
import { channelsPanel, initChannels, loadChannels, trackedChannels } from "./channels.js";
import { clear, fmtInt, fmtTime, h, relTime, safeUrl } from "./render.js";

const TOKEN_KEY = "asa.adminToken";
const REFRESH_MS = 10_000;
const charts = new Map();
let timer = null;
let root = null;

const token = () => sessionStorage.getItem(TOKEN_KEY) || "";

async function call(path, { method = "GET", body, admin = false } = {}) {
  const headers = admin ? { Authorization: `Bearer ${token()}` } : {};
  return (await request(path, { method, body, headers })).data;
}

function say(text, kind = "info") {
  const el = root.querySelector("#tracked-message");
  el.textContent = text;
  el.dataset.kind = kind;
  el.hidden = !text;
}

function adminError(err) {
  if (err.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    root.querySelector("#admin-token").value = "";
    say("The admin token was refused. Enter the token printed by `make run` (or kept in SSM).", "error");
  } else {
    const field = err.fields && err.fields[0] ? ` (${err.fields[0].field}: ${err.fields[0].message})` : "";
    say(`${err.message}${field}`, "error");
  }
}

function ensureToken() {
  const input = root.querySelector("#admin-token");
  const typed = input.value.trim();
  if (typed) sessionStorage.setItem(TOKEN_KEY, typed);
  if (!token()) {
    say("Admin actions need the admin token.", "error");
    input.focus();
    return false;
  }
  return true;
}

function build(container) {
  container.replaceChildren(
    h("h1", { id: "tracked-title", class: "sr-only" }, "Tracked keywords"),
    h(
      "form",
      { id: "track-form", class: "card search", novalidate: true },
      h(
        "div",
        { class: "field field-keyword" },
        h("label", { for: "track-keyword" }, "Keyword to track"),
        h(
          "div",
          { class: "input-row" },
          h("input", { id: "track-keyword", type: "text", autocomplete: "off", maxlength: "300", placeholder: "e.g. my brand" }),
          h("button", { type: "submit", class: "btn btn-primary", id: "track-btn" }, "Track"),
        ),
      ),
      h(
        "div",
        { class: "field field-small" },
        h("label", { for: "track-interval" }, "Every"),
        h(
          "select",
          { id: "track-interval" },
          ...[[5, "5 minutes"], [15, "15 minutes"], [60, "hour"], [360, "6 hours"], [1440, "day"]].map(([v, t]) =>
            h("option", { value: String(v), selected: v === 15 }, t),
          ),
        ),
      ),
      h(
        "div",
        { class: "field field-small" },
        h("label", { for: "track-sensitivity" }, "Alert sensitivity"),
        h(
          "select",
          { id: "track-sensitivity" },
          ...["low", "medium", "high"].map((v) => h("option", { value: v, selected: v === "medium" }, v)),
        ),
      ),
      h(
        "div",
        { class: "field field-small" },
        h("label", { for: "admin-token" }, "Admin token"),
        h("input", { id: "admin-token", type: "password", autocomplete: "off", placeholder: "kept for this tab only" }),
      ),
    ),
    h("p", { id: "tracked-message", class: "status card", role: "status", "aria-live": "polite", hidden: true }),
    channelsPanel(),
    h("p", { id: "tracked-empty", class: "empty card", hidden: true }, "No keyword is tracked yet."),
    h("div", { id: "tracked-list", class: "tracked-list" }),
  );
  container.querySelector("#admin-token").value = token();
  container.querySelector("#track-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const keyword = container.querySelector("#track-keyword").value.trim();
    if (!keyword) return say("Type a keyword to track.", "error");
    if (!ensureToken()) return;
    try {
      const body = {
        keyword,
        interval_minutes: Number(container.querySelector("#track-interval").value),
        sensitivity: container.querySelector("#track-sensitivity").value,
      };
      const item = await call("/api/tracked", { method: "POST", body, admin: true });
      say(`Tracking “${item.keyword}”: the first scan is queued on the next schedule tick.`);
      container.querySelector("#track-keyword").value = "";
      await refresh();
    } catch (err) {
      adminError(err);
    }
  });
}

async function untrack(item) {
  if (!ensureToken()) return;
  try {
    await call(`/api/tracked/${encodeURIComponent(item.keyword)}`, { method: "DELETE", admin: true });
    say(`Stopped tracking “${item.keyword}”. Its history is kept.`);
    await refresh();
  } catch (err) {
    adminError(err);
  }
}

/** History points carry the result's volume estimate when it has one; older points only the posts analyzed. */
const hasEstimate = (points) => points.length > 0 && points.every((p) => typeof p.estimated_posts_in_window === "number");

function drawHistory(canvasId, points) {
  const C = window.Chart;
  const canvas = document.getElementById(canvasId);
  if (!C || !canvas) return;
  charts.get(canvasId)?.destroy();
  const css = getComputedStyle(document.documentElement);
  const color = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  charts.set(
    canvasId,
    new C(canvas, {
      data: {
        labels: points.map((p) => fmtTime(p.time)),
        datasets: [
          hasEstimate(points)
            ? { type: "bar", label: "Estimated posts in the window", data: points.map((p) => p.estimated_posts_in_window), backgroundColor: color("--accent", "#4c8dff"), yAxisID: "y" }
            : { type: "bar", label: "Posts analyzed (capped at the limit)", data: points.map((p) => p.volume), backgroundColor: color("--accent", "#4c8dff"), yAxisID: "y" },
          {
            type: "line",
            label: "Mean sentiment",
            data: points.map((p) => p.mean_compound),
            borderColor: color("--pos", "#2ecc71"),
            pointRadius: 2,
            yAxisID: "y1",
          },
        ],
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        scales: {
          y: { beginAtZero: true, title: { display: true, text: "posts" } },
          y1: { position: "right", min: -1, max: 1, grid: { drawOnChartArea: false }, title: { display: true, text: "compound" } },
        },
      },
    }),
  );
}

function otherSourcesText(other) {
  if (!other) return "";
  if ("stream_last_hour" in other) {
    const st = other.stream_last_hour;
    return st ? `Bluesky stream, last hour: ${fmtInt(st.posts)} posts (every matching post).` : "Bluesky stream: no counts.";
  }
  if (other.agrees === null || other.agrees === undefined) return `Scheduled scans: ${other.reason || "not enough scans to compare"}.`;
  const measure = other.measure === "negative_share" ? "negative share" : other.measure === "volume" ? "posts" : "posts/h";
  return `Scheduled scans ${other.agrees ? "agree" : "do not agree"}: latest ${other.latest} ${measure} vs ${other.earlier_mean} before.`;
}

function explanation(alert) {
  const ex = alert.explanation;
  if (!ex) return null;
  const terms = (ex.terms || []).map((t) => {
    const rise = t.baseline_share !== undefined ? ` ${Math.round(t.baseline_share * 100)}%→${Math.round(t.share * 100)}%` : "";
    return h("span", { class: "alert-term", dataset: { term: t.term } }, `${t.term}${rise}`);
  });
  const samples = (ex.sample_posts || []).slice(0, 3).map((p) => {
    const url = safeUrl(p.url);
    const text = (p.text || "").slice(0, 140);
    return h("li", {}, url ? h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, text) : text);
  });
  return h(
    "div",
    { class: "alert-explanation" },
    h("p", { class: "small" }, "Rising terms: ", terms.length ? terms : "none stood out"),
    samples.length ? h("ul", { class: "alert-samples small" }, ...samples) : null,
    h("p", { class: "small muted alert-other" }, otherSourcesText(ex.other_sources)),
  );
}

function alertRow(alert) {
  const what = alert.type === "spike" ? "Volume spike" : "Sentiment dip";
  const stream = alert.source === "stream";
  const unit = stream ? "posts in the minute" : "posts/h";
  const value = alert.type === "spike" ? `${fmtInt(alert.value)} ${unit}` : `${Math.round(alert.value * 100)}% negative`;
  return h(
    "li",
    { class: `alert alert-${alert.type}`, dataset: { type: alert.type, source: alert.source || "scan" } },
    h("strong", {}, what),
    " ",
    h("span", { class: "alert-source" }, stream ? "stream" : "scan"),
    ` · ${value} (threshold ${alert.type === "spike" ? fmtInt(alert.threshold) : `${Math.round(alert.threshold * 100)}%`}) · `,
    h("time", { datetime: alert.at, title: fmtTime(alert.at) }, relTime(alert.at)),
    explanation(alert),
  );
}

function liveSummary(live) {
  if (!live) return "Live counts unavailable.";
  if (!live.stream_enabled) return "The Bluesky stream is off (STREAM_ENABLED=false): scheduled scans only.";
  const lag = live.lag_seconds === null ? "not read yet" : `counted up to ${Math.round(live.lag_seconds)} s ago`;
  const gaps = live.gaps.length ? ` · ${live.gaps.length} gap${live.gaps.length === 1 ? "" : "s"} (stream not replayed)` : "";
  return `Last hour, every Bluesky post: ${fmtInt(live.total_posts)} posts in ${live.covered_minutes} covered minutes · ${lag}${gaps}`;
}

function drawLive(canvasId, live) {
  const C = window.Chart;
  const canvas = document.getElementById(canvasId);
  if (!C || !canvas || !live) return;
  charts.get(canvasId)?.destroy();
  const css = getComputedStyle(document.documentElement);
  const color = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  const b = live.buckets;
  charts.set(
    canvasId,
    new C(canvas, {
      data: {
        labels: b.map((x) => fmtTime(x.start, { hour: "2-digit", minute: "2-digit" })),
        datasets: [
          { type: "bar", label: "Positive", data: b.map((x) => x.positive), backgroundColor: color("--pos", "#2ecc71"), stack: "s", yAxisID: "y" },
          { type: "bar", label: "Neutral", data: b.map((x) => x.neutral), backgroundColor: color("--neu", "#9aa5b1"), stack: "s", yAxisID: "y" },
          { type: "bar", label: "Negative", data: b.map((x) => x.negative), backgroundColor: color("--neg", "#e74c3c"), stack: "s", yAxisID: "y" },
          {
            type: "line",
            label: "Mean sentiment",
            data: b.map((x) => (x.posts ? x.mean_compound : null)),
            borderColor: color("--accent", "#4c8dff"),
            pointRadius: 0,
            spanGaps: false,
            yAxisID: "y1",
          },
        ],
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { stacked: true, ticks: { maxTicksLimit: 7 } },
          y: { stacked: true, beginAtZero: true, title: { display: true, text: "posts / minute" } },
          y1: { position: "right", min: -1, max: 1, grid: { drawOnChartArea: false }, title: { display: true, text: "compound" } },
        },
      },
    }),
  );
}

function card(item, index, history, alerts, live) {
  const canvasId = `tracked-chart-${index}`;
  const liveText = liveSummary(live);
  const points = history.points || [];
  const last = points[points.length - 1];
  const latest = last && typeof last.estimated_posts_in_window === "number"
    ? `about ${fmtInt(last.estimated_posts_in_window)} posts in the window (${last.basis || "basis not stated"}), ${fmtInt(last.volume)} analyzed`
    : last
      ? `${fmtInt(last.volume)} posts analyzed`
      : "";
  const summary = points.length
    ? `${points.length} scan${points.length === 1 ? "" : "s"} · latest ${latest}, mean compound ${last.mean_compound.toFixed(2)}`
    : "No scan yet: the first one runs on the next schedule tick.";
  return h(
    "article",
    { class: "card panel tracked-item", dataset: { key: item.key } },
    h(
      "div",
      { class: "panel-head" },
      h("h3", { class: "tracked-keyword" }, item.keyword),
      h(
        "button",
        { type: "button", class: "btn btn-small btn-ghost", onclick: () => untrack(item), "aria-label": `Stop tracking ${item.keyword}` },
        "Untrack",
      ),
    ),
    h(
      "p",
      { class: "muted small" },
      `Every ${item.interval_minutes} min · sensitivity ${item.sensitivity} · `,
      item.last_scan_at ? `last scan ${relTime(item.last_scan_at)}` : "never scanned",
    ),
    h(
      "p",
      {
        class: "tracked-live-summary",
        dataset: {
          total: String(live ? live.total_posts : 0),
          minutes: String(live ? live.buckets.length : 0),
          gaps: String(live ? live.gaps.length : 0),
        },
      },
      liveText,
    ),
    live && live.stream_enabled
      ? h("div", { class: "chart-box live-box" }, h("canvas", { id: `tracked-live-${index}`, role: "img", "aria-label": `Live minutes of ${item.keyword}: ${liveText}` }))
      : null,
    h("p", { class: "tracked-summary", dataset: { points: String(points.length) } }, summary),
    h("div", { class: "chart-box" }, h("canvas", { id: canvasId, role: "img", "aria-label": `History of ${item.keyword}: ${summary}` })),
    h("h4", { class: "small" }, "Alerts"),
    alerts.length
      ? h("ul", { class: "tracked-alerts" }, ...alerts.map(alertRow))
      : h("p", { class: "muted small tracked-no-alerts" }, "No alert."),
    trackedChannels(item),
  );
}

async function refresh() {
  if (!root) return;
  let tracked;
  try {
    tracked = (await call("/api/tracked")).tracked;
  } catch (err) {
    return say(err.message, "error");
  }
  await loadChannels();
  const details = await Promise.all(
    tracked.map((item) =>
      Promise.all([
        call(`/api/analyses/${encodeURIComponent(item.keyword)}/history`).catch(() => ({ points: [] })),
        call(`/api/alerts?keyword=${encodeURIComponent(item.keyword)}&limit=20`).catch(() => ({ alerts: [] })),
        call(`/api/tracked/${encodeURIComponent(item.keyword)}/live?minutes=60`).catch(() => null),
      ]),
    ),
  );
  for (const chart of charts.values()) chart.destroy();
  charts.clear();
  const list = clear(root.querySelector("#tracked-list"));
  root.querySelector("#tracked-empty").hidden = tracked.length > 0;
  tracked.forEach((item, i) => list.append(card(item, i, details[i][0], details[i][1].alerts, details[i][2])));
  tracked.forEach((item, i) => {
    drawHistory(`tracked-chart-${i}`, details[i][0].points || []);
    drawLive(`tracked-live-${i}`, details[i][2]);
  });
  root.dataset.loaded = "true";
}

/** Called by app.js when the view is shown. Refreshes every 10 s while visible. */
export function enterTracked(container) {
  root = container;
  initChannels({ call, say, adminError, ensureToken, token, refresh });
  if (!container.querySelector("#track-form")) build(container);
  clearInterval(timer);
  timer = setInterval(() => (container.hidden ? clearInterval(timer) : refresh()), REFRESH_MS);
  return refresh();
}
