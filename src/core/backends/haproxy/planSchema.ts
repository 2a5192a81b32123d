import { z } from 'zod';

import { duration } from '../../plan/durations';
import { DEPLOYMENT_TYPE_DESCRIPTION } from '../deploymentType';
import { HAPROXY_NAME_PATTERN, RUNTIME_API_URL_PATTERN } from './syntax';

const haproxyName = (description: string) => z.string().regex(HAPROXY_NAME_PATTERN, "an HAProxy name: letters, digits, '-', '_', '.' or ':'").describe(description);

/** `endpoints.deployment` with `type: haproxy`: a real HAProxy whose runtime API sets server weights. */
export const haproxyDeploymentSchema = z
  .strictObject({
    type: z.literal('haproxy').describe(DEPLOYMENT_TYPE_DESCRIPTION),
    url: z
      .string()
      .regex(RUNTIME_API_URL_PATTERN, 'a runtime API address: tcp://HOST:PORT or unix:///PATH')
      .describe(
        "HAProxy's runtime API, the address of a `stats socket … level admin` line in its global section: `tcp://127.0.0.1:9999` or `unix:///run/haproxy/admin.sock`. It grants admin access without authentication, so keep it on loopback or a unix socket.",
      ),
    backend: haproxyName('The HAProxy backend whose servers serve the model versions, e.g. churn-scorer.'),
    servers: z
      .record(z.string().min(1), haproxyName('The server of the backend that serves this version.'))
      .describe(
        'Model version -> server name in the backend, e.g. { "41": v41, "42": v42 }. The candidate and the baseline (and an explicit rollback target) must be listed. The backend\'s other servers are held at weight 0.',
      ),
    timeout: duration('How long one runtime API command may take, e.g. 5s (default 5s).').optional(),
  })
  .describe('A real HAProxy: traffic percentages become server weights set through its runtime API (see docs/backends.md).');
