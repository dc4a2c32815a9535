#!/usr/bin/env bash
# Creates one database per Tefu service, owned by the application role.
# Run once by the postgres image on an empty data directory (/docker-entrypoint-initdb.d/).
set -euo pipefail

owner="${TEFU_DATABASE_OWNER:-${POSTGRES_USER:-tefu}}"

for database in registry eligibility payments medical_priority supervision console; do
  exists="$(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres --tuples-only --no-align \
    --command "SELECT 1 FROM pg_database WHERE datname = '${database}'")"
  if [[ "$exists" != "1" ]]; then
    echo "creating database ${database} owned by ${owner}"
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
      --command "CREATE DATABASE \"${database}\" OWNER \"${owner}\""
  fi
done
