"""US Bangla News (usbanglanews.com): the template the seed page shows.

What a reader of one of its article pages sees (shared/seeds/): the desk byline, a
"আরও খবর" list of other articles (one of them twice), the headline, the body whose
second half the page renders a second time, a paragraph broken by ``<br>``
mid-sentence, and the wire credit glued to the end of the last paragraph. The real
portal's markup is not available here; this profile names the structure of the
bundled sample portal, which reproduces those traits in a WordPress news theme. Any
field it does not find falls back to the generic layer (JSON-LD, OpenGraph, density).
"""

from __future__ import annotations

from datetime import date

from newsspider.parse.profiles import Profile

V1 = Profile(
    name="usbanglanews",
    version="2025.1",
    hosts=frozenset({"usbanglanews.com", "www.usbanglanews.com"}),
    signature="//div[contains(concat(' ',normalize-space(@class),' '),' single-news ')]",
    selectors={
        "headline": "//h1[contains(@class,'news-title')]",
        # The first rendering only: `news-details-more` repeats its second half.
        "body": "//div[contains(concat(' ',normalize-space(@class),' '),' news-details ')]",
        "byline": "//div[contains(@class,'reporter-info')]//*[contains(@class,'author-name')]",
        "published": "//div[contains(@class,'reporter-info')]//*[contains(@class,'publish-date')]",
        "updated": "//div[contains(@class,'reporter-info')]//*[contains(@class,'update-date')]",
        "section": "//div[contains(@class,'breadcrumb')]//a[position()>1]",
        "related": "//div[contains(concat(' ',normalize-space(@class),' '),' more-news ')]",
        "tags": "//div[contains(concat(' ',normalize-space(@class),' '),' tags ')]//a",
        "images": "//figure",
    },
    article_paths=(r"^/news/\d+/?$",),
    section_paths=(r"^/category/[^/]+/?(?:page/\d+/?)?$",),
    timezone="America/New_York",  # Brooklyn, New York (shared/reference/portal.md)
    valid_from=date(2020, 1, 1),
)

PROFILES = (V1,)
