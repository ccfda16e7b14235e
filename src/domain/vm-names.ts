// VM names on both sides of a failover: what VMM allows in a VM's name, and what Azure allows
// in the name of the VM Site Recovery creates. A VMM name is often not a valid Azure name
// (dots, spaces, underscores); the plan then gives the VM a name in Azure. Pure.

/** Azure's rule for the VM Site Recovery creates: 1–63 letters, digits, hyphens, alphanumeric ends. */
export const AZURE_VM_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/u;

/** Why a name is not one VMM could have given, or undefined. */
export function vmmNameProblem(name: string): string | undefined {
  if (name.length === 0 || name.trim().length === 0) return 'the VM name is empty';
  if (name.length > 100) return `the VM name has ${name.length} characters; VMM and Hyper-V allow at most 100`;
  if (name !== name.trim()) return 'the VM name starts or ends with a space';
  // eslint-disable-next-line no-control-regex
  const bad = /[\u0000-\u001f\u007f*?:<>/|\\"]/u.exec(name);
  if (bad)
    return `the VM name contains ${JSON.stringify(bad[0])}, which VMM does not allow in a VM name (none of * ? : < > / | \\ " or control characters)`;
  return undefined;
}

/** The closest valid Azure VM name: other characters become hyphens, runs collapse, ends trimmed. */
export function azureNameFor(name: string): string {
  return name
    .replace(/[^A-Za-z0-9-]+/gu, '-')
    .replace(/-{2,}/gu, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/gu, '');
}
