"""One TLS client context per process for HTTPS APIs (Kratos, the providers, Slack).

Loading the CA store costs ~20–25 ms of CPU; httpx would do it for every client it builds, which is
once per report, and slack_sdk's urllib for every call. An SSLContext is safe to share between clients.
"""

from __future__ import annotations

import functools
import ssl


@functools.cache
def client_tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()
