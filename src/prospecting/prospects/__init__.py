"""Prospects, touchpoints, ingest and local de-duplication."""
