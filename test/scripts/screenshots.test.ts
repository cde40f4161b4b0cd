// `npm run screenshots` regenerates the guide's five screenshots as PNG files.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';

test('the screenshots command writes a PNG for each step of the guide', async (t) => {
  const folder = await mkdtemp(path.join(tmpdir(), 'cqrs-shots-'));
  try {
    const script = path.join(import.meta.dirname, '..', '..', 'scripts', 'screenshots.ts');
    await promisify(execFile)(process.execPath, [script, folder], { timeout: 90_000 });
    const files = (await readdir(folder)).sort();
    t.deepEqual(files, [
      'step-1-sign-in-button.png',
      'step-2-nhsmail-sign-in.png',
      'step-3-message-centre.png',
      'step-4-incorrect-user-id-or-password.png',
      'step-5-authentication-error.png',
    ]);
    for (const file of files) {
      const bytes = await readFile(path.join(folder, file));
      t.is(bytes.subarray(1, 4).toString('latin1'), 'PNG', file);
      // IHDR: width and height are the first fields of the first chunk.
      t.is(bytes.readUInt32BE(16), 1024, `${file} width`);
      t.true(bytes.readUInt32BE(20) >= 768, `${file} height`);
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});
