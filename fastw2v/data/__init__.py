"""Bundled data: evaluation sets and the demo corpus (see README.md here)."""
