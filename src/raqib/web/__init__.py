"""The review console: server-rendered pages under /ui/ (Jinja2, autoescaped), our own static
CSS and JavaScript (no inline script, no third-party code), forms that work without JavaScript
and keyboard shortcuts when it runs. No business logic: pages call raqib.review and raqib.auth."""
