class TitleConverter:
    """A page title in a URL path: one path segment, kept as typed so the view
    can answer a non-canonical spelling with a permanent redirect."""

    regex = r"[^/]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
