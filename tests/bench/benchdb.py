"""What every benchmark script shares: its own PostgreSQL database, named after BENCH_DATABASE_URL's."""

import os
from urllib.parse import urlsplit, urlunsplit


def database_url(suffix):
    """(base URL, this bench's URL, this bench's database name): `<base name>_<suffix>` beside the base."""
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/prm_bench")
    parts = urlsplit(base)
    name = f"{parts.path.lstrip('/')}_{suffix}"
    return base, urlunsplit(parts._replace(path="/" + name, query="")), name


def recreate_database(base_url, name):
    """Drop and create the bench's database, so every run starts from the same empty state."""
    import psycopg2

    parts = urlsplit(base_url)
    conn = psycopg2.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
                            password=parts.password or None, dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
