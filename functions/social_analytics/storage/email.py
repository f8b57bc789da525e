"""Email through Amazon SES (docs/decisions.md: why SES and not SNS email)."""

from __future__ import annotations

from social_analytics.storage import aws
from social_analytics.storage.clients import client

# SES refusals that retrying does not cure: a bad address, an unverified sender.
PERMANENT = {"MessageRejected", "MailFromDomainNotVerifiedException", "InvalidParameterValue"}


def send_email(sender: str, to: str, subject: str, text: str, html: str) -> tuple[str, str]:
    """One message with an HTML part and a plain-text part: ("sent", SES's message id), ("refused", SES's error
    code) when retrying will not help, or ("unavailable", code) when it may."""
    try:
        response = client("ses").send_email(
            Source=sender,
            Destination={"ToAddresses": [to]},
            Message={
                "Subject": {"Data": subject[:200], "Charset": "UTF-8"},
                "Body": {"Text": {"Data": text, "Charset": "UTF-8"}, "Html": {"Data": html, "Charset": "UTF-8"}},
            },
        )
    except aws.ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", "error"))
        return ("refused" if code in PERMANENT else "unavailable"), code
    except aws.BotoCoreError:
        return "unavailable", "unreachable"
    return "sent", str(response["MessageId"])
