"""Frozen modules of the revisions (types, values, SQL they carry), imported by plain name.

Alembic reads revisions only from the folder above, so these live one level down;
``agno_models.migration_context`` puts this folder on ``sys.path``. Never edit a frozen module
in a way that changes what an applied revision does: add new names or new modules instead.
"""
