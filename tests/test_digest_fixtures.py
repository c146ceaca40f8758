"""Shared fixtures for the deliver tests: a small config, stored items with matches, moments,
and a real SMTP server on loopback (aiosmtpd). Imported by test_digest*, test_smtp*, test_calendar*.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

from monitor.config import (
    Config,
    DigestConfig,
    DossierConfig,
    EmailConfig,
    RuleConfig,
    RulesConfig,
    SmtpConfig,
    SourceConfig,
    SourcesConfig,
)
from monitor.models import Item, Match
from monitor.store import Store
from monitor.timeutil import AMS, iso

NOW = datetime(2026, 11, 24, 7, 0, tzinfo=AMS)  # a Tuesday
HOSTILE_TITLE = "<script>alert('x')</script> Jeugdzorg <b>in crisis</b>"
HOSTILE_SNIPPET = "gemeenten en «jeugdzorg» <img src=x onerror=alert(1)> tekorten"


def make_config(port: int = 25, send_empty: bool = False) -> Config:
    """Two dossiers, three recipients (one on both), two sources, SMTP on loopback."""
    sources = SourcesConfig(
        sources=[
            SourceConfig("tk", "tk", "https://gegevensmagazijn.tweedekamer.nl", 900, "Tweede Kamer"),
            SourceConfig("bb", "feed", "https://bb.example/rss", 1800, "Binnenlands Bestuur"),
        ],
        email=EmailConfig(
            sender="monitor@gemeente.example",
            smtp=SmtpConfig(host="127.0.0.1", port=port, security="none", username=None, timeout=5),
            unsubscribe="afmelden@gemeente.example",
        ),
        digest=DigestConfig(time="07:00", send_empty=send_empty, horizon_days=21),
    )
    rules = RulesConfig(
        dossiers={
            "jeugd": DossierConfig(
                "jeugd",
                "Jeugdzorg",
                [RuleConfig("kern", "jeugdzorg OR jeugdhulp", None)],
                recipients=["anna@gemeente.example", "team@gemeente.example"],
            ),
            "wmo": DossierConfig(
                "wmo", "Wmo", [RuleConfig("wmo", "wmo", None)], recipients=["bob@gemeente.example", "team@gemeente.example"]
            ),
        },
        lead_times={},
        version="test",
    )
    return Config(sources=sources, rules=rules, directory=Path("."))


def add(store: Store, item: Item, dossier: str, rule: str, terms: list[str], seen: datetime = NOW - timedelta(hours=2), snippet: str = "") -> Item:
    """Store an item and its match as the pipeline would."""
    store.upsert_item(item, iso(seen))
    store.replace_matches(item, [Match(item.id, dossier, rule, terms, snippet or f"… «{terms[0]}» …")], "test", iso(seen))
    return item


def activity(guid: str, title: str, when: datetime, status: str = "Gepland", agenda: list[str] | None = None, soort: str = "Commissiedebat") -> Item:
    """A Kamer activity item in the tk helper's shape."""
    return Item(
        source="tk",
        external_id=f"activiteit/{guid}",
        kind="activiteit",
        title=title,
        text=title,
        url=f"https://www.tweedekamer.nl/debat_en_vergadering/commissievergaderingen/details?id={guid}",
        published_at=iso(NOW - timedelta(days=1)),
        event_at=iso(when),
        data={
            "id": guid,
            "soort": soort,
            "onderwerp": title,
            "status": status,
            "datum": when.date().isoformat(),
            "aanvangstijd": iso(when),
            "eindtijd": iso(when + timedelta(hours=3)),
            "locatie": "Thorbeckezaal",
            "commissie": {"id": "c-vws", "afkorting": "VWS", "naam": "vaste commissie voor Volksgezondheid, Welzijn en Sport"},
            "agenda": agenda or ["Stand van zaken jeugdzorg"],
        },
    )


def motie(guid: str, title: str) -> Item:
    """A motie zaak with indieners and a kabinetsappreciatie."""
    return Item(
        source="tk",
        external_id=f"zaak/{guid}",
        kind="zaak",
        title=title,
        text=title,
        url=f"https://www.tweedekamer.nl/kamerstukken/moties/detail?id={guid}",
        published_at=iso(NOW - timedelta(days=1)),
        data={
            "id": guid,
            "nummer": "2026Z12345",
            "soort": "Motie",
            "titel": title,
            "kabinetsappreciatie": "Oordeel Kamer",
            "kamerstukdossier": {"nummer": "31839", "toevoeging": None, "titel": "Jeugdzorg"},
            "indieners": [
                {"persoon_id": "p1", "naam": "J. de Vries", "fractie": "CDA", "rol": "Indiener"},
                {"persoon_id": "p2", "naam": "A. Bakker", "fractie": "GL-PvdA", "rol": "Medeindiener"},
            ],
            "besluiten": [],
            "uitslag": None,
        },
    )


def article(guid: str, title: str, url: str = "https://bb.example/artikel") -> Item:
    """A press article."""
    return Item(source="bb", external_id=guid, kind="artikel", title=title, text=title, url=url, published_at=iso(NOW - timedelta(hours=5)))


def healthy(store: Store, at: datetime = NOW - timedelta(minutes=10)) -> None:
    """Both sources fetched fine just now (so Bronnen has nothing to report)."""
    store.record_success("tk", "tk", iso(at), 1, 0)
    store.record_success("bb", "feed", iso(at), 1, 0)


def seed(store: Store) -> dict[str, Item]:
    """A small, realistic day: a debate, a motie, a hostile article (jeugd), an article (wmo)."""
    healthy(store)
    debate = add(store, activity("a1", "Commissiedebat Jeugdbeleid", NOW + timedelta(days=9, hours=3)), "jeugd", "kern", ["jeugdzorg"])
    zaak = add(store, motie("z1", "Motie over het woonplaatsbeginsel in de jeugdzorg"), "jeugd", "kern", ["jeugdzorg"])
    hostile = add(
        store,
        article("h1", HOSTILE_TITLE, url="javascript:alert(1)"),
        "jeugd",
        "kern",
        ["jeugdzorg"],
        snippet=HOSTILE_SNIPPET,
    )
    wmo = add(store, article("w1", "Gemeenten worstelen met Wmo-eigen bijdrage"), "wmo", "wmo", ["Wmo"])
    return {"debate": debate, "motie": zaak, "hostile": hostile, "wmo": wmo}


def build(store: Store, config: Config, recipient: str, now: datetime = NOW):
    """One recipient's digest as of `now`, as the pipeline builds it (reads only)."""
    from monitor.deliver import digest as dg

    [digest] = dg.build_digests(store.view(now), config, only=recipient)
    return digest


def titles(digest) -> dict[str, list[str]]:
    """Section -> the titles shown in it (from the digest's audit lines)."""
    out: dict[str, list[str]] = {}
    for section, _dossier, _ref, title, _reason in digest.audit_lines():
        out.setdefault(section, []).append(title)
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Inbox:
    """What the loopback SMTP server received; `refuse` makes it answer with an error instead."""

    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    refuse: str | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        if self.refuse:
            return self.refuse
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for _, rcpts, m in self.messages if address in rcpts]


def start_smtp() -> tuple[Controller, Inbox, int]:
    """A real SMTP server on 127.0.0.1 at a free port."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox, port


def parts(message: EmailMessage) -> tuple[str, str]:
    """(text, html) of a received digest."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html
