"""The shared UI kit every context's pages use: Jinja2 templates, translations, navigation, CSRF protection."""
