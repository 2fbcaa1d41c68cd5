"""Migrate the embedded SQLite default (``sqlite:///agno.db``) and show what it now holds."""

from __future__ import annotations

import sqlalchemy as sa

from agno_models import migrate
from agno_models.engine import create_engine


def main() -> None:
    url = migrate.database_url()
    migrate.upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        print(f"{url} is at revision {migrate.current_revision(conn)} (head: {migrate.head_revision()})\n")
        inspector = sa.inspect(conn)
        for table in sorted(inspector.get_table_names()):
            columns = len(inspector.get_columns(table))
            rows = conn.execute(sa.text(f'SELECT COUNT(*) FROM "{table}"')).scalar()
            print(f"  {table:<28} {columns:>3} columns {rows:>6} rows")
    engine.dispose()


if __name__ == "__main__":
    main()
