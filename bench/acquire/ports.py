"""Loopback ports for the web service: is one taken, a free one, the base URL to reach it."""

from __future__ import annotations

import socket


def port_in_use(host: str, port: int) -> bool:
    """Something accepts TCP connections at host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((connect_host(host), port)) == 0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def connect_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "", "localhost") else host


def base_url(host: str, port: int) -> str:
    return f"http://{connect_host(host)}:{port}/v1"
