"""SSM parameters (secrets and the admin token), read through Powertools' parameters utility with its cache.

The only module that reads SSM: callers say how long a value may be cached; Powertools (and boto3) load on the
first read, so a container that never reads a parameter never imports them.
"""

from __future__ import annotations


def get_parameter(name: str, max_age_seconds: int) -> str:
    """The decrypted value of ``name``, cached ``max_age_seconds``. Raises on a missing parameter or no permission."""
    # Imported on first use: the API's cold start skips boto3's SSM client when no parameter is configured.
    from aws_lambda_powertools.utilities import parameters

    return str(parameters.get_parameter(name, decrypt=True, max_age=max_age_seconds))
