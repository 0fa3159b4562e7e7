"""Byline validation: the cases every generic extractor gets wrong (../shared/notes/partner-markup.md §4)."""
import pytest

from ingest_plugin.parsing.names import display_byline, name_case, people

ORGS = ("Zenger News", "Benzinga", "zenger.news")


@pytest.mark.parametrize("byline, expected", [
    ("By Abby Kirby", ["Abby Kirby"]),            # only a leading "By" is stripped ...
    ("Abby Kirby", ["Abby Kirby"]),               # ... never the "by" inside a name
    ("By Busby Berkeley", ["Busby Berkeley"]),
    ("Byron Smith", ["Byron Smith"]),
    ("BY: Jane Doe", ["Jane Doe"]),
    ("Matthew B. Hall", ["Matthew B. Hall"]),     # initials keep their dots
    ("J.R.R. Tolkien", ["J.R.R. Tolkien"]),
    ("Alice Smith and Bob Jones", ["Alice Smith", "Bob Jones"]),
    ("A. Smith, B. Jones and C. Doe", ["A. Smith", "B. Jones", "C. Doe"]),
    ("Jane Doe & John Roe", ["Jane Doe", "John Roe"]),
    ("Jane Doe; John Roe", ["Jane Doe", "John Roe"]),
    ("Jane Doe and Jane Doe", ["Jane Doe"]),
    ("by Bibhu Pattnaik, Benzinga Staff Writer", ["Bibhu Pattnaik"]),
    ("Jane Doe, Zenger News", ["Jane Doe"]),
    ("By Jane Doe With Reporting From Kyiv", ["Jane Doe"]),
    ("by Bibhu Pattnaik, Benzinga Staff Writer April 2, 2022 9:12 AM | 2 min read", ["Bibhu Pattnaik"]),
    ("By SEAN O'MALLEY AND MARY MCDONALD-SMITH", ["Sean O'Malley", "Mary McDonald-Smith"]),
    ("JOHN VAN DER BERG", ["John van der Berg"]),
    ("Lisa-Marie Van der Berg", ["Lisa-Marie Van der Berg"]),
    ("Nicolás Jose Rodriguez", ["Nicolás Jose Rodriguez"]),
    ("Rachmad Imam Tarecha and Joseph Hammond", ["Rachmad Imam Tarecha", "Joseph Hammond"]),
])
def test_valid_bylines_give_people(byline, expected):
    assert people(byline, not_people=ORGS) == expected


@pytest.mark.parametrize("byline", [
    "Zenger News", "zenger.news", "Benzinga", "Benzinga Newsdesk", "Benzinga Insights", "benzinga newsdesk",
    "Benzinga Neuro", "Staff Reporter", "Staff", "Newsdesk", "Newsdesk Manager", "jane@example.com",
    "https://www.zenger.news/author/jane/", "April 2, 2022", "Hours Ago Devin Coldewey", "Email The Author",
    "Australian Broadcasting Corporation", "Madonna", "x" * 80,
])
def test_organisations_desks_and_junk_are_not_people(byline):
    assert people(byline, not_people=ORGS) == []


def test_site_name_of_the_page_is_never_a_person():
    assert people("Daily Planet Online", not_people=("Daily Planet Online",)) == []
    assert people("The Capitol Ledger", not_people=("The Capitol Ledger",)) == []


@pytest.mark.parametrize("raw, cased", [
    ("DARRIAN TRAYNOR", "Darrian Traynor"), ("MARY MCDONALD", "Mary McDonald"), ("SEAN O'BRIEN", "Sean O'Brien"),
    ("ANNE-MARIE DUPONT", "Anne-Marie Dupont"), ("LUDWIG VAN BEETHOVEN", "Ludwig van Beethoven"),
    ("JOHN F. KENNEDY", "John F. Kennedy"), ("MARTIN LUTHER KING III", "Martin Luther King III"),
])
def test_name_case(raw, cased):
    assert name_case(raw) == cased


def test_display_byline_house_style():
    assert display_byline(["A B"]) == "By A B"
    assert display_byline(["A B", "C D"]) == "By A B and C D"
    assert display_byline(["A B", "C D", "E F"]) == "By A B, C D and E F"
