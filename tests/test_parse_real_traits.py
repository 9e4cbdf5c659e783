"""Traits of real Bangla portals' pages (issue 14), each by pattern, on two templates
written in test_parse_traps (a WordPress theme with <br><br> text, an AMP page with
JSON-LD) and varied here. The whole pages in tests/pages/ (widget_cms_microdata,
aspnet_form_widgets, wp_hidden_author_box, home_*) reproduce the same traits together."""

from __future__ import annotations

import json

import pytest

from newsspider.parse import parse_article
from newsspider.parse.document import fold_url
from tests.test_parse_traps import NOW, PARAS, amp, wordpress

URL = "https://amp.example/news/1"
BODY = "\n\n".join(PARAS)
FOOTER = ('<div id="footer" class="site-info"><p>নমুনা বার্তা দেশের শীর্ষস্থানীয় অনলাইন সংবাদমাধ্যম। সত্য ও নিরপেক্ষ সংবাদ '
          'পরিবেশনে আমরা প্রতিশ্রুতিবদ্ধ। ২০১০ সাল থেকে পাঠকের আস্থা নিয়ে কাজ করছি।</p><p>সম্পাদক ও প্রকাশক: '
          'নমুনা। ঠিকানা: ১২ কারওয়ান বাজার, ঢাকা ১২১৫। ফোন: ০২-৯৯৯৯৯৯৯, ই-মেইল: news@amp.example</p></div>')


def make(template: str, **kw) -> str:
    return (wordpress if template == "wordpress" else amp)(PARAS, **kw)


def parse(html: str, url: str = URL, **kw):
    return parse_article(html.encode("utf-8"), url, now=NOW, **kw)


TEMPLATES = ["wordpress", "amp"]


def no_jsonld_date(html: str) -> str:
    return html.replace('"datePublished": "2025-05-14T13:05:00-04:00", ', "")


# ------------------------------------------------------------------ 1. article inside CMS widgets

@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("itemprop", [True, False], ids=["itemprop", "no-itemprop"])
def test_article_inside_widget_containers(template, itemprop):
    html = make(template).replace("<article", '<div class="widget" id="widget_14802"><div class="widget_wrap"><article')
    html = html.replace("</article>", "</article></div></div>" + FOOTER)
    if itemprop:
        html = html.replace('<div class="entry-content">', '<div class="entry-content" itemprop="articleBody">')
        html = html.replace('<div class="amp-content">', '<div class="amp-content" itemprop="articleBody">')
    got = parse(html)
    assert got["body"] == BODY, got["sources"]
    assert got["sources"]["body"] == ("itemprop" if itemprop else got["sources"]["body"])


@pytest.mark.parametrize("template", TEMPLATES)
def test_widget_article_titled_by_an_h2_under_a_logo_h1(template):
    html = make(template).replace('<h1 class="entry-title">বইমেলা শুরু</h1>', '<h2 class="entry-title">বইমেলা শুরু</h2>')
    html = html.replace("<article><h1>বইমেলা শুরু</h1>", "<article><h2>বইমেলা শুরু</h2>")
    html = html.replace("<body>", '<body><div class="widget" id="widget_1"><h1 class="logo"><a href="/">নমুনা</a></h1></div>', 1)
    html = html.replace("<article", '<div class="widget" id="widget_14802"><div class="widget_wrap"><article')
    html = html.replace("</article>", "</article></div></div>" + FOOTER)
    got = parse(html)
    assert got["body"] == BODY and got["headline"] == "বইমেলা শুরু"


@pytest.mark.parametrize("template", TEMPLATES)
def test_noise_inside_the_protected_article_stays_noise(template):
    html = make(template).replace("<article", '<div class="widget_wrap"><article').replace("</article>", "</article></div>")
    got = parse(html)
    assert "শেয়ার করুন" not in got["body"] and "বিজ্ঞাপন" not in got["body"] and "নিউজলেটারে" not in got["body"]


# ------------------------------------------------------------------ 2. microdata dates

MICRODATA = {
    "span-content": '<span itemprop="datePublished" content="2020-01-02T14:32:00+06:00"></span>',
    "meta-itemprop": '<meta itemprop="datePublished" content="2020-01-02T14:32:00+06:00">',
    "time-itemprop": '<time itemprop="datePublished" datetime="2020-01-02T14:32:00+06:00">২ জানুয়ারি</time>',
    "bangla-digits": '<span itemprop="datePublished" content="২০২০-০১-০২T১৪:৩২:০০+০৬:০০"></span>',
    "hidden-span": '<span style="display:none" itemprop="datePublished" content="2020-01-02T14:32:00+06:00">x</span>',
}


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("kind", sorted(MICRODATA))
def test_microdata_dates_are_read(template, kind):
    html = no_jsonld_date(make(template)).replace('<h1', MICRODATA[kind] + '<h1', 1)
    html = html.replace("</h1>", '</h1><meta itemprop="dateModified" content="2020-01-02T16:05:10+06:00">', 1)
    got = parse(html)
    assert got["published"] == "2020-01-02T14:32:00+06:00", got["sources"]
    assert got["updated"] == "2020-01-02T16:05:10+06:00"


def test_microdata_of_the_article_before_a_related_list():
    related = ('<div class="related-posts"><div><a href="/x/5">পুরোনো খবর</a>'
               '<span itemprop="datePublished" content="2019-05-01T10:00:00+06:00"></span></div></div>')
    html = no_jsonld_date(make("amp")).replace("<article>", "<article>" + related).replace(
        "</h1>", '</h1><span itemprop="datePublished" content="2020-01-02T14:32:00+06:00"></span>')
    assert parse(html)["published"] == "2020-01-02T14:32:00+06:00"


# ------------------------------------------------------------------ 3. the portal's time zone

def head(html: str, extra: str) -> str:
    return html.replace("</head>", extra + "</head>", 1)


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("change,iso,source", [
    (lambda h: h.replace("<html", '<html lang="bn-BD"', 1).replace('lang="bn"', ""), "+06:00", "html:lang=bn-BD"),
    (lambda h: head(h, '<meta property="og:locale" content="bn_BD">'), "+06:00", "meta:og:locale=bn_BD"),
    (lambda h: h.replace("<html", '<html lang="bn-IN"', 1).replace('lang="bn"', ""), "+05:30", "html:lang=bn-IN"),
    (lambda h: h.replace("</body>", '<div class="sidebar"><time datetime="2025-05-13T09:00:00+06:00">গতকাল</time></div></body>'),
     "+06:00", "offset:time[datetime]"),
    (lambda h: head(h, '<meta property="article:modified_time" content="2025-05-14T20:00:00+06:00">'), "+06:00",
     "offset:meta:article:modified_time"),
    (lambda h: head(h, '<meta property="article:modified_time" content="2025-05-14T20:00:00+00:00">'), "-04:00", "setting"),
    (lambda h: h.replace("<html", '<html lang="en-US"', 1), "-04:00", "setting"),
])
def test_zone_from_the_page(template, change, iso, source):
    html = change(no_jsonld_date(make(template)))
    if template == "amp":  # the AMP template's only date is JSON-LD: give it a visible one
        html = html.replace("</h1>", '</h1><span class="post-date">প্রকাশিত: ১:০৫ অপরাহ্ণ, মে ১৪, ২০২৫</span>', 1)
    got = parse(html)
    assert got["published"].startswith("2025-05-14T13:05:00") and got["published"].endswith(iso), got["sources"]
    assert got["sources"]["timezone"] == source


def test_zone_setting_is_last_and_profile_first():
    html = wordpress(PARAS)
    assert parse(html, tz="Asia/Dhaka")["published"] == "2025-05-14T13:05:00+06:00"
    dhaka = html.replace("<html", '<html lang="bn-BD"', 1)
    got = parse(dhaka, "https://usbanglanews.com/news/123/", tz="Asia/Dhaka")  # the known portal: its profile's zone
    assert got["published"] == "2025-05-14T13:05:00-04:00"
    assert got["timezone"] == "America/New_York" and got["sources"]["timezone"].startswith("profile:usbanglanews")


@pytest.mark.parametrize("template", TEMPLATES)
def test_zone_from_the_country_domain(template):
    html = no_jsonld_date(make(template)).replace("</h1>", '</h1><span class="post-date">প্রকাশিত: ১:০৫ অপরাহ্ণ, মে ১৪, ২০২৫</span>', 1)
    got = parse(html, "https://www.dainiknamuna.com.bd/news/1")
    assert got["published"] == "2025-05-14T13:05:00+06:00" and got["sources"]["timezone"] == "host:.bd"
    got = parse(html.replace('lang="bn"', 'lang="bn-IN"'), "https://www.dainiknamuna.com.bd/news/1")
    if template == "amp":  # the page's own language region comes before its address
        assert got["published"] == "2025-05-14T13:05:00+05:30"


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("address,iso", [
    ("ফোন: +৮৮০ ২ ৯৯৯৯৯৯৯", "+06:00"), ("১২ কারওয়ান বাজার, ঢাকা-১২১৫", "+06:00"), ("Phone: +880-2-9999999", "+06:00"),
    ("Dhaka office: +880 2 999 9999, New York: +1 (718) 555-0101", "-04:00"), ("৩৭-১৮ ৭৩ স্ট্রিট, জ্যাকসন হাইটস", "-04:00")])
def test_zone_from_the_portals_address(template, address, iso):
    html = no_jsonld_date(make(template)).replace("</body>", f"<footer><p>{address}</p></footer></body>")
    if template == "amp":
        html = html.replace("</h1>", '</h1><span class="post-date">প্রকাশিত: ১:০৫ অপরাহ্ণ, মে ১৪, ২০২৫</span>', 1)
    got = parse(html)
    assert got["published"] == "2025-05-14T13:05:00" + iso


def test_fixed_offset_when_no_zone_has_it():
    html = head(wordpress(PARAS), '<meta property="article:modified_time" content="2025-05-14T20:00:00+03:00">')
    got = parse(html)
    assert got["published"] == "2025-05-14T13:05:00+03:00" and got["timezone"] == "UTC+03:00"


# ------------------------------------------------------------------ 4. bylines

BYLINES = [
    ("স্পেশাল করেসপন্ডেন্ট<br>বার্তা২৪.কম<br>ঢাকা", "স্পেশাল করেসপন্ডেন্ট, বার্তা২৪.কম, ঢাকা",
     ["স্পেশাল করেসপন্ডেন্ট", "বার্তা২৪.কম", "ঢাকা"], "স্পেশাল করেসপন্ডেন্ট", "ঢাকা"),
    ("রহিম উদ্দিন, ঢাকা থেকে", "রহিম উদ্দিন, ঢাকা থেকে", ["রহিম উদ্দিন", "ঢাকা থেকে"], "রহিম উদ্দিন", "ঢাকা"),
    ("রহিম উদ্দিন, নিউইয়র্ক", "রহিম উদ্দিন, নিউইয়র্ক", ["রহিম উদ্দিন", "নিউইয়র্ক"], "রহিম উদ্দিন", "নিউইয়র্ক"),
    ("<div>মেহেদী হাসান</div><div>নিউ ইয়র্ক</div>", "মেহেদী হাসান, নিউ ইয়র্ক", ["মেহেদী হাসান", "নিউ ইয়র্ক"],
     "মেহেদী হাসান", "নিউ ইয়র্ক"),
    ("নিজস্ব প্রতিবেদক", "নিজস্ব প্রতিবেদক", ["নিজস্ব প্রতিবেদক"], "নিজস্ব প্রতিবেদক", None),
    ("স্টাফ রিপোর্টার<br>নমুনা বার্তা", "স্টাফ রিপোর্টার, নমুনা বার্তা", ["স্টাফ রিপোর্টার", "নমুনা বার্তা"],
     "স্টাফ রিপোর্টার", None),
    ("লিখেছেন: সালমা বেগম<br>লন্ডন", "সালমা বেগম, লন্ডন", ["সালমা বেগম", "লন্ডন"], "সালমা বেগম", "লন্ডন"),
    ('<a href="/author/rahim/">রহিম উদ্দিন</a><br>কুমিল্লা', "রহিম উদ্দিন, কুমিল্লা", ["রহিম উদ্দিন", "কুমিল্লা"],
     "রহিম উদ্দিন", "কুমিল্লা"),
    ('<a href="/author/rahim/">রহিম উদ্দিন</a><br>প্রকাশ: ১:০৫ অপরাহ্ণ', "রহিম উদ্দিন", ["রহিম উদ্দিন"], "রহিম উদ্দিন", None),
]


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("shown,byline,parts,reporter,place", BYLINES, ids=[b[1] for b in BYLINES])
def test_byline_lines_reporter_and_place(template, shown, byline, parts, reporter, place):
    if template == "wordpress":
        html = wordpress(PARAS).replace('<span class="author vcard">নিজস্ব প্রতিবেদক</span>',
                                        f'<span class="author vcard">{shown}</span>')
    else:
        html = amp(PARAS).replace(', "author": {"@type": "Person", "name": "নিজস্ব প্রতিবেদক"}', "")
        html = html.replace("</h1>", f'</h1><div class="byline">{shown}</div>', 1)
    got = parse(html)
    assert (got["byline"], got["byline_parts"], got["reporter"], got["place"]) == (byline, parts, reporter, place)


@pytest.mark.parametrize("shown", ["নিজস্ব প্রতিবেদক<br>ঢাকা", "নিজস্ব প্রতিবেদক, ঢাকা থেকে"])
def test_displayed_byline_wins_over_the_same_name_in_metadata(shown):
    html = amp(PARAS).replace("</h1>", f'</h1><div class="byline">{shown}</div>', 1)
    got = parse(html)
    assert got["byline"].startswith("নিজস্ব প্রতিবেদক, ঢাকা") and got["reporter"] == "নিজস্ব প্রতিবেদক"
    assert got["place"] == "ঢাকা"
    other = amp(PARAS).replace("</h1>", '</h1><div class="byline">নিজস্ব প্রতিবেদকদল</div>', 1)
    assert parse(other)["byline"] == "নিজস্ব প্রতিবেদক"  # another name: the metadata's stays


@pytest.mark.parametrize("author", ['{"@type": "Organization", "name": "নমুনা বার্তা"}', '{"@type": "Person", "name": "amp.example"}'])
def test_publisher_or_domain_as_author_gives_way_to_the_shown_byline(author):
    html = amp(PARAS).replace('{"@type": "Person", "name": "নিজস্ব প্রতিবেদক"}', author)
    assert parse(html)["byline"] in (None, "নমুনা বার্তা")  # nothing shown: the organisation at most, never a domain
    html = html.replace("</h1>", '</h1><div class="byline">রহিম উদ্দিন<br>সিলেট</div>', 1)
    got = parse(html)
    assert (got["byline"], got["place"]) == ("রহিম উদ্দিন, সিলেট", "সিলেট")


def test_jsonld_author_list_has_no_place():
    html = amp(PARAS).replace('{"@type": "Person", "name": "নিজস্ব প্রতিবেদক"}',
                              '[{"@type": "Person", "name": "রহিম"}, {"@type": "Person", "name": "করিম"}]')
    got = parse(html)
    assert got["byline"] == "রহিম, করিম" and got["place"] is None and got["byline_parts"] == ["রহিম", "করিম"]


# ------------------------------------------------------------------ 5. hidden elements

HIDING = ['style="display:none"', 'style="display: none;"', 'style="visibility:hidden"', "hidden", 'aria-hidden="true"']


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("how", HIDING)
def test_hidden_elements_are_no_page_text(template, how):
    html = make(template)
    if template == "wordpress":
        html = html.replace('<span class="author vcard">নিজস্ব প্রতিবেদক</span>', f'<span class="author vcard" {how}>satter</span>')
        html = html.replace('<span class="posted-on">', f'<span class="updated-date" {how}>আপডেট: ১:০৫ অপরাহ্ণ, মে ১৫, ২০২৫</span><span class="posted-on">')
        html = html.replace("<br><br>\n", f"<br><br>\n<div {how}>এই অনুচ্ছেদটি লুকানো খসড়া, পাঠক এটি দেখেন না, তাই এটি খবরের অংশ নয়।</div>", 1)
    else:
        html = html.replace(', "author": {"@type": "Person", "name": "নিজস্ব প্রতিবেদক"}', "")
        html = html.replace("</h1>", f'</h1><div class="author-name" {how}>satter</div>', 1)
        html = html.replace(f"<p>{PARAS[1]}</p>", f"<p>{PARAS[1]}</p><p {how}>এই অনুচ্ছেদটি লুকানো খসড়া, পাঠক এটি দেখেন না, তাই এটি খবরের অংশ নয়।</p>")
    html = html.replace("<h1", f'<h2 class="post-title" {how}>অন্য এক শিরোনাম যা দেখা যায় না</h2><h1', 1)
    html = html.replace('<div class="block">', f'<div class="tags" {how}><a href="/tag/x">লুকানো ট্যাগ</a></div><div class="block">')
    got = parse(html)
    assert got["byline"] is None
    assert got["body"] == BODY
    assert got["headline"] == "বইমেলা শুরু"
    assert got["updated"] is None
    assert got["tags"] == []


# ------------------------------------------------------------------ 6. the article's own breadcrumb

def crumbs(last_url: str, last_name: str = "বইমেলা শুরু হলো আজ") -> str:
    items = [("প্রচ্ছদ", "https://amp.example/"), ("সংস্কৃতি", "https://amp.example/culture/"), (last_name, last_url)]
    ld = {"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": [
        {"@type": "ListItem", "position": i + 1, "name": n, "item": u} for i, (n, u) in enumerate(items)]}
    return f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>'


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("last", ["http://amp.example/news/1", "https://www.amp.example/news/1/",
                                  "https://amp.example/news/1?utm_source=facebook&utm_medium=social",
                                  "http://www.amp.example/news/1/#top", {"@id": "https://amp.example/news/1/"}])
def test_breadcrumb_ending_at_the_article(template, last):
    if isinstance(last, dict):
        last = last["@id"]
    got = parse(head(make(template), crumbs(last)))
    assert got["section"] == "সংস্কৃতি" and got["headline"] == "বইমেলা শুরু"


@pytest.mark.parametrize("template", TEMPLATES)
def test_breadcrumb_item_named_as_the_headline(template):
    got = parse(head(make(template), crumbs("https://amp.example/other-path/1", "বইমেলা শুরু")))
    assert got["section"] == "সংস্কৃতি"


def test_fold_url_as_the_crawler():
    assert fold_url("http://www.x.example/a/1/?utm_source=x&b=2&a=1#f") == fold_url("https://x.example/a/1?a=1&b=2")
    assert fold_url("https://x.example/a/1") != fold_url("https://x.example/a/2")


# ------------------------------------------------------------------ 7. home pages claiming to be articles

def test_article_titled_as_the_site_with_a_dense_body_stays_an_article():
    html = wordpress(PARAS, extra_head='<meta property="og:title" content="নমুনা"><meta property="og:site_name" content="নমুনা">')
    got = parse(html)
    assert got is not None and got["body"] == BODY


@pytest.mark.parametrize("template", TEMPLATES)
def test_an_article_followed_by_many_teaser_cards_stays_an_article(template):
    long_paras = [p + " " + p for p in PARAS]
    cards = "".join(f'<div class="card"><h3><a href="/x/{i}">অন্য খবরের শিরোনাম নম্বর {i}</a></h3><p>এই খবরের সংক্ষিপ্ত '
                    f'অংশ এখানে, যা পাঠককে পুরো খবরটি পড়তে আগ্রহী করে তোলে এবং আরও কিছু কথা বলে {i}।</p></div>'
                    for i in range(16))
    html = (wordpress if template == "wordpress" else amp)(long_paras).replace(
        "</article>", f'</article><div class="latest-section">{cards}</div>')
    got = parse(html)
    assert got is not None and got["body"].split("\n\n")[0] == long_paras[0]


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_sites_root_is_no_article_whatever_it_claims(template):
    html = make(template).replace('<link rel="canonical" href="https://amp.example/news/1">', "")
    assert parse(html, "https://amp.example/") is None


@pytest.mark.parametrize("url", ["https://www.dhakanews.example/category/national/", "https://www.dhakanews.example/national"])
def test_a_section_page_claiming_to_be_an_article_is_none(url):
    from tests.test_parse_pages import PAGES
    html = (PAGES / "section_listing.html").read_text(encoding="utf-8").replace(
        '<meta property="og:type" content="website">', '<meta property="og:type" content="article">')
    html = html.replace('<link rel="canonical" href="https://www.dhakanews.example/national">', "")
    assert parse(html, url) is None


# ------------------------------------------------------------------ 8. tags

@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("more", ['<a href="/culture/">আরও সংবাদ</a>', '<a href="/culture/">আরও খবর »</a>',
                                  '<a href="/culture/">আরো খবর</a>', '<a href="/culture/" rel="category tag">সংস্কৃতি</a>',
                                  '<a href="/culture/">সংস্কৃতি</a>'])
def test_tags_without_the_more_news_link(template, more):
    box = f'<div class="post-tags">ট্যাগ: <a href="/tag/boimela">বইমেলা</a> <a href="/tag/dhaka">ঢাকা</a> <a href="/tag/book">বই</a> {more}</div>'
    html = make(template).replace('<div class="block">', box + '<div class="block">')
    assert parse(html)["tags"] == ["বইমেলা", "ঢাকা", "বই"]


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("cls", ["hidden", "d-none", "sr-only", "screen-reader-text", "visually-hidden"])
def test_hidden_by_a_framework_class(template, cls):
    html = make(template)
    if template == "wordpress":
        html = html.replace('<span class="author vcard">নিজস্ব প্রতিবেদক</span>', f'<span class="{cls}"><span class="author vcard">satter</span></span>')
    else:
        html = html.replace(', "author": {"@type": "Person", "name": "নিজস্ব প্রতিবেদক"}', "")
        html = html.replace("</h1>", f'</h1><div class="{cls} byline">satter</div>', 1)
    got = parse(html)
    assert got["byline"] is None and got["body"] == BODY


@pytest.mark.parametrize("template", TEMPLATES)
def test_long_comments_beside_a_short_article_stay_noise(template):
    comments = '<div id="comments" class="comments-area">' + "".join(
        f"<p>পাঠকের মন্তব্য {i}: এমন আয়োজন প্রতিবছর হওয়া উচিত, আয়োজকদের ধন্যবাদ জানাই। শিশুদের জন্য আরও বই চাই।</p>"
        for i in range(12)) + "</div>"
    html = make(template).replace("</article>", comments + "</article>")
    got = parse(html)
    assert got["body"] == BODY


def test_outlet_named_as_the_site_is_no_place():
    html = wordpress(PARAS, extra_head='<meta property="og:site_name" content="দৈনিক যুগান্তর">').replace(
        '<span class="author vcard">নিজস্ব প্রতিবেদক</span>', '<span class="author vcard">নিজস্ব প্রতিবেদক<br>যুগান্তর</span>')
    got = parse(html)
    assert (got["byline"], got["reporter"], got["place"]) == ("নিজস্ব প্রতিবেদক, যুগান্তর", "নিজস্ব প্রতিবেদক", None)
