import { ADMIN_TOKEN_PATTERN, missingFlagServiceParts } from '../../dev/flagService';
import { startDevStack, type DevStackOptions } from '../../dev/index';
import type { CliIo } from '../io';
import { ExitCode, UsageError } from '../io';

const help = `Usage: rollgate dev [options]

Starts the local demo stack on 127.0.0.1: the churn-scorer model simulator (baseline 41 stable
at 100%, candidate 42 registered at 0%) behind a weighted router with a steady load, its
Prometheus metrics, the deployment endpoint (docs/deployment-api.yaml), fault injection for
drills, and a real Prometheus scraping it every second when the prometheus binary is installed.
When the haproxy binary is installed, each version also runs as its own HTTP server with a real
HAProxy in front (runtime API and Prometheus exporter; plans with endpoints.deployment.type:
haproxy drive it), taking the same load. Ctrl-C stops everything it started.

Options:
  --port N              simulator and deployment endpoint port (default 8700; 0 = a free port)
  --prometheus-port N   Prometheus port (default 9090; 0 = a free port)
  --no-prometheus       do not start Prometheus
  --prometheus-bin PATH Prometheus binary (default: prometheus on PATH)
  --haproxy-port N      HAProxy frontend port (default 8780; 0 = a free port)
  --haproxy-api-port N  HAProxy runtime API port (default 9999; 0 = a free port)
  --haproxy-metrics-port N
                        HAProxy Prometheus exporter port (default 8405; 0 = a free port)
  --no-haproxy          do not start HAProxy
  --haproxy-bin PATH    HAProxy binary (default: haproxy on PATH, /usr/local/sbin, /usr/sbin)
  --token-env NAME      require "Authorization: Bearer <token>", the token read from env NAME
                        (default: env ROLLGATE_DEV_TOKEN when set; otherwise no token)
  --rps N               load generator requests per second (default 40; 0 = no load)
  --flags               also start Unleash (on a throw-away PostgreSQL) with the demo flag
                        new-ranking, for examples/churn-flags.rollout.yaml; needs the Debian
                        package postgresql and bash test/harness/ensureUnleash.sh
  --flags-port N        Unleash port (default 4242; 0 = a free port)
  --flags-token-env NAME the admin token Unleash is started with, read from env NAME
                        (default ROLLGATE_SECRET_UNLEASH_TOKEN, the secret the demo plan
                        names); Unleash wants the form '*:*.<secret>'
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
  (faults live in the model versions: they show through both routers)

HAProxy's weights by hand (what a plan with endpoints.deployment.type: haproxy changes):
  echo "set weight churn-scorer/v41 90; set weight churn-scorer/v42 10" | socat stdio tcp:127.0.0.1:9999
  echo "show servers state churn-scorer" | socat stdio tcp:127.0.0.1:9999
`;

interface DevArguments {
  options: DevStackOptions;
  tokenSource?: string;
  flagsTokenSource?: string;
}

/** The environment variable the CLI resolves the demo plan's `unleash-token` secret from. */
const defaultFlagsTokenEnv = 'ROLLGATE_SECRET_UNLEASH_TOKEN';

function parsePort(flag: string, value: string | undefined): number {
  const port = Number(value);
  if (value === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`${flag} needs a port number from 0 to 65535 (0 picks a free port), got ${value === undefined ? 'nothing' : `'${value}'`}`);
  }
  return port;
}

function parseArguments(args: string[], env: NodeJS.ProcessEnv): DevArguments | 'help' {
  const options: DevStackOptions = { searchPath: env.PATH, haproxy: 'auto' };
  let tokenEnv: string | undefined;
  let flagsTokenEnv = defaultFlagsTokenEnv;
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
      case '--haproxy-port':
        options.haproxyPort = parsePort(flag, value());
        break;
      case '--haproxy-api-port':
        options.haproxyApiPort = parsePort(flag, value());
        break;
      case '--haproxy-metrics-port':
        options.haproxyMetricsPort = parsePort(flag, value());
        break;
      case '--no-haproxy':
        options.haproxy = 'off';
        break;
      case '--haproxy-bin': {
        const bin = value();
        if (!bin) throw new UsageError('--haproxy-bin needs the path of a haproxy binary');
        options.haproxyBin = bin;
        options.haproxy = 'required';
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
      case '--flags':
        options.flags = 'required';
        break;
      case '--flags-port':
        options.flagsPort = parsePort(flag, value());
        break;
      case '--flags-token-env': {
        const name = value();
        if (!name) throw new UsageError('--flags-token-env needs the name of an environment variable holding the admin token');
        flagsTokenEnv = name;
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
  let flagsTokenSource: string | undefined;
  if (options.flags === 'required') {
    const token = env[flagsTokenEnv];
    if (!token) {
      throw new UsageError(
        `--flags starts Unleash with an admin token read from the environment variable ${flagsTokenEnv}, which is not set. Set it to a token of the form '*:*.<secret>', e.g. export ${flagsTokenEnv}="*:*.$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \\n')"; the demo plan reads the same variable.`,
      );
    }
    if (!ADMIN_TOKEN_PATTERN.test(token)) throw new UsageError(`${flagsTokenEnv} does not look like an Unleash admin token: Unleash wants the form '*:*.<secret>' (no spaces or commas).`);
    options.flagsAdminToken = token;
    flagsTokenSource = flagsTokenEnv;
  }
  if (tokenEnv !== undefined) {
    const token = env[tokenEnv];
    if (!token) throw new UsageError(`--token-env ${tokenEnv}: the environment variable ${tokenEnv} is not set or empty`);
    options.token = token;
    return { options, tokenSource: tokenEnv, ...(flagsTokenSource ? { flagsTokenSource } : {}) };
  }
  if (env.ROLLGATE_DEV_TOKEN) {
    options.token = env.ROLLGATE_DEV_TOKEN;
    return { options, tokenSource: 'ROLLGATE_DEV_TOKEN', ...(flagsTokenSource ? { flagsTokenSource } : {}) };
  }
  return { options, ...(flagsTokenSource ? { flagsTokenSource } : {}) };
}

/** `rollgate dev`: runs the demo stack until interrupted. */
export async function devCommand(args: string[], io: CliIo): Promise<number> {
  const parsed = parseArguments(args, io.env);
  if (parsed === 'help') {
    io.stdout(help);
    return ExitCode.ok;
  }
  const stack = await startDevStack(parsed.options);
  const versions = stack
    .state()
    .versions.map((version) => `${version.version} at ${version.weight}%`)
    .join(', ');
  const lines = [
    `rollgate dev: ${stack.service} (${versions}; stable ${stack.state().stable}), ${parsed.options.requestsPerSecond ?? 40} requests/s${stack.haproxy ? ' through each router' : ''}`,
    `  deployment endpoint  ${stack.deploymentUrl}${parsed.tokenSource ? ` (bearer token from $${parsed.tokenSource})` : ''}`,
    `  service              ${stack.deploymentUrl}/v1/services/${stack.service}`,
    `  router               ${stack.predictUrl}`,
    `  metrics              ${stack.metricsUrl}`,
    `  fault injection      ${stack.faultsUrl}`,
  ];
  const { haproxy } = stack;
  if (haproxy) {
    const mapping = Object.entries(haproxy.servers)
      .map(([version, server]) => `${version} -> ${server}`)
      .join(', ');
    lines.push(
      `  haproxy              ${haproxy.predictUrl} (pid ${haproxy.pid}; backend ${haproxy.backend}: ${mapping})`,
      `  haproxy runtime API  ${haproxy.runtimeUrl} (also ${haproxy.socketUrl})`,
      `  haproxy metrics      ${haproxy.exporterUrl}${stack.prometheusUrl ? ' (scraped as job="haproxy")' : ''}`,
    );
  } else if (parsed.options.haproxy === 'off') lines.push('  haproxy              not started (--no-haproxy)');
  if (stack.prometheusUrl) lines.push(`  prometheus           ${stack.prometheusUrl} (pid ${stack.prometheusPid}, data in ${stack.prometheusDataDir})`);
  else if (parsed.options.prometheus === 'off') lines.push('  prometheus           not started (--no-prometheus)');
  if (stack.flags) {
    lines.push(
      `  flags (Unleash)      ${stack.flags.url} (project ${stack.flags.project}, environments ${stack.flags.environments.join(', ')}; flag ${stack.flags.flags.join(', ')}; admin token from $${parsed.flagsTokenSource}; PostgreSQL on 127.0.0.1:${stack.flags.postgres.port})`,
    );
  }
  io.stdout(`${lines.join('\n')}\n`);
  for (const notice of stack.notices) io.stderr(`rollgate dev: ${notice}\n`);
  if (!stack.flags && missingFlagServiceParts(io.env).length === 0) {
    io.stderr('rollgate dev: PostgreSQL and Unleash are installed: `rollgate dev --flags` also starts Unleash for the demo plan with flags (examples/churn-flags.rollout.yaml).\n');
  }
  io.stdout('Press Ctrl-C to stop.\n');

  await (io.interrupted ?? new Promise<void>(() => undefined));
  io.stdout('rollgate dev: stopping...\n');
  await stack.stop();
  io.stdout('rollgate dev: stopped.\n');
  return ExitCode.ok;
}
