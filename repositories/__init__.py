"""How agno-models is read and written: agno ``db`` classes over the ``agno_models`` tables."""
