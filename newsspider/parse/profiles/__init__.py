"""Site profiles: a portal template's selectors and rules, as data, versioned.

A profile names, as XPath, where its template keeps each field; the extractor tries
those first and falls back to the generic layer for anything a profile leaves out or
that comes back empty. Like fundus' parser versions, a portal that changes its template
gets a new ``Profile`` with ``valid_from`` set, and old stored pages re-parse with the
profile whose signature they match (or, failing that, the one valid at fetch time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import lxml.etree

from newsspider.parse.document import Document

_COMPILED: dict = {}
_SIGNATURES: dict = {}


@dataclass(frozen=True)
class Profile:
    name: str
    version: str
    hosts: frozenset[str]
    # An XPath whose presence identifies the template (also when served elsewhere,
    # e.g. the bundled sample portal on 127.0.0.1).
    signature: str
    # field -> XPath of the element(s) holding it
    selectors: dict[str, str] = field(default_factory=dict)
    # URL paths of article pages and of section (listing) pages, for the spider
    article_paths: tuple[str, ...] = ()
    section_paths: tuple[str, ...] = ()
    # The portal's zone, for dates printed without an offset (None: what the page says)
    timezone: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None

    @property
    def id(self) -> str:
        return f"{self.name}/{self.version}"

    def matches(self, doc: Document) -> bool:
        # First the class words the signature needs, in the page's bytes: a page of
        # another portal rarely spells them at all (``Document.source_may_spell``). A page
        # that does is nearly always the template's, whose fields need the class pass
        # (``_class_hits``) anyway: a one-step signature with class predicates is answered
        # from it (its step is one of the pass's first steps), not by a walk of its tag's
        # elements (36 us on a sample-portal page). Others: lxml's XPath.
        found = _SIGNATURES.get(self.signature)
        if found is None:
            steps = _compile_steps(self.signature)
            if steps is not None and len(steps.steps) == 1 and steps.first_id is not None:
                # contains(@class, w) and the token test both need w inside the class value
                found = (tuple(word for _, word in steps.steps[0][1]),
                         lambda doc: bool(steps.from_hits(doc.root, _class_hits(doc))))
            else:
                xpath = lxml.etree.XPath(self.signature)
                found = ((), lambda doc: bool(xpath(doc.root)))
            _SIGNATURES[self.signature] = found
        words, test = found
        for word in words:
            if not doc.source_may_spell(word):
                return False
        return test(doc)

    def select(self, doc: Document, field: str) -> list:
        """The elements the profile names for a field ([] when it names none)."""
        xpath = self.selectors.get(field)
        return _evaluate(self.compiled(xpath), doc) if xpath else []

    @staticmethod
    def compiled(xpath: str):
        """A callable root -> [elements] for the XPath: a plain-Python evaluator when the
        expression is a chain of ``//tag[predicate]`` steps of the kinds profiles use
        (an XPath evaluation costs ~15 µs a call on a small page; these a few µs), else
        lxml's XPath. Both give the same elements in document order."""
        found = _COMPILED.get(xpath)
        if found is None:
            found = _COMPILED[xpath] = _compile_steps(xpath) or lxml.etree.XPath(xpath)
        return found

    def is_article_path(self, path: str) -> bool:
        return any(re.search(p, path) for p in self.article_paths)

    def is_section_path(self, path: str) -> bool:
        return any(re.search(p, path) for p in self.section_paths)


def all_profiles() -> list[Profile]:
    from newsspider.parse.profiles import usbanglanews

    return list(usbanglanews.PROFILES)


def _load_profiles() -> list[Profile]:
    """Every profile, with its signature and selectors compiled: their class steps are
    registered before the first page's class pass, which then serves them all."""
    global _PROFILES
    if _PROFILES is None:
        profiles = all_profiles()
        for p in profiles:
            p.compiled(p.signature)
            for xpath in p.selectors.values():
                p.compiled(xpath)
        _PROFILES = profiles
    return _PROFILES


_PROFILES: list[Profile] | None = None


def profile_for_host(host: str) -> Profile | None:
    """The newest profile of the portal served at ``host`` (also when its template
    changed and no signature matches: the portal's settings, e.g. its zone, still hold)."""
    host = (host or "").lower()
    matching = [p for p in _load_profiles() if host in p.hosts]
    return max(matching, key=lambda p: p.valid_from or date.min) if matching else None


def select_profile(doc: Document) -> Profile | None:
    """The profile whose template signature the page carries; among several (versions
    of one portal) the newest that matches."""
    matching = [p for p in _load_profiles() if p.matches(doc)]
    if not matching:
        return None
    return max(matching, key=lambda p: p.valid_from or date.min)


# --------------------------------------------------------------------------- fast selectors

_STEP_RE = re.compile(r"//(\*|[A-Za-z][A-Za-z0-9]*)((?:\[[^\[\]]*(?:\([^()]*\))?[^\[\]]*\])*)")
_PRED_RE = re.compile(r"\[([^\[\]]*)\]")
_CONTAINS_RE = re.compile(r"^contains\(@class,\s*'([^'\s]+)'\)$")
_TOKEN_RE = re.compile(r"^contains\(concat\('\s?',\s*normalize-space\(@class\),\s*'\s?'\),\s*' ([^'\s]+) '\)$")
_POSITION_RE = re.compile(r"^position\(\)\s*>\s*(\d+)$")
_XML_SPACE = re.compile(r"[ \t\r\n]+")


def _compile_steps(xpath: str):
    """Translate ``//a[p]//b[q]...`` (predicates: ``contains(@class,'x')``, the
    ``concat(' ',normalize-space(@class),' ')`` class-token test, and ``position()>N`` as
    a step's first predicate) into a Python evaluator; None for anything else."""
    steps = []
    pos = 0
    for m in _STEP_RE.finditer(xpath):
        if m.start() != pos:
            return None
        pos = m.end()
        tag, preds_src = m.group(1), m.group(2)
        preds, after = [], None
        for i, pm in enumerate(_PRED_RE.finditer(preds_src)):
            text = pm.group(1).strip()
            if (c := _CONTAINS_RE.match(text)):
                preds.append(("contains", c.group(1)))
            elif (c := _TOKEN_RE.match(text)):
                preds.append(("token", c.group(1)))
            elif (c := _POSITION_RE.match(text)) and i == 0 and tag != "*":
                after = int(c.group(1))
            else:
                return None
        if "".join(pm.group(0) for pm in _PRED_RE.finditer(preds_src)) != preds_src:
            return None
        steps.append((tag, tuple(preds), after))
    if not steps or pos != len(xpath):
        return None
    return _StepPath(tuple(steps))


def _class_ok(cls: str, preds) -> bool:
    for kind, value in preds:
        if kind == "contains":
            if value not in cls:
                return False
        elif value not in cls or value not in _XML_SPACE.split(cls):
            return False
    return True


def _first(pair):
    return pair[0]


_CLASS_ATTRS = lxml.etree.XPath("//@class")

# First steps with class predicates, of every compiled profile XPath: predicates -> id.
_FIRST_STEPS: dict[tuple, int] = {}
# class attribute value -> ids of the first steps whose predicates it satisfies, shared by
# all documents (a portal's pages repeat the same class strings); cleared when a step
# is registered, bounded.
_CLASS_STEPS: dict[str, tuple] = {}


def _first_step_id(preds: tuple) -> int:
    sid = _FIRST_STEPS.get(preds)
    if sid is None:
        sid = _FIRST_STEPS[preds] = len(_FIRST_STEPS)
        _CLASS_STEPS.clear()
    return sid


def _class_hits(doc: Document) -> dict:
    """{first-step id: [(document position, element), ...] in document order} for every
    registered first step, built once per document by one XPath call over the class
    attributes: each distinct class string is tested against the steps once (then
    looked up), and only the elements some step wants are fetched."""
    cached = doc.__dict__.get("_class_hits")
    if cached is not None and cached[0] == len(_FIRST_STEPS):
        return cached[1]
    steps = list(_FIRST_STEPS.items())
    if len(_CLASS_STEPS) >= 100_000:
        _CLASS_STEPS.clear()
    hits: dict = {}
    values = _CLASS_ATTRS(doc.root)
    doc.__dict__["_class_values"] = values  # the page's class attributes: generic reads them too
    for i, value in enumerate(values):
        ids = _CLASS_STEPS.get(value)
        if ids is None:
            key = str(value)  # not the smart string: it would keep the tree alive
            ids = _CLASS_STEPS[key] = tuple(sid for preds, sid in steps if _class_ok(key, preds))
        if ids:
            el = value.getparent()
            for sid in ids:
                found = hits.get(sid)
                if found is None:
                    hits[sid] = [(i, el)]
                else:
                    found.append((i, el))
    doc.__dict__["_class_hits"] = (len(_FIRST_STEPS), hits)
    return hits


def _class_index(doc: Document) -> dict:
    """{class attribute value: [(document position, element), ...]}, built once per
    document by one XPath call (cheaper than visiting every element from Python)."""
    index = doc.__dict__.get("_class_index")
    if index is None:
        index = doc.__dict__["_class_index"] = {}
        for i, value in enumerate(_CLASS_ATTRS(doc.root)):
            index.setdefault(str(value), []).append((i, value.getparent()))
    return index


def _evaluate(compiled, doc: Document) -> list:
    if isinstance(compiled, _StepPath):
        if compiled.first_id is not None:
            return compiled.from_hits(doc.root, _class_hits(doc))
        return compiled(doc.root)
    return compiled(doc.root)


def _step_ok(el, preds, after) -> bool:
    if preds:
        cls = el.get("class")
        if cls is None or not _class_ok(cls, preds):
            return False
    if after is not None:
        position = 1
        for _ in el.itersiblings(el.tag, preceding=True):
            position += 1
            if position > after:
                break
        if position <= after:
            return False
    return True


class _StepPath:
    """``//s1//s2//...//sn``: the elements matching sn that have, among their proper
    ancestors, a chain matching s1 ... sn-1 in that order; each once, in document order."""

    __slots__ = ("steps", "first_id", "ids")

    def __init__(self, steps):
        self.steps = steps
        # the steps with class predicates find their elements in ``_class_hits``
        self.ids = tuple(_first_step_id(preds) if preds else None for _, preds, _ in steps)
        self.first_id = self.ids[0]

    def from_hits(self, root, hits: dict) -> list:
        """The elements, from the class matches of the steps (``_class_hits``): those of
        a later step are kept when an element of the step before is a proper ancestor
        (document order and each once, as the walk below each anchor gives them)."""
        tag, _, after = self.steps[0]
        found = [el for _, el in hits.get(self.first_id, ())
                 if (tag == "*" or el.tag == tag) and (after is None or _step_ok(el, (), after))]
        for k in range(1, len(self.steps)):
            if not found:
                break
            sid = self.ids[k]
            if sid is None:
                found = self._descend(found, k, k + 1)
                continue
            tag, _, after = self.steps[k]
            anchors = set(found)
            found = [el for _, el in hits.get(sid, ())
                     if (tag == "*" or el.tag == tag) and any(a in anchors for a in el.iterancestors())
                     and (after is None or _step_ok(el, (), after))]
        return found

    def __call__(self, root, classes: dict | None = None) -> list:
        tag, preds, after = self.steps[0]
        if classes is not None and preds:
            # Only elements with a class can match: test each distinct class string once.
            if len(preds) == 1 and preds[0][0] == "contains":
                value = preds[0][1]
                matched = [els for cls, els in classes.items() if value in cls]
            else:
                matched = [els for cls, els in classes.items() if _class_ok(cls, preds)]
            hits = []
            for els in matched:
                hits.extend(els if tag == "*" else [(i, el) for i, el in els if el.tag == tag])
            if len(hits) > 1:
                hits.sort(key=_first)
            found = [el for _, el in hits if after is None or _step_ok(el, (), after)]
        else:
            it = root.iter(lxml.etree.Element) if tag == "*" else root.iter(tag)
            found = [el for el in it if _step_ok(el, preds, after)]
        return self._descend(found, 1, len(self.steps))

    def _descend(self, found: list, start: int, stop: int) -> list:
        for tag, preds, after in self.steps[start:stop]:
            if not found:
                break
            anchors = set(found) if len(found) > 1 else None
            out: list = []
            for anchor in found:
                if anchors is not None and any(a in anchors for a in anchor.iterancestors()):
                    continue  # inside an earlier anchor, whose walk covers it
                it = anchor.iter(lxml.etree.Element) if tag == "*" else anchor.iter(tag)
                out.extend(el for el in it if el is not anchor and _step_ok(el, preds, after))
            found = out
        return found
