import { startDevStack, type DevStackOptions } from '../../dev/index';
import type { CliIo } from '../io';
import { ExitCode, UsageError } from '../io';

const help = `Usage: rollgate dev [options]

Starts the local demo stack on 127.0.0.1: the churn-scorer model simulator (baseline 41 stable
at 100%, candidate 42 registered at 0%) behind a weighted router with a steady load, its
Prometheus metrics, the deployment endpoint (docs/deployment-api.yaml), fault injection for
drills, and a real Prometheus scraping it every second when the prometheus binary is installed.
Ctrl-C stops everything it started.

Options:
  --port N              simulator and deployment endpoint port (default 8700; 0 = a free port)
  --prometheus-port N   Prometheus port (default 9090; 0 = a free port)
  --no-prometheus       do not start Prometheus
  --prometheus-bin PATH Prometheus binary (default: prometheus on PATH)
  --token-env NAME      require "Authorization: Bearer <token>", the token read from env NAME
                        (default: env ROLLGATE_DEV_TOKEN when set; otherwise no token)
  --rps N               load generator requests per second (default 40; 0 = no load)
  --label-delay MS      how long after a prediction its true outcome (label) is recorded
                        (default 1000; 0 = at once)
  --help                show this help

Fault injection:
  curl -X POST http://127.0.0.1:8700/v1/faults -H 'content-type: application/json' \\
       -d '{"version":"42","errorRate":0.3,"latencyMs":200}'
  # model faults: move the scores, make answers wrong, decalibrate the labels
  curl -X POST http://127.0.0.1:8700/v1/faults -H 'content-type: application/json' \
       -d '{"version":"42","scoreShift":0.3,"accuracyDrop":0.5,"miscalibration":0.2}'
  curl -X DELETE http://127.0.0.1:8700/v1/faults
`;

interface DevArguments {
  options: DevStackOptions;
  tokenSource?: string;
}

function parsePort(flag: string, value: string | undefined): number {
  const port = Number(value);
  if (value === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`${flag} needs a port number from 0 to 65535 (0 picks a free port), got ${value === undefined ? 'nothing' : `'${value}'`}`);
  }
  return port;
}

function parseArguments(args: string[], env: NodeJS.ProcessEnv): DevArguments | 'help' {
  const options: DevStackOptions = { searchPath: env.PATH };
  let tokenEnv: string | undefined;
  for (let index = 0; index < args.length; index += 1) {
    const argument = args[index] ?? '';
    const [flag, inline] = argument.startsWith('--') && argument.includes('=') ? [argument.slice(0, argument.indexOf('=')), argument.slice(argument.indexOf('=') + 1)] : [argument, undefined];
    const value = (): string | undefined => inline ?? args[++index];
    switch (flag) {
      case '--help':
      case '-h':
        return 'help';
      case '--port':
        options.port = parsePort(flag, value());
        break;
      case '--prometheus-port':
        options.prometheusPort = parsePort(flag, value());
        break;
      case '--no-prometheus':
        options.prometheus = 'off';
        break;
      case '--prometheus-bin': {
        const bin = value();
        if (!bin) throw new UsageError('--prometheus-bin needs the path of a prometheus binary');
        options.prometheusBin = bin;
        options.prometheus = 'required';
        break;
      }
      case '--token-env': {
        tokenEnv = value();
        if (!tokenEnv) throw new UsageError('--token-env needs the name of an environment variable holding the token');
        break;
      }
      case '--rps': {
        const raw = value();
        const rate = Number(raw);
        if (raw === undefined || !Number.isFinite(rate) || rate < 0 || rate > 1000) throw new UsageError(`--rps needs a number from 0 to 1000, got ${raw === undefined ? 'nothing' : `'${raw}'`}`);
        options.requestsPerSecond = rate;
        break;
      }
      case '--label-delay': {
        const raw = value();
        const delay = Number(raw);
        if (raw === undefined || !Number.isFinite(delay) || delay < 0 || delay > 3_600_000) {
          throw new UsageError(`--label-delay needs milliseconds from 0 to 3600000, got ${raw === undefined ? 'nothing' : `'${raw}'`}`);
        }
        options.labelDelayMs = delay;
        break;
      }
      default:
        throw new UsageError(`unknown option '${argument}'. Run 'rollgate dev --help' for the options.`);
    }
  }
  if (tokenEnv !== undefined) {
    const token = env[tokenEnv];
    if (!token) throw new UsageError(`--token-env ${tokenEnv}: the environment variable ${tokenEnv} is not set or empty`);
    options.token = token;
    return { options, tokenSource: tokenEnv };
  }
  if (env.ROLLGATE_DEV_TOKEN) {
    options.token = env.ROLLGATE_DEV_TOKEN;
    return { options, tokenSource: 'ROLLGATE_DEV_TOKEN' };
  }
  return { options };
}

/** `rollgate dev`: runs the demo stack until interrupted. */
export async function devCommand(args: string[], io: CliIo): Promise<number> {
  const parsed = parseArguments(args, io.env);
  if (parsed === 'help') {
    io.stdout(help);
    return ExitCode.ok;
  }
  const stack = await startDevStack(parsed.options);
  const versions = stack.state().versions.map((version) => `${version.version} at ${version.weight}%`).join(', ');
  const lines = [
    `rollgate dev: ${stack.service} (${versions}; stable ${stack.state().stable}), ${parsed.options.requestsPerSecond ?? 40} requests/s`,
    `  deployment endpoint  ${stack.deploymentUrl}${parsed.tokenSource ? ` (bearer token from $${parsed.tokenSource})` : ''}`,
    `  service              ${stack.deploymentUrl}/v1/services/${stack.service}`,
    `  router               ${stack.predictUrl}`,
    `  metrics              ${stack.metricsUrl}`,
    `  fault injection      ${stack.faultsUrl}`,
  ];
  if (stack.prometheusUrl) lines.push(`  prometheus           ${stack.prometheusUrl} (pid ${stack.prometheusPid}, data in ${stack.prometheusDataDir})`);
  else if (parsed.options.prometheus === 'off') lines.push('  prometheus           not started (--no-prometheus)');
  io.stdout(`${lines.join('\n')}\n`);
  for (const notice of stack.notices) io.stderr(`rollgate dev: ${notice}\n`);
  io.stdout('Press Ctrl-C to stop.\n');

  await (io.interrupted ?? new Promise<void>(() => undefined));
  io.stdout('rollgate dev: stopping...\n');
  await stack.stop();
  io.stdout('rollgate dev: stopped.\n');
  return ExitCode.ok;
}
