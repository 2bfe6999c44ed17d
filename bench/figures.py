"""The table both bench runs print: each figure, its value, its aim and whether it met it."""

from collections.abc import Callable, Mapping

Aims = Mapping[str, tuple[Callable[[float], bool], str]]  # key: (test, shown)


def verdict(aims: Aims, key: str, value) -> tuple[str, str]:
    """The aim as shown and "met" or "MISSED"; two empty strings for a figure without one."""
    if key not in aims:
        return "", ""
    test, shown = aims[key]
    return shown, "met" if test(value) else "MISSED"


def print_figures(
    results: Mapping, aims: Aims, *, details: Mapping[str, str] | None = None, width: int = 20
) -> None:
    aim_width = max((len(shown) for _, shown in aims.values()), default=3)
    print(f"{'figure':<{width}} {'value':>9}  {'aim':<{aim_width}} {'':<6}  detail".rstrip())
    for key, value in results.items():
        aim, met = verdict(aims, key, value)
        detail = (details or {}).get(key, "")
        print(f"{key:<{width}} {value:>9}  {aim:<{aim_width}} {met:<6}  {detail}".rstrip())
