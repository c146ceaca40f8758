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
from bisect import bisect_right
from itertools import accumulate
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
_SPLIT = re.compile(r"([\W_]+)")
# A compound glued by hyphens or slashes, including a word broken at a line end ("jeugd-\nzorg").
_COMPOUND = re.compile(r"[^\W_]+(?:(?:[-/]|-[ \t]*\r?\n[ \t]*)[^\W_]+)+")

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
        else:
            decomposed = unicodedata.normalize("NFKD", char)
            out = "".join(c for c in decomposed if not unicodedata.combining(c))
            if not char.isalnum() and any(c.isalnum() for c in out):
                # ™ → "TM" would glue letters onto the word before it; keep symbols separators.
                out = " "
        self[code] = out
        return out


_TABLE = _FoldTable()


def _fold_cased(text: str) -> tuple[str, list[int] | None, list[int] | None]:
    """Fold accents (keeping case). Returns the folded text and, when its length differs from the
    original (ĳ → ij, a dropped soft hyphen), the positions where it shifts and by how much."""
    if text.isascii():
        return text, None, None
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


def fold(text: str) -> str:
    """Lower-case, accent-folded text, e.g. 'Financiële Ideeën' → 'financiele ideeen'."""
    return _fold_cased(text)[0].lower()


def words_of(text: str) -> list[str]:
    """The words of a text as the engine sees them (accents folded, case kept)."""
    return [w for w in _SPLIT.split(_fold_cased(text)[0]) if w and not _SPLIT.fullmatch(w)]


# ---------------------------------------------------------------------------- analysis


class Analysed:
    """A field's text prepared for matching: scan buffers plus the maps back to words and offsets.

    `cased` and `lower` are the same buffer before and after lower-casing (same length). Word i
    starts at buffer index `starts[i]`; joined forms live in cells after `primary_end`.
    """

    __slots__ = ("text", "cased", "lower", "primary_end", "starts", "cells", "cell_starts", "_fstarts", "_lens", "_marks", "_deltas")

    def __init__(self, text: str) -> None:
        self.text = text
        folded, self._marks, self._deltas = _fold_cased(text)
        parts = _SPLIT.split(folded)
        bounds = list(accumulate(map(len, parts), initial=0))
        words = parts[0::2]
        fstarts = bounds[0::2]
        if words and not words[-1]:
            words.pop()
            fstarts.pop()
        if words and not words[0]:
            del words[0], fstarts[0]
        lens = list(map(len, words))
        self._fstarts = fstarts
        self._lens = lens
        buffer = " " + " ".join(words) + " " if words else " "
        self.starts = list(map(add, accumulate(lens, initial=0), range(1, len(words) + 1)))
        self.primary_end = len(buffer)
        self.cells: list[tuple[int, int]] = []
        self.cell_starts: list[int] = []
        if words and ("-" in folded or "/" in folded):
            extra: list[str] = []
            at = len(buffer)
            for match in _COMPOUND.finditer(folded):
                first = bisect_right(fstarts, match.start()) - 1
                last = bisect_right(fstarts, match.end() - 1) - 1
                for a, b in _sub_joins(first, last):
                    joined = "".join(words[a : b + 1])
                    self.cells.append((a, b))
                    self.cell_starts.append(at + 2)
                    extra.append("\x00 " + joined + " ")
                    at += len(joined) + 3
            buffer += "".join(extra)
        self.cased = buffer
        lower = buffer.lower()
        if len(lower) != len(buffer):  # a character whose lower case is longer: keep it as is
            lower = "".join(c.lower() if len(c.lower()) == 1 else c for c in buffer)
        self.lower = lower

    # ------------------------------------------------------------ words

    def __len__(self) -> int:
        return len(self.starts)

    def words(self, cased: bool = False) -> list[str]:
        """The words, in order (lower-case unless `cased`)."""
        if not self.starts:
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
        start = self._fstarts[first_word]
        end = self._fstarts[last_word] + self._lens[last_word]
        return self._original(start), max(self._original(end - 1) + 1, self._original(start) + 1)


def analyse(text: str) -> Analysed:
    """Prepare a field's text for matching (see the module docstring)."""
    return Analysed(text)


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
    """About `width` characters around the first of `spans` (word ranges), whitespace collapsed,
    every span inside the window marked «like this», with "…" where the text is cut."""
    text = analysed.text
    if not spans:
        return _collapse(text[:width])
    spans = sorted(spans)
    hit_start, hit_end = analysed.char_span(*spans[0])
    start = max(0, hit_start - _BEFORE)
    end = min(len(text), max(start + width, hit_end))
    if end - start < width:
        start = max(0, end - width)
    if start > 0:
        # Do not start in the middle of a word.
        space = _next_space(text, start, hit_start)
        if space is not None:
            start = space
    if end < len(text):
        space = text.rfind(" ", hit_end, end)
        if space > hit_end:
            end = space
    marks: list[tuple[int, int]] = []
    for first, last in spans:
        s, e = analysed.char_span(first, last)
        if s >= start and e <= end:
            if marks and s <= marks[-1][1]:
                marks[-1] = (marks[-1][0], max(e, marks[-1][1]))
            else:
                marks.append((s, e))
    pieces = []
    at = start
    for s, e in marks:
        pieces.append(_clean(text[at:s]))
        pieces.append("«" + _collapse(_clean(text[s:e])) + "»")
        at = e
    pieces.append(_clean(text[at:end]))
    body = _collapse("".join(pieces))
    return ("…" if start > 0 else "") + body + ("…" if end < len(text) else "")


def _next_space(text: str, start: int, limit: int) -> int | None:
    for index in range(start, limit):
        if text[index].isspace():
            return index + 1
    return None


def _clean(text: str) -> str:
    # « and » mark hits for the digest; the source's own guillemets must not look like marks.
    return text.replace("«", '"').replace("»", '"')


def _collapse(text: str) -> str:
    return " ".join(text.split())
