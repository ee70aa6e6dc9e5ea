"""``favicon.svg``: the hub's icon, which the index page and the feed pages name, so that a
browser does not ask for a ``/favicon.ico`` the hub does not have (a 404 on every visit)."""

from __future__ import annotations

ICON = "favicon.svg"  # its name in the output folder

# The usual feed symbol: a dot and two arcs on an orange square.
ICON_SVG = b"""\
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">
<rect width="16" height="16" rx="3" fill="#f26522"/>
<circle cx="4.5" cy="11.5" r="1.6" fill="#fff"/>
<path d="M3 7.2a5.8 5.8 0 0 1 5.8 5.8M3 3.6a9.4 9.4 0 0 1 9.4 9.4" fill="none" stroke="#fff"
stroke-width="1.8" stroke-linecap="round"/>
</svg>
"""
