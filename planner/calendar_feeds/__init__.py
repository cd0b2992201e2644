"""calendar_feeds."""
