// `node scripts/watchdog.mjs <parent pid> <process group>...`: waits until the parent process is
// gone (killed outright, so its own clean-up never ran), then stops the given process groups:
// SIGTERM, and SIGKILL 5 s later. `npm start` runs one in its own process group, so the dev stack
// and code-server it started never outlive it.
const [parent, ...groups] = process.argv.slice(2).map(Number);
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
};
const stop = (signal) => {
  for (const group of groups) {
    try {
      process.kill(-group, signal);
    } catch {
      // already gone
    }
  }
};
const timer = setInterval(() => {
  if (alive(parent)) return;
  clearInterval(timer);
  stop('SIGTERM');
  setTimeout(() => {
    stop('SIGKILL');
    process.exit(0);
  }, 5000);
}, 250);
