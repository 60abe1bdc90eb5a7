// Reads `npm audit --json` on stdin and prints one verdict line (used by .ci/supply-chain).
// Exit 0: no high or critical advisory; 1: at least one (each is listed); 2: NOT CHECKED, the
// output is not an audit report (the advisory endpoint was unreachable or answered an error).
let text = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => (text += chunk));
process.stdin.on('end', () => {
  let report;
  try {
    report = JSON.parse(text);
  } catch {
    report = undefined;
  }
  const counts = report?.metadata?.vulnerabilities;
  if (!counts) {
    const reason = report?.message || report?.error?.summary || text.trim().slice(0, 200) || 'no answer';
    console.log(
      `[ci] npm audit: NOT CHECKED - the advisory endpoint did not answer with a report (${reason})`,
    );
    process.exit(2);
  }
  const severities = ['critical', 'high', 'moderate', 'low', 'info'];
  console.log(
    `[ci] npm audit (production dependencies): ${severities.map((k) => `${k} ${counts[k] ?? 0}`).join(', ')}`,
  );
  for (const [name, v] of Object.entries(report.vulnerabilities ?? {}))
    if (v.severity === 'high' || v.severity === 'critical')
      console.log(`[ci]   ${v.severity}: ${name} ${v.range ?? ''}`);
  process.exit((counts.critical ?? 0) + (counts.high ?? 0) > 0 ? 1 : 0);
});
