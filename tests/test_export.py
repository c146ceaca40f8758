"""`monitor export`: the week's Lobbymemo in Word, its sheets in Excel and CSV.

Every test drives the real CLI on the replay fortnight (fetched once for the module) and opens
the file the way a PA team's tools would: python-docx for Word, openpyxl for Excel, the csv
module with Dutch Excel's settings for CSV.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.shared import Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

from monitor.cli import main
from monitor.render import sheets
from test_briefing import FOURTH, THIRD

HELD, LATE = "2026Z19012", "2026Z21500"
HELD_STANDING = "nog niet gestemd (eerder aangehouden, di 17 nov)"


def export(config: Path, *args: str, now: str = THIRD) -> int:
    return main(["export", *args, "--config", str(config), "--now", now, "-q"])


def paragraphs_and_tables(path: Path) -> list[Paragraph | Table]:
    """The body of a Word file in order: its paragraphs and tables."""
    word = docx.Document(str(path))
    out: list[Paragraph | Table] = []
    for child in word.element.body.iterchildren():
        if child.tag.endswith("}p"):
            out.append(Paragraph(child, word))
        elif child.tag.endswith("}tbl"):
            out.append(Table(child, word))
    return out


def section(body: list[Paragraph | Table], heading: str) -> list[Paragraph | Table]:
    """What stands under a Heading 1, up to the next one."""
    start = next(i for i, p in enumerate(body) if isinstance(p, Paragraph) and p.style.name == "Heading 1" and p.text == heading)
    end = next((i for i in range(start + 1, len(body)) if isinstance(body[i], Paragraph) and body[i].style.name == "Heading 1"), len(body))
    return body[start + 1:end]


def text_of(parts: list[Paragraph | Table]) -> str:
    lines = []
    for part in parts:
        if isinstance(part, Table):
            lines += [" | ".join(c.text for c in row.cells) for row in part.rows]
        else:
            lines.append(part.text)
    return "\n".join(lines)


# ---------------------------------------------------------------------------- Word


def test_the_memo_has_the_weeks_actions_meetings_and_stemmingen_in_word_styles(week, tmp_path):
    out = tmp_path / "week50.docx"
    assert export(week, "--week", "2026-W50", "--format", "docx", "--output", str(out)) == 0
    body = paragraphs_and_tables(out)
    assert body[0].style.name == "Title" and body[0].text == "Lobbymemo week 50 (ma 7 dec t/m zo 13 dec 2026)"
    headings = [p.text for p in body if isinstance(p, Paragraph) and p.style.name == "Heading 1"]
    assert headings[:3] == ["Actie nodig", "Vergaderingen", "Stemmingen"]
    assert {"Jeugdzorg en jeugdhulp", "Wmo, beschermd wonen en maatschappelijke opvang"} <= set(headings)
    # The actions by deadline, each a Heading 2 with its details as bullets.
    actions = section(body, "Actie nodig")
    titles = [p.text for p in actions if isinstance(p, Paragraph) and p.style.name == "Heading 2"]
    assert titles[:2] == ["Woordvoerders briefen — TE LAAT — de deadline was wo 2 dec; nu alsnog [TE LAAT]",
                          "Fracties benaderen voor de stemming — uiterlijk ma 7 dec"]
    bullets = [p.text for p in actions if isinstance(p, Paragraph) and p.style.name.startswith("List Bullet")]
    assert "Commissiedebat Wmo-tarieven · commissie VWS · wo 9 dec 2026 10:00" in bullets
    assert "K. de Vries (VVD) — 1 keer Kamervragen over Wmo, lid commissie VWS" in bullets
    # The lapsed debate: cancelled, with the Kamer's note.
    assert "woordvoerders briefen: geannuleerd" in bullets
    # The week's meetings: a table with the time and each meeting with its agenda and changes.
    [table] = [p for p in section(body, "Vergaderingen") if isinstance(p, Table)]
    assert table.style.name == "Table Grid"
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0] == ["Wanneer", "Vergadering"]
    when = {r[1].splitlines()[0]: r[0] for r in rows[1:]}
    assert when["Commissiedebat Wmo-tarieven [NIEUW]"] == "wo 9 dec 10:00"  # new on the agenda since last week
    assert when["Stemmingen [NIEUW]"] == "di 8 dec 15:00"
    assert "Agendapunt: Reële tarieven in de Wmo" in text_of([table])
    # The Stemmingen: each motie with indieners, appreciatie and its standing at this meeting.
    votes = text_of(section(body, "Stemmingen"))
    assert "Stemmingen · plenaire vergadering · di 8 dec 2026 15:00" in votes
    assert "Motie van het lid De Vries over regionale inkoop van jeugdhulp" in votes
    assert "ingediend door R. El Idrissi (CDA), mede-indiener A.B. Jansen (GL-PvdA)" in votes
    assert "kabinetsappreciatie: Ontraden" in votes and HELD_STANDING in votes
    # What changed: the cancelled jeugd debate and the procedurevergadering.
    changed = text_of(section(body, "Gewijzigd"))
    assert "Commissiedebat Jeugdbeleid [GEANNULEERD]" in changed and "Procedurevergadering VWS [GEANNULEERD]" in changed
    assert "verplaatst van do 10 dec 10:00 naar do 17 dec 13:00" in changed
    # News per dossier, and only http(s) links, as real hyperlinks.
    assert "Regio's vrezen gat in specialistische jeugdhulp na 2027" in text_of(section(body, "Jeugdzorg en jeugdhulp"))
    word = docx.Document(str(out))
    links = [r.target_ref for r in word.part.rels.values() if r.reltype.endswith("/hyperlink")]
    assert links and all(link.startswith(("https://", "http://")) for link in links)
    assert any("id=2026A05110" in link for link in links)


def test_after_the_vote_the_memo_tells_the_result_and_a_bad_week_is_refused(week, tmp_path, capsys):
    out = tmp_path / "memo.docx"
    assert export(week, "--output", str(out), now=FOURTH) == 0  # the current week: 9 December is in week 50
    body = paragraphs_and_tables(out)
    assert body[0].text.startswith("Lobbymemo week 50 ")
    votes = text_of(section(body, "Stemmingen"))
    assert "verworpen — voor 24: VVD (24); tegen 59: GL-PvdA (25), CDA (20), D66 (9), SP (5)" in votes
    assert "Gewijzigde motie van het lid El Idrissi" in votes and "[AANGENOMEN]" in votes
    capsys.readouterr()
    for bad in ("2026-50", "2026-W54", "volgende week"):
        assert export(week, "--week", bad, "--output", str(tmp_path / "x.docx")) == 2
        err = capsys.readouterr().err
        assert err.startswith("monitor: --week: cannot read week") and "2026-W50" in err and "Traceback" not in err
    assert not (tmp_path / "x.docx").exists()


def test_a_template_gives_the_memo_its_styles_page_and_header(week, tmp_path, capsys):
    template = docx.Document()
    template.styles["Heading 1"].font.size = Pt(23)
    template.sections[0].header.paragraphs[0].text = "Gemeente Dordrecht — Public Affairs"
    template.add_paragraph("Oude inhoud van het sjabloon")
    docx_template = tmp_path / "huisstijl.docx"
    template.save(str(docx_template))
    # The same as a Word template (.dotx): only the main part's content type differs.
    dotx = tmp_path / "huisstijl.dotx"
    with zipfile.ZipFile(docx_template) as source, zipfile.ZipFile(dotx, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"document.main+xml", b"template.main+xml")
            target.writestr(info, data)
    for path in (docx_template, dotx):
        out = tmp_path / f"memo-{path.suffix[1:]}.docx"
        assert export(week, "--week", "2026-W50", "--output", str(out), "--template", str(path)) == 0
        word = docx.Document(str(out))
        assert word.styles["Heading 1"].font.size == Pt(23)
        assert word.sections[0].header.paragraphs[0].text == "Gemeente Dordrecht — Public Affairs"
        texts = [p.text for p in word.paragraphs]
        assert "Oude inhoud van het sjabloon" not in texts and texts[0].startswith("Lobbymemo week 50")
    capsys.readouterr()
    not_word = tmp_path / "sjabloon.docx"
    not_word.write_text("geen Word-bestand", encoding="utf-8")
    assert export(week, "--output", str(tmp_path / "m.docx"), "--template", str(not_word)) == 2
    assert "is not a Word document" in capsys.readouterr().err
    assert export(week, "--output", str(tmp_path / "m.docx"), "--template", str(tmp_path / "weg.docx")) == 2
    assert "cannot read the Word template" in capsys.readouterr().err
    assert export(week, "--output", str(tmp_path / "m.xlsx"), "--template", str(docx_template)) == 2


def test_a_template_without_list_styles_still_gets_bullets(week, tmp_path):
    from docx.oxml.ns import qn

    template = docx.Document()
    styles = template.styles.element
    for style in list(styles.iterchildren(qn("w:style"))):
        name = style.find(qn("w:name"))
        if name is not None and name.get(qn("w:val")) in ("List Bullet", "List Bullet 2", "Table Grid", "Hyperlink"):
            styles.remove(style)
    path = tmp_path / "kaal.docx"
    template.save(str(path))
    out = tmp_path / "memo.docx"
    assert export(week, "--week", "2026-W50", "--output", str(out), "--template", str(path)) == 0
    texts = [p.text for p in docx.Document(str(out)).paragraphs]
    assert "• Commissiedebat Wmo-tarieven · commissie VWS · wo 9 dec 2026 10:00" in texts


# ---------------------------------------------------------------------------- Excel


def test_the_workbook_has_four_sheets_with_typed_dates_frozen_headers_and_filters(week, tmp_path):
    out = tmp_path / "week50.xlsx"
    assert export(week, "--week", "2026-W50", "--output", str(out), now=FOURTH) == 0  # format from the name
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Momenten", "Stemmingen", "Vergaderingen", "Items"]
    for ws in book.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}"
        assert all(cell.font.bold for cell in ws[1])
        assert ws.column_dimensions["A"].width >= 9
    rows = {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in book.worksheets}
    moments = [dict(zip(rows["Momenten"][0], r)) for r in rows["Momenten"][1:]]
    assert [m["Deadline"].date() for m in moments] == [date(2026, 12, 2), date(2026, 12, 7), date(2026, 12, 10)]
    wmo = moments[0]
    assert (wmo["Actie"], wmo["Status"], wmo["Vergadering"]) == ("Woordvoerders briefen", "te laat", "Commissiedebat Wmo-tarieven")
    assert wmo["Begin"] == datetime(2026, 12, 9, 10, 0)
    assert "K. de Vries (VVD)" in wmo["Woordvoerders"]
    assert book["Momenten"]["A2"].number_format == "dd-mm-yyyy" and book["Momenten"]["G2"].number_format == "dd-mm-yyyy hh:mm"
    assert moments[2]["Status"] == "geannuleerd" and moments[2]["Wijzigingen"].startswith("geannuleerd")
    # The Stemmingen of 8 December is past: its moties with the result and the seats, as numbers.
    votes = {r[2]: dict(zip(rows["Stemmingen"][0], r)) for r in rows["Stemmingen"][1:]}
    assert set(votes) == {HELD, LATE}
    assert (votes[HELD]["Uitslag"], votes[HELD]["Voor (zetels)"], votes[HELD]["Tegen (zetels)"]) == ("verworpen", 24, 59)
    assert votes[LATE]["Kabinetsappreciatie"] == "Oordeel Kamer" and votes[LATE]["Datum"] == datetime(2026, 12, 8, 15, 0)
    meetings = {r[2]: dict(zip(rows["Vergaderingen"][0], r)) for r in rows["Vergaderingen"][1:]}
    assert meetings["Commissiedebat Wmo-tarieven"]["Begin"] == datetime(2026, 12, 9, 10, 0)
    assert meetings["Commissiedebat Jeugdbeleid"]["Status"] == "geannuleerd"
    assert meetings["Stemmingen"]["Agendapunten"].startswith("Stemmingen over moties ingediend bij het tweeminutendebat Jeugdzorg")
    items = {r[3]: dict(zip(rows["Items"][0], r)) for r in rows["Items"][1:]}
    article = items["Regio's vrezen gat in specialistische jeugdhulp na 2027"]
    assert (article["Soort stuk"], article["Bron"], article["Datum"]) == ("Media", "vakpers", datetime(2026, 12, 4))
    assert items["Stand van zaken jeugdbescherming"]["Details"] == "herziene versie van Brief regering 2026D42900"
    link = book["Items"].cell(2, 10)
    assert link.hyperlink is not None and link.hyperlink.target == link.value


def test_one_dossier_only(week, tmp_path):
    out = tmp_path / "wmo.xlsx"
    assert export(week, "--week", "2026-W50", "--dossier", "wmo", "--output", str(out)) == 0
    ws = openpyxl.load_workbook(out)["Momenten"]
    assert [r[7] for r in ws.iter_rows(min_row=2, values_only=True)] == ["Wmo, beschermd wonen en maatschappelijke opvang"]
    assert export(week, "--dossier", "onbekend", "--output", str(out)) == 2


# ---------------------------------------------------------------------------- CSV


def test_csv_is_one_sheet_for_dutch_excel(week, tmp_path, capsys):
    out = tmp_path / "stemmingen.csv"
    assert export(week, "--week", "2026-W50", "--sheet", "stemmingen", "--output", str(out), now=FOURTH) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:5] == ["Datum", "Vergadering", "Nummer", "Soort", "Titel"]
    held = next(r for r in rows if r[2] == HELD)
    assert held[0] == "2026-12-08 15:00" and held[9:11] == ["24", "59"]
    # Without --sheet: the moments; without --output: to stdout; the same rows as the workbook.
    capsys.readouterr()
    assert export(week, "--week", "2026-W50", "--format", "csv", now=FOURTH) == 0
    printed = list(csv.reader(io.StringIO(capsys.readouterr().out.lstrip("\ufeff")), delimiter=";"))
    assert printed[0][0] == "Deadline" and [r[0] for r in printed[1:]] == ["2026-12-02", "2026-12-07", "2026-12-10"]
    assert "Reële tarieven in de Wmo (2026Z21001)" in printed[1]


def test_usage_errors_are_sentences_with_exit_2(week, tmp_path, capsys):
    capsys.readouterr()
    cases = [
        (["--output", str(tmp_path / "memo.pdf")], "give --format docx, xlsx or csv"),
        (["--format", "docx"], "give --output FILE.docx"),
        (["--output", str(tmp_path)], "is a folder"),
        (["--output", str(tmp_path / "geen-map" / "memo.docx")], "does not exist"),
        (["--output", str(tmp_path / "m.xlsx"), "--sheet", "items"], "--sheet chooses the table of a CSV"),
    ]
    for args, message in cases:
        assert export(week, *args) == 2, args
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, (args, err)


def test_no_cell_becomes_a_formula():
    table = sheets.Sheet("items", sheets.ITEM_COLUMNS, [[None, "Jeugd", "Media", '=HYPERLINK("http://x.example","klik")', None,
                                                         "@bron", "-1+1", "+31", "nee", None, "k"]])
    rows = list(csv.reader(io.StringIO(sheets.to_csv(table).decode("utf-8-sig")), delimiter=";"))
    assert rows[1][3] == "'=HYPERLINK(\"http://x.example\",\"klik\")" and rows[1][5:8] == ["'@bron", "'-1+1", "'+31"]
    ws = openpyxl.load_workbook(io.BytesIO(sheets.to_xlsx([table])))["Items"]
    assert ws["D2"].data_type == "s" and ws["D2"].value.startswith("=HYPERLINK")


def test_the_template_can_be_set_in_sources_yaml(week, tmp_path, capsys):
    import shutil

    from monitor.config import ConfigError, load_config

    config = tmp_path / "cfg"
    shutil.copytree(week, config)
    template = docx.Document()
    template.sections[0].header.paragraphs[0].text = "Regio Drechtsteden"
    template.save(str(config / "huisstijl.docx"))
    sources = config / "sources.yaml"
    sources.write_text(sources.read_text(encoding="utf-8") + "export:\n  template: huisstijl.docx\n", encoding="utf-8")
    out = tmp_path / "memo.docx"
    assert export(config, "--week", "2026-W50", "--output", str(out)) == 0
    assert docx.Document(str(out)).sections[0].header.paragraphs[0].text == "Regio Drechtsteden"
    sources.write_text(sources.read_text(encoding="utf-8").replace("huisstijl.docx", "weg.dotx"), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(config)
    [problem] = err.value.problems
    assert "sources.yaml:" in str(problem) and "the Word template" in str(problem) and "weg.dotx" in str(problem)


def test_kamervragen_and_their_answer_in_word_excel_and_the_feed(tmp_path):
    # The scenario of test_kamervragen: asked 1 Dec, answered 28 Dec (the answer linked); new questions 23 Dec.
    import feedparser

    from conftest import write_config
    from monitor.store import Store
    from test_briefing import RULES
    from test_kamervragen import answer, question
    from test_moments_data import put

    config = write_config(tmp_path / "cfg", "sources: []\n", RULES)
    store = Store(config / "monitor.db")
    put(store, question("501", "2026-12-01"), ["jeugd"], seen_at="2026-12-01T18:00:00+01:00")
    put(store, question("501", "2026-12-01", ("2026D5011", "Antwoord schriftelijke vragen", "2026-12-28")), ["jeugd"], seen_at="2026-12-28T18:00:00+01:00")
    put(store, answer("d-5011", "501", "2026D5011", "2026-12-28"), ["jeugd"], seen_at="2026-12-28T18:00:00+01:00")
    store.close()
    now = "2026-12-29T09:00"
    answered = "Kamervragen aan minister van Volksgezondheid, Welzijn en Sport — beantwoord op ma 28 dec (2026D5011)"
    link = "https://www.tweedekamer.nl/kamerstukken/kamervragen/detail?id=2026Z501&did=2026D5011"
    memo = tmp_path / "memo.docx"
    assert export(config, "--week", "2026-W53", "--output", str(memo), now=now) == 0
    word = docx.Document(str(memo))
    line = next(p for p in word.paragraphs if p.text == answered)
    assert [h.address for h in line.hyperlinks] == [link]  # the answer opens from its line
    book = tmp_path / "week.xlsx"
    assert export(config, "--week", "2026-W53", "--output", str(book), now=now) == 0
    rows = list(openpyxl.load_workbook(book)["Items"].iter_rows(min_row=2, values_only=True))
    assert any(answered in (row[6] or "") for row in rows)
    out = tmp_path / "jeugd.atom"
    assert main(["feed", "jeugd", "--config", str(config), "--now", now, "-q", "--output", str(out)]) == 0
    summaries = " ".join(e.summary for e in feedparser.parse(out.read_bytes()).entries)
    assert f'<a href="{link}">{answered}</a>' in summaries.replace("&amp;", "&")


def test_a_past_stemmingen_keeps_its_moties_in_the_json_too(week, tmp_path):
    import json

    out = tmp_path / "w50.json"
    assert main(["run", "--no-fetch", "--week", "2026-W50", "--format", "json", "--config", str(week), "--now", FOURTH, "-q", "--output", str(out)]) == 0
    payload = json.loads(out.read_text(encoding="utf-8"))
    [past] = [a for a in payload["closed"] if a["meeting"]["soort"] == "Stemmingen"]
    standing = {v["nummer"]: v["standing"] for v in past["votes"]}
    assert standing[HELD] == "verworpen — voor 24: VVD (24); tegen 59: GL-PvdA (25), CDA (20), D66 (9), SP (5)"
    assert standing[LATE].startswith("aangenomen — voor 59")


def test_a_file_that_cannot_be_written_is_a_sentence(week, tmp_path, capsys, monkeypatch):
    def refuse(self, data):  # noqa: ANN001 - Path.write_bytes' signature
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "write_bytes", refuse)
    capsys.readouterr()
    assert export(week, "--week", "2026-W50", "--output", str(tmp_path / "alleen-lezen.xlsx")) == 2
    err = capsys.readouterr().err
    assert err == f"monitor: cannot write {tmp_path / 'alleen-lezen.xlsx'}: Permission denied\n"
