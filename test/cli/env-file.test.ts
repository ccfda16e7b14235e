import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { narrowedNotice, writeEnvFile } from '../../src/devstack/local-stack';

// The env file `dev up` and the demo write holds the emulator's app secrets: 0600 on every
// write, also when an earlier file (or a person) left it readable by others — and saying so.
describe('the env file writer of dev up and the demo', () => {
  const dirs: string[] = [];
  const fresh = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'asrflow-env-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('creates the file 0600 and says nothing about modes', () => {
    const written = writeEnvFile({ ASRFLOW_SECRET_X: "it's secret" }, fresh());
    expect(statSync(written.file).mode & 0o777).toBe(0o600);
    expect(readFileSync(written.file, 'utf8')).toBe("ASRFLOW_SECRET_X='it'\\''s secret'\n");
    expect(narrowedNotice(written)).toBeUndefined();
  });

  it('narrows an existing 0644 file to 0600 and names the old mode', () => {
    const dir = fresh();
    const file = path.join(dir, 'env');
    writeFileSync(file, 'OLD=1\n');
    chmodSync(file, 0o644);
    const written = writeEnvFile({ ASRFLOW_SECRET_X: 's' }, dir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(written.narrowedFrom).toBe(0o644);
    expect(narrowedNotice(written)).toBe(
      `${file} was mode 0644 (readable by others); narrowed it to 0600, since it holds secrets.`,
    );
    expect(readFileSync(file, 'utf8')).not.toContain('OLD=1');
  });

  it('keeps quiet about a file that already was 0600 (or narrower)', () => {
    const dir = fresh();
    const file = path.join(dir, 'env');
    writeFileSync(file, '', { mode: 0o600 });
    expect(narrowedNotice(writeEnvFile({ A: 'b' }, dir))).toBeUndefined();
    chmodSync(file, 0o400);
    const written = writeEnvFile({ A: 'c' }, dir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(narrowedNotice(written)).toBeUndefined();
  });
});
