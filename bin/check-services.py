"""Before the tests: PostgreSQL and Redis must answer, or we say how to start them and fail."""

import os
import socket
import sys

import environ
import psycopg2

url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/prm_portal")
db = environ.Env.db_url_config(url)
if db["ENGINE"] != "django.db.backends.postgresql":
    sys.exit(f"The tests run on PostgreSQL only, and DATABASE_URL is {url!r}.")
try:
    psycopg2.connect(
        dbname="postgres", user=db.get("USER") or "postgres", password=db.get("PASSWORD") or None,
        host=db.get("HOST") or "127.0.0.1", port=db.get("PORT") or 5432, connect_timeout=5,
    ).close()
except psycopg2.OperationalError as exc:
    sys.exit(
        f"No PostgreSQL answers at {db.get('HOST')}:{db.get('PORT')} ({exc}).\n"
        "Start one, e.g.: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"
        "or set DATABASE_URL=postgres://user:password@host:5432/dbname"
    )
redis_host, redis_port = "127.0.0.1", 6379
try:
    with socket.create_connection((redis_host, redis_port), timeout=3) as s:
        s.sendall(b"PING\r\n")
        if not s.recv(16).startswith(b"+PONG"):
            raise OSError("unexpected answer")
except OSError as exc:
    sys.exit(
        f"No Redis answers at {redis_host}:{redis_port} ({exc}). Start one, e.g.:\n"
        "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no"
    )
print("PostgreSQL and Redis answer.")
