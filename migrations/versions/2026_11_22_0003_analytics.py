"""Analytics: typed run columns, session counters, and views.

Additive only:
- ``runs`` gains typed copies of what people aggregate (model, tokens, cost, durations, error
  text, creation time and day), ``sessions`` its ``run_count`` and ``last_run_at``; rows already
  stored are backfilled in batches by ``_0003_analytics`` (this revision's frozen copy of the
  derivation the repositories used when they wrote), with a progress bar on stderr;
- six views, named after the table set's own tables (``<runs>_daily_usage``,
  ``<sessions>_overview``, ``<memories>_topics``, ``<memories>_user_topics``,
  ``<traces>_latency``, ``<spans>_latency``): the same columns and meaning on every dialect;
  only JSON access and the expansion of memory topics are written per dialect.

Percentiles interpolate as PostgreSQL's ``percentile_cont`` (and agno's and this package's trace
statistics) do, computed with ROW_NUMBER and integer arithmetic so every dialect gets the same
number. Views are not tables: Alembic's comparison never sees
them. A later revision that must rebuild one of these tables (SQLite batch "move and copy",
PostgreSQL column type changes) drops the views first and recreates them after.

Repeatable: every column, index and view is added only if the database lacks it (views with
CREATE OR REPLACE, the same definition), and the backfill recomputes every row, so on MySQL,
where each ALTER commits on its own, an upgrade killed half-way (say during the backfill) is
completed by the next one.

Downgrade drops the views, then the columns. On SQLite it uses ``ALTER TABLE ... DROP COLUMN``
(SQLite 3.35+) instead of batch mode: rebuilding ``sessions`` would drop the table, and with
foreign keys on, that cascades to every run.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

# The runtime contract first: importing it makes the frozen modules below importable.
from agno_models.migration_context import MigratedNames, names_in_context
from agno_models.migration_context import owned_op as op

# isort: split
import _0001_types as t
import _0003_analytics as analytics
import _repeatable

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUN_INDEXES = ("model_id", "created_time", "created_date")


def _run_columns() -> list[sa.Column]:
    return [
        sa.Column('model_id', t.name_string(), nullable=True),
        sa.Column('model_provider', t.id_string(), nullable=True),
        *[sa.Column(name, sa.BigInteger(), nullable=True) for name in analytics.TOKEN_COLUMNS],
        sa.Column('cost_nanos', sa.BigInteger(), nullable=True),
        sa.Column('duration_ms', sa.BigInteger(), nullable=True),
        sa.Column('time_to_first_token_ms', sa.BigInteger(), nullable=True),
        sa.Column('error_message', t.long_text(), nullable=True),
        sa.Column('created_time', t.UTCDateTime(), nullable=True),
        sa.Column('created_date', sa.Date(), nullable=True),
    ]


def upgrade() -> None:
    n = names_in_context()
    bind = op.get_bind()
    # Batch mode is SQLite's way to ALTER; adding columns and indexes needs no table rebuild.
    # Only what is missing: a half-applied run of this revision left the rest committed.
    _add_missing(bind, n.runs, _run_columns(), [f'ix_{n.runs}_{name}' for name in RUN_INDEXES])
    _add_missing(bind, n.sessions, _session_columns(), [f'ix_{n.sessions}_last_run_at'])

    analytics.backfill_runs(bind, n)
    analytics.backfill_sessions(bind, n)

    # MySQL: read with the reader's own privileges, not the migrating user's (who may be dropped later).
    # PostgreSQL and MySQL replace a view left by a half-applied run (the same definition); SQLite's
    # DDL is transactional, so a view there is already complete.
    create = {
        "mysql": "CREATE OR REPLACE SQL SECURITY INVOKER VIEW", "mariadb": "CREATE OR REPLACE SQL SECURITY INVOKER VIEW",
        "postgresql": "CREATE OR REPLACE VIEW",
    }.get(bind.dialect.name, "CREATE VIEW IF NOT EXISTS")
    for name, select in _view_definitions(bind.dialect, n, analytics.view_names(n)):
        op.execute(sa.text(f"{create} {_quote(bind.dialect, name)} AS {select}"))


def _session_columns() -> list[sa.Column]:
    return [
        sa.Column('run_count', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('last_run_at', sa.BigInteger(), nullable=True),
    ]


def _add_missing(bind: sa.engine.Connection, table: str, columns: list[sa.Column], indexes: list[str]) -> None:
    """Add the columns, then the one-column indexes named ``ix_<table>_<column>``, the database lacks."""
    columns = _repeatable.missing_columns(bind, table, columns)
    present = _repeatable.index_names(bind, table)
    with op.batch_alter_table(table) as batch:
        for column in columns:
            batch.add_column(column)
        for index in indexes:
            if index not in present:
                batch.create_index(op.f(index), [index.removeprefix(f'ix_{table}_')], unique=False)


def downgrade() -> None:
    n = names_in_context()
    bind = op.get_bind()
    if bind.dialect.name == "sqlite" and tuple(bind.dialect.server_version_info or ()) < (3, 35, 0):
        raise RuntimeError(
            "downgrading revision 0003 needs SQLite 3.35 or later (ALTER TABLE DROP COLUMN); this Python has "
            f"SQLite {'.'.join(map(str, bind.dialect.server_version_info or ()))}. Nothing was changed."
        )
    for name in reversed(analytics.view_names(n).in_creation_order()):
        op.execute(sa.text(f"DROP VIEW IF EXISTS {_quote(bind.dialect, name)}"))
    # Indexes first: SQLite cannot drop an indexed column.
    op.drop_index(op.f(f'ix_{n.sessions}_last_run_at'), table_name=n.sessions)
    for name in ('last_run_at', 'run_count'):
        op.drop_column(n.sessions, name)
    for name in RUN_INDEXES:
        op.drop_index(op.f(f'ix_{n.runs}_{name}'), table_name=n.runs)
    for column in reversed(_run_columns()):
        op.drop_column(n.runs, column.name)


# --- view definitions -------------------------------------------------------------------------


def _quote(dialect: sa.engine.Dialect, name: str) -> str:
    return dialect.identifier_preparer.quote(name)


def _json_string(dialect: str, column: str, key: str) -> str:
    """The string at ``column[key]``, NULL when missing or not a string (a JSON null is not 'null')."""
    if dialect == "postgresql":
        return f"CASE WHEN jsonb_typeof({column} -> '{key}') = 'string' THEN {column} ->> '{key}' END"
    path = f"'$.\"{key}\"'"
    if dialect == "mysql":
        return (f"CASE WHEN JSON_TYPE(JSON_EXTRACT({column}, {path})) = 'STRING' "
                f"THEN JSON_UNQUOTE(JSON_EXTRACT({column}, {path})) END")
    return f"CASE WHEN json_type({column}, {path}) = 'text' THEN json_extract({column}, {path}) END"


def _topics_of(dialect: sa.engine.Dialect, memories: str) -> tuple[str, str]:
    """(FROM clause yielding one row per topic of each memory as ``t``, the topic expression).

    Only JSON arrays expand; topics compare and sort byte by byte, as every other string here.
    """
    if dialect.name == "postgresql":
        return (
            (f"{memories} m CROSS JOIN LATERAL jsonb_array_elements_text("
             f"CASE WHEN jsonb_typeof(m.topics) = 'array' THEN m.topics ELSE '[]'::jsonb END) AS t(topic)"),
            't.topic COLLATE "C"',
        )
    if dialect.name in ("mysql", "mariadb"):
        collation = "utf8mb4_nopad_bin" if getattr(dialect, "is_mariadb", False) else "utf8mb4_0900_bin"
        return (
            (f"{memories} m, JSON_TABLE(CASE WHEN JSON_TYPE(m.topics) = 'ARRAY' THEN m.topics ELSE '[]' END, "
             f"'$[*]' COLUMNS (topic LONGTEXT CHARACTER SET utf8mb4 COLLATE {collation} PATH '$')) AS t"),
            "t.topic",
        )
    return (
        f"{memories} m, json_each(CASE WHEN json_type(m.topics) = 'array' THEN m.topics ELSE '[]' END) AS t",
        "CAST(t.value AS TEXT)",
    )


def _percentiles(value: str) -> str:
    """p50 and p95 of ``value`` per group, interpolated as percentile_cont does, over ``ranked`` rows.

    percentile_cont(p) reads position p(n - 1) of the sorted values (0-based), between the
    values at ranks ``low`` and ``low + 1``. With r the 1-based ROW_NUMBER and q = p*n + 100 - p
    (= 100 x that position + 100), the low row has 100r <= q < 100r + 100, the next one
    q < 100r <= q + 100, and the fraction is (q - 100r_low) / 100: integer arithmetic only (no
    dialect's division or floor semantics), and no subtraction that could go negative (MySQL's
    ROW_NUMBER is unsigned).
    """
    columns = []
    for p in (50, 95):
        q = f"({p} * value_count + {100 - p})"
        low_row = f"{value} IS NOT NULL AND value_rank * 100 <= {q} AND {q} < value_rank * 100 + 100"
        next_row = f"{value} IS NOT NULL AND {q} < value_rank * 100 AND value_rank * 100 <= {q} + 100"
        low = f"MAX(CASE WHEN {low_row} THEN {value} END)"
        high = f"COALESCE(MAX(CASE WHEN {next_row} THEN {value} END), {low})"
        fraction = f"MAX(CASE WHEN {low_row} THEN {q} - 100 * value_rank END)"
        columns.append(f"{low} + ({high} - {low}) * {fraction} / 100.0 AS p{p}_{value}")
    return ", ".join(columns)


def _ranked(columns: str, group: str, value: str, source: str) -> str:
    """``source`` with each row's 1-based rank of ``value`` in its group and the group's count of values.

    Rows whose value is NULL form a partition of their own, so they never take a rank among values.
    """
    partition = f"{group}, CASE WHEN {value} IS NULL THEN 1 ELSE 0 END"
    return (
        f"(SELECT {columns}, ROW_NUMBER() OVER (PARTITION BY {partition} ORDER BY {value}) AS value_rank, "
        f"COUNT({value}) OVER (PARTITION BY {partition}) AS value_count FROM {source}) ranked"
    )


def _view_definitions(
    dialect: sa.engine.Dialect, n: MigratedNames, views: analytics.ViewNames
) -> list[tuple[str, str]]:
    def q(name: str) -> str:
        return _quote(dialect, name)

    family = "mysql" if dialect.name in ("mysql", "mariadb") else dialect.name
    tokens = ", ".join(f"SUM({c}) AS {c}" for c in analytics.TOKEN_COLUMNS)

    usage_group = "created_date, agent_id, team_id, workflow_id, user_id, model_id, model_provider"
    usage_columns = f"{usage_group}, status, {', '.join(analytics.TOKEN_COLUMNS)}, cost_nanos, duration_ms"
    daily_usage = (
        f"SELECT created_date AS day, agent_id, team_id, workflow_id, user_id, model_id, model_provider, "
        f"COUNT(*) AS runs, SUM(CASE WHEN status = 'ERROR' THEN 1 ELSE 0 END) AS errors, {tokens}, "
        f"SUM(cost_nanos) AS cost_nanos, SUM(cost_nanos) * 1e-9 AS cost, AVG(duration_ms) AS avg_duration_ms, "
        f"{_percentiles('duration_ms')}, MAX(duration_ms) AS max_duration_ms "
        f"FROM {_ranked(usage_columns, usage_group, 'duration_ms', q(n.runs))} GROUP BY {usage_group}"
    )

    per_session = (
        f"SELECT session_id, SUM(CASE WHEN status = 'ERROR' THEN 1 ELSE 0 END) AS failed_runs, "
        f"MIN(created_at) AS first_run_at, {tokens}, SUM(cost_nanos) AS cost_nanos, "
        f"SUM(duration_ms) AS duration_ms FROM {q(n.runs)} GROUP BY session_id"
    )
    session_name = _json_string(family, "s.session_data", "session_name")
    session_overview = (
        f"SELECT s.session_id, s.session_type, s.agent_id, s.team_id, s.workflow_id, s.user_id, "
        f"{session_name} AS session_name, s.created_at, s.updated_at, s.run_count, "
        f"COALESCE(r.failed_runs, 0) AS failed_runs, r.first_run_at, s.last_run_at, "
        f"{', '.join(f'r.{c}' for c in analytics.TOKEN_COLUMNS)}, r.cost_nanos, r.cost_nanos * 1e-9 AS cost, "
        f"r.duration_ms AS total_duration_ms "
        f"FROM {q(n.sessions)} s LEFT JOIN ({per_session}) r ON r.session_id = s.session_id"
    )

    source, topic = _topics_of(dialect, q(n.memories))
    memory_topics = (
        f"SELECT m.memory_id, m.user_id, m.agent_id, m.team_id, {topic} AS topic, m.created_at, m.updated_at "
        f"FROM {source}"
    )
    memory_user_topics = (
        f"SELECT user_id, topic, COUNT(DISTINCT memory_id) AS memories, MIN(created_at) AS first_created_at, "
        f"MAX(COALESCE(updated_at, created_at)) AS last_updated_at "
        f"FROM {q(views.memory_topics)} WHERE topic IS NOT NULL GROUP BY user_id, topic"
    )

    def latency(kind: str, group: str, columns: str, source: str, error: str) -> str:
        return (
            f"SELECT {group}, COUNT(*) AS {kind}, SUM(CASE WHEN {error} = 'ERROR' THEN 1 ELSE 0 END) AS errors, "
            f"AVG(duration_ms) AS avg_duration_ms, {_percentiles('duration_ms')}, "
            f"MAX(duration_ms) AS max_duration_ms "
            f"FROM {_ranked(columns, group, 'duration_ms', source)} GROUP BY {group}"
        )

    trace_latency = latency("traces", "name", "name, status, duration_ms", q(n.traces), "status")
    # A span's kind: OpenInference's (AGENT, LLM, TOOL, CHAIN, ...) when recorded, else OpenTelemetry's.
    span_kind = _json_string(family, "attributes", "openinference.span.kind")
    spans = f"(SELECT name, COALESCE({span_kind}, span_kind) AS kind, status_code, duration_ms FROM {q(n.spans)}) s"
    span_latency = latency("spans", "name, kind", "name, kind, status_code, duration_ms", spans, "status_code")

    return [
        (views.daily_usage, daily_usage),
        (views.session_overview, session_overview),
        (views.memory_topics, memory_topics),
        (views.memory_user_topics, memory_user_topics),
        (views.trace_latency, trace_latency),
        (views.span_latency, span_latency),
    ]
