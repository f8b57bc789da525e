// Export the current result: CSV (one row per post with its scores) and the full JSON.

export const CSV_COLUMNS = [
  "id", "created_at", "author", "text", "compound", "label", "likes", "reposts", "url", "keyword", "provider", "simulated",
  "lang", "scored",
];

/** Each post's own source: its `provider`, else the `<provider>:` prefix of its id (a result may merge sources). */
const providerOf = (post, src) => post.provider || (String(post.id || "").includes(":") ? String(post.id).split(":")[0] : src.provider);

/** RFC 4180 quoting; text cells that a spreadsheet would run as a formula get a leading apostrophe. */
function cell(value, { text = false } = {}) {
  let s = value === undefined || value === null ? "" : String(value);
  if (text && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(result) {
  const src = result.source || {};
  const lines = [CSV_COLUMNS.join(",")];
  for (const p of result.posts || []) {
    lines.push(
      [
        cell(p.id),
        cell(p.created_at),
        cell(p.author, { text: true }),
        cell(p.text, { text: true }),
        cell(p.compound),
        cell(p.label),
        cell(p.likes),
        cell(p.reposts),
        cell(p.url, { text: true }),
        cell(result.keyword, { text: true }),
        cell(providerOf(p, src)),
        cell(Boolean(src.simulated)),
        cell(p.lang),
        cell(p.scored === undefined ? "" : Boolean(p.scored)),
      ].join(","),
    );
  }
  return `${lines.join("\r\n")}\r\n`;
}

function slug(s) {
  return (
    String(s || "result")
      .normalize("NFKD")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 40) || "result"
  );
}

function stamp(iso) {
  return String(iso || new Date().toISOString()).replace(/[:]/g, "").replace(/\..*$/, "").replace(/Z$/, "Z");
}

function download(content, type, filename) {
  const blob = new Blob([content], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function exportCsv(result) {
  download(toCsv(result), "text/csv;charset=utf-8", `analysis-${slug(result.keyword)}-${stamp(result.analyzed_at)}.csv`);
}

export function exportJson(result) {
  download(`${JSON.stringify(result, null, 2)}\n`, "application/json", `analysis-${slug(result.keyword)}-${stamp(result.analyzed_at)}.json`);
}
