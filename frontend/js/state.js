// View state in the URL (shareable, Back works) and small preferences in localStorage.

export const MAX_COMPARE = 10; // keywords in a comparison, the main one included (GET /api/compare's MAX_KEYWORDS)
const RECENT_KEY = "asa.recent";
const THEME_KEY = "asa.theme";
const RECENT_MAX = 8;
export const DEFAULTS = { view: "analyze", windowHours: 24, limit: 100 };

// Python's str.split() whitespace (str.isspace), which differs from JS \s: it has U+001C..U+001F and U+0085, not U+FEFF.
const PY_WHITESPACE = /[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;
const CHEROKEE_UPPER = /^[\u13a0-\u13f5]$/u;
const CHEROKEE_LOWER = /^[\uab70-\uabbf\u13f8-\u13fd]$/u;

/** Python's str.casefold() for one character: full case folding is upper-then-lower except for these. */
function casefoldChar(ch) {
  if (ch === "\u1e9e") return "ss"; // capital sharp s
  if (ch === "\u0131") return ch; // dotless i has no folding
  if (CHEROKEE_UPPER.test(ch)) return ch; // Cherokee folds to its uppercase letters
  if (CHEROKEE_LOWER.test(ch)) return ch.toUpperCase();
  return ch.toUpperCase().toLowerCase();
}

/**
 * The API's cache key (models.normalize_keyword): NFKC, casefold, whitespace collapsed, trimmed. Per character, so
 * that no context rule (final sigma) applies, as in Python. Checked against Python for every code point in the
 * browser tests (except code points newer than the Python's Unicode database).
 */
export function normalizeKeyword(k) {
  const folded = Array.from(String(k || "").normalize("NFKC"), casefoldChar).join("");
  return folded.split(PY_WHITESPACE).filter(Boolean).join(" ");
}

export function splitKeywords(text) {
  const seen = new Set();
  const out = [];
  for (const raw of String(text || "").split(",")) {
    const k = raw.trim();
    const key = normalizeKeyword(k);
    if (k && !seen.has(key)) {
      seen.add(key);
      out.push(k);
    }
  }
  return out;
}

/** Parse location.search into {view, q, compare[], windowHours, limit}. */
export function readUrl(search = window.location.search) {
  const p = new URLSearchParams(search);
  const int = (name, dflt) => {
    const v = Number.parseInt(p.get(name) ?? "", 10);
    return Number.isFinite(v) ? v : dflt;
  };
  return {
    view: p.get("view") || DEFAULTS.view,
    q: (p.get("q") || "").trim(),
    job: /^[A-Za-z0-9-]{1,64}$/.test(p.get("job") || "") ? p.get("job") : "",
    compare: splitKeywords(p.get("compare") || "").slice(0, MAX_COMPARE - 1),
    windowHours: int("window", DEFAULTS.windowHours),
    limit: int("limit", DEFAULTS.limit),
  };
}

export function toSearch(state) {
  const p = new URLSearchParams();
  if (state.view && state.view !== DEFAULTS.view) p.set("view", state.view);
  if (state.q) p.set("q", state.q);
  if (state.job && !state.q) p.set("job", state.job);
  if (state.compare && state.compare.length) p.set("compare", state.compare.join(","));
  if (state.windowHours && state.windowHours !== DEFAULTS.windowHours) p.set("window", String(state.windowHours));
  if (state.limit && state.limit !== DEFAULTS.limit) p.set("limit", String(state.limit));
  const s = p.toString();
  return s ? `?${s}` : window.location.pathname;
}

/** pushState when the view changes (so Back works); replaceState when only cosmetics change. */
export function writeUrl(state, { replace = false } = {}) {
  const next = toSearch(state);
  const current = window.location.search || window.location.pathname;
  if (next === current) return;
  if (replace) window.history.replaceState(state, "", next);
  else window.history.pushState(state, "", next);
}

function readJson(key, dflt) {
  try {
    const v = JSON.parse(localStorage.getItem(key) || "null");
    return v ?? dflt;
  } catch {
    return dflt;
  }
}

export function recentSearches() {
  const list = readJson(RECENT_KEY, []);
  return Array.isArray(list) ? list.filter((k) => typeof k === "string").slice(0, RECENT_MAX) : [];
}

export function rememberSearch(keyword) {
  const key = normalizeKeyword(keyword);
  const list = recentSearches().filter((k) => normalizeKeyword(k) !== key);
  list.unshift(keyword.trim());
  try {
    localStorage.setItem(RECENT_KEY, JSON.stringify(list.slice(0, RECENT_MAX)));
  } catch {
    /* storage full or disabled */
  }
}

export function clearRecent() {
  try {
    localStorage.removeItem(RECENT_KEY);
  } catch {
    /* ignore */
  }
}

export function currentTheme() {
  return document.documentElement.getAttribute("data-theme") === "light" ? "light" : "dark";
}

export function setTheme(theme) {
  document.documentElement.setAttribute("data-theme", theme);
  try {
    localStorage.setItem(THEME_KEY, theme);
  } catch {
    /* ignore */
  }
}
