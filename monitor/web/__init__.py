"""The werkplek: a web view where the PA team works its dossiers (`monitor web`).

Modules: `accounts` (users, sessions, throttling, the rules log; no web framework, shared with
`monitor users`), `app` (the Starlette application, `serve`), `auth` (sessions, CSRF and roles
on requests; login and logout), `pages` (Vandaag, Dossier, Zoeken, the work on moments, the
tokenised calendar and feed), `search` (the rule language over FTS5 candidates),
`rules_editor`, `users_page`, `cache` (built pages kept while the data is unchanged).
"""
