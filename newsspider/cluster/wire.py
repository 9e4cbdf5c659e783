"""The distributed mode's wire format: items and requests as MessagePack, never pickle.

What travels through Redis comes from hostile pages (and anyone who can write to the Redis
server could put anything there), so nothing is ever unpickled: items are plain maps of
known fields, rebuilt into the known dataclasses by name (an unknown type or field is
refused with ``WireError``), and bytes stay bytes (a page's body arrives exactly as it was
fetched, without base64's third more in Redis).

``dumps``/``loads`` at module level make this module a scrapy-redis
``SCHEDULER_SERIALIZER`` for the shared request queue (``Request.to_dict()`` maps).
"""

from __future__ import annotations

import dataclasses

import msgpack

from newsspider.items import Article, Failure, FrontPage, NotModified, RawResponse

ITEM_TYPES = {cls.__name__: cls for cls in (Article, Failure, FrontPage, NotModified, RawResponse)}
_FIELDS = {name: {f.name for f in dataclasses.fields(cls)} for name, cls in ITEM_TYPES.items()}
_NESTED_RAW = {"raw"}  # fields holding a RawResponse


class WireError(ValueError):
    """An entry that is not one of ours: refused, never guessed at."""


def dumps(obj) -> bytes:
    return msgpack.packb(obj, use_bin_type=True)


def loads(data: bytes):
    # raw=False: str stays str, bin stays bytes; strict_map_key=False: Request.to_dict's
    # header maps have bytes keys
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


def _fields(item) -> dict:
    out = {}
    for f in dataclasses.fields(item):
        value = getattr(item, f.name)
        if f.name in _NESTED_RAW and value is not None:
            value = {g.name: getattr(value, g.name) for g in dataclasses.fields(value)}
        out[f.name] = value
    return out


def pack_item(item) -> bytes:
    name = type(item).__name__
    if name not in ITEM_TYPES:
        raise WireError(f"not an item type of the archive: {name}")
    return dumps({"t": name, "f": _fields(item)})


def _build(name: str, fields) -> object:
    if name not in ITEM_TYPES or not isinstance(fields, dict):
        raise WireError(f"not an item of the archive: {name!r}")
    unknown = set(fields) - _FIELDS[name]
    if unknown:
        raise WireError(f"{name} has no field {sorted(unknown)[0]!r}")
    fields = dict(fields)
    for key in _NESTED_RAW & set(fields):
        if fields[key] is not None:
            fields[key] = _build("RawResponse", fields[key])
    if name == "RawResponse" and not isinstance(fields.get("body"), bytes):
        raise WireError("a RawResponse's body must be bytes")
    try:
        return ITEM_TYPES[name](**fields)
    except TypeError as exc:
        raise WireError(f"{name}: {exc}") from None


def unpack_item(data: bytes):
    try:
        obj = loads(data)
    except Exception as exc:
        raise WireError(f"not MessagePack: {exc}") from None
    if not isinstance(obj, dict) or "t" not in obj or "f" not in obj:
        raise WireError("not an item entry")
    return _build(obj["t"], obj["f"])
