"""Exit 0 when the PostgreSQL server of the URL answers (the database itself need not exist)."""

import sys
from urllib.parse import urlparse

import psycopg

url = urlparse(sys.argv[1])
try:
    psycopg.connect(
        host=url.hostname or "127.0.0.1", port=url.port or 5432, user=url.username or "postgres",
        password=url.password or None, dbname="postgres", connect_timeout=3,
    ).close()
except psycopg.Error as exc:
    print(f"PostgreSQL does not answer: {exc}", file=sys.stderr)
    sys.exit(1)
