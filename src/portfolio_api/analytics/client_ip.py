"""The client's IP address: API Gateway's `sourceIp`, the socket peer, or a trusted proxy's.

`X-Forwarded-For` is a list any client can write into; only its last `trusted_hops` entries
were added by proxies we run, so the address we believe is the one just before them. With no
trusted hops the header is ignored entirely.
"""

from collections.abc import Mapping
from typing import Any


def client_ip(scope: Mapping[str, Any], forwarded_for: str | None, trusted_hops: int) -> str:
    """The address to identify the visitor by (never stored or logged)."""
    if trusted_hops > 0 and forwarded_for:
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        if len(hops) >= trusted_hops:
            return hops[-trusted_hops]
    event = scope.get("aws.event")
    if isinstance(event, dict):
        identity = (event.get("requestContext") or {}).get("identity") or {}
        if identity.get("sourceIp"):
            return str(identity["sourceIp"])
    client = scope.get("client")
    return str(client[0]) if client else "unknown"
