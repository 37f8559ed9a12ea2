import csv
import json
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from marketplace.trade.hs_fallback import HS_FALLBACK_ROWS
from marketplace.trade.models import HSCode
from marketplace.trade.selectors import hs_code_search
from marketplace.trade.services import hs_codes_import, hs_codes_seed_fallback
from marketplace.trade.validators import validate_hs_subheading
from tests.trade.conftest import HS_CSV

HEADER = "section,hscode,description,parent,level\n"


def codes(queryset):
    return list(queryset.values_list("code", flat=True))


# The real file


def test_the_shared_hs_file_has_the_expected_rows():
    with HS_CSV.open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    nomenclature = [r for r in rows if r["section"] != "TOTAL"]

    assert len(rows) == 6940
    assert [len([r for r in nomenclature if r["level"] == lvl]) for lvl in "246"] == [
        96,
        1228,
        5612,
    ]
    # UN Comtrade aggregates: the grand total and "99 Commodities not specified"
    assert sorted(r["hscode"] for r in rows if r["section"] == "TOTAL") == [
        "99",
        "9999",
        "999999",
        "TOTAL",
    ]


@pytest.mark.django_db
def test_import_of_the_real_file_creates_every_nomenclature_line(hs_full):
    assert hs_full.rows_read == 6940
    assert hs_full.created == 6936
    assert hs_full.updated == 0
    assert hs_full.unchanged == 0
    assert hs_full.skipped == 4
    assert hs_full.by_level == {2: 96, 4: 1228, 6: 5612}
    assert HSCode.objects.count() == 6936
    assert HSCode.objects.filter(level=2).count() == 96
    assert HSCode.objects.filter(level=4).count() == 1228
    assert HSCode.objects.filter(level=6).count() == 5612
    assert not HSCode.objects.filter(code__in=["99", "9999", "999999"]).exists()

    coffee = HSCode.objects.select_related("parent__parent").get(code="090111")
    assert coffee.description == "Coffee; not roasted or decaffeinated"
    assert coffee.level == 6
    assert coffee.section == "II"
    heading = coffee.parent
    assert heading is not None
    assert heading.code == "0901"
    chapter = heading.parent
    assert chapter is not None
    assert chapter.code == "09"
    assert chapter.parent is None


@pytest.mark.django_db
def test_a_second_import_creates_and_changes_nothing(hs_full):
    before = dict(HSCode.objects.values_list("code", "updated_at"))

    again = hs_codes_import(path=HS_CSV)

    assert (again.created, again.updated, again.unchanged) == (0, 0, 6936)
    assert HSCode.objects.count() == 6936
    assert dict(HSCode.objects.values_list("code", "updated_at")) == before


@pytest.mark.django_db
def test_import_updates_a_changed_description(write_csv):
    hs_codes_import(path=write_csv(HEADER + "II,09,Old words,TOTAL,2\nII,0901,Coffee,09,4\n"))

    result = hs_codes_import(
        path=write_csv(
            HEADER + 'II,09,"Coffee, tea, mate and spices",TOTAL,2\nII,0901,Coffee,09,4\n'
        )
    )

    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    assert HSCode.objects.get(code="09").description == "Coffee, tea, mate and spices"


@pytest.mark.django_db
def test_import_hs_codes_command_reports_counts():
    out = StringIO()

    call_command("import_hs_codes", str(HS_CSV), stdout=out)

    assert out.getvalue() == (
        "HS codes: 6940 rows read: 6936 created, 0 updated, 0 unchanged, 4 skipped "
        "(level 2: 96, level 4: 1228, level 6: 5612)\n"
    )


@pytest.mark.django_db
def test_import_hs_codes_command_defaults_to_the_configured_file(settings, write_csv):
    settings.HS_CODES_CSV = str(write_csv(HEADER + "II,09,Coffee and tea,TOTAL,2\n"))
    out = StringIO()

    call_command("import_hs_codes", stdout=out)

    assert "1 created" in out.getvalue()
    assert codes(HSCode.objects.all()) == ["09"]


# Bad files: nothing written


@pytest.mark.django_db
def test_a_file_without_the_level_column_is_refused(write_csv):
    path = write_csv("section,hscode,description,parent\nII,09,Coffee,TOTAL\n")

    with pytest.raises(CommandError) as excinfo:
        call_command("import_hs_codes", str(path))

    assert str(excinfo.value) == (
        f"{path}: missing column(s) level; expected the header "
        "section,hscode,description,parent,level."
    )
    assert HSCode.objects.count() == 0


@pytest.mark.django_db
def test_an_empty_file_is_refused(write_csv):
    path = write_csv("")

    with pytest.raises(CommandError, match="the file is empty"):
        call_command("import_hs_codes", str(path))
    assert HSCode.objects.count() == 0


@pytest.mark.django_db
def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_hs_codes", str(tmp_path / "absent.csv"))
    assert HSCode.objects.count() == 0


@pytest.mark.django_db
def test_one_bad_code_refuses_the_whole_file_and_lists_each_bad_line(write_csv):
    path = write_csv(
        HEADER
        + "II,09,Coffee and tea,TOTAL,2\n"
        + "II,0901,Coffee,09,4\n"
        + "II,09011,Coffee five digits,0901,5\n"
        + "II,09A1,Letters,09,4\n"
        + "II,090111,Coffee; not roasted,0902,6\n"
        + "XXV,10,Cereals,TOTAL,2\n"
        + "II,1006,,10,4\n"
    )

    with pytest.raises(CommandError) as excinfo:
        call_command("import_hs_codes", str(path))

    assert str(excinfo.value) == "\n".join(
        [
            f"{path}: nothing was imported.",
            "  line 4: code '09011' is not 2, 4 or 6 digits",
            "  line 5: code '09A1' is not 2, 4 or 6 digits",
            "  line 6: parent '0902' of '090111' should be '0901'",
            "  line 7: section 'XXV' is not a roman numeral I to XXI",
            "  line 8: description is empty",
        ]
    )
    assert HSCode.objects.count() == 0


@pytest.mark.django_db
def test_level_that_does_not_match_the_code_is_refused(write_csv):
    path = write_csv(HEADER + "II,09,Coffee and tea,TOTAL,4\n")

    with pytest.raises(CommandError, match="line 2: level '4' does not match code '09'"):
        call_command("import_hs_codes", str(path))
    assert HSCode.objects.count() == 0


@pytest.mark.django_db
def test_a_repeated_code_is_refused(write_csv):
    path = write_csv(HEADER + "II,09,Coffee and tea,TOTAL,2\nII,09,Again,TOTAL,2\n")

    with pytest.raises(CommandError, match="line 3: code '09' repeats line 2"):
        call_command("import_hs_codes", str(path))
    assert HSCode.objects.count() == 0


@pytest.mark.django_db
def test_a_parent_neither_in_the_file_nor_imported_is_refused(write_csv):
    path = write_csv(HEADER + "II,0901,Coffee,09,4\n")

    with pytest.raises(CommandError, match="line 2: parent '09' of '0901' is neither in the file"):
        call_command("import_hs_codes", str(path))
    assert HSCode.objects.count() == 0


@pytest.mark.django_db
def test_a_parent_already_imported_is_accepted(hs_fallback, write_csv):
    result = hs_codes_import(
        path=write_csv(HEADER + 'II,090112,"Coffee; decaffeinated, not roasted",0901,6\n')
    )

    assert result.created == 1
    assert HSCode.objects.get(code="090112").parent_id == "0901"


@pytest.mark.django_db
def test_a_bad_file_leaves_an_earlier_import_untouched(hs_fallback, write_csv):
    before = list(HSCode.objects.order_by("code").values_list("code", "description", "updated_at"))

    with pytest.raises(CommandError):
        call_command(
            "import_hs_codes",
            str(write_csv(HEADER + "II,0901,Changed,09,4\nII,12345,Bad,1234,5\n")),
        )

    assert (
        list(HSCode.objects.order_by("code").values_list("code", "description", "updated_at"))
        == before
    )


@pytest.mark.django_db
def test_the_database_refuses_a_code_that_does_not_match_its_level():
    with pytest.raises(IntegrityError), transaction.atomic():
        HSCode.objects.create(code="0901", description="Coffee", level=6, section="II")
    assert HSCode.objects.count() == 0


# The built-in fallback


@pytest.mark.django_db
def test_fallback_seed_loads_the_demo_chapters_headings_and_subheadings(hs_fallback):
    assert hs_fallback.created == len(HS_FALLBACK_ROWS) == 67
    assert hs_fallback.by_level == {2: 16, 4: 20, 6: 31}
    assert codes(HSCode.objects.filter(level=4)) == [
        "0306", "0901", "0902", "1006", "2009", "3304", "3926", "4202", "6109", "6403",
        "6910", "7318", "8471", "8504", "8516", "8517", "8539", "8708", "9403", "9506",
    ]  # fmt: skip
    assert HSCode.objects.get(code="731815").description == (
        "Iron or steel; threaded screws and bolts n.e.c. in item no. 7318.1, whether or not "
        "with their nuts or washers"
    )
    assert HSCode.objects.get(code="851713").parent_id == "8517"


def test_fallback_descriptions_are_exactly_those_of_the_hs_file():
    with HS_CSV.open(encoding="utf-8-sig") as f:
        table = {r["hscode"]: r for r in csv.DictReader(f)}

    for section, code, description, parent, level in HS_FALLBACK_ROWS:
        row = table[code]
        assert (section, description, parent, str(level)) == (
            row["section"], row["description"], row["parent"], row["level"],
        )  # fmt: skip


@pytest.mark.django_db
def test_fallback_seed_is_idempotent_and_the_full_import_completes_it(hs_fallback):
    again = hs_codes_seed_fallback()
    full = hs_codes_import(path=HS_CSV)

    assert (again.created, again.unchanged) == (0, 67)
    assert (full.created, full.updated, full.unchanged) == (6936 - 67, 0, 67)


# Search


@pytest.mark.django_db
def test_search_by_heading_digits_lists_its_subheadings(hs_full):
    assert codes(hs_code_search(q="0901")) == ["090111", "090112", "090121", "090122", "090190"]


@pytest.mark.django_db
def test_search_by_dotted_code(hs_full):
    assert codes(hs_code_search(q="0901.2")) == ["090121", "090122"]


@pytest.mark.django_db
def test_search_by_chapter_digits_at_heading_level(hs_full):
    assert codes(hs_code_search(q="09", level=4)) == [f"09{n:02d}" for n in range(1, 11)]


@pytest.mark.django_db
def test_search_by_words_needs_every_word_in_any_case(hs_full):
    result = hs_code_search(q="Roasted COFFEE")

    assert list(result.values_list("code", "description")) == [
        ("090111", "Coffee; not roasted or decaffeinated"),
        ("090112", "Coffee; decaffeinated, not roasted"),
        ("090121", "Coffee; roasted, not decaffeinated"),
        ("090122", "Coffee; roasted, decaffeinated"),
        ("210130", "Chicory, roasted and other roasted coffee substitutes; extracts, essences "
         "and concentrates thereof"),
    ]  # fmt: skip


@pytest.mark.django_db
def test_search_by_a_word_at_heading_level(hs_full):
    assert codes(hs_code_search(q="smartphones", level=4)) == ["8517"]
    assert codes(hs_code_search(q="smartphones")) == ["851713", "851714"]


@pytest.mark.django_db
def test_search_combines_digits_and_words(hs_full):
    assert codes(hs_code_search(q="0902 green")) == ["090210", "090220"]


@pytest.mark.django_db
def test_search_with_no_match_is_empty(hs_full):
    assert codes(hs_code_search(q="unobtainium")) == []
    assert codes(hs_code_search(q="98")) == []


@pytest.mark.django_db
def test_empty_search_lists_every_subheading_in_code_order(hs_full):
    result = hs_code_search(q="")

    assert result.count() == 5612
    assert codes(result[:3]) == ["010121", "010129", "010130"]
    assert hs_code_search(q="", level=None).count() == 6936


@pytest.mark.django_db
def test_search_runs_one_query(hs_fallback, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert codes(hs_code_search(q="tea black")) == ["090230", "090240"]


# The listing validator


@pytest.mark.django_db
def test_validate_hs_subheading_accepts_a_known_subheading(hs_full):
    validate_hs_subheading("090111")  # raises if refused


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("0901", "Enter an HS subheading of exactly 6 digits, e.g. 090111."),
        ("09", "Enter an HS subheading of exactly 6 digits, e.g. 090111."),
        ("0901111", "Enter an HS subheading of exactly 6 digits, e.g. 090111."),
        ("0901.11", "Enter an HS subheading of exactly 6 digits, e.g. 090111."),
        ("09O111", "Enter an HS subheading of exactly 6 digits, e.g. 090111."),
        ("", "Enter an HS subheading of exactly 6 digits, e.g. 090111."),
        (None, "Enter an HS subheading of exactly 6 digits, e.g. 090111."),
        ("999999", "999999 is not an HS 2022 subheading."),
        ("090113", "090113 is not an HS 2022 subheading."),
    ],
)
def test_validate_hs_subheading_refuses(hs_full, code, message):
    with pytest.raises(ValidationError) as excinfo:
        validate_hs_subheading(code)

    assert excinfo.value.messages == [message]


@pytest.mark.django_db
def test_import_writes_in_bulk(django_assert_max_num_queries):
    # 6,936 rows in 7 batched upserts, plus reading what exists; never one query per row.
    with django_assert_max_num_queries(12):
        result = hs_codes_import(path=HS_CSV)
    assert result.created == 6936


def test_the_hs_table_ships_inside_the_repository_with_its_source_and_licence():
    csv_path = Path(settings.HS_CODES_CSV).resolve()
    assert csv_path.is_relative_to(Path(settings.BASE_DIR).resolve())
    folder = csv_path.parent
    assert (folder / "SOURCE.md").read_text(encoding="utf-8").count("ODC-PDDL-1.0") == 1
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8-sig"))
    assert [licence["name"] for licence in package["licenses"]] == ["ODC-PDDL-1.0"]
    with csv_path.open(encoding="utf-8", newline="") as rows:
        levels = Counter(row["level"] for row in csv.DictReader(rows) if row["section"] != "TOTAL")
    assert levels == {"2": 96, "4": 1228, "6": 5612}
