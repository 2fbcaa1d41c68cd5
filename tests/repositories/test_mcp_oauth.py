"""The built-in MCP OAuth store: agno's contract side by side with agno's own SqliteDb, single use
under concurrency, and ``AgentOSBuiltinAuth`` running on our db."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
from agno.db.sqlite import SqliteDb as AgnoSqliteDb
from sqlalchemy.engine import URL

from repositories.core.db import SqlDb
from tests.repositories.conftest import make_db

NOW = 1_800_000_000


@pytest.fixture
def agno_db(tmp_path: Path) -> AgnoSqliteDb:
    return AgnoSqliteDb(db_file=str(tmp_path / "reference.db"))


def scenario(db: Any) -> list[Any]:
    out: list[Any] = []
    for i in range(3):
        out.append(db.create_mcp_oauth_client(client_id=f"c{i}", client_metadata=f'{{"n": {i}}}', now=NOW + i,
                                              unconsumed_ttl=100, max_clients=2))
    db.mark_mcp_oauth_client_consumed("c0", NOW + 5)
    db.mark_mcp_oauth_client_consumed("c0", NOW + 9)  # the first consumption stays
    out.append(db.create_mcp_oauth_client(client_id="c3", client_metadata="{}", now=NOW + 6, unconsumed_ttl=100,
                                          max_clients=2))
    # Later, the unconsumed registrations have expired; the consumed one is kept.
    out.append(db.create_mcp_oauth_client(client_id="c4", client_metadata="{}", now=NOW + 500, unconsumed_ttl=100,
                                          max_clients=2))
    out.append([db.get_mcp_oauth_client(c) for c in ("c0", "c1", "c2", "c4", "nope")])
    for i in range(4):
        db.store_mcp_oauth_transaction(txn_id=f"t{i}", client_id="c0", params=f"p{i}", expires_at=NOW + 100 + i,
                                       now=NOW, max_pending=3)
    out.append([db.get_mcp_oauth_transaction(f"t{i}") for i in range(4)])  # the oldest was evicted
    out.append(db.consume_mcp_oauth_transaction("t2", NOW))
    out.append(db.consume_mcp_oauth_transaction("t2", NOW))
    out.append(db.consume_mcp_oauth_transaction("t3", NOW + 1000))  # expired: refused, left for the sweep
    out.append(db.get_mcp_oauth_transaction("t3"))
    db.store_mcp_oauth_transaction(txn_id="t9", client_id="c0", params="p9", expires_at=NOW + 2000, now=NOW + 1000,
                                   max_pending=3)
    out.append([db.get_mcp_oauth_transaction(t) for t in ("t1", "t3", "t9")])  # expired rows swept
    db.store_mcp_oauth_code(code_hash="h1", payload="code-1", expires_at=NOW + 10, now=NOW)
    db.store_mcp_oauth_code(code_hash="h2", payload="code-2", expires_at=NOW + 100, now=NOW + 50)  # sweeps h1
    out.append([db.get_mcp_oauth_code(h) for h in ("h1", "h2")])
    out.append([db.delete_mcp_oauth_code("h2"), db.delete_mcp_oauth_code("h2")])
    for i in range(3):
        db.store_mcp_oauth_refresh(token_hash=f"r{i}", client_id="c0", scopes='["mcp"]', expires_at=NOW + 100,
                                   now=NOW, family_id="fam-a" if i < 2 else "fam-b")
    out.append(db.get_mcp_oauth_refresh("r0"))
    out.append([db.delete_mcp_oauth_refresh("r0"), db.delete_mcp_oauth_refresh("r0")])
    out.append([db.delete_mcp_oauth_refresh_family("fam-a"), db.delete_mcp_oauth_refresh_family("fam-a")])
    out.append([db.get_mcp_oauth_refresh(r) for r in ("r1", "r2")])
    out.append(db.get_mcp_oauth_keys())
    out.append(db.insert_mcp_oauth_key(kid="k1", secret="s1", created_at=NOW))
    out.append(db.insert_mcp_oauth_key(kid="k2", secret="s2", created_at=NOW + 1))
    out.append(db.insert_mcp_oauth_key(kid="k1", secret="other", created_at=NOW + 2))  # lost the race
    out.append(db.get_mcp_oauth_keys())
    return out


def test_the_same_calls_answer_as_agnos_sqlite_db(db: SqlDb, agno_db: AgnoSqliteDb) -> None:
    assert scenario(db) == scenario(agno_db)


def test_a_code_and_a_transaction_are_used_once_under_concurrency(db: SqlDb) -> None:
    db.store_mcp_oauth_code(code_hash="h", payload="p", expires_at=NOW + 100, now=NOW)
    db.store_mcp_oauth_transaction(txn_id="t", client_id="c", params="p", expires_at=NOW + 100, now=NOW,
                                   max_pending=10)
    workers = 6
    barrier = threading.Barrier(workers)
    codes: list[bool] = []
    txns: list[Any] = []

    def race() -> None:
        barrier.wait()
        codes.append(db.delete_mcp_oauth_code("h"))
        txns.append(db.consume_mcp_oauth_transaction("t", NOW))

    threads = [threading.Thread(target=race) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [False] * (workers - 1) + [True]
    assert [t for t in txns if t is not None] == [("p", NOW + 100)]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda db: db.store_mcp_oauth_code(code_hash="h" * 200, payload="p", expires_at=1, now=0), "code_hash is 200"),
        (lambda db: db.store_mcp_oauth_transaction(txn_id="t", client_id="c", params="p", expires_at=1, now=0,
                                                   max_pending=0), "max_pending"),
        (lambda db: db.create_mcp_oauth_client(client_id="c", client_metadata="x\x00", now=0, unconsumed_ttl=1,
                                               max_clients=1), "U\\+0000"),
    ],
)
def test_bad_input_is_refused_before_anything_is_written(db: SqlDb, call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call(db)
    assert db.get_mcp_oauth_client("c") is None and db.get_mcp_oauth_transaction("t") is None


def _oauth_story(db: Any) -> list[Any]:
    """The built-in authorization server from registration to a rotated refresh token."""
    from agno.os.mcp_auth_builtin import AgentOSBuiltinAuth
    from mcp.server.auth.provider import AuthorizationParams
    from mcp.shared.auth import OAuthClientInformationFull

    auth = AgentOSBuiltinAuth(url="https://os.example.com", secret="a-long-enough-connect-secret-123", db=db)
    client = OAuthClientInformationFull(client_id="client-1", redirect_uris=["https://app.example.com/cb"],
                                        token_endpoint_auth_method="none", grant_types=["authorization_code",
                                                                                        "refresh_token"])
    out: list[Any] = []
    asyncio.run(auth.register_client(client))
    stored = asyncio.run(auth.get_client("client-1"))
    out.append(None if stored is None else str(stored.redirect_uris[0]))
    params = AuthorizationParams(state="st", scopes=None, code_challenge="x" * 43,
                                 redirect_uri="https://app.example.com/cb", redirect_uri_provided_explicitly=True)
    consent_url = asyncio.run(auth.authorize(client, params))
    txn_id = consent_url.split("txn=")[-1].split("&")[0]
    payload = auth._consume_transaction_sync(txn_id)
    out.append(payload is not None)
    out.append(auth._consume_transaction_sync(txn_id))  # single use
    auth._store_code_sync("the-code", payload)
    code = asyncio.run(auth.load_authorization_code(client, "the-code"))
    out.append(code is not None)
    tokens = asyncio.run(auth.exchange_authorization_code(client, code))
    out.append((tokens.token_type, bool(tokens.access_token), bool(tokens.refresh_token)))
    out.append(asyncio.run(auth.load_authorization_code(client, "the-code")))  # the code is gone
    refresh = asyncio.run(auth.load_refresh_token(client, tokens.refresh_token))
    out.append(refresh is not None)
    rotated = asyncio.run(auth.exchange_refresh_token(client, refresh, refresh.scopes))
    out.append(bool(rotated.refresh_token) and rotated.refresh_token != tokens.refresh_token)
    out.append(asyncio.run(auth.load_refresh_token(client, tokens.refresh_token)))  # rotated away
    out.append(asyncio.run(auth.load_access_token(rotated.access_token)) is not None)
    out.append(len(db.get_mcp_oauth_keys()))
    return out


def test_the_builtin_mcp_oauth_server_runs_on_our_db(backend: str, fresh_url: URL, agno_db: AgnoSqliteDb) -> None:
    pytest.importorskip("fastmcp", reason="agno's built-in MCP OAuth server needs the fastmcp extra")
    ours = make_db(backend, fresh_url)
    try:
        assert _oauth_story(ours) == _oauth_story(agno_db)
    finally:
        ours.close()
