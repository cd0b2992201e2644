"""Servers the team did not write, started on 127.0.0.1 for the adapter tests."""
