// Prints "tests: N passed, N failed" from vitest's JSON report. Exits 1
// when the report is missing, unreadable or counts no test at all.
import { readFileSync } from 'node:fs';

const reportPath = process.argv[2];
let report;
try {
  report = JSON.parse(readFileSync(reportPath, 'utf8'));
} catch (error) {
  console.error(
    `cannot read the vitest report ${reportPath}: ${error.message}`,
  );
  console.log('tests: 0 passed, 1 failed');
  process.exit(1);
}

const passed = report.numPassedTests ?? 0;
// A test file that fails to load has no test results of its own; count it as one failure.
const brokenFiles = (report.testResults ?? []).filter(
  (file) =>
    file.status === 'failed' && (file.assertionResults ?? []).length === 0,
).length;
const failed = (report.numFailedTests ?? 0) + brokenFiles;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
const line = `tests: ${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;
console.log(line);
process.exit(passed + failed === 0 ? 1 : 0);
