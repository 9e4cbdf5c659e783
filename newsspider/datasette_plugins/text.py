"""Text shown readably: an article body as paragraphs, a diff as coloured lines.

Pure functions (no Datasette import), used by the plugin hooks and as SQL functions.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
import urllib.parse

from markupsafe import Markup, escape

_BLANK_LINE = re.compile(r"\n\s*\n")
_WORDS = re.compile(r"\s+|[^\s]+")


def paragraphs(body: str | None) -> list[str]:
    """The body's paragraphs: the archive separates them by a blank line; a body without
    blank lines (an older parser) is split at single line breaks."""
    if not body:
        return []
    parts = _BLANK_LINE.split(body) if _BLANK_LINE.search(body) else body.split("\n")
    return [p.strip() for p in parts if p.strip()]


def body_html(body: str | None) -> Markup:
    """``<div class="article-body"><p>…</p>…</div>``, every paragraph escaped."""
    paras = paragraphs(body)
    inner = Markup("").join(Markup("<p>{}</p>").format(p) for p in paras)
    return Markup('<div class="article-body" lang="bn">{}</div>').format(inner)


def version_text(headline, byline=None, section=None, credits=None, body=None) -> str:
    """One version as the text a diff compares: headline, then the fields, then the body
    one paragraph a line (so a diff shows which paragraph changed)."""
    if isinstance(credits, str) and credits.startswith("["):
        try:
            credits = ", ".join(json.loads(credits))
        except ValueError:
            pass
    lines = [f"# {headline or ''}"]
    if byline:
        lines.append(f"byline: {byline}")
    if section:
        lines.append(f"section: {section}")
    if credits:
        lines.append(f"credits: {credits}")
    lines.append("")
    lines.extend(paragraphs(body))
    return "\n".join(lines)


def text_diff(old: str | None, new: str | None, context: int = 1) -> str:
    """Unified diff (one line of context) of two texts, line by line."""
    diff = difflib.unified_diff((old or "").split("\n"), (new or "").split("\n"),
                                "before", "after", n=context, lineterm="")
    return "\n".join(diff)


def _word_marks(old: str, new: str) -> tuple[Markup, Markup]:
    """The two lines with the words that differ wrapped in <del>/<ins>."""
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    out_a, out_b = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        left, right = "".join(a[i1:i2]), "".join(b[j1:j2])
        if op == "equal":
            out_a.append(escape(left))
            out_b.append(escape(right))
        else:
            if left:
                out_a.append(Markup("<del>{}</del>").format(left))
            if right:
                out_b.append(Markup("<ins>{}</ins>").format(right))
    return Markup("").join(out_a), Markup("").join(out_b)


def diff_html(diff: str | None) -> Markup:
    """A unified diff as ``<div class="diff">``: removed lines red, added lines green,
    and within a changed line the words that changed marked."""
    if not diff:
        return Markup('<span class="diff-none">—</span>')
    lines = diff.split("\n")
    out: list[Markup] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(("---", "+++")):
            i += 1
            continue
        if line.startswith("@@"):
            out.append(Markup('<div class="diff-hunk">{}</div>').format(line))
            i += 1
            continue
        if line.startswith("-"):
            # a run of removed lines followed by a run of added ones: pair them up
            j = i
            while j < len(lines) and lines[j].startswith("-") and not lines[j].startswith("---"):
                j += 1
            k = j
            while k < len(lines) and lines[k].startswith("+") and not lines[k].startswith("+++"):
                k += 1
            removed, added = [l[1:] for l in lines[i:j]], [l[1:] for l in lines[j:k]]
            pairs = min(len(removed), len(added))
            marked = [_word_marks(removed[n], added[n]) for n in range(pairs)]
            for n, text in enumerate(removed):
                shown = marked[n][0] if n < pairs else escape(text)
                out.append(Markup('<div class="diff-del">− {}</div>').format(shown))
            for n, text in enumerate(added):
                shown = marked[n][1] if n < pairs else escape(text)
                out.append(Markup('<div class="diff-add">+ {}</div>').format(shown))
            i = k
            continue
        if line.startswith("+"):
            out.append(Markup('<div class="diff-add">+ {}</div>').format(line[1:]))
        else:
            out.append(Markup('<div class="diff-ctx">{}</div>').format(line[1:] if line.startswith(" ") else line))
        i += 1
    return Markup('<div class="diff" lang="bn">{}</div>').format(Markup("").join(out))


def _is_word_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LMN"


_STRAY_MARKS = re.compile(r"^(…?)([\u0300-\u036f\u0981-\u0983\u09bc\u09be-\u09cd\u09d7]+)")
_MARKED = re.compile("«(.*?)»", re.S)


def marks_html(text: str | None, start: str = "«", end: str = "»") -> Markup:
    """A search snippet with its «matches» as <mark>. A match that ends inside a word is
    extended to the word's end (the index matches stems, Bangla inflects by suffix), and a
    snippet that starts inside a grapheme cluster loses the stray vowel sign or mark."""
    text = text or ""
    lead = _STRAY_MARKS.match(text)
    if lead:
        text = lead.group(1) + text[lead.end():]
    pattern = _MARKED if (start, end) == ("«", "»") else re.compile(re.escape(start) + "(.*?)" + re.escape(end), re.S)
    out, pos = [], 0
    for m in pattern.finditer(text):
        out.append(str(escape(text[pos:m.start()])))
        word, pos = m.group(1), m.end()
        while pos < len(text) and _is_word_char(text[pos]):
            word += text[pos]
            pos += 1
        # (Markup.format runs string.Formatter in Python: 10 us a mark)
        out.append("<mark>" + str(escape(word)) + "</mark>")
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


def table_body_html(rows, css_class) -> Markup:
    """The ``<tr>``/``<td>`` rows of Datasette's ``_table.html`` (``display_rows``: lists of
    cells with ``column``, ``value_type``, ``value``), written in Python: the same markup,
    without Jinja's per-cell expressions (async mode awaits each one; 8 ms of a 50-row
    search page). ``css_class``: Datasette's ``to_css_class``."""
    classes: dict = {}
    out = []
    for row in rows:
        out.append("<tr>")
        for cell in row:
            column = cell["column"]
            cls = classes.get(column)
            if cls is None:
                cls = classes[column] = str(escape(css_class(column)))
            out.append(f'<td class="col-{cls} type-{escape(cell["value_type"])}">{escape(cell["value"])}</td>')
        out.append("</tr>")
    return Markup("\n".join(out))


def html_escape(text) -> str:
    return str(escape("" if text is None else text))


# --------------------------------------------------------------------------- links
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
LINK_SCHEMES = ("http", "https")


def safe_href(url) -> str | None:
    """``url`` as an ``href`` when it is an http(s) URL with a host, else None.

    The one gate for every link made from archived content (related links, images,
    canonical URLs, tags, feed entries). It reads the URL as a browser would (WHATWG URL
    parsing): leading and trailing C0 controls and spaces are stripped and ASCII tab, LF
    and CR removed anywhere, so ``" java\tscript:"`` is ``javascript:``; the scheme is
    compared case-insensitively. Anything else (``javascript:``, ``data:``, ``vbscript:``,
    relative and scheme-relative URLs, ``http:`` without ``//host``) is refused: such a
    URL is shown as text, never as a link."""
    if not isinstance(url, str):
        return None
    cleaned = _TAB_NEWLINE.sub("", url.strip(_C0_AND_SPACE))
    if not cleaned or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in cleaned) or "\\" in cleaned:
        return None
    try:
        parts = urllib.parse.urlsplit(cleaned)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in LINK_SCHEMES or not host or not cleaned[len(parts.scheme) + 1:].startswith("//"):
        return None
    return cleaned


def external_link(url, label=None) -> Markup:
    """A link to ``url`` when :func:`safe_href` allows it, else ``label`` (default: the
    URL) as escaped text in ``<span class="unsafe-url">``."""
    shown = url if label is None else label
    href = safe_href(url)
    if href is None:
        return Markup('<span class="unsafe-url">{}</span>').format("" if shown is None else shown)
    return Markup('<a href="{}" rel="noreferrer noopener">{}</a>').format(href, shown)


# --------------------------------------------------------------------------- times, diffs, citations
def times(value) -> dict | None:
    """An ISO 8601 time as the portal's reader saw it (the local time written with its UTC
    offset) and in UTC: ``{"iso", "local", "offset", "utc", "date"}``; None for no time, and
    the text itself as ``local`` when it does not parse."""
    import datetime as dt

    if not value:
        return None
    try:
        t = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return {"iso": value, "local": str(value), "offset": "", "utc": "", "date": str(value)[:10]}
    if t.tzinfo is None:
        return {"iso": value, "local": t.strftime("%Y-%m-%d %H:%M"), "offset": "", "utc": "", "date": t.date().isoformat()}
    off = t.utcoffset()
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    offset = f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    utc = t.astimezone(dt.timezone.utc)
    return {"iso": value, "local": t.strftime("%Y-%m-%d %H:%M"), "offset": offset,
            "utc": utc.strftime("%Y-%m-%d %H:%M UTC"), "date": t.date().isoformat(),
            "http": utc.strftime("%a, %d %b %Y %H:%M:%S GMT"), "datetime": t}


def side_by_side(old: str | None, new: str | None) -> list[dict]:
    """Rows of a side-by-side diff of two texts, line by line: ``{"kind", "left", "right"}``
    with kind ``equal``/``change``/``delete``/``insert`` and the changed words of a changed
    line marked with <del>/<ins> (both sides escaped)."""
    a, b = (old or "").split("\n"), (new or "").split("\n")
    rows: list[dict] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            rows += [{"kind": "equal", "left": escape(x), "right": escape(x)} for x in a[i1:i2]]
            continue
        left, right = a[i1:i2], b[j1:j2]
        for n in range(max(len(left), len(right))):
            if n < len(left) and n < len(right):
                l, r = _word_marks(left[n], right[n])
                rows.append({"kind": "change", "left": l, "right": r})
            elif n < len(left):
                rows.append({"kind": "delete", "left": escape(left[n]), "right": Markup("")})
            else:
                rows.append({"kind": "insert", "left": Markup(""), "right": escape(right[n])})
    return rows


def _bibtex_escape(value) -> str:
    return re.sub(r"([{}\\\\&%$#_^~])", r"\\\1", "" if value is None else str(value))


def citation(*, headline, byline, portal, published, original_url, captured, permalink, key) -> dict:
    """The three forms of the "cite this" block of a version: ``text``, ``bibtex`` and
    ``csl_json`` (strings ready to copy)."""
    pub = times(published) or {}
    cap = times(captured) or {}
    text_form = (f"{byline + '. ' if byline else ''}“{headline}.” {portal}, {pub.get('date') or 'n.d.'}. "
                 f"{original_url}. Archived {cap.get('utc') or captured}: {permalink}")
    date_parts = lambda d: [[int(x) for x in d.split("-")]] if d and re.match(r"^\d{4}-\d\d-\d\d$", d) else None  # noqa: E731
    csl = {"id": key, "type": "article-newspaper", "title": headline, "container-title": portal,
           "language": "bn", "URL": original_url, "archive": "newsspider archive of " + portal,
           "archive_location": permalink}
    if byline:
        csl["author"] = [{"literal": byline}]
    if date_parts(pub.get("date")):
        csl["issued"] = {"date-parts": date_parts(pub.get("date"))}
    if cap.get("utc") and date_parts(cap["utc"][:10]):
        csl["accessed"] = {"date-parts": date_parts(cap["utc"][:10])}
    fields = [("title", headline), ("author", "{" + _bibtex_escape(byline) + "}" if byline else None),
              ("journal", portal), ("date", pub.get("date")), ("url", original_url),
              ("urldate", (cap.get("utc") or "")[:10] or None), ("language", "bengali"),
              ("note", f"Archived {cap.get('utc') or captured} at \\url{{{permalink}}}")]
    verbatim = {"author", "url", "note"}  # url is verbatim in biblatex; the others are escaped already
    body = ",\n".join(f"  {name} = {{{value if name in verbatim else _bibtex_escape(value)}}}"
                      for name, value in fields if value)
    return {"text": text_form, "bibtex": f"@online{{{key},\n{body}\n}}",
            "csl_json": json.dumps([csl], ensure_ascii=False, indent=2)}


_LATIN_RUN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9 .,:;/%&'’()+\-]*[A-Za-z0-9)%])?")


def latin_runs(value, limit: int = 20000) -> Markup:
    """``value`` escaped, with each run of Latin letters and digits in
    ``<span class="latin">`` (drawn in a Latin font, where the text's own font is a Bangla
    one that has Latin glyphs too). Past ``limit`` characters the text is only escaped: a
    paragraph of a megabyte is shown, not dressed."""
    value = "" if value is None else str(value)
    if len(value) > limit:
        return escape(value)
    out, pos = [], 0
    for m in _LATIN_RUN.finditer(value):
        out.append(escape(value[pos:m.start()]))
        out.append(Markup('<span class="latin">{}</span>').format(m.group(0)))
        pos = m.end()
    out.append(escape(value[pos:]))
    return Markup("").join(out)


def decode_body(body: bytes, content_type: str | None) -> str:
    """A stored response's text, in the charset its Content-Type names, else UTF-8; a
    charset that is unknown or no text encoding (``zlib``, ``idna``: the page's data)
    falls back to UTF-8, with undecodable bytes replaced."""
    charset = "utf-8"
    if content_type and "charset=" in content_type.lower():
        charset = content_type.lower().split("charset=", 1)[1].split(";")[0].strip().strip("\"'") or "utf-8"
    try:
        return body.decode(charset, errors="replace")
    except (LookupError, UnicodeError, ValueError):
        return body.decode("utf-8", errors="replace")
