import { GpuDomainError } from './errors';

/** The family of an accelerator, which decides the device plugin and the node image it needs. */
export enum AcceleratorKind {
  /** NVIDIA GPU driven by the NVIDIA driver, container toolkit and device plugin. */
  NVIDIA_GPU = 'NVIDIA_GPU',
  /** AWS Inferentia or Trainium chip driven by the Neuron driver and device plugin. */
  AWS_NEURON = 'AWS_NEURON',
}

/** One machine size of a cloud that carries whole accelerators. */
export interface InstanceOffering {
  /** AWS instance type or Azure VM size, e.g. `p5.48xlarge` or `Standard_NC24ads_A100_v4`. */
  readonly instanceType: string;
  /** Whole accelerator devices (GPUs or Neuron chips) on one machine. */
  readonly acceleratorCount: number;
}

/** Inputs of a MIG profile. */
export interface MigProfileProps {
  /** Profile name as nvidia-smi and mig-parted spell it, e.g. `1g.10gb` or `1g.10gb+me`. */
  readonly name: string;
  /** GPU compute slices (the `<N>g` part of the name); a full GPU has 7. */
  readonly computeSlices: number;
  /** Nominal memory of the GPU instance in GB, from the profile name. */
  readonly memoryGb: number;
  /** Most instances of this profile that fit on one GPU when used alone. */
  readonly maxInstances: number;
  /**
   * True for `+me` profiles, which own the GPU's media engines (decoders, JPEG, OFA).
   * @default false
   */
  readonly mediaExtensions?: boolean;
  /** Memory slices used, in eighths of the GPU memory. */
  readonly memorySlices: number;
}

/** A Multi-Instance GPU partition size offered by one GPU model. */
export class MigProfile {
  /** Profile name, e.g. `1g.10gb`. */
  public readonly name: string;
  /** GPU compute slices; a full GPU has 7. */
  public readonly computeSlices: number;
  /** Nominal memory in GB. */
  public readonly memoryGb: number;
  /** Most instances of this profile alone on one GPU. */
  public readonly maxInstances: number;
  /** True for `+me` profiles; a GPU has one set of media engines, so at most one such instance. */
  public readonly mediaExtensions: boolean;
  /** Memory slices in eighths of the GPU memory; a GPU has 8. */
  public readonly memorySlices: number;

  constructor(props: MigProfileProps) {
    this.name = props.name;
    this.computeSlices = props.computeSlices;
    this.memoryGb = props.memoryGb;
    this.maxInstances = props.maxInstances;
    this.mediaExtensions = props.mediaExtensions ?? false;
    this.memorySlices = props.memorySlices;
  }
}

/** [name, computeSlices, memoryGb, maxInstances] as published for each MIG-capable GPU. */
type ProfileRow = [string, number, number, number];

function profiles(gpuMemoryGib: number, rows: ProfileRow[]): MigProfile[] {
  // Eighths rather than GB because placement is counted in memory slices, and the nominal GB
  // in a name (e.g. 3g.47gb on 94 GB) is rounded down by NVIDIA.
  return rows.map(
    ([name, computeSlices, memoryGb, maxInstances]) =>
      new MigProfile({
        name,
        computeSlices,
        memoryGb,
        maxInstances,
        mediaExtensions: name.endsWith('+me'),
        memorySlices: Math.round(memoryGb / (gpuMemoryGib / 8)),
      }),
  );
}

/** The seven-slice ladder shared by every Ampere/Hopper SXM-class part, scaled by its memory. */
function hopperLadder(gpuMemoryGib: number, g1: number, g1Double: number, g3: number): MigProfile[] {
  return profiles(gpuMemoryGib, [
    [`1g.${g1}gb`, 1, g1, 7],
    [`1g.${g1}gb+me`, 1, g1, 1],
    [`1g.${g1Double}gb`, 1, g1Double, 4],
    [`2g.${g1Double}gb`, 2, g1Double, 3],
    [`3g.${g3}gb`, 3, g3, 2],
    [`4g.${g3}gb`, 4, g3, 1],
    [`7g.${gpuMemoryGib}gb`, 7, gpuMemoryGib, 1],
  ]);
}

function offerings(rows: Array<[string, number]>): InstanceOffering[] {
  return rows.map(([instanceType, acceleratorCount]) => ({ instanceType, acceleratorCount }));
}

/** Sizes `<family>.xlarge` … `<family>.16xlarge`, which carry a single device. */
function singles(family: string): Array<[string, number]> {
  return ['xlarge', '2xlarge', '4xlarge', '8xlarge', '16xlarge'].map((s): [string, number] => [`${family}.${s}`, 1]);
}

interface GpuSpec {
  readonly name: string;
  readonly displayName: string;
  readonly productLabel: string;
  readonly kind: AcceleratorKind;
  readonly memoryGib: number;
  readonly migProfiles: MigProfile[];
  readonly pciDeviceIds: string[];
  readonly awsInstanceTypes: InstanceOffering[];
  readonly azureVmSizes: InstanceOffering[];
  readonly neuronCoresPerDevice?: number;
}

/**
 * An accelerator model with the facts the platform needs: memory, MIG partitions, PCI ids
 * (mig-parted device filters) and the cloud machine sizes that carry it.
 */
export class Gpu {
  /** NVIDIA A100 SXM4 40GB (AWS p4d, Azure ND A100 v4). */
  public static readonly A100_40GB = new Gpu({
    name: 'A100_40GB',
    displayName: 'NVIDIA A100 40GB',
    productLabel: 'A100-SXM4-40GB',
    kind: AcceleratorKind.NVIDIA_GPU,
    memoryGib: 40,
    migProfiles: profiles(40, [
      ['1g.5gb', 1, 5, 7],
      ['1g.5gb+me', 1, 5, 1],
      ['1g.10gb', 1, 10, 4],
      ['2g.10gb', 2, 10, 3],
      ['3g.20gb', 3, 20, 2],
      ['4g.20gb', 4, 20, 1],
      ['7g.40gb', 7, 40, 1],
    ]),
    pciDeviceIds: ['0x20B010DE', '0x20B110DE', '0x20F110DE', '0x20F610DE'],
    awsInstanceTypes: offerings([['p4d.24xlarge', 8]]),
    azureVmSizes: offerings([['Standard_ND96asr_v4', 8]]),
  });

  /** NVIDIA A100 80GB (AWS p4de, Azure NC/ND A100 v4). */
  public static readonly A100_80GB = new Gpu({
    name: 'A100_80GB',
    displayName: 'NVIDIA A100 80GB',
    productLabel: 'A100-SXM4-80GB',
    kind: AcceleratorKind.NVIDIA_GPU,
    memoryGib: 80,
    migProfiles: hopperLadder(80, 10, 20, 40),
    pciDeviceIds: ['0x20B210DE', '0x20B510DE'],
    awsInstanceTypes: offerings([['p4de.24xlarge', 8]]),
    azureVmSizes: offerings([
      ['Standard_NC24ads_A100_v4', 1],
      ['Standard_NC48ads_A100_v4', 2],
      ['Standard_NC96ads_A100_v4', 4],
      ['Standard_ND96amsr_A100_v4', 8],
    ]),
  });

  /** NVIDIA H100 SXM5 80GB (AWS p5, Azure ND H100 v5). */
  public static readonly H100_80GB = new Gpu({
    name: 'H100_80GB',
    displayName: 'NVIDIA H100 80GB',
    productLabel: 'H100-SXM5-80GB',
    kind: AcceleratorKind.NVIDIA_GPU,
    memoryGib: 80,
    migProfiles: hopperLadder(80, 10, 20, 40),
    // SXM5 and PCIe H100 80GB plus the H800 80GB variants: the ids the GPU operator's default
    // mig-parted config lists for this MIG geometry.
    pciDeviceIds: ['0x233010DE', '0x233110DE', '0x232210DE', '0x232410DE'],
    awsInstanceTypes: offerings([
      ['p5.48xlarge', 8],
      ['p5.4xlarge', 1],
    ]),
    azureVmSizes: offerings([['Standard_ND96isr_H100_v5', 8]]),
  });

  /** NVIDIA H100 NVL 94GB (Azure NC H100 v5). */
  public static readonly H100_NVL_94GB = new Gpu({
    name: 'H100_NVL_94GB',
    displayName: 'NVIDIA H100 NVL 94GB',
    productLabel: 'H100-NVL-94GB',
    kind: AcceleratorKind.NVIDIA_GPU,
    memoryGib: 94,
    migProfiles: hopperLadder(94, 12, 24, 47),
    pciDeviceIds: ['0x232110DE'],
    awsInstanceTypes: [],
    azureVmSizes: offerings([
      ['Standard_NC40ads_H100_v5', 1],
      ['Standard_NC80adis_H100_v5', 2],
    ]),
  });

  /** NVIDIA H200 141GB (AWS p5e/p5en, Azure ND H200 v5). */
  public static readonly H200_141GB = new Gpu({
    name: 'H200_141GB',
    displayName: 'NVIDIA H200 141GB',
    productLabel: 'H200-141GB',
    kind: AcceleratorKind.NVIDIA_GPU,
    memoryGib: 141,
    migProfiles: hopperLadder(141, 18, 35, 71),
    // SXM and NVL variants; mig-parted's default config filters H200 on both.
    pciDeviceIds: ['0x233510DE', '0x233B10DE'],
    awsInstanceTypes: offerings([
      ['p5e.48xlarge', 8],
      ['p5en.48xlarge', 8],
    ]),
    azureVmSizes: offerings([['Standard_ND96isr_H200_v5', 8]]),
  });

  /** NVIDIA L4 24GB (AWS g6, gr6). */
  public static readonly L4 = new Gpu({
    name: 'L4',
    displayName: 'NVIDIA L4',
    productLabel: 'L4',
    kind: AcceleratorKind.NVIDIA_GPU,
    memoryGib: 24,
    migProfiles: [],
    pciDeviceIds: ['0x27B810DE'],
    awsInstanceTypes: offerings([
      ...singles('g6'),
      ['g6.12xlarge', 4],
      ['g6.24xlarge', 4],
      ['g6.48xlarge', 8],
      ['gr6.4xlarge', 1],
      ['gr6.8xlarge', 1],
    ]),
    azureVmSizes: [],
  });

  /** NVIDIA L40S 48GB (AWS g6e). */
  public static readonly L40S = new Gpu({
    name: 'L40S',
    displayName: 'NVIDIA L40S',
    productLabel: 'L40S',
    kind: AcceleratorKind.NVIDIA_GPU,
    memoryGib: 48,
    migProfiles: [],
    pciDeviceIds: ['0x26B910DE'],
    awsInstanceTypes: offerings([...singles('g6e'), ['g6e.12xlarge', 4], ['g6e.24xlarge', 4], ['g6e.48xlarge', 8]]),
    azureVmSizes: [],
  });

  /** NVIDIA A10G 24GB, the AWS-specific A10 variant (AWS g5). */
  public static readonly A10G = new Gpu({
    name: 'A10G',
    displayName: 'NVIDIA A10G',
    productLabel: 'A10G',
    kind: AcceleratorKind.NVIDIA_GPU,
    memoryGib: 24,
    migProfiles: [],
    pciDeviceIds: ['0x223710DE'],
    awsInstanceTypes: offerings([...singles('g5'), ['g5.12xlarge', 4], ['g5.24xlarge', 4], ['g5.48xlarge', 8]]),
    azureVmSizes: [],
  });

  /** NVIDIA A10 24GB (Azure NVads A10 v5, whole-GPU sizes only). */
  public static readonly A10 = new Gpu({
    name: 'A10',
    displayName: 'NVIDIA A10',
    productLabel: 'A10',
    kind: AcceleratorKind.NVIDIA_GPU,
    memoryGib: 24,
    migProfiles: [],
    pciDeviceIds: ['0x223610DE'],
    awsInstanceTypes: [],
    // Smaller NVads A10 v5 sizes are GPU fractions (vGPU) and cannot run the device plugin as whole GPUs.
    azureVmSizes: offerings([
      ['Standard_NV36ads_A10_v5', 1],
      ['Standard_NV72ads_A10_v5', 2],
    ]),
  });

  /** NVIDIA T4 16GB (AWS g4dn, Azure NCasT4 v3). */
  public static readonly T4 = new Gpu({
    name: 'T4',
    displayName: 'NVIDIA T4',
    productLabel: 'T4',
    kind: AcceleratorKind.NVIDIA_GPU,
    memoryGib: 16,
    migProfiles: [],
    pciDeviceIds: ['0x1EB810DE'],
    awsInstanceTypes: offerings([...singles('g4dn'), ['g4dn.12xlarge', 4], ['g4dn.metal', 8]]),
    azureVmSizes: offerings([
      ['Standard_NC4as_T4_v3', 1],
      ['Standard_NC8as_T4_v3', 1],
      ['Standard_NC16as_T4_v3', 1],
      ['Standard_NC64as_T4_v3', 4],
    ]),
  });

  /** AWS Inferentia2 chip, 32 GB per chip (AWS inf2). */
  public static readonly INFERENTIA2 = new Gpu({
    name: 'INFERENTIA2',
    displayName: 'AWS Inferentia2',
    productLabel: 'Inferentia2',
    kind: AcceleratorKind.AWS_NEURON,
    memoryGib: 32,
    migProfiles: [],
    pciDeviceIds: [],
    awsInstanceTypes: offerings([
      ['inf2.xlarge', 1],
      ['inf2.8xlarge', 1],
      ['inf2.24xlarge', 6],
      ['inf2.48xlarge', 12],
    ]),
    azureVmSizes: [],
    neuronCoresPerDevice: 2,
  });

  /** AWS Trainium chip, 32 GB per chip (AWS trn1, trn1n). */
  public static readonly TRAINIUM = new Gpu({
    name: 'TRAINIUM',
    displayName: 'AWS Trainium',
    productLabel: 'Trainium',
    kind: AcceleratorKind.AWS_NEURON,
    memoryGib: 32,
    migProfiles: [],
    pciDeviceIds: [],
    awsInstanceTypes: offerings([
      ['trn1.2xlarge', 1],
      ['trn1.32xlarge', 16],
      ['trn1n.32xlarge', 16],
    ]),
    azureVmSizes: [],
    neuronCoresPerDevice: 2,
  });

  /** AWS Trainium2 chip, 96 GB per chip (AWS trn2). */
  public static readonly TRAINIUM2 = new Gpu({
    name: 'TRAINIUM2',
    displayName: 'AWS Trainium2',
    productLabel: 'Trainium2',
    kind: AcceleratorKind.AWS_NEURON,
    memoryGib: 96,
    migProfiles: [],
    pciDeviceIds: [],
    awsInstanceTypes: offerings([
      ['trn2.3xlarge', 1],
      ['trn2.48xlarge', 16],
    ]),
    azureVmSizes: [],
    // 8 physical cores per chip, grouped in pairs by the default logical NeuronCore size (LNC=2).
    neuronCoresPerDevice: 4,
  });

  /** Every accelerator in the catalog, NVIDIA first. */
  public static all(): Gpu[] {
    return [
      Gpu.A100_40GB,
      Gpu.A100_80GB,
      Gpu.H100_80GB,
      Gpu.H100_NVL_94GB,
      Gpu.H200_141GB,
      Gpu.L4,
      Gpu.L40S,
      Gpu.A10G,
      Gpu.A10,
      Gpu.T4,
      Gpu.INFERENTIA2,
      Gpu.TRAINIUM,
      Gpu.TRAINIUM2,
    ];
  }

  /**
   * Looks an accelerator up by catalog name (e.g. `H100_80GB`), case-insensitively, so it can come from config files.
   * @throws GpuDomainError listing the catalog names when unknown
   */
  public static of(name: string): Gpu {
    const found = Gpu.all().find((g) => g.name.toUpperCase() === String(name).toUpperCase());
    if (!found) {
      throw new GpuDomainError(
        `gpu '${name}' is not in the accelerator catalog; use one of ${Gpu.all()
          .map((g) => g.name)
          .join(', ')}`,
      );
    }
    return found;
  }

  /** The accelerator carried by an AWS instance type, if the catalog knows it. */
  public static forAwsInstanceType(instanceType: string): Gpu | undefined {
    return Gpu.all().find((g) => g.awsOffering(instanceType) !== undefined);
  }

  /** The accelerator carried by an Azure VM size, if the catalog knows it. */
  public static forAzureVmSize(vmSize: string): Gpu | undefined {
    return Gpu.all().find((g) => g.azureOffering(vmSize) !== undefined);
  }

  /** Catalog name, the same as the static member, e.g. `H100_80GB`. */
  public readonly name: string;
  /** Human-readable name for messages and docs. */
  public readonly displayName: string;
  /** Model id safe for Kubernetes label values, e.g. `H100-SXM5-80GB`. */
  public readonly productLabel: string;
  /** GPU or Neuron. */
  public readonly kind: AcceleratorKind;
  /** Memory of one device (one Neuron chip for Neuron) in GiB, nominal. */
  public readonly memoryGib: number;
  /** True when the GPU can be partitioned with Multi-Instance GPU. */
  public readonly migCapable: boolean;
  /** MIG profiles the GPU offers; empty when not MIG capable. */
  public readonly migProfiles: MigProfile[];
  /** PCI device ids as mig-parted device filters spell them (`0x<device><vendor>`); empty for Neuron. */
  public readonly pciDeviceIds: string[];
  /** NeuronCores the Neuron device plugin advertises per device (`aws.amazon.com/neuroncore`); 0 for GPUs. */
  public readonly neuronCoresPerDevice: number;
  /** AWS instance types carrying whole devices of this model. */
  public readonly awsInstanceTypes: InstanceOffering[];
  /** Azure VM sizes carrying whole devices of this model. */
  public readonly azureVmSizes: InstanceOffering[];

  private constructor(spec: GpuSpec) {
    this.name = spec.name;
    this.displayName = spec.displayName;
    this.productLabel = spec.productLabel;
    this.kind = spec.kind;
    this.memoryGib = spec.memoryGib;
    this.migProfiles = spec.migProfiles;
    this.migCapable = spec.migProfiles.length > 0;
    this.pciDeviceIds = spec.pciDeviceIds;
    this.neuronCoresPerDevice = spec.neuronCoresPerDevice ?? 0;
    this.awsInstanceTypes = spec.awsInstanceTypes;
    this.azureVmSizes = spec.azureVmSizes;
  }

  /**
   * The MIG profile of this GPU with the given name.
   * @throws GpuDomainError naming the offered profiles, or the MIG-capable GPUs when this one has none
   */
  public migProfile(name: string): MigProfile {
    const found = this.migProfiles.find((p) => p.name === name);
    if (found) return found;
    if (!this.migCapable) {
      throw new GpuDomainError(
        `mig profile '${name}' cannot be used: ${this.displayName} does not support MIG; use one of ${migCapableNames()}`,
      );
    }
    throw new GpuDomainError(
      `mig profile '${name}' is not offered by ${this.displayName}; allowed: ${this.migProfiles.map((p) => p.name).join(', ')}`,
    );
  }

  /** The AWS offering with this instance type, if it carries this accelerator. */
  public awsOffering(instanceType: string): InstanceOffering | undefined {
    return this.awsInstanceTypes.find((o) => o.instanceType === instanceType);
  }

  /** The Azure offering with this VM size (compared case-insensitively, as Azure does), if it carries this accelerator. */
  public azureOffering(vmSize: string): InstanceOffering | undefined {
    const wanted = String(vmSize).toLowerCase();
    return this.azureVmSizes.find((o) => o.instanceType.toLowerCase() === wanted);
  }

  /** Most devices on one machine of either cloud; 0 when no cloud offers the model. */
  public get maxAcceleratorsPerMachine(): number {
    return [...this.awsInstanceTypes, ...this.azureVmSizes].reduce((m, o) => Math.max(m, o.acceleratorCount), 0);
  }
}

/** Catalog names of the MIG-capable GPUs, comma-separated, for messages. */
export function migCapableNames(): string {
  return Gpu.all()
    .filter((g) => g.migCapable)
    .map((g) => g.name)
    .join(', ');
}
