"""Text of Kamer documents' files: PDF and Word read, anything else refused with a sentence."""

from __future__ import annotations

import io

import pytest

from monitor.sources.extract import MAX_BYTES, ExtractError, extract_text, kind_of


def pdf(*pages: str) -> bytes:
    """A small PDF with one paragraph per page, written by fpdf2."""
    from fpdf import FPDF

    document = FPDF()
    document.set_font("helvetica", size=11)
    for text in pages:
        document.add_page()
        document.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    return bytes(document.output())


def word(*paragraphs: str) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_pdf_letter_gives_its_text_page_by_page():
    data = pdf("Verzamelbrief VWS", "Op pagina 2: beschermd wonen wordt vanaf 2027 anders bekostigd.")
    assert kind_of(data, "application/octet-stream") == "pdf"
    text = extract_text(data, "application/pdf")
    assert text.splitlines() == ["Verzamelbrief VWS", "Op pagina 2: beschermd wonen wordt vanaf 2027 anders bekostigd."]


def test_a_word_file_gives_its_paragraphs():
    data = word("Geachte voorzitter,", "", "De Participatiewet in balans   wordt   ingediend.")
    assert kind_of(data) == "docx"
    assert extract_text(data, "application/vnd.openxmlformats-officedocument.wordprocessingml.document").splitlines() == [
        "Geachte voorzitter,", "De Participatiewet in balans wordt ingediend."]


@pytest.mark.parametrize(
    "data, content_type, message",
    [
        (b"<Error>not found</Error>", "application/pdf", "not a PDF, Word or HTML file"),  # declared a PDF, is not
        (b"%PDF-1.4\n" + b"\x00garbage" * 50, "application/pdf", "the PDF cannot be read"),
        (b"PK\x03\x04broken zip", None, "not a PDF, Word or HTML file"),
        (b"", "application/pdf", "empty"),
    ],
)
def test_files_that_cannot_be_read_are_refused_with_a_sentence(data, content_type, message):
    with pytest.raises(ExtractError, match=message):
        extract_text(data, content_type)


def test_an_oversized_file_is_refused_before_parsing():
    with pytest.raises(ExtractError, match="more than the 20 MB"):
        extract_text(b"%PDF-1.4\n" + b" " * (MAX_BYTES + 1))


def test_a_cut_off_pdf_still_gives_what_it_can_or_a_sentence():
    data = pdf("Wmo en jeugdzorg in de Voorjaarsnota")
    cut = data[: len(data) * 2 // 3]
    try:
        text = extract_text(cut)
    except ExtractError as exc:
        assert "PDF" in str(exc)
    else:
        assert isinstance(text, str)
