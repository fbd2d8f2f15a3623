import { loginSetupScript } from '../../lib/addons/postgres-bootstrap';

// The SQL half of the bootstrap job shared by the pgvector bootstrap (RAG) and Feast's roles job; the job
// itself is asserted through both composites (test/rag/vector-store.test.ts, test/feast/feature-store.test.ts).
describe('loginSetupScript', () => {
  const aws = {
    user: 'rag',
    identityPath: 'app/Rag/Identity',
    setupSql: 'CREATE ROLE "rag" LOGIN; GRANT rds_iam TO "rag";\nCREATE EXTENSION IF NOT EXISTS vector;',
  };

  test('creates the login only while its role is missing, grants every time', () => {
    expect(loginSetupScript(0, aws, 'app')).toEqual([
      '-- app/Rag/Identity as rag',
      '\\connect "app"',
      `SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'rag') THEN 0 ELSE 1 END AS role_missing_0 \\gset`,
      '\\if :role_missing_0',
      'CREATE ROLE "rag" LOGIN;',
      '\\endif',
      'GRANT rds_iam TO "rag";',
      'CREATE EXTENSION IF NOT EXISTS vector;',
    ]);
  });

  test('a note ends the comment line; extensions can be left out (Feast)', () => {
    const lines = loginSetupScript(3, aws, 'feast_online', ' (read)', true);
    expect(lines[0]).toBe('-- app/Rag/Identity as rag (read)');
    expect(lines).toContain('\\if :role_missing_3');
    expect(lines.some((l) => /CREATE EXTENSION/.test(l))).toBe(false);
  });

  test("Azure's '-- in database' markers switch databases", () => {
    const azure = {
      user: 'rag',
      identityPath: 'app/Rag/Identity',
      setupSql:
        "-- in database postgres\nSELECT * FROM pgaadauth_create_principal_with_oid('rag', '0000', 'service', false, false);\n-- in database \"app\"\nGRANT ALL ON SCHEMA public TO \"rag\";",
    };
    const lines = loginSetupScript(1, azure, 'app');
    expect(lines.slice(3, 5)).toEqual(['\\connect "postgres"', '\\if :role_missing_1']);
    expect(lines.slice(-2)).toEqual(['\\connect "app"', 'GRANT ALL ON SCHEMA public TO "rag";']);
  });
});
