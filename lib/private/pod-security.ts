/**
 * The hardened security context of every pod the library runs itself: what the Pod Security 'restricted'
 * level asks for (non-root, no privilege escalation, no capabilities, the RuntimeDefault seccomp profile)
 * plus a read-only root file system; what a container writes goes to emptyDir volumes (`writableDirs`).
 *
 * Images whose own user is root or a name (vLLM, python:slim, the router) get a numeric uid: the kubelet
 * can only check `runAsNonRoot` against a numeric user, and refuses to start a container whose user is a
 * name. Images with a numeric non-root user of their own may leave the uid unset.
 */

/** uid (and gid) of the pods whose image has no non-root user: vLLM, the model staging job, the router. */
export const NONROOT_UID = 1000;

/** Who a pod runs as. */
export interface RunAs {
  /**
   * uid.
   * @default - the image's own user (which must be numeric and non-root)
   */
  readonly uid?: number;
  /**
   * Primary gid.
   * @default - the uid's group in the image (UBI's 1001 is in group 0, whose files it writes)
   */
  readonly gid?: number;
  /**
   * Group owning the pod's volumes.
   * @default - none (no volume the pod writes needs one)
   */
  readonly fsGroup?: number;
}

/** The pod-level context (the Kubernetes provider's shape: numbers as strings). */
export function podSecurityContext(runAs: RunAs = {}): { [key: string]: any } {
  return {
    runAsNonRoot: true,
    ...ids(runAs, String),
    ...(runAs.fsGroup !== undefined ? { fsGroup: String(runAs.fsGroup) } : {}),
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** The container-level context (the Kubernetes provider's shape). */
export function containerSecurityContext(runAs: RunAs = {}): { [key: string]: any } {
  return {
    runAsNonRoot: true,
    ...ids(runAs, String),
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** The pod-level context as Kubernetes YAML (Helm values, rendered manifests: numbers stay numbers). */
export function manifestPodSecurityContext(runAs: RunAs = {}): { [key: string]: any } {
  return {
    runAsNonRoot: true,
    ...ids(runAs, (n) => n),
    ...(runAs.fsGroup !== undefined ? { fsGroup: runAs.fsGroup } : {}),
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** The container-level context as Kubernetes YAML. */
export function manifestContainerSecurityContext(runAs: RunAs = {}): { [key: string]: any } {
  return {
    runAsNonRoot: true,
    ...ids(runAs, (n) => n),
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** A directory a container writes, on an emptyDir of its own. */
export interface WritableDir {
  /** Volume name. */
  readonly name: string;
  /** Where the container sees it. */
  readonly mountPath: string;
  /** Size limit (a Kubernetes quantity). */
  readonly sizeLimit: string;
  /**
   * Memory-backed (tmpfs): /dev/shm, credentials that must not reach the node's disk.
   * @default false
   */
  readonly memory?: boolean;
}

/** emptyDir volumes and their mounts, in the Kubernetes provider's shape. */
export interface WritableVolumes {
  /** The pod's volumes. */
  readonly volume: { name: string; emptyDir: { medium?: string; sizeLimit: string } }[];
  /** The container's mounts. */
  readonly volumeMount: { name: string; mountPath: string }[];
}

/** The emptyDir volumes and their mounts for the directories a container writes. */
export function writableDirs(dirs: WritableDir[]): WritableVolumes {
  return {
    volume: dirs.map((d) => ({ name: d.name, emptyDir: { ...(d.memory ? { medium: 'Memory' } : {}), sizeLimit: d.sizeLimit } })),
    volumeMount: dirs.map((d) => ({ name: d.name, mountPath: d.mountPath })),
  };
}

function ids<T>(runAs: RunAs, as: (n: number) => T): { [key: string]: T } {
  return {
    ...(runAs.uid !== undefined ? { runAsUser: as(runAs.uid) } : {}),
    ...(runAs.gid !== undefined ? { runAsGroup: as(runAs.gid) } : {}),
  };
}

/**
 * Whether a namespace enforcing Pod Security `level` needs a written reason: 'restricted' and 'baseline'
 * keep pods off the node, anything else ('privileged') does not. The `k8s-pod-security-enforce` check
 * flags such a namespace; `PlatformNamespace` turns its `podSecurityReason` into the suppression.
 */
export function podSecurityNeedsReason(level: string): boolean {
  return level !== 'restricted' && level !== 'baseline';
}
