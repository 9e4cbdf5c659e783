"""Datasette --plugins-dir shim: registers the hooks of newsspider.datasette_plugins.archive."""

from newsspider.datasette_plugins.archive import (  # noqa: F401  (pluggy finds them by name)
    asgi_wrapper,
    extra_css_urls,
    extra_template_vars,
    prepare_connection,
    prepare_jinja2_environment,
    register_facet_classes,
    register_routes,
    render_cell,
    startup,
)
