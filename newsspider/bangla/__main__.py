"""``python -m newsspider.bangla --write-unicode-tables``: regenerate
``_unicode_tables.py`` from this Python's Unicode database (after a change to
``text.build_unicode_tables``, or for another Unicode version; a test says when)."""

import sys

from newsspider.bangla.text import write_unicode_tables

if sys.argv[1:] != ["--write-unicode-tables"]:
    sys.exit("usage: python -m newsspider.bangla --write-unicode-tables")
print(write_unicode_tables())
