/**
 * psql lines for a statement of a login's setup SQL that creates the login: run only while the role is
 * missing (`flag` is a psql variable set from pg_roles). A role mapped to an Entra object id (Azure's
 * `pgaadauth_create_principal_with_oid`) that already exists is pointed at the id given now instead: a
 * workload identity re-created with its cluster (the compute stack destroyed and deployed again, the
 * database kept in a data stack) has a new object id, and the old mapping would refuse its tokens. A
 * failure to re-point is reported in the Job's log and does not stop the other grants.
 */
export function loginCreation(statement: string, flag: string): string[] {
  const entra = /pgaadauth_create_principal_with_oid\(\s*'([^']+)'\s*,\s*'([^']+)'\s*,\s*'(service|user|group)'/i.exec(statement);
  if (!entra) return [`\\if :${flag}`, `${statement};`, '\\endif'];
  const [, role, objectId, type] = entra;
  return [
    `\\if :${flag}`,
    `${statement};`,
    '\\else',
    `\\echo 'role ${role} exists: mapping it to object id ${objectId} (a re-created identity has a new one)'`,
    '\\set ON_ERROR_STOP 0',
    `SECURITY LABEL FOR "pgaadauth" ON ROLE "${role}" IS 'aadauth,oid=${objectId},type=${type.toLowerCase()}';`,
    '\\set ON_ERROR_STOP 1',
    '\\endif',
  ];
}
