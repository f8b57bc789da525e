"""The only modules that touch boto3."""
