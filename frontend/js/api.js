// The only module that talks HTTP. Everything goes to the `/api` routes of docs/CONTRACTS.md.

let apiBase = "/api";
let pollTimeoutMs = 90_000;

export async function loadConfig() {
  try {
    const res = await fetch("config.json", { cache: "no-store" });
    if (res.ok) {
      const cfg = await res.json();
      if (typeof cfg.apiBase === "string" && cfg.apiBase) apiBase = cfg.apiBase.replace(/\/+$/, "");
      if (Number.isFinite(cfg.pollTimeoutMs) && cfg.pollTimeoutMs > 0) pollTimeoutMs = cfg.pollTimeoutMs;
    }
  } catch {
    /* no config.json: same-origin /api */
  }
  return { apiBase, pollTimeoutMs };
}

export function getApiBase() {
  return apiBase;
}

/** An API error: HTTP status, the contract's error code/message and optional per-field messages. */
export class ApiError extends Error {
  constructor(status, code, message, fields = []) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.fields = Array.isArray(fields) ? fields : [];
  }
}

/** `status_url` is `/api/jobs/<id>`: map it onto the configured base so a cross-origin API also works. */
export function resolveApiUrl(path) {
  if (/^https?:\/\//i.test(path)) return path;
  if (path.startsWith("/api/") || path === "/api") return apiBase + path.slice(4);
  return apiBase + (path.startsWith("/") ? path : `/${path}`);
}

/** One HTTP call to the API: JSON in and out, errors as ApiError. `headers` adds to Accept/Content-Type. */
export async function request(path, { method = "GET", body, signal, headers = {} } = {}) {
  let res;
  try {
    res = await fetch(resolveApiUrl(path), {
      method,
      signal,
      headers: {
        Accept: "application/json",
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new ApiError(0, "network_error", "Could not reach the API. Check your connection and try again.");
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const e = (data && data.error) || {};
    throw new ApiError(res.status, e.code || `http_${res.status}`, e.message || `The API answered ${res.status}.`, e.fields);
  }
  return { status: res.status, data };
}

export function submitAnalysis({ keyword, limit, windowHours, refresh = false, providers = [] }, signal) {
  const body = { keyword };
  if (providers && providers.length) body.providers = providers;
  if (limit) body.limit = limit;
  if (windowHours) body.window_hours = windowHours;
  if (refresh) body.refresh = true;
  return request("/api/analyses", { method: "POST", body, signal });
}

export function getJob(statusUrl, signal) {
  return request(statusUrl, { signal });
}

export function getMetrics(signal) {
  return request("/api/metrics", { signal }).then((r) => r.data);
}

/** Share of voice across the latest results of `keywords` (GET /api/compare: 1..10 keywords). */
export function getCompare(keywords, signal) {
  const q = keywords.map((k) => k.replace(/,/g, " ")).join(",");
  return request(`/api/compare?keywords=${encodeURIComponent(q)}`, { signal }).then((r) => r.data);
}

const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        reject(new DOMException("Aborted", "AbortError"));
      },
      { once: true },
    );
  });

/**
 * Submit once, then poll `status_url` (GET only, never re-POST) with exponential backoff until done/failed/timeout.
 * onStatus({status, jobId, cached}) is called on every change. Resolves with the Result.
 */
export async function runAnalysis(params, { onStatus = () => {}, signal, timeoutMs = pollTimeoutMs } = {}) {
  const started = performance.now();
  onStatus({ status: "submitting" });
  const { status, data } = await submitAnalysis(params, signal);
  if (status === 200 && data && data.result) {
    onStatus({ status: "done", cached: true });
    return { result: data.result, cached: true };
  }
  if (!data || !data.status_url) throw new ApiError(status, "bad_response", "The API answered without a status URL.");
  onStatus({ status: data.status, jobId: data.job_id, cached: false });
  return pollJob(data.status_url, { onStatus, signal, timeoutMs, started, initialStatus: data.status, jobId: data.job_id });
}

/** Poll a job's status URL (GET only) with exponential backoff until done/failed/timeout. Resolves with the Result. */
export async function pollJob(
  statusUrl,
  { onStatus = () => {}, signal, timeoutMs = pollTimeoutMs, started = performance.now(), initialStatus = null, jobId = null } = {},
) {
  let state = initialStatus;
  let delay = initialStatus ? 300 : 0;
  for (;;) {
    if (performance.now() - started > timeoutMs) {
      throw new ApiError(0, "timeout", `The analysis did not finish within ${Math.round(timeoutMs / 1000)} s.`);
    }
    await sleep(delay, signal);
    delay = Math.min(Math.round(Math.max(delay, 300) * 1.6), 3000);
    const job = (await getJob(statusUrl, signal)).data;
    if (job.status !== state) {
      state = job.status;
      onStatus({ status: state, jobId: jobId || job.job_id, cached: false });
    }
    if (job.status === "done" && job.result) return { result: job.result, cached: false };
    if (job.status === "failed") {
      const e = job.error || {};
      throw new ApiError(200, e.code || "job_failed", e.message || "The analysis failed.");
    }
  }
}

/** The API's own check of a query (GET /api/query/check): resolves with the parsed summary, rejects with an
 *  ApiError whose fields[0].position is the 0-based character the error points at. One parser, the API's. */
export function checkQuery(text, signal) {
  return request(`/api/query/check?q=${encodeURIComponent(text)}`, { signal }).then((r) => r.data);
}

/** The query syntax help (GET /api/query/syntax): the same rows the API documents. */
export function getQuerySyntax(signal) {
  return request("/api/query/syntax", { signal }).then((r) => r.data);
}
