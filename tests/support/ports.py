import socket


def free_port() -> int:
    """A loopback port where nothing listens (the system just handed it out and took it back)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
