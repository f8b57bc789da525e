// DOM rendering. Untrusted data (post text, authors, terms, provider reasons) only ever goes through
// textContent / setAttribute via h(): this module never uses innerHTML.

/** h("div", {class: "x", dataset: {a: 1}, onclick: fn}, child, "text", ...) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

const nf = new Intl.NumberFormat();
export const fmtInt = (n) => nf.format(Math.round(Number(n) || 0));
export const fmtPct = (x, digits = 1) => `${(Number(x) * 100).toFixed(digits)}%`;
export const fmtSigned = (x, digits = 2) => (x > 0 ? "+" : x < 0 ? "−" : "") + Math.abs(Number(x)).toFixed(digits);

export function fmtTime(iso, opts) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso || "";
  return d.toLocaleString(undefined, opts || { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

export function relTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const s = Math.round((Date.now() - d.getTime()) / 1000);
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

export function labelOf(compound) {
  if (compound >= 0.05) return "positive";
  if (compound <= -0.05) return "negative";
  return "neutral";
}

/** Only http(s) links are followed; anything else (javascript:, data:) is dropped. */
export function safeUrl(url) {
  if (typeof url !== "string" || !url) return null;
  try {
    const u = new URL(url, window.location.href);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}

/**
 * Shares are of the scored posts (posts in a language the scorer does not read are counted, not scored); each share
 * carries its 95 % interval as a range when the result has one (`extras.interval(name)` from insight.js).
 */
export function renderKpis(container, result, extras = {}) {
  const s = result.sentiment || {};
  const total = result.posts_analyzed || 0;
  const scored = (s.positive || 0) + (s.neutral || 0) + (s.negative || 0);
  const unscored = Number.isFinite(Number(s.unscored)) ? Number(s.unscored) : null;
  const share = (n) => (scored ? (n || 0) / scored : 0);
  const mean = Number(s.mean_compound || 0);
  const postsSub = [unscored ? `${fmtInt(scored)} scored, ${fmtInt(unscored)} not scored (language)` : "all scored"];
  if (extras.postsNote) postsSub.push(extras.postsNote);
  const shareCard = (id, label, cls) => {
    const iv = extras.interval ? extras.interval(id) : null;
    return {
      id,
      label: `${label} share`,
      value: fmtPct(share(s[id])),
      raw: s[id] || 0,
      cls,
      sub: `${fmtInt(s[id])} of ${fmtInt(scored)} scored posts`,
      range: iv ? extras.range(share(s[id]), iv.pair, id) : null,
      rangeText: iv ? iv.text : "no interval in this result",
    };
  };
  const cards = [
    { id: "posts", label: "Posts analyzed", value: fmtInt(total), raw: total, cls: "", sub: postsSub.join(" · ") },
    shareCard("positive", "Positive", "kpi-pos"),
    shareCard("neutral", "Neutral", "kpi-neu"),
    shareCard("negative", "Negative", "kpi-neg"),
    {
      id: "mean",
      raw: mean,
      label: "Mean compound",
      value: fmtSigned(mean),
      cls: `kpi-${labelOf(mean)}`,
      sub:
        (typeof s.weighted_mean_compound === "number"
          ? `engagement-weighted ${fmtSigned(s.weighted_mean_compound)}`
          : "from −1 (negative) to +1") + ` · over ${fmtInt(scored)} scored posts`,
    },
  ];
  clear(container).append(
    ...cards.map((c) =>
      h(
        "div",
        { class: `kpi card ${c.cls}`, dataset: { kpi: c.id } },
        h("span", { class: "kpi-label" }, c.label),
        h("span", { class: "kpi-value", dataset: { value: c.id, raw: String(c.raw) } }, c.value),
        c.sub ? h("span", { class: "kpi-sub" }, c.sub) : null,
        c.range || null,
        c.rangeText ? h("span", { class: "kpi-ci", dataset: { ci: c.id } }, c.rangeText) : null,
      ),
    ),
  );
}

function sentimentBar(compound) {
  // A small diverging meter from -1 to +1: position set through a CSS class bucket, no inline style attribute.
  const label = labelOf(compound);
  const bucket = Math.max(0, Math.min(20, Math.round((compound + 1) * 10)));
  return h(
    "span",
    { class: `meter meter-${label}`, title: `Mean compound ${fmtSigned(compound)}` },
    h("span", { class: `meter-fill m${bucket}` }),
    h("span", { class: "meter-num" }, fmtSigned(compound)),
  );
}

const hasTest = (t) => typeof t.trend_direction === "string" || typeof t.significant === "boolean";

/** Significant movers first (largest G-squared first), then the others by count. */
export function sortTerms(terms, by) {
  const list = [...terms];
  if (by === "trend") {
    list.sort(
      (a, b) =>
        Number(Boolean(b.significant)) - Number(Boolean(a.significant)) ||
        (Number(b.trend_score) || 0) - (Number(a.trend_score) || 0) ||
        (b.count || 0) - (a.count || 0),
    );
  }
  return list;
}

function trendCell(t) {
  if (hasTest(t)) {
    const score = typeof t.trend_score === "number" ? `G² ${t.trend_score.toFixed(1)}` : "G² n/a";
    if (t.significant && (t.trend_direction === "up" || t.trend_direction === "down")) {
      const up = t.trend_direction === "up";
      return h(
        "span",
        { class: `trend trend-${t.trend_direction} trend-significant`, dataset: { significant: "true" }, title: "Rate changed against the baseline by more than chance (log-likelihood G²)" },
        h("span", { "aria-hidden": "true" }, up ? "▲ " : "▼ "),
        `${up ? "rising" : "falling"}`,
        h("span", { class: "trend-score" }, ` · ${score}`),
      );
    }
    return h("span", { class: "trend trend-flat", dataset: { significant: "false" }, title: "No change beyond chance against the baseline" }, "not significant", h("span", { class: "trend-score" }, ` · ${score}`));
  }
  if (typeof t.trend === "number") {
    const dir = t.trend > 0.0005 ? "up" : t.trend < -0.0005 ? "down" : "flat";
    return h(
      "span",
      { class: "trend trend-flat", title: "Share change vs the previous result, without a significance test" },
      `${t.trend > 0 ? "+" : t.trend < 0 ? "−" : ""}${(Math.abs(t.trend) * 100).toFixed(1)} pts (${dir}, untested)`,
    );
  }
  return h("span", { class: "muted", title: "No baseline to compare with" }, "—");
}

export function renderTerms(tbody, result, { sortBy = "count" } = {}) {
  const terms = sortTerms(result.top_terms || [], sortBy);
  const total = result.posts_analyzed || 0;
  clear(tbody);
  if (!terms.length) {
    tbody.append(h("tr", {}, h("td", { colspan: 5, class: "muted empty-row" }, "No terms in these posts.")));
    return;
  }
  for (const t of terms.slice(0, 15)) {
    const share = typeof t.share === "number" ? t.share : total ? t.count / total : 0;
    tbody.append(
      h(
        "tr",
        { dataset: { term: t.term, significant: String(Boolean(t.significant)) } },
        h("th", { scope: "row", class: "term" }, t.term),
        h("td", { class: "num" }, fmtInt(t.count)),
        h("td", { class: "num hide-narrow" }, fmtPct(share)),
        h("td", { class: "hide-narrow" }, typeof t.sentiment === "number" ? sentimentBar(t.sentiment) : h("span", { class: "muted" }, "n/a")),
        h("td", { class: "num" }, trendCell(t)),
      ),
    );
  }
}

/** What the trend column measures, and the terms absent from the baseline. */
export function renderTrendExtras(note, wrap, ul, result) {
  const terms = result.top_terms || [];
  const tested = terms.some(hasTest);
  const baseline = result.trend_baseline;
  if (tested) {
    const against =
      baseline === "history"
        ? "the keyword's earlier results (history)"
        : baseline === "window"
          ? "the earlier part of this window (no history yet)"
          : "no baseline (nothing to compare with)";
    const movers = terms.filter((t) => t.significant).length;
    note.textContent =
      `Trend: each term's rate against ${against}, log-likelihood G² (significant: G² ≥ 3.84, p < 0.05, and at least 5 mentions); ` +
      `▲/▼ marks only the ${movers} significant ${movers === 1 ? "mover" : "movers"}, other terms show their G² without a flag.`;
  } else if (terms.some((t) => typeof t.trend === "number")) {
    note.textContent = "Trend: share change against the previous result, untested (this result has no significance test).";
  } else {
    note.textContent = "Trend: no baseline to compare with.";
  }
  clear(ul);
  const emerging = Array.isArray(result.emerging_terms) ? result.emerging_terms : [];
  wrap.hidden = !emerging.length;
  for (const e of emerging) {
    ul.append(
      h(
        "li",
        { class: "tag tag-emerging", dataset: { term: e.term } },
        h("span", {}, e.term),
        h("span", { class: "tag-count" }, `${fmtInt(e.count)} posts${typeof e.trend_score === "number" ? ` · G² ${e.trend_score.toFixed(1)}` : ""}`),
      ),
    );
  }
}

export function renderTags(ul, items, prefix = "") {
  clear(ul);
  if (!items || !items.length) {
    ul.append(h("li", { class: "muted empty-inline" }, prefix === "#" ? "No hashtags in these posts." : "None found."));
    return;
  }
  const max = Math.max(...items.map((t) => t.count || 0), 1);
  for (const t of items.slice(0, 20)) {
    const size = Math.max(1, Math.min(4, Math.ceil(((t.count || 0) / max) * 4)));
    ul.append(h("li", { class: `tag tag-${size}` }, h("span", {}, `${prefix}${t.term}`), h("span", { class: "tag-count" }, fmtInt(t.count))));
  }
}

/** A post in a language the scorer does not read has no sentiment label (it is not neutral). */
const postLabel = (p) => (p.scored === false ? "unscored" : p.label || labelOf(Number(p.compound || 0)));

export function postItem(post, { compact = false } = {}) {
  const compound = Number(post.compound || 0);
  const label = postLabel(post);
  const url = safeUrl(post.url);
  const meta = h(
    "div",
    { class: "post-meta" },
    post.kind === "headline" ? h("span", { class: "post-kind", title: "A news headline (the article's title), scored like a post" }, "News headline") : null,
    post.kind === "repost" ? h("span", { class: "post-kind", title: "A repost of another post: its own engagement only" }, "Repost") : null,
    h("span", { class: "post-author", title: post.kind === "headline" ? "Publisher" : null }, post.author || "unknown"),
    post.provider ? h("span", { class: "post-provider", title: "The source this post came from" }, `via ${post.provider}${post.country ? `, ${post.country}` : ""}`) : null,
    h("time", { datetime: post.created_at || "", title: fmtTime(post.created_at) }, relTime(post.created_at)),
    compact || post.kind === "headline" ? null : h("span", { class: "post-eng", title: "Likes and reposts" }, `♥ ${fmtInt(post.likes)} · ⟲ ${fmtInt(post.reposts)}`),
    post.lang && post.lang !== "en" ? h("span", { class: "post-lang", title: "Language of the post" }, post.lang) : null,
    url ? h("a", { href: url, target: "_blank", rel: "noopener noreferrer nofollow", class: "post-link" }, "Open original", h("span", { class: "sr-only" }, ` post by ${post.author || "unknown"}`)) : null,
  );
  return h(
    "li",
    { class: `post post-${label}`, dataset: { label, postId: post.id || "", provider: post.provider || "", kind: post.kind || "post" } },
    label === "unscored"
      ? h("span", { class: "score score-unscored", title: `Not scored: the scorer does not read this language (${post.lang || "unknown"})` }, "n/s", h("span", { class: "sr-only" }, " not scored"))
      : h("span", { class: `score score-${label}`, title: `Compound ${fmtSigned(compound)} (${label})` }, fmtSigned(compound), h("span", { class: "sr-only" }, ` ${label}`)),
    h("div", { class: "post-body" }, h("p", { class: "post-text" }, post.text || ""), meta),
  );
}

export function renderPosts(ol, posts, { filter = "all", compact = false, emptyText = "No posts." } = {}) {
  clear(ol);
  const list = (posts || []).filter((p) => filter === "all" || postLabel(p) === filter);
  if (!list.length) {
    ol.append(h("li", { class: "muted empty-inline" }, emptyText));
    return;
  }
  ol.append(...list.map((p) => postItem(p, { compact })));
}

/** top_positive / top_negative when the API gives them, else derived from the sample. */
export function extremes(result, n = 3) {
  const posts = [...(result.posts || [])];
  const pos = Array.isArray(result.top_positive)
    ? result.top_positive
    : posts.filter((p) => p.compound >= 0.05).sort((a, b) => b.compound - a.compound);
  const neg = Array.isArray(result.top_negative)
    ? result.top_negative
    : posts.filter((p) => p.compound <= -0.05).sort((a, b) => a.compound - b.compound);
  return { pos: pos.slice(0, n), neg: neg.slice(0, n) };
}

export function renderProvenance(result) {
  const src = result.source || {};
  const badge = document.getElementById("provider-badge");
  const answered = Array.isArray(src.providers) ? src.providers.filter((r) => r.outcome === "ok").map((r) => r.provider) : null;
  badge.textContent = answered && answered.length > 1 ? `Sources: ${answered.join(", ")}` : `Source: ${src.provider || "unknown"}`;
  document.getElementById("simulated-badge").hidden = !src.simulated;
  const body = clear(document.getElementById("attempts-body"));
  const attempts = Array.isArray(src.attempts) ? src.attempts : [];
  if (!attempts.length) body.append(h("tr", {}, h("td", { colspan: 3, class: "muted" }, "No provider details recorded.")));
  for (const a of attempts) {
    body.append(
      h(
        "tr",
        {},
        h("th", { scope: "row" }, a.provider || "?"),
        h("td", {}, h("span", { class: `outcome outcome-${a.outcome || "unknown"}` }, a.outcome || "unknown")),
        h("td", { class: "reason" }, a.reason || "—"),
      ),
    );
  }
  const extra = [];
  if (src.fetched_at) extra.push(`Fetched ${fmtTime(src.fetched_at)}`);
  if (typeof src.cost_estimate_usd === "number") extra.push(`estimated cost $${src.cost_estimate_usd.toFixed(4)}`);
  document.getElementById("source-extra").textContent = extra.join(" · ");
  document.getElementById("attempts").classList.toggle("has-failures", attempts.some((a) => a.outcome === "failed"));
}

export function renderMetrics(dl, m) {
  clear(dl);
  const lat = m.latency_ms || {};
  const ms = (x) => (typeof x === "number" ? `${x >= 100 ? Math.round(x) : x.toFixed(1)} ms` : "—");
  const hits = m.cache_hits || 0;
  const misses = m.cache_misses || 0;
  const items = [
    ["Cache hits", fmtInt(hits), hits + misses ? `${fmtPct(hits / (hits + misses), 0)} hit rate` : ""],
    ["Cache misses", fmtInt(misses), ""],
    ["Tasks enqueued", fmtInt(m.tasks_enqueued), ""],
    ["Batches processed", fmtInt(m.batches_processed), ""],
    ["Avg batch size", Number(m.avg_batch_size || 0).toFixed(1), ""],
    ["Cached latency", ms(lat.cached?.p50), `p95 ${ms(lat.cached?.p95)}`],
    ["Queued latency", ms(lat.queued?.p50), `p95 ${ms(lat.queued?.p95)}`],
  ];
  for (const [label, value, sub] of items) {
    dl.append(
      h("div", { class: "metric" }, h("dt", {}, label), h("dd", {}, h("span", { class: "metric-value" }, value), sub ? h("span", { class: "metric-sub" }, sub) : null)),
    );
  }
}

/** Rows of GET /api/compare: observed posts, the estimate and its basis, the API's share, sentiment of scored posts. */
export function renderCompareTable(tbody, rows) {
  clear(tbody);
  for (const [i, r] of rows.entries()) {
    const s = r.sentiment || {};
    const scored = (s.positive || 0) + (s.neutral || 0) + (s.negative || 0);
    const pct = (k) => (scored ? fmtPct((s[k] || 0) / scored, 0) : "—");
    const estimate = typeof r.estimated_posts_in_window === "number" ? r.estimated_posts_in_window : null;
    tbody.append(
      h(
        "tr",
        { dataset: { keyword: r.keyword, basis: r.basis || "" } },
        h(
          "th",
          { scope: "row" },
          h("span", { class: `swatch s${(i % 10) + 1}`, "aria-hidden": "true" }),
          r.keyword,
          r.simulated ? h("span", { class: "badge badge-sim badge-tiny" }, "Simulated") : null,
          r.analyzed === false ? h("span", { class: "badge badge-tiny" }, "Not analyzed") : null,
        ),
        h("td", { class: "num", dataset: { col: "volume" } }, fmtInt(r.volume)),
        h("td", { class: "num", dataset: { col: "estimate" } }, estimate === null ? "—" : r.basis === "complete" ? fmtInt(estimate) : `≈ ${fmtInt(estimate)}`),
        h("td", { dataset: { col: "basis" } }, r.basis || "posts analyzed (capped)"),
        h("td", { class: "num share" }, fmtPct(r.share || 0)),
        h("td", { class: "num" }, pct("positive")),
        h("td", { class: "num" }, pct("neutral")),
        h("td", { class: "num" }, pct("negative")),
        h("td", { class: "num" }, scored ? fmtSigned(s.mean_compound || 0) : "—"),
      ),
    );
  }
}
