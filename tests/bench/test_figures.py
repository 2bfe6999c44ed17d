"""The figures table both bench runs print: a missed aim says MISSED, a met one met."""

from bench.figures import print_figures, verdict

AIMS = {"book_cpu_x": (lambda v: v <= 3, "<= 3"), "ingest_lost": (lambda v: v == 0, "0")}


def test_each_figure_is_judged_by_its_aim():
    assert verdict(AIMS, "book_cpu_x", 3.5) == ("<= 3", "MISSED")
    assert verdict(AIMS, "book_cpu_x", 2.9) == ("<= 3", "met")
    assert verdict(AIMS, "ingest_lost", 0) == ("0", "met")
    assert verdict(AIMS, "book_per_s", 10) == ("", "")


def test_the_table_shows_value_aim_verdict_and_detail(capsys):
    print_figures(
        {"book_cpu_x": 3.5, "ingest_lost": 0, "queries": 11},
        AIMS,
        details={"book_cpu_x": "3.1 to 3.9"},
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ["book_cpu_x", "3.5", "<=", "3", "MISSED", "3.1", "to", "3.9"]
    assert lines[2].split() == ["ingest_lost", "0", "0", "met"]
    assert lines[3].split() == ["queries", "11"]
