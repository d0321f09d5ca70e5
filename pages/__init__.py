"""The control-room pages; each module registers itself with dash.register_page."""
