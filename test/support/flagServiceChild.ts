// Run in a child process by the flag-service harness test: starts the real flag service, prints
// its pids and folder as one JSON line, and waits to be killed.
import { startFlagService } from '../../src/dev/flagService';

const service = await startFlagService({ startTimeoutMs: 300_000 });
process.stdout.write(`${JSON.stringify({ url: service.url, unleashPid: service.unleashPid, postgresPid: service.postgres.pid, dataDir: service.postgres.dataDir })}\n`);
setInterval(() => undefined, 60_000);
