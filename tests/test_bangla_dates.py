"""Tests for newsspider.bangla.dates: every visible format and trap from the reference notes."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsspider.bangla import parse_date, parse_iso, split_labelled_dates, to_iso

NY = ZoneInfo("America/New_York")
DHAKA = ZoneInfo("Asia/Dhaka")
NOW = datetime(2025, 9, 1, 16, 0, tzinfo=timezone.utc)  # 12:00 in New York


def iso(text, **kw):
    dt = parse_date(text, now=kw.pop("now", NOW), **kw)
    return to_iso(dt) if dt else None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("প্রকাশিত: ১৪ মে ২০২৫, ১০:৩০ পিএম", "2025-05-14T22:30:00-04:00"),
        ("প্রকাশ: ২৪ জানুয়ারি ২০২৫, ১২:১৬ এএম", "2025-01-24T00:16:00-05:00"),
        ("প্রকাশ: ২৫ আগস্ট ২০২৫, ১৯:০২", "2025-08-25T19:02:00-04:00"),
        ("প্রকাশিত: ১:০৫ অপরাহ্ণ, ফেব্রুয়ারি ১, ২০২৩", "2023-02-01T13:05:00-05:00"),
        ("জুন ২৭, ২০২৫ ১২:১০ অপরাহ্ণ", "2025-06-27T12:10:00-04:00"),
        ("শনিবার, আগস্ট ২৯, ২০২০ | ১০:৪৬ পূর্বাহ্ণ", "2020-08-29T10:46:00-04:00"),
        ("মঙ্গলবার, ১লা জুলাই, ২০২৫| সকাল ৯:২৫", "2025-07-01T09:25:00-04:00"),
        ("প্রকাশিত:বুধবার ৩১ জানুয়ারী ২০২৪ | হালনাগাদ: …", "2024-01-31T00:00:00-05:00"),
        ("আপডেট টাইম: 27-06-2025 ইং", "2025-06-27T00:00:00-04:00"),
        (
            "১৫ ডিসেম্বর ২০২৪, ৩০ অগ্রহায়ণ ১৪৩১, ১২ জমাদিউস সানি ১৪৪৬ হিজরি",
            "2024-12-15T00:00:00-05:00",
        ),
        ("২০২১-০৩-২২T১২:২৭:৫৯+০৬:০০", "2021-03-22T12:27:59+06:00"),
        ("2020-08-29T09:46:06+00:00", "2020-08-29T09:46:06+00:00"),
        ("2020-08-29T09:46:06Z", "2020-08-29T09:46:06+00:00"),
        ("2020-08-29T09:46:06", "2020-08-29T09:46:06-04:00"),
        ("2020-08-29", "2020-08-29T00:00:00-04:00"),
        ("১৪ মে ২০23", "2023-05-14T00:00:00-04:00"),
        ("২৫ August ২০২৫", "2025-08-25T00:00:00-04:00"),
        ("May 14, 2025 10:30 PM", "2025-05-14T22:30:00-04:00"),
        ("Published: 14 May 2025, 10:30 am", "2025-05-14T10:30:00-04:00"),
        ("Updated: March 2nd, 2025 9:05 p.m.", "2025-03-02T21:05:00-05:00"),
        ("1st March 2025", "2025-03-01T00:00:00-05:00"),
        ("প্রকাশ: ২৪ জানুয়ারী ২০২৫", "2025-01-24T00:00:00-05:00"),
        ("২ ফেব্রুয়ারী ২০২৫", "2025-02-02T00:00:00-05:00"),
        ("৫ আগষ্ট ২০২৪", "2024-08-05T00:00:00-04:00"),
        ("রোববার, ২১ সেপ্টেম্বর ২০২৪", "2024-09-21T00:00:00-04:00"),
        ("বৃহস্পতিবার, ৩ অক্টোবর ২০২৪", "2024-10-03T00:00:00-04:00"),
        ("১০ নভেম্বর ২০২৪", "2024-11-10T00:00:00-05:00"),
        ("১০ মার্চ ২০২৪", "2024-03-10T00:00:00-05:00"),
        ("১০ এপ্রিল ২০২৪", "2024-04-10T00:00:00-04:00"),
        # DD-MM-YYYY day-first; month-first only when the first number cannot be a month
        ("05/06/2025", "2025-06-05T00:00:00-04:00"),
        ("06/27/2025", "2025-06-27T00:00:00-04:00"),
        ("২৭.০৬.২০২৫", "2025-06-27T00:00:00-04:00"),
        # invisible characters and NBSP from real pages
        ("\ufeffপ্রকাশিত:\u00a0১৪\u200b মে ২০২৫,\u00a0১০:৩০ পিএম", "2025-05-14T22:30:00-04:00"),
        # visarga used as a colon
        ("১৪ মে ২০২৫, ১০ঃ৩০ পিএম", "2025-05-14T22:30:00-04:00"),
    ],
)
def test_visible_formats(text, expected):
    assert iso(text) == expected


@pytest.mark.parametrize(
    "day, expected_day",
    [("১লা", 1), ("২রা", 2), ("৩রা", 3), ("৪ঠা", 4), ("৫ই", 5), ("১৮ই", 18), ("১৯শে", 19),
     ("৩১শে", 31), ("2nd", 2), ("3rd", 3), ("21st", 21)],
)
def test_ordinals(day, expected_day):
    dt = parse_date(f"{day} মার্চ ২০২৫", now=NOW)
    assert dt is not None and dt.day == expected_day and dt.month == 3


@pytest.mark.parametrize(
    "text, hour",
    [
        ("১ জুন ২০২৫, সকাল ৯:২৫", 9),
        ("১ জুন ২০২৫, ভোর ৪:১০", 4),
        ("১ জুন ২০২৫, দুপুর ১২:১০", 12),
        ("১ জুন ২০২৫, দুপুর ২:১০", 14),
        ("১ জুন ২০২৫, দুপুর ১১:৩০", 11),
        ("১ জুন ২০২৫, বিকাল ৪:০০", 16),
        ("১ জুন ২০২৫, বিকেল ৫:৩০", 17),
        ("১ জুন ২০২৫, সন্ধ্যা ৭:১৫", 19),
        ("১ জুন ২০২৫, রাত ৯:৪৫", 21),
        ("১ জুন ২০২৫, রাত ১১:৫৯", 23),
        ("১ জুন ২০২৫, রাত ১২:৩০", 0),
        ("১ জুন ২০২৫, রাত ২:০০", 2),
        ("১ জুন ২০২৫, রাত ৯টা", 21),
        ("১ জুন ২০২৫, ১২:০৫ পিএম", 12),
        ("১ জুন ২০২৫, ১২:০৫ এএম", 0),
        ("১ জুন ২০২৫, ১১:০৫ অপরাহ্ন", 23),
        ("১ জুন ২০২৫, ২৩:০৫ পিএম", 23),  # 24-hour clock wins over the word
    ],
)
def test_time_of_day_words(text, hour):
    dt = parse_date(text, now=NOW)
    assert dt is not None and dt.hour == hour


def test_relative_dates():
    assert parse_date("২ ঘণ্টা আগে", now=NOW) == NOW - timedelta(hours=2)
    assert parse_date("২ ঘন্টা আগে", now=NOW) == NOW - timedelta(hours=2)
    assert parse_date("৫ মিনিট আগে", now=NOW) == NOW - timedelta(minutes=5)
    assert parse_date("৩ দিন আগে", now=NOW) == NOW - timedelta(days=3)
    assert parse_date("এক ঘণ্টা আগে", now=NOW) == NOW - timedelta(hours=1)
    assert parse_date("2 hours ago", now=NOW) == NOW - timedelta(hours=2)
    assert parse_date("প্রকাশ: ১০ মিনিট আগে", now=NOW) == NOW - timedelta(minutes=10)
    assert iso("গতকাল") == "2025-08-31T00:00:00-04:00"
    assert iso("আজ") == "2025-09-01T00:00:00-04:00"
    assert iso("গতকাল রাত ৯:৩০") == "2025-08-31T21:30:00-04:00"
    # the local day, not the UTC day: 02:00 UTC on 1 Sep is still 31 Aug in New York
    early = datetime(2025, 9, 1, 2, 0, tzinfo=timezone.utc)
    assert iso("আজ", now=early) == "2025-08-31T00:00:00-04:00"
    assert parse_date("২ ঘণ্টা আগে").tzinfo is not None  # default now works


def test_relative_result_is_in_requested_zone():
    dt = parse_date("২ ঘণ্টা আগে", tz="Asia/Dhaka", now=NOW)
    assert dt.utcoffset() == timedelta(hours=6)


def test_time_zones():
    assert iso("প্রকাশিত: ১৪ মে ২০২৫, ১০:৩০ পিএম", tz="Asia/Dhaka") == "2025-05-14T22:30:00+06:00"
    assert iso("প্রকাশিত: ১৪ মে ২০২৫, ১০:৩০ পিএম", tz=DHAKA) == "2025-05-14T22:30:00+06:00"
    # 10:30 PM in New York on 14 May 2025 is 02:30 UTC on the 15th
    dt = parse_date("প্রকাশিত: ১৪ মে ২০২৫, ১০:৩০ পিএম", now=NOW)
    assert dt.astimezone(timezone.utc) == datetime(2025, 5, 15, 2, 30, tzinfo=timezone.utc)
    # an offset in the string wins over tz
    assert iso("2021-03-22T12:27:59+06:00", tz="America/New_York") == "2021-03-22T12:27:59+06:00"


def test_labelled_string_takes_published():
    s = "প্রকাশিত: ১৪ মে ২০২৫, ১০:৩০ পিএম | আপডেট: ১৫ মে ২০২৫, ০৯:০০ এএম"
    assert iso(s) == "2025-05-14T22:30:00-04:00"
    s = "আপডেট: ১৫ মে ২০২৫, ০৯:০০ এএম | প্রকাশিত: ১৪ মে ২০২৫, ১০:৩০ পিএম"
    assert iso(s) == "2025-05-14T22:30:00-04:00"
    assert iso("সর্বশেষ আপডেট: ১৫ মে ২০২৫, ০৯:০০ এএম") == "2025-05-15T09:00:00-04:00"


@pytest.mark.parametrize(
    "text",
    [
        "৩১ ফেব্রুয়ারি ২০২৪",
        "৩০ ফেব্রুয়ারী ২০২৫",
        "31-02-2025",
        "১৪ মে ২০২৫, ২৫:৩০",
        "৩০ অগ্রহায়ণ ১৪৩১",  # Bengali calendar only
        "১২ জমাদিউস সানি ১৪৪৬ হিজরি",  # Hijri only
        "২৯ আগস্ট",  # no year
        "",
        "কোনো তারিখ নেই",
        "মেয়র ১২ জন",  # মে inside a word is not a month
    ],
)
def test_invalid_or_missing(text):
    assert parse_date(text, now=NOW) is None


def test_future_dates_rejected():
    assert parse_date("১ জানুয়ারি ২০৩০", now=NOW) is None
    # within the 10-minute clock-skew tolerance is accepted, beyond it is not
    assert parse_date("2025-09-01T16:05:00Z", now=NOW) is not None
    assert parse_date("2025-09-01T16:11:00Z", now=NOW) is None
    # today's date without a time is midnight local, in the past
    assert iso("১ সেপ্টেম্বর ২০২৫") == "2025-09-01T00:00:00-04:00"


def test_naive_now_is_utc():
    naive = datetime(2025, 9, 1, 16, 0)
    assert parse_date("২ ঘণ্টা আগে", now=naive) == NOW - timedelta(hours=2)


def test_parse_iso():
    assert parse_iso("২০২১-০৩-২২T১২:২৭:৫৯+০৬:০০") == datetime(
        2021, 3, 22, 12, 27, 59, tzinfo=timezone(timedelta(hours=6))
    )
    naive = parse_iso("2020-08-29T09:46:06")
    assert naive == datetime(2020, 8, 29, 9, 46, 6) and naive.tzinfo is None
    assert parse_iso("2020-08-29") == datetime(2020, 8, 29)
    assert parse_iso("2020-08-29T09:46:06.123456Z") == datetime(
        2020, 8, 29, 9, 46, 6, 123456, tzinfo=timezone.utc
    )
    assert parse_iso("2020-08-29 09:46+0530").utcoffset() == timedelta(hours=5, minutes=30)
    assert parse_iso(" 2020-08-29T09:46:06-04:00 ").utcoffset() == timedelta(hours=-4)
    for bad in ("", "২৯ আগস্ট ২০২০", "2020-02-30", "2020-08-29T25:00", "2020-8-29", "x2020-08-29"):
        assert parse_iso(bad) is None


def test_split_labelled_dates():
    s = "প্রকাশিত: ১৪ মে ২০২৫, ১০:৩০ পিএম | আপডেট: ১৫ মে ২০২৫, ০৯:০০ এএম"
    assert split_labelled_dates(s) == {
        "published": "১৪ মে ২০২৫, ১০:৩০ পিএম",
        "updated": "১৫ মে ২০২৫, ০৯:০০ এএম",
    }
    assert split_labelled_dates("প্রকাশিত:বুধবার ৩১ জানুয়ারী ২০২৪ | হালনাগাদ: …") == {
        "published": "বুধবার ৩১ জানুয়ারী ২০২৪"
    }
    assert split_labelled_dates("আপডেট টাইম: 27-06-2025 ইং") == {"updated": "27-06-2025 ইং"}
    assert split_labelled_dates("শনিবার, আগস্ট ২৯, ২০২০ | ১০:৪৬ পূর্বাহ্ণ") == {
        "published": "শনিবার, আগস্ট ২৯, ২০২০ | ১০:৪৬ পূর্বাহ্ণ"
    }
    assert split_labelled_dates("১৪ মে ২০২৫ | সর্বশেষ আপডেট: ১৫ মে ২০২৫") == {
        "published": "১৪ মে ২০২৫",
        "updated": "১৫ মে ২০২৫",
    }
    assert split_labelled_dates("Published: May 14, 2025 | Updated: May 15, 2025") == {
        "published": "May 14, 2025",
        "updated": "May 15, 2025",
    }
    assert split_labelled_dates("প্রকাশ : ২৪ জানুয়ারি ২০২৫") == {"published": "২৪ জানুয়ারি ২০২৫"}
    assert split_labelled_dates("") == {}
    assert split_labelled_dates("প্রকাশক: মোহাম্মদ") == {}  # প্রকাশক (publisher) is not a label


def test_to_iso():
    dt = datetime(2025, 5, 14, 22, 30, 15, 999, tzinfo=NY)
    assert to_iso(dt) == "2025-05-14T22:30:15-04:00"
    assert to_iso(datetime(2025, 1, 1, tzinfo=timezone.utc)) == "2025-01-01T00:00:00+00:00"
    with pytest.raises(ValueError):
        to_iso(datetime(2025, 1, 1))


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_parse_date_never_raises(s):
    dt = parse_date(s, now=NOW)
    assert dt is None or (dt.tzinfo is not None and dt <= NOW + timedelta(minutes=10))
    parse_iso(s)
    split_labelled_dates(s)


DATEISH = st.lists(
    st.sampled_from(
        ["১৪", "৩১", "২০২৫", "20", "মে", "আগস্ট", "জুন", ":", "১০:৩০", "99:99", "পিএম", "রাত",
         "প্রকাশিত", "আপডেট", "|", ",", " ", "-", "T", "+০৬:০০", "আগে", "ঘণ্টা", "গতকাল", "১লা"]
    ),
    max_size=12,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(DATEISH)
def test_parse_date_never_raises_on_dateish_text(s):
    dt = parse_date(s, now=NOW)
    assert dt is None or dt <= NOW + timedelta(minutes=10)


def test_a_stamp_in_the_archives_own_form_reads_as_the_rules_read_it():
    """``parse_date`` reads "2025-05-14T22:30:00-04:00" (what ``to_iso`` writes and the
    parsers hand on, parsed again by normalize and every reparse) without its rules
    (issue 17): the same answer as the rules, checked on random stamps of that shape,
    impossible ones included (month 13, hour 24, offset +24:00, year 0001, the future)."""
    import random

    from newsspider.bangla import dates

    rng = random.Random(17)
    now = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)

    def field(values):
        return rng.choice(values) if rng.random() < 0.8 else f"{rng.randint(0, 99):02d}"

    stamps = []
    for _ in range(4000):
        year = rng.choice(["2024", "2025", "2026", "2027", "1899", "1900", "0001", "9999", f"{rng.randint(0, 9999):04d}"])
        stamp = (f"{year}-{field(['01', '02', '05', '12', '13', '00'])}-{field(['01', '14', '28', '29', '30', '31', '32'])}"
                 f"T{field(['00', '10', '22', '23', '24'])}:{field(['00', '30', '59', '60'])}:{field(['00', '07', '59', '60'])}"
                 f"{rng.choice('+-')}{field(['00', '04', '05', '06', '14', '23', '24'])}:{field(['00', '30', '45', '59', '60'])}")
        stamps.append(stamp)
    for _ in range(4000):  # and possible ones, any offset
        offset = timezone(timedelta(minutes=rng.randint(-24 * 60 + 1, 24 * 60 - 1)))
        when = datetime(1890, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=rng.randint(0, 137 * 365 * 86400))
        stamps.append(to_iso(when.astimezone(offset)))
    stamps += [to_iso(now), to_iso(now + timedelta(minutes=9)), to_iso(now + timedelta(minutes=11)),
               "2025-05-14T22:30:00-04:00", "2025-05-14T22:30:00+00:00", "2025-05-14T22:30:00-00:00"]
    for stamp in stamps:
        for tz in ("America/New_York", "Asia/Dhaka"):
            expected = dates._parse_rules(stamp, dates._zone(tz), now)
            got = parse_date(stamp, tz=tz, now=now)
            assert got == expected and (got is None or to_iso(got) == to_iso(expected)), stamp
    assert sum(parse_date(s, now=now) is not None for s in stamps) > 3000
