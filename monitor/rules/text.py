"""Dutch text normalisation and tokenisation for the rule engine.

One function, `analyse`, turns a field's text into the form every part of the engine works on:

- accents are folded (ë → e, ĳ → ij, ß → ss) and case is kept in a twin string, so a term written
  in capitals (BUIG) can still be checked case-sensitively;
- words are runs of letters and digits; everything else separates words, so "auto's" is "auto"
  + "s" and "Wmo-consulent" is "wmo" + "consulent";
- words joined by a hyphen or slash (sociaal-domein, Wmo/Jeugdwet, a line-end "jeugd-\\nzorg")
  are *also* offered in their joined form (sociaaldomein), so either spelling of a rule finds both;
- every word keeps its offsets in the original text, for snippets.

The scan buffer is `" w0 w1 … wn "` followed by one cell `"\\x00 joined "` per joined form. Patterns
never contain `\\x00`, so nothing matches across a cell boundary, and a pattern padded with
spaces (" motie ") can only match whole words. The buffer is built with C-level string operations
(split, join, accumulate) because this runs on every field of every item.

`plural_forms` holds the (deliberately small) Dutch plural rules; `snippet` cuts the text around
a hit and marks the hits «like this».
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from itertools import accumulate, compress, repeat
from operator import add

__all__ = [
    "Analysed",
    "analyse",
    "fold",
    "words_of",
    "plural_forms",
    "join_variants",
    "is_caps_abbreviation",
    "snippet",
]

# ---------------------------------------------------------------------------- folding

_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_NON_WORD = re.compile(r"[\W_]")
_LINE_BREAK = re.compile(r"-[ \t]*\r?\n[ \t]*")
# ASCII punctuation and whitespace become spaces (str.translate has a fast path for ASCII).
_SPACES = {code: " " for code in range(128) if not chr(code).isalnum()}

_SPECIAL = {
    "ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
    "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "ı": "i", "þ": "th", "Þ": "TH",
    # Invisible characters some CMSes put inside words: drop them so the word stays whole.
    "\u00ad": "", "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "",
    # Hyphen look-alikes join words like a hyphen does.
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
}


class _FoldTable(dict[int, str]):
    """str.translate table for non-ASCII characters, filled on first use of each character."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        if char in _SPECIAL:
            out = _SPECIAL[char]
        elif unicodedata.combining(char):
            out = ""  # a loose accent (text in decomposed form)
        elif not char.isalnum():
            # Curly quotes, ellipses, ™ …: a separator, one ASCII space, so that almost all
            # Dutch text is pure ASCII after folding (the fast path below).
            out = " "
        else:
            decomposed = unicodedata.normalize("NFKD", char)
            out = "".join(c for c in decomposed if not unicodedata.combining(c)) or char
        self[code] = out
        return out


_TABLE = _FoldTable()


_ASCII_BYTES = bytes(range(128))


def _fold_cased(text: str) -> tuple[str, list[int] | None, list[int] | None]:
    """Fold accents (keeping case). Returns the folded text and, when its length differs from the
    original (ĳ → ij, a dropped soft hyphen), the positions where it shifts and by how much."""
    if text.isascii():
        return text, None, None
    # Dutch text has a handful of distinct non-ASCII characters (é, ë, ’, “ …). Find them with
    # C-level operations (regex scanning costs ~10 ns per character) and replace each in one go.
    others = set(text.encode("utf-8").translate(None, _ASCII_BYTES).decode("utf-8"))
    replacements = [(char, _TABLE[ord(char)]) for char in others]
    if all(len(new) == 1 for _, new in replacements):
        for char, new in replacements:
            text = text.replace(char, new)
        return text, None, None
    return _fold_shifting(text)


def _fold_shifting(text: str) -> tuple[str, list[int] | None, list[int] | None]:
    # The rare case where folding changes the length: record where, for offsets back.
    pieces: list[str] = []
    marks: list[int] = []
    deltas: list[int] = []
    last = 0
    folded_at = 0
    for match in _NON_ASCII.finditer(text):
        start, end = match.span()
        pieces.append(text[last:start])
        folded_at += start - last
        replacement = match.group().translate(_TABLE)
        pieces.append(replacement)
        folded_at += len(replacement)
        if len(replacement) != end - start:
            marks.append(folded_at)
            deltas.append(end - folded_at)
        last = end
    pieces.append(text[last:])
    return "".join(pieces), marks or None, deltas or None


def _tokenise(folded: str) -> tuple[list[str], list[int]]:
    """The words of folded text and where each starts (all C-level operations: this runs on
    every field of every item)."""
    if folded.isascii():
        spaced = folded.translate(_SPACES)
    else:
        spaced = _NON_WORD.sub(" ", folded)
    pieces = spaced.split(" ")
    positions = accumulate(map(add, map(len, pieces), repeat(1)), initial=0)
    return list(filter(None, pieces)), list(compress(positions, pieces))


def fold(text: str) -> str:
    """Lower-case, accent-folded text, e.g. 'Financiële Ideeën' → 'financiele ideeen'."""
    return _fold_cased(text)[0].lower()


def words_of(text: str) -> list[str]:
    """The words of a text as the engine sees them (accents folded, case kept)."""
    return _tokenise(_fold_cased(text)[0])[0]


# ---------------------------------------------------------------------------- analysis


class Analysed:
    """A field's text prepared for matching: scan buffers plus the maps back to words and offsets.

    `cased` and `lower` are the same buffer before and after lower-casing (same length). Word i
    starts at buffer index `starts[i]`; joined forms live in cells after `primary_end`.

    Only the buffers are built up front: they are all the automaton needs, and most fields of
    most items hit nothing a rule needs positions for. Word offsets (`starts`, `char_span`) and
    the words behind each joined form (`cells`) are worked out on first use.
    """

    __slots__ = ("text", "cased", "lower", "primary_end", "cell_starts", "_folded", "_chain_firsts", "_cells", "_starts", "_fstarts", "_lens", "_marks", "_deltas", "_guillemets")

    def __init__(self, text: str) -> None:
        self.text = text
        self._guillemets: bool | None = None
        folded, self._marks, self._deltas = _fold_cased(text)
        self._folded = folded
        # Word characters stay, everything else becomes a space (same length as `folded`), so
        # split() gives the words and offsets in `spaced` are offsets in `folded`.
        spaced = folded.translate(_SPACES) if folded.isascii() else _NON_WORD.sub(" ", folded)
        words = spaced.split()
        buffer = " " + " ".join(words) + " " if words else " "
        self._starts: list[int] | None = None
        self._fstarts: list[int] | None = None
        self._lens: list[int] | None = None
        self._cells: list[tuple[int, int]] | None = None
        self.primary_end = len(buffer)
        self.cell_starts: list[int] = []
        # Per cell, the offset in `folded` of its chain's first word: `cells` maps it to a word index.
        self._chain_firsts: list[tuple[int, int, int]] = []
        if words and ("-" in folded or "/" in folded):
            extra: list[str] = []
            at = len(buffer)
            for chain in _chain_words(folded, spaced):
                parts = [folded[start:end] for start, end in chain]
                for a, b in _sub_joins(0, len(parts) - 1):
                    joined = "".join(parts[a : b + 1])
                    self._chain_firsts.append((chain[0][0], a, b))
                    self.cell_starts.append(at + 2)
                    extra.append("\x00 " + joined + " ")
                    at += len(joined) + 3
            buffer += "".join(extra)
        self.cased = buffer
        lower = buffer.lower()
        if len(lower) != len(buffer):  # a character whose lower case is longer: keep it as is
            lower = "".join(c.lower() if len(c.lower()) == 1 else c for c in buffer)
        self.lower = lower

    def _positions(self) -> None:
        # Where each word starts in `folded` and how long it is (first use of any offset).
        words, self._fstarts = _tokenise(self._folded)
        self._lens = list(map(len, words))

    @property
    def cells(self) -> list[tuple[int, int]]:
        """Per joined form, the (first, last) words it glues (in `cell_starts` order)."""
        if self._cells is None:
            if self._fstarts is None:
                self._positions()
            fstarts = self._fstarts
            self._cells = []
            for first_start, a, b in self._chain_firsts:
                first = bisect_left(fstarts, first_start)  # type: ignore[arg-type]
                self._cells.append((first + a, first + b))
        return self._cells

    # ------------------------------------------------------------ words

    @property
    def starts(self) -> list[int]:
        """Where each word starts in the buffer (computed on first use: only hits need it)."""
        if self._starts is None:
            if self._lens is None:
                self._positions()
            lens = self._lens
            self._starts = list(map(add, accumulate(lens, initial=0), range(1, len(lens) + 1)))  # type: ignore[arg-type]
        return self._starts

    def __len__(self) -> int:
        if self._lens is None:
            self._positions()
        return len(self._lens)  # type: ignore[arg-type]

    @property
    def guillemets(self) -> bool:
        """Whether the text has « or » of its own (snippets then replace them; checked once)."""
        if self._guillemets is None:
            self._guillemets = "«" in self.text or "»" in self.text
        return self._guillemets

    def words(self, cased: bool = False) -> list[str]:
        """The words, in order (lower-case unless `cased`)."""
        if self.primary_end == 1:
            return []
        return (self.cased if cased else self.lower)[1 : self.primary_end - 1].split(" ")

    def joined(self, cased: bool = False) -> list[tuple[str, int, int]]:
        """The joined forms: (text, first word, last word)."""
        buffer = self.cased if cased else self.lower
        out = []
        for start, (a, b) in zip(self.cell_starts, self.cells):
            end = buffer.index(" ", start)
            out.append((buffer[start:end], a, b))
        return out

    def span(self, first: int, last: int) -> tuple[int, int]:
        """The words covered by buffer characters first..last (inclusive)."""
        if first < self.primary_end:
            return bisect_right(self.starts, first) - 1, bisect_right(self.starts, last) - 1
        return self.cells[bisect_right(self.cell_starts, first) - 1]

    # ------------------------------------------------------------ offsets in the original text

    def _original(self, position: int) -> int:
        if self._marks is None:
            return position
        index = bisect_right(self._marks, position) - 1
        return position if index < 0 else position + self._deltas[index]  # type: ignore[index]

    def char_span(self, first_word: int, last_word: int) -> tuple[int, int]:
        """Start and end offsets in the original text of words first..last."""
        if self._fstarts is None:
            self._positions()
        start = self._fstarts[first_word]  # type: ignore[index]
        end = self._fstarts[last_word] + self._lens[last_word]  # type: ignore[index]
        if self._marks is None:
            return start, end
        return self._original(start), max(self._original(end - 1) + 1, self._original(start) + 1)

    def word_at(self, offset: int) -> int:
        """The index of the first word that ends after `offset` in the original text."""
        if self._fstarts is None:
            self._positions()
        if self._marks is not None:
            # Rare (ligatures, soft hyphens): search on original offsets directly.
            low, high = 0, len(self._fstarts)
            while low < high:
                mid = (low + high) // 2
                if self.char_span(mid, mid)[1] <= offset:
                    low = mid + 1
                else:
                    high = mid
            return low
        index = bisect_right(self._fstarts, offset) - 1
        if index >= 0 and self._fstarts[index] + self._lens[index] <= offset:
            index += 1
        return max(index, 0)


def analyse(text: str) -> Analysed:
    """Prepare a field's text for matching (see the module docstring)."""
    return Analysed(text)


def _chain_words(folded: str, spaced: str) -> list[list[tuple[int, int]]]:
    """Runs of words glued by hyphens or slashes (also a hyphen at a line end), each as its words'
    (start, end) offsets. `spaced` is `folded` with every non-word character a space, so a word
    is found from one of its ends with one C-level find (no word positions needed)."""
    links = []
    for joiner in "-/":
        at = folded.find(joiner)
        while at >= 0:
            links.append(at)
            at = folded.find(joiner, at + 1)
    if len(links) > 1:
        links.sort()
    chains: list[list[tuple[int, int]]] = []
    size = len(folded)
    for at in links:
        if at == 0 or spaced[at - 1] == " ":  # the joiner must follow a word character
            continue
        after = at + 1
        if after < size and folded[after] in " \t\r\n" and folded[at] == "-":
            gap = _LINE_BREAK.match(folded, at)
            if gap is None:
                continue
            after = gap.end()
        if after >= size or spaced[after] == " ":  # ... and be followed by one
            continue
        left_start = spaced.rfind(" ", 0, at) + 1
        right_end = spaced.find(" ", after)
        right = (after, right_end if right_end >= 0 else size)
        if chains and chains[-1][-1][0] == left_start:  # the previous chain ends in this word
            chains[-1].append(right)
        else:
            chains.append([(left_start, at), right])
    return chains


def _sub_joins(first: int, last: int) -> list[tuple[int, int]]:
    # Every run of two or more adjacent parts, so "jeugd-ggz-instelling" also yields "jeugdggz"
    # and "ggzinstelling"; long chains (rare, e.g. lists) only get pairs and the whole.
    count = last - first + 1
    if count <= 4:
        return [(a, b) for a in range(first, last) for b in range(a + 1, last + 1)]
    pairs = [(a, a + 1) for a in range(first, last)]
    return pairs + [(first, last)]


# ---------------------------------------------------------------------------- query words


def is_caps_abbreviation(word: str) -> bool:
    """True for a word written in capitals with at most 5 letters (ZIN, BUIG, GALA, G40).

    Such a term matches case-sensitively, because its lower-case form is often an everyday word.
    """
    letters = sum(c.isalpha() for c in word)
    return 1 <= letters <= 5 and word.isupper()


def join_variants(words: list[str] | tuple[str, ...]) -> list[str]:
    """The ways to write consecutive words with a space or glued: ['sociaal domein', 'sociaaldomein'].

    Long phrases (more than 6 words) only get the spaced and the fully glued form.
    """
    words = list(words)
    if len(words) == 1:
        return words
    if len(words) > 6:
        return [" ".join(words), "".join(words)]
    variants = [words[0]]
    for word in words[1:]:
        variants = [v + sep + word for v in variants for sep in (" ", "")]
    return variants


# ---------------------------------------------------------------------------- plurals

_VOWELS = frozenset("aeiou")


def plural_forms(word: str) -> list[str]:
    """The regular Dutch plural forms of a lower-case word (possibly including non-words, never the word).

    Rules (applied to words of 3+ ASCII letters):

    - ends in -heid: -heden (overheid → overheden)
    - ends in -ij: +en (partij → partijen)
    - ends in -e: +s and +n (gemeente → gemeentes, gemeenten; motie → moties);
      -ie/-ee: +en instead of +n (categorie → categorieen = categorieën folded, idee → ideeen)
    - ends in a, i, o, u, y: +s (the spelling auto's needs nothing: the apostrophe splits words)
    - ends in another consonant: +s unless it ends in s, x, z or t (wijkteam → wijkteams,
      wethouder → wethouders; not recht → rechts, niet → niets), and an -en plural:
        - -ing or an unstressed -el/-em/-en/-er: +en (uitkering → uitkeringen, maatregel → maatregelen)
        - double vowel + consonant: one vowel dropped, +en (taak → taken, straat → straten, probleem → problemen)
        - vowel pair (ie, oe, ei, ui, ou, eu …) + consonant: +en (wijk → wijken, brief → briefen, brieven)
        - single short vowel + consonant: consonant doubled, +en (wet → wetten, kat → katten,
          gesprek → gesprekken; so never wet → weten)
        - two consonants: +en (recht → rechten, tekort → tekorten)
      after a long vowel, a vowel pair, l or r, a final s/f also gets its voiced form (huis → huizen,
      brief → brieven, werf → werven).

    Irregular plurals (lid/leden, stad/steden, dag/dagen, kind/kinderen) are not generated.
    """
    w = word
    if len(w) < 3 or not w.isascii() or not w.isalpha() or not w.islower():
        return []
    if w.endswith("heid"):
        return [w[:-4] + "heden"]
    if w.endswith("ij"):
        return [w + "en"]
    last = w[-1]
    if last == "e":
        return [w + "s", w + ("en" if w.endswith(("ie", "ee")) else "n")]
    if last in "aiouy":
        return [w + "s"]
    forms: list[str] = []
    if last not in "sxzt":
        forms.append(w + "s")
    before, before2 = w[-2], w[-3]
    voice = False
    if w.endswith("ing") or (before == "e" and last in "lmnr" and before2 not in _VOWELS):
        stems = [w]
    elif before in _VOWELS and before2 == before and before in "aeou" and (len(w) < 4 or w[-4] not in _VOWELS):
        stems = [w[:-2] + last]
        voice = True
    elif before in _VOWELS and (before2 in _VOWELS or w[-3:-1] == "ij"):
        stems = [w]
        voice = True
    elif before in _VOWELS and last not in "wjxyhqc":
        stems = [w + last]
    else:
        stems = [w]
        voice = before in "lr"
    for stem in stems:
        forms.append(stem + "en")
        if voice and last in "sf":
            forms.append(stem[:-1] + ("z" if last == "s" else "v") + "en")
    return [f for f in dict.fromkeys(forms) if f != w]


# ---------------------------------------------------------------------------- snippets

SNIPPET_WIDTH = 200
_BEFORE = 70


def snippet(analysed: Analysed, spans: list[tuple[int, int]], width: int = SNIPPET_WIDTH) -> str:
    """About `width` characters around the first of `spans` (sorted word ranges), whitespace
    collapsed, every span inside the window marked «like this», with "…" where the text is cut."""
    text = analysed.text
    clean = analysed.guillemets
    if not spans:
        return _collapse(_clean(text[:width]) if clean else text[:width])
    char_span = analysed.char_span
    hit_start, hit_end = char_span(*spans[0])
    start, end = _window(text, hit_start, hit_end, width)
    if len(spans) == 1 and not clean:
        # The usual case (one hit in the window, no guillemets of its own): no piece list.
        first, last = spans[0]
        word = text[hit_start:hit_end]
        if first != last:
            word = _collapse(word)
        body = _collapse(text[start:hit_start] + "«" + word + "»" + text[hit_end:end])
    else:
        body = _collapse(_marked(text, spans, char_span, start, end, clean))
    return ("…" if start > 0 else "") + body + ("…" if end < len(text) else "")


def _window(text: str, hit_start: int, hit_end: int, width: int) -> tuple[int, int]:
    # About `_BEFORE` characters before the hit, `width` in all, cut at spaces where possible.
    start = hit_start - _BEFORE if hit_start > _BEFORE else 0
    end = start + width
    if end < hit_end:
        end = hit_end
    size = len(text)
    if end >= size:
        end = size
        start = max(0, end - width)
    if start > 0:
        # Do not start in the middle of a word.
        space = text.find(" ", start, hit_start)
        if space >= 0:
            start = space + 1
    if end < size:
        space = text.rfind(" ", hit_end, end)
        if space > hit_end:
            end = space
    return start, end


def _marked(text: str, spans: list[tuple[int, int]], char_span: Callable[[int, int], tuple[int, int]], start: int, end: int, clean: bool) -> str:
    # spans[0] is the first hit, so marking starts there; the rest are sorted by first word.
    pieces = []
    at = start
    mark_end = -1
    pieces_start = start
    for first, last in spans:
        s, e = char_span(first, last)
        if s >= end:
            break
        if e > end:
            continue
        if s < mark_end:  # overlaps the previous mark (e.g. jeugd* and *zorg on one word): widen it
            if e > mark_end:
                widened = _collapse(text[pieces_start:e])
                pieces[-1] = "«" + (_clean(widened) if clean else widened) + "»"
                at = mark_end = e
            continue
        pieces.append(_clean(text[at:s]) if clean else text[at:s])
        pieces_start = s
        word = _collapse(text[s:e]) if first != last else text[s:e]
        pieces.append("«" + (_clean(word) if clean else word) + "»")
        at = mark_end = e
    pieces.append(_clean(text[at:end]) if clean else text[at:end])
    return "".join(pieces)


def _clean(text: str) -> str:
    # « and » mark hits for the digest; the source's own guillemets must not look like marks.
    return text.replace("«", '"').replace("»", '"')


def _collapse(text: str) -> str:
    # Most snippet windows have single spaces only: then split/join (a new string per word)
    # would give the text back unchanged. Every whitespace character other than " " is
    # non-printable, so isprintable() rules them out in one C-level pass.
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())
