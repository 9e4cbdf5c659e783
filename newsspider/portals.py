"""The registry of portals: which sites the archive keeps, and how each is crawled.

A registry is one TOML file (``newsspider/portals.toml``, documented there; the sample
portal's is ``newsspider/sampleportal/portals.toml``), chosen with the ``PORTALS_FILE``
setting. Each ``[portals.NAME]`` table becomes a ``Portal``. The file is data an
operator wrote, but it is checked like any input: a bad base URL, time zone, profile or
number is one line naming the portal and the key (``RegistryError``), never a crawl of
the wrong site.

``portal`` (the column every table of the archive has) is a portal's ``name``. A crawl
given only a base URL that no entry has gets the host as its name (``example.com``,
``127.0.0.1:8000``), so ad hoc crawls keep working.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newsspider.urls import UrlPolicy, fold

DEFAULT_FILE = Path(__file__).with_name("portals.toml")
SAMPLE_FILE = Path(__file__).parent / "sampleportal" / "portals.toml"
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
KEYS = {"title", "base_url", "timezone", "language", "profile", "delay", "concurrency", "revisit",
        "articles", "seed"}


class RegistryError(ValueError):
    """A registry file that cannot be used, with the reason in one line."""


@dataclass(frozen=True)
class Portal:
    name: str
    base_url: str
    timezone: str
    title: str = ""
    language: str = "bn"
    profile: str | None = None
    delay: float | None = None           # None: the DOWNLOAD_DELAY setting
    concurrency: int | None = None       # None: the CONCURRENT_REQUESTS_PER_DOMAIN setting
    revisit: tuple | None = None         # None: the REVISIT_SCHEDULE setting
    kind: str = "real"                   # "sample": the bundled sample portal
    articles: int | None = None          # sample portals: the generator's size
    seed: int | None = None              # sample portals: the generator's seed

    @property
    def host(self) -> str:
        return UrlPolicy(self.base_url).host

    def settings(self) -> dict:
        """The Scrapy settings this portal's crawler runs with (below ``-s``)."""
        out = {"PORTAL_URL": self.base_url, "PORTAL_TIMEZONE": self.timezone, "PORTAL_NAME": self.name}
        if self.delay is not None:
            out["DOWNLOAD_DELAY"] = self.delay
        if self.concurrency is not None:
            out["CONCURRENT_REQUESTS_PER_DOMAIN"] = self.concurrency
        if self.revisit is not None:
            out["REVISIT_SCHEDULE"] = [list(step) for step in self.revisit]
        return out


@dataclass(frozen=True)
class Registry:
    path: str
    portals: dict                        # name -> Portal, in file order
    default: str
    kind: str

    def get(self, name: str) -> Portal:
        try:
            return self.portals[name]
        except KeyError:
            raise RegistryError(f"no portal named {name!r} in {self.path}; portals: {', '.join(self.portals)}") from None

    def select(self, spec: str) -> list[Portal]:
        """``all``, one name, or names separated by commas."""
        spec = (spec or "").strip()
        if spec == "all":
            return list(self.portals.values())
        names = [n.strip() for n in spec.split(",") if n.strip()]
        if not names:
            raise RegistryError("portal= is empty: give a portal's name, several separated by commas, or all")
        chosen = []
        for n in names:
            p = self.get(n)
            if p not in chosen:
                chosen.append(p)
        return chosen

    def for_url(self, base_url: str) -> Portal | None:
        """The entry whose base URL is ``base_url`` (any spelling ``fold`` equates)."""
        key = fold(base_url if base_url.endswith("/") else base_url + "/")
        for p in self.portals.values():
            if fold(p.base_url) == key:
                return p
        return None


def name_for_url(base_url: str, registry: Registry | None = None) -> str:
    """The portal name of a crawl of ``base_url``: its registry entry's, else its host."""
    if registry is not None:
        found = registry.for_url(base_url)
        if found is not None:
            return found.name
    parts = urlsplit(base_url)
    host = (parts.hostname or "").removeprefix("www.")
    return f"{host}:{parts.port}" if parts.port else host


def known_portal(base_url: str) -> Portal | None:
    """The entry of ``base_url`` in the project's registry or the sample portal's."""
    for path in (DEFAULT_FILE, SAMPLE_FILE):
        found = load(path).for_url(base_url)
        if found is not None:
            return found
    return None


def load(path: str | Path | None = None) -> Registry:
    """The registry in ``path`` (default: newsspider/portals.toml), checked."""
    return _load(str(Path(path or DEFAULT_FILE).resolve()))


def for_settings(settings) -> Registry:
    """The registry a crawl's settings name (``PORTALS_FILE``; relative to the project)."""
    path = settings.get("PORTALS_FILE") or DEFAULT_FILE
    path = Path(path)
    if not path.is_absolute():
        path = Path(__file__).resolve().parent.parent / path
    return load(path)


@lru_cache(maxsize=8)
def _load(path: str) -> Registry:
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise RegistryError(f"cannot read the portal registry {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"the portal registry {path} is not valid TOML: {exc}") from None
    kind = data.get("kind", "real")
    if kind not in ("real", "sample"):
        raise RegistryError(f"{path}: kind = {kind!r}: give \"real\" or \"sample\"")
    tables = data.get("portals")
    if not isinstance(tables, dict) or not tables:
        raise RegistryError(f"{path} describes no portal: add a [portals.NAME] table")
    portals = {}
    hosts: dict[str, str] = {}
    for name, entry in tables.items():
        p = _portal(path, name, entry, kind)
        other = hosts.get(p.host.removeprefix("www."))
        if other:
            raise RegistryError(f"{path}: portals {other!r} and {name!r} have the same host {p.host}")
        hosts[p.host.removeprefix("www.")] = name
        portals[name] = p
    default = data.get("default", next(iter(portals)))
    if default not in portals:
        raise RegistryError(f"{path}: default = {default!r} names no portal; portals: {', '.join(portals)}")
    return Registry(path, portals, default, kind)


def _portal(path: str, name: str, entry, kind: str) -> Portal:
    where = f"{path}: [portals.{name}]"
    if not NAME.fullmatch(name):
        raise RegistryError(f"{where}: a name is lower-case letters, digits, - and _ (up to 40)")
    if not isinstance(entry, dict):
        raise RegistryError(f"{where} is not a table")
    unknown = sorted(set(entry) - KEYS)
    if unknown:
        raise RegistryError(f"{where}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                            f"keys: {', '.join(sorted(KEYS))}")
    base = entry.get("base_url")
    if not isinstance(base, str):
        raise RegistryError(f"{where}: base_url is missing")
    if not base.endswith("/"):
        base += "/"
    try:
        policy = UrlPolicy(base)
    except ValueError:
        raise RegistryError(f"{where}: base_url = {entry['base_url']!r} is not a portal's address "
                            "(http(s)://host/)") from None
    if urlsplit(base).path not in ("", "/") or policy.refusal(base):
        raise RegistryError(f"{where}: base_url = {entry['base_url']!r}: give the site's root, http(s)://host/")
    tz = entry.get("timezone")
    try:
        ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError):
        raise RegistryError(f"{where}: timezone = {tz!r} is not a time zone (e.g. Asia/Dhaka)") from None
    profile = entry.get("profile")
    if profile is not None:
        from newsspider.parse.profiles import all_profiles

        names = sorted({p.name for p in all_profiles()})
        if profile not in names:
            raise RegistryError(f"{where}: profile = {profile!r} is no site profile; profiles: {', '.join(names)}")
    delay = entry.get("delay")
    if delay is not None and (isinstance(delay, bool) or not isinstance(delay, (int, float)) or delay < 0):
        raise RegistryError(f"{where}: delay = {delay!r}: give seconds, 0 or more")
    conc = entry.get("concurrency")
    if conc is not None and (isinstance(conc, bool) or not isinstance(conc, int) or conc < 1):
        raise RegistryError(f"{where}: concurrency = {conc!r}: give a whole number, 1 or more")
    revisit = entry.get("revisit")
    if revisit is not None:
        ok = isinstance(revisit, list) and revisit and all(
            isinstance(s, list) and len(s) == 2 and all(isinstance(x, int) and x > 0 for x in s) for s in revisit)
        if not ok or [s[0] for s in revisit] != sorted(s[0] for s in revisit):
            raise RegistryError(f"{where}: revisit = {revisit!r}: give [[age, interval], ...] in seconds, "
                                "ages rising")
        revisit = tuple(tuple(s) for s in revisit)
    for key in ("articles", "seed"):
        v = entry.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
            raise RegistryError(f"{where}: {key} = {v!r}: give a whole number")
    return Portal(name=name, base_url=base, timezone=str(tz), title=str(entry.get("title", name)),
                  language=str(entry.get("language", "bn")), profile=profile,
                  delay=float(delay) if delay is not None else None, concurrency=conc, revisit=revisit,
                  kind=kind, articles=entry.get("articles"), seed=entry.get("seed"))
