"""The figures of a set of responses: pure, no ORM.

CSAT is the share of ratings of 4 or 5; NPS is the percentage of promoters (scores 9-10)
minus that of detractors (0-6), from -100 to 100."""

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    count: int  # responses
    asked: int  # survey mails sent
    answered: int  # of those, answered
    average: float | None  # rating, 1-5
    csat: float | None  # percent
    nps: float | None  # -100 to 100
    distribution: tuple[int, ...]  # how many of each rating, 1 to 5

    @property
    def response_rate(self) -> float | None:
        return None if not self.asked else 100 * self.answered / self.asked


def summarize(
    responses: Iterable[tuple[int | None, int | None]], *, asked: int, answered: int
) -> Summary:
    """`responses`: each one's (rating, score), None where not answered."""
    responses = list(responses)
    ratings = [r for r, _ in responses if r is not None]
    scores = [s for _, s in responses if s is not None]
    return Summary(
        count=len(responses),
        asked=asked,
        answered=answered,
        average=sum(ratings) / len(ratings) if ratings else None,
        csat=100 * sum(r >= 4 for r in ratings) / len(ratings) if ratings else None,
        nps=100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores)
        if scores
        else None,
        distribution=tuple(ratings.count(n) for n in range(1, 6)),
    )


@dataclass(frozen=True)
class Bar:
    rating: int
    count: int
    x: int
    y: int
    height: int


CHART_HEIGHT = 80
BAR_WIDTH = 28
GAP = 8


def bars(distribution: tuple[int, ...]) -> list[Bar]:
    """The rating distribution as SVG bars, the tallest CHART_HEIGHT high."""
    top = max(distribution, default=0) or 1
    out = []
    for index, count in enumerate(distribution):
        height = round(CHART_HEIGHT * count / top)
        out.append(
            Bar(
                rating=index + 1,
                count=count,
                x=GAP + index * (BAR_WIDTH + GAP),
                y=CHART_HEIGHT - height + 14,
                height=height,
            )
        )
    return out
