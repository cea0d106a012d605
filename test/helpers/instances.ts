/**
 * Extra gateway instances in this process, against an emulator another gateway started: each
 * with its own app, HTTP server, logs and (with `redis`) its own Redis connection, as separate
 * replicas behind a balancer would have.
 */
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp } from "../../src/app";
import { StaticKeyStore } from "../../src/auth/keys";
import { createGateway, type Gateway } from "../../src/gateway";
import { EMULATOR_PUBLIC_JWK } from "../../src/local/tokens";
import type { LocalCognito } from "../../src/local/emulator";
import { createLogger } from "../../src/logger";
import { emulatorOptions } from "../../src/standalone";
import type { GatewayOptions } from "../../src/options";
import type { Target } from "../../tools/lib/http";
import { LogCapture } from "./mocked-gateway";

/** One more instance. */
export interface Instance extends Target {
  readonly gateway: Gateway;
  readonly logs: LogCapture;
  close(): Promise<void>;
}

/** Starts an instance on a free loopback port; floors are off, limits as `options` say. */
export async function startInstance(
  local: LocalCognito,
  options: Partial<GatewayOptions> = {},
): Promise<Instance> {
  const logs = new LogCapture();
  const gateway = createGateway({
    ...emulatorOptions(local),
    keys: new StaticKeyStore({ keys: [EMULATOR_PUBLIC_JWK] }),
    responseFloorMs: 0,
    responseJitterMs: 0,
    logger: createLogger({ level: "debug", destination: logs }),
    ...options,
  });
  const server = createServer(createApp(gateway));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  return {
    url,
    auth: `${url}/auth`,
    gateway,
    logs,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await gateway.shared?.close();
    },
  };
}
