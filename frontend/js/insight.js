// What the numbers measure: coverage and volume, the per-source breakdown, languages left unscored, 95 % intervals
// on the sentiment shares, and paid-provider spend. Every field is optional (older results lack them): each
// renderer says so instead of inventing a number. Text only through h() (no innerHTML).
import { clear, fmtInt, fmtPct, fmtSigned, fmtTime, h } from "./render.js";

const HOUR = 3_600_000;
const SVG_NS = "http://www.w3.org/2000/svg";

export const BASIS_TEXT = {
  complete: "exact count: every source returned everything in the window",
  rate: "estimated from the rate over the covered span",
  reported: "as reported by the provider",
};

const ms = (iso) => {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
};

/** "42 minutes", "5 hours", "3.5 hours", "7 days". */
export function fmtDuration(millis) {
  const minutes = Math.max(0, millis) / 60_000;
  if (minutes < 1.5) return minutes < 1 ? "under a minute" : "1 minute";
  if (minutes < 90) return `${Math.round(minutes)} minutes`;
  const hours = minutes / 60;
  if (hours < 72) {
    const whole = Math.abs(hours - Math.round(hours)) < 0.05;
    const v = whole ? Math.round(hours) : Math.round(hours * 10) / 10;
    return `${v} ${v === 1 ? "hour" : "hours"}`;
  }
  const days = Math.round((hours / 24) * 10) / 10;
  return `${days} days`;
}

/** Two significant figures, for estimates: 3417 -> "3,400", 42.4 -> "42", 0.3 -> "fewer than 1". */
export function fmtApprox(n) {
  const x = Number(n);
  if (!Number.isFinite(x)) return "?";
  if (x < 1) return x > 0 ? "fewer than 1" : "0";
  if (x < 100) return fmtInt(x);
  const magnitude = 10 ** (Math.floor(Math.log10(x)) - 1);
  return fmtInt(Math.round(x / magnitude) * magnitude);
}

function windowMillis(result) {
  const cov = result.coverage || {};
  const from = ms(cov.window_from ?? result.window?.start);
  const to = ms(cov.window_to ?? result.window?.end);
  if (from !== null && to !== null && to > from) return to - from;
  return (Number(result.window?.hours) || 24) * HOUR;
}

/**
 * One sentence: what the posts cover and how many posts the window holds, with the basis.
 * "100 posts cover the last 42 minutes of 24 hours; about 3,400 posts a day (estimated from the rate ...)."
 */
export function coverageSentence(result) {
  const cov = result.coverage;
  const vol = result.volume;
  const observed = Number(vol?.observed_posts ?? result.posts_analyzed ?? 0);
  const windowMs = windowMillis(result);
  const windowText = fmtDuration(windowMs);
  const posts = `${fmtInt(observed)} ${observed === 1 ? "post" : "posts"}`;
  if (!cov && result.source?.provider === "import") {
    return { basis: "", text: `${posts} imported from an upload, spanning ${windowText} (the times of the posts in the file).` };
  }
  if (!cov) {
    return {
      basis: "",
      text: `${posts} in the last ${windowText}. This result does not record which span its posts cover, so the count may stop at the limit.`,
    };
  }
  let head;
  const from = ms(cov.covered_from);
  const to = ms(cov.covered_to);
  const windowTo = ms(cov.window_to) ?? Date.now();
  if (!observed || from === null || to === null) {
    head = `No posts in the last ${windowText}${cov.complete ? " (every source answered in full)" : ""}`;
  } else if (cov.complete) {
    head = `${posts}: every post in the last ${windowText} (${BASIS_TEXT.complete})`;
  } else if (to - from < 60_000) {
    head = `${posts} at ${fmtTime(cov.covered_from)} of the last ${windowText}; the sources stopped at their limit`;
  } else if (windowTo - to <= Math.max(10 * 60_000, windowMs * 0.02)) {
    head = `${posts} cover the last ${fmtDuration(to - from)} of ${windowText}`;
  } else {
    head = `${posts} cover ${fmtDuration(to - from)} (${fmtTime(cov.covered_from)} to ${fmtTime(cov.covered_to)}) of the last ${windowText}`;
  }
  const basis = vol?.basis || "";
  const estimate = Number(vol?.estimated_posts_in_window);
  let tail = "";
  if (vol && Number.isFinite(estimate) && observed) {
    const basisText = BASIS_TEXT[basis] || `basis: ${basis || "unknown"}`;
    if (basis === "complete") tail = cov.complete ? "" : `; ${fmtInt(estimate)} posts in the window (${basisText})`;
    else if (Math.abs(windowMs - 24 * HOUR) < 60_000) tail = `; about ${fmtApprox(estimate)} posts a day (${basisText})`;
    else {
      const perDay = Number(vol.posts_per_hour) * 24;
      const daily = Number.isFinite(perDay) ? `, about ${fmtApprox(perDay)} a day` : "";
      tail = `; about ${fmtApprox(estimate)} posts in the ${windowText}${daily} (${basisText})`;
    }
  } else if (!cov.complete && observed) {
    tail = "; the volume beyond the limit is not estimated in this result";
  }
  const sim = result.source?.simulated ? "Simulated posts: " : "";
  const missing = Array.isArray(vol?.sources_missing) && vol.sources_missing.length
    ? ` Not counted: ${vol.sources_missing.join(", ")} (failed or skipped, see Sources).`
    : "";
  return { basis, text: `${sim}${head}${tail}.${missing}` };
}

export function renderCoverage(el, result) {
  const { text, basis } = coverageSentence(result);
  el.textContent = text;
  el.dataset.basis = basis;
  el.dataset.complete = String(Boolean(result.coverage?.complete));
}

/* ---------------- sources ---------------- */

const labelTotal = (s) => (s ? (Number(s.positive) || 0) + (Number(s.neutral) || 0) + (Number(s.negative) || 0) : 0);

function spanText(row) {
  const from = ms(row.covered_from);
  const to = ms(row.covered_to);
  if (from === null || to === null) return "—";
  const span = fmtDuration(to - from);
  return `${span} (${fmtTime(row.covered_from)} to ${fmtTime(row.covered_to)})${row.complete ? ", complete" : ", stopped at the limit"}`;
}

/** source.providers rows, or for an older one-source result a single row derived from source + sentiment. */
export function sourceRows(result) {
  const src = result.source || {};
  if (Array.isArray(src.providers)) return { rows: src.providers, derived: false };
  const attempts = Array.isArray(src.attempts) ? src.attempts : [];
  const rows = attempts.map((a) => ({ provider: a.provider, outcome: a.outcome, reason: a.reason, posts: 0 }));
  const chosen = rows.find((r) => r.provider === src.provider);
  const main = { provider: src.provider || "unknown", outcome: "ok", posts: result.posts_analyzed || 0, sentiment: result.sentiment };
  if (chosen) Object.assign(chosen, main, { reason: chosen.reason });
  else rows.unshift(main);
  return { rows, derived: true };
}

/** The off-topic examples: what the sources returned that the query does not match, and why. */
export function renderDropped(box, summary, list, result) {
  const examples = Array.isArray(result.source?.off_topic_examples) ? result.source.off_topic_examples : [];
  const rows = Array.isArray(result.source?.providers) ? result.source.providers : [];
  const dropped = rows.reduce((a, r) => a + (Number(r.off_topic) || 0), 0);
  clear(list);
  box.hidden = !dropped && !examples.length;
  summary.textContent = `Dropped posts: ${fmtInt(dropped)} off-topic (${fmtInt(examples.length)} shown)`;
  for (const e of examples) {
    list.append(
      h(
        "li",
        { dataset: { provider: e.provider || "" } },
        h("span", { class: "dropped-provider" }, e.provider || "?"),
        " ",
        h("span", { class: "dropped-reason" }, e.reason || ""),
        h("q", { class: "dropped-text" }, e.text || ""),
      ),
    );
  }
}

export function renderSources(tbody, note, result) {
  const { rows, derived } = sourceRows(result);
  clear(tbody);
  const total = rows.reduce((a, r) => a + (Number(r.posts) || 0), 0);
  for (const r of rows) {
    const s = r.sentiment;
    const scored = labelTotal(s);
    const pct = (k) => (scored ? fmtPct(s[k] / scored, 0) : "—");
    const outcome = r.outcome || "unknown";
    const fetchBits = [];
    if (typeof r.ms === "number") fetchBits.push(`${fmtInt(r.ms)} ms`);
    if (typeof r.cost_estimate_usd === "number") fetchBits.push(`$${r.cost_estimate_usd.toFixed(4)}`);
    tbody.append(
      h(
        "tr",
        { dataset: { provider: r.provider || "", outcome } },
        h("th", { scope: "row" }, r.provider || "?", r.account ? h("span", { class: "cell-sub" }, ` as ${r.account}`) : null),
        h("td", {}, h("span", { class: `outcome outcome-${outcome}` }, outcome)),
        h(
          "td",
          { class: "num", dataset: { col: "posts" }, title: r.duplicates ? `${fmtInt(r.fetched)} fetched, ${fmtInt(r.duplicates)} duplicates of other sources' posts dropped` : null },
          fmtInt(r.posts),
          r.duplicates ? h("span", { class: "cell-sub" }, ` (${fmtInt(r.duplicates)} dup.)`) : null,
        ),
        h("td", { class: "num", dataset: { col: "fetched" } }, typeof r.fetched === "number" ? fmtInt(r.fetched) : "—"),
        h("td", { class: "num", dataset: { col: "matched" } }, typeof r.matched === "number" ? fmtInt(r.matched) : "—"),
        h("td", { class: "num", dataset: { col: "off_topic" } }, typeof r.off_topic === "number" ? fmtInt(r.off_topic) : "—"),
        h("td", { class: "sent-query", dataset: { col: "sent_query" } }, r.sent_query ? h("code", {}, r.sent_query) : "—"),
        h("td", { class: "num", dataset: { col: "share" } }, total ? fmtPct((Number(r.posts) || 0) / total) : "—"),
        h("td", { class: "num" }, pct("positive")),
        h("td", { class: "num" }, pct("neutral")),
        h("td", { class: "num" }, pct("negative")),
        h("td", { class: "num" }, scored && typeof s.mean_compound === "number" ? fmtSigned(s.mean_compound) : "—"),
        h("td", { class: "span-cell" }, spanText(r)),
        h(
          "td",
          { class: "num", dataset: { col: "rate" } },
          r.outcome === "ok" && typeof r.posts_per_hour === "number" ? `${fmtApprox(r.posts_per_hour)}${r.basis ? ` (${r.basis})` : ""}` : "—",
        ),
        h("td", { class: "num" }, fetchBits.join(" · ") || "—"),
        h("td", { class: "reason" }, r.reason || (outcome === "ok" ? "" : "—")),
      ),
    );
  }
  const ok = rows.filter((r) => r.outcome === "ok").length;
  note.textContent = derived && result.source?.provider === "import"
    ? "Imported posts: one source, the uploaded file."
    : derived
    ? `This result came from one source (${result.source?.provider || "unknown"}); it predates the per-source breakdown, so only the sources tried are listed.`
    : `${ok} of ${rows.length} sources answered · shares are of the ${fmtInt(total)} posts in this result · sentiment shares are of each source's scored posts.`;
}

/* ---------------- languages and intervals ---------------- */

let languageNames = null;
function languageName(code) {
  try {
    languageNames ??= new Intl.DisplayNames(undefined, { type: "language" });
    if (!code || code === "und") return "undetermined (no words to tell)";
    const name = languageNames.of(code);
    return name && name !== code ? name : code;
  } catch {
    return code || "unknown language";
  }
}

/** The scored denominator: label counts (posts in unsupported languages are not among them). */
export function scoredCount(result) {
  const s = result.sentiment || {};
  return labelTotal(s);
}

export function renderLanguages(note, list, result) {
  clear(list);
  const langs = Array.isArray(result.languages) ? result.languages : null;
  const total = result.posts_analyzed || 0;
  const unscored = Number(result.sentiment?.unscored);
  if (!langs && !Number.isFinite(unscored)) {
    note.textContent = "This result does not record post languages: every post was scored.";
    note.dataset.unscored = "";
    list.hidden = true;
    return;
  }
  const n = Number.isFinite(unscored) ? unscored : (langs || []).reduce((a, l) => a + (l.posts - l.scored), 0);
  note.dataset.unscored = String(n);
  const missing = (langs || []).filter((l) => l.posts > l.scored).sort((a, b) => b.posts - b.scored - (a.posts - a.scored));
  if (!n) {
    note.textContent = `All ${fmtInt(total)} posts were scored.`;
  } else {
    const which = missing.map((l) => `${languageName(l.lang)} (${fmtInt(l.posts - l.scored)})`).join(", ");
    note.textContent =
      `${fmtInt(n)} of ${fmtInt(total)} posts not scored: the sentiment scorer does not read their language` +
      `${which ? `: ${which}` : ""}. They count in volume, terms and samples, not in the sentiment shares.`;
  }
  list.hidden = !langs || !langs.length;
  for (const l of [...(langs || [])].sort((a, b) => b.posts - a.posts)) {
    list.append(
      h(
        "li",
        { class: `lang${l.scored < l.posts ? " lang-unscored" : ""}`, dataset: { lang: l.lang, posts: String(l.posts), scored: String(l.scored) } },
        h("span", { class: "lang-name" }, `${languageName(l.lang)} `, h("span", { class: "muted" }, `(${l.lang})`)),
        h("span", { class: "lang-count" }, `${fmtInt(l.posts)} posts, ${fmtInt(l.scored)} scored`),
      ),
    );
  }
}

/** A 0..100 % track with the interval as a band and the share as a tick (SVG attributes: no inline style). */
export function intervalRange(share, interval, label) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 100 10");
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("class", `ci ci-${label}`);
  svg.setAttribute("aria-hidden", "true");
  const rect = (cls, x, w, y = 0, hgt = 10) => {
    const r = document.createElementNS(SVG_NS, "rect");
    r.setAttribute("class", cls);
    r.setAttribute("x", String(x));
    r.setAttribute("y", String(y));
    r.setAttribute("width", String(Math.max(0.6, w)));
    r.setAttribute("height", String(hgt));
    return r;
  };
  const [lo, hi] = interval.map((v) => Math.max(0, Math.min(1, Number(v))) * 100);
  svg.append(rect("ci-track", 0, 100, 4, 2), rect("ci-band", lo, hi - lo, 1, 8), rect("ci-point", share * 100 - 0.6, 1.2));
  return svg;
}

/** The KPI sub-line for a share: "38.1 to 46.0 % (95 % Wilson) · 420 of 1,000 scored". */
export function intervalText(result, name) {
  const iv = result.sentiment?.intervals;
  const pair = iv && Array.isArray(iv[name]) ? iv[name] : null;
  if (!pair) return null;
  const conf = Math.round((Number(iv.confidence) || 0.95) * 100);
  return {
    pair,
    text: `${conf}% interval ${fmtPct(pair[0])} to ${fmtPct(pair[1])} (${iv.method || "method not stated"}, n = ${fmtInt(iv.n ?? scoredCount(result))})`,
  };
}

/* ---------------- spend ---------------- */

export function renderSpend(wrap, list, metrics) {
  const spend = metrics && metrics.spend;
  clear(list);
  wrap.hidden = !spend;
  if (!spend) return;
  const providers = Object.entries(spend.providers || {});
  const budget = Number(spend.budget_usd_per_provider);
  const day = spend.day ? ` (UTC day ${spend.day})` : "";
  if (!providers.length) {
    list.append(
      h(
        "li",
        { class: "muted small spend-none" },
        `No paid provider was called today${day}: budget $${Number.isFinite(budget) ? budget.toFixed(2) : "?"} a provider a day.`,
      ),
    );
    return;
  }
  for (const [name, p] of providers) {
    const spent = Number(p.spent_usd) || 0;
    const cap = Number(p.budget_usd ?? budget) || 0;
    const id = `spend-${name.replace(/[^a-z0-9_-]/gi, "_")}`;
    list.append(
      h(
        "li",
        { class: `spend-row${p.exhausted ? " spend-exhausted" : ""}`, dataset: { provider: name, spent: String(spent), budget: String(cap) } },
        h("span", { class: "spend-name", id }, name),
        // A zero budget is drawn full: no paid call fits.
        cap > 0
          ? h("meter", { min: "0", max: String(cap), low: String(cap * 0.75), high: String(cap * 0.9), optimum: "0", value: String(Math.min(spent, cap)), "aria-labelledby": id })
          : h("meter", { min: "0", max: "1", value: "1", low: "0.75", high: "0.9", optimum: "0", "aria-labelledby": id }),
        h(
          "span",
          { class: "spend-figures" },
          `$${spent.toFixed(2)} of $${cap.toFixed(2)} today${day}`,
          cap > 0 ? ` · ${fmtPct(spent / cap, 0)}` : " · no budget: paid calls are off",
        ),
        p.exhausted ? h("span", { class: "badge badge-exhausted" }, "Budget spent: paid calls skipped") : null,
      ),
    );
  }
}
