// Prints the one plain line CI reads ("N passed, N failed") from jest's JSON results.
// A run that never reached jest (install, typecheck or lint failed) counts as one failure.
import { readFileSync } from 'node:fs';

const [file, exitCode] = process.argv.slice(2);

function counts() {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8'));
    // A suite that crashes before its tests run reports no failed test; count it.
    return { passed: r.numPassedTests, failed: r.numFailedTests + r.numRuntimeErrorTestSuites };
  } catch {
    return { passed: 0, failed: 1 };
  }
}

const { passed, failed } = counts();
console.log(`${passed} passed, ${Number(exitCode) !== 0 && failed === 0 ? 1 : failed} failed`);
