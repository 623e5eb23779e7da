"""Matching structures, one kind per signal index kind; persisted without pickle."""
