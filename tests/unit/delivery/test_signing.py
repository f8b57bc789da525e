"""Webhook signatures: what docs/ALERTS.md tells a receiver to do, done here the same way."""

from __future__ import annotations

import hashlib
import hmac

from social_analytics.delivery import signing


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body():
    body, secret, ts = b'{"kind":"alert"}', "whsec_test", 1_700_000_000
    expected = hmac.new(secret.encode(), b"1700000000." + body, hashlib.sha256).hexdigest()
    headers = signing.headers(secret, ts, body)
    assert headers == {"X-Timestamp": "1700000000", "X-Signature": f"sha256={expected}"}


def test_a_receiver_accepts_a_fresh_signed_message_and_refuses_replays_and_tampering():
    body, secret, ts = b'{"a":1}', signing.new_secret(), 1_700_000_000
    signature = signing.signature(secret, ts, body)
    assert signing.verify(secret, str(ts), body, signature, now=ts + 10)
    assert not signing.verify(secret, str(ts), body, signature, now=ts + 3600)  # a replay an hour later
    assert not signing.verify(secret, str(ts), b'{"a":2}', signature, now=ts)  # a changed body
    assert not signing.verify(secret, str(ts + 1), body, signature, now=ts)  # a changed timestamp
    assert not signing.verify("whsec_other", str(ts), body, signature, now=ts)
    assert not signing.verify(secret, "soon", body, signature, now=ts)
