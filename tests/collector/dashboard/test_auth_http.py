"""Access control over real HTTP: logins, sessions, roles, CSRF, tokens, limits, headers.

The real app on a real socket against a fleet stored through real ingest; a cookie-keeping
urllib client plays the browser (tests/collector/dashboard/test_auth_browser.py drives
Chromium). Tests that need other settings (public reading or metrics) get a server of
their own on the same database; rate limits and session lifetime are in test_auth_limits.py.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from edgebench.collector import accounts, db, tokens
from edgebench.collector.auth.access import ACCESS_ATTR, READ, SAFE_METHODS
from edgebench.collector.auth.headers import SECURITY_HEADERS
from tests.collector.dashboard.conftest import ADMIN, Fleet, Server, serve
from tests.collector.webauth import LOGIN_ERROR_RE, HttpClient, add_account, audit_log

SCOPE_ROLE = {"read": "viewer", "operate": "operator", "admin": "admin"}


def run_ids(fleet: Fleet) -> list[str]:
    engine = sa.create_engine(fleet.db_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text("SELECT run_id FROM runs ORDER BY run_id")).scalars())
    finally:
        engine.dispose()


def run_exists(fleet: Fleet, run_id: str) -> bool:
    return fleet.count(f"SELECT count(*) FROM runs WHERE run_id = '{run_id}'") == 1


def audit(server: Server, **params: str) -> list[dict]:
    return audit_log(server.url, server.headers, **params)


@pytest.fixture(scope="module")
def runs(fleet: Fleet) -> Iterator[str]:
    """Hand out a different stored run to each test that deletes one."""
    return iter(run_ids(fleet))


def test_login_and_cookie_flags(server: Server) -> None:
    client = HttpClient(server.url)
    assert client.get("/runs?limit=5").headers["Location"] == "/login?next=/runs?limit%3D5"
    reply = client.log_in(ADMIN, next="/runs?limit=5")
    assert reply.status == 302 and reply.headers["Location"] == "/runs?limit=5"
    cookie = reply.cookie()
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    page = client.get("/runs")
    assert page.status == 200 and f'<span id="signed-in">{ADMIN}' in page.text


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil", ""])
def test_next_never_leaves_the_site(server: Server, target: str) -> None:
    reply = HttpClient(server.url).log_in(ADMIN, next=target)
    assert reply.status == 302 and reply.headers["Location"] == "/"


def test_wrong_password_says_the_same_for_every_name(server: Server) -> None:
    add_account(server.app.config["DATABASE"], "wanda", "viewer", None)
    known = HttpClient(server.url).log_in("wanda", "not the password")
    unknown = HttpClient(server.url).log_in("nobody-here", "not the password")
    assert known.status == unknown.status == 401
    assert LOGIN_ERROR_RE.search(known.text)[1] == LOGIN_ERROR_RE.search(unknown.text)[1]
    assert "wanda" not in LOGIN_ERROR_RE.search(known.text)[1]
    assert known.cookie() == "" or "_user_id" not in known.cookie()
    failed = audit(server, action="login", actor="anonymous")
    assert {"wanda", "nobody-here"} <= {e["target"] for e in failed if e["outcome"] == "failed"}


def test_logout_is_a_post_with_csrf(server: Server) -> None:
    client = HttpClient(server.url)
    client.log_in(ADMIN)
    assert client.get("/logout").status == 405  # never by GET
    assert client.post("/logout", {}).status == 400  # no CSRF token
    assert client.get("/").status == 200  # still signed in
    reply = client.post("/logout", {"csrf_token": client.csrf("/")})
    assert reply.status == 303 and reply.headers["Location"] == "/login"
    assert client.get("/").status == 302
    assert audit(server, action="logout", limit="1")[0]["actor"] == ADMIN


@pytest.mark.parametrize("change", ["password", "role"])
def test_password_or_role_change_ends_sessions(server: Server, change: str) -> None:
    name = f"pat-{change}"
    add_account(server.app.config["DATABASE"], name, "operator", None)
    client = HttpClient(server.url)
    assert client.log_in(name).status == 302
    assert client.get("/").status == 200
    engine = db.make_engine(server.app.config["DATABASE"])
    with Session(engine) as session:
        if change == "password":
            accounts.set_password(session, name, "another good password")
        else:
            accounts.set_role(session, name, "viewer")
        session.commit()
    engine.dispose()
    reply = client.get("/")
    assert reply.status == 302 and reply.headers["Location"].startswith("/login")


def test_viewer_sees_no_delete_and_is_refused(server: Server, fleet: Fleet, runs) -> None:
    run_id = next(runs)
    add_account(fleet.db_url, "vera", "viewer", None)
    client = HttpClient(server.url)
    client.log_in("vera")
    page = client.get(f"/runs/{run_id}")
    assert page.status == 200 and "Delete run" not in page.text
    reply = client.post(f"/runs/{run_id}/delete", {"csrf_token": client.csrf("/")})
    assert reply.status == 403 and run_exists(fleet, run_id)
    denied = audit(server, action="run.delete", actor="vera")
    assert denied[0]["outcome"] == "denied" and denied[0]["target"] == f"/runs/{run_id}/delete"


def test_post_without_csrf_changes_nothing(server: Server, fleet: Fleet, runs) -> None:
    run_id = next(runs)
    add_account(fleet.db_url, "otto", "operator", None)
    client = HttpClient(server.url)
    client.log_in("otto")
    assert "Delete run" in client.get(f"/runs/{run_id}").text
    assert client.post(f"/runs/{run_id}/delete", {}).status == 400
    assert client.post(f"/runs/{run_id}/delete", {"csrf_token": "forged"}).status == 400
    assert client.request("DELETE", f"/api/runs/{run_id}").status == 400  # cookie, no token
    assert run_exists(fleet, run_id)
    reply = client.post(f"/runs/{run_id}/delete", {"csrf_token": client.csrf("/")})
    assert reply.status == 303 and not run_exists(fleet, run_id)
    assert fleet.count(f"SELECT count(*) FROM samples WHERE run_id = '{run_id}'") == 0
    assert f"Run {run_id} deleted" in client.get("/runs").text
    done = audit(server, action="run.delete", actor="otto")[0]
    assert done["outcome"] == "ok" and done["target"] == run_id and done["detail"]["samples"] > 0


def test_token_scopes_and_states(server: Server, fleet: Fleet, runs) -> None:
    run_id = next(runs)
    read = add_account(fleet.db_url, "robot", "operator", "read")
    operate = add_account(fleet.db_url, "robot", "operator", "operate")
    as_read = HttpClient(server.url, {"Authorization": f"Bearer {read}"})
    assert as_read.get(f"/api/runs/{run_id}").status == 200
    assert as_read.request("DELETE", f"/api/runs/{run_id}").status == 403
    assert as_read.get("/api/audit").status == 403  # an operator is not an admin
    assert run_exists(fleet, run_id)
    as_operate = HttpClient(server.url, {"Authorization": f"Bearer {operate}"})
    reply = as_operate.request("DELETE", f"/api/runs/{run_id}")
    assert reply.status == 200 and reply.json()["deleted"] and not run_exists(fleet, run_id)
    assert as_operate.request("DELETE", f"/api/runs/{run_id}").status == 404
    actor = audit(server, action="run.delete", limit="1")[0]["actor"]
    assert actor == f"token {operate[:12]} (robot)"
    # A read token of an admin reads the audit log but changes nothing.
    admin_read = add_account(fleet.db_url, ADMIN, "admin", "read")
    as_admin_read = HttpClient(server.url, {"Authorization": f"Bearer {admin_read}"})
    assert as_admin_read.get("/api/audit").status == 200
    assert as_admin_read.request("DELETE", f"/api/runs/{next(runs)}").status == 403


def test_revoked_and_expired_tokens_are_401(server: Server, fleet: Fleet) -> None:
    revoked = add_account(fleet.db_url, "robot2", "viewer", "read")
    expired = add_account(fleet.db_url, "robot2", "viewer", "read", expires_days=1)
    engine = db.make_engine(fleet.db_url)
    with Session(engine) as session:
        tokens.revoke_token(session, revoked[:12])
        session.execute(
            sa.update(tokens.ApiToken)
            .where(tokens.ApiToken.prefix == expired[:12])
            .values(expires_at=time.time() - 1)
        )
        session.commit()
    engine.dispose()
    for text in (revoked, expired, revoked[:-1] + "x"):
        reply = HttpClient(server.url, {"Authorization": f"Bearer {text}"}).get("/api/runs")
        assert reply.status == 401 and reply.headers["WWW-Authenticate"].startswith("Bearer")
        assert reply.json()["error"] == "Unauthorized"


def test_every_operation_needs_credentials_unless_public(server: Server) -> None:
    spec = HttpClient(server.url, server.headers).get("/api/openapi.json").json()
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["components"]["securitySchemes"]["cookieAuth"]["name"] == "session"
    anonymous = HttpClient(server.url)
    checked = 0
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            url = "/api" + path.format(
                device_id="pi5-lab-01", run_id="nope", sha256="0" * 64, campaign_id=1
            )
            reply = anonymous.request(method.upper(), url)
            if operation["security"] == []:
                assert reply.status != 401, (method, path)
            else:
                assert reply.status == 401, (method, path, reply.status)
                assert reply.headers["WWW-Authenticate"] == 'Bearer realm="edgebench"'
                assert "401" in operation["responses"]
            checked += 1
    assert checked == sum(len(item) for item in spec["paths"].values()) >= 13


def test_declared_scopes_match_what_the_views_require(server: Server) -> None:
    spec = HttpClient(server.url, server.headers).get("/api/openapi.json").json()
    app = server.app
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api"))
        access = getattr(app.view_functions[rule.endpoint], ACCESS_ATTR, READ)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = spec["paths"][path][method.lower()]
            scope = operation["x-required-scope"]
            assert SCOPE_ROLE[scope] == access.role, (method, path)
            # A read never needs operate scope; a change always does (an admin's for admin).
            reads = scope == "read" or (scope == "admin" and method == "GET")
            assert (method in SAFE_METHODS) == reads, (method, path)
            assert operation.get("x-device-token", False) == access.devices, (method, path)


@pytest.mark.parametrize(
    ("path", "status", "with_token"),
    [
        ("/", 200, True),
        ("/login", 200, False),
        ("/api/runs?limit=1", 200, True),
        ("/api/nope", 404, True),
        ("/nope", 404, True),
        ("/healthz", 200, False),
        ("/static/dashboard.css", 200, False),
        ("/api/runs", 401, False),
        ("/metrics", 200, True),
    ],
)
def test_security_headers_on_every_response(
    server: Server, path: str, status: int, with_token: bool
) -> None:
    reply = HttpClient(server.url, server.headers if with_token else {}).get(path)
    assert reply.status == status
    for name, value in SECURITY_HEADERS.items():
        assert reply.headers[name] == value, (path, name)
    assert "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"]
    assert "form-action 'self'" in reply.headers["Content-Security-Policy"]


def test_public_read_lets_anonymous_read_only(fresh_app, fleet: Fleet) -> None:
    run_id = run_ids(fleet)[-1]
    with serve(fresh_app(PUBLIC_READ=True)) as public:
        anonymous = HttpClient(public.url)
        page = anonymous.get("/")
        assert page.status == 200 and 'id="login-link"' in page.text
        assert "Log out" not in page.text
        assert anonymous.get("/api/runs").status == 200
        assert anonymous.get(f"/runs/{run_id}").status == 200
        assert "Delete run" not in anonymous.get(f"/runs/{run_id}").text
        assert anonymous.request("DELETE", f"/api/runs/{run_id}").status == 401
        assert anonymous.post(f"/runs/{run_id}/delete", {}).status == 302  # to the login page
        assert anonymous.get("/api/audit").status == 401
        assert anonymous.get("/audit").status == 302
        assert anonymous.get("/metrics").status == 401  # public_metrics is separate
        assert run_exists(fleet, run_id)


def test_public_metrics_opens_only_metrics(fresh_app) -> None:
    with serve(fresh_app(PUBLIC_METRICS=True)) as public:
        anonymous = HttpClient(public.url)
        reply = anonymous.get("/metrics")
        assert reply.status == 200 and "edgebench_collector_runs" in reply.text
        assert anonymous.get("/api/runs").status == 401
        assert anonymous.get("/").status == 302
