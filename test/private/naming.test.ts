import { Token } from 'cdktf';
import {
  DNS_1035_LABEL,
  DNS_LABEL,
  DNS_SUBDOMAIN,
  KubernetesNameKind,
  LABEL_VALUE,
  kubernetesName,
  kubernetesNames,
  labelValue,
} from '../../lib/private/naming';

// fast-check is not a dependency (yet): a table of hostile inputs stands in for generated ones.
const NASTY = [
  '',
  '-',
  '.',
  '...',
  '---a---',
  'qwen2.5-7b',
  'vllm-qwen2.5-7b',
  'Llama-3.1-8B-Instruct',
  '1rag',
  '9',
  '_leading_underscore_',
  'UPPER_case.Mixed-Name',
  'a..b',
  'a.-b',
  'a-.b',
  'spaces in the name',
  'tab\tand\nnewline',
  'ünïcödé-mödel',
  '模型',
  'emoji-🚀-model',
  'slash/org/model',
  'colon:tag@sha256',
  'a'.repeat(63),
  'a'.repeat(64),
  `${'b'.repeat(70)}.${'c'.repeat(70)}`,
  `${'x'.repeat(62)}-y`,
  `${'x'.repeat(62)}.y`,
  `1${'2'.repeat(100)}`,
  '-'.repeat(100),
  'model-',
  '.model.',
];

const PATTERN: Record<KubernetesNameKind, RegExp> = { service: DNS_1035_LABEL, label: DNS_LABEL, subdomain: DNS_SUBDOMAIN };

describe('kubernetesName', () => {
  describe.each(['service', 'label', 'subdomain'] as KubernetesNameKind[])('%s', (kind) => {
    test.each(NASTY.map((t) => [JSON.stringify(t), t]))('%s gives a valid name', (_label, text) => {
      const name = kubernetesName(text, kind);
      expect(name).toMatch(PATTERN[kind]);
      // Deterministic.
      expect(kubernetesName(text, kind)).toBe(name);
    });

    test.each([10, 20, 30, 53])('maxLength %i is kept, and a valid name is idempotent', (max) => {
      for (const text of NASTY) {
        const name = kubernetesName(text, kind, max);
        expect(name.length).toBeLessThanOrEqual(max);
        expect(name).toMatch(PATTERN[kind]);
        expect(kubernetesName(name, kind, max)).toBe(name);
      }
    });
  });

  test('a valid name that fits comes back unchanged (names never move on upgrade)', () => {
    for (const name of ['rag', 'vllm-bge-m3', 'rag-router', 'a'.repeat(63)]) {
      expect(kubernetesName(name, 'service')).toBe(name);
      expect(kubernetesName(name, 'label')).toBe(name);
      expect(kubernetesName(name, 'subdomain')).toBe(name);
    }
    expect(kubernetesName('stage-qwen2.5-7b', 'subdomain')).toBe('stage-qwen2.5-7b');
  });

  test('a model name with a dot gives a Service name without one', () => {
    expect(kubernetesName('vllm-qwen2.5-7b', 'service')).toBe('vllm-qwen2-5-7b');
    expect(kubernetesName('1rag', 'service')).toBe('x-1rag');
    expect(kubernetesName('1rag', 'label')).toBe('1rag');
  });

  test('truncation ends in a hash of the whole text, so long names sharing a start stay apart', () => {
    const long = 'm'.repeat(80);
    const a = kubernetesName(`${long}-server`);
    const b = kubernetesName(`${long}-server-config`);
    expect(a).not.toBe(b);
    expect(a).toHaveLength(63);
    expect(a).toMatch(/-[0-9a-f]{6}$/);
  });

  test('unresolved tokens are left alone', () => {
    const t = Token.asString({ Ref: 'x' });
    expect(kubernetesName(t, 'service')).toBe(t);
    expect(labelValue(t)).toBe(t);
  });
});

describe('kubernetesNames', () => {
  test('two texts that give one name are told apart by a hash of the changed one', () => {
    const [a, b] = kubernetesNames(['vllm-qwen2.5-7b', 'vllm-qwen2-5-7b'], 'service');
    expect(b).toBe('vllm-qwen2-5-7b');
    expect(a).toMatch(/^vllm-qwen2-5-7b-[0-9a-f]{6}$/);
    expect(a).toMatch(DNS_1035_LABEL);
  });

  test('every pair of distinct nasty inputs gets distinct names', () => {
    for (const kind of ['service', 'label', 'subdomain'] as KubernetesNameKind[]) {
      const texts = [...new Set(NASTY)];
      const names = kubernetesNames(texts, kind);
      expect(new Set(names).size).toBe(texts.length);
      for (const n of names) expect(n).toMatch(PATTERN[kind]);
    }
  });

  test('without a collision the names are those of kubernetesName', () => {
    expect(kubernetesNames(['vllm-qwen2.5-7b', 'vllm-bge-m3'], 'service')).toEqual(['vllm-qwen2-5-7b', 'vllm-bge-m3']);
  });
});

describe('labelValue', () => {
  test.each(NASTY.map((t) => [JSON.stringify(t), t]))('%s gives a valid label value', (_label, text) => {
    const value = labelValue(text);
    expect(value).toMatch(LABEL_VALUE);
    expect(value.length).toBeLessThanOrEqual(63);
  });

  test('a valid value is kept, case included', () => {
    expect(labelValue('qwen2.5-7b')).toBe('qwen2.5-7b');
    expect(labelValue('Llama_3.1')).toBe('Llama_3.1');
    expect(labelValue(`rag-${'q'.repeat(70)}`)).toMatch(/^rag-q+-[0-9a-f]{6}$/);
  });
});
