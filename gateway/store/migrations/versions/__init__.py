"""One module per schema revision, applied in order by Alembic (``0001_initial`` first)."""
