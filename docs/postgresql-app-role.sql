-- Least privilege for the prospecting service on PostgreSQL (see docs/operations.md).
--
-- The service runs as a role that owns nothing; migrations run as the owner. Run this as the
-- owner role (the one `prospecting migrate` connects as), once per store database, after
-- every migration (new tables need their grants):
--
--   psql "$OWNER_TENANT_URL" -v app_role=prospecting_app -f docs/postgresql-app-role.sql
--   psql "$OWNER_GRAPH_URL"  -v app_role=prospecting_app -f docs/postgresql-app-role.sql
--
-- Create the login role once beforehand (it is cluster-wide), e.g. as a superuser:
--   CREATE ROLE prospecting_app LOGIN PASSWORD '...' NOSUPERUSER NOCREATEDB NOCREATEROLE;
--
-- What the app role gets: USAGE on the schema; SELECT, INSERT, UPDATE, DELETE on the tables
-- (less what the service never needs: nothing but SELECT on alembic_version, no UPDATE or DELETE
-- on the audit, consent-history and blocked-digest tables, no DELETE on opt-outs and erasure
-- grants, no INSERT or DELETE on the chain heads); USAGE and SELECT on sequences. Not owning a
-- table, it cannot ALTER it (no DISABLE TRIGGER), DROP or replace a trigger or function,
-- TRUNCATE, or set session_replication_role.

SELECT set_config('prospecting.app_role', :'app_role', false);

DO $grant$
DECLARE
  app text := current_setting('prospecting.app_role');
  schema_name text := current_schema();
  t text;
BEGIN
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', schema_name, app);
  EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM %I', schema_name, app);
  EXECUTE format(
    'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', schema_name, app
  );
  EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I', schema_name, app);
  EXECUTE format('REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM %I', app);
  FOREACH t IN ARRAY ARRAY[
    'graph_query_audit', 'graph_contributor_sets', 'graph_contributor_set_members',
    'provider_graph_consent_events', 'graph_blocked_digests'
  ] LOOP
    IF to_regclass(t) IS NOT NULL THEN
      EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %I FROM %I', t, app);
    END IF;
  END LOOP;
  FOREACH t IN ARRAY ARRAY['subject_opt_outs', 'graph_erasure_grants'] LOOP
    IF to_regclass(t) IS NOT NULL THEN
      EXECUTE format('REVOKE DELETE, TRUNCATE ON %I FROM %I', t, app);
    END IF;
  END LOOP;
  IF to_regclass('graph_chain_heads') IS NOT NULL THEN
    EXECUTE format('REVOKE INSERT, DELETE, TRUNCATE ON graph_chain_heads FROM %I', app);
  END IF;
END
$grant$;
