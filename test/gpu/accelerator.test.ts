import * as fs from 'fs';
import * as path from 'path';
import { AcceleratorKind, Gpu, GpuDomainError } from '../../lib/gpu';

const REFS = path.join(__dirname, '..', 'fixtures', 'nvidia', 'mig-profiles.json');
interface RefProfile {
  profile: string;
  memory_gb: number;
  compute_slices: number;
  max_instances: number;
  media_extensions?: boolean;
}
const refs: { gpus: { [label: string]: { device_ids: string[]; profiles: RefProfile[] } } } = JSON.parse(fs.readFileSync(REFS, 'utf8'));

describe('Gpu catalog', () => {
  test('names match static members and are unique', () => {
    const names = Gpu.all().map((g) => g.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect((Gpu as unknown as { [k: string]: Gpu })[name].name).toBe(name);
    expect(names).toHaveLength(13);
  });

  test('memory per device', () => {
    const mem = Object.fromEntries(Gpu.all().map((g) => [g.name, g.memoryGib]));
    expect(mem).toEqual({
      A100_40GB: 40,
      A100_80GB: 80,
      H100_80GB: 80,
      H100_NVL_94GB: 94,
      H200_141GB: 141,
      L4: 24,
      L40S: 48,
      A10G: 24,
      A10: 24,
      T4: 16,
      INFERENTIA2: 32,
      TRAINIUM: 32,
      TRAINIUM2: 96,
    });
  });

  test('product labels are label-safe', () => {
    for (const g of Gpu.all()) expect(g.productLabel).toMatch(/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/);
    expect(Gpu.H100_80GB.productLabel).toBe('H100-SXM5-80GB');
    expect(Gpu.INFERENTIA2.productLabel).toBe('Inferentia2');
  });

  test('kinds', () => {
    expect(
      Gpu.all()
        .filter((g) => g.kind === AcceleratorKind.AWS_NEURON)
        .map((g) => g.name),
    ).toEqual(['INFERENTIA2', 'TRAINIUM', 'TRAINIUM2']);
    expect(
      Gpu.all()
        .filter((g) => g.migCapable)
        .map((g) => g.name),
    ).toEqual(['A100_40GB', 'A100_80GB', 'H100_80GB', 'H100_NVL_94GB', 'H200_141GB']);
    for (const g of Gpu.all()) expect(g.migCapable).toBe(g.migProfiles.length > 0);
  });

  test('memory slices are eighths of the GPU memory', () => {
    const slices = (g: Gpu) => Object.fromEntries(g.migProfiles.map((p) => [p.name, p.memorySlices]));
    expect(slices(Gpu.A100_80GB)).toEqual({
      '1g.10gb': 1,
      '1g.10gb+me': 1,
      '1g.20gb': 2,
      '2g.20gb': 2,
      '3g.40gb': 4,
      '4g.40gb': 4,
      '7g.80gb': 8,
    });
    expect(slices(Gpu.A100_40GB)).toMatchObject({ '1g.5gb': 1, '1g.10gb': 2, '3g.20gb': 4, '7g.40gb': 8 });
    for (const g of Gpu.all()) for (const p of g.migProfiles) expect(p.memorySlices).toBeLessThanOrEqual(8);
  });

  test('of() finds by name case-insensitively and lists names when unknown', () => {
    expect(Gpu.of('h100_80gb')).toBe(Gpu.H100_80GB);
    expect(() => Gpu.of('B200')).toThrow(GpuDomainError);
    expect(() => Gpu.of('B200')).toThrow(/^gpu 'B200' is not in the accelerator catalog; use one of A100_40GB, .*TRAINIUM2$/);
  });

  test('migProfile() errors name the offered profiles', () => {
    expect(Gpu.H100_80GB.migProfile('3g.40gb').maxInstances).toBe(2);
    expect(() => Gpu.H100_80GB.migProfile('2g.10gb')).toThrow(
      /^mig profile '2g.10gb' is not offered by NVIDIA H100 80GB; allowed: 1g.10gb, 1g.10gb\+me, 1g.20gb, 2g.20gb, 3g.40gb, 4g.40gb, 7g.80gb$/,
    );
    expect(() => Gpu.L4.migProfile('1g.10gb')).toThrow(
      /NVIDIA L4 does not support MIG; use one of A100_40GB, A100_80GB, H100_80GB, H100_NVL_94GB, H200_141GB/,
    );
  });

  test('cloud offerings', () => {
    expect(Gpu.forAwsInstanceType('p5.48xlarge')).toBe(Gpu.H100_80GB);
    expect(Gpu.forAwsInstanceType('g6e.12xlarge')).toBe(Gpu.L40S);
    expect(Gpu.forAwsInstanceType('trn1n.32xlarge')).toBe(Gpu.TRAINIUM);
    expect(Gpu.forAwsInstanceType('m5.large')).toBeUndefined();
    expect(Gpu.L4.awsOffering('g6.48xlarge')).toEqual({ instanceType: 'g6.48xlarge', acceleratorCount: 8 });
    expect(Gpu.L4.awsOffering('gr6.8xlarge')?.acceleratorCount).toBe(1);
    expect(Gpu.L4.awsOffering('p5.48xlarge')).toBeUndefined();
    expect(Gpu.A100_80GB.azureOffering('standard_nc48ads_a100_v4')?.acceleratorCount).toBe(2);
    expect(Gpu.forAzureVmSize('Standard_NC40ads_H100_v5')).toBe(Gpu.H100_NVL_94GB);
    expect(Gpu.H100_NVL_94GB.awsInstanceTypes).toEqual([]);
    expect(Gpu.A10.awsInstanceTypes).toEqual([]);
    for (const g of [Gpu.L4, Gpu.L40S, Gpu.A10G, Gpu.INFERENTIA2, Gpu.TRAINIUM, Gpu.TRAINIUM2]) expect(g.azureVmSizes).toEqual([]);
    expect(Gpu.TRAINIUM.maxAcceleratorsPerMachine).toBe(16);
    expect(Gpu.H100_NVL_94GB.maxAcceleratorsPerMachine).toBe(2);
  });

  test('every instance type and VM size belongs to exactly one accelerator', () => {
    const aws = Gpu.all().flatMap((g) => g.awsInstanceTypes.map((o) => o.instanceType));
    const azure = Gpu.all().flatMap((g) => g.azureVmSizes.map((o) => o.instanceType.toLowerCase()));
    expect(new Set(aws).size).toBe(aws.length);
    expect(new Set(azure).size).toBe(azure.length);
    for (const g of Gpu.all()) {
      for (const o of [...g.awsInstanceTypes, ...g.azureVmSizes]) {
        expect(Number.isInteger(o.acceleratorCount) && o.acceleratorCount >= 1).toBe(true);
      }
    }
  });

  test('PCI ids are in mig-parted device-filter form', () => {
    for (const g of Gpu.all()) for (const id of g.pciDeviceIds) expect(id).toMatch(/^0x[0-9A-F]{4}10DE$/);
    // The ids the GPU operator's default mig-parted config lists for H100/H800 80GB (SXM and PCIe).
    expect(Gpu.H100_80GB.pciDeviceIds).toEqual(['0x233010DE', '0x233110DE', '0x232210DE', '0x232410DE']);
    for (const g of Gpu.all()) expect(new Set(g.pciDeviceIds).size).toBe(g.pciDeviceIds.length);
  });

  test('MIG profiles and device ids match the NVIDIA reference data', () => {
    const migCapable = Gpu.all().filter((g) => g.migCapable);
    for (const g of migCapable) {
      const ref = refs.gpus[g.productLabel];
      expect(ref).toBeDefined();
      expect(
        g.migProfiles.map((p) => ({
          profile: p.name,
          memory_gb: p.memoryGb,
          compute_slices: p.computeSlices,
          max_instances: p.maxInstances,
          me: p.mediaExtensions,
        })),
      ).toEqual(
        ref.profiles.map((p) => ({
          profile: p.profile,
          memory_gb: p.memory_gb,
          compute_slices: p.compute_slices,
          max_instances: p.max_instances,
          me: p.media_extensions ?? false,
        })),
      );
      // The reference annotates some ids with a product name after the id. The catalog may list more ids
      // than the reference (e.g. H800 variants), but never fewer: a missing id leaves those GPUs uncut.
      expect(g.pciDeviceIds).toEqual(expect.arrayContaining(ref.device_ids.map((d) => d.split(' ')[0])));
    }
  });
});
