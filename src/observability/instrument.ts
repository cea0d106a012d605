import type { CognitoClient } from "../cognito/adapter";
import { classifyCognitoError } from "../cognito/errors";
import type { RevocationStore } from "../auth/revocation";
import type { Metrics } from "./metrics";

/**
 * The SDK client seen through a timer: every `send`, whichever adapter method made it, is
 * recorded by operation (the command's name, e.g. `InitiateAuth`) and outcome (`success`, or
 * the kind of failure). Unchanged when metrics are off.
 */
export function instrumentCognitoClient(client: CognitoClient, metrics: Metrics): CognitoClient {
  if (!metrics.enabled) return client;
  const timedSend = async (command: object, options?: unknown): Promise<unknown> => {
    const operation = command.constructor.name.replace(/Command$/, "");
    const started = performance.now();
    const elapsed = () => (performance.now() - started) / 1000;
    try {
      const output: unknown = await (client.send as (c: object, o?: unknown) => Promise<unknown>)(
        command,
        options,
      );
      metrics.cognitoRequest(operation, "success", elapsed());
      return output;
    } catch (error) {
      metrics.cognitoRequest(operation, classifyCognitoError(error).kind, elapsed());
      throw error;
    }
  };
  return new Proxy(client, {
    get(target, property) {
      return property === "send" ? timedSend : (Reflect.get(target, property) as unknown);
    },
  });
}

/**
 * The revocation store seen through a counter: each write (token id, sign-in, subject cutoff)
 * counts once it is done, from logout and from any route added later. Everything else (reads,
 * `close`) goes straight through.
 */
export function countRevocations(store: RevocationStore, metrics: Metrics): RevocationStore {
  if (!metrics.enabled) return store;
  const counted = (write: (...args: never[]) => void | Promise<void>) =>
    function countedWrite(...args: never[]): void | Promise<void> {
      const done = write(...args);
      if (done instanceof Promise) {
        return done.then(() => {
          metrics.revocation();
        });
      }
      metrics.revocation();
      return done;
    };
  const revokeToken = counted(store.revokeToken.bind(store));
  const revokeSubject = counted(store.revokeSubject.bind(store));
  return new Proxy(store, {
    get(target, property) {
      if (property === "revokeToken") return revokeToken;
      if (property === "revokeSubject") return revokeSubject;
      const value: unknown = Reflect.get(target, property);
      return typeof value === "function" ? (value as () => unknown).bind(target) : value;
    },
  });
}
