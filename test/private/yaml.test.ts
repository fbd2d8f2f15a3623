import { Token } from 'cdktf';
import { parse } from 'yaml';
import { toYaml } from '../../lib/private/yaml';

/** What a YAML reader gets back: the input less its undefined values. */
function roundTrip(value: Record<string, unknown>): unknown {
  return parse(toYaml(value));
}

describe('toYaml', () => {
  test('maps and lists in insertion order, 2-space indents, list items under their key', () => {
    expect(
      toYaml({
        image: { repository: 'nvcr.io/nvidia/gpu-operator', tag: 'v25.3.0' },
        tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists' }],
        args: ['--a', '--b'],
        empty: {},
        none: [],
        off: false,
        replicas: 2,
        nothing: null,
        left: undefined,
      }),
    ).toBe(
      [
        'image:',
        '  repository: nvcr.io/nvidia/gpu-operator',
        '  tag: v25.3.0',
        'tolerations:',
        '  - key: nvidia.com/gpu',
        '    operator: Exists',
        'args:',
        '  - "--a"',
        '  - "--b"',
        'empty: {}',
        'none: []',
        '"off": false',
        'replicas: 2',
        'nothing: null',
        '',
      ].join('\n'),
    );
  });

  test('words YAML 1.1 reads as booleans or null, numbers and keys that need it are quoted', () => {
    const value = { yes: 'no', on: 'off', n: '~', port: '8080', 'with space': 'a b', empty: '' };
    expect(toYaml(value)).toBe('"yes": "no"\n"on": "off"\n"n": "~"\nport: "8080"\n"with space": "a b"\nempty: ""\n');
    expect(roundTrip(value)).toEqual(value);
  });

  test('a multi-line string keeps its final newline', () => {
    const value = { config: 'a: 1\nb: 2\n', script: 'set -e\nexit 0' };
    expect(toYaml(value)).toBe('config: |\n  a: 1\n  b: 2\nscript: |-\n  set -e\n  exit 0\n');
    expect(roundTrip(value)).toEqual(value);
  });

  test('a multi-line string whose first line starts with spaces is valid YAML', () => {
    const value = { text: '  indented\nnot\n', items: ['    deep\nshallow'] };
    expect(toYaml(value)).toBe('text: |2\n    indented\n  not\nitems:\n  - |2-\n        deep\n    shallow\n');
    expect(roundTrip(value)).toEqual(value);
  });

  test('trailing blank lines and blank lines inside a block are kept', () => {
    const value = { a: 'x\n\ny\n\n', b: '\nstarts blank' };
    expect(roundTrip(value)).toEqual(value);
  });

  test('Terraform tokens survive: single quotes around interpolations, as is inside blocks', () => {
    const arn = Token.asString({ ref: 'arn' });
    const value = {
      roleArn: '${aws_iam_role.feast.arn}',
      first: '${split(":", var.image)[0]}',
      quoted: "it's ${var.name}",
      resolved: arn,
      file: 'endpoint: ${aws_db_instance.db.address}\nport: 5432\n',
    };
    const text = toYaml(value);
    expect(text).toContain("roleArn: '${aws_iam_role.feast.arn}'\n");
    expect(text).toContain(`first: '\${split(":", var.image)[0]}'\n`);
    expect(text).toContain("quoted: 'it''s ${var.name}'\n");
    expect(text).toContain('file: |\n  endpoint: ${aws_db_instance.db.address}\n  port: 5432\n');
    expect(roundTrip(value)).toEqual(value);
  });

  test('lists of lists and a value used twice are written out in full, without anchors', () => {
    const shared = { cpu: '1' };
    const value = { matrix: [[1, 2], [3]], requests: shared, limits: shared };
    const text = toYaml(value);
    expect(text).toBe('matrix:\n  - - 1\n    - 2\n  - - 3\nrequests:\n  cpu: "1"\nlimits:\n  cpu: "1"\n');
    expect(roundTrip(value)).toEqual(value);
  });

  test('long strings are not folded', () => {
    const long = 'x'.repeat(200) + ' ' + 'y'.repeat(200);
    expect(toYaml({ long })).toBe(`long: "${long}"\n`);
  });

  test('the output is the same on every call', () => {
    const value = { b: [{ z: 1, a: 2 }], a: { y: 'text\nmore\n' } };
    expect(toYaml(value)).toBe(toYaml(JSON.parse(JSON.stringify(value))));
  });

  test('a number YAML cannot hold is refused', () => {
    expect(() => toYaml({ x: Number.NaN })).toThrow(/cannot write NaN as YAML/);
    expect(() => toYaml({ x: Infinity })).toThrow(/cannot write Infinity as YAML/);
  });
});
