"""The archive's own Datasette plugins, templates and static files.

Datasette loads them through ``newsspider.browse.datasette_command``:
``--plugins-dir`` (``load/``: one shim file that registers the hooks of
:mod:`newsspider.datasette_plugins.archive`), ``--template-dir`` (``templates/``) and
``--static newsspider:<static/>``.

- :mod:`.text`    the article body as paragraphs, diffs as coloured lines, SQL functions
- :mod:`.charts`  small inline-SVG bar charts (no JavaScript, nothing fetched from a CDN)
- :mod:`.archive` the hooks: cells, charts on canned queries, home-page summary, the
  article page's related articles / versions / credits / stored responses, facets on
  agency and month, the raw stored response, the articles table's default columns
"""

from pathlib import Path

HERE = Path(__file__).resolve().parent
PLUGINS_DIR = HERE / "load"
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
STATIC_MOUNT = "newsspider"
