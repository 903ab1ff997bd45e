/**
 * Memory and vCPUs of the instance types, as EC2 documents them (Amazon EC2 instance types). The sandbox of an
 * instance gets exactly this much memory and CPU share. Types missing from the table take the usual size of their
 * suffix (nano 0.5 GiB, micro 1, small 2, medium 4, large 8, xlarge 16, Nxlarge N × 16; 2 vCPUs per large).
 */
const TYPES: Record<string, { memoryMiB: number; vcpus: number }> = {
  't2.nano': { memoryMiB: 512, vcpus: 1 },
  't2.micro': { memoryMiB: 1024, vcpus: 1 },
  't2.small': { memoryMiB: 2048, vcpus: 1 },
  't2.medium': { memoryMiB: 4096, vcpus: 2 },
  't2.large': { memoryMiB: 8192, vcpus: 2 },
  't3.nano': { memoryMiB: 512, vcpus: 2 },
  't3.micro': { memoryMiB: 1024, vcpus: 2 },
  't3.small': { memoryMiB: 2048, vcpus: 2 },
  't3.medium': { memoryMiB: 4096, vcpus: 2 },
  't3.large': { memoryMiB: 8192, vcpus: 2 },
  'm1.small': { memoryMiB: 1740, vcpus: 1 },
  'm3.medium': { memoryMiB: 3840, vcpus: 1 },
  'm5.large': { memoryMiB: 8192, vcpus: 2 },
  'm5.xlarge': { memoryMiB: 16384, vcpus: 4 },
  'm5ad.xlarge': { memoryMiB: 16384, vcpus: 4 },
  'm7i.large': { memoryMiB: 8192, vcpus: 2 },
  'm7gd.large': { memoryMiB: 8192, vcpus: 2 },
  'c5.large': { memoryMiB: 4096, vcpus: 2 },
  'r5.large': { memoryMiB: 16384, vcpus: 2 },
};

const BY_SIZE: Record<string, { memoryMiB: number; vcpus: number }> = {
  nano: { memoryMiB: 512, vcpus: 1 },
  micro: { memoryMiB: 1024, vcpus: 1 },
  small: { memoryMiB: 2048, vcpus: 1 },
  medium: { memoryMiB: 4096, vcpus: 2 },
  large: { memoryMiB: 8192, vcpus: 2 },
  xlarge: { memoryMiB: 16384, vcpus: 4 },
  metal: { memoryMiB: 393216, vcpus: 96 },
};

export function instanceTypeSize(type: string): { memoryMiB: number; vcpus: number } {
  const known = TYPES[type];
  if (known) return known;
  const size = type.split('.')[1] ?? '';
  const m = /^(\d+)xlarge$/.exec(size);
  if (m) return { memoryMiB: 16384 * Number(m[1]), vcpus: 4 * Number(m[1]) };
  return BY_SIZE[size] ?? BY_SIZE.small;
}

/**
 * Processes and threads an instance may have at once: 1024 per vCPU (EC2 sets no such limit, the instance's kernel
 * does; here one kernel serves every instance, so a fork bomb must stop inside its instance).
 */
export const pidsLimit = (vcpus: number) => 1024 * vcpus;
