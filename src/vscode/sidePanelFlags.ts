import * as vscode from 'vscode';

import { errorMessage } from '../core/errors';
import { isEndpointError } from '../core/endpoints/index';
import { createFlagProvider, describeFlagEndpoint } from '../core/flags/index';
import { panelFlags, type LiveFlagReadings } from '../core/panel/flags';
import type { PanelFlags } from '../core/panel/protocol';
import type { Plan } from '../core/plan/schema';
import { editorSecretResolver, missingSecretHint } from './secrets';

/** How long the panel waits for the flag service per read: it shows state, it must never hang. */
const READ_TIMEOUT_MS = 5000;

/**
 * The side panel's feature flags: the selected plan's flags and their live state, read from the
 * plan's flag service with the token its secret reference names. Read-only; never throws.
 */
export class SidePanelFlags {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  /** The section for `plan`, or null when the plan lists no flags. */
  async read(plan: Plan | undefined): Promise<PanelFlags | null> {
    const endpoint = plan?.endpoints.flags;
    if (!plan?.flags?.length || !endpoint) return null;
    const service = describeFlagEndpoint(endpoint);
    const name = endpoint.token.secret;
    const token = await editorSecretResolver(this.secrets).get(name);
    if (!token) {
      return panelFlags(service, plan.flags, {}, { problem: vscode.l10n.t('The flag token is not set, so the live state cannot be read. {0}', missingSecretHint(name)) });
    }
    const provider = createFlagProvider(endpoint, { token, retries: 0, timeoutMs: READ_TIMEOUT_MS });
    const readings: LiveFlagReadings = {};
    let problem: string | undefined;
    await Promise.all(
      plan.flags.map(async (flag) => {
        try {
          readings[flag.name] = { state: await provider.read(flag.name) };
        } catch (error) {
          // Down, slow or refusing the token: one problem for the whole service, not one per flag.
          if (isEndpointError(error, 'unreachable', 'timeout') || (isEndpointError(error, 'http') && (error.status === 401 || error.status === 403))) problem ??= errorMessage(error);
          else readings[flag.name] = { problem: errorMessage(error) };
        }
      }),
    );
    return panelFlags(service, plan.flags, readings, { readAt: new Date().toISOString(), ...(problem ? { problem } : {}) });
  }
}
