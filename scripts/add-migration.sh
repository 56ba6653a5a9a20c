#!/usr/bin/env bash
# Adds a migration to both migration sets (SQLite and PostgreSQL) so they never drift apart.
# Usage: scripts/add-migration.sh <Name>
set -euo pipefail
name=${1:?usage: scripts/add-migration.sh <MigrationName>}
cd "$(dirname "$0")/../src/Recoverly"
dotnet tool restore >/dev/null
dotnet ef migrations add "$name" --context SqliteRecoverlyDb --output-dir Data/Migrations/Sqlite --namespace Recoverly.Data.Migrations.Sqlite
dotnet ef migrations add "$name" --context PostgresRecoverlyDb --output-dir Data/Migrations/Postgres --namespace Recoverly.Data.Migrations.Postgres
