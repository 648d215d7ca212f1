"""England and Wales bank holidays and working days, computed from the statutory
rules and the proclamations (not from the service's bank-holidays.json or its
calendar code): the tests' independent calendar.

  bank_holidays(year) -> set of dates      is_working_day(d)
  working_days_back(d, n) / working_days_after(d, n) -> the n-th working day before / after d
"""
import datetime as dt

# One-off and moved bank holidays in England and Wales (proclamations).
MOVED = {
    1995: {"early_may": dt.date(1995, 5, 8)},
    2002: {"spring": dt.date(2002, 6, 4)},
    2012: {"spring": dt.date(2012, 6, 4)},
    2020: {"early_may": dt.date(2020, 5, 8)},
    2022: {"spring": dt.date(2022, 6, 2)},
}
ONE_OFF = {dt.date(1999, 12, 31), dt.date(2002, 6, 3), dt.date(2011, 4, 29),
           dt.date(2012, 6, 5), dt.date(2022, 6, 3), dt.date(2022, 9, 19),
           dt.date(2023, 5, 8)}


def easter(year):
    """Anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l) // 451
    month = (h + l - 7 * m + 114) // 31
    day = (h + l - 7 * m + 114) % 31 + 1
    return dt.date(year, month, day)


def mondays(year, month):
    d = dt.date(year, month, 1)
    out = []
    while d.month == month:
        if d.weekday() == 0:
            out.append(d)
        d += dt.timedelta(days=1)
    return out


def bank_holidays(year):
    days = set()
    ny = dt.date(year, 1, 1)
    days.add(ny + dt.timedelta(days={5: 2, 6: 1}.get(ny.weekday(), 0)))
    e = easter(year)
    days |= {e - dt.timedelta(days=2), e + dt.timedelta(days=1)}
    moved = MOVED.get(year, {})
    days.add(moved.get("early_may", mondays(year, 5)[0]))
    days.add(moved.get("spring", mondays(year, 5)[-1]))
    days.add(mondays(year, 8)[-1])
    xmas, boxing = dt.date(year, 12, 25), dt.date(year, 12, 26)
    taken = set()
    for d in (xmas, boxing):  # a day on a weekend moves to the next free weekday
        while d.weekday() >= 5 or d in taken:
            d += dt.timedelta(days=1)
        taken.add(d)
    days |= taken
    days |= {d for d in ONE_OFF if d.year == year}
    return days


_HOLIDAYS = {}


def is_working_day(d):
    if d.year not in _HOLIDAYS:
        _HOLIDAYS[d.year] = bank_holidays(d.year)
    return d.weekday() < 5 and d not in _HOLIDAYS[d.year]


def working_days_back(d, n):
    while n > 0:
        d -= dt.timedelta(days=1)
        if is_working_day(d):
            n -= 1
    return d


def working_days_after(d, n):
    while n > 0:
        d += dt.timedelta(days=1)
        if is_working_day(d):
            n -= 1
    return d
