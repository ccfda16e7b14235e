#!/bin/sh
# The temporal-schema job of docker-compose.yml (temporalio/admin-tools image): creates
# Temporal's two PostgreSQL databases and brings each schema to the version this Temporal
# release ships. Every step is idempotent — `create` accepts an existing database,
# `setup-schema -v 0.0` keeps a newer version, `update-schema` applies only missing versions —
# so the job runs on every `docker compose up` and also upgrades after an image bump.
set -eu

: "${DB:?DB (the SQL plugin, postgres12) is not set}"
: "${POSTGRES_SEEDS:?POSTGRES_SEEDS (the PostgreSQL host) is not set}"
: "${POSTGRES_USER:?POSTGRES_USER is not set}"
: "${POSTGRES_PWD:?POSTGRES_PWD is not set}"
DB_PORT="${DB_PORT:-5432}"
SCHEMA_DIR="${TEMPORAL_SCHEMA_DIR:-/etc/temporal/schema}/postgresql/v12"

# temporal-sql-tool reads the password from SQL_PASSWORD, which keeps it off the command line.
SQL_PASSWORD="$POSTGRES_PWD"
export SQL_PASSWORD

sql_tool() {
  temporal-sql-tool --plugin "$DB" --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"
}

# PostgreSQL is healthy before this job starts (depends_on), but a restart of it in between
# should cost a wait, not a failed stack.
attempt=1
until nc -z -w 5 "$POSTGRES_SEEDS" "$DB_PORT"; do
  if [ "$attempt" -ge 30 ]; then
    echo "PostgreSQL at $POSTGRES_SEEDS:$DB_PORT does not answer" >&2
    exit 1
  fi
  echo "waiting for PostgreSQL at $POSTGRES_SEEDS:$DB_PORT ($attempt)"
  attempt=$((attempt + 1))
  sleep 2
done

for pair in "${DBNAME:-temporal}:temporal" "${VISIBILITY_DBNAME:-temporal_visibility}:visibility"; do
  database="${pair%%:*}"
  schema="${pair#*:}"
  echo "database $database: schema $SCHEMA_DIR/$schema/versioned"
  sql_tool --db "$database" create
  sql_tool --db "$database" setup-schema -v 0.0
  sql_tool --db "$database" update-schema -d "$SCHEMA_DIR/$schema/versioned"
done
echo "Temporal schema is up to date"
