// The dashboard controller: URL state <-> views, search, progress, panels, compare, metrics, export.
import {
  ApiError,
  checkQuery,
  getApiBase,
  getCompare,
  getMetrics,
  getQuerySyntax,
  getSources,
  loadConfig,
  pollJob,
  runAnalysis,
} from "./api.js";
import { compareCharts, newsToneChart, sentimentDoughnut, termsChart, timelineChart } from "./charts.js";
import { exportCsv, exportJson } from "./export.js";
import {
  BASIS_TEXT,
  intervalRange,
  intervalText,
  renderCoverage,
  renderLanguages,
  renderDropped,
  renderSourceHealth,
  renderSources,
  renderSpend,
} from "./insight.js";
import { enterTracked } from "./tracked.js";
import {
  clear,
  extremes,
  h,
  renderCompareTable,
  renderKpis,
  renderMetrics,
  renderPosts,
  renderProvenance,
  renderTags,
  renderTerms,
  renderTrendExtras,
  fmtTime,
  relTime,
} from "./render.js";
import {
  DEFAULTS,
  MAX_COMPARE,
  clearRecent,
  currentTheme,
  normalizeKeyword,
  readUrl,
  recentSearches,
  rememberSearch,
  setTheme,
  splitKeywords,
  writeUrl,
} from "./state.js";

const $ = (id) => document.getElementById(id);

/**
 * Views. Each has a <section data-view="name"> in index.html and optional enter/leave hooks.
 * A later view (e.g. "tracked") registers here and becomes reachable as ?view=tracked.
 */
const VIEWS = {
  analyze: { label: "Analyze", enter: (state) => enterAnalyze(state) },
  tracked: { label: "Tracked", enter: () => enterTracked($("view-tracked")) },
};

const SUGGESTIONS = ["serverless", "python", "coffee", "electric cars", "climate"];
const STATUS_TEXT = {
  submitting: "Submitting…",
  queued: "Queued",
  running: "Running",
  done: "Done",
  failed: "Failed",
};

const app = {
  state: readUrl(),
  result: null, // the Result on screen
  cache: new Map(), // "key|window|limit" -> Result, so Back and shared URLs render at once
  lastParams: null,
  controller: null, // AbortController of the running analysis
  compareController: null,
  compareRows: null,
  postFilter: "all",
  termsSort: "count", // "count" | "trend" (significant movers first)
  timer: null,
};

const cacheKey = (p) => `${normalizeKeyword(p.keyword)}|${p.windowHours}|${p.limit}|${(p.providers || []).join(",")}`;

function setPageState(s) {
  document.body.dataset.state = s; // idle | loading | ready | error (also a hook for the browser tests)
}

/* ---------------- views ---------------- */

function renderTabs() {
  const nav = clear($("view-tabs"));
  for (const [name, v] of Object.entries(VIEWS)) {
    const active = name === app.state.view;
    nav.append(
      h(
        "a",
        {
          href: name === DEFAULTS.view ? "?" : `?view=${encodeURIComponent(name)}`,
          class: `tab${active ? " active" : ""}`,
          "aria-current": active ? "page" : null,
          dataset: { view: name },
          onclick: (ev) => {
            ev.preventDefault();
            if (name === app.state.view) return;
            app.state = { ...DEFAULTS, view: name };
            writeUrl(app.state);
            route();
          },
        },
        v.label,
      ),
    );
  }
}

function route() {
  app.state = readUrl();
  if (!VIEWS[app.state.view]) app.state.view = DEFAULTS.view;
  for (const sec of document.querySelectorAll("section[data-view]")) sec.hidden = sec.dataset.view !== app.state.view;
  renderTabs();
  VIEWS[app.state.view].enter(app.state);
}

/* ---------------- analyze view ---------------- */

function enterAnalyze(state) {
  $("keyword").value = state.q;
  setSelect($("window"), state.windowHours);
  setSelect($("limit"), state.limit);
  $("compare-input").value = state.compare.join(", ");
  clearFieldErrors();
  if (state.job && !state.q) {
    openJob(state.job);
    return;
  }
  if (!state.q) {
    abortMain();
    app.result = null;
    showOnly("empty");
    $("status").hidden = true;
    $("compare").hidden = true;
    document.title = "Async Social Analytics";
    return;
  }
  startAnalysis({ keyword: state.q, windowHours: state.windowHours, limit: state.limit }, { push: false });
}

function setSelect(select, value) {
  const v = String(value);
  if (![...select.options].some((o) => o.value === v)) select.append(h("option", { value: v }, v));
  select.value = v;
}

function showOnly(which) {
  $("empty-state").hidden = which !== "empty";
  $("error-state").hidden = which !== "error";
  $("skeleton").hidden = which !== "loading";
  $("results").hidden = which !== "results";
  $("compare").hidden = which !== "results";
  setPageState({ empty: "idle", error: "error", loading: "loading", results: "ready" }[which]);
}

function abortMain() {
  app.controller?.abort();
  app.controller = null;
  stopTimer();
}

function clearFieldErrors() {
  for (const id of ["keyword", "window", "limit"]) {
    $(id).removeAttribute("aria-invalid");
    const err = $(`${id}-error`);
    err.hidden = true;
    err.textContent = "";
  }
}

function showFieldErrors(error) {
  const map = { keyword: "keyword", window_hours: "window", limit: "limit" };
  const fields = error.fields.length ? error.fields : [{ field: "keyword", message: error.message }];
  const byControl = new Map();
  for (const f of fields) {
    const control = map[f.field] || "keyword";
    byControl.set(control, [...(byControl.get(control) || []), f.message || error.message]);
  }
  for (const [control, messages] of byControl) {
    $(control).setAttribute("aria-invalid", "true");
    const err = $(`${control}-error`);
    err.textContent = messages.join(" ");
    err.hidden = false;
  }
  const positioned = fields.find((f) => Number.isInteger(f.position));
  if (positioned) showCaret($("keyword").value, positioned.position);
  $([...byControl.keys()][0]).focus();
}

function startTimer(t0) {
  stopTimer();
  const tick = () => {
    $("status-elapsed").textContent = `${((performance.now() - t0) / 1000).toFixed(1)} s`;
  };
  tick();
  app.timer = setInterval(tick, 100);
}

function stopTimer() {
  if (app.timer) clearInterval(app.timer);
  app.timer = null;
}

function setStatus(status, extra = "") {
  const box = $("status");
  box.hidden = false;
  box.dataset.status = status;
  $("status-text").textContent = `${STATUS_TEXT[status] || status}${extra ? ` · ${extra}` : ""}`;
  $("retry-btn").hidden = status !== "failed";
}

/**
 * Run one analysis: POST once, poll the job with backoff, render. `push` adds a history entry once the API
 * accepted the keyword (validation errors never change the URL).
 */
async function startAnalysis(params, { push }) {
  abortMain();
  clearFieldErrors();
  app.lastParams = params;
  const key = cacheKey(params);
  const cached = app.cache.get(key);
  if (cached && !params.refresh) {
    if (push) commitUrl(params);
    $("status").hidden = true;
    showResult(cached);
    maybeRunCompare();
    return;
  }
  const controller = new AbortController();
  app.controller = controller;
  const t0 = performance.now();
  if (!app.result || cacheKey({ keyword: app.result.keyword, windowHours: params.windowHours, limit: params.limit }) !== key) {
    showOnly("loading");
  } else {
    setPageState("loading");
  }
  startTimer(t0);
  setStatus("submitting");
  $("search-btn").disabled = true;
  let accepted = false;
  try {
    const { result, cached: wasCached } = await runAnalysis(params, {
      signal: controller.signal,
      onStatus: ({ status }) => {
        if (status !== "submitting" && !accepted) {
          accepted = true;
          if (push) commitUrl(params);
          rememberSearch(params.keyword);
          renderRecent();
        }
        setStatus(status);
      },
    });
    if (controller.signal.aborted) return;
    stopTimer();
    setStatus("done", wasCached ? "served from cache" : "fresh analysis");
    app.cache.set(key, result);
    showResult(result);
    refreshMetrics();
    refreshSourceHealth();
    maybeRunCompare();
  } catch (err) {
    if (err && err.name === "AbortError") return;
    stopTimer();
    if (err instanceof ApiError && (err.status === 400 || err.status === 422) && !accepted) {
      $("status").hidden = true;
      showFieldErrors(err);
      if (app.result) showOnly("results");
      else showOnly("empty");
      return;
    }
    setStatus("failed", err.code === "timeout" ? "timed out" : "");
    $("error-text").textContent = err.message || String(err);
    showOnly("error");
    if (!document.activeElement || document.activeElement === document.body) $("error-retry").focus();
  } finally {
    if (app.controller === controller) {
      app.controller = null;
      $("search-btn").disabled = false;
    }
  }
}

/** `?job=<id>`: show one job's result (an import, or a link someone shared) without submitting anything. */
async function openJob(jobId) {
  abortMain();
  const controller = new AbortController();
  app.controller = controller;
  const t0 = performance.now();
  showOnly("loading");
  startTimer(t0);
  setStatus("queued");
  try {
    const { result } = await pollJob(`/api/jobs/${encodeURIComponent(jobId)}`, {
      signal: controller.signal,
      onStatus: ({ status }) => setStatus(status),
    });
    if (controller.signal.aborted) return;
    stopTimer();
    setStatus("done", `job ${jobId}`);
    showResult(result);
  } catch (err) {
    if (err && err.name === "AbortError") return;
    stopTimer();
    setStatus("failed", err.code === "timeout" ? "timed out" : "");
    $("error-text").textContent = err.message || String(err);
    showOnly("error");
  } finally {
    if (app.controller === controller) app.controller = null;
  }
}

function commitUrl(params) {
  const sameKeyword = normalizeKeyword(params.keyword) === normalizeKeyword(app.state.q);
  app.state = {
    ...app.state,
    view: "analyze",
    q: params.keyword,
    compare: sameKeyword ? app.state.compare : [],
    windowHours: params.windowHours,
    limit: params.limit,
  };
  writeUrl(app.state);
}

function showResult(result) {
  app.result = result;
  showOnly("results");
  document.title = `${result.keyword} · Async Social Analytics`;
  $("result-keyword").textContent = result.keyword;
  const w = result.window || {};
  const bits = [];
  if (w.hours) bits.push(`last ${w.hours >= 48 ? `${Math.round(w.hours / 24)} days` : `${w.hours} h`}`);
  if (result.analyzed_at) bits.push(`analyzed ${relTime(result.analyzed_at)} (${fmtTime(result.analyzed_at)})`);
  $("result-meta").textContent = bits.join(" · ");
  $("results").dataset.keyword = result.keyword;
  renderProvenance(result);
  renderCoverage($("coverage-line"), result);
  renderKpis($("kpis"), result, {
    interval: (name) => intervalText(result, name),
    range: intervalRange,
    postsNote: postsNote(result),
  });
  renderLanguages($("unscored-note"), $("languages"), result);
  renderSources($("sources-body"), $("sources-note"), result);
  renderDropped($("dropped"), $("dropped-summary"), $("dropped-list"), result);
  renderTermsTable();
  renderTrendExtras($("trend-note"), $("emerging-wrap"), $("emerging"), result);
  renderTags($("hashtags"), result.hashtags, "#");
  const bigrams = Array.isArray(result.bigrams) ? result.bigrams : null;
  $("bigrams-wrap").hidden = !bigrams || !bigrams.length;
  if (bigrams) renderTags($("bigrams"), bigrams.map((b) => ({ term: b.term ?? (Array.isArray(b.terms) ? b.terms.join(" ") : ""), count: b.count })));
  const { pos, neg } = extremes(result);
  renderPosts($("top-positive"), pos, { compact: true, emptyText: "No positive posts." });
  renderPosts($("top-negative"), neg, { compact: true, emptyText: "No negative posts." });
  renderSamplePosts();
  drawCharts();
}

/** What the post count is: which sources, and whether it stopped at the limit. */
function postsNote(result) {
  const providers = result.source?.providers;
  const ok = Array.isArray(providers) ? providers.filter((r) => r.outcome === "ok").map((r) => r.provider) : [result.source?.provider || "unknown"];
  const bits = [`from ${ok.length ? ok.join(", ") : "no source"}`];
  if (result.coverage) bits.push(result.coverage.complete ? "complete" : "capped at the limit");
  return bits.join(", ");
}

function renderTermsTable() {
  if (!app.result) return;
  renderTerms($("terms-body"), app.result, { sortBy: app.termsSort });
  for (const btn of document.querySelectorAll("#terms-table .sort-btn")) {
    const active = btn.dataset.sort === app.termsSort;
    btn.closest("th").setAttribute("aria-sort", active ? "descending" : "none");
  }
}

function renderSamplePosts() {
  if (!app.result) return;
  for (const b of document.querySelectorAll(".filter .seg")) b.setAttribute("aria-pressed", String(b.dataset.filter === app.postFilter));
  renderPosts($("posts"), app.result.posts, {
    filter: app.postFilter,
    emptyText: app.postFilter === "all" ? "No posts in this window." : `No ${app.postFilter} posts in the sample.`,
  });
}

function drawCharts() {
  if (app.result && !$("results").hidden) {
    sentimentDoughnut(app.result);
    timelineChart(app.result);
    newsToneChart(app.result);
    termsChart(app.result);
  }
  if (app.compareRows && !$("compare-body").hidden) compareCharts(app.compareRows);
}

/* ---------------- compare ---------------- */

function maybeRunCompare() {
  const others = app.state.compare.filter((k) => normalizeKeyword(k) !== normalizeKeyword(app.state.q));
  if (!app.state.q || !others.length) {
    app.compareController?.abort();
    app.compareRows = null;
    $("compare-body").hidden = true;
    $("compare-clear").hidden = true;
    $("compare-status").textContent = "";
    $("compare-basis").textContent = "";
    return;
  }
  runCompare([app.state.q, ...others].slice(0, MAX_COMPARE));
}

/**
 * Each keyword is analyzed (or served from cache) with the current window and limit; then GET /api/compare ranks
 * them by estimated posts in the window and says its basis. The browser computes no share itself.
 */
async function runCompare(keywords) {
  app.compareController?.abort();
  const controller = new AbortController();
  app.compareController = controller;
  const params = { windowHours: app.state.windowHours, limit: app.state.limit };
  const status = $("compare-status");
  $("compare-clear").hidden = false;
  $("compare").dataset.state = "loading";
  $("compare-basis").textContent = "";
  let done = 0;
  status.textContent = `Analyzing ${keywords.length} keywords… 0 of ${keywords.length} done`;
  const outcomes = await Promise.allSettled(
    keywords.map(async (keyword) => {
      const p = { ...params, keyword };
      const hit = app.cache.get(cacheKey(p));
      const result = hit || (await runAnalysis(p, { signal: controller.signal })).result;
      app.cache.set(cacheKey(p), result);
      done += 1;
      if (!controller.signal.aborted) status.textContent = `Analyzing ${keywords.length} keywords… ${done} of ${keywords.length} done`;
      return result;
    }),
  );
  if (controller.signal.aborted) return;
  const failed = [];
  const analyzed = [];
  outcomes.forEach((o, i) => {
    if (o.status === "fulfilled") analyzed.push(keywords[i]);
    else failed.push(`${keywords[i]}: ${o.reason?.fields?.[0]?.message || o.reason?.message || "failed"}`);
  });
  let body = null;
  if (analyzed.length) {
    try {
      body = await getCompare(analyzed, controller.signal);
    } catch (err) {
      if (err && err.name === "AbortError") return;
      failed.push(`share of voice: ${err.message}`);
    }
  }
  if (controller.signal.aborted) return;
  const rows = body && Array.isArray(body.keywords) ? body.keywords : [];
  app.compareRows = rows;
  $("compare").dataset.state = failed.length ? "partial" : "ready";
  status.textContent = failed.length ? `Could not compare ${failed.join("; ")}.` : `Share of voice across ${rows.length} keywords.`;
  $("compare-basis").textContent = body ? compareBasisText(body, rows) : "";
  $("compare-basis").dataset.basis = body?.basis || "";
  $("compare-body").hidden = rows.length === 0;
  if (rows.length) {
    renderCompareTable($("compare-tbody"), rows);
    compareCharts(rows);
  }
}

function compareBasisText(body, rows) {
  if (body.basis) {
    const what = body.basis === "complete" ? "exact post counts in the window" : "estimated posts in the window";
    return `Shares by ${what}; basis: ${body.basis} (${BASIS_TEXT[body.basis] || body.basis}), the weakest among the keywords.`;
  }
  const total = Number(body.total_volume) || rows.reduce((a, r) => a + (r.volume || 0), 0);
  return `Shares by posts analyzed (${total} in all), each capped at the limit of ${app.state.limit}: not an estimate of the volume out there.`;
}

function onCompareSubmit(ev) {
  ev.preventDefault();
  const err = $("compare-error");
  err.hidden = true;
  $("compare-input").removeAttribute("aria-invalid");
  const list = splitKeywords($("compare-input").value).filter((k) => normalizeKeyword(k) !== normalizeKeyword(app.state.q));
  let message = "";
  if (!app.state.q) message = "Analyze a keyword first.";
  else if (!list.length) message = "Enter at least one other keyword.";
  else if (list.length > MAX_COMPARE - 1) message = `Compare up to ${MAX_COMPARE} keywords: ${MAX_COMPARE - 1} besides “${app.state.q}”.`;
  if (message) {
    err.textContent = message;
    err.hidden = false;
    $("compare-input").setAttribute("aria-invalid", "true");
    return;
  }
  app.state = { ...app.state, compare: list };
  writeUrl(app.state);
  maybeRunCompare();
}

/* ---------------- metrics, recent, theme ---------------- */

async function refreshMetrics() {
  const note = $("metrics-note");
  try {
    const m = await getMetrics();
    renderMetrics($("metric-grid"), m);
    renderSpend($("spend"), $("spend-list"), m);
    note.textContent = `Updated ${new Date().toLocaleTimeString()}`;
    $("metrics").dataset.state = "ready";
  } catch (e) {
    note.textContent = `Metrics unavailable: ${e.message}`;
    $("metrics").dataset.state = "error";
  }
}

async function refreshSourceHealth() {
  const note = $("source-health-note");
  try {
    renderSourceHealth($("source-health-body"), note, await getSources());
    $("source-health").dataset.state = "ready";
  } catch (e) {
    note.textContent = `Source health unavailable: ${e.message}`;
    $("source-health").dataset.state = "error";
  }
}

function renderRecent() {
  const list = recentSearches();
  $("recent-wrap").hidden = list.length === 0;
  const ul = clear($("recent-list"));
  for (const k of list) {
    ul.append(h("li", {}, h("button", { type: "button", class: "chip", onclick: () => searchFor(k) }, k)));
  }
}

function searchFor(keyword) {
  $("keyword").value = keyword;
  submitSearch();
}

/* ---------------- the query box: the API's check as you type, the syntax help ---------------- */

/** Under the input: what was typed, with a caret under the character the error points at. */
function showCaret(text, position) {
  const caret = $("keyword-caret");
  const at = Math.max(0, Math.min(position, text.length));
  caret.textContent = `${text}\n${" ".repeat(at)}^`;
  caret.dataset.position = String(position);
  caret.hidden = false;
}

function clearQueryError() {
  $("keyword").removeAttribute("aria-invalid");
  $("keyword-error").hidden = true;
  $("keyword-caret").hidden = true;
}

let checkTimer = null;
let checkController = null;
function scheduleQueryCheck() {
  clearTimeout(checkTimer);
  checkTimer = setTimeout(async () => {
    const text = $("keyword").value;
    checkController?.abort();
    if (!text.trim()) return; // nothing to check; a submit of a blank box shows its own error, keep it
    const controller = (checkController = new AbortController());
    try {
      await checkQuery(text, controller.signal);
      if (!controller.signal.aborted) clearQueryError();
    } catch (err) {
      if (controller.signal.aborted || !(err instanceof ApiError) || err.status !== 422) return;
      const field = (err.fields || [])[0] || {};
      $("keyword").setAttribute("aria-invalid", "true");
      $("keyword-error").textContent = field.message || err.message;
      $("keyword-error").hidden = false;
      if (Number.isInteger(field.position)) showCaret(text, field.position);
    }
  }, 350);
}

async function loadQueryHelp() {
  try {
    const help = await getQuerySyntax();
    const body = clear($("query-help-body"));
    for (const row of help.syntax || []) {
      body.append(h("tr", {}, h("td", {}, h("code", {}, row.syntax)), h("td", {}, h("code", {}, row.example)), h("td", {}, row.meaning)));
    }
    const notes = clear($("query-help-notes"));
    for (const note of help.notes || []) notes.append(h("li", {}, note));
  } catch {
    $("query-help-notes").append(h("li", {}, "The syntax help could not be loaded; terms, \"phrases\", AND, OR, NOT and -term work."));
  }
}

function chosenProviders() {
  return [...document.querySelectorAll('#source-picker input[name="providers"]:checked')].map((el) => el.value);
}

function submitSearch() {
  const params = {
    providers: chosenProviders(),
    keyword: $("keyword").value,
    windowHours: Number($("window").value) || DEFAULTS.windowHours,
    limit: Number($("limit").value) || DEFAULTS.limit,
  };
  startAnalysis(params, { push: true });
}

function syncThemeButton() {
  const dark = currentTheme() === "dark";
  const btn = $("theme-toggle");
  btn.setAttribute("aria-pressed", String(!dark));
  btn.querySelector(".theme-label").textContent = dark ? "Light theme" : "Dark theme";
}

/* ---------------- wiring ---------------- */

function wire() {
  $("search-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    submitSearch();
  });
  $("keyword").addEventListener("input", scheduleQueryCheck);
  loadQueryHelp();
  const retry = () => app.lastParams && startAnalysis(app.lastParams, { push: true });
  $("retry-btn").addEventListener("click", retry);
  $("error-retry").addEventListener("click", retry);
  $("recent-clear").addEventListener("click", () => {
    clearRecent();
    renderRecent();
  });
  $("export-csv").addEventListener("click", () => app.result && exportCsv(app.result));
  $("export-json").addEventListener("click", () => app.result && exportJson(app.result));
  $("metrics-refresh").addEventListener("click", refreshMetrics);
  $("source-health-refresh").addEventListener("click", refreshSourceHealth);
  $("compare-form").addEventListener("submit", onCompareSubmit);
  $("compare-clear").addEventListener("click", () => {
    $("compare-input").value = "";
    app.state = { ...app.state, compare: [] };
    writeUrl(app.state);
    maybeRunCompare();
  });
  for (const b of document.querySelectorAll("#terms-table .sort-btn")) {
    b.addEventListener("click", () => {
      app.termsSort = b.dataset.sort;
      renderTermsTable();
    });
  }
  for (const b of document.querySelectorAll(".filter .seg")) {
    b.addEventListener("click", () => {
      app.postFilter = b.dataset.filter;
      renderSamplePosts();
    });
  }
  $("theme-toggle").addEventListener("click", () => {
    setTheme(currentTheme() === "dark" ? "light" : "dark");
    syncThemeButton();
    drawCharts();
  });
  const sug = $("suggestions");
  for (const k of SUGGESTIONS) sug.append(h("li", {}, h("button", { type: "button", class: "chip", onclick: () => searchFor(k) }, k)));
  window.addEventListener("popstate", route);
}

async function main() {
  await loadConfig();
  $("api-base").textContent = getApiBase();
  wire();
  syncThemeButton();
  renderRecent();
  refreshMetrics();
  refreshSourceHealth();
  route();
}

main().catch((err) => {
  console.error(err);
  $("error-text").textContent = `The dashboard failed to start: ${err.message}`;
  showOnly("error");
});
