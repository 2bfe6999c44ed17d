"""The figures of the results page, database-free."""

from surveys.metrics import CHART_HEIGHT, bars, summarize


def test_average_csat_and_nps():
    responses = [(5, 10), (4, 9), (3, 7), (2, 3), (5, None), (None, 0)]
    summary = summarize(responses, asked=8, answered=6)
    assert summary.count == 6
    assert summary.average == (5 + 4 + 3 + 2 + 5) / 5
    assert summary.csat == 100 * 3 / 5  # 5, 4, 5
    assert summary.nps == 100 * (2 - 2) / 5  # promoters 10, 9; detractors 3, 0
    assert summary.distribution == (0, 1, 1, 1, 2)
    assert summary.response_rate == 75


def test_nothing_to_average():
    summary = summarize([], asked=0, answered=0)
    assert (summary.average, summary.csat, summary.nps, summary.response_rate) == (None,) * 4


def test_all_detractors_is_minus_100():
    assert summarize([(None, 6), (None, 0)], asked=2, answered=2).nps == -100


def test_the_tallest_bar_fills_the_chart():
    drawn = bars((0, 1, 0, 2, 4))
    assert [bar.height for bar in drawn] == [0, CHART_HEIGHT // 4, 0, CHART_HEIGHT // 2, 80]
    assert [bar.y + bar.height for bar in drawn] == [drawn[0].y] * 5  # one baseline
    assert [bar.height for bar in bars((0, 0, 0, 0, 0))] == [0] * 5
