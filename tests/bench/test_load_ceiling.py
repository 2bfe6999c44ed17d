"""The bench measures its load generator against a WSGI app that does nothing and flags an
endpoint that comes near that ceiling."""

from bench import load
from bench.run import HOST, Server, ceiling_warnings


def test_an_endpoint_as_fast_as_the_do_nothing_app_is_flagged(tmp_path):
    with Server({}, tmp_path / "gunicorn.log", workers=1, app="bench.noop:application") as noop:
        phase = load.run(
            HOST,
            noop.port,
            connections=1,
            make=lambda i: load.Request("GET", "/anything/", {}),
            seconds=0.3,
        )
    assert phase.statuses() == {200: phase.count}
    assert phase.per_second > 0

    warnings = ceiling_warnings(
        phase.per_second, {"as fast": phase.per_second, "far below": phase.per_second / 10}
    )

    assert len(warnings) == 1
    assert warnings[0].startswith("as fast reached")
    assert f"ceiling ({phase.per_second:.0f}/s)" in warnings[0]
