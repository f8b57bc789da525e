// Delivery channels in the Tracked view (admin only): add a webhook / Slack / email channel (its signing secret is
// shown once), send a test, delete, and each channel's delivery log. Per tracked keyword: which channels it sends
// to (alerts, a daily or weekly digest at a local hour) and the recent deliveries about it.
// Every text from the API goes through textContent via h(): no innerHTML.
import { clear, fmtTime, h, relTime } from "./render.js";

let api = null; // { call, say, adminError, ensureToken, token, refresh }
let channels = [];
const logs = new Map(); // channel id -> deliveries (newest first)

export function initChannels(helpers) {
  api = helpers;
}

export function channelsPanel() {
  const form = h(
    "form",
    { id: "channel-form", class: "channel-form", novalidate: true },
    h(
      "div",
      { class: "field field-small" },
      h("label", { for: "channel-type" }, "Type"),
      h("select", { id: "channel-type" }, ...["webhook", "slack", "email"].map((t) => h("option", { value: t }, t))),
    ),
    h(
      "div",
      { class: "field field-keyword" },
      h("label", { for: "channel-target" }, "HTTPS URL (webhook, Slack) or email address"),
      h("input", { id: "channel-target", type: "text", autocomplete: "off", maxlength: "2048", placeholder: "https://hooks.slack.com/services/…" }),
    ),
    h(
      "div",
      { class: "field field-small" },
      h("label", { for: "channel-name" }, "Name"),
      h("input", { id: "channel-name", type: "text", autocomplete: "off", maxlength: "80", placeholder: "e.g. ops" }),
    ),
    h("button", { type: "submit", class: "btn btn-primary", id: "channel-add" }, "Add channel"),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!api.ensureToken()) return;
    const type = document.getElementById("channel-type").value;
    const target = document.getElementById("channel-target").value.trim();
    const name = document.getElementById("channel-name").value.trim();
    const body = { type, ...(type === "email" ? { address: target } : { url: target }), ...(name ? { name } : {}) };
    try {
      const made = await api.call("/api/channels", { method: "POST", body, admin: true });
      document.getElementById("channel-target").value = "";
      const secret = document.getElementById("channel-secret");
      if (made.secret) {
        clear(secret).append(
          h("strong", {}, "Signing secret (shown only now): "),
          h("code", { id: "channel-secret-value" }, made.secret),
          " – receivers verify X-Signature with it (docs/ALERTS.md).",
        );
        secret.hidden = false;
      } else {
        secret.hidden = true;
      }
      api.say(`Channel “${made.name}” added (${made.target}).`);
      await api.refresh();
    } catch (err) {
      api.adminError(err);
    }
  });
  return h(
    "section",
    { id: "channels", class: "card panel", "aria-labelledby": "channels-title" },
    h("h2", { id: "channels-title", class: "small" }, "Delivery channels (admin)"),
    form,
    h("p", { id: "channel-secret", class: "small channel-secret", hidden: true }),
    h("ul", { id: "channel-list", class: "channel-list" }),
  );
}

/** Load the channels and their logs (admin token needed; without one the panel says so). */
export async function loadChannels() {
  const list = document.getElementById("channel-list");
  if (!list) return;
  if (!api.token()) {
    channels = [];
    logs.clear();
    clear(list).append(h("li", { class: "muted small" }, "Enter the admin token to see and manage channels."));
    return;
  }
  try {
    channels = (await api.call("/api/channels", { admin: true })).channels;
    const rows = await Promise.all(
      channels.map((c) => api.call(`/api/channels/${encodeURIComponent(c.id)}/deliveries?limit=20`, { admin: true }).catch(() => ({ deliveries: [] }))),
    );
    logs.clear();
    channels.forEach((c, i) => logs.set(c.id, rows[i].deliveries));
  } catch (err) {
    channels = [];
    if (err.status === 401) return api.adminError(err);
  }
  clear(list);
  if (!channels.length) list.append(h("li", { class: "muted small" }, "No channel yet."));
  for (const channel of channels) list.append(channelRow(channel));
  list.dataset.count = String(channels.length);
}

function channelRow(channel) {
  const rows = logs.get(channel.id) || [];
  return h(
    "li",
    { class: "channel", dataset: { id: channel.id, type: channel.type } },
    h("strong", { class: "channel-name" }, channel.name),
    ` · ${channel.type} · `,
    h("code", {}, channel.target),
    " ",
    h("button", { type: "button", class: "btn btn-small", onclick: () => sendTest(channel) }, "Send test"),
    " ",
    h("button", { type: "button", class: "btn btn-small btn-ghost", onclick: () => remove(channel), "aria-label": `Delete channel ${channel.name}` }, "Delete"),
    deliveryTable(rows.slice(0, 5)),
  );
}

function deliveryTable(rows) {
  if (!rows.length) return h("p", { class: "muted small delivery-empty" }, "Nothing delivered yet.");
  return h(
    "table",
    { class: "delivery-log small" },
    h("thead", {}, h("tr", {}, ...["When", "What", "Status", "Attempts", "Code", "Note"].map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      {},
      ...rows.map((r) =>
        h(
          "tr",
          { class: `delivery delivery-${r.status}`, dataset: { status: r.status, attempts: String(r.attempts), kind: r.kind } },
          h("td", {}, h("time", { datetime: r.at, title: fmtTime(r.at) }, relTime(r.at))),
          h("td", {}, r.what || r.kind),
          h("td", { class: "delivery-status" }, r.status),
          h("td", {}, String(r.attempts)),
          h("td", {}, r.code === null || r.code === undefined ? "–" : String(r.code)),
          h("td", {}, [r.error, r.latency_ms != null ? `${r.latency_ms} ms` : null].filter(Boolean).join(" · ")),
        ),
      ),
    ),
  );
}

async function sendTest(channel) {
  if (!api.ensureToken()) return;
  try {
    await api.call(`/api/channels/${encodeURIComponent(channel.id)}/test`, { method: "POST", admin: true });
    api.say(`A test message to “${channel.name}” is queued; its outcome appears in the log below.`);
    setTimeout(() => loadChannels(), 1500);
  } catch (err) {
    api.adminError(err);
  }
}

async function remove(channel) {
  if (!api.ensureToken()) return;
  try {
    await api.call(`/api/channels/${encodeURIComponent(channel.id)}`, { method: "DELETE", admin: true });
    api.say(`Channel “${channel.name}” deleted.`);
    await api.refresh();
  } catch (err) {
    api.adminError(err);
  }
}

/** The tracked keyword's channels, its recent deliveries, and a form to add a channel to it. */
export function trackedChannels(item) {
  const names = new Map(channels.map((c) => [c.id, c.name]));
  const subs = item.channels || [];
  const describe = (s) =>
    `${names.get(s.id) || s.id}: ${[s.alerts ? "alerts" : null, s.digest ? `${s.digest} digest at ${String(s.digest_hour).padStart(2, "0")}:00 ${s.timezone}` : null].filter(Boolean).join(" + ") || "nothing"}`;
  const mentions = (row) => (row.what || "").includes(`'${item.keyword}'`) || (row.what || "").includes(`"${item.keyword}"`);
  const recent = subs.flatMap((s) => (logs.get(s.id) || []).filter(mentions).map((r) => ({ ...r, what: `${names.get(s.id) || s.id}: ${r.what}` })));
  recent.sort((a, b) => (a.at < b.at ? 1 : -1));
  const children = [
    h("h4", { class: "small" }, "Delivered to"),
    subs.length ? h("ul", { class: "tracked-channels small" }, ...subs.map((s) => h("li", { dataset: { id: s.id } }, describe(s)))) : h("p", { class: "muted small" }, "No channel."),
  ];
  if (subs.length && api.token()) children.push(h("div", { class: "tracked-deliveries" }, deliveryTable(recent.slice(0, 5))));
  if (channels.length && api.token()) children.push(attachForm(item));
  return h("div", { class: "tracked-channel-box" }, ...children);
}

function attachForm(item) {
  const select = h("select", { class: "attach-channel", "aria-label": `Channel for ${item.keyword}` }, ...channels.map((c) => h("option", { value: c.id }, c.name)));
  const digest = h(
    "select",
    { class: "attach-digest", "aria-label": "Digest" },
    h("option", { value: "" }, "no digest"),
    h("option", { value: "daily" }, "daily digest"),
    h("option", { value: "weekly" }, "weekly digest"),
  );
  const hour = h("input", { class: "attach-hour", type: "number", min: "0", max: "23", value: "8", "aria-label": "Digest hour" });
  const zone = h("input", { class: "attach-zone", type: "text", value: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC", "aria-label": "Time zone" });
  const alerts = h("input", { class: "attach-alerts", type: "checkbox", checked: true, "aria-label": "Send alerts" });
  const form = h(
    "form",
    { class: "attach-form small", novalidate: true },
    select,
    h("label", {}, alerts, " alerts"),
    digest,
    " at ",
    hour,
    ":00 ",
    zone,
    h("button", { type: "submit", class: "btn btn-small" }, "Send to this channel"),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!api.ensureToken()) return;
    const chosen = {
      id: select.value,
      alerts: alerts.checked,
      digest: digest.value || null,
      digest_hour: Number(hour.value),
      timezone: zone.value.trim() || "UTC",
    };
    const known = new Set(channels.map((c) => c.id));
    const keep = (item.channels || []).filter((s) => s.id !== chosen.id && known.has(s.id));
    const body = {
      keyword: item.keyword,
      interval_minutes: item.interval_minutes,
      sensitivity: item.sensitivity,
      min_volume: item.min_volume,
      limit: item.limit,
      window_hours: item.window_hours,
      ...(item.providers ? { providers: item.providers } : {}),
      ...(item.languages ? { languages: item.languages } : {}),
      channels: [...keep, chosen],
    };
    try {
      await api.call("/api/tracked", { method: "POST", body, admin: true });
      api.say(`“${item.keyword}” now sends to “${select.selectedOptions[0].textContent}”.`);
      await api.refresh();
    } catch (err) {
      api.adminError(err);
    }
  });
  return form;
}
