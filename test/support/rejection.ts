import { expect } from 'vitest';

import { EndpointError } from '../../src/core/endpoints/index';

/** Awaits a call that must fail with an {@link EndpointError} and returns that error. */
export async function rejection(promise: Promise<unknown>): Promise<EndpointError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(EndpointError);
    return error as EndpointError;
  }
  throw new Error('expected the call to fail');
}
