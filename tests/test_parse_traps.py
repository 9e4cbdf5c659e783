"""Every trap of the parse contract (issue 3), on the sample portal's template (via
SamplePortal.render) and on two other templates written here: a WordPress-like page
whose body is ``<br><br>``-separated text and an AMP page with JSON-LD."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from newsspider.bangla import to_iso
from newsspider.parse import NotHTML, parse_article

BASE = "http://portal.test"
NOW = datetime(2025, 11, 1, tzinfo=timezone.utc)


# ------------------------------------------------------------------ sample portal (profile V1)

def render(portal, path):
    status, headers, body = portal.render(path, BASE)
    return parse_article(body, BASE + path, content_type=headers.get("Content-Type"))


def test_sample_every_field_of_every_article(portal):
    bad = []
    for a in portal.expected_articles():
        got = render(portal, a.path)
        want = {"headline": a.headline, "body": "\n\n".join(a.paragraphs), "byline": a.byline,
                "published": to_iso(a.published) if a.published else None,
                "updated": to_iso(a.updated) if a.updated else None, "section": a.section,
                "credits": a.credits, "tags": a.tags,
                "related": [{"url": BASE + u, "title": t} for u, t in a.related],
                "images": [{"url": BASE + u, "caption": c} for u, c in a.images]}
        bad += [(a.id, k) for k, v in want.items() if got[k] != v]
    assert not bad


def test_sample_second_rendering_and_credit_line_leave_the_body(portal):
    for a in portal.expected_articles():
        if a.kind != "ok" or a.repeat is None:
            continue
        got = render(portal, a.path)
        paras = got["body"].split("\n\n")
        assert len(paras) == len(set(paras)) == len(a.paragraphs)
        assert got["parser"].startswith("usbanglanews/")
        assert got["sources"]["body"].startswith("profile:")


def test_sample_br_mid_sentence_is_joined(portal):
    cases = [a for a in portal.expected_articles() if a.br_paragraph is not None and a.kind == "ok"]
    assert cases
    for a in cases[:10]:
        got = render(portal, a.path)
        assert got["body"].split("\n\n")[a.br_paragraph] == a.paragraphs[a.br_paragraph]


def test_sample_related_deduplicated_absolute(portal):
    for a in portal.expected_articles()[:20]:
        got = render(portal, a.path)
        urls = [r["url"] for r in got["related"]]
        assert len(urls) == len(set(urls)) and all(u.startswith(BASE + "/news/") for u in urls)


def test_sample_dates_in_new_york_time(portal):
    a = portal.expected_articles()[0]
    got = render(portal, a.path)
    assert got["published"] == to_iso(a.published)
    assert got["published"][-6:] in ("-04:00", "-05:00")


def test_sample_truncated_page_keeps_headline_and_paragraphs(portal):
    cut = [a for a in portal.expected_articles() if a.kind == "truncated"]
    assert cut
    for a in cut:
        got = render(portal, a.path)
        assert got["headline"] == a.headline and "truncated" in got["flags"]
        assert got["body"] == "\n\n".join(a.paragraphs)


@pytest.mark.parametrize("path", ["/", "/category/bangladesh/", "/category/bangladesh/page/2/",
                                  "TAG", "/search?s=ঢাকা"])
def test_sample_listing_pages_are_not_articles(portal, path):
    if path == "TAG":
        path = next(p for p in portal.paths() if p.startswith("/tag/"))
    status, headers, body = portal.render(path, BASE)
    if status != 200 or b"<html" not in body[:500].lower():
        pytest.skip(f"{path}: not served as HTML by the sample portal")
    assert parse_article(body, BASE + path) is None


# ------------------------------------------------------------------ two other templates

PARAS = [
    "ঢাকা, ১৪ মে (বাসস) : রাজধানীতে আজ থেকে তিন দিনব্যাপী বইমেলা শুরু হয়েছে। মেলায় দেশের শীর্ষস্থানীয় ৭০টি প্রকাশনা প্রতিষ্ঠান অংশ নিচ্ছে।",
    "আয়োজকেরা জানান, এবারের মেলায় শিশুদের জন্য আলাদা কর্নার রাখা হয়েছে। প্রতিদিন সন্ধ্যায় থাকবে সাংস্কৃতিক অনুষ্ঠান।",
    "জাতিসংঘের এক কর্মকর্তা বিবিসিকে দেওয়া এক সাক্ষাৎকারে বলেন, এ ধরনের আয়োজন পাঠাভ্যাস বাড়াতে সহায়ক।",
    "মেলা চলবে প্রতিদিন সকাল ১০টা থেকে রাত ৯টা পর্যন্ত।",
]
NOISE = [
    '<div class="ad"><span>বিজ্ঞাপন</span></div>',
    '<div class="adunit">Advertisement</div>',
    '<p><strong>আরও পড়ুন:</strong> <a href="/x/1">বইমেলায় রেকর্ড বিক্রি</a></p>',
    '<div class="share-bar">শেয়ার করুন <a href="#">Facebook</a></div>',
    '<figure><img src="/i.jpg"><figcaption>মেলার প্রথম দিনে দর্শনার্থীদের ভিড়। ছবি: সংগৃহীত</figcaption></figure>',
    '<div class="newsletter"><p>প্রতিদিনের খবর ইমেইলে পেতে আমাদের নিউজলেটারে সাবস্ক্রাইব করুন এখনই।</p></div>',
]
RELATED = [("/x/2", "বইমেলায় শিশুদের ভিড়"), ("/x/3", "নতুন বই এসেছে ২০০টি"), ("/x/2", "বইমেলায় শিশুদের ভিড়")]
TAIL = ('<div class="post-navigation"><a rel="prev" href="/x/9">« আগের খবর: পুরোনো শিরোনাম</a>'
        '<a rel="next" href="/x/8">পরের খবর: নতুন শিরোনাম »</a></div>'
        '<div id="comments"><p>খুব ভালো উদ্যোগ, আমরা প্রতিবছর এমন মেলা চাই। আয়োজকদের ধন্যবাদ জানাই।</p></div>')


def related_html(heading):
    items = "".join(f'<li><a href="{u}">{t}</a></li>' for u, t in RELATED)
    return f'<div class="block"><h3>{heading}</h3><ul>{items}</ul></div>'


def wordpress(paras, extra_head="", last=" রয়টার্স, এএফপি", date='<span class="posted-on">প্রকাশিত: ১:০৫ অপরাহ্ণ, মে ১৪, ২০২৫</span>'):
    text = "<br><br>\n".join(paras[:2]) + "<br><br>" + NOISE[0] + NOISE[2] + "<br><br>" + "<br><br>".join(paras[2:]) + last
    return f'''<!DOCTYPE html><html><head><meta charset="utf-8"><title>বইমেলা শুরু – নমুনা</title>
<meta property="og:type" content="article">{extra_head}</head><body>
<nav><ul>{"".join(f'<li><a href="/c/{i}">বিভাগ {i}</a></li>' for i in range(12))}</ul></nav>
<article class="post"><h1 class="entry-title">বইমেলা শুরু</h1><div class="entry-meta"><span class="author vcard">নিজস্ব প্রতিবেদক</span> {date}</div>
{NOISE[3]}{NOISE[4]}<div class="entry-content">{text}</div>{NOISE[5]}{TAIL}</article>
{related_html("এই বিভাগের আরো খবর")}<footer><p>© সর্বস্বত্ব সংরক্ষিত। সম্পাদক: নমুনা।</p></footer></body></html>'''


def amp(paras, last=" রয়টার্স, এএফপি"):
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "বইমেলা শুরু",
          "datePublished": "2025-05-14T13:05:00-04:00", "author": {"@type": "Person", "name": "নিজস্ব প্রতিবেদক"}}
    body = "".join(f"<p>{p}</p>" for p in paras[:-1]) + "".join(NOISE[:3]) + f"<p>{paras[-1]}{last}</p>"
    return f'''<!doctype html><html ⚡ lang="bn"><head><meta charset="utf-8"><title>বইমেলা শুরু</title>
<link rel="canonical" href="https://amp.example/news/1"><script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script></head>
<body><amp-sidebar id="s"><ul>{"".join(f'<li><a href="/c/{i}">বিভাগ {i}</a></li>' for i in range(12))}</ul></amp-sidebar>
<article><h1>বইমেলা শুরু</h1>{NOISE[3]}{NOISE[4]}<div class="amp-content">{body}</div>{NOISE[5]}{TAIL}</article>
{related_html("সম্পর্কিত খবর")}</body></html>'''


TEMPLATES = {"wordpress": wordpress, "amp": amp}


@pytest.fixture(params=sorted(TEMPLATES))
def page(request):
    make = TEMPLATES[request.param]
    return lambda paras=PARAS, **kw: parse_article(make(paras, **kw).encode("utf-8"), "https://amp.example/news/1", now=NOW)


def test_body_is_only_the_article_text(page):
    got = page()
    assert got["body"] == "\n\n".join(PARAS)  # no ads, read-more, share, caption, newsletter, comments, prev/next


def test_dateline_stays_credit_recorded_mention_is_not_a_credit(page):
    got = page()
    assert got["body"].startswith("ঢাকা, ১৪ মে (বাসস) :")
    assert got["credits"] == ["BSS", "Reuters", "AFP"]
    assert "বিবিসিকে দেওয়া" in got["body"]


def test_related_deduplicated_not_navigation(page):
    got = page()
    assert got["related"] == [{"url": "https://amp.example/x/2", "title": "বইমেলায় শিশুদের ভিড়"},
                              {"url": "https://amp.example/x/3", "title": "নতুন বই এসেছে ২০০টি"}]


def test_invisible_characters_and_nukta_forms(page):
    odd = [PARAS[0].replace("রাজধানীতে", "রাজ\u200bধানীতে\u00a0\ufeff"), "আয়োজকেরা\u00a0 জানান, শিশুদের জন্য আলাদা কর্নার রাখা হয়েছে।"] + PARAS[2:]
    got = page(odd)
    body = got["body"]
    assert "\u200b" not in body and "\ufeff" not in body and "\u00a0" not in body and "  " not in body
    assert "\u09df" not in body and "আয়োজকেরা জানান" in body


def test_wordpress_br_mid_sentence_joined():
    paras = PARAS[:1] + ["আয়োজকেরা জানান, এবারের মেলায়<br>শিশুদের জন্য আলাদা কর্নার রাখা হয়েছে।"] + PARAS[2:]
    got = parse_article(wordpress(paras).encode(), "https://amp.example/news/1", now=NOW)
    assert got["body"].split("\n\n")[1] == "আয়োজকেরা জানান, এবারের মেলায় শিশুদের জন্য আলাদা কর্নার রাখা হয়েছে।"


def test_machine_date_wins_visible_date_in_portal_zone():
    with_meta = wordpress(PARAS, extra_head='<meta property="article:published_time" content="2025-05-14T17:05:00+00:00">')
    got = parse_article(with_meta.encode(), "https://amp.example/news/1", now=NOW)
    assert got["published"] == "2025-05-14T17:05:00+00:00" and got["sources"]["published"].startswith("meta:")
    got = parse_article(wordpress(PARAS).encode(), "https://amp.example/news/1", now=NOW)
    assert got["published"] == "2025-05-14T13:05:00-04:00" and got["sources"]["published"].startswith("visible")
    got = parse_article(wordpress(PARAS).encode(), "https://amp.example/news/1", now=NOW, tz="Asia/Dhaka")
    assert got["published"] == "2025-05-14T13:05:00+06:00"


@pytest.mark.parametrize("visible,iso", [
    ("প্রকাশিত: ১৪ মে ২০২৫, ১০:৩০ পিএম", "2025-05-14T22:30:00-04:00"),
    ("প্রকাশ: ২৪ জানুয়ারি ২০২৫, ১২:১৬ এএম", "2025-01-24T00:16:00-05:00"),
    ("প্রকাশ: ২৫ আগস্ট ২০২৫, ১৯:০২", "2025-08-25T19:02:00-04:00"),
    ("জুন ২৭, ২০২৫ ১২:১০ অপরাহ্ণ", "2025-06-27T12:10:00-04:00"),
    ("শনিবার, আগস্ট ২৯, ২০২০ | ১০:৪৬ পূর্বাহ্ণ", "2020-08-29T10:46:00-04:00"),
    ("মঙ্গলবার, ১লা জুলাই, ২০২৫| সকাল ৯:২৫", "2025-07-01T09:25:00-04:00"),
    ("প্রকাশিত:বুধবার ৩১ জানুয়ারী ২০২৪ | হালনাগাদ: ৩১ জানুয়ারী ২০২৪", "2024-01-31T00:00:00-05:00"),
    ("আপডেট টাইম: 27-06-2025 ইং", "2025-06-27T00:00:00-04:00"),
    ("১৫ ডিসেম্বর ২০২৪, ৩০ অগ্রহায়ণ ১৪৩১, ১২ জমাদিউস সানি ১৪৪৬ হিজরি রাত ৯:০৫", "2024-12-15T21:05:00-05:00"),
])
def test_visible_date_forms(visible, iso):
    got = parse_article(wordpress(PARAS, date=f'<span class="post-date">{visible}</span>').encode(),
                        "https://amp.example/news/1", now=NOW)
    assert got["published"] == iso


def test_no_date_in_the_future_of_the_crawl():
    html = wordpress(PARAS, date='<span class="post-date">প্রকাশিত: ১৪ মে ২০৩০, ১০:৩০ পিএম</span>')
    got = parse_article(html.encode(), "https://amp.example/news/1", now=NOW)
    assert got["published"] is None


def test_bijoy_text_is_flagged():
    bijoy = ["MZKvj ivRavbxi RvZxq †cÖmK¬v‡e GK mvsevw`K m‡¤§jb AbywôZ n‡q‡Q| m‡¤§j‡b wbivcËv wb‡q Av‡jvPbv Kiv nq|"] * 2
    got = parse_article(wordpress(bijoy, last="").encode(), "https://amp.example/news/1", now=NOW)
    assert got is not None and "bijoy" in got["flags"]


def test_truncated_html_yields_headline_and_paragraphs():
    html = amp(PARAS)
    cut = html[: html.index(PARAS[2][:30]) + 30]
    got = parse_article(cut.encode(), "https://amp.example/news/1", now=NOW)
    assert got["headline"] == "বইমেলা শুরু" and "truncated" in got["flags"]
    assert got["body"].split("\n\n")[:2] == PARAS[:2]


@pytest.mark.parametrize("encode", [
    lambda s: b"\xef\xbb\xbf" + s.encode("utf-8"),
    lambda s: b"\xff\xfe" + s.encode("utf-16-le"),
    lambda s: b"\xfe\xff" + s.encode("utf-16-be"),
    lambda s: s.encode("utf-16-le"),
    lambda s: s.replace('charset="utf-8"', 'charset="windows-1252"').encode("utf-8"),
    lambda s: ("<html><head><title>বইমেলা</title>" + s.split("<head>", 1)[1]).replace('<meta charset="utf-8">', "").replace("<title>বইমেলা শুরু – নমুনা</title>", '<meta charset="utf-8">').encode("utf-8"),
], ids=["utf8-bom", "utf16le-bom", "utf16be-bom", "utf16le-no-bom", "cp1252-declared", "late-meta-charset"])
def test_decoding_as_a_browser(encode):
    got = parse_article(encode(wordpress(PARAS)), "https://amp.example/news/1", now=NOW)
    assert got is not None and got["body"] == "\n\n".join(PARAS)


def test_canonical_url_rules():
    got = parse_article(amp(PARAS).encode(), "https://amp.example/amp/news/1", now=NOW)
    assert got["url"] == "https://amp.example/news/1"
    home_canonical = amp(PARAS).replace('href="https://amp.example/news/1"', 'href="https://amp.example/"')
    got = parse_article(home_canonical.encode(), "https://amp.example/news/1", now=NOW)
    assert got["url"] == "https://amp.example/news/1"


@pytest.mark.parametrize("data", [b"", b"   ", b"%PDF-1.4 binary", b"\x89PNG\r\n\x1a\n" + bytes(100)])
def test_not_html_is_a_clean_error(data):
    with pytest.raises(NotHTML):
        parse_article(data, "https://amp.example/x")
