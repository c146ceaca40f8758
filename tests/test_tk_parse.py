"""SyncFeed parsing: namespaces by meaning not prefix, tombstones, nils, broken pages; real files."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from monitor.sources.tk_parse import FeedError, parse_entity, parse_page, parse_time, skiptoken_of

FIXTURES = Path(__file__).resolve().parents[1] / "monitor" / "demo" / "data" / "tk"
SHARED = Path(__file__).resolve().parents[2] / "shared"
REAL_TK = SHARED / "real" / "tk"
TK = "http://www.tweedekamer.nl/xsd/tkData/v1-0"
ATOM = "http://www.w3.org/2005/Atom"


def _feed(*entries: str, links: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="{ATOM}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<title>Gegevensmagazijn SyncFeed</title>{links}{''.join(entries)}</feed>"
    ).encode()


def _entry(entity: str, token: int | None = 100, title: str | None = "aa000000-0000-4000-8000-000000000001") -> str:
    link = f'<link rel="next" href="https://x/SyncFeed/2.0/Feed?category=Activiteit&amp;skiptoken={token}"/>' if token else ""
    head = f"<title>{title}</title>" if title else ""
    return f'<entry>{head}<updated>2026-11-20T10:00:00.1234567Z</updated>{link}<content type="application/xml">{entity}</content></entry>'


def test_fixture_pages_parse_with_every_prefix_style():
    for path in sorted((FIXTURES / "run1").glob("*.xml")) + sorted((FIXTURES / "run2").glob("*.xml")):
        page = parse_page(path.read_bytes(), path.stem)
        assert page.raw_count >= 1
        assert all(e.category == path.stem for e in page.entries), path
        tokens = [t for t, _ in page.tokens]
        assert tokens == sorted(tokens) and page.next_skiptoken == tokens[-1]


def test_default_namespace_and_tk_attributes():
    page = parse_page((FIXTURES / "run1" / "Activiteit.xml").read_bytes(), "Activiteit")
    first = page.entries[0]
    assert first.id == "aa000000-0000-4000-8000-000000000001"
    assert first.bijgewerkt == "2026-10-20T11:12:40.577+02:00" and not first.deleted
    assert first.updated == "2026-10-20T09:12:44.1234567Z"
    assert first.fields["soort"] == "Commissiedebat"
    assert first.fields["onderwerp"] == "Jeugdbeleid "  # kept raw; items collapse whitespace
    assert first.fields["noot"] is None  # xsi:nil
    assert first.fields["datumsoort"] == "Dag"  # keys lower-cased
    assert first.refs == {"voortouwcommissie": ["c0000000-0000-4000-8000-000000000001"]}


def test_ns1_prefixed_entities_parse_the_same():
    page = parse_page((FIXTURES / "run1" / "Besluit.xml").read_bytes(), "Besluit")
    besluit = page.entries[0]
    assert besluit.category == "Besluit"
    assert besluit.bijgewerkt == "2026-11-17T16:11:00+01:00"
    assert besluit.fields["besluitsoort"] == "Stemmen - aangenomen"
    assert besluit.refs["agendapunt"] == ["ab000000-0000-4000-8000-000000000005"]


def test_element_order_does_not_matter():
    # CommissieZetelVastPersoon fixtures put attributes before relations (unlike the XSD).
    page = parse_page((FIXTURES / "run1" / "CommissieZetelVastPersoon.xml").read_bytes(), "CommissieZetelVastPersoon")
    member = page.entries[0]
    assert member.refs["persoon"] and member.refs["commissiezetel"] and member.fields["functie"] == "Lid"


def test_same_entity_with_any_prefix_or_none():
    bodies = [
        f'<activiteit xmlns="{TK}" xmlns:tk="{TK}" id="AA000000-0000-4000-8000-000000000001" tk:bijgewerkt="2026-11-20T10:00:00" tk:verwijderd="false"><soort>Commissiedebat</soort><voortouwcommissie ref="c0000000-0000-4000-8000-000000000001"/></activiteit>',
        f'<ns1:activiteit xmlns:ns1="{TK}" id="aa000000-0000-4000-8000-000000000001" ns1:bijgewerkt="2026-11-20T10:00:00+0100" ns1:verwijderd="false"><ns1:voortouwcommissie ref="c0000000-0000-4000-8000-000000000001"/><ns1:soort>Commissiedebat</ns1:soort></ns1:activiteit>',
        '<activiteit id="aa000000-0000-4000-8000-000000000001" bijgewerkt="2026-11-20T10:00:00" verwijderd="false"><soort>Commissiedebat</soort><voortouwcommissie ref="c0000000-0000-4000-8000-000000000001"/></activiteit>',
    ]
    for body in bodies:
        entry = parse_page(_feed(_entry(body))).entries[0]
        assert (entry.category, entry.id, entry.fields["soort"]) == ("Activiteit", "aa000000-0000-4000-8000-000000000001", "Commissiedebat")
        assert entry.refs["voortouwcommissie"] == ["c0000000-0000-4000-8000-000000000001"]


@pytest.mark.parametrize("value", ["true", "True", "TRUE", "1"])
def test_tombstones_in_every_spelling(value):
    body = f'<zaak xmlns="{TK}" xmlns:tk="{TK}" id="2a000000-0000-4000-8000-000000000001" tk:bijgewerkt="2026-11-20T10:00:00" tk:verwijderd="{value}"/>'
    entry = parse_page(_feed(_entry(body))).entries[0]
    assert entry.deleted and entry.fields == {} and entry.refs == {}


def test_entry_without_entity_id_uses_the_title_and_without_any_id_is_skipped():
    no_attr = f'<zaak xmlns="{TK}" xmlns:tk="{TK}" tk:bijgewerkt="2026-11-20T10:00:00" tk:verwijderd="false"><soort>Motie</soort></zaak>'
    page = parse_page(_feed(_entry(no_attr, 100, "2A000000-0000-4000-8000-000000000009"), _entry(no_attr, 107, None)))
    assert [e.id for e in page.entries] == ["2a000000-0000-4000-8000-000000000009"]
    assert len(page.problems) == 1 and "without an id" in page.problems[0]
    assert page.raw_count == 2 and page.next_skiptoken == 107  # the unreadable entry still moves the cursor


def test_entries_without_own_next_link_fall_back_to_feed_links():
    body = f'<zaak xmlns="{TK}" xmlns:tk="{TK}" id="2a000000-0000-4000-8000-000000000001" tk:bijgewerkt="x" tk:verwijderd="false"/>'
    page = parse_page(_feed(_entry(body, None), links='<link rel="next" href="https://x/Feed?skiptoken=555&amp;category=Zaak"/>'))
    assert page.next_skiptoken == 555
    page = parse_page(_feed(_entry(body, None), links='<link rel="resume" href="https://x/Feed?skiptoken=556"/>'))
    assert page.next_skiptoken == 556


def test_empty_page():
    page = parse_page(_feed())
    assert page.raw_count == 0 and page.entries == [] and page.next_skiptoken is None


@pytest.mark.parametrize(
    "body, message",
    [
        (b"<Error><Message>An error has occurred.</Message></Error>", "<Error>: An error has occurred."),
        (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><title>x', "malformed XML"),
        (b"<!DOCTYPE html><html><body>Onderhoud</body></html>", "HTML page"),
        (b'<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY a "aaaa">]><feed>&a;</feed>', "DOCTYPE"),
        (b"", "empty answer"),
        (b"<something/>", "root element <something>"),
    ],
)
def test_unusable_answers_raise_feed_error(body, message):
    with pytest.raises(FeedError, match=re.escape(message)):
        parse_page(body)


def test_parse_entity_accepts_entry_feed_or_bare_element():
    path = FIXTURES / "entiteiten" / "aa000000-0000-4000-8000-000000000009.xml"
    entry = parse_entity(path.read_bytes())
    assert entry.category == "Activiteit" and entry.fields["onderwerp"] == "Wmo-tarieven" and entry.skiptoken is None
    bare = f'<agendapunt xmlns="{TK}" xmlns:tk="{TK}" id="ab000000-0000-4000-8000-000000000008" tk:bijgewerkt="2026-06-01T10:00:00" tk:verwijderd="false"><activiteit ref="aa000000-0000-4000-8000-000000000009"/></agendapunt>'
    assert parse_entity(bare.encode()).refs["activiteit"] == ["aa000000-0000-4000-8000-000000000009"]
    wrapped = parse_entity(_feed(_entry(bare)))
    assert wrapped.category == "Agendapunt"


def test_skiptoken_and_time_helpers():
    assert skiptoken_of("https://gegevensmagazijn.tweedekamer.nl/SyncFeed/2.0/Feed?category=FractieZetelPersoon&skiptoken=16687327") == 16687327
    assert skiptoken_of("https://x/Feed?category=Zaak") is None and skiptoken_of("https://x/Feed?skiptoken=abc") is None
    utc = timezone.utc
    assert parse_time("2023-08-29T13:23:13.0962032Z") == datetime(2023, 8, 29, 13, 23, 13, 96203, tzinfo=utc)
    assert parse_time("2008-08-26T12:13:04.6270000") == datetime(2008, 8, 26, 12, 13, 4, 627000, tzinfo=utc)
    assert parse_time("2024-08-14T12:45:58.03+02:00").utcoffset().total_seconds() == 7200
    assert parse_time("2026-11-20T10:00:00+0100").utcoffset().total_seconds() == 3600
    assert parse_time("not a time") is None and parse_time(None) is None


# ---------------------------------------------------------------------------- the real files


needs_shared = pytest.mark.skipif(not REAL_TK.exists(), reason="../shared/real/tk is not available")


@needs_shared
def test_real_syncfeed_entry_parses():
    # Recorded with its namespaces stripped; wrap it in a feed as the live service would.
    raw = (REAL_TK / "syncfeed_entry_fractiezetelpersoon_from_notebook_output.xml").read_text(encoding="utf-8")
    page = parse_page(f"<feed>{raw}</feed>".encode(), "FractieZetelPersoon")
    entry = page.entries[0]
    assert entry.category == "FractieZetelPersoon"
    assert entry.id == "808fcd50-a0dc-4f60-8b9d-c404a2eb5b2e"
    assert entry.skiptoken == 16687327 and page.next_skiptoken == 16687327
    assert entry.updated == "2023-08-29T13:23:13Z" and entry.bijgewerkt == "2023-08-29T11:10:24Z"
    assert entry.refs == {"fractiezetel": ["ca826e72-cf57-4cca-b090-d5c444ec6c2d"], "persoon": ["ec273841-069f-408b-b434-8524904ae314"]}
    assert entry.fields == {"functie": "Lid", "van": "2002-05-23", "totenmet": "2010-10-11"}
    # And with the namespaces the live feed has.
    live = raw.replace("<entry>", f'<entry xmlns="{ATOM}">').replace(
        "<fractieZetelPersoon ", f'<fractieZetelPersoon xmlns="{TK}" xmlns:tk="{TK}" '
    ).replace(' bijgewerkt="', ' tk:bijgewerkt="').replace(' verwijderd="', ' tk:verwijderd="')
    again = parse_page(f'<feed xmlns="{ATOM}">{live}</feed>'.encode()).entries[0]
    assert (again.id, again.fields, again.refs, again.bijgewerkt) == (entry.id, entry.fields, entry.refs, entry.bijgewerkt)


def _xsd_elements(name: str) -> set[str]:
    text = (REAL_TK / "xsd" / "official" / f"tkData-v1-0-{name}.xsd").read_text(encoding="utf-8-sig")
    return set(re.findall(r'<xs:element name="([^"]+)"', text))


@needs_shared
@pytest.mark.parametrize(
    "xsd, element, fields, refs",
    [
        ("activiteit", "activiteit", {"soort", "nummer", "onderwerp", "datum", "aanvangstijd", "eindtijd", "locatie", "status", "voortouwafkorting", "voortouwnaam", "noot"}, {"voortouwcommissie", "vervangenVanuit", "voortgezetVanuit"}),
        ("agendapunt", "agendapunt", {"onderwerp", "volgorde"}, {"activiteit"}),
        ("activiteitactor", "activiteitActor", {"actorNaam", "actorFractie", "relatie", "volgorde"}, {"activiteit", "persoon"}),
        ("zaak", "zaak", {"nummer", "soort", "titel", "onderwerp", "gestartOp", "afgedaan", "kabinetsappreciatie"}, {"kamerstukdossier", "agendapunt", "activiteit"}),
        ("zaakactor", "zaakActor", {"actorNaam", "actorFractie", "actorAfkorting", "relatie"}, {"zaak", "persoon", "commissie"}),
        ("document", "document", {"soort", "documentNummer", "titel", "onderwerp", "datum", "volgnummer"}, {"zaak", "agendapunt", "activiteit", "kamerstukdossier", "huidigeDocumentVersie"}),
        ("kamerstukdossier", "kamerstukdossier", {"nummer", "toevoeging", "titel"}, set()),
        ("besluit", "besluit", {"besluitSoort", "besluitTekst", "stemmingsSoort", "status", "agendapuntZaakBesluitVolgorde"}, {"agendapunt", "zaak"}),
        ("stemming", "stemming", {"soort", "fractieGrootte", "actorFractie"}, {"besluit", "fractie", "persoon"}),
        ("persoon", "persoon", {"initialen", "tussenvoegsel", "achternaam", "roepnaam", "functie"}, set()),
        ("fractie", "fractie", {"afkorting", "naamNl"}, set()),
        ("fractiezetel", "fractieZetel", set(), {"fractie"}),
        ("fractiezetelpersoon", "fractieZetelPersoon", {"van", "totEnMet"}, {"fractieZetel", "persoon"}),
        ("commissie", "commissie", {"afkorting", "naamNl"}, set()),
        ("commissiezetel", "commissieZetel", set(), {"commissie"}),
        ("commissiezetelvastpersoon", "commissieZetelVastPersoon", {"functie", "van", "totEnMet"}, {"commissieZetel", "persoon"}),
    ],
)
def test_element_names_the_code_reads_exist_in_the_official_xsd(xsd, element, fields, refs):
    names = _xsd_elements(xsd)
    assert element in names
    missing = (fields | refs) - names
    assert not missing, f"{xsd}.xsd lacks {missing}"


@needs_shared
def test_fixture_element_names_are_all_in_the_official_xsds():
    # Every element our fixtures use exists in the XSD of its entity (case as in the XSD).
    allowed: dict[str, set[str]] = {}
    for path in (REAL_TK / "xsd" / "official").glob("tkData-v1-0-*.xsd"):
        text = path.read_text(encoding="utf-8-sig")
        top = re.search(r'<xs:element name="([^"]+)" type="\w+Type"\s*/>', text)
        if top:
            allowed[top.group(1)] = set(re.findall(r'<xs:element name="([^"]+)"', text))
    for path in sorted(FIXTURES.glob("*/*.xml")):
        text = path.read_text(encoding="utf-8")
        for entity in re.finditer(r"<(?:ns1:)?(\w+) (?:id=|tk:bijgewerkt)[^>]*(?<!/)>(.*?)</(?:ns1:)?\1>", text, re.S):
            name, body = entity.group(1), entity.group(2)
            used = set(re.findall(r"<(?:ns1:)?(\w+)[ >/]", body))
            assert used <= allowed[name], f"{path.name}: <{name}> uses {used - allowed[name]}"
