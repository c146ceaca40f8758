"""The rule engine: the query language (query.py), Dutch text handling (text.py), the compiled
matcher (engine.py), the reference evaluator (evaluate.py), `monitor rules test` (explain.py)
and `monitor rules backtest` (backtest.py)."""

from .engine import ENGINE_VERSION, Matcher, compile_rules
from .query import QueryError, parse_query

__all__ = ["ENGINE_VERSION", "Matcher", "QueryError", "compile_rules", "parse_query"]
