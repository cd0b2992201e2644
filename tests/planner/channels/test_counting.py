"""Each network's counting rules, at their boundaries."""

import pytest

from planner.channels.counting import graphemes, mastodon_length, urls, utf8_bytes, x_length

pytestmark = pytest.mark.domain

FAMILY = "👨‍👩‍👧‍👦"  # seven code points, one grapheme


def test_a_zwj_family_and_a_flag_are_one_character_each():
    assert graphemes(FAMILY) == 1
    assert graphemes("🇫🇷") == 1
    assert graphemes("e\u0301") == 1


def test_bluesky_bytes_grow_faster_than_graphemes_for_emoji():
    text = FAMILY * 200
    assert graphemes(text) == 200
    assert utf8_bytes(text) == 5000


def test_mastodon_counts_every_url_as_23():
    short = "https://a.io"
    long = "https://example.com/" + "x" * 200
    assert mastodon_length(short) == 23
    assert mastodon_length(long) == 23
    assert mastodon_length(f"Read {long} now") == 5 + 23 + 4


def test_mastodon_counts_a_remote_mention_by_its_local_part():
    assert mastodon_length("@alice@mastodon.social hi") == len("@alice hi")


def test_mastodon_counts_graphemes():
    assert mastodon_length(FAMILY * 10) == 10


def test_mastodon_at_the_limit_of_500():
    assert mastodon_length("a" * 500) == 500
    assert mastodon_length("a" * 477 + "https://example.com/" + "b" * 300) == 500


def test_x_weighs_latin_one_cjk_and_emoji_two():
    assert x_length("a" * 280) == 280
    assert x_length("日" * 140) == 280
    assert x_length("😀" * 140) == 280
    assert x_length(FAMILY) == 2


def test_x_counts_urls_as_23_and_normalises_to_nfc():
    assert x_length("https://example.com/" + "x" * 100) == 23
    assert x_length("e\u0301") == 1


def test_urls_stop_before_trailing_punctuation():
    assert urls("See https://example.com/a. Then (https://b.example/c).") == [
        "https://example.com/a",
        "https://b.example/c",
    ]
