// Prints the one plain line CI reads ("N passed, N failed") from jest's JSON results.
// A run that never reached jest (install, typecheck or lint failed) counts as one failure.
const fs = require('node:fs');
const [file, exitCode] = process.argv.slice(2);
let passed = 0;
let failed = 0;
try {
  const r = JSON.parse(fs.readFileSync(file, 'utf8'));
  passed = r.numPassedTests;
  // A suite that crashes before its tests run reports no failed test; count it.
  failed = r.numFailedTests + r.numRuntimeErrorTestSuites;
} catch {
  failed = 1;
}
if (Number(exitCode) !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
