import { loginCreation } from '../../lib/private/pg-logins';

describe('loginCreation: statements that create a login', () => {
  test('a plain role is created only while it is missing', () => {
    expect(loginCreation('CREATE ROLE "rag_api" LOGIN', 'role_missing_0')).toEqual([
      '\\if :role_missing_0',
      'CREATE ROLE "rag_api" LOGIN;',
      '\\endif',
    ]);
  });

  test('an existing Entra role is pointed at the object id given now (a re-created identity), without stopping the script', () => {
    const lines = loginCreation(
      "SELECT * FROM pgaadauth_create_principal_with_oid('feast_reader', '0f0e0d0c-0000-4000-8000-000000000001', 'service', false, false)",
      'role_missing_3',
    );
    expect(lines[0]).toBe('\\if :role_missing_3');
    expect(lines[1]).toMatch(/^SELECT \* FROM pgaadauth_create_principal_with_oid\('feast_reader'/);
    const otherwise = lines.slice(lines.indexOf('\\else') + 1, lines.indexOf('\\endif'));
    expect(otherwise.filter((l) => !l.startsWith('\\echo'))).toEqual([
      '\\set ON_ERROR_STOP 0',
      `SECURITY LABEL FOR "pgaadauth" ON ROLE "feast_reader" IS 'aadauth,oid=0f0e0d0c-0000-4000-8000-000000000001,type=service';`,
      '\\set ON_ERROR_STOP 1',
    ]);
  });
});
