"""The werkplek: a web view where the PA team works its dossiers (see `monitor.web.app`).

Modules: `accounts` (users, sessions, throttling, rules log; no web framework), `app` (the
Starlette application and `serve`), `auth` (sessions, CSRF and roles on requests), `pages`
(Vandaag, Dossier, Zoeken), `work` (moments as work), `rules_editor`, `search`.
"""
