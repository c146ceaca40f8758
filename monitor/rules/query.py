"""The rule language: parse a query string into an AST, with errors PA staff can act on.

Grammar (operators only in capitals; lower-case and/or/not are ordinary words)::

    query    := or_expr
    or_expr  := and_expr (OR and_expr)*
    and_expr := not_expr ([AND] not_expr)*        adjacent terms are ANDed
    not_expr := NOT not_expr | near_expr
    near_expr:= primary [NEAR[/n] primary]         NEAR alone means NEAR/10
    primary  := ( or_expr ) | field:primary | "phrase" | term
    term     := word | =word | word* | *word | *word*

So NOT binds tightest (to a NEAR group as a whole), then NEAR, AND, OR:
`a OR b c` is `a OR (b AND c)` and `a AND NOT b NEAR/3 c` is `a AND NOT (b NEAR/3 c)`.

Every error is a `QueryError` with a message, the 0-based offset in the query to put a caret
under, and a hint.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Union

from .text import fold, is_caps_abbreviation, words_of

__all__ = [
    "FIELDS",
    "DEFAULT_FIELDS",
    "SNIPPET_FIELDS",
    "QueryError",
    "Term",
    "And",
    "Or",
    "Not",
    "Near",
    "Field",
    "Node",
    "parse_query",
    "leaves",
]

FIELDS = ("titel", "tekst", "soort", "commissie")
DEFAULT_FIELDS = ("titel", "tekst")
# Where a match's snippet comes from when its rule hits in several fields: the body says most.
SNIPPET_FIELDS = ("tekst", "titel", "soort", "commissie")
DEFAULT_NEAR = 10
MIN_WILDCARD_STEM = 3
QUOTES = "\"“”„"


class QueryError(ValueError):
    """A query that cannot be used: `message`, `position` (0-based offset) and `hint`."""

    def __init__(self, message: str, position: int, hint: str | None = None) -> None:
        super().__init__(f"{message} (at {position})")
        self.message = message
        self.position = position
        self.hint = hint


# ---------------------------------------------------------------------------- the AST


@dataclass(frozen=True)
class Term:
    """A word, phrase or wildcard term.

    `words` are the query's words with accents folded but case kept (several for a phrase or a
    hyphenated term); `lead`/`trail` say a * stands before/after; `exact` says no plural forms.
    """

    text: str
    words: tuple[str, ...]
    lead: bool = False
    trail: bool = False
    exact: bool = False
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)

    # cached_property writes the instance __dict__ directly, which a frozen dataclass allows;
    # compiling 10,000 rules asks these questions many times.
    @cached_property
    def folded(self) -> tuple[str, ...]:
        """The words in lower case."""
        return tuple(w.lower() for w in self.words)

    @cached_property
    def case_sensitive(self) -> bool:
        """A single short word in capitals (BUIG, ZIN) matches only in capitals."""
        return len(self.words) == 1 and not (self.lead or self.trail) and is_caps_abbreviation(self.words[0])

    @cached_property
    def plurals(self) -> bool:
        """Whether the plural forms count too (plain single words only)."""
        return len(self.words) == 1 and not (self.lead or self.trail or self.exact or self.case_sensitive)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class And:
    """All children must match."""

    children: tuple[Node, ...]
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)

    def __str__(self) -> str:
        return " AND ".join(_wrap(c, (Or,)) for c in self.children)


@dataclass(frozen=True)
class Or:
    """At least one child must match."""

    children: tuple[Node, ...]
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)

    def __str__(self) -> str:
        return " OR ".join(str(c) for c in self.children)


@dataclass(frozen=True)
class Not:
    """The child must not match."""

    child: Node
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)

    def __str__(self) -> str:
        return "NOT " + _wrap(self.child, (Or, And))


@dataclass(frozen=True)
class Near:
    """Both sides match within `distance` words of each other (at most that many words between), in one field."""

    left: Node
    right: Node
    distance: int
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)

    def __str__(self) -> str:
        return f"{_wrap(self.left, (Or,))} NEAR/{self.distance} {_wrap(self.right, (Or,))}"


@dataclass(frozen=True)
class Field:
    """The child is searched in one field only (titel, tekst, soort, commissie)."""

    name: str
    child: Node
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)

    def __str__(self) -> str:
        return f"{self.name}:{_wrap(self.child, (Or, And, Not, Near))}"


Node = Union[Term, And, Or, Not, Near, Field]


def _wrap(node: Node, kinds: tuple[type, ...]) -> str:
    return f"({node})" if isinstance(node, kinds) else str(node)


def leaves(node: Node, negated: bool = False) -> list[tuple[Term, bool]]:
    """Every term of a query with whether it sits under a NOT, in query order."""
    if isinstance(node, Term):
        return [(node, negated)]
    if isinstance(node, (And, Or)):
        return [leaf for child in node.children for leaf in leaves(child, negated)]
    if isinstance(node, Not):
        return leaves(node.child, not negated)
    if isinstance(node, Near):
        return leaves(node.left, negated) + leaves(node.right, negated)
    return leaves(node.child, negated)


# ---------------------------------------------------------------------------- lexing


@dataclass
class _Token:
    kind: str  # word | phrase | lparen | rparen | and | or | not | near | field | end
    text: str
    start: int
    end: int
    value: int | str | None = None


_LEX = re.compile(r'(?P<ws>\s+)|(?P<lparen>\()|(?P<rparen>\))|(?P<quote>["“”„])|(?P<field>[A-Za-z]+:)|(?P<word>[^\s()"“”„]+)')
_NEAR = re.compile(r"NEAR(?:/(.*))?$")
_LOWER_NEAR = re.compile(r"near/\d+$", re.IGNORECASE)


def _lex(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    at = 0
    while at < len(query):
        match = _LEX.match(query, at)
        assert match is not None  # the alternatives cover every character
        kind = match.lastgroup
        text = match.group()
        if kind == "ws":
            pass
        elif kind == "quote":
            close = _find_quote(query, at + 1)
            if close < 0:
                raise QueryError("this quote is never closed", at, 'a phrase needs a quote at both ends, e.g. "sociaal domein"')
            tokens.append(_Token("phrase", query[at : close + 1], at, close + 1, query[at + 1 : close]))
            at = close + 1
            continue
        elif kind == "field":
            name = text[:-1]
            if name.lower() not in FIELDS:
                close = difflib.get_close_matches(name.lower(), FIELDS + ("title", "text", "body", "type", "committee"), n=1, cutoff=0.5)
                suggestion = _FIELD_ALIASES.get(close[0], close[0]) if close else None
                hint = f"did you mean '{suggestion}:'? " if suggestion else ""
                hint += "the fields are titel:, tekst:, soort: and commissie:; to search for the word itself, leave out the ':'"
                raise QueryError(f"unknown field '{name}'", at, hint)
            tokens.append(_Token("field", text, at, at + len(text), name.lower()))
        elif kind in ("lparen", "rparen"):
            tokens.append(_Token(kind, text, at, at + 1))
        else:
            tokens.append(_word_token(text, at))
        at = match.end()
    tokens.append(_Token("end", "", len(query), len(query)))
    return tokens


_FIELD_ALIASES = {"title": "titel", "text": "tekst", "body": "tekst", "type": "soort", "committee": "commissie"}


def _find_quote(query: str, start: int) -> int:
    for index in range(start, len(query)):
        if query[index] in QUOTES:
            return index
    return -1


def _word_token(text: str, at: int) -> _Token:
    if text in ("AND", "OR", "NOT"):
        return _Token(text.lower(), text, at, at + len(text))
    near = _NEAR.match(text)
    if near:
        if near.group(1) is None:
            distance = DEFAULT_NEAR
        elif near.group(1).isdigit():
            distance = int(near.group(1))
        else:
            raise QueryError(f"'{text}' needs a number of words after the /", at, "e.g. jeugd* NEAR/5 tekort*")
        return _Token("near", text, at, at + len(text), distance)
    if _LOWER_NEAR.match(text):
        raise QueryError(f"'{text}' looks like the NEAR operator, which must be written in capitals", at, f"write {text.upper()}")
    return _Token("word", text, at, at + len(text))


# ---------------------------------------------------------------------------- parsing


def parse_query(query: str) -> Node:
    """Parse a rule query into an AST; raise QueryError (message, position, hint) when it is unusable.

    Besides syntax, this rejects a query that could match without any positive term (a pure NOT),
    NEAR around anything but words, phrases and OR-groups, and wildcards that would match nearly
    everything (fewer than 3 letters next to the *).
    """
    if not query or not query.strip():
        raise QueryError("the query is empty", 0, "write the words to look for, e.g. jeugdzorg OR jeugdhulp")
    parser = _Parser(query, _lex(query))
    node = parser.parse()
    _check_positive(node, query)
    return node


class _Parser:
    def __init__(self, query: str, tokens: list[_Token]) -> None:
        self.query = query
        self.tokens = tokens
        self.index = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def next(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self) -> Node:
        node = self.or_expr()
        token = self.token
        if token.kind == "rparen":
            raise QueryError("this ) has no ( before it", token.start, "remove it, or add the ( where the group starts")
        if token.kind != "end":  # pragma: no cover - every other token starts or continues an expression
            raise QueryError(f"unexpected '{token.text}'", token.start)
        return node

    def or_expr(self) -> Node:
        children = [self.and_expr()]
        while self.token.kind == "or":
            operator = self.next()
            children.append(self.operand_after(operator, self.and_expr))
        return children[0] if len(children) == 1 else _flat(Or, children)

    def and_expr(self) -> Node:
        children = [self.not_expr()]
        while True:
            token = self.token
            if token.kind == "and":
                self.next()
                children.append(self.operand_after(token, self.not_expr))
            elif token.kind in ("word", "phrase", "lparen", "field", "not"):
                children.append(self.not_expr())
            else:
                break
        return children[0] if len(children) == 1 else _flat(And, children)

    def not_expr(self) -> Node:
        token = self.token
        if token.kind == "not":
            self.next()
            child = self.operand_after(token, self.not_expr)
            return Not(child, start=token.start, end=child.end)
        return self.near_expr()

    def near_expr(self) -> Node:
        left = self.primary()
        token = self.token
        if token.kind != "near":
            return left
        self.next()
        right = self.operand_after(token, self.primary)
        if self.token.kind == "near":
            raise QueryError(
                "two NEARs in a row are not supported",
                self.token.start,
                "combine pairs with AND, e.g. (a NEAR/5 b) AND (b NEAR/5 c)",
            )
        for side in (left, right):
            _check_near_operand(side, token)
        return Near(left, right, int(token.value), start=left.start, end=right.end)  # type: ignore[arg-type]

    def operand_after(self, operator: _Token, parse: object) -> Node:
        token = self.token
        if token.kind == "end":
            raise QueryError(f"{operator.text} at the end has nothing after it", operator.start, f"add what should follow {operator.text}, or remove it")
        if token.kind == "rparen":
            raise QueryError(f"{operator.text} has nothing after it before the )", operator.start, f"add what should follow {operator.text}, or remove it")
        if token.kind in ("and", "or", "near") or (token.kind == "not" and operator.kind == "near"):
            raise QueryError(f"{token.text} directly after {operator.text}", token.start, "two operators in a row: remove one, or put a word between them")
        return parse()  # type: ignore[operator,no-any-return]

    def primary(self) -> Node:
        token = self.token
        if token.kind == "lparen":
            self.next()
            if self.token.kind == "rparen":
                raise QueryError("empty parentheses", token.start, "put words between ( and ), or remove them")
            if self.token.kind == "end":
                raise QueryError("this ( is never closed", token.start, "add a ) where the group ends, or remove the (")
            node = self.or_expr()
            if self.token.kind != "rparen":
                raise QueryError("this ( is never closed", token.start, "add a ) where the group ends, or remove the (")
            self.next()
            return node
        if token.kind == "field":
            self.next()
            inner = self.token
            if inner.kind not in ("word", "phrase", "lparen"):
                raise QueryError(
                    f"{token.text} must be followed by a word, a \"phrase\" or a (group)",
                    token.start,
                    f"e.g. {token.text}jeugdzorg or {token.text}(Wmo OR jeugd*)",
                )
            child = self.primary()
            if _contains_field(child):
                raise QueryError("a field inside a field", token.start, "use one field per group, e.g. titel:jeugd* AND tekst:tekort*")
            return Field(str(token.value), child, start=token.start, end=child.end)
        if token.kind == "word":
            self.next()
            return _term(token.text, token.start)
        if token.kind == "phrase":
            self.next()
            return _phrase(str(token.value), token.start, token.end)
        if token.kind == "rparen":
            raise QueryError("this ) has no ( before it", token.start, "remove it, or add the ( where the group starts")
        if token.kind == "end":  # only reachable for a query of only whitespace, handled earlier
            raise QueryError("the query is empty", token.start)
        raise QueryError(f"{token.text} at the start has nothing before it", token.start, f"put a word before {token.text}, or remove it")


def _flat(kind: type, children: list[Node]) -> Node:
    flat: list[Node] = []
    for child in children:
        flat.extend(child.children if isinstance(child, kind) else [child])  # type: ignore[union-attr]
    return kind(tuple(flat), start=children[0].start, end=children[-1].end)  # type: ignore[no-any-return]


def _contains_field(node: Node) -> bool:
    if isinstance(node, Field):
        return True
    if isinstance(node, (And, Or)):
        return any(_contains_field(c) for c in node.children)
    if isinstance(node, Not):
        return _contains_field(node.child)
    if isinstance(node, Near):
        return _contains_field(node.left) or _contains_field(node.right)
    return False


def _check_near_operand(node: Node, operator: _Token) -> None:
    if isinstance(node, Term):
        return
    if isinstance(node, Or):
        for child in node.children:
            _check_near_operand(child, operator)
        return
    what, hint = {
        And: ("an AND group", f"NEAR works on words, phrases and (a OR b) groups; put AND outside, e.g. (a {operator.text} b) AND c"),
        Not: ("NOT", f"put NOT outside, e.g. (a {operator.text} b) AND NOT c"),
        Near: ("another NEAR", "combine pairs with AND, e.g. (a NEAR/5 b) AND (b NEAR/5 c)"),
        Field: ("a field", f"put the field before the whole group, e.g. titel:(a {operator.text} b)"),
    }[type(node)]
    raise QueryError(f"{operator.text} cannot be used with {what}", node.start, hint)


# ---------------------------------------------------------------------------- terms


def _term(raw: str, at: int) -> Term:
    text = raw
    exact = text.startswith("=")
    body = text[1:] if exact else text
    offset = at + (1 if exact else 0)
    if not body:
        raise QueryError("'=' must stand directly before a word", at, "e.g. =motie for only the exact form 'motie'")
    lead = body.startswith("*")
    trail = body.endswith("*") and len(body) > 1
    core = body[1 if lead else 0 : len(body) - (1 if trail else 0)]
    if not core.strip("*"):
        raise QueryError("a * on its own matches nothing", at, "put it at the start or end of a word, e.g. jeugd* or *zorg")
    if "*" in core:
        position = offset + (1 if lead else 0) + core.index("*")
        raise QueryError("a * can only stand at the start or the end of a word", position, "e.g. jeugd*, *zorg or *jeugdzorg*")
    if exact and (lead or trail):
        raise QueryError("'=' (exact form) and a * wildcard cannot be combined", at, "use either =motie or motie*")
    words = tuple(words_of(core))
    if not words:
        raise QueryError(f"'{raw}' has no letters or digits to search for", at, "remove it, or put it in a \"phrase\" with a word")
    _check_stems(words, lead, trail, raw, at)
    return Term(raw, words, lead, trail, exact, start=at, end=at + len(raw))


def _phrase(content: str, start: int, end: int) -> Term:
    stripped = content.strip()
    if not stripped:
        raise QueryError("empty phrase", start, 'put words between the quotes, e.g. "sociaal domein"')
    lead = stripped.startswith("*")
    trail = stripped.endswith("*") and len(stripped) > 1
    core = stripped[1 if lead else 0 : len(stripped) - (1 if trail else 0)]
    if "*" in core:
        position = start + 1 + content.index(stripped) + (1 if lead else 0) + core.index("*")
        raise QueryError(
            "a * inside a phrase can only stand at its start or end",
            position,
            "for a word with a wildcard next to another word use NEAR/0, e.g. jeugd* NEAR/0 teams",
        )
    words = tuple(words_of(core))
    if not words:
        raise QueryError("this phrase has no letters or digits to search for", start, 'e.g. "sociaal domein"')
    _check_stems(words, lead, trail, content, start)
    text = f'"{content}"'
    return Term(text, words, lead, trail, True, start=start, end=end)


def _check_stems(words: tuple[str, ...], lead: bool, trail: bool, raw: str, at: int) -> None:
    for wild, stem in ((lead, words[0]), (trail, words[-1])):
        if wild and len(stem) < MIN_WILDCARD_STEM:
            raise QueryError(
                f"'{raw}' is too short for a wildcard: it would match a great many words",
                at,
                f"a wildcard needs at least {MIN_WILDCARD_STEM} letters next to the *, e.g. jeugd*",
            )


# ---------------------------------------------------------------------------- pure NOT


def _non_positive(node: Node, in_or: bool = False) -> tuple[Node, bool] | None:
    """The part of `node` that could match with no positive term (and whether it is one side of
    an OR), or None if the node always needs a positive term."""
    if isinstance(node, (Term, Near)):
        return None
    if isinstance(node, Field):
        return _non_positive(node.child, in_or)
    if isinstance(node, Not):
        return node, in_or
    if isinstance(node, And):
        offenders = [_non_positive(c, in_or) for c in node.children]
        return None if any(o is None for o in offenders) else offenders[0]
    for child in node.children:
        offender = _non_positive(child, True)
        if offender is not None:
            return offender
    return None


def _check_positive(node: Node, query: str) -> None:
    found = _non_positive(node)
    if found is None:
        return
    offender, in_or = found
    if not in_or:
        raise QueryError(
            "this query only says what must NOT be there, so it would match almost every item",
            offender.start,
            "say what to look for as well, e.g. jeugdzorg AND NOT voetbal",
        )
    raise QueryError(
        f"'{query[offender.start:offender.end]}' as one side of OR would match almost every item",
        offender.start,
        "NOT only narrows other words down: write e.g. (jeugdzorg OR jeugdhulp) AND NOT voetbal",
    )


def describe_forms(term: Term) -> list[str]:
    """The word forms a term matches, for explanations: ['motie', 'moties', 'motieen']."""
    from .text import join_variants, plural_forms

    variants = join_variants(term.folded)
    if term.plurals:
        variants += plural_forms(term.folded[0])
    lead = "*" if term.lead else ""
    trail = "*" if term.trail else ""
    return [lead + v + trail for v in variants]


def fold_word(word: str) -> str:
    """A query word as compared with text: lower case, accents folded."""
    return fold(word)
