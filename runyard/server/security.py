"""Request guards against DNS rebinding and cross-site requests (../reference/security.md, CSRF).

* Host: a request whose ``Host`` is not a name this server answers to is refused (health checks
  excepted), so a page on evil.example whose name resolves to 127.0.0.1 cannot reach the API.
* Origin: cross-origin requests are allowed only from the configured origins (by default the
  local machine's); a state-changing request from any other origin is refused, and CORS headers
  are only ever sent for allowed origins (never ``*``).
"""

from __future__ import annotations

import fnmatch
import ipaddress
from urllib.parse import urlsplit

_LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")


def _split_host(host: str) -> str:
    """The host name of a ``Host`` header value, without port or IPv6 brackets, lower-cased."""
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        return host[1:end] if end > 0 else host
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def _is_private_ip(name: str) -> bool:
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_private or address.is_loopback


class Guard:
    def __init__(self, allowed_hosts: tuple[str, ...], cors_allowed_origins: tuple[str, ...],
                 bind_host: str = "127.0.0.1") -> None:
        self._any_host = "*" in allowed_hosts
        self._host_patterns = tuple(p.lower() for p in allowed_hosts if p != "*")
        names = set(_LOCAL_NAMES)
        if bind_host not in ("0.0.0.0", "::", ""):
            names.add(_split_host(bind_host))
        self._host_names = frozenset(names)
        self._origins = frozenset(o.rstrip("/").lower() for o in cors_allowed_origins if o != "*")
        self._any_origin = "*" in cors_allowed_origins
        self._host_cache: dict[str, bool] = {}

    def host_allowed(self, host_header: str | None) -> bool:
        if host_header is None:
            return False
        cached = self._host_cache.get(host_header)
        if cached is not None:
            return cached
        allowed = self._check_host(host_header)
        if len(self._host_cache) < 1024:
            self._host_cache[host_header] = allowed
        return allowed

    def _check_host(self, host_header: str) -> bool:
        if self._any_host:
            return True
        name = _split_host(host_header)
        if not name or any(c in name for c in "/\\@ ?#"):
            return False
        if name in self._host_names or _is_private_ip(name):
            return True
        full = host_header.strip().lower()
        return any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(full, p) for p in self._host_patterns)

    def origin_allowed(self, origin: str, host_header: str | None) -> bool:
        """Whether a browser page at ``origin`` may call this server."""
        origin = origin.strip().lower().rstrip("/")
        if origin in ("", "null"):
            return False
        if self._any_origin or origin in self._origins:
            return True
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False
        if host_header is not None and parts.netloc == host_header.strip().lower():
            return True  # same origin
        return parts.hostname in _LOCAL_NAMES
