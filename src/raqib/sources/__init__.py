"""Readers that turn what users have into a stream of items to scan."""
