"""What each kind of channel is sent: the generic webhook's JSON, Slack's Block Kit, an email's subject, HTML and
plain text. Pure: a delivery message's ``payload`` in, bytes or strings out.

A message's payload is one of: an alert (``records.Alert.public()``), a digest (``delivery.digest.build``), a test
message, or a folded notice ("and N more" once a channel reached its hourly cap).
"""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import quote

TYPE_NAMES = {"spike": "Volume spike", "sentiment_dip": "Sentiment dip"}
MAX_TEXT = 280


def dashboard_link(base_url: str, keyword: str) -> str | None:
    if not base_url:
        return None
    return f"{base_url.rstrip('/')}/?view=tracked&q={quote(keyword, safe='')}"


def webhook_body(message: dict) -> bytes:
    """The generic webhook's body: the message's kind, ids and payload, compact JSON (what the signature covers)."""
    body = {
        "kind": message["kind"],
        "id": message["idempotency_key"],
        "channel_id": message["channel_id"],
        "created_at": message["created_at"],
        "dashboard_url": message.get("dashboard_url"),
        message["kind"]: message["payload"],
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()


# ------------------------------------------------------------------ one line and a few facts per kind
def headline(message: dict) -> str:
    payload, kind = message["payload"], message["kind"]
    if kind == "alert":
        name = TYPE_NAMES.get(payload.get("type"), payload.get("type", "alert"))
        return f"{name}: {payload.get('keyword')}"
    if kind == "digest":
        return f"{payload.get('period', 'Daily').capitalize()} digest: {payload.get('keyword')}"
    if kind == "folded":
        return f"And {payload.get('count')} more alerts (hourly limit reached)"
    return "Test message from Async Social Analytics"


def facts(message: dict) -> list[tuple[str, str]]:
    """(label, value) pairs: the figures that made the message."""
    payload, kind = message["payload"], message["kind"]
    if kind == "alert":
        value = payload.get("value")
        rows = [
            ("Value", _number(value) + (" posts/hour" if payload.get("type") == "spike" else "")),
            ("Baseline", f"{_number(payload.get('baseline_mean'))} ± {_number(payload.get('baseline_sd'))}"),
            ("Threshold", f"{_number(payload.get('threshold'))} (k = {_number(payload.get('k'))})"),
            ("Source", str(payload.get("source", "scan"))),
            ("At", str(payload.get("at", ""))),
        ]
        if payload.get("basis"):
            rows.append(("Measured", str(payload["basis"])))
        return rows
    if kind == "digest":
        volume, sentiment = payload.get("volume") or {}, payload.get("sentiment") or {}
        negative = sentiment.get("negative_share")
        interval = (sentiment.get("intervals") or {}).get("negative") or [None, None]
        return [
            ("Span", f"{payload.get('since')} to {payload.get('until')}"),
            ("Posts analyzed", f"{volume.get('posts_analyzed')} in {volume.get('scans')} scans ({_change(volume)})"),
            ("Posts per hour", _number(volume.get("mean_rate_per_hour"))),
            (
                "Negative share",
                f"{_percent(negative)} (95% {_percent(interval[0])}–{_percent(interval[1])}; "
                f"{_change(sentiment, 'negative_share_change', percent=True)})",
            ),
            ("Alerts", str(len(payload.get("alerts") or []))),
            ("Sources", ", ".join(payload.get("sources") or []) or "none"),
        ]
    if kind == "folded":
        return [("Alerts held back", ", ".join(payload.get("alerts") or []))]
    return [("Channel", str(payload.get("channel_name") or "")), ("Sent at", str(message.get("created_at")))]


def rising_terms(message: dict) -> list[str]:
    payload = message["payload"]
    if message["kind"] == "alert":
        return [str(t.get("term")) for t in (payload.get("explanation") or {}).get("terms") or []][:5]
    if message["kind"] == "digest":
        return [f"{t['term']} ({t['direction']})" for t in payload.get("term_movers") or []][:5]
    return []


def sample_posts(message: dict) -> list[dict]:
    payload = message["payload"]
    if message["kind"] == "alert":
        posts = (payload.get("explanation") or {}).get("sample_posts") or []
    elif message["kind"] == "digest":
        posts = payload.get("top_posts") or []
    else:
        posts = []
    return [{"text": _short(str(p.get("text") or "")), "url": p.get("url")} for p in posts[:2]]


# ------------------------------------------------------------------ Slack
def slack_body(message: dict) -> bytes:
    """Slack's incoming-webhook body (Block Kit; ``text`` is the notification's fallback). Discord accepts it at
    the webhook URL with ``/slack`` appended."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": headline(message)[:150]}},
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": f"*{label}*\n{_slack(value)}"} for label, value in facts(message)][
                :10
            ],
        },
    ]
    terms = rising_terms(message)
    if terms:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": "*Rising terms:* " + _slack(", ".join(terms))}}
        )
    for post in sample_posts(message):
        text = _slack(post["text"]) or "(no text)"
        link = f" <{post['url']}|open>" if post.get("url") else ""
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"> {text}{link}"}})
    link = message.get("dashboard_url")
    if link:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "text": {"type": "plain_text", "text": "Open the dashboard"}, "url": link}
                ],
            }
        )
    return json.dumps({"text": headline(message), "blocks": blocks}, ensure_ascii=False).encode()


# ------------------------------------------------------------------ email
def email_parts(message: dict) -> tuple[str, str, str]:
    """(subject, plain text, HTML)."""
    subject = headline(message)
    lines = [subject, ""] + [f"{label}: {value}" for label, value in facts(message)]
    terms = rising_terms(message)
    if terms:
        lines += ["", "Rising terms: " + ", ".join(terms)]
    posts = sample_posts(message)
    if posts:
        lines += ["", "Posts:"] + [f"- {p['text']} {p.get('url') or ''}".rstrip() for p in posts]
    if message.get("dashboard_url"):
        lines += ["", f"Dashboard: {message['dashboard_url']}"]
    text = "\n".join(lines) + "\n"
    esc = html.escape
    rows = "".join(
        f"<tr><th align='left'>{esc(label)}</th><td>{esc(value)}</td></tr>" for label, value in facts(message)
    )
    parts = [f"<h1>{esc(subject)}</h1>", f"<table>{rows}</table>"]
    if terms:
        parts.append(f"<p><strong>Rising terms:</strong> {esc(', '.join(terms))}</p>")
    for post in posts:
        link = f" <a href='{esc(post['url'])}'>open</a>" if post.get("url") else ""
        parts.append(f"<blockquote>{esc(post['text'])}{link}</blockquote>")
    if message.get("dashboard_url"):
        parts.append(f"<p><a href='{esc(message['dashboard_url'])}'>Open the dashboard</a></p>")
    return subject, text, "<!doctype html><html><body>" + "".join(parts) + "</body></html>"


# ------------------------------------------------------------------ helpers
def _number(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "n/a"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def _percent(value: Any) -> str:
    return "n/a" if not isinstance(value, int | float) else f"{100 * value:.1f}%"


def _change(block: dict, field: str = "change", percent: bool = False) -> str:
    value = block.get(field)
    if not isinstance(value, int | float):
        return "no previous period"
    if percent:
        return f"{100 * value:+.1f} points vs the previous period"
    return f"{value:+d} vs the previous period" if isinstance(value, int) else f"{value:+.3g} vs the previous period"


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _slack(text: str) -> str:
    """Slack's mrkdwn needs &, < and > escaped (it would read <...> as a link or a mention)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
