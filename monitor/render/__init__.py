"""Formats of the briefing: one layout (`layout`), printed as text, Markdown, HTML and JSON."""
