"""The private Redis that `make run` and `make test` start when none is installed."""

from calendar_project import localredis


def test_a_private_redis_starts_answers_and_stops(tmp_path):
    url, process = localredis.start_private(tmp_path, db=3)
    try:
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        assert url.endswith("/3")
        assert localredis.answers("127.0.0.1", port)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert not localredis.answers("127.0.0.1", port)


def test_nothing_listening_is_not_mistaken_for_redis():
    assert not localredis.answers("127.0.0.1", localredis.free_port())
