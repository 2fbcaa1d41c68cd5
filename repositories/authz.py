"""AgentOS authorization storage (``agno.db.sql.authz``'s contract), on every dialect.

What ``Authorization(db=...)`` and the ``/authz`` admin API decide from. As in agno: reads are
fresh (a revocation on one replica holds on the next request everywhere), replacing a role's
policy or a subject's role is one transaction serialized on that key, upserts are one
statement, and ``disabled`` is written only by ``set_authz_user_disabled`` so a profile edit can
never un-revoke a user. Searches are case-insensitive substring matches on every dialect, the
caller's text taken literally. Errors are raised.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import ColumnElement

from repositories.core.context import Ctx
from repositories.core.operation import Steps, operation
from repositories.core.query import as_dict, sort_direction
from repositories.core.repository import Repository
from repositories.core.values import checked

_IN_CHUNK = 500  # SQLite caps the bound parameters of one statement
_SEARCH_MAX_LENGTH = 200
_EVENT_SEARCH_COLUMNS = ("actor", "action", "target")
_USER_SEARCH_COLUMNS = ("id", "email", "name")


def _chunks(values: Sequence[str]) -> list[list[str]]:
    return [list(values[i : i + _IN_CHUNK]) for i in range(0, len(values), _IN_CHUNK)]


def _like_pattern(search: str) -> str:
    text = search[:_SEARCH_MAX_LENGTH]
    for char in ("\\", "%", "_"):
        text = text.replace(char, "\\" + char)
    return f"%{text}%"


def _search(ctx: Ctx, table: sa.Table, columns: Sequence[str], search: str | None) -> list[ColumnElement[bool]]:
    if not search:
        return []
    pattern = _like_pattern(search)
    return [sa.or_(*[ctx.dialect.matches_any(table.c[c], [pattern]) for c in columns])]


def _sorted(table: sa.Table, sort_by: str, order: str, *, key: sa.Column[Any]) -> list[Any]:
    """agno's listing order: an unknown column sorts by created_at; NULLs last either way."""
    column = table.c.get(sort_by, table.c.created_at)
    direction = sort_direction(descending=str(order).lower() != "asc")
    return [column.is_(None).asc(), direction(column), direction(key)]


def _check_page(limit: int, offset: int) -> None:
    for name, value in (("limit", limit), ("offset", offset)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name} must be an integer >= 0, got {value!r}")


def _check_names(what: str, values: Any) -> list[str]:
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise ValueError(f"{what} must be a list of strings, got {type(values).__name__}")
    bad = [v for v in values if not isinstance(v, str)]
    if bad:
        raise ValueError(f"{what} must be strings; got {bad[0]!r}")
    return list(values)


def _upsert(ctx: Ctx, table: sa.Table, values: Mapping[str, Any], *, key: Sequence[str], update: Sequence[str]) -> Any:
    row = checked(table, dict(values))
    if not update:
        return ctx.dialect.insert_ignore(table, row, key=list(key))
    return ctx.dialect.upsert(table, row, key=list(key), update=list(update))


def _user_row(row: Any) -> dict[str, Any]:
    out = as_dict(row)
    raw = out.pop("user_metadata", None)
    out["metadata"] = json.loads(raw) if raw else None
    return out


def _user_filters(ctx: Ctx, include_disabled: bool, search: str | None) -> list[ColumnElement[bool]]:
    table = ctx.tables.authz_users
    clauses = [] if include_disabled else [table.c.disabled == sa.false()]
    return clauses + _search(ctx, table, _USER_SEARCH_COLUMNS, search)


def _events(ctx: Ctx, decisions: bool) -> sa.Table:
    return ctx.tables.authz_decisions if decisions else ctx.tables.authz_audit


def _record(ctx: Ctx, table: sa.Table, values: Any) -> Steps[None]:
    if not isinstance(values, Mapping):
        raise ValueError(f"an audit event must be a dict, got {type(values).__name__}")
    unknown = sorted(set(values) - set(table.c.keys()))
    if unknown:
        raise ValueError(f"audit event has unknown column(s) {unknown}")
    missing = sorted(c.name for c in table.c if not c.nullable and values.get(c.name) is None)
    if missing:
        raise ValueError(f"audit event is missing required value(s) for {missing}")
    # An audit sink must never break the request it records: a repeated event id is kept once.
    yield ctx.dialect.insert_ignore(table, checked(table, dict(values)), key=["event_id"])


class AuthzRepository(Repository):

    # --- policy: what a role may do ---

    @operation(writes=False)
    def get_authz_policies(self, roles: list[str]) -> Steps[list[tuple[str, str, str, str]]]:
        table = self._ctx.tables.authz_policy
        out: list[tuple[str, str, str, str]] = []
        for chunk in _chunks(_check_names("roles", roles)):
            stmt = sa.select(table.c.role, table.c.resource, table.c.action, table.c.effect).where(table.c.role.in_(chunk))
            out.extend((r[0], r[1], r[2], r[3]) for r in (yield stmt))
        return out

    @operation(writes=False)
    def get_authz_role_policies(self, role: str) -> Steps[list[tuple[str, str, str]]]:
        table = self._ctx.tables.authz_policy
        rows = yield sa.select(table.c.resource, table.c.action, table.c.effect).where(table.c.role == role)
        return [(r[0], r[1], r[2]) for r in rows]

    @operation(writes=True)
    def set_authz_role_policies(self, role: str, rows: list[tuple[str, str, str]]) -> Steps[None]:
        ctx = self._ctx
        table = ctx.tables.authz_policy
        values = []
        for row in rows:
            if not isinstance(row, Sequence) or isinstance(row, str) or len(row) != 3:
                raise ValueError(f"a policy row is (resource, action, effect), got {row!r}")
            values.append({"role": role, "resource": row[0], "action": row[1], "effect": row[2]})
        # Serialized per role: two concurrent replacements must leave the later set, not their union.
        lock = ctx.dialect.transaction_lock(f"authz:role:{role}")
        if lock is not None:
            yield lock
        yield sa.delete(table).where(table.c.role == role)
        for value in values:
            yield _upsert(ctx, table, value, key=["role", "resource", "action"], update=["effect"])

    @operation(writes=True)
    def upsert_authz_policy(self, *, role: str, resource: str, action: str, effect: str) -> Steps[None]:
        ctx = self._ctx
        values = {"role": role, "resource": resource, "action": action, "effect": effect}
        yield _upsert(ctx, ctx.tables.authz_policy, values, key=["role", "resource", "action"], update=["effect"])

    @operation(writes=True)
    def delete_authz_policy(self, *, role: str, resource: str | None = None, action: str | None = None) -> Steps[None]:
        table = self._ctx.tables.authz_policy
        stmt = sa.delete(table).where(table.c.role == role)
        if resource is not None:
            stmt = stmt.where(table.c.resource == resource)
        if action is not None:
            stmt = stmt.where(table.c.action == action)
        yield stmt

    # --- grouping: who holds which role ---

    @operation(writes=False)
    def get_authz_direct_roles(self, subject: str) -> Steps[list[str]]:
        table = self._ctx.tables.authz_grouping
        return [r[0] for r in (yield sa.select(table.c.role).where(table.c.subject == subject).order_by(table.c.role))]

    @operation(writes=False)
    def get_authz_direct_roles_many(self, subjects: list[str]) -> Steps[dict[str, list[str]]]:
        table = self._ctx.tables.authz_grouping
        wanted = _check_names("subjects", subjects)
        roles: dict[str, list[str]] = {subject: [] for subject in wanted}
        for chunk in _chunks(wanted):
            for subject, role in (yield sa.select(table.c.subject, table.c.role).where(table.c.subject.in_(chunk))):
                roles[subject].append(role)
        return {subject: sorted(held) for subject, held in roles.items()}

    @operation(writes=False)
    def list_authz_role_subjects(self, role: str) -> Steps[list[str]]:
        table = self._ctx.tables.authz_grouping
        return [r[0] for r in (yield sa.select(table.c.subject).where(table.c.role == role).order_by(table.c.subject))]

    @operation(writes=False)
    def authz_name_is_role(self, name: str) -> Steps[bool]:
        policy, grouping = self._ctx.tables.authz_policy, self._ctx.tables.authz_grouping
        carries_policy = sa.select(policy.c.role).where(policy.c.role == name).exists()
        has_members = sa.select(grouping.c.subject).where(grouping.c.role == name).exists()
        return bool((yield sa.select(sa.or_(carries_policy, has_members))).scalar())

    @operation(writes=True)
    def assign_authz_role(self, subject: str, role: str) -> Steps[None]:
        ctx = self._ctx
        yield _upsert(ctx, ctx.tables.authz_grouping, {"subject": subject, "role": role}, key=["subject", "role"], update=[])

    @operation(writes=True)
    def unassign_authz_role(self, subject: str, role: str) -> Steps[None]:
        table = self._ctx.tables.authz_grouping
        yield sa.delete(table).where(table.c.subject == subject, table.c.role == role)

    @operation(writes=True)
    def replace_authz_subject_roles(self, subject: str, role: str) -> Steps[None]:
        ctx = self._ctx
        table = ctx.tables.authz_grouping
        values = checked(table, {"subject": subject, "role": role})
        lock = ctx.dialect.transaction_lock(f"authz:subject:{subject}")
        if lock is not None:
            yield lock
        yield sa.delete(table).where(table.c.subject == subject)
        yield sa.insert(table).values(**values)

    @operation(writes=False)
    def list_authz_roles(self) -> Steps[list[str]]:
        policy, grouping = self._ctx.tables.authz_policy, self._ctx.tables.authz_grouping
        names = sa.union(sa.select(policy.c.role), sa.select(grouping.c.role)).subquery()
        return sorted(r[0] for r in (yield sa.select(names.c.role)))

    @operation(writes=True)
    def delete_authz_role(self, role: str) -> Steps[None]:
        tables = self._ctx.tables
        # One transaction: a decision never sees a half-deleted role. Both sides of the grouping
        # go, so a later subject of the same name inherits nothing.
        yield sa.delete(tables.authz_policy).where(tables.authz_policy.c.role == role)
        yield sa.delete(tables.authz_grouping).where(tables.authz_grouping.c.role == role)
        yield sa.delete(tables.authz_grouping).where(tables.authz_grouping.c.subject == role)
        yield sa.delete(tables.authz_roles).where(tables.authz_roles.c.slug == role)

    # --- role metadata ---

    @operation(writes=False)
    def get_authz_role_meta(self, slug: str) -> Steps[dict[str, Any] | None]:
        table = self._ctx.tables.authz_roles
        row = (yield sa.select(table).where(table.c.slug == slug)).first()
        return None if row is None else as_dict(row)

    @operation(writes=False)
    def list_authz_role_meta(self) -> Steps[list[dict[str, Any]]]:
        table = self._ctx.tables.authz_roles
        return [as_dict(r) for r in (yield sa.select(table).order_by(table.c.slug))]

    @operation(writes=True)
    def upsert_authz_role_meta(self, slug: str, values: dict[str, Any]) -> Steps[None]:
        ctx = self._ctx
        table = ctx.tables.authz_roles
        if not isinstance(values, Mapping):
            raise ValueError(f"role metadata must be a dict, got {type(values).__name__}")
        unknown = sorted(set(values) - set(table.c.keys()) | ({"slug"} & set(values)))
        if unknown:
            raise ValueError(f"role metadata has unknown column(s) {unknown}")
        yield _upsert(ctx, table, {"slug": slug, **values}, key=["slug"], update=list(values))

    @operation(writes=True)
    def delete_authz_role_meta(self, slug: str) -> Steps[None]:
        table = self._ctx.tables.authz_roles
        yield sa.delete(table).where(table.c.slug == slug)

    # --- user directory ---

    @operation(writes=False, absent=None)
    def get_authz_user(self, user_id: str) -> Steps[dict[str, Any] | None]:
        table = self._ctx.tables.authz_users
        row = (yield sa.select(table).where(table.c.id == user_id)).first()
        return None if row is None else _user_row(row)

    @operation(writes=False)
    def list_authz_users(
        self,
        limit: int = 1000,
        offset: int = 0,
        include_disabled: bool = True,
        search: str | None = None,
        sort_by: str = "created_at",
        order: str = "desc",
    ) -> Steps[list[dict[str, Any]]]:
        ctx = self._ctx
        table = ctx.tables.authz_users
        _check_page(limit, offset)
        stmt = (
            sa.select(table)
            .where(*_user_filters(ctx, include_disabled, search))
            .order_by(*_sorted(table, sort_by, order, key=table.c.id))
            .limit(limit)
            .offset(offset)
        )
        return [_user_row(r) for r in (yield stmt)]

    @operation(writes=False)
    def count_authz_users(self, include_disabled: bool = True, search: str | None = None) -> Steps[int]:
        ctx = self._ctx
        table = ctx.tables.authz_users
        stmt = sa.select(sa.func.count()).select_from(table).where(*_user_filters(ctx, include_disabled, search))
        return int((yield stmt).scalar_one())

    @operation(writes=False)
    def count_authz_users_by_status(self) -> Steps[dict[str, int]]:
        table = self._ctx.tables.authz_users
        # One statement, so the two counts cannot disagree under a provisioning burst.
        stmt = sa.select(
            sa.func.count().label("total"),
            sa.func.sum(sa.case((table.c.disabled == sa.true(), 1), else_=0)).label("disabled"),
        ).select_from(table)
        row = (yield stmt).one()
        return {"total": int(row.total or 0), "disabled": int(row.disabled or 0)}

    @operation(writes=False)
    def list_authz_user_ids(self, include_disabled: bool = True) -> Steps[list[str]]:
        ctx = self._ctx
        table = ctx.tables.authz_users
        stmt = sa.select(table.c.id).where(*_user_filters(ctx, include_disabled, None)).order_by(table.c.id.asc())
        return [str(r[0]) for r in (yield stmt)]

    @operation(writes=False)
    def count_authz_users_by_day(
        self, starting_at: int | None = None, ending_before: int | None = None
    ) -> Steps[list[dict[str, int]]]:
        table = self._ctx.tables.authz_users
        day = (table.c.created_at - table.c.created_at % 86400).label("date")
        stmt = sa.select(day, sa.func.count().label("users_created")).group_by(day).order_by(day.asc())
        if starting_at is not None:
            stmt = stmt.where(table.c.created_at >= starting_at)
        if ending_before is not None:
            stmt = stmt.where(table.c.created_at < ending_before)
        return [{"date": int(r.date), "count": int(r.users_created)} for r in (yield stmt)]

    @operation(writes=True)
    def upsert_authz_user(self, user_id: str, values: dict[str, Any]) -> Steps[None]:
        ctx = self._ctx
        table = ctx.tables.authz_users
        if not isinstance(values, Mapping):
            raise ValueError(f"user values must be a dict, got {type(values).__name__}")
        payload = dict(values)
        metadata = payload.pop("metadata", None)
        if metadata is not None:
            payload["user_metadata"] = json.dumps(metadata, allow_nan=False)
        unknown = sorted(set(payload) - set(table.c.keys()) | ({"id"} & set(payload)))
        if unknown:
            raise ValueError(f"user values have unknown column(s) {unknown}")
        # ``disabled`` only seeds a new row: the revocation tombstone is set_authz_user_disabled's alone.
        update = [c for c in payload if c != "disabled"]
        yield _upsert(ctx, table, {"id": user_id, **payload}, key=["id"], update=update)

    @operation(writes=True)
    def set_authz_user_disabled(self, user_id: str, disabled: bool) -> Steps[None]:
        ctx = self._ctx
        now = int(time.time())
        # An unknown subject gets a durable tombstone: tokens may exist for a sub never seen here.
        row = {"id": user_id, "email": None, "name": None, "disabled": bool(disabled), "created_at": now,
               "updated_at": now, "user_metadata": None}
        yield _upsert(ctx, ctx.tables.authz_users, row, key=["id"], update=["disabled", "updated_at"])

    @operation(writes=True)
    def delete_authz_user(self, user_id: str) -> Steps[None]:
        table = self._ctx.tables.authz_users
        yield sa.delete(table).where(table.c.id == user_id)

    @operation(writes=False, absent=False)
    def is_authz_user_disabled(self, user_id: str) -> Steps[bool]:
        table = self._ctx.tables.authz_users
        row = (yield sa.select(table.c.disabled).where(table.c.id == user_id)).first()
        return bool(row[0]) if row is not None else False  # absence is not a revocation

    # --- audit: the change trail and the access trail ---

    @operation(writes=True)
    def record_authz_audit_event(self, values: dict[str, Any]) -> Steps[None]:
        yield from _record(self._ctx, self._ctx.tables.authz_audit, values)

    @operation(writes=True)
    def record_authz_decision(self, values: dict[str, Any]) -> Steps[None]:
        yield from _record(self._ctx, self._ctx.tables.authz_decisions, values)

    @operation(writes=False)
    def read_authz_audit_events(
        self,
        limit: int = 100,
        offset: int = 0,
        search: str | None = None,
        sort_by: str = "created_at",
        order: str = "desc",
        decisions: bool = False,
    ) -> Steps[list[dict[str, Any]]]:
        ctx = self._ctx
        table = _events(ctx, decisions)
        _check_page(limit, offset)
        stmt = (
            sa.select(table)
            .where(*_search(ctx, table, _EVENT_SEARCH_COLUMNS, search))
            .order_by(*_sorted(table, sort_by, order, key=table.c.event_id))
            .limit(limit)
            .offset(offset)
        )
        return [as_dict(r) for r in (yield stmt)]

    @operation(writes=False)
    def count_authz_audit_events(self, search: str | None = None, decisions: bool = False) -> Steps[int]:
        ctx = self._ctx
        table = _events(ctx, decisions)
        stmt = sa.select(sa.func.count()).select_from(table).where(*_search(ctx, table, _EVENT_SEARCH_COLUMNS, search))
        return int((yield stmt).scalar_one())
