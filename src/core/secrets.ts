// Secret names and where a secret's value comes from: the one rule for the plan schema, the
// CLI (`rollgate rollout|rollback|run`) and the editor. Values are resolved at send time only.

/** Allowed secret names: a letter or digit, then letters, digits, '.', '_' or '-'; at most 128 characters. */
export const SECRET_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The rule in words, for messages and the schema's documentation. */
export const SECRET_NAME_RULE = "letters, digits, '.', '_' and '-', starting with a letter or digit, at most 128 characters";

export function isSecretName(name: string): boolean {
  return SECRET_NAME_PATTERN.test(name);
}

/**
 * The environment variable a secret resolves from: `ROLLGATE_SECRET_` and the name in upper
 * case with every character but letters and digits as `_` (`deploy-token` and `deploy.token`
 * both read `ROLLGATE_SECRET_DEPLOY_TOKEN`).
 */
export function secretEnvironmentVariable(name: string): string {
  return `ROLLGATE_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** Looks up a secret's value by name when a request is about to be sent. */
export interface SecretResolver {
  get(name: string): Promise<string | undefined>;
}

/** The CLI's secrets: environment variables `ROLLGATE_SECRET_<NAME>` (an empty one counts as unset). */
export function environmentSecretResolver(env: Record<string, string | undefined>): SecretResolver {
  return {
    async get(name) {
      const value = env[secretEnvironmentVariable(name)];
      return value === undefined || value === '' ? undefined : value;
    },
  };
}

/** Thrown when a secret a plan's endpoint needs is not set; `field` names where the plan refers to it. */
export class SecretNotSetError extends Error {
  constructor(
    readonly secretName: string,
    readonly field: string,
  ) {
    super(`${field} needs the secret '${secretName}', which is not set`);
    this.name = 'SecretNotSetError';
  }
}
