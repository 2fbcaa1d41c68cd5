"""The raw-driver baseline: the benchmarked part of agno's db protocol as hand-written SQL.

``RawDb`` runs on sqlite3, psycopg or pymysql with no SQLAlchemy in between, against a schema made
by our own migrations (so it is exactly as indexed as ours), and sends the same statements our
repositories send for each call: the same upserts with the same ownership guard, returning the
stored rows (PostgreSQL, SQLite) or reading them back (MySQL), the same row lock and run-index
placement, one transaction per call. It converts to and
from agno's objects with agno's own helpers, as any implementation of the protocol must. So the
gap between it and our classes is what our layer costs (statement building, result processing,
the connection pool, the executor), and nothing else.

Only what the benchmark calls is implemented, and only for agent sessions.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from agno.db.base import SessionType
from agno.db.schemas.memory import UserMemory
from agno.db.utils import build_single_run_row, canonical_run_status, deserialize_session

SESSION_COLUMNS = (
    "session_id", "session_type", "agent_id", "team_id", "workflow_id", "user_id", "session_data", "agent_data",
    "team_data", "workflow_data", "metadata", "summary", "created_at", "updated_at",
)
SESSION_JSON = frozenset({"session_data", "agent_data", "team_data", "workflow_data", "metadata", "summary"})
# What an agent session writes (ours writes the same columns, in this order).
SESSION_WRITE = ("session_id", "session_type", "agent_id", "user_id", "session_data", "agent_data", "metadata",
                 "summary", "created_at", "updated_at")
MEMORY_COLUMNS = ("memory_id", "memory", "feedback", "input", "agent_id", "team_id", "user_id", "topics",
                  "created_at", "updated_at")
MEMORY_JSON = frozenset({"memory", "topics"})
MEMORY_BATCH = 1000  # rows per statement: SQLAlchemy's insertmanyvalues page for ours' executemany


class RawDb:
    """Sessions, runs and memories on a bare DB-API connection (one, kept open, like a warm pool)."""

    def __init__(self, dialect: str, connect: Callable[[], Any], schema: str | None = None) -> None:
        if dialect not in ("sqlite", "postgresql", "mysql"):
            raise ValueError(f"unknown dialect {dialect!r}")
        self.dialect = dialect
        self.conn = connect()
        self._sql: dict[tuple[Any, ...], str] = {}  # statements are written once per shape, as by hand
        if dialect == "postgresql":
            from psycopg.types.json import Jsonb

            self._dump: Callable[[Any], Any] = lambda v: None if v is None else Jsonb(v)
            self._load: Callable[[Any], Any] = lambda v: v  # psycopg decodes jsonb itself
        else:
            self._dump = lambda v: None if v is None else json.dumps(v, ensure_ascii=False)
            self._load = lambda v: None if v is None else json.loads(v)
        quote = {"postgresql": '"{}"', "mysql": "`{}`", "sqlite": '"{}"'}[dialect]
        prefix = "" if schema is None else quote.format(schema) + "."
        self.sessions = prefix + "agno_sessions"
        self.runs = prefix + "agno_runs"
        self.memories = prefix + "agno_memories"
        self.statements = 0  # statements sent, for the report
        # Set by the loader when the schema has our analytics columns (agno_models.analytics): runs
        # then carry their typed columns, as ours do (the schema's triggers keep the counters).
        self.analytics = False

    # --- plumbing -------------------------------------------------------------------------------

    def p(self, name: str) -> str:
        return f":{name}" if self.dialect == "sqlite" else f"%({name})s"

    @property
    def _for_update(self) -> str:
        return "" if self.dialect == "sqlite" else " FOR UPDATE"  # SQLite: BEGIN IMMEDIATE holds the lock

    @contextmanager
    def _tx(self, *, writes: bool) -> Iterator[Any]:
        cur = self.conn.cursor()
        try:
            if self.dialect == "sqlite":
                cur.execute("BEGIN IMMEDIATE" if writes else "BEGIN")
            yield cur
            if self.dialect == "sqlite":
                cur.execute("COMMIT")
            else:
                self.conn.commit()
        except BaseException:
            self.conn.rollback()
            raise
        finally:
            cur.close()

    def _execute(self, cur: Any, sql: str, params: dict[str, Any] | None = None) -> Any:
        self.statements += 1
        cur.execute(sql, params or {})
        return cur

    def _rows(self, cur: Any, json_columns: frozenset[str]) -> list[dict[str, Any]]:
        names = [d[0] for d in cur.description]
        load = self._load
        return [
            {n: (load(v) if n in json_columns else v) for n, v in zip(names, row, strict=True)}
            for row in cur.fetchall()
        ]

    def _in(self, prefix: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
        names = [f"{prefix}_{i}" for i in range(len(values))]
        return "(" + ", ".join(self.p(n) for n in names) + ")", dict(zip(names, values, strict=True))

    @property
    def returns_upserted(self) -> bool:
        return self.dialect != "mysql"

    def _upsert_sql(self, table: str, columns: Sequence[str], rows: int, update: Sequence[str], touch: bool,
                    returning: Sequence[str]) -> str:
        """Multi-row INSERT ... ON CONFLICT/DUPLICATE KEY UPDATE guarded by ownership, as ours builds it."""
        shape = (table, tuple(columns), rows, tuple(update), touch, tuple(returning))
        sql = self._sql.get(shape)
        if sql is not None:
            return sql
        values = ", ".join("(" + ", ".join(self.p(f"{c}_{i}") for c in columns) + ")" for i in range(rows))
        head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}"
        incoming = (lambda c: f"VALUES({c})") if self.dialect == "mysql" else (lambda c: f"excluded.{c}")
        assignments = {c: incoming(c) for c in update}
        if touch:
            assignments["updated_at"] = self.p("touch")
        if self.dialect == "mysql":
            guard = f"{table}.user_id = VALUES(user_id) OR {table}.user_id IS NULL"
            # MySQL assigns left to right: the column the guard reads goes last.
            order = sorted(assignments, key=lambda c: c == "user_id")
            sets = ", ".join(f"{c} = IF({guard}, {assignments[c]}, {table}.{c})" for c in order)
            sql = f"{head} ON DUPLICATE KEY UPDATE {sets}"
        else:
            key = columns[0]
            sets = ", ".join(f"{c} = {v}" for c, v in assignments.items())
            guard = f"{table}.user_id = excluded.user_id OR {table}.user_id IS NULL"
            sql = f"{head} ON CONFLICT ({key}) DO UPDATE SET {sets} WHERE {guard} RETURNING {', '.join(returning)}"
        self._sql[shape] = sql
        return sql

    def _upsert(self, cur: Any, table: str, columns: Sequence[str], rows: list[dict[str, Any]],
                update: Sequence[str], json_columns: frozenset[str], touch: int | None,
                returning: Sequence[str], key: str) -> list[dict[str, Any]]:
        """Upsert ``rows``; the stored rows (RETURNING, or read back on MySQL)."""
        sql = self._upsert_sql(table, columns, len(rows), update, touch is not None, returning)
        dump = self._dump
        params = {f"{c}_{i}": (dump(row[c]) if c in json_columns else row[c])
                  for i, row in enumerate(rows) for c in columns}
        if touch is not None:
            params["touch"] = touch
        self._execute(cur, sql, params)
        if self.returns_upserted:
            return self._rows(cur, json_columns)
        in_list, params = self._in("id", [r[key] for r in rows])
        read_back = f"SELECT {', '.join(returning)} FROM {table} WHERE {key} IN {in_list}"
        return self._rows(self._execute(cur, read_back, params), json_columns)

    # --- sessions -------------------------------------------------------------------------------

    @staticmethod
    def _session_row(session: Any, *, updated_at: int | None) -> dict[str, Any]:
        data = session.to_dict(include_runs=False)
        created_at = data.get("created_at") or int(time.time())
        return {
            "session_id": data["session_id"], "session_type": SessionType.AGENT.value, "agent_id": data.get("agent_id"),
            "user_id": data.get("user_id"), "session_data": data.get("session_data"),
            "agent_data": data.get("agent_data"), "metadata": data.get("metadata"), "summary": data.get("summary"),
            "created_at": created_at, "updated_at": updated_at if updated_at is not None else created_at,
        }

    def _write_sessions(self, cur: Any, rows: list[dict[str, Any]], touch: int | None) -> dict[str, dict[str, Any]]:
        update = [c for c in SESSION_WRITE if c not in ("session_id", "session_type", "created_at")]
        if touch is not None:
            update.remove("updated_at")
        stored = self._upsert(cur, self.sessions, SESSION_WRITE, rows, update, SESSION_JSON, touch,
                              SESSION_COLUMNS, "session_id")
        wanted = {r["session_id"]: r["user_id"] for r in rows}
        return {s["session_id"]: s for s in stored if s["user_id"] == wanted[s["session_id"]]}

    def upsert_session(self, session: Any, deserialize: bool | None = True) -> Any:
        row = self._session_row(session, updated_at=None)
        with self._tx(writes=True) as cur:
            record = self._write_sessions(cur, [row], touch=int(time.time())).get(row["session_id"])
        if record is None:
            return None
        if not deserialize:
            record["runs"] = [r if isinstance(r, dict) else r.to_dict() for r in session.runs or []]
            return record
        result = deserialize_session(None, record)
        result.runs = session.runs
        return result

    def upsert_sessions(self, sessions: list[Any], deserialize: bool | None = True,
                        preserve_updated_at: bool = False) -> list[Any]:
        now = int(time.time())
        rows = [self._session_row(s, updated_at=s.updated_at if preserve_updated_at else now) for s in sessions]
        if not rows:
            return []
        with self._tx(writes=True) as cur:
            stored = self._write_sessions(cur, rows, touch=None)
        results = []
        for session in sessions:
            record = stored.get(session.session_id)
            if record is None:
                continue
            record["runs"] = [r if isinstance(r, dict) else r.to_dict() for r in session.runs or []]
            results.append(deserialize_session(None, record) if deserialize else record)
        return results

    def _attach_runs(self, cur: Any, records: list[dict[str, Any]]) -> None:
        if not records:
            return
        in_list, params = self._in("sid", [r["session_id"] for r in records])
        sql = (f"SELECT session_id, run_data FROM {self.runs} WHERE session_id IN {in_list} "
               "ORDER BY session_id, run_index ASC, created_at ASC, run_id ASC")
        by_session: dict[str, list[Any]] = {}
        load = self._load
        for session_id, run_data in self._execute(cur, sql, params).fetchall():
            by_session.setdefault(session_id, []).append(load(run_data))
        for record in records:
            record["runs"] = by_session.get(record["session_id"], [])

    def get_session(self, session_id: str, session_type: SessionType | None = None, user_id: str | None = None,
                    deserialize: bool | None = True, runs_limit: int | None = None) -> Any:
        if runs_limit is not None:
            raise NotImplementedError("the benchmark reads whole sessions")
        sql = f"SELECT {', '.join(SESSION_COLUMNS)} FROM {self.sessions} WHERE session_id = {self.p('sid')}"
        params: dict[str, Any] = {"sid": session_id}
        if user_id is not None:
            sql += f" AND user_id = {self.p('uid')}"
            params["uid"] = user_id
        with self._tx(writes=False) as cur:
            found = self._rows(self._execute(cur, sql, params), SESSION_JSON)
            if not found:
                return None
            self._attach_runs(cur, found)
        return deserialize_session(session_type, found[0]) if deserialize else found[0]

    def get_sessions(self, session_type: SessionType | None = None, user_id: str | None = None,
                     limit: int | None = None, page: int | None = None, sort_by: str | None = None,
                     sort_order: str | None = None, deserialize: bool | None = True, include_runs: bool = True) -> Any:
        if sort_by != "created_at" or limit is None or page is None:
            raise NotImplementedError("the benchmark lists pages sorted by created_at")
        direction = "ASC" if sort_order == "asc" else "DESC"
        where = f"user_id = {self.p('uid')} AND session_type = {self.p('stype')}"
        params: dict[str, Any] = {"uid": user_id, "stype": SessionType(session_type).value,
                                  "limit": limit, "offset": (page - 1) * limit}
        window = (f"LIMIT {self.p('offset')}, {self.p('limit')}" if self.dialect == "mysql"
                  else f"LIMIT {self.p('limit')} OFFSET {self.p('offset')}")
        with self._tx(writes=False) as cur:
            total = self._execute(cur, f"SELECT count(*) FROM {self.sessions} WHERE {where}", params).fetchone()[0]
            sql = (f"SELECT {', '.join(SESSION_COLUMNS)} FROM {self.sessions} WHERE {where} "
                   f"ORDER BY created_at {direction}, session_id {direction} {window}")
            records = self._rows(self._execute(cur, sql, params), SESSION_JSON)
            if include_runs:
                self._attach_runs(cur, records)
            else:
                for record in records:
                    record["runs"] = None
        if not deserialize:
            return records, total
        from agno.db.utils import deserialize_sessions

        return deserialize_sessions(session_type, records)

    # --- runs -----------------------------------------------------------------------------------

    def upsert_run(self, run: Any, session_id: str, user_id: str | None = None, run_index: int | None = None) -> None:
        row = build_single_run_row(run=run, session_id=session_id, user_id=user_id, run_index=run_index)
        if row.get("status") is not None:
            row["status"] = canonical_run_status(row["status"])
        if self.analytics:
            from agno_models.analytics import run_analytics

            row.update(run_analytics(row["run_data"], created_at=row["created_at"]))
        p, runs = self.p, self.runs
        kept = ["status", "run_data", "user_id", "parent_run_id", "updated_at"]
        if self.analytics:
            from agno_models.analytics import RUN_COLUMNS, RUN_TIME_COLUMNS

            kept += [c for c in RUN_COLUMNS if c not in RUN_TIME_COLUMNS]
        names = [c for c in row if c != "run_index"]
        wanted = f"CAST({p('idx')} AS BIGINT)" if self.dialect == "postgresql" else p("idx")
        # As ours: the wanted index if free, else the end, computed under the session's lock.
        index = (f"CASE WHEN {wanted} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {runs} WHERE session_id = "
                 f"{p('sid')} AND run_index = {wanted}) THEN {wanted} ELSE coalesce((SELECT max(run_index) FROM "
                 f"{runs} WHERE session_id = {p('sid')}) + 1, 0) END")
        if self.dialect == "mysql":
            same = f"{runs}.session_id = VALUES(session_id)"
            sets = [f"{c} = IF({same}, VALUES({c}), {runs}.{c})" for c in kept]
            sets.append(f"run_index = IF({same}, coalesce({runs}.run_index, VALUES(run_index)), {runs}.run_index)")
            conflict = f" ON DUPLICATE KEY UPDATE {', '.join(sets)}"
        else:
            sets = [f"{c} = excluded.{c}" for c in kept] + [f"run_index = coalesce({runs}.run_index, excluded.run_index)"]
            conflict = (f" ON CONFLICT (run_id) DO UPDATE SET {', '.join(sets)} "
                        f"WHERE {runs}.session_id = excluded.session_id")
        head = f"INSERT INTO {runs} ({', '.join(names)}, run_index)"
        params = {**row, "run_data": self._dump(row["run_data"]), "sid": session_id, "idx": row.get("run_index"),
                  "uid": user_id, "rid": row["run_id"]}
        with self._tx(writes=True) as cur:
            if self.dialect == "sqlite":  # one statement: BEGIN IMMEDIATE holds the lock, the write checks the session
                values = ", ".join(p(c) for c in names)
                sql = (f"{head} SELECT {values}, {index} FROM {self.sessions} WHERE session_id = {p('sid')} "
                       f"AND ({p('uid')} IS NULL OR user_id IS NULL OR user_id = {p('uid')}){conflict}")
                if self._execute(cur, sql, params).rowcount:
                    return
            of = " OF s" if self.dialect == "postgresql" else ""
            claim = self._execute(
                cur, f"SELECT s.user_id, r.session_id FROM {self.sessions} s LEFT JOIN {runs} r ON r.run_id = "
                f"{p('rid')} WHERE s.session_id = {p('sid')}{self._for_update}{of}", params,
            ).fetchone()
            if claim is None:
                raise LookupError(f"session {session_id!r} does not exist")
            if user_id is not None and claim[0] is not None and claim[0] != user_id:
                raise PermissionError(f"session {session_id!r} belongs to another user")
            if claim[1] is not None and claim[1] != session_id:
                raise PermissionError(f"run {row['run_id']!r} belongs to another session")
            if self.dialect == "sqlite":
                raise AssertionError("unreachable: the write checked the same")
            values = ", ".join(p(c) for c in names)
            if not self._execute(cur, f"{head} VALUES ({values}, {index}){conflict}", params).rowcount:
                raise PermissionError(f"run {row['run_id']!r} belongs to another session")
            # The schema's triggers (revision 0007) recount the session, for ours and raw alike.

    # --- memories -------------------------------------------------------------------------------

    @staticmethod
    def _memory_row(memory: UserMemory) -> dict[str, Any]:
        return {
            "memory_id": memory.memory_id, "memory": memory.memory, "feedback": memory.feedback,
            "input": memory.input, "agent_id": memory.agent_id, "team_id": memory.team_id,
            "user_id": memory.user_id, "topics": list(memory.topics) if memory.topics is not None else None,
            "created_at": memory.created_at if memory.created_at is not None else int(time.time()),
            "updated_at": memory.updated_at,
        }

    def _write_memories(self, cur: Any, rows: list[dict[str, Any]], touch: int | None) -> dict[str, dict[str, Any]]:
        update = [c for c in MEMORY_COLUMNS if c not in ("memory_id", "created_at")]
        if touch is not None:
            update.remove("updated_at")
        wanted = {r["memory_id"]: r["user_id"] for r in rows}
        stored: dict[str, dict[str, Any]] = {}
        for start in range(0, len(rows), MEMORY_BATCH):
            batch = rows[start : start + MEMORY_BATCH]
            for record in self._upsert(cur, self.memories, MEMORY_COLUMNS, batch, update, MEMORY_JSON, touch,
                                       MEMORY_COLUMNS, "memory_id"):
                if record["user_id"] == wanted[record["memory_id"]]:
                    stored[record["memory_id"]] = record
        return stored

    def upsert_user_memory(self, memory: UserMemory, deserialize: bool | None = True) -> Any:
        row = self._memory_row(memory)
        if row["updated_at"] is None:
            row["updated_at"] = row["created_at"]
        with self._tx(writes=True) as cur:
            record = self._write_memories(cur, [row], touch=int(time.time())).get(row["memory_id"])
        if record is None:
            return None
        return UserMemory.from_dict(record) if deserialize else record

    def upsert_memories(self, memories: list[UserMemory], deserialize: bool | None = True,
                        preserve_updated_at: bool = False) -> list[Any]:
        now = int(time.time())
        rows = [self._memory_row(m) for m in memories]
        if not preserve_updated_at:
            for row in rows:
                row["updated_at"] = now
        if not rows:
            return []
        with self._tx(writes=True) as cur:
            stored = self._write_memories(cur, rows, touch=None)
        return [UserMemory.from_dict(stored[r["memory_id"]]) if deserialize else stored[r["memory_id"]]
                for r in rows if r["memory_id"] in stored]

    def get_user_memories(self, user_id: str | None = None, sort_by: str | None = None, sort_order: str | None = None,
                          deserialize: bool | None = True) -> Any:
        if sort_by != "updated_at":
            raise NotImplementedError("the benchmark lists memories by updated_at")
        direction = "ASC" if sort_order == "asc" else "DESC"
        where = f"user_id = {self.p('uid')}"
        with self._tx(writes=False) as cur:
            sql = (f"SELECT {', '.join(MEMORY_COLUMNS)} FROM {self.memories} WHERE {where} "
                   f"ORDER BY coalesce(updated_at, created_at) {direction}, memory_id {direction}")
            records = self._rows(self._execute(cur, sql, {"uid": user_id}), MEMORY_JSON)
            # The count only goes out with dicts (agno returns none with objects), as ours.
            total = None if deserialize else self._execute(
                cur, f"SELECT count(*) FROM {self.memories} WHERE {where}", {"uid": user_id}).fetchone()[0]
        if not deserialize:
            return records, total
        return [UserMemory.from_dict(r) for r in records]

    # --- loading (not benchmarked) ---------------------------------------------------------------

    def insert_rows(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Plain INSERT of ``rows`` (dicts with the same keys) into ``agno_<table>``, one transaction."""
        if not rows:
            return
        name = {"sessions": self.sessions, "runs": self.runs, "memories": self.memories}[table]
        json_columns = {"sessions": SESSION_JSON, "runs": frozenset({"run_data"}), "memories": MEMORY_JSON}[table]
        columns = list(rows[0])
        sql = f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({', '.join(self.p(c) for c in columns)})"
        dump = self._dump
        params = [{c: (dump(r[c]) if c in json_columns else r[c]) for c in columns} for r in rows]
        with self._tx(writes=True) as cur:
            cur.executemany(sql, params)

    def close(self) -> None:
        self.conn.close()
