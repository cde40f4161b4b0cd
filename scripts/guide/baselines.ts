// Screenshot baselines: committed PNGs of the guide's screens, compared pixel by pixel with fresh
// captures. A difference beyond the tolerance leaves the fresh image and a diff image beside each other
// in test-results/baselines/ for a person to look at.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pixelmatch from 'pixelmatch';
import { PNG } from 'pngjs';

const repositoryRoot = path.join(import.meta.dirname, '..', '..');
export const baselineFolder = path.join(repositoryRoot, 'test', 'browser', 'baselines');
export const differencesFolder = path.join(repositoryRoot, 'test-results', 'baselines');

// The same Chromium on the same kind of machine renders identical pixels; the tolerance only absorbs
// anti-aliasing noise, far below what one changed word moves.
const colourThreshold = 0.1;
export const maxMismatchedPixels = 50;

export type Comparison =
  | { name: string; status: 'same'; mismatchedPixels: number }
  | { name: string; status: 'missing'; actualFile: string }
  | { name: string; status: 'resized'; expected: string; actual: string; actualFile: string }
  | { name: string; status: 'changed'; mismatchedPixels: number; actualFile: string; diffFile: string };

const baselineFile = (name: string) => path.join(baselineFolder, `${name}.png`);

/**
 * Compares a fresh capture of screen `name` with its baseline. `reportAs` names the files left for a
 * person to look at (defaults to `name`).
 */
export async function compareWithBaseline(
  name: string,
  actual: Buffer,
  reportAs = name,
): Promise<Comparison> {
  const keepActual = async (png: Buffer) => {
    await mkdir(differencesFolder, { recursive: true });
    const file = path.join(differencesFolder, `${reportAs}.actual.png`);
    await writeFile(file, png);
    return file;
  };
  let expectedBytes: Buffer;
  try {
    expectedBytes = await readFile(baselineFile(name));
  } catch {
    return { name, status: 'missing', actualFile: await keepActual(actual) };
  }
  const expected = PNG.sync.read(expectedBytes);
  const fresh = PNG.sync.read(actual);
  if (expected.width !== fresh.width || expected.height !== fresh.height) {
    return {
      name,
      status: 'resized',
      expected: `${expected.width}×${expected.height}`,
      actual: `${fresh.width}×${fresh.height}`,
      actualFile: await keepActual(actual),
    };
  }
  const diff = new PNG({ width: fresh.width, height: fresh.height });
  const mismatchedPixels = pixelmatch(expected.data, fresh.data, diff.data, fresh.width, fresh.height, {
    threshold: colourThreshold,
  });
  if (mismatchedPixels <= maxMismatchedPixels) return { name, status: 'same', mismatchedPixels };
  const actualFile = await keepActual(actual);
  const diffFile = path.join(differencesFolder, `${reportAs}.diff.png`);
  await writeFile(diffFile, PNG.sync.write(diff));
  return { name, status: 'changed', mismatchedPixels, actualFile, diffFile };
}

export async function writeBaseline(name: string, png: Buffer): Promise<string> {
  await mkdir(baselineFolder, { recursive: true });
  // Write then rename, so a comparison running at the same time never reads half a file.
  const partial = `${baselineFile(name)}.partial`;
  await writeFile(partial, png);
  await rename(partial, baselineFile(name));
  return baselineFile(name);
}

/** One line for a person: what differs and where to look. */
export function describe(comparison: Comparison): string {
  switch (comparison.status) {
    case 'same':
      return `${comparison.name}: matches its baseline`;
    case 'missing':
      return `${comparison.name}: no baseline yet; fresh capture in ${comparison.actualFile}`;
    case 'resized':
      return `${comparison.name}: size changed from ${comparison.expected} to ${comparison.actual}; fresh capture in ${comparison.actualFile}`;
    case 'changed':
      return `${comparison.name}: ${comparison.mismatchedPixels} pixels differ (at most ${maxMismatchedPixels} allowed); diff in ${comparison.diffFile}, fresh capture in ${comparison.actualFile}`;
  }
}
